//! The ticket Reservation API (seed 003) on dynamo-core: holds, confirm, cancel, idempotency
//! and an outbox, with every table access through typed, compile-time checked entities.
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod iam;
pub mod idempotency;
pub mod limits;
pub mod loadtest;
pub mod metrics;
pub mod outbox;
pub mod payment;
pub mod reservations;
pub mod routes;
pub mod startup;
pub mod tables;
pub mod workers;

/// Checks that the committed file at `path` (from the repository root) equals `current`, what
/// the code generates; with `UPDATE_FIXTURES=1` it rewrites the file instead.
#[cfg(test)]
pub(crate) fn assert_file_in_sync(path: &str, current: &str) {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&full, current).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        return;
    }
    let stored = std::fs::read_to_string(&full).unwrap_or_default();
    assert!(
        stored == current,
        "{path} differs from what the code generates; run \
         `UPDATE_FIXTURES=1 cargo test -p reservation-service --lib` and commit it"
    );
}

/// JSON logs on stderr (`LOG_FORMAT=pretty` for humans), filtered by `RUST_LOG` (default
/// `info`). Safe to call more than once.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::env::var("LOG_FORMAT").is_ok_and(|f| f == "pretty") {
        builder.try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    };
}
