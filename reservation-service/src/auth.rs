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

use crate::upstream::{ReadError, send_read};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// No verification configured: every token is refused.
    None,
}

impl Keys {
    fn secret(secret: &str) -> Self {
        Keys::Secret(Arc::new(DecodingKey::from_secret(secret.as_bytes())))
    }

    fn from_source(source: KeySource) -> Self {
        Keys::Jwks(Arc::new(Jwks::new(source)))
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
    pub fn from_settings(settings: &crate::configuration::JwtSettings) -> Self {
        use crate::configuration::BearerTokens;
        let issuer = settings.issuer.as_deref();
        let (keys, algorithm, issuer) = match &settings.tokens {
            BearerTokens::Hs256 { secret } => (Keys::secret(secret), Algorithm::HS256, issuer),
            BearerTokens::Jwks { url } => (
                Keys::from_source(KeySource::Url(url.clone())),
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
                (Keys::from_source(source), Algorithm::RS256, Some(issuer))
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
            *last = Some(Instant::now());
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
            Keys::None => {
                return Err(AuthError::Unauthenticated(
                    "no way to verify bearer tokens is configured".into(),
                ));
            }
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

/// Where an RS256 verifier's keys come from.
enum KeySource {
    /// A JWKS URL.
    Url(String),
    /// An OIDC issuer's discovery document; its `jwks_uri` once read.
    Discovery {
        issuer: String,
        jwks_uri: tokio::sync::Mutex<Option<String>>,
    },
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Url(url) => f.write_str(url),
            KeySource::Discovery { issuer, .. } => write!(f, "{issuer} (discovery)"),
        }
    }
}

/// The issuer's discovery document, the part read.
#[derive(serde::Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

/// How long fetched keys are used before they are fetched again (a key the issuer withdrew
/// stops working within this time).
const KEYS_MAX_AGE: Duration = Duration::from_secs(600);

/// The least time between two fetches: a flood of tokens with made-up key ids costs the
/// identity provider at most one request per second per replica.
const MIN_REFETCH: Duration = Duration::from_secs(1);

/// Keys by key id, and when they were fetched.
type KeySet = (HashMap<String, Arc<DecodingKey>>, Option<Instant>);

/// Keys by key id, from a JWKS URL or an issuer's discovery document.
struct Jwks {
    source: KeySource,
    http: reqwest::Client,
    keys: tokio::sync::RwLock<KeySet>,
    last_attempt: tokio::sync::Mutex<Option<Instant>>,
}

impl Jwks {
    fn new(source: KeySource) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Jwks {
            source,
            http,
            keys: Default::default(),
            last_attempt: Default::default(),
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        self.http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("fetching {url}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("reading {url}: {e}"))
    }

    /// The JWKS URL: given, or read from the discovery document (once; again after a failure).
    async fn jwks_uri(&self) -> Result<String, String> {
        match &self.source {
            KeySource::Url(url) => Ok(url.clone()),
            KeySource::Discovery { issuer, jwks_uri } => {
                let mut known = jwks_uri.lock().await;
                if let Some(uri) = known.as_ref() {
                    return Ok(uri.clone());
                }
                let url = format!("{issuer}/.well-known/openid-configuration");
                let doc: Discovery = self.get_json(&url).await?;
                // OpenID Connect Discovery 1.0, 4.3: the document must name the issuer it was
                // fetched for, or its keys are not that issuer's.
                if doc.issuer.trim_end_matches('/') != issuer {
                    return Err(format!(
                        "{url} names the issuer {:?}, not {issuer:?}",
                        doc.issuer
                    ));
                }
                *known = Some(doc.jwks_uri.clone());
                Ok(doc.jwks_uri)
            }
        }
    }

    async fn refresh(&self) -> Result<usize, String> {
        let url = self.jwks_uri().await?;
        let set: jsonwebtoken::jwk::JwkSet = match self.get_json(&url).await {
            Ok(set) => set,
            Err(e) => {
                // The issuer may have moved its keys: discover again next time.
                if let KeySource::Discovery { jwks_uri, .. } = &self.source {
                    *jwks_uri.lock().await = None;
                }
                return Err(e);
            }
        };
        let keys: HashMap<_, _> = set
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
        *self.keys.write().await = (keys, Some(Instant::now()));
        Ok(n)
    }

    async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, AuthError> {
        {
            let keys = self.keys.read().await;
            let fresh = keys.1.is_some_and(|at| at.elapsed() < KEYS_MAX_AGE);
            if let Some(key) = keys.0.get(kid)
                && fresh
            {
                return Ok(key.clone());
            }
        }
        let failure = {
            // Held while fetching: requests waiting behind a fetch then find it recent.
            let mut last = self.last_attempt.lock().await;
            if last.is_some_and(|t| t.elapsed() < MIN_REFETCH) {
                None
            } else {
                let result = self.refresh().await;
                *last = Some(Instant::now());
                result.err()
            }
        };
        let keys = self.keys.read().await;
        if let Some(e) = &failure {
            tracing::warn!(error = %e, "JWKS refresh failed");
        }
        if let Some(key) = keys.0.get(kid) {
            // Stale keys still verify while the issuer cannot be reached.
            return Ok(key.clone());
        }
        if keys.0.is_empty() || failure.is_some() {
            return Err(AuthError::Unavailable(format!(
                "the identity provider's keys cannot be fetched: {}",
                failure.unwrap_or_else(|| "retrying shortly".into())
            )));
        }
        Err(AuthError::Unauthenticated(
            "the token's key id is not one of the issuer's keys".into(),
        ))
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

/// A boxed future of an admission decision.
pub type AdmissionFuture<'a> = Pin<Box<dyn Future<Output = Result<(), AuthError>> + Send + 'a>>;

/// Decides whether a user was admitted to an event (the queue's `reservation_token`).
pub trait AdmissionVerifier: Send + Sync {
    /// `Ok` when `token` admits `user` to `event`; [`AuthError::Forbidden`] when it does not,
    /// [`AuthError::Unavailable`] when that cannot be known now.
    fn verify<'a>(&'a self, token: &'a str, user: &'a str, event: &'a str) -> AdmissionFuture<'a>;
}

/// Development admission: any non-empty token.
#[derive(Debug, Default, Clone, Copy)]
pub struct AnyTokenAdmission;

impl AdmissionVerifier for AnyTokenAdmission {
    fn verify<'a>(
        &'a self,
        token: &'a str,
        _user: &'a str,
        _event: &'a str,
    ) -> AdmissionFuture<'a> {
        let result = if token.trim().is_empty() {
            Err(AuthError::Forbidden(
                "the reservation_token does not admit this request".into(),
            ))
        } else {
            Ok(())
        };
        Box::pin(std::future::ready(result))
    }
}

/// No admission configured (commands that do not serve): nobody is admitted.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAdmission;

impl AdmissionVerifier for NoAdmission {
    fn verify<'a>(
        &'a self,
        _token: &'a str,
        _user: &'a str,
        _event: &'a str,
    ) -> AdmissionFuture<'a> {
        Box::pin(std::future::ready(Err(AuthError::Unavailable(
            "no admission check is configured".into(),
        ))))
    }
}

fn not_admitted(why: &str) -> AuthError {
    AuthError::Forbidden(format!(
        "the reservation_token does not admit this request: {why}"
    ))
}

/// Admission asked of the waiting room: `POST {url}` with
/// `{"reservation_token", "user_id", "event_id"}`, answered `200 {"admitted": bool}` (and an
/// optional `reason`). Answers are cached briefly (admitted 30 s, refused 5 s) so a user's
/// retries do not each cost a call; when the waiting room cannot answer, the request fails
/// closed with 503.
pub struct RemoteAdmission {
    url: String,
    http: reqwest::Client,
    guard: crate::resilience::Guard,
    cache: Mutex<HashMap<[u8; 32], CachedAnswer>>,
}

/// An answer of the waiting room: admitted, the reason given, when it was asked.
type CachedAnswer = (bool, Option<String>, Instant);

/// The waiting room's answer.
#[derive(serde::Deserialize)]
struct AdmissionAnswer {
    admitted: bool,
    #[serde(default)]
    reason: Option<String>,
}

impl RemoteAdmission {
    /// How long an admission is remembered.
    const ADMITTED_FOR: Duration = Duration::from_secs(30);
    /// How long a refusal is remembered.
    const REFUSED_FOR: Duration = Duration::from_secs(5);
    /// Entries kept at most (the cache is emptied when full).
    const CAPACITY: usize = 100_000;

    /// Asks the verifier at `url`, waiting at most `timeout` per attempt, through `guard`.
    pub fn new(url: &str, timeout: Duration, guard: crate::resilience::Guard) -> Self {
        RemoteAdmission {
            guard,
            url: url.to_owned(),
            http: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cache_key(token: &str, user: &str, event: &str) -> [u8; 32] {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        for part in [token, user, event] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        hash.finalize().into()
    }

    fn cached(&self, key: &[u8; 32]) -> Option<(bool, Option<String>)> {
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (admitted, reason, at) = cache.get(key)?;
        let ttl = if *admitted {
            Self::ADMITTED_FOR
        } else {
            Self::REFUSED_FOR
        };
        (at.elapsed() < ttl).then(|| (*admitted, reason.clone()))
    }

    async fn ask(&self, token: &str, user: &str, event: &str) -> Result<AdmissionAnswer, String> {
        let body = serde_json::json!({
            "reservation_token": token, "user_id": user, "event_id": event,
        });
        let response = send_read(&self.guard, || self.http.post(&self.url).json(&body))
            .await
            .map_err(|e| match e {
                ReadError::Timeout => "the waiting room did not answer in time".to_owned(),
                ReadError::Failed(what) => format!("the waiting room {what}"),
                ReadError::Refused(why) => format!("the waiting room is not called: {why}"),
            })?;
        if !response.status().is_success() {
            return Err(format!("the waiting room answered {}", response.status()));
        }
        response
            .json::<AdmissionAnswer>()
            .await
            .map_err(|e| format!("the waiting room's answer is not understood: {e}"))
    }
}

impl AdmissionVerifier for RemoteAdmission {
    fn verify<'a>(&'a self, token: &'a str, user: &'a str, event: &'a str) -> AdmissionFuture<'a> {
        Box::pin(async move {
            if token.trim().is_empty() {
                return Err(not_admitted("it is empty"));
            }
            let key = Self::cache_key(token, user, event);
            let (admitted, reason) = match self.cached(&key) {
                Some(answer) => answer,
                None => {
                    let answer = self.ask(token, user, event).await.map_err(|e| {
                        tracing::warn!(error = %e, "admission check failed");
                        AuthError::Unavailable(format!("cannot check the reservation_token: {e}"))
                    })?;
                    let mut cache = self
                        .cache
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if cache.len() >= Self::CAPACITY {
                        cache.clear();
                    }
                    cache.insert(
                        key,
                        (answer.admitted, answer.reason.clone(), Instant::now()),
                    );
                    (answer.admitted, answer.reason)
                }
            };
            if admitted {
                Ok(())
            } else {
                Err(not_admitted(reason.as_deref().unwrap_or(
                    "the waiting room has not admitted this user to this event",
                )))
            }
        })
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

impl SignedAdmission {
    fn check(&self, token: &str, user: &str, event: &str) -> Result<(), AuthError> {
        let data = jsonwebtoken::decode::<AdmissionClaims>(token, &self.key, &self.validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => not_admitted("it has expired"),
                _ => not_admitted("it is not a valid admission token"),
            })?;
        if data.claims.sub != user {
            return Err(not_admitted("it was issued to another user"));
        }
        if data.claims.event_id != event {
            return Err(not_admitted("it was issued for another event"));
        }
        Ok(())
    }
}

impl AdmissionVerifier for SignedAdmission {
    fn verify<'a>(&'a self, token: &'a str, user: &'a str, event: &'a str) -> AdmissionFuture<'a> {
        Box::pin(std::future::ready(self.check(token, user, event)))
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
        verifier.check(&token, "u1", "evt_1").expect("admitted");
        for (token, user, event) in [
            (token.as_str(), "u2", "evt_1"),
            (token.as_str(), "u1", "evt_2"),
            ("not-a-token", "u1", "evt_1"),
        ] {
            assert!(matches!(
                verifier.check(token, user, event),
                Err(AuthError::Forbidden(_))
            ));
        }
        let expired = sign_admission(SECRET, "u1", "evt_1", -60).expect("signs");
        assert!(
            matches!(verifier.check(&expired, "u1", "evt_1"), Err(AuthError::Forbidden(m)) if m.contains("expired"))
        );
        let forged = sign_admission("another-secret-long-enough-for-hs256!!", "u1", "evt_1", 60)
            .expect("signs");
        assert!(verifier.check(&forged, "u1", "evt_1").is_err());
        let any =
            futures_util::FutureExt::now_or_never(AnyTokenAdmission.verify(" ", "u1", "evt_1"));
        assert!(matches!(any, Some(Err(AuthError::Forbidden(_)))));
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
