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
