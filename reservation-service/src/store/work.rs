//! The service's own bookkeeping, next to the data: `Idempotency-Key` records, outbox events
//! (and inventory tasks), and the replicas that share the workers.

use super::tables::{IDEMPOTENCY, OUTBOX, PendingShard, pending_shard};
use crate::domain::lifecycle::Reply;
use dynamo_core::{DynamoEntity, DynamoValue};
use time::OffsetDateTime;

/// Whether an idempotent request is running or done.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdempotencyStatus {
    /// Locked by the request executing it.
    InProgress,
    /// Done; the response is stored.
    Completed,
}

/// One `Idempotency-Key` of one user: `pk` = `<user_id>#<key>`.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = IDEMPOTENCY, pk = "{user_id}#{idempotency_key}")]
pub struct IdempotencyRecord {
    /// The token's subject (never holds `#`: the key could be read two ways). Absent from
    /// records written before it was stored: read as empty.
    #[dynamo(default)]
    pub user_id: String,
    /// The `Idempotency-Key` header. Absent from records written before it was stored: read as
    /// empty.
    #[dynamo(default)]
    pub idempotency_key: String,
    /// SHA-256 of method, path and canonical body.
    pub request_hash: String,
    /// State.
    pub status: IdempotencyStatus,
    /// The execution holding the lock.
    pub owner: String,
    /// Until when the lock holds, epoch seconds.
    pub lock_expires_at: i64,
    /// The HTTP status that records written before `reply` stored (201: a hold was made); read
    /// only, never written now.
    pub response_status: Option<u16>,
    /// How the request was answered (absent until completed, and from records written before
    /// it: see [`IdempotencyRecord::reply`]).
    pub reply: Option<Reply>,
    /// Stored response body, replayed byte for byte.
    pub response_body: Option<String>,
    /// Expiry, epoch seconds (the record is void afterwards, whether or not TTL deleted it).
    #[ttl]
    pub ttl: i64,
}

impl IdempotencyRecord {
    /// How the request was answered: `reply`, or what an older record's HTTP status meant.
    pub fn reply(&self) -> Option<Reply> {
        const CREATED: u16 = 201;
        self.reply.or(self.response_status.map(|status| {
            if status == CREATED {
                Reply::Created
            } else {
                Reply::Done
            }
        }))
    }
}

/// The state of an outbox event.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutboxStatus {
    /// Waiting to be published.
    Pending,
    /// Published.
    Published,
    /// Given up after the maximum attempts.
    Failed,
}

/// An event written in the same transaction as the change it announces.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = OUTBOX,
    gsi(GSI1, pk = "PENDING#{pending_shard}", sk = "{next_retry_at:12}#{outbox_id}")
)]
pub struct OutboxEvent {
    /// `obx_...`.
    #[pk]
    #[dynamo(rename = "pk")]
    pub outbox_id: String,
    /// `reservation.hold.created`, `reservation.confirmed`, ...
    #[sk]
    #[dynamo(rename = "sk")]
    pub event_type: String,
    /// The reservation.
    pub aggregate_id: String,
    /// The event body, JSON.
    pub payload: String,
    /// State.
    pub status: OutboxStatus,
    /// Publish attempts so far.
    pub attempts: u32,
    /// Earliest next attempt, epoch seconds.
    pub next_retry_at: i64,
    /// Created.
    pub created_at: OffsetDateTime,
    /// The relay instance that claimed it for publishing.
    pub lease_owner: Option<String>,
    /// Until when the claim holds, epoch seconds.
    pub lease_until: Option<i64>,
    /// When it was published.
    pub published_at: Option<OffsetDateTime>,
    /// The last publish error.
    pub last_error: Option<String>,
    /// The relay's shard while pending (GSI1 `PENDING#<shard>`, sorted by `next_retry_at`, 12
    /// digits, and id: the relay reads the due events with a key condition, in the order they
    /// fall due); absent afterwards, out of the sparse index.
    pub pending_shard: Option<PendingShard>,
    /// The trace of the request that made the change (W3C trace id, 32 hex digits), so a
    /// consumer can join the event to it; absent for changes outside a request (expiry).
    pub trace_id: Option<String>,
}

impl OutboxEvent {
    /// A new pending event (or inventory task) of `event_type` about `aggregate_id`, due at
    /// `due` (epoch seconds), in a random shard, with the current request's trace id.
    pub fn pending(
        event_type: &str,
        aggregate_id: &str,
        payload: String,
        now: OffsetDateTime,
        due: i64,
    ) -> Self {
        OutboxEvent {
            outbox_id: crate::domain::request::new_id("obx"),
            event_type: event_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            payload,
            status: OutboxStatus::Pending,
            attempts: 0,
            next_retry_at: due,
            created_at: now,
            lease_owner: None,
            lease_until: None,
            published_at: None,
            last_error: None,
            pending_shard: Some(pending_shard()),
            trace_id: crate::telemetry::current_trace_id(),
        }
    }
}

/// A replica that runs the workers, as its last heartbeat left it (outbox table, partition
/// of heartbeats): the live replicas share the work shards among themselves
/// ([`ShardLeases`](crate::leases::ShardLeases)). A few writes per replica a minute, so one
/// partition serves them.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = OUTBOX,
    pk = "WORKERS",
    sk = "{owner}",
    single_partition
)]
pub struct WorkerMember {
    /// The replica's id (`wrk_...`).
    pub owner: String,
    /// Until when the replica counts as live without another heartbeat, epoch seconds.
    pub expires_at: i64,
    /// Its last heartbeat.
    pub seen_at: OffsetDateTime,
}
