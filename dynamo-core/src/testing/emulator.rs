//! The open emulator: moto's DynamoDB (Apache-2.0, from PyPI), installed on first use into a
//! Python environment of its own and served one request at a time by `emulator.py`.

use super::TestingError;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What is installed from PyPI: moto and the web server it runs on, each pinned (one
/// requirement a line, as `pip install -r` reads it; `scripts/emulator.sh` installs the same).
pub const MOTO: &str = include_str!("moto.txt");

/// The launcher: moto's server with one lock around every request (a condition check and its
/// write are atomic, as in DynamoDB), a port of its own choosing written to a file, an exit
/// when the process that started it is gone, and signals to take it down and up again.
pub const LAUNCHER: &str = include_str!("emulator.py");

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The folder of the Python environment, installed if it is not yet.
///
/// `DYNAMO_EMULATOR_HOME`, or the cargo target directory this test runs from
/// (`target/dynamo-emulator`, git-ignored with the build), or the user's cache folder; inside
/// it, one environment per pinned set of versions.
pub(crate) fn install() -> Result<PathBuf, String> {
    let home = match std::env::var_os("DYNAMO_EMULATOR_HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home),
        None => target_dir()
            .map(|t| t.join("dynamo-emulator"))
            .or_else(cache_dir)
            .ok_or("no folder to install the emulator into: set DYNAMO_EMULATOR_HOME")?,
    };
    let venv = home.join(format!("moto-{:016x}", fingerprint(MOTO)));
    let launcher = venv.join("emulator.py");
    if venv.join("installed").is_file() {
        write_if_changed(&launcher, LAUNCHER)?;
        return Ok(venv);
    }
    std::fs::create_dir_all(&home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    // Installed beside and renamed into place, so a test binary that installs it at the same
    // time as another never sees half an environment.
    let partial = home.join(format!(
        "partial-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let result = create(&partial);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    if std::fs::rename(&partial, &venv).is_err() {
        // Another test binary finished first.
        let _ = std::fs::remove_dir_all(&partial);
        if !venv.join("installed").is_file() {
            return Err(format!("cannot move the emulator into {}", venv.display()));
        }
    }
    write_if_changed(&launcher, LAUNCHER)?;
    Ok(venv)
}

fn create(venv: &Path) -> Result<(), String> {
    let python = std::env::var("DYNAMO_EMULATOR_PYTHON").unwrap_or_else(|_| "python3".into());
    run(
        Command::new(&python).arg("-m").arg("venv").arg(venv),
        &format!("{python} -m venv (python3 3.9 or newer is needed; on Debian also python3-venv)"),
    )?;
    let requirements = venv.join("requirements.txt");
    std::fs::write(&requirements, MOTO)
        .map_err(|e| format!("cannot write {}: {e}", requirements.display()))?;
    run(
        Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg("-r")
            .arg(&requirements),
        "pip install of moto (from PyPI)",
    )?;
    std::fs::write(venv.join("installed"), MOTO).map_err(|e| e.to_string())
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what} could not start: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|t| t == text) {
        return Ok(());
    }
    let partial = path.with_extension(format!("{}.partial", std::process::id()));
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The cargo target directory the running executable was built in (it holds `CACHEDIR.TAG`).
fn target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(Path::to_owned)
}

fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|c| c.join("dynamo-core"))
}

/// FNV-1a: names the environment after what it holds, stable across releases of Rust.
fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Starts the launcher on `port` (0: a free port of the kernel's choosing) and waits until it
/// listens. Returns the process and its port. It exits by itself once this process is gone.
pub(crate) fn spawn(venv: &Path, port: u16) -> Result<(Child, u16), String> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let base = std::env::temp_dir().join(format!("dynamo-emulator-{}-{n}", std::process::id()));
    let port_file = base.with_extension("port");
    let log = base.with_extension("log");
    let _ = std::fs::remove_file(&port_file);
    let log_file =
        std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err_file = log_file.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(venv.join("bin/python"))
        .arg(venv.join("emulator.py"))
        .arg("--port")
        .arg(port.to_string())
        .arg("--port-file")
        .arg(&port_file)
        .arg("--parent")
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(err_file)
        .spawn()
        .map_err(|e| format!("could not start the emulator: {e}"))?;
    let output = || std::fs::read_to_string(&log).unwrap_or_default();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Some(port) = std::fs::read_to_string(&port_file)
            .ok()
            .and_then(|p| p.trim().parse::<u16>().ok())
        {
            let _ = std::fs::remove_file(&port_file);
            return Ok((child, port));
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "the emulator exited during start-up ({status}); its output:\n{}",
                output()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    Err(format!(
        "the emulator did not listen within 60 s; its output:\n{}",
        output()
    ))
}

/// Whether moto answers at `endpoint` (`http://host:port`): asked once per endpoint, with a
/// `GET /moto-api/data.json` (moto's own API; DynamoDB answers it otherwise or not at all).
pub(crate) fn is_moto(endpoint: &str) -> bool {
    static SEEN: Mutex<Vec<(String, bool)>> = Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, moto)) = seen.iter().find(|(e, _)| e == endpoint) {
        return *moto;
    }
    let moto = ask_moto(endpoint).unwrap_or(false);
    seen.push((endpoint.to_owned(), moto));
    moto
}

fn ask_moto(endpoint: &str) -> Option<bool> {
    let host = endpoint.strip_prefix("http://")?.trim_end_matches('/');
    let address = host.to_socket_addrs().ok()?.next()?;
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET /moto-api/data.json HTTP/1.0\r\nHost: {host}\r\n\r\n"
    )
    .ok()?;
    let mut status = [0u8; 12];
    stream.read_exact(&mut status).ok()?;
    Some(status.ends_with(b" 200"))
}

/// An emulator process of its own, which can be taken down and brought back on the same port
/// with its data: for tests of what survives an outage.
///
/// ```no_run
/// # fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use dynamo_core::testing::EmulatorProcess;
/// let mut db = EmulatorProcess::start()?;
/// let endpoint = db.endpoint();      // clients keep using it across restarts
/// db.stop();                          // requests now fail: connection refused
/// db.restart()?;                      // same port, same data
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct EmulatorProcess {
    venv: PathBuf,
    child: Option<Child>,
    port: u16,
}

impl EmulatorProcess {
    /// Installs the emulator if needed and starts a process of its own on a free port.
    pub fn start() -> Result<Self, TestingError> {
        let venv = install().map_err(TestingError::Setup)?;
        let (child, port) = spawn(&venv, 0).map_err(TestingError::Setup)?;
        Ok(EmulatorProcess {
            venv,
            child: Some(child),
            port,
        })
    }

    /// The same as [`start`](Self::start): the data lives in the process, which keeps it across
    /// [`stop`](Self::stop) and [`restart`](Self::restart); `_dir` is not used.
    #[deprecated(since = "0.1.0", note = "use EmulatorProcess::start")]
    pub fn start_on_disk(_dir: &Path) -> Result<Self, TestingError> {
        Self::start()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops serving, as an outage does: the listening socket and every open connection are
    /// closed (clients see connections refused), the data is kept. Returns once the port is
    /// closed.
    pub fn stop(&mut self) {
        if self.signal("-USR1") {
            self.wait_for(false);
        }
    }

    /// Serves again on the same port with the same data (after [`stop`](Self::stop)), or starts a
    /// new, empty process on the same port (after [`kill`](Self::kill)).
    pub fn restart(&mut self) -> Result<(), TestingError> {
        if self.child.is_some() {
            self.signal("-USR2");
            return if self.wait_for(true) {
                Ok(())
            } else {
                Err(TestingError::Setup(format!(
                    "the emulator did not listen again on port {} within 20 s",
                    self.port
                )))
            };
        }
        let (child, _) = spawn(&self.venv, self.port).map_err(TestingError::Setup)?;
        self.child = Some(child);
        Ok(())
    }

    /// Kills the process at once (`SIGKILL`), like a crash: its data is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.wait_for(false);
    }

    fn signal(&self, signal: &str) -> bool {
        let Some(child) = &self.child else {
            return false;
        };
        Command::new("kill")
            .args([signal, &child.id().to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Waits until the port accepts connections (`true`) or refuses them (`false`), 20 s at
    /// most; says whether it did.
    fn wait_for(&self, listening: bool) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() == listening {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_is_named_after_what_it_holds() {
        assert_ne!(fingerprint(MOTO), fingerprint("moto==5.2.4\n"));
        assert_eq!(fingerprint(""), 0xcbf2_9ce4_8422_2325);
        assert!(MOTO.lines().next().is_some_and(|l| l.starts_with("moto[")));
    }
}
