//! What a reservation request can fail with, in the domain's words. Each maps to one HTTP
//! answer in `routes::error`, the only place that knows status codes.

/// A failed reservation operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// No such reservation.
    #[error("{0}")]
    NotFound(String),
    /// The reservation belongs to another user.
    #[error("{0}")]
    NotOwner(String),
    /// The hold ran out.
    #[error("the hold on reservation {0} has expired")]
    Expired(String),
    /// The reservation's state does not allow the action.
    #[error("{0}")]
    InvalidState(String),
    /// Another request is changing the same reservation or seats; a retry may pass.
    #[error("{0}")]
    Contended(String),
    /// These seats are held or sold.
    #[error("seats not available: {}", .0.join(", "))]
    SeatsTaken(Vec<String>),
    /// The hold would take its user past the cap of seats per event.
    #[error("{0}")]
    SeatLimit(String),
    /// The payment was not approved; the message says which and why.
    #[error("{0}")]
    PaymentNotApproved(String),
    /// The seats cannot be sold together (unpriced, or priced in different currencies).
    #[error("{0}")]
    NotForSale(String),
    /// The `Idempotency-Key` was used for another request, or its first request is running.
    #[error("{message}")]
    IdempotencyConflict {
        /// Why.
        message: String,
        /// Seconds after which a retry may pass.
        retry_after: Option<u64>,
    },
    /// A dependency (payment, identity provider, ...) cannot be reached.
    #[error("{dependency} is unavailable: {detail}")]
    Unavailable {
        /// Which.
        dependency: &'static str,
        /// What happened, for the logs.
        detail: String,
    },
    /// A dependency did not answer in time.
    #[error("{dependency} timed out: {detail}")]
    Timeout {
        /// Which.
        dependency: &'static str,
        /// What happened, for the logs.
        detail: String,
    },
    /// DynamoDB failed.
    #[error(transparent)]
    Store(#[from] dynamo_core::Error),
    /// A broken invariant: a bug, or data the service did not write.
    #[error("{0}")]
    Internal(String),
}

/// `value` as JSON text: what the service stores (responses, event payloads). Its own types
/// always serialize; should one ever fail, the request fails rather than store an empty
/// payload.
pub fn to_json(value: &impl serde::Serialize, what: &str) -> Result<String, Error> {
    serde_json::to_string(value)
        .map_err(|e| Error::Internal(format!("{what} cannot be written as JSON: {e}")))
}
