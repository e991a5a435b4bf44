//! Admission: whether the waiting room admitted a user to an event (the `reservation_token`).

use super::AuthError;
use crate::clock::SharedClock;
use crate::upstream::{ReadError, send_read};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// What cached answers age on.
    clock: SharedClock,
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

    /// Asks the verifier at `url`, waiting at most `timeout` per attempt, through `guard`;
    /// answers age on `clock`.
    pub fn new(
        url: &str,
        timeout: Duration,
        guard: crate::resilience::Guard,
        clock: SharedClock,
    ) -> Self {
        RemoteAdmission {
            guard,
            clock,
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
        (self.clock.instant() < *at + ttl).then(|| (*admitted, reason.clone()))
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
                        (answer.admitted, answer.reason.clone(), self.clock.instant()),
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
    super::sign(secret, &claims)
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
}
