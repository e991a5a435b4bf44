//! Operations: health, readiness, trace ids, metrics, and the start-up schema check.

use crate::helpers::*;
use dynamo_core::testing::Emulator;
use dynamo_core::{KeyDef, TableDef};
use reqwest::StatusCode;
use reservation_service::startup::check_schemas;
use reservation_service::store::{ALL, TableNames};

#[tokio::test]
async fn health_ready_and_trace_ids() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(format!("{}/health", app.base))
        .header("x-trace-id", "abc-123")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-trace-id"], "abc-123");
    let (status, body, _) = read(
        app.http
            .get(format!("{}/ready", app.base))
            .send()
            .await
            .expect("answers"),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("READY"))
    );
    let response = app
        .http
        .get(format!("{}/v1/reservations/rsv_x", app.base))
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .send()
        .await
        .expect("answers");
    let (_, body, _) = read(response).await;
    assert_eq!(
        body["error"]["trace_id"],
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
}

#[tokio::test]
async fn metrics_count_requests_statuses_idempotency_and_dynamodb_calls() {
    let app = TestApp::spawn().await;
    app.seed("evt_1", ["M-1".to_string()]).await;
    let (status, _, _) = app.hold("alice", "k1", "evt_1", &["M-1"]).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = app.hold("alice", "k1", "evt_1", &["M-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "replayed");
    let (status, _, _) = app.get("/v1/reservations/rsv_unknown1", "alice").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let text = app.metrics_text().await;
    for expected in [
        r#"http_requests_total{method="POST",route="/v1/reservations",status="201"} 2"#,
        r#"http_requests_total{method="GET",route="/v1/reservations/{id}",status="404"} 1"#,
        r#"http_request_duration_seconds_count{method="POST",route="/v1/reservations",status="201"} 2"#,
        r#"reservation_status_total{status="HOLD"} 1"#,
        r#"idempotency_requests_total{outcome="executed"} 1"#,
        r#"idempotency_requests_total{outcome="replayed"} 1"#,
        r#"dynamodb_request_duration_seconds_count{operation="TransactWriteItems",outcome="ok"} 1"#,
        "# TYPE outbox_lag_seconds gauge",
        // Micrometer's families, as the Spring service's dashboards read them.
        r#"http_server_requests_seconds_count{uri="/v1/reservations",method="POST",status="201",outcome="SUCCESS"} 2"#,
        r#"http_server_requests_seconds_count{uri="/v1/reservations/{id}",method="GET",status="404",outcome="CLIENT_ERROR"} 1"#,
        r#"service_method_duration_seconds_count{class="Reservations",method="hold",outcome="ok"} 2"#,
        r#"service_method_duration_seconds_count{class="Reservations",method="get",outcome="error"} 1"#,
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

/// Every answer, success or error, says it is not to be sniffed or stored.
#[tokio::test]
async fn answers_are_neither_sniffed_nor_stored() {
    let app = TestApp::spawn().await;
    app.seed("evt_1", ["N-1".to_string()]).await;
    let id = app.reservation_id("alice", "k1", &["N-1"]).await;
    for (path, expected) in [
        (format!("/v1/reservations/{id}"), StatusCode::OK),
        (
            "/v1/reservations/rsv_unknown1".to_owned(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let response = app
            .http
            .get(format!("{}{path}", app.base))
            .bearer_auth(app.token("alice"))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), expected);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    }
}

/// Metric labels come from a bounded set whatever the requests: an invented method is
/// `OTHER`, an unknown path `unmatched`.
#[tokio::test]
async fn metric_labels_stay_bounded_whatever_the_requests() {
    let app = TestApp::spawn().await;
    for (n, path) in ["/v1/reservations", "/no-such-path-1", "/no-such-path-2"]
        .iter()
        .enumerate()
    {
        let method =
            reqwest::Method::from_bytes(format!("INVENTED{n}").as_bytes()).expect("a method token");
        let response = app
            .http
            .request(method, format!("{}{path}", app.base))
            .send()
            .await
            .expect("answers");
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    let text = app.metrics_text().await;
    assert!(!text.contains("INVENTED"), "a label per method:\n{text}");
    assert!(!text.contains("no-such-path"), "a label per path:\n{text}");
    assert!(
        text.contains(r#"http_requests_total{method="OTHER",route="unmatched",status="404"} 2"#),
        "{text}"
    );
}

/// The Spring Boot actuator paths answer as the endpoints they alias, and Swagger UI is served
/// from the binary for `/v3/api-docs`.
#[tokio::test]
async fn actuator_paths_and_swagger_ui() {
    let app = TestApp::spawn().await;
    let get = |path: &str| {
        let url = format!("{}{path}", app.base);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        async move { http.get(url).send().await.expect("answers") }
    };
    for path in ["/actuator/health", "/actuator/health/liveness"] {
        let (status, body, _) = read(get(path).await).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::OK, Some("UP")),
            "{path}"
        );
    }
    let (status, body, _) = read(get("/actuator/health/readiness").await).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("READY"))
    );
    let response = get("/actuator/prometheus").await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/openmetrics-text")
    );
    let (_, _, text) = read(response).await;
    assert!(
        text.contains("# TYPE http_server_requests_seconds histogram"),
        "{text}"
    );
    let (status, body, _) = read(get("/actuator/metrics").await).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body["names"]
        .as_array()
        .expect("names")
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    // As Spring Boot lists meters: the families that have been recorded.
    for name in [
        "http_server_requests_seconds",
        "http_requests",
        "outbox_lag_seconds",
    ] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }

    let response = get("/swagger-ui.html").await;
    assert!(response.status().is_redirection());
    assert_eq!(response.headers()["location"], "/swagger-ui/");
    let (status, _, html) = read(get("/swagger-ui/").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("swagger-ui"), "{html}");
    let (status, _, init) = read(get("/swagger-ui/swagger-initializer.js").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(init.contains("/v3/api-docs"), "{init}");
    let (status, _, bundle) = read(get("/swagger-ui/swagger-ui-bundle.js").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        bundle.len() > 100_000,
        "the bundle is served from the binary"
    );
}

/// The start-up guard: tables whose keys differ from the entities fail the check, naming the
/// field and the fix.
#[tokio::test]
async fn start_up_refuses_tables_that_do_not_match() {
    let db = Emulator::start().await.expect("starts");
    let wrong = TableDef::new(
        "ticket-reservation-reservations",
        KeyDef::string("reservation_id"),
    )
    .with_sort_key(KeyDef::string("event_id"));
    let others: Vec<TableDef> = ALL
        .iter()
        .copied()
        .filter(|t| t.name != wrong.name)
        .collect();
    db.create_tables(&others).await.expect("created");
    db.create_tables(&[wrong]).await.expect("created");
    let report = check_schemas(db.client(), &TableNames::prefixed(db.prefix()))
        .await
        .expect_err("mismatch");
    let text = report.to_string();
    assert!(text.contains("to attribute \"pk\", but table"), "{text}");
    assert!(
        text.contains("has partition key \"reservation_id\""),
        "{text}"
    );
    assert_eq!(report.failures.len(), 1, "{text}");
}

#[tokio::test]
async fn a_management_port_takes_the_operational_endpoints_off_the_public_one() {
    let app = TestApp::builder()
        .settings(|s| s.server.management_port = Some(0))
        .spawn()
        .await;
    let management = app.management.clone().expect("a management port");
    let status = |base: &str, path: &str| {
        let request = app.http.get(format!("{base}{path}")).send();
        async move { request.await.expect("answers").status().as_u16() }
    };
    for path in [
        "/metrics",
        "/ready",
        "/actuator/prometheus",
        "/actuator/health",
        "/v3/api-docs",
        "/swagger-ui/",
    ] {
        assert_eq!(
            status(&app.base, path).await,
            404,
            "{path} on the public port"
        );
        assert_eq!(
            status(&management, path).await,
            200,
            "{path} on the management port"
        );
    }
    assert_eq!(status(&app.base, "/health").await, 200);
    assert_eq!(status(&management, "/health").await, 200);
    // The API is on the public port only.
    let (status_code, _, _) = app.get("/v1/reservations/rsv_unknown", "u1").await;
    assert_eq!(status_code, StatusCode::NOT_FOUND);
    let api = app
        .http
        .get(format!("{management}/v1/reservations/rsv_unknown"))
        .bearer_auth(app.token("u1"))
        .send()
        .await
        .expect("answers");
    let body: serde_json::Value = api.json().await.expect("json");
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.contains("reservation")),
        "no such route, not no such reservation: {body}"
    );
}

/// The DescribeTable requests the service has sent, by its metrics.
fn describe_tables(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("dynamodb_request_duration_seconds_count{")
                && l.contains(r#"operation="DescribeTable""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// `/ready` answers from a cache whatever it says: a failing check is made again only after
/// 2 s on the service's clock, however often it is asked (each check is a DescribeTable per
/// table).
#[tokio::test]
async fn a_failing_readiness_is_cached_too() {
    let app = TestApp::builder().without_tables().spawn().await;
    let (status, body, _) = app.get("/ready", "ops").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let once = describe_tables(&app.metrics_text().await);
    assert!(once > 0, "the first check describes the tables");
    for _ in 0..5 {
        let (status, _, _) = app.get("/ready", "ops").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(describe_tables(&app.metrics_text().await), once, "cached");
    app.clock.advance(std::time::Duration::from_secs(2));
    let (status, _, _) = app.get("/ready", "ops").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        describe_tables(&app.metrics_text().await),
        2 * once,
        "checked again"
    );
}
