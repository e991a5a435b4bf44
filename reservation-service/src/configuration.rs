//! The service's settings, from the environment only, validated at start-up: each part of the
//! service declares and reads its own ([`crate::setting`]); this module gathers them, decides
//! production or local ([`ENVIRONMENT`]), and reports every problem at once.

use crate::auth::{AdmissionSettings, AdmissionVariables, BearerVariables, JwtSettings};
use crate::outbox::{OutboxSettings, OutboxVariables};
use crate::resilience::ResilienceSettings;
use crate::services::inventory::{InventorySettings, InventoryVariables};
use crate::services::payment::PaymentVariables;
use crate::services::{PaymentSettings, ReservationSettings};
use crate::setting::{ENVIRONMENT, Env, Var, settings};
use crate::store::StoreSettings;
use crate::telemetry::{TelemetrySettings, TelemetryVariables};
use crate::workers::WorkerSettings;
use std::time::Duration;

pub use crate::setting::ConfigError;

/// Where the service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// A developer machine: dev defaults allowed.
    Local,
    /// Anything else: every secret must be configured.
    Production,
}

settings! {
    /// The HTTP server: its ports, deadlines and connections, and the rate limits.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct ServerSettings {
        /// HTTP port
        port: u16 = count("PORT", 8080, 0, 65_535),
        /// a port of its own for `/metrics`, `/actuator/*`, `/ready`, `/v3/api-docs` and
        /// Swagger UI, which the API's port then no longer serves (`/health` stays on both);
        /// Spring's `management.server.port`
        management_port: Option<u16> =
            port("MANAGEMENT_PORT", "(required in production; locally unset: on the API's port)"),
        /// per-request deadline, then 504 UPSTREAM_TIMEOUT; with the payment API at least two
        /// of its attempts and a second (a confirmation whose payment was approved finishes
        /// after the deadline too)
        request_timeout: Duration = millis("REQUEST_TIMEOUT_MS", 5000, 100, 60_000),
        /// how long a connection may take to send a request's headers before it is closed
        /// (slow clients hold no connection for long)
        header_read_timeout: Duration = millis("HEADER_READ_TIMEOUT_MS", 10_000, 100, 120_000),
        /// open HTTP connections per replica; more wait to be accepted until one closes
        max_connections: usize = count("MAX_CONNECTIONS", 10_000, 1, 1_000_000),
        /// requests per second per user, burst twice that; 0 disables
        rate_per_user: f64 = decimal("RATE_LIMIT_PER_USER", 20, 1_000_000),
        /// requests per second per replica, burst twice that; 0 disables
        rate_global: f64 = decimal("RATE_LIMIT_GLOBAL", 2000, 10_000_000),
        /// requests per second per client address with a missing or invalid token, burst twice
        /// that, counted before a token is verified; 0 disables
        rate_per_ip: f64 = decimal("RATE_LIMIT_PER_IP", 5, 1_000_000),
        /// proxies in front of the service that append to X-Forwarded-For (e.g. 1 behind an
        /// ingress controller): the client address is the entry that many from the right; 0
        /// uses the connection's peer
        trusted_proxy_hops: usize = count("TRUSTED_PROXY_HOPS", 0, 0, 10),
    }
    checked by ServerSettings::check;
}

impl ServerSettings {
    /// The operational endpoints' port is not the API's, and in production it is set: the
    /// public port then serves no `/ready` (table names and schema differences), `/metrics` or
    /// API document.
    fn check(&self, env: &mut Env<'_>) {
        if self.management_port.is_none() && !env.is_local() {
            let local = env.local();
            env.missing(format!(
                "{} is required outside {local}: without it the public port serves the operational endpoints (readiness with table names, metrics)",
                Self::management_port.name()
            ));
        }
        if self.management_port == Some(self.port) {
            env.problem(format!(
                "{}={} is not valid: a port other than {}",
                Self::management_port.name(),
                self.port,
                Self::port.name()
            ));
        }
    }
}

/// Every environment variable the service reads, block by block, in the order
/// `docs/operations.md` lists them (a test renders the table from these and compares).
/// Start-up warns about unknown variables that look like one of these (a typo would otherwise
/// silently keep the default).
pub fn variables() -> Vec<Var> {
    [
        &[ENVIRONMENT.var()][..],
        ServerSettings::VARIABLES,
        StoreSettings::VARIABLES,
        BearerVariables::VARIABLES,
        AdmissionVariables::VARIABLES,
        PaymentVariables::VARIABLES,
        InventoryVariables::VARIABLES,
        ResilienceSettings::VARIABLES,
        ReservationSettings::VARIABLES,
        OutboxVariables::VARIABLES,
        WorkerSettings::VARIABLES,
        TelemetryVariables::VARIABLES,
    ]
    .concat()
}

/// The table of every variable, as `docs/operations.md` shows it.
pub fn variables_table() -> String {
    let mut table = String::from("| variable | default | meaning |\n|---|---|---|\n");
    for var in variables() {
        table.push_str(&var.row());
        table.push('\n');
    }
    table
}

/// Environment variables that look like settings of this service but are not one: with the
/// closest known name when there is one.
pub fn unknown_variables() -> Vec<(String, Option<&'static str>)> {
    unknown_among(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()))
}

fn unknown_among(names: impl Iterator<Item = String>) -> Vec<(String, Option<&'static str>)> {
    /// Variables of the repository's scripts that reach the service's environment.
    const SCRIPTS: [&str; 2] = ["DYNAMODB_LOCAL_HOME", "DYNAMODB_LOCAL_PORT"];
    let variables = variables();
    let first_word = |name: &str| name.split('_').next().unwrap_or_default().to_owned();
    // The first words of the declared names are this service's, but for those of variables
    // other programs read too (`AWS_`, `OTEL_`, ...).
    let theirs: std::collections::HashSet<String> = variables
        .iter()
        .filter(|v| v.shared)
        .map(|v| first_word(v.name))
        .collect();
    let ours: std::collections::HashSet<String> = variables
        .iter()
        .map(|v| first_word(v.name))
        .filter(|word| !theirs.contains(word))
        .collect();
    let known = |name: &str| variables.iter().any(|v| v.name == name);
    names
        .filter(|k| ours.contains(&first_word(k)) && !known(k) && !SCRIPTS.contains(&k.as_str()))
        .map(|k| {
            let closest = variables
                .iter()
                .map(|v| (v.name, edit_distance(&k, v.name)))
                .filter(|(_, d)| *d <= 3)
                .min_by_key(|(_, d)| *d)
                .map(|(v, _)| v);
            (k, closest)
        })
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The service's settings: each part's own, and the HTTP server's.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Production unless local development.
    pub app_env: AppEnv,
    /// The HTTP server.
    pub server: ServerSettings,
    /// Table names and the DynamoDB client.
    pub store: StoreSettings,
    /// Holds, `Idempotency-Key`s, seats per reservation.
    pub reservations: ReservationSettings,
    /// Bearer tokens.
    pub jwt: JwtSettings,
    /// Admission tokens.
    pub admission: AdmissionSettings,
    /// Payments.
    pub payment: PaymentSettings,
    /// Where seats are held.
    pub inventory: InventorySettings,
    /// Outbox events and the relay.
    pub outbox: OutboxSettings,
    /// The relay and sweeper of this process.
    pub workers: WorkerSettings,
    /// Circuit breakers and bulkheads of the dependencies.
    pub resilience: ResilienceSettings,
    /// Trace export.
    pub telemetry: TelemetrySettings,
}

impl Settings {
    /// What local development with nothing else set gives: the development JWT secret, any
    /// admission token, simulated payments, logged events, every other setting at its
    /// default. For tests and tools; never what the binary does unless told (`from_env`
    /// defaults to production).
    pub fn local() -> Self {
        Settings::read(
            &|name| {
                if name == ENVIRONMENT.name() {
                    Some("local".to_owned())
                } else if name == StoreSettings::endpoint.name() {
                    Some("http://127.0.0.1:8000".to_owned())
                } else {
                    None
                }
            },
            true,
        )
        .expect("every declared default is valid, and local needs no other setting")
    }

    /// How tables are named.
    pub fn table_names(&self) -> crate::store::TableNames {
        self.store.table_names()
    }

    /// Reads the process environment, to serve: see [`Settings::from_vars`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&|name| std::env::var(name).ok())
    }

    /// Reads the process environment for a command that does not serve (`create-tables`,
    /// `migrate`, the exports): values must be valid, but the settings only serving needs may
    /// be absent; what they configure then refuses every request.
    pub fn for_tools_from_env() -> Result<Self, ConfigError> {
        Self::read(&|name| std::env::var(name).ok(), false)
    }

    /// Reads settings from `get` (a variable's value by name): production unless
    /// [`ENVIRONMENT`] is `local`, and in production every security setting must be configured. Every problem is
    /// reported at once.
    pub fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(get, true)
    }

    fn read(get: &dyn Fn(&str) -> Option<String>, to_serve: bool) -> Result<Self, ConfigError> {
        let local = get(ENVIRONMENT.name()).is_some_and(|v| v.trim() == "local");
        let mut env = Env::new(get, local);
        let settings = Settings {
            app_env: if local {
                AppEnv::Local
            } else {
                AppEnv::Production
            },
            server: ServerSettings::read(&mut env),
            store: StoreSettings::read(&mut env),
            reservations: ReservationSettings::read(&mut env),
            jwt: JwtSettings::read(&mut env),
            admission: AdmissionSettings::read(&mut env),
            payment: PaymentSettings::read(&mut env),
            inventory: InventorySettings::read(&mut env),
            outbox: OutboxSettings::read(&mut env),
            workers: WorkerSettings::read(&mut env),
            resilience: ResilienceSettings::read(&mut env),
            telemetry: TelemetrySettings::read(&mut env),
        };
        settings.check_confirmation_times(&mut env);
        settings.check_secrets(&mut env);
        env.finish(to_serve).map(|()| settings)
    }

    /// Outside local development, no secret is one anybody can read (the development secret
    /// this repository publishes), and the bearer and admission secrets differ (otherwise an
    /// admission token would verify as a bearer token, and the reverse).
    fn check_secrets(&self, env: &mut Env<'_>) {
        if env.is_local() {
            return;
        }
        let local = env.local();
        let (bearer, admission) = (self.jwt.hs256_secret(), self.admission.secret());
        let named = [
            (BearerVariables::hs256_secret.name(), bearer),
            (AdmissionVariables::hs256_secret.name(), admission),
        ];
        for (name, secret) in named {
            if secret == Some(crate::auth::DEV_JWT_SECRET) {
                env.problem(format!(
                    "{name} is the development secret this repository publishes: refused outside {local}"
                ));
            }
        }
        if bearer.is_some() && bearer == admission {
            env.problem(format!(
                "{} and {} are the same secret: an admission token would verify as a bearer token; set two different secrets",
                named[0].0, named[1].0
            ));
        }
    }

    /// A confirmation's payment call bounds two settings: the grace keeps seats from
    /// everybody else no longer than a confirmation can take after its payment call started
    /// (two attempts, then its own writes); and a confirmation whose payment was approved
    /// finishes whatever the deadline (it runs detached from the request), but its caller
    /// should hear how it ended.
    fn check_confirmation_times(&self, env: &mut Env<'_>) {
        let PaymentSettings::Http { timeout, .. } = &self.payment else {
            return;
        };
        let longest = timeout.saturating_mul(2) + Duration::from_secs(1);
        let attempts = format!(
            "two attempts of {}={} and a second for its writes",
            PaymentVariables::timeout.name(),
            timeout.as_millis()
        );
        let grace = self.reservations.hold_grace;
        if grace > longest {
            env.problem(format!(
                "{}={} is longer than a confirmation can take after its payment call starts ({} s: {attempts}): seats would stay kept for nobody",
                ReservationSettings::hold_grace.name(),
                grace.as_secs(),
                longest.as_secs_f64().ceil(),
            ));
        }
        let deadline = self.server.request_timeout;
        if deadline < longest {
            env.problem(format!(
                "{}={} is shorter than a confirmation can take ({} ms: {attempts}): its callers would time out on payments that go through",
                ServerSettings::request_timeout.name(),
                deadline.as_millis(),
                longest.as_millis(),
            ));
        }
    }
}

#[cfg(test)]
mod tests;
