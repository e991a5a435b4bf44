//! Who is calling and whether they were admitted: bearer JWTs ([`bearer`]: HS256, or RS256 with
//! the issuer's keys from its JWKS) and the waiting room's admission tokens ([`admission`]), as
//! their settings configure them ([`settings`]).

pub mod admission;
pub mod bearer;
mod jwks;
pub mod settings;

pub use admission::{
    AdmissionClaims, AdmissionFuture, AdmissionVerifier, AnyTokenAdmission, NoAdmission,
    RemoteAdmission, SignedAdmission, sign_admission,
};
pub use bearer::{Claims, JwtVerifier, sign_hs256};
pub use settings::{
    AdmissionSettings, AdmissionVariables, BearerTokens, BearerVariables, DEV_JWT_SECRET,
    JwtSettings,
};

/// Why a request was not authenticated or admitted.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Missing, expired or invalid token (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but not admitted (403).
    #[error("{0}")]
    Forbidden(String),
    /// The identity provider cannot be reached to verify the token (503).
    #[error("{0}")]
    Unavailable(String),
}

/// Signs `claims` with HS256 under `secret`.
fn sign(
    secret: &str,
    claims: &impl serde::Serialize,
) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
}
