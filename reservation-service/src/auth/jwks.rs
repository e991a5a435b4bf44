//! The issuer's keys: from a JWKS URL or an OIDC issuer's discovery document, cached, fetched
//! again for an unknown key id at most once a second.

use super::AuthError;
use crate::clock::SharedClock;
use jsonwebtoken::DecodingKey;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where an RS256 verifier's keys come from.
pub(super) enum KeySource {
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
pub(super) struct Jwks {
    pub(super) source: KeySource,
    http: reqwest::Client,
    keys: tokio::sync::RwLock<KeySet>,
    pub(super) last_attempt: tokio::sync::Mutex<Option<Instant>>,
    /// What fetched keys age on.
    pub(super) clock: SharedClock,
}

impl Jwks {
    pub(super) fn new(source: KeySource, clock: SharedClock) -> Self {
        // Keys come from the configured URL itself: a redirect could point anywhere.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Jwks {
            source,
            http,
            keys: Default::default(),
            last_attempt: Default::default(),
            clock,
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

    pub(super) async fn refresh(&self) -> Result<usize, String> {
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
        *self.keys.write().await = (keys, Some(self.clock.instant()));
        Ok(n)
    }

    pub(super) async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, AuthError> {
        {
            let keys = self.keys.read().await;
            let now = self.clock.instant();
            let fresh = keys.1.is_some_and(|at| now < at + KEYS_MAX_AGE);
            if let Some(key) = keys.0.get(kid)
                && fresh
            {
                return Ok(key.clone());
            }
        }
        let failure = {
            // Held while fetching: requests waiting behind a fetch then find it recent.
            let mut last = self.last_attempt.lock().await;
            if last.is_some_and(|t| self.clock.instant() < t + MIN_REFETCH) {
                None
            } else {
                let result = self.refresh().await;
                *last = Some(self.clock.instant());
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
