//! Requests to the systems around the service that only read (the payment API, the waiting
//! room), with the one retry policy they share, through the dependency's [`Guard`].

use crate::resilience::{Guard, Guarded};
use std::time::Duration;

/// Why a read got no answer to use.
pub(crate) enum ReadError {
    /// No answer within the client's timeout.
    Timeout,
    /// Unreachable, or a 5xx twice: what happened, e.g. `answered 503 Service Unavailable`.
    Failed(String),
    /// Not sent: the dependency's circuit breaker is open or its bulkhead full (why).
    Refused(String),
}

/// Sends the request `build` makes. The request only reads, so a lost connection or a 5xx is
/// tried once more after 50 ms; a timeout is not (the deadline is spent). Any other answer,
/// success or not, is the caller's to read. Timeouts and failures count against `guard`'s
/// circuit breaker.
pub(crate) async fn send_read(
    guard: &Guard,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, ReadError> {
    let span = tracing::info_span!(
        "upstream",
        otel.name = %format_args!("{} call", guard.name()),
        otel.kind = "client",
        dependency = guard.name(),
    );
    let traced = || {
        let mut headers = reqwest::header::HeaderMap::new();
        crate::telemetry::inject_headers(&mut headers);
        build().headers(headers)
    };
    tracing::Instrument::instrument(guard.call(retried(traced), |_| true), span)
        .await
        .map_err(|e| match e {
            Guarded::Refused(why) => ReadError::Refused(why),
            Guarded::Failed(e) => e,
        })
}

async fn retried(
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, ReadError> {
    let mut last = String::new();
    for attempt in 0..2 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        match build().send().await {
            Ok(response) if response.status().is_server_error() => {
                last = format!("answered {}", response.status());
            }
            Ok(response) => return Ok(response),
            Err(e) if e.is_timeout() => return Err(ReadError::Timeout),
            Err(e) => last = format!("cannot be reached: {e}"),
        }
    }
    Err(ReadError::Failed(last))
}
