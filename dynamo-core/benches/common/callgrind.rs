//! Instruction counts of the instruction benchmarks: the benchmark binary runs itself again
//! under valgrind's callgrind, once per measured function, counting only the instructions of
//! that function (`measured_::<name>`) and what it calls. Instruction counts do not move with the
//! machine's load, so their ratios are the same on every run.

use std::process::Command;

/// Whether valgrind can be run.
pub fn available() -> bool {
    Command::new("valgrind").arg("--version").output().is_ok()
}

/// The measured name the child process is asked to run, when this process is that child.
pub fn child_name() -> Option<String> {
    std::env::args().nth(1).filter(|a| !a.starts_with('-'))
}

/// Instructions per call of `measured_::<name>`, which the child process runs `calls` times.
pub fn per_call(name: &str, calls: u64) -> Result<u64, String> {
    let exe = std::env::args()
        .next()
        .ok_or("the benchmark binary has no path")?;
    let out = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            &format!("--toggle-collect=*::measured_::{name}"),
            &exe,
            name,
        ])
        .output()
        .map_err(|e| format!("valgrind: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("{name} failed under valgrind:\n{stderr}"));
    }
    let collected = stderr
        .lines()
        .find_map(|line| line.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse::<u64>().ok())
        .ok_or_else(|| format!("no instruction count for {name}:\n{stderr}"))?;
    Ok(collected / calls)
}
