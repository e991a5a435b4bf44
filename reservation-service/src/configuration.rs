//! Settings, from the environment only, validated at start-up.

use std::time::Duration;

/// The development secret, used only when `APP_ENV=local` and no bearer token setting is given.
pub const DEV_JWT_SECRET: &str = "local-development-secret-do-not-use-in-production";

/// Where the service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// A developer machine: dev defaults allowed.
    Local,
    /// Anything else: every secret must be configured.
    Production,
}

/// Every environment variable the service reads: name, default, meaning. `docs/operations.md`
/// documents each (a test checks it), and start-up warns about unknown variables that look like
/// one of these (a typo would otherwise silently keep the default).
pub const VARIABLES: [(&str, &str, &str); 42] = [
    ("PORT", "8080", "HTTP port"),
    (
        "APP_ENV",
        "production",
        "`local` allows development defaults (dev JWT secret, any admission token, simulated payments, logged events); anything else is production",
    ),
    (
        "AWS_REGION",
        "(required)",
        "region of the tables (`AWS_DEFAULT_REGION` also works)",
    ),
    (
        "DYNAMODB_ENDPOINT",
        "(AWS)",
        "DynamoDB Local's URL, e.g. `http://localhost:8000`; unset on AWS",
    ),
    (
        "TABLE_PREFIX",
        "(empty)",
        "prepended to every table name, e.g. `dev-`",
    ),
    (
        "RESOURCE_NAME",
        "ticket",
        "the infrastructure module's `name`: tables are `<RESOURCE_NAME>-reservation-*`",
    ),
    (
        "JWT_ISSUER_URI",
        "(unset)",
        "OIDC issuer: keys found through `/.well-known/openid-configuration`, `iss` must equal it",
    ),
    (
        "JWKS_URL",
        "(unset)",
        "verify RS256 tokens with the keys at this URL (instead of discovery)",
    ),
    (
        "JWT_ISSUER",
        "(unset)",
        "when set, tokens must carry this `iss` (with `JWKS_URL` or `JWT_HS256_SECRET`)",
    ),
    (
        "JWT_AUDIENCE",
        "(unset)",
        "when set, tokens must carry it in `aud`; unset, `aud` is not checked",
    ),
    (
        "JWT_HS256_SECRET",
        "dev secret when local",
        "HS256 token secret (32+ characters); one of `JWT_ISSUER_URI`, `JWKS_URL`, `JWT_HS256_SECRET` is required outside local",
    ),
    (
        "ADMISSION_VERIFY_URL",
        "(unset)",
        "the waiting room's verification endpoint for `reservation_token`",
    ),
    (
        "ADMISSION_HS256_SECRET",
        "(unset)",
        "secret of signed admission tokens (32+ characters); this or `ADMISSION_VERIFY_URL` is required outside local",
    ),
    (
        "PAYMENT_MODE",
        "http (simulated when local)",
        "`http`: ask the payment API; `simulated`: approve every id not starting with `pay_declined`",
    ),
    (
        "PAYMENT_API_URL",
        "(required for http)",
        "base URL of the payment API, e.g. `http://payment-sim-api:8031`",
    ),
    (
        "PAYMENT_TIMEOUT_MS",
        "2000",
        "per-attempt payment API timeout (100 to 30000)",
    ),
    (
        "INVENTORY_GRPC_ADDRESS",
        "(unset: the seats table)",
        "inventory-api's gRPC address, e.g. `http://inventory-api:9090`: seats are held and released there instead of in DynamoDB",
    ),
    (
        "INVENTORY_TIMEOUT_MS",
        "200",
        "deadline of each inventory call (10 to 249: seed 003 asks for less than 250 ms)",
    ),
    (
        "CIRCUIT_BREAKER_FAILURES",
        "5",
        "consecutive failures of a dependency (payment, inventory, EventBridge, waiting room) that open its circuit breaker (1 to 1000)",
    ),
    (
        "CIRCUIT_BREAKER_OPEN_MS",
        "10000",
        "how long an open circuit breaker answers 503 at once before it lets a call through (100 to 600000)",
    ),
    (
        "BULKHEAD_MAX_CONCURRENT",
        "64",
        "calls in flight per dependency and replica; more are answered 503 at once (1 to 10000)",
    ),
    (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "(unset: no traces)",
        "OTLP/HTTP collector, e.g. `http://otel-collector:4318`: traces are exported to `<endpoint>/v1/traces`",
    ),
    (
        "OTLP_ENDPOINT",
        "(unset)",
        "seed 003's name for the collector (e.g. `http://otel-collector:4318/v1/metrics`): its base is used when `OTEL_EXPORTER_OTLP_ENDPOINT` is unset",
    ),
    (
        "OTEL_SERVICE_NAME",
        "reservation-service",
        "the traces' `service.name`",
    ),
    (
        "HOLD_TTL_SECONDS",
        "300",
        "how long a hold keeps its seats (1 to 86400)",
    ),
    (
        "MAX_SEATS_PER_RESERVATION",
        "10",
        "seats per reservation (1 to 97)",
    ),
    (
        "IDEMPOTENCY_TTL_SECONDS",
        "300",
        "how long an Idempotency-Key replays (10 to 86400)",
    ),
    (
        "REQUEST_TIMEOUT_MS",
        "5000",
        "per-request deadline, then 504 UPSTREAM_TIMEOUT (100 to 60000)",
    ),
    (
        "RATE_LIMIT_PER_USER",
        "20",
        "requests per second per user, burst twice that; 0 disables",
    ),
    (
        "RATE_LIMIT_GLOBAL",
        "2000",
        "requests per second per replica, burst twice that; 0 disables",
    ),
    (
        "EVENT_SINK",
        "eventbridge (log when local)",
        "`eventbridge` publishes the outbox events; `log` only logs them (they are then lost to consumers)",
    ),
    (
        "EVENT_BUS_NAME",
        "reservation-events",
        "EventBridge bus of the outbox events",
    ),
    ("EVENT_SOURCE", "ticket.reservation", "the events' `source`"),
    (
        "EVENTBRIDGE_ENDPOINT",
        "(AWS)",
        "an EventBridge emulator's URL",
    ),
    (
        "OUTBOX_MAX_ATTEMPTS",
        "8",
        "publish attempts before an event is FAILED (1 to 100)",
    ),
    (
        "WORKERS",
        "true",
        "run the outbox relay and the hold sweeper in this process",
    ),
    (
        "RELAY_INTERVAL_MS",
        "2000",
        "relay pause when nothing was due; this replica's own changes wake it at once (10 to 60000)",
    ),
    (
        "SWEEP_INTERVAL_SECONDS",
        "5",
        "between sweeps for expired holds (1 to 3600)",
    ),
    (
        "DYNAMODB_TIMEOUT_MS",
        "2000",
        "per-attempt DynamoDB timeout; the whole operation gets twice that (100 to 30000)",
    ),
    (
        "DYNAMODB_MAX_ATTEMPTS",
        "3",
        "DynamoDB attempts per operation, with backoff (1 to 10)",
    ),
    ("LOG_FORMAT", "json", "`pretty` for humans"),
    (
        "RUST_LOG",
        "info",
        "log filter, e.g. `info,reservation_service=debug`",
    ),
];

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
    let known = |name: &str| VARIABLES.iter().any(|(v, _, _)| *v == name);
    names
        .filter(|k| {
            (FAMILIES.iter().any(|f| k.starts_with(f)) || k.starts_with("DYNAMODB_"))
                && !known(k)
                && k != "DYNAMODB_LOCAL_HOME"
                && k != "DYNAMODB_LOCAL_PORT"
        })
        .map(|k| {
            let closest = VARIABLES
                .iter()
                .map(|(v, _, _)| (*v, edit_distance(&k, v)))
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

/// Settings are missing or invalid: every problem found, one per line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

/// How bearer tokens are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerTokens {
    /// HS256 with a shared secret (`JWT_HS256_SECRET`; the development secret when local).
    Hs256 {
        /// The secret, 32 characters or more.
        secret: String,
    },
    /// RS256 with the keys published at a URL (`JWKS_URL`).
    Jwks {
        /// The JWKS URL.
        url: String,
    },
    /// An OIDC issuer (`JWT_ISSUER_URI`): keys through discovery, `iss` equal to it.
    Oidc {
        /// The issuer, e.g. `https://auth.example.com/auth/realms/tickets`.
        issuer_uri: String,
    },
    /// None configured (commands that do not serve): every token is refused.
    Unconfigured,
}

/// Bearer token verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtSettings {
    /// Where the keys come from.
    pub tokens: BearerTokens,
    /// `JWT_ISSUER`: the required `iss` (with OIDC, the issuer itself).
    pub issuer: Option<String>,
    /// `JWT_AUDIENCE`: a value `aud` must hold; unset, `aud` is not checked.
    pub audience: Option<String>,
}

/// How a `reservation_token` is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdmissionSettings {
    /// Any non-empty token (only with `APP_ENV=local`).
    AnyToken,
    /// A JWT signed by the waiting room (`ADMISSION_HS256_SECRET`).
    Signed {
        /// The shared secret.
        secret: String,
    },
    /// Asked of the waiting room (`ADMISSION_VERIFY_URL`).
    Remote {
        /// The verification endpoint.
        url: String,
    },
    /// None configured (commands that do not serve): nobody is admitted.
    Unconfigured,
}

/// How payments are approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentSettings {
    /// Every id not starting with `pay_declined` is approved (`PAYMENT_MODE=simulated`, or
    /// `APP_ENV=local` without `PAYMENT_API_URL`).
    Simulated,
    /// The payment API (`PAYMENT_API_URL`).
    Http {
        /// Base URL.
        url: String,
        /// Per-attempt timeout (`PAYMENT_TIMEOUT_MS`).
        timeout: Duration,
    },
    /// None configured (commands that do not serve): no payment is approved.
    Unconfigured,
}

/// Where the outbox relay publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSettings {
    /// Only logged (`EVENT_SINK=log`, or `APP_ENV=local` without `EVENT_BUS_NAME`): consumers
    /// never see them.
    Log,
    /// EventBridge.
    EventBridge {
        /// `EVENT_BUS_NAME` (`reservation-events`).
        bus: String,
        /// `EVENTBRIDGE_ENDPOINT`: an emulator's URL.
        endpoint: Option<String>,
    },
}

impl EventSettings {
    /// The bus, when events go to one.
    pub fn bus(&self) -> Option<&str> {
        match self {
            EventSettings::Log => None,
            EventSettings::EventBridge { bus, .. } => Some(bus),
        }
    }
}

/// The default of `EVENT_BUS_NAME`: the infrastructure module's bus.
pub const DEFAULT_EVENT_BUS: &str = "reservation-events";

/// The default of `OTEL_SERVICE_NAME`.
pub const DEFAULT_SERVICE_NAME: &str = "reservation-service";

/// The default of `RESOURCE_NAME`: the infrastructure module's `name`.
pub const DEFAULT_RESOURCE_NAME: &str = "ticket";

/// The service's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `APP_ENV`: production unless it is `local`.
    pub app_env: AppEnv,
    /// `PORT` (8080).
    pub port: u16,
    /// `TABLE_PREFIX`, e.g. `dev-` (empty): prepended to every table name.
    pub table_prefix: String,
    /// `RESOURCE_NAME` (`ticket`): the first part of every table name.
    pub resource_name: String,
    /// Bearer tokens.
    pub jwt: JwtSettings,
    /// Admission tokens.
    pub admission: AdmissionSettings,
    /// Payments.
    pub payment: PaymentSettings,
    /// Outbox events.
    pub events: EventSettings,
    /// `EVENT_SOURCE` (`ticket.reservation`): the events' `source`.
    pub event_source: String,
    /// `HOLD_TTL_SECONDS` (300).
    pub hold_ttl: Duration,
    /// `MAX_SEATS_PER_RESERVATION` (10; at most 97 so a transaction stays under 100 items).
    pub max_seats: usize,
    /// `IDEMPOTENCY_TTL_SECONDS` (300).
    pub idempotency_ttl: Duration,
    /// `REQUEST_TIMEOUT_MS` (5000).
    pub request_timeout: Duration,
    /// `RATE_LIMIT_PER_USER` requests per second per user (20; burst twice that; 0 disables).
    pub rate_per_user: f64,
    /// `RATE_LIMIT_GLOBAL` requests per second per instance (2000; burst twice that; 0 disables).
    pub rate_global: f64,
    /// `OUTBOX_MAX_ATTEMPTS` (8): publish attempts before an event is `FAILED`.
    pub outbox_max_attempts: u32,
    /// `WORKERS` (`true`): run the outbox relay and the hold sweeper in this process.
    pub workers: bool,
    /// `RELAY_INTERVAL_MS` (2000): the relay's pause when it found nothing to publish (this
    /// replica's own changes wake it at once).
    pub relay_interval: Duration,
    /// `SWEEP_INTERVAL_SECONDS` (5): between sweeps for expired holds.
    pub sweep_interval: Duration,
    /// `DYNAMODB_TIMEOUT_MS` (2000): per-attempt DynamoDB timeout; an operation gets twice that.
    pub dynamodb_timeout: Duration,
    /// `DYNAMODB_MAX_ATTEMPTS` (3): attempts per DynamoDB operation.
    pub dynamodb_max_attempts: u32,
    /// Where seats are held.
    pub inventory: InventorySettings,
    /// Circuit breakers and bulkheads of the dependencies.
    pub resilience: crate::resilience::ResilienceSettings,
    /// Trace export.
    pub telemetry: TelemetrySettings,
}

/// Where seats are held and released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InventorySettings {
    /// In the service's seats table, in the same transaction as the reservation.
    Seats,
    /// In inventory-api over gRPC (`INVENTORY_GRPC_ADDRESS`).
    Grpc {
        /// `http://host:port`.
        address: axum::http::Uri,
        /// `INVENTORY_TIMEOUT_MS` (200): the deadline of each call.
        timeout: Duration,
    },
}

/// Trace export over OTLP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetrySettings {
    /// The collector's base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`, or `OTLP_ENDPOINT` without its
    /// `/v1/<signal>` path); `None` exports nothing.
    pub otlp_endpoint: Option<String>,
    /// `OTEL_SERVICE_NAME` (`reservation-service`).
    pub service_name: String,
}

impl TelemetrySettings {
    /// Reads the telemetry settings alone (before the rest, so start-up problems are traced):
    /// invalid values are ignored here and reported by [`Settings::from_vars`].
    pub fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Self {
        let mut env = Env {
            get,
            problems: Vec::new(),
            missing: Vec::new(),
        };
        telemetry_settings(&mut env)
    }
}

impl Settings {
    /// What `APP_ENV=local` with nothing else set gives: the development JWT secret, any
    /// admission token, simulated payments, logged events. For tests and tools; never what the
    /// binary does unless told (`from_env` defaults to production).
    pub fn local() -> Self {
        Settings {
            app_env: AppEnv::Local,
            port: 8080,
            table_prefix: String::new(),
            resource_name: DEFAULT_RESOURCE_NAME.to_owned(),
            jwt: JwtSettings {
                tokens: BearerTokens::Hs256 {
                    secret: DEV_JWT_SECRET.to_owned(),
                },
                issuer: None,
                audience: None,
            },
            admission: AdmissionSettings::AnyToken,
            payment: PaymentSettings::Simulated,
            events: EventSettings::Log,
            event_source: "ticket.reservation".to_owned(),
            hold_ttl: Duration::from_secs(300),
            max_seats: 10,
            idempotency_ttl: Duration::from_secs(300),
            request_timeout: Duration::from_secs(5),
            rate_per_user: 20.0,
            rate_global: 2000.0,
            outbox_max_attempts: 8,
            workers: true,
            relay_interval: Duration::from_millis(2000),
            sweep_interval: Duration::from_secs(5),
            dynamodb_timeout: Duration::from_secs(2),
            dynamodb_max_attempts: 3,
            inventory: InventorySettings::Seats,
            resilience: crate::resilience::ResilienceSettings::default(),
            telemetry: TelemetrySettings {
                otlp_endpoint: None,
                service_name: DEFAULT_SERVICE_NAME.to_owned(),
            },
        }
    }

    /// How tables are named.
    pub fn table_names(&self) -> crate::store::TableNames {
        crate::store::TableNames::new(&self.table_prefix, &self.resource_name)
    }

    /// The HS256 secret, when bearer tokens are HS256 (`dev-token`).
    pub fn jwt_secret(&self) -> Option<&str> {
        match &self.jwt.tokens {
            BearerTokens::Hs256 { secret } => Some(secret),
            _ => None,
        }
    }

    /// The admission secret, when admission tokens are signed (`admission-token`).
    pub fn admission_secret(&self) -> Option<&str> {
        match &self.admission {
            AdmissionSettings::Signed { secret } => Some(secret),
            _ => None,
        }
    }
}

/// Reads variables, collecting every problem.
struct Env<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    /// Invalid values.
    problems: Vec<String>,
    /// Settings production needs to serve that are absent.
    missing: Vec<String>,
}

impl Env<'_> {
    fn var(&self, name: &str) -> Option<String> {
        (self.get)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    fn missing(&mut self, message: impl Into<String>) {
        self.missing.push(message.into());
    }

    fn number<T: std::str::FromStr + Copy>(
        &mut self,
        name: &str,
        default: T,
        valid: impl Fn(&T) -> bool,
        hint: &str,
    ) -> T {
        match self.var(name) {
            None => default,
            Some(v) => match v.parse::<T>().ok().filter(|n| valid(n)) {
                Some(n) => n,
                None => {
                    self.problem(format!("{name}={v:?} is not valid: {hint}"));
                    default
                }
            },
        }
    }

    fn url(&mut self, name: &str) -> Option<String> {
        let url = self.var(name)?;
        if url.starts_with("https://") || url.starts_with("http://") {
            Some(url.trim_end_matches('/').to_owned())
        } else {
            self.problem(format!("{name}={url:?} is not an http(s) URL"));
            None
        }
    }

    fn secret(&mut self, name: &str) -> Option<String> {
        let secret = self.var(name)?;
        if secret.len() < 32 {
            self.problem(format!("{name} must be at least 32 characters"));
            return None;
        }
        Some(secret)
    }

    /// A whole number within `range`.
    fn integer<T>(&mut self, name: &str, default: T, range: std::ops::RangeInclusive<T>) -> T
    where
        T: std::str::FromStr + Copy + PartialOrd + std::fmt::Display,
    {
        let hint = format!("between {} and {}", range.start(), range.end());
        self.number(name, default, |n| range.contains(n), &hint)
    }

    fn millis(
        &mut self,
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Duration {
        let hint = format!("milliseconds between {} and {}", range.start(), range.end());
        Duration::from_millis(self.number(name, default, |n| range.contains(n), &hint))
    }

    fn seconds(
        &mut self,
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Duration {
        let hint = format!("seconds between {} and {}", range.start(), range.end());
        Duration::from_secs(self.number(name, default, |n| range.contains(n), &hint))
    }
}

impl Settings {
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
        let mut env = Env {
            get,
            problems: Vec::new(),
            missing: Vec::new(),
        };
        let app_env = match env.var("APP_ENV").as_deref() {
            Some("local") => AppEnv::Local,
            _ => AppEnv::Production,
        };
        let local = app_env == AppEnv::Local;
        let jwt = jwt_settings(&mut env, local);
        let admission = admission_settings(&mut env, local);
        let payment = payment_settings(&mut env, local);
        let events = event_settings(&mut env, local);
        let resource_name = env
            .var("RESOURCE_NAME")
            .unwrap_or_else(|| DEFAULT_RESOURCE_NAME.to_owned());
        if !resource_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            env.problem(format!(
                "RESOURCE_NAME={resource_name:?} is not valid: letters, digits, '-', '_' and '.' (it starts table names)"
            ));
        }
        let workers = match env.var("WORKERS").as_deref() {
            None | Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(v) => {
                env.problem(format!("WORKERS={v:?} is not valid: true or false"));
                true
            }
        };
        let settings = Settings {
            app_env,
            port: env.number("PORT", 8080, |_| true, "a port number"),
            table_prefix: env.var("TABLE_PREFIX").unwrap_or_default(),
            resource_name,
            jwt,
            admission,
            payment,
            events,
            event_source: env
                .var("EVENT_SOURCE")
                .unwrap_or_else(|| "ticket.reservation".to_owned()),
            hold_ttl: env.seconds("HOLD_TTL_SECONDS", 300, 1..=86_400),
            max_seats: env.integer("MAX_SEATS_PER_RESERVATION", 10, 1..=97),
            idempotency_ttl: env.seconds("IDEMPOTENCY_TTL_SECONDS", 300, 10..=86_400),
            request_timeout: env.millis("REQUEST_TIMEOUT_MS", 5000, 100..=60_000),
            rate_per_user: env.number(
                "RATE_LIMIT_PER_USER",
                20.0,
                |n: &f64| (0.0..=1e6).contains(n),
                "requests per second, 0 to disable",
            ),
            rate_global: env.number(
                "RATE_LIMIT_GLOBAL",
                2000.0,
                |n: &f64| (0.0..=1e7).contains(n),
                "requests per second, 0 to disable",
            ),
            outbox_max_attempts: env.integer("OUTBOX_MAX_ATTEMPTS", 8, 1..=100),
            workers,
            relay_interval: env.millis("RELAY_INTERVAL_MS", 2000, 10..=60_000),
            sweep_interval: env.seconds("SWEEP_INTERVAL_SECONDS", 5, 1..=3600),
            dynamodb_timeout: env.millis("DYNAMODB_TIMEOUT_MS", 2000, 100..=30_000),
            dynamodb_max_attempts: env.integer("DYNAMODB_MAX_ATTEMPTS", 3, 1..=10),
            inventory: inventory_settings(&mut env),
            resilience: crate::resilience::ResilienceSettings {
                failures: env.integer("CIRCUIT_BREAKER_FAILURES", 5, 1..=1000),
                open_for: env.millis("CIRCUIT_BREAKER_OPEN_MS", 10_000, 100..=600_000),
                max_concurrent: env.integer("BULKHEAD_MAX_CONCURRENT", 64, 1..=10_000),
            },
            telemetry: telemetry_settings(&mut env),
        };
        if to_serve {
            env.problems.append(&mut env.missing);
        }
        if env.problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError(env.problems))
        }
    }
}

fn jwt_settings(env: &mut Env<'_>, local: bool) -> JwtSettings {
    let issuer_uri = env.url("JWT_ISSUER_URI");
    let jwks_url = env.url("JWKS_URL");
    let secret = env.secret("JWT_HS256_SECRET");
    let mut issuer = env.var("JWT_ISSUER");
    let audience = env.var("JWT_AUDIENCE");
    let configured = [
        issuer_uri.as_ref().map(|_| "JWT_ISSUER_URI"),
        jwks_url.as_ref().map(|_| "JWKS_URL"),
        secret.as_ref().map(|_| "JWT_HS256_SECRET"),
    ];
    let configured: Vec<&str> = configured.into_iter().flatten().collect();
    if configured.len() > 1 {
        env.problem(format!(
            "{} are all set: set one way to verify bearer tokens",
            configured.join(" and ")
        ));
    }
    let tokens = if let Some(issuer_uri) = issuer_uri {
        match &issuer {
            Some(other) if other.trim_end_matches('/') != issuer_uri => env.problem(format!(
                "JWT_ISSUER={other:?} differs from JWT_ISSUER_URI={issuer_uri:?}: unset JWT_ISSUER (the issuer URI is the issuer)"
            )),
            _ => {}
        }
        issuer = Some(issuer_uri.clone());
        BearerTokens::Oidc { issuer_uri }
    } else if let Some(url) = jwks_url {
        BearerTokens::Jwks { url }
    } else if let Some(secret) = secret {
        BearerTokens::Hs256 { secret }
    } else {
        if local {
            BearerTokens::Hs256 {
                secret: DEV_JWT_SECRET.to_owned(),
            }
        } else {
            env.missing(
                "no way to verify bearer tokens: set JWT_ISSUER_URI (an OIDC issuer), JWKS_URL, or JWT_HS256_SECRET (or APP_ENV=local for the development secret)",
            );
            BearerTokens::Unconfigured
        }
    };
    JwtSettings {
        tokens,
        issuer,
        audience,
    }
}

fn admission_settings(env: &mut Env<'_>, local: bool) -> AdmissionSettings {
    let url = env.url("ADMISSION_VERIFY_URL");
    let secret = env.secret("ADMISSION_HS256_SECRET");
    match (url, secret) {
        (Some(_), Some(_)) => {
            env.problem("ADMISSION_VERIFY_URL and ADMISSION_HS256_SECRET are both set: set one way to check reservation tokens");
            AdmissionSettings::Unconfigured
        }
        (Some(url), None) => AdmissionSettings::Remote { url },
        (None, Some(secret)) => AdmissionSettings::Signed { secret },
        (None, None) if local => AdmissionSettings::AnyToken,
        (None, None) => {
            env.missing("no way to check reservation tokens: set ADMISSION_VERIFY_URL (the waiting room) or ADMISSION_HS256_SECRET (signed tokens) (or APP_ENV=local to admit any token)");
            AdmissionSettings::Unconfigured
        }
    }
}

fn payment_settings(env: &mut Env<'_>, local: bool) -> PaymentSettings {
    let url = env.url("PAYMENT_API_URL");
    let timeout = env.millis("PAYMENT_TIMEOUT_MS", 2000, 100..=30_000);
    let mode = env.var("PAYMENT_MODE");
    match (mode.as_deref(), url) {
        (Some("simulated"), _) => PaymentSettings::Simulated,
        (Some("http") | None, Some(url)) => PaymentSettings::Http { url, timeout },
        (None, None) if local => PaymentSettings::Simulated,
        (Some("http") | None, None) => {
            if !env
                .problems
                .iter()
                .any(|p| p.starts_with("PAYMENT_API_URL"))
            {
                env.missing("PAYMENT_API_URL is required to approve payments (PAYMENT_MODE=simulated approves every payment: for tests only)");
            }
            PaymentSettings::Unconfigured
        }
        (Some(other), _) => {
            env.problem(format!(
                "PAYMENT_MODE={other:?} is not valid: http or simulated"
            ));
            PaymentSettings::Unconfigured
        }
    }
}

fn inventory_settings(env: &mut Env<'_>) -> InventorySettings {
    let timeout = env.millis("INVENTORY_TIMEOUT_MS", 200, 10..=249);
    match env.var("INVENTORY_GRPC_ADDRESS") {
        None => InventorySettings::Seats,
        Some(address) => {
            // tonic wants a URI; the seed writes `host:port`.
            let address = if address.contains("://") {
                address
            } else {
                format!("http://{address}")
            };
            match address.parse::<axum::http::Uri>() {
                Ok(uri) if uri.host().is_some() && uri.port_u16().is_some() => {
                    InventorySettings::Grpc {
                        address: uri,
                        timeout,
                    }
                }
                _ => {
                    env.problem(format!(
                        "INVENTORY_GRPC_ADDRESS={address:?} is not valid: host:port or http://host:port"
                    ));
                    InventorySettings::Seats
                }
            }
        }
    }
}

fn telemetry_settings(env: &mut Env<'_>) -> TelemetrySettings {
    let endpoint = match env.url("OTEL_EXPORTER_OTLP_ENDPOINT") {
        Some(endpoint) => Some(endpoint),
        // The seed's variable names the metrics path of the collector's OTLP/HTTP port; traces
        // go to the same collector.
        None => env.url("OTLP_ENDPOINT").map(|url| match url.find("/v1/") {
            Some(at) => url[..at].to_owned(),
            None => url,
        }),
    };
    TelemetrySettings {
        otlp_endpoint: endpoint,
        service_name: env
            .var("OTEL_SERVICE_NAME")
            .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned()),
    }
}

fn event_settings(env: &mut Env<'_>, local: bool) -> EventSettings {
    let bus = env.var("EVENT_BUS_NAME");
    let endpoint = env.url("EVENTBRIDGE_ENDPOINT");
    let eventbridge = |bus: Option<String>| EventSettings::EventBridge {
        bus: bus.unwrap_or_else(|| DEFAULT_EVENT_BUS.to_owned()),
        endpoint: endpoint.clone(),
    };
    match env.var("EVENT_SINK").as_deref() {
        Some("log") => EventSettings::Log,
        Some("eventbridge") => eventbridge(bus),
        None if local && bus.is_none() => EventSettings::Log,
        None => eventbridge(bus),
        Some(other) => {
            env.problem(format!(
                "EVENT_SINK={other:?} is not valid: eventbridge or log"
            ));
            EventSettings::Log
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_of_settings_are_reported_with_the_closest_name() {
        let names = [
            "HOLD_TTL_SECOND",
            "RATE_LIMIT_PER_USERS",
            "PORT",
            "DYNAMODB_ENDPOINT",
            "PATH",
            "EVENT_BUS",
            "DYNAMODB_LOCAL_HOME",
            "OUTBOX_SOMETHING_ELSE_ENTIRELY",
        ];
        let unknown = unknown_among(names.iter().map(|s| s.to_string()));
        assert_eq!(
            unknown,
            [
                ("HOLD_TTL_SECOND".to_owned(), Some("HOLD_TTL_SECONDS")),
                (
                    "RATE_LIMIT_PER_USERS".to_owned(),
                    Some("RATE_LIMIT_PER_USER")
                ),
                ("EVENT_BUS".to_owned(), None),
                ("OUTBOX_SOMETHING_ELSE_ENTIRELY".to_owned(), None),
            ]
        );
    }

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_vars(&|name| vars.get(name).cloned())
    }

    const PRODUCTION: [(&str, &str); 3] = [
        ("JWT_ISSUER_URI", "https://auth.example.com/realms/tickets/"),
        ("ADMISSION_VERIFY_URL", "http://waiting-room/verify"),
        ("PAYMENT_API_URL", "http://payment-sim-api:8031"),
    ];

    #[test]
    fn an_empty_environment_is_production_and_names_every_missing_setting() {
        let err = settings(&[]).expect_err("refused").to_string();
        for name in [
            "JWT_ISSUER_URI",
            "JWKS_URL",
            "JWT_HS256_SECRET",
            "ADMISSION_VERIFY_URL",
            "ADMISSION_HS256_SECRET",
            "PAYMENT_API_URL",
        ] {
            assert!(err.contains(name), "{name} missing from: {err}");
        }
        // Development mode is explicit and only then are the conveniences live.
        let local = settings(&[("APP_ENV", "local")]).expect("local works bare");
        assert_eq!(local.app_env, AppEnv::Local);
        assert_eq!(local.jwt_secret(), Some(DEV_JWT_SECRET));
        assert_eq!(local.admission, AdmissionSettings::AnyToken);
        assert_eq!(local.payment, PaymentSettings::Simulated);
        assert_eq!(local.events, EventSettings::Log);
        for not_local in ["prod", "dev", "LOCAL"] {
            assert!(settings(&[("APP_ENV", not_local)]).is_err(), "{not_local}");
        }
    }

    #[test]
    fn tools_run_without_serving_settings_but_never_with_development_ones() {
        let tools = Settings::read(&|_| None, false).expect("a bare environment is enough");
        assert_eq!(tools.app_env, AppEnv::Production);
        assert_eq!(tools.jwt.tokens, BearerTokens::Unconfigured);
        assert_eq!(tools.jwt_secret(), None);
        assert_eq!(tools.admission, AdmissionSettings::Unconfigured);
        assert_eq!(tools.payment, PaymentSettings::Unconfigured);
        assert!(
            Settings::read(
                &|name| (name == "HOLD_TTL_SECONDS").then(|| "0".into()),
                false
            )
            .is_err(),
            "invalid values are still refused"
        );
    }

    #[test]
    fn production_settings() {
        let s = settings(&PRODUCTION).expect("complete");
        assert_eq!(s.app_env, AppEnv::Production);
        assert_eq!(
            s.jwt.tokens,
            BearerTokens::Oidc {
                issuer_uri: "https://auth.example.com/realms/tickets".into()
            }
        );
        assert_eq!(
            s.jwt.issuer.as_deref(),
            Some("https://auth.example.com/realms/tickets")
        );
        assert_eq!(s.events.bus(), Some(DEFAULT_EVENT_BUS));
        assert!(matches!(s.payment, PaymentSettings::Http { .. }));
        assert_eq!(
            s.admission,
            AdmissionSettings::Remote {
                url: "http://waiting-room/verify".into()
            }
        );
        let logged = settings(&[PRODUCTION.as_slice(), &[("EVENT_SINK", "log")]].concat())
            .expect("explicit log sink");
        assert_eq!(logged.events, EventSettings::Log);
        let simulated =
            settings(&[PRODUCTION.as_slice(), &[("PAYMENT_MODE", "simulated")]].concat())
                .expect("explicit simulation");
        assert_eq!(simulated.payment, PaymentSettings::Simulated);
    }

    #[test]
    fn conflicting_or_invalid_settings_are_refused_together() {
        let err = settings(
            &[
                PRODUCTION.as_slice(),
                &[
                    (
                        "JWT_HS256_SECRET",
                        "a-secret-that-is-long-enough-for-hs256!",
                    ),
                    ("ADMISSION_HS256_SECRET", "short"),
                    ("PAYMENT_MODE", "free"),
                    ("EVENT_SINK", "kafka"),
                    ("RESOURCE_NAME", "ticket/prod"),
                    ("HOLD_TTL_SECONDS", "0"),
                ],
            ]
            .concat(),
        )
        .expect_err("refused")
        .to_string();
        for expected in [
            "JWT_ISSUER_URI and JWT_HS256_SECRET are all set",
            "ADMISSION_HS256_SECRET must be at least 32 characters",
            "PAYMENT_MODE=\"free\"",
            "EVENT_SINK=\"kafka\"",
            "RESOURCE_NAME=\"ticket/prod\"",
            "HOLD_TTL_SECONDS=\"0\"",
        ] {
            assert!(err.contains(expected), "{expected} missing from: {err}");
        }
        let both = settings(
            &[
                PRODUCTION.as_slice(),
                &[(
                    "ADMISSION_HS256_SECRET",
                    "a-secret-that-is-long-enough-for-hs256!",
                )],
            ]
            .concat(),
        )
        .expect_err("two admission verifiers")
        .to_string();
        assert!(both.contains("ADMISSION_VERIFY_URL and ADMISSION_HS256_SECRET are both set"));
    }
}
