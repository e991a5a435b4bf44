//! Bearer JWTs: HS256 with a shared secret, or RS256 with the keys of the issuer (fetched and cached by the `jwks` module).

use super::AuthError;
use super::jwks::{Jwks, KeySource};
use super::settings::{BearerTokens, JwtSettings};
use crate::clock::SharedClock;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
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
    /// The token's kind, where the identity provider states it (Keycloak: `Bearer` for access
    /// tokens, `ID` for ID tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// Verifies bearer tokens: HS256 with a shared secret (development, simple deployments) or
/// RS256 with keys from a JWKS URL (an OIDC provider). `exp` and `sub` are required; `exp` has
/// 30 s of leeway; `alg` must be the one configured (so `none` and algorithm confusion fail).
#[derive(Clone)]
pub struct JwtVerifier {
    keys: Keys,
    validation: Validation,
}

#[derive(Clone)]
enum Keys {
    Secret(Arc<DecodingKey>),
    Jwks(Arc<Jwks>),
    /// No verification configured: every token is refused.
    None,
}

impl Keys {
    fn secret(secret: &str) -> Self {
        Keys::Secret(Arc::new(DecodingKey::from_secret(secret.as_bytes())))
    }

    fn from_source(source: KeySource, clock: SharedClock) -> Self {
        Keys::Jwks(Arc::new(Jwks::new(source, clock)))
    }
}

fn validation(algorithm: Algorithm, issuer: Option<&str>, audience: Option<&str>) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = 30;
    validation.validate_nbf = true;
    let mut required = vec!["exp", "sub"];
    if let Some(issuer) = issuer {
        // Without `iss` among the required claims, a token lacking it would pass.
        required.push("iss");
        validation.set_issuer(&[issuer]);
    }
    match audience {
        Some(audience) => {
            required.push("aud");
            validation.set_audience(&[audience]);
        }
        // Identity providers put `aud` in access tokens; with no audience configured it is
        // not checked (rather than every such token refused).
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(&required);
    validation
}

impl JwtVerifier {
    /// The verifier `settings` configure.
    /// Fetched keys age on `clock`.
    pub fn from_settings(settings: &JwtSettings, clock: SharedClock) -> Self {
        let issuer = settings.issuer.as_deref();
        let (keys, algorithm, issuer) = match &settings.tokens {
            BearerTokens::Hs256 { secret } => (
                Keys::secret(secret.expose_secret()),
                Algorithm::HS256,
                issuer,
            ),
            BearerTokens::Jwks { url } => (
                Keys::from_source(KeySource::Url(url.clone()), clock),
                Algorithm::RS256,
                issuer,
            ),
            // Tokens must carry the issuer whose keys verify them.
            BearerTokens::Oidc { issuer_uri } => {
                let issuer = issuer_uri.trim_end_matches('/');
                let source = KeySource::Discovery {
                    issuer: issuer.to_owned(),
                    jwks_uri: Default::default(),
                };
                (
                    Keys::from_source(source, clock),
                    Algorithm::RS256,
                    Some(issuer),
                )
            }
            BearerTokens::Unconfigured => (Keys::None, Algorithm::RS256, issuer),
        };
        JwtVerifier {
            keys,
            validation: validation(algorithm, issuer, settings.audience.as_deref()),
        }
    }

    /// HS256 with a shared secret.
    pub fn hs256(secret: &str, issuer: Option<&str>) -> Self {
        JwtVerifier {
            keys: Keys::secret(secret),
            validation: validation(Algorithm::HS256, issuer, None),
        }
    }

    /// Fetches the JWKS now, if there is one; failures are logged and retried on demand, so an
    /// identity provider that is briefly down does not block start-up.
    pub async fn prefetch(&self) {
        if let Keys::Jwks(jwks) = &self.keys {
            let mut last = jwks.last_attempt.lock().await;
            let result = jwks.refresh().await;
            *last = Some(jwks.clock.instant());
            match result {
                Ok(n) => tracing::info!(keys = n, source = %jwks.source, "JWKS loaded"),
                Err(e) => {
                    tracing::warn!(error = %e, source = %jwks.source, "JWKS not loaded yet; retrying on the first request")
                }
            }
        }
    }

    /// The user id of a valid `Authorization` header value.
    pub async fn verify(&self, authorization: Option<&str>) -> Result<String, AuthError> {
        let refused = |why: &str| AuthError::Unauthenticated(why.into());
        let header = authorization.ok_or_else(|| refused("the Authorization header is missing"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| refused("expected Authorization: Bearer <token>"))?;
        let key = self.key_of(token).await?;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            .map_err(|e| refused_for(&e))?;
        // An ID token tells a client who logged in; it is not an access token for this API.
        let typ = |t: Option<&str>, id: fn(&str) -> bool| t.is_some_and(id);
        if typ(data.claims.typ.as_deref(), |t| t.eq_ignore_ascii_case("ID"))
            || typ(data.header.typ.as_deref(), |t| {
                t.to_ascii_lowercase().contains("id_token")
            })
        {
            return Err(refused("the token is an ID token; send an access token"));
        }
        if data.claims.sub.is_empty() {
            return Err(refused("the token has an empty subject"));
        }
        // The subject is a part of stored keys (`<user_id>#<Idempotency-Key>`), where `#`
        // separates the parts.
        if data.claims.sub.contains('#') {
            return Err(refused(
                "the token's subject contains '#', which user ids cannot hold",
            ));
        }
        Ok(data.claims.sub)
    }

    /// The key that verifies `token`: the secret, or the JWKS key its header names.
    async fn key_of(&self, token: &str) -> Result<Arc<DecodingKey>, AuthError> {
        let refused = |why: &str| AuthError::Unauthenticated(why.into());
        match &self.keys {
            Keys::None => Err(refused("no way to verify bearer tokens is configured")),
            Keys::Secret(key) => Ok(key.clone()),
            Keys::Jwks(jwks) => {
                let header = jsonwebtoken::decode_header(token)
                    .map_err(|_| refused("the token is malformed"))?;
                if header.alg != Algorithm::RS256 {
                    return Err(refused("the token's algorithm is not accepted"));
                }
                let kid = header
                    .kid
                    .ok_or_else(|| refused("the token has no key id (kid)"))?;
                jwks.key(&kid).await
            }
        }
    }
}

/// Why a token that did not decode is refused.
fn refused_for(e: &jsonwebtoken::errors::Error) -> AuthError {
    use jsonwebtoken::errors::ErrorKind;
    let why = match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::InvalidSignature => "the token's signature is invalid",
        ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted",
        ErrorKind::InvalidIssuer => "the token was issued by another issuer",
        ErrorKind::InvalidAudience => "the token is meant for another audience (aud)",
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
        ErrorKind::MissingRequiredClaim(claim) => {
            return AuthError::Unauthenticated(format!(
                "the token lacks the required claim {claim}"
            ));
        }
        _ => "the token is malformed",
    };
    AuthError::Unauthenticated(why.into())
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
        typ: None,
    };
    super::sign(secret, &claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        let secret = "bearer-secret-long-enough-for-hs256-tokens!!";
        let verifier = JwtVerifier::hs256(secret, None);
        let token = sign_hs256(secret, "u1", 60).expect("signs");
        // HS256 verification does no I/O: the futures are ready at once.
        let verify = |v: &JwtVerifier, h: Option<&str>| {
            futures_util::FutureExt::now_or_never(v.verify(h)).expect("ready")
        };
        assert_eq!(
            verify(&verifier, Some(&format!("Bearer {token}"))).expect("valid"),
            "u1"
        );
        assert!(verify(&verifier, None).is_err());
        assert!(verify(&verifier, Some("Bearer ")).is_err());
        assert!(
            verify(&verifier, Some(&token)).is_err(),
            "the scheme is required"
        );
        let issuer_bound = JwtVerifier::hs256(secret, Some("https://auth.example"));
        assert!(
            verify(&issuer_bound, Some(&format!("Bearer {token}"))).is_err(),
            "JWT_ISSUER requires iss"
        );
    }
}
