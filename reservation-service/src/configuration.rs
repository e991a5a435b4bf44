//! The service's settings, from the environment only, validated at start-up: each part of the
//! service declares and reads its own ([`crate::setting`]); this module gathers them, decides
//! production or local (`APP_ENV`), and reports every problem at once.

use crate::auth::{AdmissionSettings, JwtSettings};
use crate::outbox::OutboxSettings;
use crate::resilience::ResilienceSettings;
use crate::services::inventory::InventorySettings;
use crate::services::{PaymentSettings, ReservationSettings};
use crate::setting::{Decimal, Described, Env, Number, Var};
use crate::store::StoreSettings;
use crate::telemetry::TelemetrySettings;
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

const PORT: Number = Number::count("PORT", 8080, 0, 65_535, "HTTP port");
const MANAGEMENT_PORT: Described = Described::new(
    "MANAGEMENT_PORT",
    "(unset: on PORT)",
    "a port of its own for `/metrics`, `/actuator/*`, `/ready`, `/v3/api-docs` and Swagger UI, which `PORT` then no longer serves (`/health` stays on both); Spring's `management.server.port`",
);
const APP_ENV: Described = Described::new(
    "APP_ENV",
    "production",
    "`local` allows development defaults (dev JWT secret, any admission token, simulated payments, logged events); anything else is production",
);
const REQUEST_TIMEOUT: Number = Number::millis(
    "REQUEST_TIMEOUT_MS",
    5000,
    100,
    60_000,
    "per-request deadline, then 504 UPSTREAM_TIMEOUT; with PAYMENT_MODE=http at least two PAYMENT_TIMEOUT_MS and a second (a confirmation whose payment was approved finishes after the deadline too)",
);
const HEADER_READ_TIMEOUT: Number = Number::millis(
    "HEADER_READ_TIMEOUT_MS",
    10_000,
    100,
    120_000,
    "how long a connection may take to send a request's headers before it is closed (slow clients hold no connection for long)",
);
const MAX_CONNECTIONS: Number = Number::count(
    "MAX_CONNECTIONS",
    10_000,
    1,
    1_000_000,
    "open HTTP connections per replica; more wait to be accepted until one closes",
);
const RATE_LIMIT_PER_USER: Decimal = Decimal::new(
    "RATE_LIMIT_PER_USER",
    20,
    1_000_000,
    "requests per second per user, burst twice that; 0 disables",
);
const RATE_LIMIT_PER_IP: Decimal = Decimal::new(
    "RATE_LIMIT_PER_IP",
    5,
    1_000_000,
    "requests per second per client address with a missing or invalid token, burst twice that, counted before a token is verified; 0 disables",
);
const TRUSTED_PROXY_HOPS: Number = Number::count(
    "TRUSTED_PROXY_HOPS",
    0,
    0,
    10,
    "proxies in front of the service that append to X-Forwarded-For (e.g. 1 behind an ingress controller): the client address is the entry that many from the right; 0 uses the connection's peer",
);
const RATE_LIMIT_GLOBAL: Decimal = Decimal::new(
    "RATE_LIMIT_GLOBAL",
    2000,
    10_000_000,
    "requests per second per replica, burst twice that; 0 disables",
);

/// Every environment variable the service reads, in the order `docs/operations.md` lists them
/// (a test renders the table from these and compares). Start-up warns about unknown variables
/// that look like one of these (a typo would otherwise silently keep the default).
pub fn variables() -> Vec<Var> {
    [
        &[PORT.var(), MANAGEMENT_PORT.var(), APP_ENV.var()][..],
        &crate::store::settings::VARIABLES,
        &crate::auth::settings::VARIABLES,
        &crate::services::payment::VARIABLES,
        &crate::services::inventory::VARIABLES,
        &crate::resilience::VARIABLES,
        &crate::telemetry::VARIABLES,
        &crate::services::reservations::VARIABLES,
        &[
            REQUEST_TIMEOUT.var(),
            HEADER_READ_TIMEOUT.var(),
            MAX_CONNECTIONS.var(),
            RATE_LIMIT_PER_USER.var(),
            RATE_LIMIT_GLOBAL.var(),
            RATE_LIMIT_PER_IP.var(),
            TRUSTED_PROXY_HOPS.var(),
        ],
        &crate::outbox::VARIABLES,
        &crate::workers::VARIABLES[..1],
        &crate::outbox::RELAY_VARIABLES,
        &crate::workers::VARIABLES[1..],
        &crate::store::settings::CLIENT_VARIABLES,
        &crate::telemetry::LOG_VARIABLES,
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
    const FAMILIES: [&str; 22] = [
        "INVENTORY_",
        "CIRCUIT_",
        "BULKHEAD_",
        "OTLP_",
        "APP_",
        "RESOURCE_",
        "PAYMENT_",
        "PORT",
        "TABLE_",
        "JWT_",
        "JWKS_",
        "ADMISSION_",
        "HOLD_",
        "MAX_SEATS",
        "IDEMPOTENCY_",
        "REQUEST_TIMEOUT",
        "RATE_LIMIT",
        "EVENT_",
        "EVENTBRIDGE_",
        "OUTBOX_",
        "RELAY_",
        "SWEEP_",
    ];
    let variables = variables();
    let known = |name: &str| variables.iter().any(|v| v.name == name);
    names
        .filter(|k| {
            (FAMILIES.iter().any(|f| k.starts_with(f)) || k.starts_with("DYNAMODB_"))
                && !known(k)
                && k != "DYNAMODB_LOCAL_HOME"
                && k != "DYNAMODB_LOCAL_PORT"
        })
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
    /// `APP_ENV`: production unless it is `local`.
    pub app_env: AppEnv,
    /// `PORT` (8080).
    pub port: u16,
    /// `MANAGEMENT_PORT`: the operational endpoints' own port (0: any free one); unset, they
    /// are on `port`.
    pub management_port: Option<u16>,
    /// `REQUEST_TIMEOUT_MS` (5000): a request's deadline.
    pub request_timeout: Duration,
    /// `HEADER_READ_TIMEOUT_MS` (10000): how long a connection may take to send a request's
    /// headers.
    pub header_read_timeout: Duration,
    /// `MAX_CONNECTIONS` (10000): open HTTP connections per replica.
    pub max_connections: usize,
    /// `RATE_LIMIT_PER_USER` requests per second per user (20; burst twice that; 0 disables).
    pub rate_per_user: f64,
    /// `RATE_LIMIT_GLOBAL` requests per second per replica (2000; burst twice that; 0
    /// disables).
    pub rate_global: f64,
    /// `RATE_LIMIT_PER_IP` requests per second per client address with a missing or invalid
    /// token (5; burst twice that; 0 disables).
    pub rate_per_ip: f64,
    /// `TRUSTED_PROXY_HOPS` (0): the proxies that append to `X-Forwarded-For`.
    pub trusted_proxy_hops: usize,
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
    /// What `APP_ENV=local` with nothing else set gives: the development JWT secret, any
    /// admission token, simulated payments, logged events, every other setting at its
    /// default. For tests and tools; never what the binary does unless told (`from_env`
    /// defaults to production).
    pub fn local() -> Self {
        Settings::read(
            &|name| match name {
                "APP_ENV" => Some("local".to_owned()),
                "DYNAMODB_ENDPOINT" => Some("http://127.0.0.1:8000".to_owned()),
                _ => None,
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

    /// Reads settings from `get` (a variable's value by name): production unless `APP_ENV` is
    /// `local`, and in production every security setting must be configured. Every problem is
    /// reported at once.
    pub fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(get, true)
    }

    fn read(get: &dyn Fn(&str) -> Option<String>, to_serve: bool) -> Result<Self, ConfigError> {
        let local = get(APP_ENV.name()).is_some_and(|v| v.trim() == "local");
        let mut env = Env::new(get, local);
        let port = env.count(&PORT);
        let settings = Settings {
            app_env: if local {
                AppEnv::Local
            } else {
                AppEnv::Production
            },
            port,
            management_port: management_port(&mut env, port),
            request_timeout: env.duration(&REQUEST_TIMEOUT),
            header_read_timeout: env.duration(&HEADER_READ_TIMEOUT),
            max_connections: env.count(&MAX_CONNECTIONS),
            rate_per_user: env.decimal(&RATE_LIMIT_PER_USER),
            rate_global: env.decimal(&RATE_LIMIT_GLOBAL),
            rate_per_ip: env.decimal(&RATE_LIMIT_PER_IP),
            trusted_proxy_hops: env.count(&TRUSTED_PROXY_HOPS),
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
        // The grace keeps seats from everybody else: no longer than a confirmation can take
        // after its payment call started (two attempts, then its own writes).
        if let PaymentSettings::Http { timeout, .. } = &settings.payment {
            let longest = timeout.saturating_mul(2) + Duration::from_secs(1);
            if settings.reservations.hold_grace > longest {
                env.problem(format!(
                    "HOLD_GRACE_SECONDS={} is longer than a confirmation can take after its payment call starts ({} s: two attempts of PAYMENT_TIMEOUT_MS={} and a second for its writes): seats would stay kept for nobody",
                    settings.reservations.hold_grace.as_secs(),
                    longest.as_secs_f64().ceil(),
                    timeout.as_millis(),
                ));
            }
            // A confirmation whose payment was approved finishes whatever the deadline (it runs
            // detached from the request), but its caller should hear how it ended.
            if settings.request_timeout < longest {
                env.problem(format!(
                    "REQUEST_TIMEOUT_MS={} is shorter than a confirmation can take ({} ms: two attempts of PAYMENT_TIMEOUT_MS={} and a second for its writes): its callers would time out on payments that go through",
                    settings.request_timeout.as_millis(),
                    longest.as_millis(),
                    timeout.as_millis(),
                ));
            }
        }
        env.finish(to_serve).map(|()| settings)
    }
}

/// `MANAGEMENT_PORT`, when set: a port number other than `PORT`'s.
fn management_port(env: &mut Env<'_>, public: u16) -> Option<u16> {
    let value = env.raw(&MANAGEMENT_PORT)?;
    match value.parse::<u16>() {
        Ok(port) if port != 0 && port != public => Some(port),
        _ => {
            env.problem(format!(
                "MANAGEMENT_PORT={value:?} is not valid: a port from 1 to 65535 other than PORT"
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests;
