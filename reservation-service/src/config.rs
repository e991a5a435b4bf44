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
    /// `RELAY_INTERVAL_MS` (500): the relay's pause when it found nothing to publish.
    pub relay_interval: Duration,
    /// `SWEEP_INTERVAL_SECONDS` (5): between sweeps for expired holds.
    pub sweep_interval: Duration,
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
            relay_interval: Duration::from_millis(500),
            sweep_interval: Duration::from_secs(5),
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
                500,
                |n: &u64| (10..=60_000).contains(n),
                "milliseconds between 10 and 60000",
            )?),
            sweep_interval: Duration::from_secs(number(
                "SWEEP_INTERVAL_SECONDS",
                5,
                |n: &u64| (1..=3600).contains(n),
                "seconds between 1 and 3600",
            )?),
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
