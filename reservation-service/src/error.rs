//! The API's errors: one enum, one response shape (`{"error":{"code","message","trace_id"}}`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

tokio::task_local! {
    /// The trace id of the request being handled.
    pub static TRACE_ID: String;
}

/// The current request's trace id (empty outside a request).
pub fn trace_id() -> String {
    TRACE_ID.try_with(Clone::clone).unwrap_or_default()
}

/// Everything a request can fail with. Client mistakes are 4xx; internal details are logged,
/// never returned.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: missing, expired or invalid token.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 400: no `Idempotency-Key`.
    #[error("the Idempotency-Key header is required on this request")]
    IdempotencyRequired,
    /// 409: the key was used for another request, or its first execution is still running.
    #[error("{message}")]
    IdempotencyConflict {
        /// Why.
        message: String,
        /// Seconds after which a retry may succeed.
        retry_after: Option<u64>,
    },
    /// 409: the hold ran out.
    #[error("the hold on reservation {0} has expired")]
    ReservationExpired(String),
    /// 412: the payment was not approved.
    #[error("payment {0} was not approved")]
    PaymentNotApproved(String),
    /// 409: seats are not available.
    #[error("seats not available: {}", .0.join(", "))]
    InventoryConflict(Vec<String>),
    /// 409: the reservation is not in a state that allows this.
    #[error("{0}")]
    InvalidState(String),
    /// 400: the request is malformed.
    #[error("{0}")]
    Validation(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 413.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// 429.
    #[error("too many requests")]
    RateLimited,
    /// 429, with the seconds after which a retry may pass.
    #[error("too many requests; retry after {0} s")]
    RateLimitedFor(u64),
    /// 503: DynamoDB unreachable or throttling.
    #[error("the service is temporarily unavailable, retry later")]
    Unavailable,
    /// 504: a dependency did not answer in time.
    #[error("an upstream dependency timed out")]
    UpstreamTimeout,
    /// 408: the client did not send the request body within the request deadline.
    #[error("the request body was not received in time")]
    RequestTimeout,
    /// 500: a bug or an unexpected failure (logged with its cause).
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status and the error code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            ApiError::IdempotencyRequired => (StatusCode::BAD_REQUEST, "IDEMPOTENCY_REQUIRED"),
            ApiError::IdempotencyConflict { .. } => (StatusCode::CONFLICT, "IDEMPOTENCY_CONFLICT"),
            ApiError::ReservationExpired(_) => (StatusCode::CONFLICT, "RESERVATION_EXPIRED"),
            ApiError::PaymentNotApproved(_) => {
                (StatusCode::PRECONDITION_FAILED, "PAYMENT_NOT_APPROVED")
            }
            ApiError::InventoryConflict(_) => (StatusCode::CONFLICT, "INVENTORY_CONFLICT"),
            ApiError::InvalidState(_) => (StatusCode::CONFLICT, "INVALID_STATE"),
            ApiError::Validation(_) => (StatusCode::BAD_REQUEST, "VALIDATION_ERROR"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            ApiError::RateLimited | ApiError::RateLimitedFor(_) => {
                (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED")
            }
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
            ApiError::UpstreamTimeout => (StatusCode::GATEWAY_TIMEOUT, "UPSTREAM_TIMEOUT"),
            ApiError::RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
        }
    }
}

impl From<dynamo_core::Error> for ApiError {
    fn from(err: dynamo_core::Error) -> Self {
        use dynamo_core::Error;
        match &err {
            Error::Timeout { .. } => {
                tracing::warn!(error = %err, "DynamoDB timed out");
                ApiError::UpstreamTimeout
            }
            Error::TransactionConflict { .. } => ApiError::InvalidState(
                "the reservation is being changed by another request; retry".into(),
            ),
            Error::Throttled { .. } | Error::Unreachable { .. } => {
                tracing::warn!(error = %err, "DynamoDB unavailable");
                ApiError::Unavailable
            }
            _ => {
                tracing::error!(error = %err, source = ?std::error::Error::source(&err), "DynamoDB request failed");
                ApiError::Internal(err.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(detail, "internal error");
        }
        let body = crate::api::ErrorBody {
            error: crate::api::ErrorDetail {
                code: code.to_owned(),
                message: self.to_string(),
                trace_id: trace_id(),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        let retry_after = match &self {
            ApiError::IdempotencyConflict {
                retry_after: Some(s),
                ..
            } => Some(*s),
            ApiError::RateLimitedFor(secs) => Some(*secs),
            ApiError::RateLimited | ApiError::Unavailable => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
