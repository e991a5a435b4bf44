//! DynamoDB Local for tests (feature `testing`).
//!
//! [`DynamoLocal::start`] gives each test a client and a table prefix of its own, so tests run
//! in parallel without seeing each other's tables. The first call in a test binary installs
//! DynamoDB Local (the official jar, from the npm package `amplify-dynamodb-simulator`, once per
//! machine) and starts it in memory on a free port; it stops when the test binary exits.
//! With `DYNAMODB_ENDPOINT` set, that endpoint is used instead.
//!
//! ```no_run
//! use dynamo_core::testing::DynamoLocal;
//! # use dynamo_core::DynamoEntity;
//! # #[derive(DynamoEntity)] #[dynamo(table_name = "users")] struct User { #[pk] id: String }
//!
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let db = DynamoLocal::start().await?;
//! let users = db.create::<User>().await?;   // table "<prefix>users", removed with the process
//! users.put(User { id: "u1".into() }).send().await?;
//! # Ok(()) }
//! ```
//!
//! Needs Java 17+ and npm on the first run; `DYNAMODB_LOCAL_HOME` may point at a folder that
//! already holds `emulator/DynamoDBLocal.jar`.

mod meter;

pub use meter::{KeyLoad, Limits, MeterReport, PartitionKey, PartitionMeter};

use crate::client::{ClientBuilder, ConfigError};
use crate::def::TableDef;
use crate::error::Error;
use crate::mapping::entity::Entity;
use crate::table::Table;
use aws_sdk_dynamodb::Client;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The npm package holding DynamoDB Local, `name@version` (from `dynamodb-local.txt`, which
/// `scripts/dynamodb-local.sh` reads too).
pub const PACKAGE: &str = include_str!("../../dynamodb-local.txt").trim_ascii();

/// DynamoDB Local could not be installed or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestingError {
    /// Java or npm is missing, the download failed, or the process did not start.
    #[error("DynamoDB Local: {0}")]
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

/// A test's view of DynamoDB Local: a client and a table prefix of its own.
#[derive(Debug, Clone)]
pub struct DynamoLocal {
    client: Client,
    endpoint: String,
    prefix: String,
}

static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();
static NEXT: AtomicU32 = AtomicU32::new(0);

impl DynamoLocal {
    /// Starts DynamoDB Local on first use in this process, then builds a client for the
    /// calling test (clients are per test: each `#[tokio::test]` has its own runtime).
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
        Ok(DynamoLocal {
            client,
            endpoint,
            prefix,
        })
    }

    /// A view on another DynamoDB, e.g. a [`DynamoLocalProcess`], with this client and prefix.
    pub fn attach(endpoint: impl Into<String>, client: Client, prefix: impl Into<String>) -> Self {
        DynamoLocal {
            client,
            endpoint: endpoint.into(),
            prefix: prefix.into(),
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

fn endpoint() -> Result<String, String> {
    if let Some(endpoint) = std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
    {
        return Ok(endpoint);
    }
    let home = install()?;
    let port = spawn(&home, None, &["-inMemory", "-sharedDb"], None)?;
    Ok(format!("http://127.0.0.1:{port}"))
}

/// Starts Java with `args` and waits until it listens: on `port`, or on a port of its own
/// choosing. Java binds the port itself (nothing binds it first and lets it go), and a port
/// that another process holds is detected as a failed bind (the process exits) or, on Linux,
/// as a listener that is not Java's; then another port is tried. A shell runs Java and kills it
/// once this process is gone, so no test run leaves one behind; with `pid_file`, the shell
/// writes Java's pid there. Returns the port.
fn spawn(
    home: &Path,
    port: Option<u16>,
    args: &[&str],
    pid_file: Option<&Path>,
) -> Result<u16, String> {
    const TRIES: usize = 8;
    let mut last_error = String::new();
    for _ in 0..TRIES {
        // Below the kernel's ephemeral range (32768 and up on Linux), where ports are rarely
        // taken; a taken one is detected and another tried.
        let chosen = port.unwrap_or_else(|| fastrand::u16(20_000..32_000));
        match spawn_on(home, chosen, args, pid_file) {
            Ok(()) => return Ok(chosen),
            Err(Spawn::PortTaken(e)) if port.is_none() => last_error = e,
            Err(Spawn::PortTaken(e) | Spawn::Failed(e)) => return Err(e),
        }
    }
    Err(format!(
        "no port could be bound after {TRIES} tries: {last_error}"
    ))
}

enum Spawn {
    /// Another process holds the port.
    PortTaken(String),
    Failed(String),
}

fn spawn_on(home: &Path, port: u16, args: &[&str], pid_file: Option<&Path>) -> Result<(), Spawn> {
    if TcpStream::connect(("127.0.0.1", port)).is_ok() {
        return Err(Spawn::PortTaken(format!("port {port} is in use")));
    }
    let emulator = home.join("emulator");
    let log =
        std::env::temp_dir().join(format!("dynamodb-local-{}-{port}.log", std::process::id()));
    let own_pid_file = std::env::temp_dir().join(format!(
        "dynamodb-local-{}-{port}.java.pid",
        std::process::id()
    ));
    let pid_file = pid_file.unwrap_or(&own_pid_file);
    let _ = std::fs::remove_file(pid_file);
    let script = r#"cd "$1" || exit 1
port="$2"; log="$3"; parent="$4"; pidfile="$5"; shift 5
java -Djava.library.path=DynamoDBLocal_lib -jar DynamoDBLocal.jar "$@" -port "$port" -disableTelemetry >"$log" 2>&1 &
child=$!
echo "$child" >"$pidfile"
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
kill "$child" 2>/dev/null"#;
    Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(&emulator)
        .arg(port.to_string())
        .arg(&log)
        .arg(std::process::id().to_string())
        .arg(pid_file)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Spawn::Failed(format!("could not start a shell for java: {e}")))?;
    let output = || std::fs::read_to_string(&log).unwrap_or_default();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let pid = std::fs::read_to_string(pid_file)
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok());
        if let Some(pid) = pid {
            if !alive(pid) {
                let output = output();
                return Err(if output.contains("Failed to bind") {
                    Spawn::PortTaken(format!("port {port} was taken"))
                } else {
                    Spawn::Failed(format!(
                        "java exited during start-up; its output:\n{output}"
                    ))
                });
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return match listens(pid, port) {
                    Some(false) => Err(Spawn::PortTaken(format!(
                        "port {port} answers, but not from DynamoDB Local"
                    ))),
                    Some(true) | None => Ok(()),
                };
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(Spawn::Failed(format!(
        "did not answer on port {port} within 60 s; its output:\n{}",
        output()
    )))
}

/// Whether process `pid` runs (Unix `kill -0`).
fn alive(pid: u32) -> bool {
    alive_pid(&pid.to_string())
}

fn alive_pid(pid: &str) -> bool {
    Command::new("kill")
        .args(["-0", pid])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `pid` holds the socket listening on `port`: `None` where `/proc` cannot tell.
fn listens(pid: u32, port: u16) -> Option<bool> {
    let sockets: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            Some(link.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let mut known = false;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        known = true;
        // sl local_address rem_address st ... inode: state 0A is LISTEN.
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (cols.get(1), cols.get(3), cols.get(9))
            else {
                continue;
            };
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if *state == "0A" && local_port == Some(port) {
                return Some(sockets.iter().any(|s| s == inode));
            }
        }
    }
    known.then_some(false)
}

/// A DynamoDB Local process of its own that keeps its data on disk and can be killed and
/// restarted on the same port: for tests of what survives an outage.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use dynamo_core::testing::DynamoLocalProcess;
/// let dir = std::env::temp_dir().join("outage-test");
/// let mut db = DynamoLocalProcess::start_on_disk(&dir)?;
/// let endpoint = db.endpoint();      // clients keep using it across restarts
/// db.stop();                          // requests now fail: connection refused
/// db.restart()?;                      // same port, same data
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct DynamoLocalProcess {
    home: PathBuf,
    db_path: PathBuf,
    pid_file: PathBuf,
    port: u16,
}

impl DynamoLocalProcess {
    /// Starts DynamoDB Local on a free port with its data in `db_path` (created if needed).
    pub fn start_on_disk(db_path: &Path) -> Result<Self, TestingError> {
        let home = install().map_err(TestingError::Setup)?;
        std::fs::create_dir_all(db_path).map_err(|e| {
            TestingError::Setup(format!("cannot create {}: {e}", db_path.display()))
        })?;
        let mut process = DynamoLocalProcess {
            home,
            db_path: db_path.to_owned(),
            pid_file: std::env::temp_dir().join(format!(
                "dynamodb-local-{}-{}.pid",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            )),
            port: 0,
        };
        // A port of its own first; restarts keep it, so clients keep their endpoint.
        let mut last_error = String::new();
        for _ in 0..8 {
            process.port = fastrand::u16(20_000..32_000);
            match process.spawn() {
                Ok(()) => return Ok(process),
                Err(e) => last_error = e.to_string(),
            }
        }
        Err(TestingError::Setup(last_error))
    }

    fn spawn(&self) -> Result<(), TestingError> {
        let db_path = self.db_path.to_string_lossy();
        spawn(
            &self.home,
            Some(self.port),
            &["-sharedDb", "-dbPath", &db_path],
            Some(&self.pid_file),
        )
        .map(drop)
        .map_err(TestingError::Setup)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills Java at once (`SIGKILL`), like a crash, and waits until the port is closed.
    ///
    /// DynamoDB Local answers a write a moment before the write is on disk: a write
    /// acknowledged just before a kill can be lost (unlike DynamoDB). To test a client's
    /// durability promises across an outage, use [`stop`](Self::stop).
    pub fn kill(&mut self) {
        self.signal("-KILL");
    }

    /// Stops Java the way an orderly shutdown does (`SIGTERM`), so every write it acknowledged
    /// is kept, and waits until the port is closed: DynamoDB unavailable, its data intact.
    pub fn stop(&mut self) {
        self.signal("-TERM");
    }

    fn signal(&mut self, signal: &str) {
        if let Ok(pid) = std::fs::read_to_string(&self.pid_file) {
            let pid = pid.trim().to_owned();
            let _ = Command::new("kill")
                .args([signal, &pid])
                .stderr(Stdio::null())
                .status();
            let started = Instant::now();
            while alive_pid(&pid) && started.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = std::fs::remove_file(&self.pid_file);
        }
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            && started.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts it again on the same port with the same data (stopping it first if it runs).
    pub fn restart(&mut self) -> Result<(), TestingError> {
        self.stop();
        self.spawn()
    }
}

impl Drop for DynamoLocalProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The folder holding `emulator/DynamoDBLocal.jar`, downloaded on first use.
fn install() -> Result<PathBuf, String> {
    check_java()?;
    let home = match std::env::var_os("DYNAMODB_LOCAL_HOME") {
        Some(home) => PathBuf::from(home),
        None => {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(std::env::temp_dir);
            let version = PACKAGE.rsplit('@').next().unwrap_or(PACKAGE);
            cache
                .join("dynamo-core")
                .join(format!("dynamodb-local-{version}"))
        }
    };
    if home.join("emulator/DynamoDBLocal.jar").is_file() {
        return Ok(home);
    }
    std::fs::create_dir_all(&home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let tmp = home.join(format!("download-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let result = download(&tmp, &home);
    let _ = std::fs::remove_dir_all(&tmp);
    result?;
    Ok(home)
}

fn download(tmp: &Path, home: &Path) -> Result<(), String> {
    let npm = Command::new("npm")
        .args(["pack", "--silent", PACKAGE])
        .current_dir(tmp)
        .output()
        .map_err(|e| {
            format!("npm not found ({e}): install node.js and npm, or set DYNAMODB_LOCAL_HOME")
        })?;
    if !npm.status.success() {
        return Err(format!(
            "`npm pack {PACKAGE}` failed: {}",
            String::from_utf8_lossy(&npm.stderr)
        ));
    }
    let tarball = String::from_utf8_lossy(&npm.stdout)
        .trim()
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    let tar = Command::new("tar")
        .args(["-xzf", &tarball])
        .current_dir(tmp)
        .status()
        .map_err(|e| format!("tar not found: {e}"))?;
    if !tar.success() {
        return Err(format!("could not unpack {tarball}"));
    }
    match std::fs::rename(tmp.join("package/emulator"), home.join("emulator")) {
        Ok(()) => Ok(()),
        // Another test binary installed it first.
        Err(_) if home.join("emulator/DynamoDBLocal.jar").is_file() => Ok(()),
        Err(e) => Err(format!(
            "cannot move the emulator into {}: {e}",
            home.display()
        )),
    }
}

fn check_java() -> Result<(), String> {
    let output = Command::new("java")
        .arg("-version")
        .output()
        .map_err(|_| "java not found: install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless)".to_owned())?;
    let text = String::from_utf8_lossy(&output.stderr);
    let major = text
        .split('"')
        .nth(1)
        .and_then(|v| v.split('.').next())
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    if major < 17 {
        return Err(format!(
            "Java 17+ is needed, found: {}",
            text.lines().next().unwrap_or("unknown")
        ));
    }
    Ok(())
}
