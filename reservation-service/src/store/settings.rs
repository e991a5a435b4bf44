//! Where the tables are and how DynamoDB is called: the variables, declared once.

use super::tables::TableNames;
use crate::setting::{Described, Env, Number, Text, Var};
use std::time::Duration;

/// The infrastructure module's default `name`: the first part of every table name.
pub const DEFAULT_RESOURCE_NAME: &str = "ticket";

const AWS_REGION: Described = Described::new(
    "AWS_REGION",
    "(required)",
    "region of the tables (`AWS_DEFAULT_REGION` also works)",
);
const DYNAMODB_ENDPOINT: Described = Described::new(
    "DYNAMODB_ENDPOINT",
    "(AWS)",
    "an emulator's URL (moto, DynamoDB Local), e.g. `http://localhost:8000`; unset on AWS",
);
const TABLE_PREFIX: Text = Text::new(
    "TABLE_PREFIX",
    "",
    "prepended to every table name, e.g. `dev-`",
);
const RESOURCE_NAME: Text = Text::new(
    "RESOURCE_NAME",
    DEFAULT_RESOURCE_NAME,
    "the infrastructure module's `name`: tables are `<RESOURCE_NAME>-reservation-*`",
);
const DYNAMODB_TIMEOUT: Number = Number::millis(
    "DYNAMODB_TIMEOUT_MS",
    2000,
    100,
    30_000,
    "per-attempt DynamoDB timeout; the whole operation gets twice that",
);
const DYNAMODB_MAX_ATTEMPTS: Number = Number::count(
    "DYNAMODB_MAX_ATTEMPTS",
    2,
    1,
    10,
    "DynamoDB attempts per operation: two keep a throttled request within its latency budget, and a client retry (503 with Retry-After) does the rest",
);
const DYNAMODB_RETRY_BACKOFF: Number = Number::millis(
    "DYNAMODB_RETRY_BACKOFF_MS",
    25,
    1,
    1000,
    "longest wait before the second DynamoDB attempt (random up to it, doubling up to 8 times it after)",
);

/// The variables of where the tables are.
pub const VARIABLES: [Var; 4] = [
    AWS_REGION.var(),
    DYNAMODB_ENDPOINT.var(),
    TABLE_PREFIX.var(),
    RESOURCE_NAME.var(),
];

/// The variables of how DynamoDB is called.
pub const CLIENT_VARIABLES: [Var; 3] = [
    DYNAMODB_TIMEOUT.var(),
    DYNAMODB_MAX_ATTEMPTS.var(),
    DYNAMODB_RETRY_BACKOFF.var(),
];

/// Table names and the DynamoDB client's limits (region and endpoint are read by the client:
/// `dynamo_core::client_from_env`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// `TABLE_PREFIX`, e.g. `dev-`: prepended to every table name.
    pub table_prefix: String,
    /// `RESOURCE_NAME`: the first part of every table name.
    pub resource_name: String,
    /// `DYNAMODB_TIMEOUT_MS`: per-attempt timeout; an operation gets twice that.
    pub timeout: Duration,
    /// `DYNAMODB_MAX_ATTEMPTS`: attempts per operation.
    pub max_attempts: u32,
    /// `DYNAMODB_RETRY_BACKOFF_MS`: the longest wait before the second attempt.
    pub retry_backoff: Duration,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            table_prefix: TABLE_PREFIX.default_value(),
            resource_name: RESOURCE_NAME.default_value(),
            timeout: DYNAMODB_TIMEOUT.default_duration(),
            max_attempts: u32::try_from(DYNAMODB_MAX_ATTEMPTS.default_value()).unwrap_or(2),
            retry_backoff: DYNAMODB_RETRY_BACKOFF.default_duration(),
        }
    }
}

/// Whether `url` reaches an emulator: a loopback address or `localhost`, or a host name of one
/// word (a compose or cluster service such as `dynamodb`), never a public endpoint.
fn is_emulator(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    !host.is_empty()
        && !host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl StoreSettings {
    /// Reads them; a resource name that cannot start a table name is a problem.
    pub fn read(env: &mut Env<'_>) -> Self {
        let resource_name = env.text(&RESOURCE_NAME);
        if !resource_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            env.problem(format!(
                "RESOURCE_NAME={resource_name:?} is not valid: letters, digits, '-', '_' and '.' (it starts table names)"
            ));
        }
        // The development conveniences (a public JWT secret, simulated payments) never serve
        // real tables: local means an emulator's endpoint.
        if env.is_local() {
            match env.raw(&DYNAMODB_ENDPOINT) {
                None => env.missing(
                    "APP_ENV=local needs DYNAMODB_ENDPOINT, an emulator (e.g. http://127.0.0.1:8000): its development secrets must never serve real tables",
                ),
                Some(url) if !is_emulator(&url) => env.missing(format!(
                    "APP_ENV=local serves only an emulator: DYNAMODB_ENDPOINT={url:?} is neither a loopback address nor a one-word host name (a compose service)"
                )),
                Some(_) => {}
            }
        }
        StoreSettings {
            table_prefix: env.text(&TABLE_PREFIX),
            resource_name,
            timeout: env.duration(&DYNAMODB_TIMEOUT),
            max_attempts: env.count(&DYNAMODB_MAX_ATTEMPTS),
            retry_backoff: env.duration(&DYNAMODB_RETRY_BACKOFF),
        }
    }

    /// How tables are named.
    pub fn table_names(&self) -> TableNames {
        TableNames::new(&self.table_prefix, &self.resource_name)
    }
}

#[cfg(test)]
mod tests {
    use super::is_emulator;

    #[test]
    fn emulators_are_loopback_or_service_names() {
        for url in [
            "http://127.0.0.1:8000",
            "http://localhost:8000",
            "http://[::1]:8000/",
            "http://dynamodb:8000",
            "http://dynamodb-local",
        ] {
            assert!(is_emulator(url), "{url}");
        }
        for url in [
            "https://dynamodb.us-east-1.amazonaws.com",
            "http://10.0.0.5:8000",
            "http://dynamodb.internal:8000",
            "http://",
        ] {
            assert!(!is_emulator(url), "{url}");
        }
    }
}
