//! Idempotent POSTs, like AWS Lambda Powertools: a record per user and `Idempotency-Key`,
//! locked by a conditional put, completed in the same transaction as the change it guards,
//! replayed byte for byte, and released when the execution fails.

use crate::clock::SharedClock;
use crate::domain::Error;
use crate::domain::lifecycle::{Answer, Close, Reply};
use crate::metrics::{IdempotencyOutcome, Metrics};
use crate::store::{IdempotencyRecord, IdempotencyRecordKey, IdempotencyStatus};
use dynamo_core::{Entity, ErrorKind, Table, TransactWrite, table::Handle};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::Duration;

/// How long an execution holds the lock before another request may take over.
const LOCK_SECONDS: i64 = 15;

/// A stored response: what kind of answer, and its body (routes choose the status code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// Whether the request made something new.
    pub reply: Reply,
    /// Body, byte for byte.
    pub body: String,
}

impl StoredResponse {
    /// The response to store for `answer`.
    pub fn of(answer: &Answer) -> Result<Self, Error> {
        Ok(StoredResponse {
            reply: answer.reply(),
            body: answer.to_json()?,
        })
    }

    /// The response to store for the plan `close`, which answers a request.
    pub fn answering(close: &Close) -> Result<Self, Error> {
        match &close.answer {
            Some(answer) => Self::of(answer),
            None => Err(Error::Internal(
                "a plan that answers no request cannot complete one".into(),
            )),
        }
    }
}

/// How an idempotent request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Executed now.
    Executed(StoredResponse),
    /// An earlier request with the same key and body: its stored response.
    Replayed(StoredResponse),
}

/// The outcome of [`Idempotency::begin`].
#[derive(Debug)]
pub enum Begin {
    /// This request executes; complete or release the lock.
    Execute(Lock),
    /// The same request already completed: return this.
    Replay(StoredResponse),
}

/// The lock of an executing request.
#[derive(Debug, Clone)]
pub struct Lock {
    key: IdempotencyRecordKey,
    owner: String,
    ttl: i64,
}

/// The idempotency store.
#[derive(Debug, Clone)]
pub struct Idempotency {
    table: Table<IdempotencyRecord>,
    ttl: Duration,
    wait: Duration,
    clock: SharedClock,
    metrics: Metrics,
}

/// One request that must take effect once: its user, its `Idempotency-Key`, and the hash of
/// what it asks (method, path, body), which tells a retry from a different request reusing the
/// key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentRequest {
    /// The authenticated user: keys are per user.
    pub user: String,
    /// The `Idempotency-Key`.
    pub key: String,
    /// [`request_hash`] of the request.
    pub hash: String,
}

impl IdempotentRequest {
    /// The request `method path` with `body`, by `user` under `key`.
    pub fn new(
        user: impl Into<String>,
        key: impl Into<String>,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Self {
        IdempotentRequest {
            user: user.into(),
            key: key.into(),
            hash: request_hash(method, path, body),
        }
    }
}

/// SHA-256 of the method, the path and the body's canonical JSON (keys sorted, no spaces).
pub fn request_hash(method: &str, path: &str, body: Option<&serde_json::Value>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    if let Some(body) = body {
        let mut canonical = String::new();
        write_canonical(&mut canonical, body);
        hasher.update(canonical.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn write_canonical(out: &mut String, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(out, &map[k]);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

impl Idempotency {
    /// The store on `table`; records live `ttl` by `clock`.
    pub fn new(
        table: Table<IdempotencyRecord>,
        ttl: Duration,
        clock: SharedClock,
        metrics: Metrics,
    ) -> Self {
        Idempotency {
            table,
            ttl,
            wait: Duration::from_secs(3),
            clock,
            metrics,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now_secs()
    }

    /// Runs `execute` once per user and key: replays the stored response of an earlier request
    /// with the same key and body, refuses a key used for another request, and releases the
    /// key when the execution fails so a retry executes again.
    pub async fn run<F, Fut>(
        &self,
        request: &IdempotentRequest,
        execute: F,
    ) -> Result<Outcome, Error>
    where
        F: FnOnce(Lock) -> Fut,
        Fut: Future<Output = (Lock, Result<StoredResponse, Error>)>,
    {
        let outcome = match self.begin(request).await {
            Ok(Begin::Replay(response)) => Ok(Outcome::Replayed(response)),
            Ok(Begin::Execute(lock)) => {
                let (lock, result) = execute(lock).await;
                if result.is_err() {
                    self.release(&lock).await;
                }
                result.map(Outcome::Executed)
            }
            Err(e) => Err(e),
        };
        self.count(&outcome);
        outcome
    }

    /// Counts an idempotent request's outcome in the metrics.
    pub fn count(&self, outcome: &Result<Outcome, Error>) {
        match outcome {
            Ok(Outcome::Executed(_)) => self.metrics.idempotency(IdempotencyOutcome::Executed),
            Ok(Outcome::Replayed(_)) => self.metrics.idempotency(IdempotencyOutcome::Replayed),
            Err(Error::IdempotencyConflict { .. }) => {
                self.metrics.idempotency(IdempotencyOutcome::Conflict)
            }
            Err(_) => {}
        }
    }

    /// Claims `key` for this request, or finds what to replay. Concurrent duplicates wait
    /// briefly for the first execution and replay its response.
    pub async fn begin(&self, request: &IdempotentRequest) -> Result<Begin, Error> {
        let started = std::time::Instant::now();
        loop {
            match self.try_claim(request).await? {
                Some(begin) => return Ok(begin),
                None if started.elapsed() < self.wait => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                None => {
                    return Err(Error::IdempotencyConflict {
                        message: "a request with this Idempotency-Key is still being processed; retry shortly".into(),
                        retry_after: Some(1),
                    });
                }
            }
        }
    }

    /// One attempt: `None` means another execution holds the lock.
    async fn try_claim(&self, request: &IdempotentRequest) -> Result<Option<Begin>, Error> {
        let hash = request.hash.as_str();
        let now = self.now();
        let ttl = now + i64::try_from(self.ttl.as_secs()).unwrap_or(300);
        let record = IdempotencyRecord {
            user_id: request.user.clone(),
            idempotency_key: request.key.clone(),
            request_hash: request.hash.clone(),
            status: IdempotencyStatus::InProgress,
            owner: uuid::Uuid::new_v4().simple().to_string(),
            lock_expires_at: now + LOCK_SECONDS,
            response_status: None,
            reply: None,
            response_body: None,
            ttl,
        };
        let lock = Lock {
            key: record.key(),
            owner: record.owner.clone(),
            ttl,
        };
        match self
            .table
            .put(record)
            .condition(claimable(hash, now))
            .send()
            .await
        {
            Ok(()) => Ok(Some(Begin::Execute(lock))),
            Err(e) if e.is_condition_failed() => match e.old_item::<IdempotencyRecord>() {
                Some(existing) => {
                    let existing = existing.map_err(|e| Error::Internal(e.to_string()))?;
                    Ok(stored(existing, hash, now)?.map(Begin::Replay))
                }
                // Released between our condition check and DynamoDB's answer: look again.
                None => Ok(None),
            },
            // Being completed by the executing request's transaction right now: look again
            // shortly.
            Err(e) if e.kind() == ErrorKind::TransactionConflict => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// For a request without effects outside DynamoDB, executed in one transaction: adds its
    /// completed record to `tx`, on the condition that the key is free. The change and its
    /// stored response then commit together, without a separate claim; when the transaction is
    /// canceled, [`lookup`](Self::lookup) tells whether an earlier request with the key won.
    pub fn record(
        &self,
        tx: &mut TransactWrite,
        request: &IdempotentRequest,
        response: &StoredResponse,
    ) -> Handle<IdempotencyRecord> {
        let now = self.now();
        let record = IdempotencyRecord {
            user_id: request.user.clone(),
            idempotency_key: request.key.clone(),
            request_hash: request.hash.clone(),
            status: IdempotencyStatus::Completed,
            owner: String::new(),
            lock_expires_at: now,
            response_status: None,
            reply: Some(response.reply),
            response_body: Some(response.body.clone()),
            ttl: now + i64::try_from(self.ttl.as_secs()).unwrap_or(300),
        };
        tx.add(
            self.table
                .put(record)
                .condition(claimable(&request.hash, now)),
        )
    }

    /// What an earlier request with this key left: its response to replay, a conflict when the
    /// key was used for another request, or `None` when the key is free or being executed.
    pub async fn lookup(
        &self,
        request: &IdempotentRequest,
    ) -> Result<Option<StoredResponse>, Error> {
        let existing = self
            .table
            .get(IdempotencyRecordKey::new(&request.user, &request.key))
            .consistent_read()
            .send()
            .await?;
        match existing {
            Some(existing) => stored(existing, &request.hash, self.now()),
            None => Ok(None),
        }
    }

    /// Adds the completion of `lock` to `tx`: the response is stored only if the change commits.
    /// Its condition fails when another request took the lock over.
    pub fn complete(
        &self,
        tx: &mut TransactWrite,
        lock: &Lock,
        response: &StoredResponse,
    ) -> Handle<IdempotencyRecord> {
        let f = IdempotencyRecord::fields();
        tx.add(
            self.table
                .update(lock.key.clone())
                .set(f.status, IdempotencyStatus::Completed)
                .set(f.reply, Some(response.reply))
                .set(f.response_body, Some(response.body.clone()))
                .set(f.ttl, lock.ttl)
                .condition(f.owner.eq(lock.owner.clone())),
        )
    }

    /// Releases the lock after a failed execution, so a retry executes again.
    pub async fn release(&self, lock: &Lock) {
        let result = self
            .table
            .delete(lock.key.clone())
            .condition(
                IdempotencyRecord::fields()
                    .owner
                    .eq(lock.owner.clone())
                    .and(
                        IdempotencyRecord::fields()
                            .status
                            .eq(IdempotencyStatus::InProgress),
                    ),
            )
            .send()
            .await;
        match result {
            Ok(()) => {}
            Err(e) if e.is_condition_failed() => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not release an idempotency lock; it expires by itself")
            }
        }
    }
}

/// Whether a key's record may be taken: absent, expired (TTL deletion is lazy), or abandoned
/// by a crashed execution of the same request.
fn claimable(hash: &str, now: i64) -> dynamo_core::Condition {
    let f = IdempotencyRecord::fields();
    dynamo_core::Condition::item_not_exists::<IdempotencyRecord>()
        .or(f.ttl.lt(now))
        .or(f
            .status
            .eq(IdempotencyStatus::InProgress)
            .and(f.lock_expires_at.lt(now))
            .and(f.request_hash.eq(hash)))
}

/// What an existing, unexpired record means for a request with `hash`.
fn stored(
    existing: IdempotencyRecord,
    hash: &str,
    now: i64,
) -> Result<Option<StoredResponse>, Error> {
    if existing.ttl < now {
        return Ok(None);
    }
    if existing.request_hash != hash {
        return Err(Error::IdempotencyConflict {
            message: "this Idempotency-Key was already used for a different request".into(),
            retry_after: None,
        });
    }
    match (existing.status, existing.reply(), existing.response_body) {
        (IdempotencyStatus::Completed, Some(reply), Some(body)) => {
            Ok(Some(StoredResponse { reply, body }))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ignores_key_order_and_whitespace() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b": 1, "a": [1, {"y": 2, "x": 1}]}"#).expect("json");
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":[1,{"x":1,"y":2}],"b":1}"#).expect("json");
        assert_eq!(
            request_hash("POST", "/p", Some(&a)),
            request_hash("POST", "/p", Some(&b))
        );
        assert_ne!(
            request_hash("POST", "/p", Some(&a)),
            request_hash("POST", "/q", Some(&a))
        );
        let c: serde_json::Value =
            serde_json::from_str(r#"{"a":[1,{"x":1,"y":3}],"b":1}"#).expect("json");
        assert_ne!(
            request_hash("POST", "/p", Some(&a)),
            request_hash("POST", "/p", Some(&c))
        );
    }
}
