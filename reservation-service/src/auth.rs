//! Bearer JWT authentication (HS256, or RS256 with the issuer's JWKS) and admission tokens.

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
}

fn validation(algorithm: Algorithm, issuer: Option<&str>) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = 30;
    validation.set_required_spec_claims(&["exp", "sub"]);
    if let Some(issuer) = issuer {
        // Without `iss` among the required claims, a token lacking it would pass.
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.set_issuer(&[issuer]);
    }
    validation
}

impl JwtVerifier {
    /// HS256 with a shared secret.
    pub fn hs256(secret: &str, issuer: Option<&str>) -> Self {
        JwtVerifier {
            keys: Keys::Secret(Arc::new(DecodingKey::from_secret(secret.as_bytes()))),
            validation: validation(Algorithm::HS256, issuer),
        }
    }

    /// RS256 with the keys published at `url` (fetched on first use, again for an unknown
    /// `kid` at most every 30 s).
    pub fn jwks(url: &str, issuer: Option<&str>) -> Self {
        JwtVerifier {
            keys: Keys::Jwks(Arc::new(Jwks::new(url))),
            validation: validation(Algorithm::RS256, issuer),
        }
    }

    /// Fetches the JWKS now, if there is one; failures are logged and retried on demand, so an
    /// identity provider that is briefly down does not block start-up.
    pub async fn prefetch(&self) {
        if let Keys::Jwks(jwks) = &self.keys {
            match jwks.refresh().await {
                Ok(n) => tracing::info!(keys = n, url = %jwks.url, "JWKS loaded"),
                Err(e) => {
                    tracing::warn!(error = %e, url = %jwks.url, "JWKS not loaded yet; retrying on the first request")
                }
            }
        }
    }

    /// The user id of a valid `Authorization` header value.
    pub async fn verify(&self, authorization: Option<&str>) -> Result<String, AuthError> {
        let header = authorization.ok_or_else(|| {
            AuthError::Unauthenticated("the Authorization header is missing".into())
        })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AuthError::Unauthenticated("expected Authorization: Bearer <token>".into())
            })?;
        let key = match &self.keys {
            Keys::Secret(key) => key.clone(),
            Keys::Jwks(jwks) => {
                let header = jsonwebtoken::decode_header(token)
                    .map_err(|_| AuthError::Unauthenticated("the token is malformed".into()))?;
                if header.alg != Algorithm::RS256 {
                    return Err(AuthError::Unauthenticated(
                        "the token's algorithm is not accepted".into(),
                    ));
                }
                let kid = header.kid.ok_or_else(|| {
                    AuthError::Unauthenticated("the token has no key id (kid)".into())
                })?;
                jwks.key(&kid).await?
            }
        };
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let why = match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired",
                ErrorKind::InvalidSignature => "the token's signature is invalid",
                ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted",
                ErrorKind::InvalidIssuer => "the token was issued by another issuer",
                ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim (sub, exp)",
                _ => "the token is malformed",
            };
            AuthError::Unauthenticated(why.into())
        })?;
        if data.claims.sub.is_empty() {
            return Err(AuthError::Unauthenticated(
                "the token has an empty subject".into(),
            ));
        }
        // The subject is a part of stored keys (`<user_id>#<Idempotency-Key>`), where `#`
        // separates the parts.
        if data.claims.sub.contains('#') {
            return Err(AuthError::Unauthenticated(
                "the token's subject contains '#', which user ids cannot hold".into(),
            ));
        }
        Ok(data.claims.sub)
    }
}

/// Keys from a JWKS URL, by key id.
struct Jwks {
    url: String,
    http: reqwest::Client,
    keys: tokio::sync::RwLock<std::collections::HashMap<String, Arc<DecodingKey>>>,
    last_fetch: tokio::sync::Mutex<Option<std::time::Instant>>,
}

impl Jwks {
    fn new(url: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(3))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Jwks {
            url: url.to_owned(),
            http,
            keys: Default::default(),
            last_fetch: Default::default(),
        }
    }

    async fn refresh(&self) -> Result<usize, String> {
        let set: jsonwebtoken::jwk::JwkSet = self
            .http
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("fetching {}: {e}", self.url))?
            .json()
            .await
            .map_err(|e| format!("reading {}: {e}", self.url))?;
        let keys: std::collections::HashMap<_, _> = set
            .keys
            .iter()
            .filter_map(|jwk| {
                Some((
                    jwk.common.key_id.clone()?,
                    Arc::new(DecodingKey::from_jwk(jwk).ok()?),
                ))
            })
            .collect();
        let n = keys.len();
        *self.keys.write().await = keys;
        Ok(n)
    }

    async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, AuthError> {
        if let Some(key) = self.keys.read().await.get(kid) {
            return Ok(key.clone());
        }
        {
            let mut last = self.last_fetch.lock().await;
            let recent = last.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(30));
            if !recent || self.keys.read().await.is_empty() {
                *last = Some(std::time::Instant::now());
                if let Err(e) = self.refresh().await {
                    tracing::warn!(error = %e, "JWKS refresh failed");
                    if self.keys.read().await.is_empty() {
                        return Err(AuthError::Unavailable(e));
                    }
                }
            }
        }
        self.keys.read().await.get(kid).cloned().ok_or_else(|| {
            AuthError::Unauthenticated("the token's key id is not one of the issuer's keys".into())
        })
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
    fn verify(&self, token: &str, user: &str, event: &str) -> Result<(), AuthError>;
}

/// Development admission: any non-empty token.
#[derive(Debug, Default, Clone, Copy)]
pub struct AnyTokenAdmission;

impl AdmissionVerifier for AnyTokenAdmission {
    fn verify(&self, token: &str, _user: &str, _event: &str) -> Result<(), AuthError> {
        if token.trim().is_empty() {
            return Err(AuthError::Forbidden(
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
    fn verify(&self, token: &str, user: &str, event: &str) -> Result<(), AuthError> {
        let refused = |why: &str| {
            AuthError::Forbidden(format!(
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
                Err(AuthError::Forbidden(_))
            ));
        }
        let expired = sign_admission(SECRET, "u1", "evt_1", -60).expect("signs");
        assert!(
            matches!(verifier.verify(&expired, "u1", "evt_1"), Err(AuthError::Forbidden(m)) if m.contains("expired"))
        );
        let forged = sign_admission("another-secret-long-enough-for-hs256!!", "u1", "evt_1", 60)
            .expect("signs");
        assert!(verifier.verify(&forged, "u1", "evt_1").is_err());
        assert!(AnyTokenAdmission.verify(" ", "u1", "evt_1").is_err());
    }

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
