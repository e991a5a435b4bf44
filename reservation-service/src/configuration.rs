//! Settings, from the environment only, validated at start-up.

use std::time::Duration;

/// The development secret used when `APP_ENV=local` and `JWT_HS256_SECRET` is unset.
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
pub const VARIABLES: [(&str, &str, &str); 26] = [
    ("PORT", "8080", "HTTP port"),
    (
        "APP_ENV",
        "local",
        "`local` allows development defaults; anything else requires every secret",
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
        "prefix of every table name, e.g. `dev-`",
    ),
    (
        "JWKS_URL",
        "(unset)",
        "verify RS256 tokens with the issuer's keys (recommended in production)",
    ),
    (
        "JWT_ISSUER",
        "(unset)",
        "when set, tokens must carry this `iss`",
    ),
    (
        "JWT_HS256_SECRET",
        "dev secret when local",
        "HS256 token secret (32+ characters), when JWKS_URL is unset",
    ),
    (
        "ADMISSION_HS256_SECRET",
        "(unset: any token when local)",
        "secret of the waiting room's admission tokens (32+ characters); required outside local",
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
        "EVENT_BUS_NAME",
        "(unset: log)",
        "EventBridge bus of the outbox events; unset, they are logged",
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
    const FAMILIES: [&str; 16] = [
        "APP_",
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

/// A setting is missing or invalid.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// The service's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `PORT` (8080).
    pub port: u16,
    /// `TABLE_PREFIX`, e.g. `dev-` (empty).
    pub table_prefix: String,
    /// `JWT_HS256_SECRET` (a dev default with `APP_ENV=local`; empty when only `JWKS_URL` is set).
    pub jwt_secret: String,
    /// `JWKS_URL`: verify RS256 tokens with the issuer's published keys instead of HS256.
    pub jwks_url: Option<String>,
    /// `JWT_ISSUER`: when set, tokens must carry this `iss`.
    pub jwt_issuer: Option<String>,
    /// `HOLD_TTL_SECONDS` (300).
    pub hold_ttl: Duration,
    /// `APP_ENV` (`local` or anything else).
    pub app_env: AppEnv,
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
    /// `ADMISSION_HS256_SECRET`: verify `reservation_token` as a signed admission token bound
    /// to user and event. Required unless `APP_ENV=local`, where any non-empty token admits.
    pub admission_secret: Option<String>,
    /// `EVENT_BUS_NAME`: the EventBridge bus for outbox events; unset, events go to the log.
    pub event_bus: Option<String>,
    /// `EVENT_SOURCE` (`ticket.reservation`): the events' `source`.
    pub event_source: String,
    /// `EVENTBRIDGE_ENDPOINT`: an EventBridge emulator's URL.
    pub eventbridge_endpoint: Option<String>,
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            port: 8080,
            table_prefix: String::new(),
            jwt_secret: DEV_JWT_SECRET.to_owned(),
            jwks_url: None,
            jwt_issuer: None,
            hold_ttl: Duration::from_secs(300),
            app_env: AppEnv::Local,
            max_seats: 10,
            idempotency_ttl: Duration::from_secs(300),
            request_timeout: Duration::from_secs(5),
            admission_secret: None,
            rate_per_user: 20.0,
            rate_global: 2000.0,
            event_bus: None,
            event_source: "ticket.reservation".to_owned(),
            eventbridge_endpoint: None,
            outbox_max_attempts: 8,
            workers: true,
            relay_interval: Duration::from_millis(2000),
            sweep_interval: Duration::from_secs(5),
            dynamodb_timeout: Duration::from_secs(2),
            dynamodb_max_attempts: 3,
        }
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn number<T: std::str::FromStr>(
    name: &str,
    default: T,
    valid: impl Fn(&T) -> bool,
    hint: &str,
) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<T>()
            .ok()
            .filter(|n| valid(n))
            .ok_or_else(|| ConfigError(format!("{name}={v:?} is not valid: {hint}"))),
    }
}

impl Settings {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let app_env = match var("APP_ENV").as_deref() {
            None | Some("local") => AppEnv::Local,
            Some(_) => AppEnv::Production,
        };
        let jwks_url = var("JWKS_URL");
        if let Some(url) = &jwks_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConfigError(format!(
                "JWKS_URL={url:?} is not an http(s) URL"
            )));
        }
        let jwt_secret = match (var("JWT_HS256_SECRET"), app_env, &jwks_url) {
            (Some(secret), _, _) if secret.len() >= 32 => secret,
            (Some(_), _, _) => {
                return Err(ConfigError(
                    "JWT_HS256_SECRET must be at least 32 characters".into(),
                ));
            }
            (None, AppEnv::Local, _) => DEV_JWT_SECRET.to_owned(),
            (None, AppEnv::Production, Some(_)) => String::new(),
            (None, AppEnv::Production, None) => {
                return Err(ConfigError(
                    "set JWKS_URL (RS256) or JWT_HS256_SECRET when APP_ENV is not local".into(),
                ));
            }
        };
        let admission_secret = match (var("ADMISSION_HS256_SECRET"), app_env) {
            (Some(secret), _) if secret.len() >= 32 => Some(secret),
            (Some(_), _) => {
                return Err(ConfigError(
                    "ADMISSION_HS256_SECRET must be at least 32 characters".into(),
                ));
            }
            (None, AppEnv::Local) => None,
            (None, AppEnv::Production) => {
                return Err(ConfigError("ADMISSION_HS256_SECRET is required when APP_ENV is not local (reservation tokens are verified)".into()));
            }
        };
        let eventbridge_endpoint = var("EVENTBRIDGE_ENDPOINT");
        if let Some(url) = &eventbridge_endpoint
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConfigError(format!(
                "EVENTBRIDGE_ENDPOINT={url:?} is not an http(s) URL"
            )));
        }
        let workers = match var("WORKERS").as_deref() {
            None | Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(v) => {
                return Err(ConfigError(format!(
                    "WORKERS={v:?} is not valid: true or false"
                )));
            }
        };
        Ok(Settings {
            event_bus: var("EVENT_BUS_NAME"),
            event_source: var("EVENT_SOURCE").unwrap_or_else(|| "ticket.reservation".to_owned()),
            eventbridge_endpoint,
            outbox_max_attempts: number(
                "OUTBOX_MAX_ATTEMPTS",
                8,
                |n: &u32| (1..=100).contains(n),
                "between 1 and 100",
            )?,
            workers,
            relay_interval: Duration::from_millis(number(
                "RELAY_INTERVAL_MS",
                2000,
                |n: &u64| (10..=60_000).contains(n),
                "milliseconds between 10 and 60000",
            )?),
            sweep_interval: Duration::from_secs(number(
                "SWEEP_INTERVAL_SECONDS",
                5,
                |n: &u64| (1..=3600).contains(n),
                "seconds between 1 and 3600",
            )?),
            dynamodb_timeout: Duration::from_millis(number(
                "DYNAMODB_TIMEOUT_MS",
                2000,
                |n: &u64| (100..=30_000).contains(n),
                "milliseconds between 100 and 30000",
            )?),
            dynamodb_max_attempts: number(
                "DYNAMODB_MAX_ATTEMPTS",
                3,
                |n: &u32| (1..=10).contains(n),
                "between 1 and 10",
            )?,
            rate_per_user: number(
                "RATE_LIMIT_PER_USER",
                20.0,
                |n: &f64| (0.0..=1e6).contains(n),
                "requests per second, 0 to disable",
            )?,
            rate_global: number(
                "RATE_LIMIT_GLOBAL",
                2000.0,
                |n: &f64| (0.0..=1e7).contains(n),
                "requests per second, 0 to disable",
            )?,
            admission_secret,
            jwks_url,
            jwt_issuer: var("JWT_ISSUER"),
            port: number("PORT", 8080, |_| true, "a port number")?,
            table_prefix: var("TABLE_PREFIX").unwrap_or_default(),
            jwt_secret,
            hold_ttl: Duration::from_secs(number(
                "HOLD_TTL_SECONDS",
                300,
                |n: &u64| (1..=86_400).contains(n),
                "seconds between 1 and 86400",
            )?),
            app_env,
            max_seats: number(
                "MAX_SEATS_PER_RESERVATION",
                10,
                |n: &usize| (1..=97).contains(n),
                "between 1 and 97",
            )?,
            idempotency_ttl: Duration::from_secs(number(
                "IDEMPOTENCY_TTL_SECONDS",
                300,
                |n: &u64| (10..=86_400).contains(n),
                "seconds between 10 and 86400",
            )?),
            request_timeout: Duration::from_millis(number(
                "REQUEST_TIMEOUT_MS",
                5000,
                |n: &u64| (100..=60_000).contains(n),
                "milliseconds between 100 and 60000",
            )?),
        })
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
}
