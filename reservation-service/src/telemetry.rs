//! Logs: JSON on stderr (`LOG_FORMAT=pretty` for humans), filtered by `RUST_LOG` (default
//! `info`). Every request logs one line with its trace id (`routes::middleware`).

/// Installs the subscriber; safe to call more than once.
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
