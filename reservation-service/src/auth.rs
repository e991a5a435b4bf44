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
