//! What handlers take from a request: the authenticated [`User`], the JSON body with our own
//! errors ([`JsonBody`]), and the [`IdempotencyKey`].

use super::error::ApiError;
use crate::auth::AuthError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The address of a request's connection's peer: the client, or the nearest proxy. The server
/// (`startup`) puts it in each request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Peer(pub(crate) std::net::IpAddr);

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
        // An address that spent its budget on missing or invalid tokens gets no verification.
        let address = client_address(parts, state.settings.server.trusted_proxy_hops);
        if let Some(address) = address {
            state.limiter.check_address(address)?;
        }
        let user = match state.jwt.verify(header).await {
            Ok(user) => user,
            Err(refused) => {
                if let (AuthError::Unauthenticated(_), Some(address)) = (&refused, address) {
                    state.limiter.charge_address(address);
                }
                return Err(refused.into());
            }
        };
        state.limiter.check(&user)?;
        Ok(User(user))
    }
}

/// The client's address: the connection's peer, or with `hops` proxies in front (each appending
/// the address it received from to `X-Forwarded-For`) the entry `hops` from the right, which
/// the nearest trusted proxy wrote. Entries to its left are the client's to invent.
pub(crate) fn client_address(parts: &Parts, hops: usize) -> Option<IpAddr> {
    let peer = parts.extensions.get::<Peer>().map(|p| p.0);
    if hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    match forwarded.len().checked_sub(hops) {
        Some(i) => forwarded[i].parse().ok().or(peer),
        None => peer,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(forwarded: &[&str]) -> Parts {
        let mut request = axum::http::Request::builder();
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = request.body(()).expect("a request").into_parts();
        parts
            .extensions
            .insert(Peer("10.0.0.9".parse().expect("ip")));
        parts
    }

    #[test]
    fn the_client_address_is_what_the_nearest_trusted_proxy_saw() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        let forged = parts(&["6.6.6.6, 203.0.113.7"]);
        // No proxies trusted: the peer, whatever the header says.
        assert_eq!(client_address(&forged, 0), ip("10.0.0.9"));
        // One proxy: the entry it appended; the forged one to its left is ignored.
        assert_eq!(client_address(&forged, 1), ip("203.0.113.7"));
        assert_eq!(client_address(&forged, 2), ip("6.6.6.6"));
        // Several headers read as one list; too few entries or garbage: the peer.
        assert_eq!(
            client_address(&parts(&["1.1.1.1", "2.2.2.2"]), 1),
            ip("2.2.2.2")
        );
        assert_eq!(client_address(&parts(&[]), 1), ip("10.0.0.9"));
        assert_eq!(client_address(&parts(&["not-an-ip"]), 1), ip("10.0.0.9"));
    }
}
