//! The API's errors: one enum, one response shape (`{"error":{"code","message","trace_id"}}`),
//! and the one place where the domain's, authentication's and the limiter's errors become HTTP
//! answers. Converting logs nothing: the response carries an [`ErrorLog`] extension and the
//! request middleware logs it once, with the request's trace id.

use crate::auth::AuthError;
use crate::domain::Error;
use crate::limits::RateLimited;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The current request's trace id (empty outside a request).
pub(crate) fn trace_id() -> String {
    crate::telemetry::current_trace_id().unwrap_or_default()
}

/// Every error: `{"error": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// The error.
    pub(crate) error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// `VALIDATION_ERROR`, `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `IDEMPOTENCY_REQUIRED`,
    /// `IDEMPOTENCY_CONFLICT`, `INVENTORY_CONFLICT`, `SEAT_LIMIT_EXCEEDED`, `RESERVATION_EXPIRED`,
    /// `INVALID_STATE`, `PAYMENT_NOT_APPROVED`, `RATE_LIMITED`, `PAYLOAD_TOO_LARGE`, `METHOD_NOT_ALLOWED`,
    /// `REQUEST_TIMEOUT`, `SERVICE_UNAVAILABLE`, `UPSTREAM_TIMEOUT` or `INTERNAL`.
    #[schema(example = "VALIDATION_ERROR")]
    pub(crate) code: String,
    /// For people.
    #[schema(example = "seat_ids[1] repeats seat A-12")]
    pub(crate) message: String,
    /// The request's trace id (also in the `X-Trace-Id` header).
    #[schema(example = "4bf92f3577b34da6a3ce929d0e0e4736")]
    pub(crate) trace_id: String,
}

/// Everything a request can fail with. Client mistakes are 4xx; the causes of 5xx answers are
/// logged, never returned.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
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
    #[error("{0}")]
    PaymentNotApproved(String),
    /// 409: the seats cannot be sold (together).
    #[error("{0}")]
    NotForSale(String),
    /// 409: seats are not available.
    #[error("seats not available: {}", .0.join(", "))]
    InventoryConflict(Vec<String>),
    /// 409: the reservation is not in a state that allows this.
    #[error("{0}")]
    InvalidState(String),
    /// 409: the hold would take its user past the cap of seats per event.
    #[error("{0}")]
    SeatLimitExceeded(String),
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
    /// 429, with the seconds after which a retry may pass.
    #[error("too many requests; retry after {0} s")]
    RateLimited(u64),
    /// 503: a dependency is unreachable or throttling.
    #[error("the service is temporarily unavailable, retry later")]
    Unavailable {
        /// The cause, for the log.
        detail: String,
    },
    /// 504: a dependency did not answer in time.
    #[error("an upstream dependency timed out")]
    UpstreamTimeout {
        /// The cause, for the log.
        detail: String,
    },
    /// 408: the client did not send the request body within the request deadline.
    #[error("the request body was not received in time")]
    RequestTimeout,
    /// 500: a bug or an unexpected failure.
    #[error("internal error")]
    Internal {
        /// The cause, for the log.
        detail: String,
    },
}

impl ApiError {
    /// The HTTP status and the error code.
    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            ApiError::IdempotencyRequired => (StatusCode::BAD_REQUEST, "IDEMPOTENCY_REQUIRED"),
            ApiError::IdempotencyConflict { .. } => (StatusCode::CONFLICT, "IDEMPOTENCY_CONFLICT"),
            ApiError::ReservationExpired(_) => (StatusCode::CONFLICT, "RESERVATION_EXPIRED"),
            ApiError::PaymentNotApproved(_) => {
                (StatusCode::PRECONDITION_FAILED, "PAYMENT_NOT_APPROVED")
            }
            ApiError::InventoryConflict(_) | ApiError::NotForSale(_) => {
                (StatusCode::CONFLICT, "INVENTORY_CONFLICT")
            }
            ApiError::InvalidState(_) => (StatusCode::CONFLICT, "INVALID_STATE"),
            ApiError::SeatLimitExceeded(_) => (StatusCode::CONFLICT, "SEAT_LIMIT_EXCEEDED"),
            ApiError::Validation(_) => (StatusCode::BAD_REQUEST, "VALIDATION_ERROR"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            ApiError::Unavailable { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE")
            }
            ApiError::UpstreamTimeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "UPSTREAM_TIMEOUT"),
            ApiError::RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT"),
            ApiError::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
        }
    }

    /// What the log gets beyond the message: the cause of a 5xx.
    fn detail(&self) -> Option<&str> {
        match self {
            ApiError::Unavailable { detail }
            | ApiError::UpstreamTimeout { detail }
            | ApiError::Internal { detail } => Some(detail),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::IdempotencyConflict { retry_after, .. } => *retry_after,
            ApiError::RateLimited(secs) => Some(*secs),
            ApiError::Unavailable { .. } => Some(1),
            _ => None,
        }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        match err {
            Error::Invalid(m) => ApiError::Validation(m),
            Error::NotFound(m) => ApiError::NotFound(m),
            Error::NotOwner(m) => ApiError::Forbidden(m),
            Error::Expired(id) => ApiError::ReservationExpired(id),
            Error::InvalidState(m) | Error::Contended(m) => ApiError::InvalidState(m),
            Error::SeatsTaken(seats) => ApiError::InventoryConflict(seats),
            Error::SeatLimit(m) => ApiError::SeatLimitExceeded(m),
            Error::PaymentNotApproved(m) => ApiError::PaymentNotApproved(m),
            Error::NotForSale(m) => ApiError::NotForSale(m),
            Error::IdempotencyConflict {
                message,
                retry_after,
            } => ApiError::IdempotencyConflict {
                message,
                retry_after,
            },
            e @ Error::Unavailable { .. } => ApiError::Unavailable {
                detail: e.to_string(),
            },
            e @ Error::Timeout { .. } => ApiError::UpstreamTimeout {
                detail: e.to_string(),
            },
            Error::Store(e) => e.into(),
            Error::Internal(detail) => ApiError::Internal { detail },
        }
    }
}

impl From<dynamo_core::Error> for ApiError {
    fn from(err: dynamo_core::Error) -> Self {
        use dynamo_core::ErrorKind;
        let detail = match std::error::Error::source(&err) {
            Some(source) => format!("{err}: {source}"),
            None => err.to_string(),
        };
        match err.kind() {
            ErrorKind::Timeout => ApiError::UpstreamTimeout { detail },
            ErrorKind::TransactionConflict => ApiError::InvalidState(
                "the reservation is being changed by another request; retry".into(),
            ),
            ErrorKind::Throttled | ErrorKind::Unreachable => ApiError::Unavailable { detail },
            // DynamoDB's own 500 and 503: its, not ours, and worth a retry.
            _ if err.is_transient() => ApiError::Unavailable { detail },
            _ => ApiError::Internal { detail },
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Unauthenticated(m) => ApiError::Unauthenticated(m),
            AuthError::Forbidden(m) => ApiError::Forbidden(m),
            AuthError::Unavailable(detail) => ApiError::Unavailable { detail },
        }
    }
}

impl From<RateLimited> for ApiError {
    fn from(err: RateLimited) -> Self {
        ApiError::RateLimited(err.retry_after_secs)
    }
}

/// Rides on an error response to the request middleware, which logs it once.
#[derive(Debug, Clone)]
pub(crate) struct ErrorLog {
    /// The error code.
    pub(crate) code: &'static str,
    /// The message returned.
    pub(crate) message: String,
    /// The cause of a 5xx, never returned.
    pub(crate) detail: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = self.to_string();
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: message.clone(),
                trace_id: trace_id(),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(ErrorLog {
            code,
            message,
            detail: self.detail().map(str::to_owned),
        });
        response
    }
}
