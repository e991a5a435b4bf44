//! Building a DynamoDB client from the environment.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use std::time::Duration;

/// The client could not be configured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No region in the environment, profile or instance metadata.
    #[error(
        "no AWS region is configured: set AWS_REGION (e.g. AWS_REGION=ap-northeast-2), or a region in the AWS profile"
    )]
    MissingRegion,
    /// `DYNAMODB_ENDPOINT` is not a URL.
    #[error("DYNAMODB_ENDPOINT={0:?} is not an http(s) URL (e.g. http://localhost:8000)")]
    InvalidEndpoint(String),
    /// DynamoDB did not answer.
    #[error(
        "DynamoDB at {endpoint} is unreachable ({reason}); check DYNAMODB_ENDPOINT (unset it for AWS), AWS_REGION and the network"
    )]
    Unreachable {
        /// The endpoint asked.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
}

/// Builds a [`Client`]: the default AWS credential chain (environment, profile, web identity /
/// IRSA, ECS, instance metadata — a profile is never forced), `AWS_REGION`, and
/// `DYNAMODB_ENDPOINT` for an emulator (moto, DynamoDB Local), with explicit timeouts and retries.
///
/// ```no_run
/// # async fn f() -> Result<(), dynamo_core::client::ConfigError> {
/// let client = dynamo_core::client::ClientBuilder::from_env()
///     .operation_timeout(std::time::Duration::from_secs(2))
///     .build()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    region: Option<String>,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    operation_timeout: Duration,
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            endpoint: None,
            region: None,
            connect_timeout: Duration::from_secs(3),
            attempt_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(15),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
        }
    }
}

impl ClientBuilder {
    /// Defaults plus `DYNAMODB_ENDPOINT` and `AWS_REGION` from the environment.
    pub fn from_env() -> Self {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        ClientBuilder {
            endpoint: env("DYNAMODB_ENDPOINT"),
            region: env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")),
            ..Self::default()
        }
    }

    /// Sends requests to this endpoint (an emulator: `http://localhost:8000`).
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The region; otherwise the default chain's.
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Time allowed to open a connection (default 3 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt (default 5 s).
    #[must_use]
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Time allowed for an operation, retries included (default 15 s).
    #[must_use]
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// Attempts per operation, the first included (default 3; retries use the SDK's standard
    /// exponential backoff with jitter, see [`backoff`](Self::backoff)).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The retries' backoff: a random wait up to `initial` before the second attempt, doubling
    /// each attempt up to `max` (default 50 ms and 1 s). The SDK's own default starts at 1 s,
    /// which alone breaks a request's latency budget when DynamoDB throttles one attempt;
    /// DynamoDB's throttling clears within milliseconds to a second, so short waits and few
    /// attempts keep a request fast, and the caller sheds load when they run out.
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Loads the configuration and builds the client. No request is sent: use
    /// [`check_connection`] to fail fast when DynamoDB is unreachable.
    pub async fn build(self) -> Result<Client, ConfigError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(self.max_attempts)
                    .with_initial_backoff(self.initial_backoff)
                    .with_max_backoff(self.max_backoff),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(self.connect_timeout)
                    .operation_attempt_timeout(self.attempt_timeout)
                    .operation_timeout(self.operation_timeout)
                    .build(),
            );
        if let Some(region) = &self.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let local = match &self.endpoint {
            Some(endpoint) => {
                let url = endpoint.trim();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError::InvalidEndpoint(endpoint.clone()));
                }
                loader = loader.endpoint_url(url);
                is_loopback(url)
            }
            None => false,
        };
        // Emulators ignore credentials but the SDK needs some to sign requests.
        if local && std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(aws_credential_types::Credentials::from_keys(
                "local", "local", None,
            ));
        }
        if local && self.region.is_none() {
            loader = loader.region(aws_config::Region::from_static("us-east-1"));
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(ConfigError::MissingRegion);
        }
        Ok(Client::new(&config))
    }
}

fn is_loopback(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or_default();
    host.starts_with("localhost") || host.starts_with("127.") || host.starts_with("[::1]")
}

/// [`ClientBuilder::from_env`], built.
///
/// ```no_run
/// # async fn f() -> Result<(), dynamo_core::client::ConfigError> {
/// let client = dynamo_core::client_from_env().await?;
/// dynamo_core::client::check_connection(&client).await?;
/// # Ok(()) }
/// ```
pub async fn client_from_env() -> Result<Client, ConfigError> {
    ClientBuilder::from_env().build().await
}

/// Sends one `ListTables` request: an error says which setting to fix when DynamoDB cannot be
/// reached.
pub async fn check_connection(client: &Client) -> Result<(), ConfigError> {
    let region = client
        .config()
        .region()
        .map_or("?", |r| r.as_ref())
        .to_owned();
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| format!("the AWS endpoint of region {region}"));
    match client.list_tables().limit(1).send().await {
        Ok(_) => Ok(()),
        Err(err) => {
            use aws_sdk_dynamodb::error::SdkError;
            match &err {
                SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                    Err(ConfigError::Unreachable {
                        endpoint,
                        reason: aws_smithy_types::error::display::DisplayErrorContext(&err)
                            .to_string(),
                    })
                }
                // Any answer, even access denied, means DynamoDB is reachable.
                _ => Ok(()),
            }
        }
    }
}
