//! What handlers take from a request: the authenticated [`User`], the JSON body with our own
//! errors ([`JsonBody`]), and the [`IdempotencyKey`].

use super::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The authenticated user (the token's `sub`), within the rate limits.
pub(crate) struct User(pub(crate) String);

impl FromRequestParts<Arc<AppState>> for User {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or_default());
        let user = state.jwt.verify(header).await?;
        state.limiter.check(&user)?;
        Ok(User(user))
    }
}

/// The `Idempotency-Key` header: required, 1 to 255 visible ASCII characters.
pub(crate) struct IdempotencyKey(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get("idempotency-key")
            .ok_or(ApiError::IdempotencyRequired)?;
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 255 && k.chars().all(|c| c.is_ascii_graphic()))
            .ok_or_else(|| {
                ApiError::Validation(
                    "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
                )
            })?;
        Ok(IdempotencyKey(key.to_owned()))
    }
}

/// Set while a handler waits for the request body, so the deadline can tell a slow client
/// (408) from a slow dependency (504).
#[derive(Debug, Clone, Default)]
pub(crate) struct BodyPending(pub(crate) Arc<AtomicBool>);

/// The request body as JSON, required, with our own errors for unreadable, oversized or
/// invalid bodies.
pub(crate) struct JsonBody(pub(crate) serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // While the body streams in, a deadline is the client's fault (408), not ours (504).
        let reading = req.extensions().get::<BodyPending>().cloned();
        if let Some(reading) = &reading {
            reading.0.store(true, Ordering::Relaxed);
        }
        let bytes = Bytes::from_request(req, state).await;
        if let Some(reading) = &reading {
            reading.0.store(false, Ordering::Relaxed);
        }
        let bytes = bytes.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::Validation("the request body could not be read".into())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::Validation("the body is required".into()));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::Validation(format!("the body is not valid JSON: {e}")))
    }
}
