//! Requests to the systems around the service that only read (the payment API, the waiting
//! room), with the one retry policy they share.

use std::time::Duration;

/// Why a read got no answer to use.
pub(crate) enum ReadError {
    /// No answer within the client's timeout.
    Timeout,
    /// Unreachable, or a 5xx twice: what happened, e.g. `answered 503 Service Unavailable`.
    Failed(String),
}

/// Sends the request `build` makes. The request only reads, so a lost connection or a 5xx is
/// tried once more after 50 ms; a timeout is not (the deadline is spent). Any other answer,
/// success or not, is the caller's to read.
pub(crate) async fn send_read(
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
