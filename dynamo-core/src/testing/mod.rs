//! The open emulator for tests (feature `testing`), with DynamoDB's failures on demand.
//!
//! [`Emulator::start`] gives each test a client and a table prefix of its own, so tests run in
//! parallel without seeing each other's tables. The first call in a test binary installs the
//! emulator (moto, Apache-2.0, from PyPI into a Python environment of its own: see
//! [`MOTO`]) and starts it on a free port, serving one request at a time so that a condition
//! check and its write are atomic, as in DynamoDB; it stops when the test binary exits. With
//! `DYNAMODB_ENDPOINT` set, that endpoint is used instead (DynamoDB Local, real DynamoDB).
//!
//! ```no_run
//! use dynamo_core::testing::Emulator;
//! # use dynamo_core::DynamoEntity;
//! # #[derive(DynamoEntity)] #[dynamo(table_name = "users")] struct User { #[pk] id: String }
//!
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Emulator::start().await?;
//! let users = db.create::<User>().await?;   // table "<prefix>users", removed with the process
//! users.put(User { id: "u1".into() }).send().await?;
//! # Ok(()) }
//! ```
//!
//! Needs python3 (3.9 or newer, with `venv`) and PyPI on the first run. The environment lives
//! in `DYNAMO_EMULATOR_HOME`, by default in the cargo target directory (`dynamo-emulator/`).

mod meter;

mod emulator;
mod faults;
mod wire;

pub use emulator::{EmulatorProcess, LAUNCHER, MOTO};
pub use faults::{Fault, Faults, Injected, Rule};
pub use meter::{KeyLoad, Limits, MeterReport, PartitionKey, PartitionMeter};

use crate::client::{ClientBuilder, ConfigError};
use crate::def::TableDef;
use crate::error::Error;
use crate::mapping::entity::Entity;
use crate::table::Table;
use aws_sdk_dynamodb::Client;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The emulator could not be installed or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestingError {
    /// python3 is missing, the install from PyPI failed, or the process did not start.
    #[error("emulator: {0}")]
    Setup(String),
    /// The client could not be built.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A client that never reaches DynamoDB (nothing listens where it points, and it is not
/// retried): for unit tests that build requests and transactions, e.g. with
/// [`TransactWrite::canceled_with`](crate::TransactWrite::canceled_with), without sending them.
pub fn offline_client() -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "offline", "offline", None, None, "offline",
        ))
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// A test's view of the emulator (or of `DYNAMODB_ENDPOINT`): a client and a table prefix of
/// its own.
#[derive(Debug, Clone)]
pub struct Emulator {
    client: Client,
    endpoint: String,
    prefix: String,
}

static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();
static NEXT: AtomicU32 = AtomicU32::new(0);

impl Emulator {
    /// Starts the emulator on first use in this process (or takes `DYNAMODB_ENDPOINT`), then
    /// builds a client for the calling test (clients are per test: each `#[tokio::test]` has its own runtime).
    pub async fn start() -> Result<Self, TestingError> {
        let endpoint = ENDPOINT
            .get_or_init(endpoint)
            .clone()
            .map_err(TestingError::Setup)?;
        let client = ClientBuilder::default()
            .endpoint(endpoint.clone())
            .region("us-east-1")
            .operation_timeout(Duration::from_secs(60))
            .attempt_timeout(Duration::from_secs(30))
            .build()
            .await?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let prefix = format!("t{:x}-{n}-{:04x}-", std::process::id(), fastrand::u16(..));
        Ok(Emulator {
            client,
            endpoint,
            prefix,
        })
    }

    /// A view on another DynamoDB, e.g. an [`EmulatorProcess`], with this client and prefix.
    pub fn attach(endpoint: impl Into<String>, client: Client, prefix: impl Into<String>) -> Self {
        Emulator {
            client,
            endpoint: endpoint.into(),
            prefix: prefix.into(),
        }
    }

    /// Whether moto answers at this endpoint (started by this harness, or found at
    /// `DYNAMODB_ENDPOINT`): for the few assertions that depend on which emulator answers,
    /// listed in the repository's docs/testing.md (moto refuses items over 405,000 bytes where
    /// DynamoDB allows 409,600).
    pub fn is_moto(&self) -> bool {
        emulator::is_moto(&self.endpoint)
    }

    /// This view with `faults` injected into its client's requests (same endpoint and
    /// prefix): tables and transactions built from it fail as the faults' rules say.
    pub fn with_faults(&self, faults: &Faults) -> Self {
        Emulator {
            client: faults.wrap(&self.client),
            endpoint: self.endpoint.clone(),
            prefix: self.prefix.clone(),
        }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The endpoint, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// This test's table prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The table of `E`, with this test's prefix (not created).
    pub fn table<E: Entity>(&self) -> Table<E> {
        Table::new(&self.client).with_prefix(&self.prefix)
    }

    /// Creates the table of `E` with this test's prefix and returns its handle.
    pub async fn create<E: Entity>(&self) -> Result<Table<E>, Error> {
        let table = self.table::<E>();
        crate::schema::create_table(&self.client, &E::TABLE, table.name()).await?;
        Ok(table)
    }

    /// Creates these tables with this test's prefix.
    pub async fn create_tables(&self, defs: &[TableDef]) -> Result<(), Error> {
        for def in defs {
            crate::schema::create_table(&self.client, def, &format!("{}{}", self.prefix, def.name))
                .await?;
        }
        Ok(())
    }
}

/// The former name of [`Emulator`].
#[deprecated(
    since = "0.1.0",
    note = "renamed to Emulator (the emulator is moto now)"
)]
pub type DynamoLocal = Emulator;

/// The former name of [`EmulatorProcess`].
#[deprecated(
    since = "0.1.0",
    note = "renamed to EmulatorProcess (the emulator is moto now)"
)]
pub type DynamoLocalProcess = EmulatorProcess;

fn endpoint() -> Result<String, String> {
    if let Some(endpoint) = std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
    {
        return Ok(endpoint);
    }
    let venv = emulator::install()?;
    let (child, port) = emulator::spawn(&venv, 0)?;
    // It runs until this process is gone (it watches for that), not until this handle drops.
    drop(child);
    Ok(format!("http://127.0.0.1:{port}"))
}
