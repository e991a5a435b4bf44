//! Where the tables are and how DynamoDB is called: the variables, declared once.

use super::tables::TableNames;
use crate::setting::{Env, settings};
use std::time::Duration;

/// The infrastructure module's default `name`: the first part of every table name.
pub const DEFAULT_RESOURCE_NAME: &str = "ticket";

settings! {
    /// Where the tables are and how DynamoDB is called (the region and endpoint are read by
    /// the client, `dynamo_core::client_from_env`; they are here for the checks and the table
    /// of variables).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct StoreSettings {
        /// region of the tables (`AWS_DEFAULT_REGION` also works)
        region: Option<String> = [shared] raw("AWS_REGION", "(required)"),
        /// an emulator's URL (moto, DynamoDB Local), e.g. `http://localhost:8000`; unset on AWS
        endpoint: Option<String> = raw("DYNAMODB_ENDPOINT", "(AWS)"),
        /// prepended to every table name, e.g. `dev-`
        table_prefix: String = text("TABLE_PREFIX", ""),
        /// the infrastructure module's `name`: tables are `<name>-reservation-*`
        resource_name: String = text("RESOURCE_NAME", DEFAULT_RESOURCE_NAME),
        /// per-attempt DynamoDB timeout; the whole operation gets twice that
        timeout: Duration = millis("DYNAMODB_TIMEOUT_MS", 2000, 100, 30_000),
        /// DynamoDB attempts per operation: two keep a throttled request within its latency
        /// budget, and a client retry (503 with Retry-After) does the rest
        max_attempts: u32 = count("DYNAMODB_MAX_ATTEMPTS", 2, 1, 10),
        /// longest wait before the second DynamoDB attempt (random up to it, doubling up to 8
        /// times it after)
        retry_backoff: Duration = millis("DYNAMODB_RETRY_BACKOFF_MS", 25, 1, 1000),
    }
    checked by StoreSettings::check;
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
    /// A resource name that cannot start a table name is a problem, and a local run needs an
    /// emulator.
    fn check(&self, env: &mut Env<'_>) {
        let name = &self.resource_name;
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            env.problem(format!(
                "{}={name:?} is not valid: letters, digits, '-', '_' and '.' (it starts table names)",
                Self::resource_name.name()
            ));
        }
        // The development conveniences (a public JWT secret, simulated payments) never serve
        // real tables: local means an emulator's endpoint.
        if !env.is_local() {
            return;
        }
        let (local, endpoint) = (env.local(), Self::endpoint.name());
        match &self.endpoint {
            None => env.missing(format!(
                "{local} needs {endpoint}, an emulator (e.g. http://127.0.0.1:8000): its development secrets must never serve real tables"
            )),
            Some(url) if !is_emulator(url) => env.missing(format!(
                "{local} serves only an emulator: {endpoint}={url:?} is neither a loopback address nor a one-word host name (a compose service)"
            )),
            Some(_) => {}
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
