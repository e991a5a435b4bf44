//! Bearer JWT authentication (HS256) and admission tokens.

use crate::error::ApiError;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use std::sync::Arc;

/// The claims the service reads.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// Expiry, epoch seconds.
    pub exp: i64,
    /// Issued at, epoch seconds.
    #[serde(default)]
    pub iat: i64,
}

/// Verifies bearer tokens.
#[derive(Clone)]
pub struct JwtVerifier {
    key: Arc<DecodingKey>,
    validation: Validation,
}

impl JwtVerifier {
    /// HS256 with a shared secret; `exp` is required, with 30 s of leeway.
    pub fn hs256(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub"]);
        JwtVerifier {
            key: Arc::new(DecodingKey::from_secret(secret.as_bytes())),
            validation,
        }
    }

    /// The user id of a valid `Authorization` header value.
    pub fn verify(&self, authorization: Option<&str>) -> Result<String, ApiError> {
        let header = authorization.ok_or_else(|| {
            ApiError::Unauthenticated("the Authorization header is missing".into())
        })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthenticated("expected Authorization: Bearer <token>".into())
            })?;
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::InvalidSignature => "the token's signature is invalid",
                    ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted",
                    ErrorKind::MissingRequiredClaim(_) => {
                        "the token lacks a required claim (sub, exp)"
                    }
                    _ => "the token is malformed",
                };
                ApiError::Unauthenticated(why.into())
            })?;
        if data.claims.sub.is_empty() {
            return Err(ApiError::Unauthenticated(
                "the token has an empty subject".into(),
            ));
        }
        Ok(data.claims.sub)
    }
}

/// Signs an HS256 token for `sub`, valid `ttl_seconds` (the `dev-token` command).
pub fn sign_hs256(
    secret: &str,
    sub: &str,
    ttl_seconds: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = Claims {
        sub: sub.to_owned(),
        exp: now + ttl_seconds,
        iat: now,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
}

/// Decides whether a user was admitted to an event (the queue's `reservation_token`).
pub trait AdmissionVerifier: Send + Sync {
    /// `Ok` when `token` admits `user` to `event`.
    fn verify(&self, token: &str, user: &str, event: &str) -> Result<(), ApiError>;
}

/// Development admission: any non-empty token.
#[derive(Debug, Default, Clone, Copy)]
pub struct AnyTokenAdmission;

impl AdmissionVerifier for AnyTokenAdmission {
    fn verify(&self, token: &str, _user: &str, _event: &str) -> Result<(), ApiError> {
        if token.trim().is_empty() {
            return Err(ApiError::Forbidden(
                "the reservation_token does not admit this request".into(),
            ));
        }
        Ok(())
    }
}

/// The claims of an admission token: the queue admitted `sub` to `event_id` until `exp`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AdmissionClaims {
    /// The admitted user.
    pub sub: String,
    /// The event the user may reserve for.
    pub event_id: String,
    /// Expiry, epoch seconds.
    pub exp: i64,
}

/// Production admission: `reservation_token` is an HS256 JWT signed by the queue with a shared
/// secret, bound to the user and the event.
#[derive(Clone)]
pub struct SignedAdmission {
    key: Arc<DecodingKey>,
    validation: Validation,
}

impl SignedAdmission {
    /// Verifies tokens signed with `secret`.
    pub fn hs256(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        SignedAdmission {
            key: Arc::new(DecodingKey::from_secret(secret.as_bytes())),
            validation,
        }
    }
}

impl AdmissionVerifier for SignedAdmission {
    fn verify(&self, token: &str, user: &str, event: &str) -> Result<(), ApiError> {
        let refused = |why: &str| {
            ApiError::Forbidden(format!(
                "the reservation_token does not admit this request: {why}"
            ))
        };
        let data = jsonwebtoken::decode::<AdmissionClaims>(token, &self.key, &self.validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => refused("it has expired"),
                _ => refused("it is not a valid admission token"),
            })?;
        if data.claims.sub != user {
            return Err(refused("it was issued to another user"));
        }
        if data.claims.event_id != event {
            return Err(refused("it was issued for another event"));
        }
        Ok(())
    }
}

/// Signs an admission token (what the queue does; the `admission-token` command for tests).
pub fn sign_admission(
    secret: &str,
    sub: &str,
    event_id: &str,
    ttl_seconds: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + ttl_seconds;
    let claims = AdmissionClaims {
        sub: sub.to_owned(),
        event_id: event_id.to_owned(),
        exp,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "admission-secret-long-enough-for-hs256-tokens";

    #[test]
    fn admission_tokens_are_bound_to_user_and_event() {
        let verifier = SignedAdmission::hs256(SECRET);
        let token = sign_admission(SECRET, "u1", "evt_1", 60).expect("signs");
        verifier.verify(&token, "u1", "evt_1").expect("admitted");
        for (token, user, event) in [
            (token.as_str(), "u2", "evt_1"),
            (token.as_str(), "u1", "evt_2"),
            ("not-a-token", "u1", "evt_1"),
        ] {
            assert!(matches!(
                verifier.verify(token, user, event),
                Err(ApiError::Forbidden(_))
            ));
        }
        let expired = sign_admission(SECRET, "u1", "evt_1", -60).expect("signs");
        assert!(
            matches!(verifier.verify(&expired, "u1", "evt_1"), Err(ApiError::Forbidden(m)) if m.contains("expired"))
        );
        let forged = sign_admission("another-secret-long-enough-for-hs256!!", "u1", "evt_1", 60)
            .expect("signs");
        assert!(verifier.verify(&forged, "u1", "evt_1").is_err());
        assert!(AnyTokenAdmission.verify(" ", "u1", "evt_1").is_err());
    }

    #[test]
    fn bearer_tokens() {
        let secret = "bearer-secret-long-enough-for-hs256-tokens!!";
        let verifier = JwtVerifier::hs256(secret);
        let token = sign_hs256(secret, "u1", 60).expect("signs");
        assert_eq!(
            verifier
                .verify(Some(&format!("Bearer {token}")))
                .expect("valid"),
            "u1"
        );
        assert!(verifier.verify(None).is_err());
        assert!(verifier.verify(Some("Bearer ")).is_err());
        assert!(
            verifier.verify(Some(&token)).is_err(),
            "the scheme is required"
        );
    }
}
