//! Files that the code generates or describes, kept in sync with it: each test fails when a
//! change to the code is not reflected in the committed file, and `UPDATE_FIXTURES=1` rewrites
//! the generated ones.

use reservation_service::configuration::{AppEnv, Settings, variables, variables_table};
use reservation_service::iam::Publishing;
use reservation_service::outbox::{DEFAULT_EVENT_BUS, OutboxSettings};
use reservation_service::services::PaymentSettings;
use reservation_service::store::TableNames;
use std::path::PathBuf;

/// A file of the repository, by its path from the root.
fn repo(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The committed `path` equals `current`, what the code generates; with `UPDATE_FIXTURES=1`
/// the file is rewritten instead.
fn assert_generated(path: &str, current: &str) {
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(repo(path), current).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        return;
    }
    let stored = std::fs::read_to_string(repo(path)).unwrap_or_default();
    assert!(
        stored == current,
        "{path} differs from what the code generates; run \
         `UPDATE_FIXTURES=1 cargo test -p dynamo-sync-tests` and commit it"
    );
}

/// `docs/openapi.json` is the document the service serves at `/v3/api-docs`.
#[test]
fn openapi_document() {
    assert_generated(
        "docs/openapi.json",
        &reservation_service::startup::openapi_json(),
    );
}

/// The README's endpoint table lists every path of the OpenAPI document.
#[test]
fn readme_lists_every_endpoint() {
    let doc: serde_json::Value =
        serde_json::from_str(&reservation_service::startup::openapi_json()).expect("json");
    let readme = read("README.md");
    let paths = doc["paths"].as_object().expect("paths");
    assert!(!paths.is_empty());
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            let entry = format!("{} {path}", method.to_uppercase());
            assert!(readme.contains(&entry), "README.md does not list `{entry}`");
        }
    }
}

/// `deploy/iam-policy.json` is `export-iam-policy`'s policy for the default names, bus and
/// source.
#[test]
fn iam_policy() {
    let policy = reservation_service::iam::policy(
        &TableNames::prefixed(""),
        "REGION",
        "ACCOUNT_ID",
        Some(Publishing {
            bus: DEFAULT_EVENT_BUS,
            source: &OutboxSettings::local().source,
        }),
    );
    let current = serde_json::to_string_pretty(&policy).expect("serializes") + "\n";
    assert_generated("deploy/iam-policy.json", &current);
}

/// `deploy/cloudformation/tables.yaml` is `export-cloudformation`'s output, and it passes the
/// schema check against every table's definition.
#[test]
fn cloudformation_template() {
    let path = "deploy/cloudformation/tables.yaml";
    let template = reservation_service::store::cloudformation_template();
    assert_generated(
        path,
        &dynamo_core::schema::cloudformation::to_yaml(&template),
    );
    for def in &reservation_service::store::ALL {
        def.check_cloudformation(repo(path))
            .unwrap_or_else(|e| panic!("{}: {e}", def.name));
    }
}

/// The Kubernetes configmap is a complete production configuration (the binary starts with it
/// and nothing else), and it publishes to the bus the IAM policy allows.
#[test]
fn the_deployed_configuration_starts_in_production() {
    let configmap = read("deploy/k8s/configmap.yaml");
    let vars: std::collections::HashMap<String, String> = configmap
        .split("\ndata:\n")
        .nth(1)
        .expect("the configmap has data")
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once(':')?;
            Some((
                key.trim().to_owned(),
                value.trim().trim_matches('"').to_owned(),
            ))
        })
        .collect();
    let settings = Settings::from_vars(&|name| vars.get(name).cloned())
        .unwrap_or_else(|e| panic!("deploy/k8s/configmap.yaml: {e}"));
    assert_eq!(settings.app_env, AppEnv::Production);
    assert!(matches!(settings.payment, PaymentSettings::Http { .. }));
    let bus = settings
        .outbox
        .events
        .bus()
        .expect("events go to EventBridge");
    let policy: serde_json::Value =
        serde_json::from_str(&read("deploy/iam-policy.json")).expect("the policy is JSON");
    let publish = policy["Statement"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["Action"][0] == "events:PutEvents"))
        .expect("the policy allows PutEvents");
    assert_eq!(
        publish["Resource"][0],
        format!("arn:aws:events:REGION:ACCOUNT_ID:event-bus/{bus}"),
        "deploy/iam-policy.json does not allow PutEvents on {bus}"
    );
    assert_eq!(
        publish["Condition"]["StringEquals"]["events:source"], settings.outbox.source,
        "deploy/iam-policy.json allows PutEvents for another source than the configmap's"
    );
}

/// `docs/events.md` documents every event the service publishes with every field of its
/// payload, and the envelope.
#[test]
fn events_are_documented() {
    let docs = read("docs/events.md");
    for field in ["outbox_id", "type", "occurred_at", "data"] {
        assert!(
            docs.contains(&format!("`{field}`")),
            "the envelope's {field}"
        );
    }
    for (event_type, example) in reservation_service::domain::events::examples() {
        let heading = format!("## `{event_type}`");
        let section = docs
            .split(&heading)
            .nth(1)
            .unwrap_or_else(|| panic!("docs/events.md has no section {heading}"));
        let section = section.split("\n## ").next().unwrap_or_default();
        for field in example.as_object().expect("an object").keys() {
            assert!(
                section.contains(&format!("`{field}`")),
                "docs/events.md does not document {field} of {event_type}"
            );
        }
    }
}

/// The table in `path` that starts with `header` (up to the first blank line) is `current`,
/// what the code renders (`what` it is, for the message); `UPDATE_FIXTURES=1` rewrites it.
fn assert_table(path: &str, header: &str, current: &str, what: &str) {
    let docs = read(path);
    let start = docs
        .find(header)
        .unwrap_or_else(|| panic!("{path} has no table of {what}"));
    let end = docs[start..]
        .find("\n\n")
        .map_or(docs.len(), |at| start + at + 1);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let updated = format!("{}{current}{}", &docs[..start], &docs[end..]);
        std::fs::write(repo(path), updated).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    } else {
        assert!(
            docs[start..end] == *current,
            "{path}'s table of {what} differs from the code; run \
             `UPDATE_FIXTURES=1 cargo test -p dynamo-sync-tests` and commit it"
        );
    }
}

/// `docs/scale.md`'s table of each journey's writes and units is the one the domain's plans
/// price (`domain::cost::journeys_table`).
#[test]
fn journey_budgets_are_documented_as_priced() {
    let table = reservation_service::domain::cost::journeys_table();
    assert_table("docs/scale.md", "| journey | writes", &table, "journeys");
}

/// `docs/operations.md`'s table of variables is the one the settings' declarations render (name,
/// default, meaning and range, each written once in the code), and the Kubernetes configmap sets
/// only variables the service reads.
#[test]
fn configuration_is_documented_and_deployed_as_read() {
    let header = "| variable | default | meaning |";
    assert_table(
        "docs/operations.md",
        header,
        &variables_table(),
        "variables",
    );
    let configmap = read("deploy/k8s/configmap.yaml");
    let data = configmap
        .split("\ndata:\n")
        .nth(1)
        .expect("the configmap has data");
    let variables = variables();
    for line in data
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
    {
        let key = line.trim().split(':').next().unwrap_or_default();
        assert!(
            variables.iter().any(|v| v.name == key),
            "deploy/k8s/configmap.yaml sets {key}, which the service does not read"
        );
    }
}

/// The gRPC client and server of `inventory.proto`, generated without `protoc` (protox parses
/// the file): the committed code is what the proto generates.
#[test]
fn inventory_grpc_code() {
    let proto = repo("reservation-service/proto");
    let descriptors = protox::compile(["inventory/v1/inventory.proto"], [&proto])
        .unwrap_or_else(|e| panic!("inventory.proto does not compile: {e}"));
    let out = std::env::temp_dir().join(format!("inventory-proto-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("temporary directory");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .build_transport(false)
        .emit_rerun_if_changed(false)
        .out_dir(&out)
        .compile_fds(descriptors)
        .expect("generates");
    let generated = std::fs::read_to_string(out.join("inventory.v1.rs")).expect("generated file");
    let _ = std::fs::remove_dir_all(&out);
    assert_generated(
        "reservation-service/src/services/inventory/inventory.v1.rs",
        &generated,
    );
}

/// The Helm chart renders the manifests of `deploy/k8s` (with kustomize's image pin applied):
/// the chart's defaults are that deployment. `helm` is not installable from the registries
/// these machines reach, so the test renders the subset of Go templates the chart uses
/// ([`helm::render`]); it refuses anything else, so the chart cannot drift into syntax the
/// test does not check.
#[test]
fn helm_chart_renders_the_kubernetes_manifests() {
    let chart = "deploy/helm/reservation-service";
    let values: serde_norway::Value =
        serde_norway::from_str(&read(&format!("{chart}/values.yaml"))).expect("values.yaml");
    let kustomization: serde_norway::Value =
        serde_norway::from_str(&read("deploy/k8s/kustomization.yaml")).expect("kustomization");
    let image = &kustomization["images"][0];
    let pinned = format!(
        "{}@{}",
        image["newName"].as_str().expect("newName"),
        image["digest"].as_str().expect("digest")
    );
    let resources = kustomization["resources"].as_sequence().expect("resources");
    assert!(!resources.is_empty());
    for manifest in resources {
        let manifest = manifest.as_str().expect("a file name");
        let template = read(&format!("{chart}/templates/{manifest}"));
        let rendered = dynamo_sync_tests::helm::render(&template, &values)
            .unwrap_or_else(|e| panic!("{chart}/templates/{manifest}: {e}"));
        let rendered: serde_json::Value = serde_norway::from_str(&rendered)
            .unwrap_or_else(|e| panic!("{manifest} renders invalid YAML: {e}\n{rendered}"));
        let mut expected: serde_json::Value =
            serde_norway::from_str(&read(&format!("deploy/k8s/{manifest}"))).expect("manifest");
        if let Some(containers) = expected
            .pointer_mut("/spec/template/spec/containers")
            .and_then(serde_json::Value::as_array_mut)
        {
            for container in containers {
                if container["image"] == image["name"].as_str().expect("name") {
                    container["image"] = serde_json::Value::String(pinned.clone());
                }
            }
        }
        assert_eq!(
            rendered, expected,
            "the chart's {manifest} differs from deploy/k8s/{manifest}"
        );
    }
}

/// `docker-compose.yml` runs the service on the open emulator (moto, with the launcher and the
/// pinned versions `make test` uses), with commands the binary has and settings it reads.
#[test]
fn docker_compose_runs_real_commands_with_known_settings() {
    use clap::Parser as _;
    let compose: serde_json::Value =
        serde_norway::from_str(&read("docker-compose.yml")).expect("docker-compose.yml");
    let services = compose["services"].as_object().expect("services");
    let emulator = services["dynamodb"]["command"].to_string();
    assert!(
        emulator.contains("-r moto.txt") && emulator.contains("emulator.py"),
        "{emulator}"
    );
    let ours: Vec<_> = services
        .iter()
        .filter(|(_, s)| s["image"] == "reservation-service:local")
        .collect();
    assert!(ours.iter().any(|(name, _)| *name == "reservation-service"));
    for (name, service) in ours {
        let command: Vec<&str> = service["command"]
            .as_array()
            .expect("command")
            .iter()
            .map(|arg| arg.as_str().expect("string"))
            .collect();
        let args = std::iter::once("reservation-service").chain(command.iter().copied());
        if let Err(e) = reservation_service::cli::Cli::try_parse_from(args) {
            panic!("service {name}: {command:?} is not a command of the binary: {e}");
        }
        for key in service["environment"]
            .as_object()
            .expect("environment")
            .keys()
        {
            assert!(
                key.starts_with("AWS_") || variables().iter().any(|v| v.name == key),
                "service {name} sets {key}, which the service does not read"
            );
        }
        assert_eq!(service["environment"]["APP_ENV"], "local");
    }
}

/// The pods carry no Kubernetes API token, and the NetworkPolicy lets in only the ingress
/// controller and the scraper, on the HTTP port, and lets out DNS and exactly the ports of the
/// URLs the configmap names (AWS and the identity provider on 443).
#[test]
fn the_pods_are_fenced_and_reach_every_dependency() {
    let yaml = |file: &str| -> serde_json::Value {
        serde_norway::from_str(&read(&format!("deploy/k8s/{file}"))).expect(file)
    };
    let (deployment, account, policy) = (
        yaml("deployment.yaml"),
        yaml("serviceaccount.yaml"),
        yaml("networkpolicy.yaml"),
    );
    let pod = &deployment["spec"]["template"];
    assert_eq!(pod["spec"]["automountServiceAccountToken"], false);
    assert_eq!(account["automountServiceAccountToken"], false);
    assert_eq!(
        policy["spec"]["podSelector"]["matchLabels"],
        pod["metadata"]["labels"]
    );
    let ingress: Vec<&serde_json::Value> = policy["spec"]["ingress"]
        .as_array()
        .expect("ingress")
        .iter()
        .map(|rule| &rule["ports"])
        .collect();
    assert_eq!(
        ingress,
        [
            &serde_json::json!([{"port": "http"}]),
            &serde_json::json!([{"port": "management"}])
        ],
        "the API's port for the ingress controller, the management port for the scraper"
    );
    // Probes and the scraper use the management port, which the Service does not expose.
    let container = &pod["spec"]["containers"][0];
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        assert_eq!(container[probe]["httpGet"]["port"], "management", "{probe}");
    }
    let management = container["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|p| p["name"] == "management")
        .expect("a management port");
    let configmap = yaml("configmap.yaml");
    assert_eq!(
        configmap["data"]["MANAGEMENT_PORT"].as_str(),
        Some(management["containerPort"].to_string().as_str())
    );
    assert_eq!(
        pod["metadata"]["annotations"]["prometheus.io/port"],
        management["containerPort"].to_string()
    );
    let service = yaml("service.yaml");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");
    assert_eq!(service["spec"]["ports"].as_array().map(Vec::len), Some(1));

    let allowed: Vec<(u64, &str)> = policy["spec"]["egress"]
        .as_array()
        .expect("egress")
        .iter()
        .flat_map(|rule| rule["ports"].as_array().expect("ports"))
        .map(|p| {
            let port = p["port"].as_u64().expect("a port number");
            (port, p["protocol"].as_str().unwrap_or("TCP"))
        })
        .collect();
    assert!(
        allowed.contains(&(53, "UDP")) && allowed.contains(&(53, "TCP")),
        "DNS"
    );
    assert!(allowed.contains(&(443, "TCP")), "AWS endpoints");
    let mut needed: Vec<(u64, String)> = configmap["data"]
        .as_object()
        .expect("data")
        .iter()
        .filter_map(|(name, value)| {
            let url = value.as_str()?;
            let (scheme, rest) = url.split_once("://")?;
            let host = rest.split('/').next()?;
            let port = match host.rsplit_once(':') {
                Some((_, port)) => port.parse().ok()?,
                None if scheme == "https" => 443,
                None => 80,
            };
            Some((port, name.clone()))
        })
        .collect();
    needed.sort();
    assert!(needed.len() >= 4, "{needed:?}");
    for (port, name) in needed {
        assert!(
            allowed.contains(&(port, "TCP")),
            "{name} needs port {port}, which deploy/k8s/networkpolicy.yaml does not let out"
        );
    }
    let used: Vec<u64> = allowed.iter().map(|(port, _)| *port).collect();
    assert_eq!(used, [53, 53, 443, 8080, 8031, 4318], "no port nobody uses");
}

/// Every image the service is built from or deployed as is pinned by digest: the Dockerfile's
/// stages, the kustomization's image and the Helm chart's.
#[test]
fn images_are_pinned_by_digest() {
    let is_digest = |digest: &str| {
        digest.strip_prefix("sha256:").is_some_and(|hex| {
            hex.len() == 64
                && hex
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_uppercase())
        })
    };
    let dockerfile = read("Dockerfile");
    let stages: Vec<&str> = dockerfile
        .lines()
        .filter_map(|line| line.strip_prefix("FROM "))
        .collect();
    assert_eq!(stages.len(), 2, "the build and the runtime stage");
    for stage in stages {
        let image = stage.split_whitespace().next().unwrap_or_default();
        let digest = image.split_once('@').map(|(_, digest)| digest);
        assert!(
            digest.is_some_and(is_digest),
            "Dockerfile: `FROM {stage}` is not pinned by digest (image@sha256:...)"
        );
    }
    let kustomization: serde_json::Value =
        serde_norway::from_str(&read("deploy/k8s/kustomization.yaml")).expect("kustomization");
    for image in kustomization["images"].as_array().expect("images") {
        assert!(image["digest"].as_str().is_some_and(is_digest), "{image}");
        assert!(image.get("newTag").is_none(), "{image}");
    }
    let template = read("deploy/helm/reservation-service/templates/deployment.yaml");
    assert!(
        template.contains("image: \"{{ .Values.image.repository }}@{{ .Values.image.digest }}\"")
    );
}
