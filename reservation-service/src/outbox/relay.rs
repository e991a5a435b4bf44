//! The relay: claims due events, publishes them and marks the outcome. It also executes the
//! remote inventory's compensations (`inventory.release` tasks), which share the outbox and its
//! retries but are never published.

use super::sinks::{EventSink, PublishResult};
use crate::clock::SharedClock;
use crate::leases::ShardLeases;
use crate::metrics::Metrics;
use crate::services::inventory::{Inventory, RELEASE_TASK, Release};
use crate::store::{
    OutboxEvent, OutboxEventGsi1Keys, OutboxEventGsi1Partition, OutboxEventGsi1SortKey,
    OutboxStatus, PendingShard,
};
use dynamo_core::{Entity, Error, ErrorKind, Table};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

/// How the relay works.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Events per `PutEvents` (1 to 10).
    pub batch_size: usize,
    /// How long a claim holds; longer than a publish takes.
    pub lease: Duration,
    /// Attempts before an event is `FAILED`.
    pub max_attempts: u32,
    /// The delay after the first failure; doubles with every further failure.
    pub base_backoff: Duration,
    /// The longest delay.
    pub max_backoff: Duration,
    /// Events read per shard and pass.
    pub per_shard: i32,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            batch_size: 10,
            lease: Duration::from_secs(30),
            max_attempts: 8,
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            per_shard: 50,
        }
    }
}

impl RelayConfig {
    /// The delay before attempt `attempts + 1`, after `attempts` failures: exponential, capped,
    /// with jitter in its upper half so failed events spread out.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let exp = self
            .base_backoff
            .saturating_mul(1 << attempts.saturating_sub(1).min(20));
        let capped = exp.min(self.max_backoff);
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Events due.
    pub due: usize,
    /// Due events another relay had claimed.
    pub skipped: usize,
    /// Published and marked.
    pub published: usize,
    /// Failed and scheduled again.
    pub retried: usize,
    /// Failed for the last time.
    pub failed: usize,
}

/// `PutEvents` calls (or inventory tasks) in flight in one pass.
const PUBLISHES_IN_FLIGHT: usize = 4;

/// Outcome updates in flight in one pass.
const MARKS_IN_FLIGHT: usize = 16;

/// What became of one claimed event.
enum Marked {
    Published,
    Retried,
    Failed,
}

/// Publishes pending outbox events; several may run against the same table.
#[derive(Clone)]
pub struct Relay {
    outbox: Table<OutboxEvent>,
    sink: Arc<dyn EventSink>,
    owner: String,
    config: RelayConfig,
    metrics: Metrics,
    clock: SharedClock,
    inventory: Option<Arc<dyn Inventory>>,
    leases: Option<Arc<ShardLeases>>,
}

impl Relay {
    /// A relay on `outbox` publishing to `sink`, with a unique owner id for its claims.
    pub fn new(
        outbox: Table<OutboxEvent>,
        sink: Arc<dyn EventSink>,
        config: RelayConfig,
        metrics: Metrics,
        clock: SharedClock,
    ) -> Self {
        Relay {
            outbox,
            sink,
            owner: format!("relay_{}", uuid::Uuid::new_v4().simple()),
            config,
            metrics,
            clock,
            inventory: None,
            leases: None,
        }
    }

    /// Reads only the shards `leases` gives this replica (without, every shard).
    pub fn with_leases(mut self, leases: Arc<ShardLeases>) -> Self {
        self.leases = Some(leases);
        self
    }

    /// Executes `inventory.release` tasks with `inventory` (without one, they fail).
    pub fn with_inventory(mut self, inventory: Arc<dyn Inventory>) -> Self {
        self.inventory = Some(inventory);
        self
    }

    /// Gives back the seats of an `inventory.release` task.
    async fn execute(&self, task: &OutboxEvent) -> Result<(), String> {
        let release: Release = serde_json::from_str(&task.payload)
            .map_err(|e| format!("the task's payload is not a release: {e}"))?;
        match &self.inventory {
            Some(inventory) => inventory.give_back(&release).await,
            None => Err("this relay has no inventory to release seats in".into()),
        }
    }

    /// Where events go.
    pub fn sink(&self) -> &dyn EventSink {
        self.sink.as_ref()
    }

    /// Events due in the shards this replica reads (from the eventually consistent index: a
    /// claim checks them), the shards read concurrently.
    async fn due(&self, now: i64) -> Result<Vec<OutboxEvent>, Error> {
        let shards = match &self.leases {
            Some(leases) => leases.owned(PendingShard::COUNT).await?,
            None => (0..PendingShard::COUNT).collect(),
        };
        let (shards, legacy_too) = crate::leases::work_order(shards);
        let reads = shards.into_iter().map(|n| {
            let shard = PendingShard::try_from(n).unwrap_or_default();
            async move {
                // Due at `now` at the latest: before every key due after it.
                let page = self
                    .outbox
                    .query(OutboxEventGsi1Partition::new(shard))
                    .sk_lt(OutboxEventGsi1SortKey::next_retry_at(now + 1))
                    .limit(self.config.per_shard)
                    .send()
                    .await?;
                Ok::<_, Error>((shard, page.items))
            }
        });
        let pages: Vec<_> = futures_util::stream::iter(reads)
            .buffer_unordered(16)
            .collect()
            .await;
        let mut due = Vec::new();
        for page in pages {
            let (shard, items) = page?;
            due.extend(items.into_iter().map(|mut event| {
                // Events written before the shard was stored: the index says where they are.
                event.pending_shard.get_or_insert(shard);
                event
            }));
        }
        if !legacy_too {
            return Ok(due);
        }
        // Events an earlier version indexed under one-digit keys (`PENDING#5`).
        let legacy = crate::store::legacy_work_entries(
            &self.outbox,
            "GSI1",
            ("gsi1pk", "gsi1sk"),
            "PENDING#",
            dynamo_core::AttributeValue::S(format!("{:012}", now + 1)),
            self.config.per_shard,
        )
        .await;
        match legacy {
            // Their shard was not stored: a new one, so a retry stays in the index.
            Ok(legacy) => due.extend(legacy.into_iter().map(|mut event| {
                event
                    .pending_shard
                    .get_or_insert_with(crate::store::pending_shard);
                event
            })),
            // Read again on the next pass.
            Err(e) => tracing::warn!(error = %e, "outbox entries under the earlier keys unread"),
        }
        Ok(due)
    }

    /// Claims `event` for this relay; `None` when another relay holds it or it is no longer due.
    async fn claim(&self, event: OutboxEvent, now: i64) -> Result<Option<OutboxEvent>, Error> {
        let f = OutboxEvent::fields();
        let lease_until = now + i64::try_from(self.config.lease.as_secs()).unwrap_or(60);
        let claimed = self
            .outbox
            .update(event.key())
            .set(f.lease_owner, Some(self.owner.clone()))
            .set(f.lease_until, Some(lease_until))
            // Free, expired, or this relay's own: a claim DynamoDB applied but whose answer
            // was lost is found leased by this relay when the SDK sends it again.
            .condition(
                f.status
                    .eq(OutboxStatus::Pending)
                    .and(f.next_retry_at.le(now))
                    .and(
                        f.lease_until
                            .not_exists()
                            .or(f.lease_until.lt(Some(now)))
                            .or(f.lease_owner.eq(Some(self.owner.clone()))),
                    ),
            )
            .returning_new()
            .send()
            .await;
        match claimed {
            Ok(event) => Ok(Some(event)),
            Err(e) if e.is_condition_failed() || e.kind() == ErrorKind::TransactionConflict => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Marks a published event; it leaves the index.
    async fn mark_published(&self, event: &OutboxEvent) -> Result<(), Error> {
        let f = OutboxEvent::fields();
        let result = self
            .outbox
            .update(event.key())
            .set(f.status, OutboxStatus::Published)
            .set(f.published_at, Some(self.clock.now()))
            .set(f.attempts, event.attempts + 1)
            .remove(f.lease_owner)
            .remove(f.lease_until)
            .remove(f.last_error)
            .set_index_keys(OutboxEventGsi1Keys {
                pending_shard: None,
                next_retry_at: event.next_retry_at,
            })
            .condition(f.lease_owner.eq(Some(self.owner.clone())))
            .send()
            .await;
        match result {
            Err(e) if e.is_condition_failed() => {
                // The lease ran out and another relay claimed it: it may publish it again.
                tracing::warn!(
                    outbox_id = event.outbox_id,
                    "published after the claim expired; the event may be delivered twice"
                );
                Ok(())
            }
            other => other,
        }
    }

    /// Records a failed attempt: retried later, or `FAILED` after the last attempt.
    async fn mark_failed(&self, event: &OutboxEvent, reason: &str) -> Result<bool, Error> {
        let f = OutboxEvent::fields();
        let attempts = event.attempts + 1;
        let last = attempts >= self.config.max_attempts;
        let reason: String = reason.chars().take(1000).collect();
        let mut update = self
            .outbox
            .update(event.key())
            .set(f.attempts, attempts)
            .set(f.last_error, Some(reason.clone()))
            .remove(f.lease_owner)
            .remove(f.lease_until)
            .condition(f.lease_owner.eq(Some(self.owner.clone())));
        if last {
            update =
                update
                    .set(f.status, OutboxStatus::Failed)
                    .set_index_keys(OutboxEventGsi1Keys {
                        pending_shard: None,
                        next_retry_at: event.next_retry_at,
                    });
        } else {
            // Whole seconds, rounded up: the schedule is in epoch seconds.
            let delay = self.config.backoff(attempts).as_secs_f64().ceil() as i64;
            let next = self.clock.now_secs() + delay.max(1);
            update = update.set_index_keys(OutboxEventGsi1Keys {
                pending_shard: event.pending_shard,
                next_retry_at: next,
            });
        }
        match update.send().await {
            Ok(()) => {
                if last {
                    tracing::error!(
                        outbox_id = event.outbox_id,
                        event_type = event.event_type,
                        attempts,
                        reason,
                        "outbox event FAILED: giving up after the last attempt"
                    );
                    self.metrics.outbox_failed(&event.event_type);
                } else {
                    tracing::warn!(
                        outbox_id = event.outbox_id,
                        attempts,
                        reason,
                        "publishing failed; retrying later"
                    );
                    self.metrics.outbox_retry();
                }
                Ok(last)
            }
            Err(e) if e.is_condition_failed() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Records the outcome of publishing (or executing) `event`.
    async fn mark(&self, event: &OutboxEvent, result: Result<(), String>) -> Result<Marked, Error> {
        match result {
            Ok(()) => {
                self.mark_published(event).await?;
                self.metrics.outbox_published(&event.event_type);
                Ok(Marked::Published)
            }
            Err(reason) => Ok(if self.mark_failed(event, &reason).await? {
                Marked::Failed
            } else {
                Marked::Retried
            }),
        }
    }

    /// One pass: reads the due events, claims, publishes and marks them.
    pub async fn pass(&self) -> Result<Pass, Error> {
        let now = self.clock.now_secs();
        let mut due = self.due(now).await?;
        // The lag counts the events waiting for the sink too.
        let lag = due
            .iter()
            .map(|e| e.created_at.unix_timestamp())
            .min()
            .map_or(0, |oldest| (now - oldest).max(0));
        self.metrics
            .outbox_lag(Duration::from_secs(lag.unsigned_abs()));
        if let Err(why) = self.sink.ready() {
            // Events are not claimed, so none spends an attempt while the sink cannot take
            // them; inventory tasks do not need the sink.
            tracing::debug!(why, "events wait for the sink");
            due.retain(|e| e.event_type == RELEASE_TASK);
        }
        let mut pass = Pass {
            due: due.len(),
            ..Pass::default()
        };
        let (mut claimed, failed_claim) = self.claim_all(due, now, &mut pass).await;
        claimed.sort_by_key(|e| e.created_at);
        let (tasks, events): (Vec<OutboxEvent>, Vec<OutboxEvent>) = claimed
            .into_iter()
            .partition(|e| e.event_type == RELEASE_TASK);
        for mark in self.run_and_mark(&tasks, &events).await {
            match mark? {
                Marked::Published => pass.published += 1,
                Marked::Retried => pass.retried += 1,
                Marked::Failed => pass.failed += 1,
            }
        }
        match failed_claim {
            Some(e) => Err(e),
            None => Ok(pass),
        }
    }

    /// Claims `due`: the events claimed, and the first claim that failed. A claim that failed
    /// does not abandon the others: what this pass claimed is published and marked (not left
    /// leased until the lease runs out), then the pass reports the error.
    async fn claim_all(
        &self,
        due: Vec<OutboxEvent>,
        now: i64,
        pass: &mut Pass,
    ) -> (Vec<OutboxEvent>, Option<Error>) {
        let claims: Vec<Result<Option<OutboxEvent>, Error>> = futures_util::stream::iter(due)
            .map(|event| self.claim(event, now))
            .buffer_unordered(16)
            .collect()
            .await;
        let mut claimed = Vec::with_capacity(claims.len());
        let mut failed_claim = None;
        for claim in claims {
            match claim {
                Ok(Some(event)) => claimed.push(event),
                Ok(None) => pass.skipped += 1,
                Err(e) => {
                    failed_claim.get_or_insert(e);
                }
            }
        }
        (claimed, failed_claim)
    }

    /// Executes `tasks` and publishes `events` concurrently, then marks each: a pass takes as
    /// long as its slowest publish and its slowest mark, not their sum. (The streams run over
    /// indices: closures taking references would make the pass's future less general than
    /// `Send` needs.)
    async fn run_and_mark(
        &self,
        tasks: &[OutboxEvent],
        events: &[OutboxEvent],
    ) -> Vec<Result<Marked, Error>> {
        let batches: Vec<&[OutboxEvent]> =
            events.chunks(self.config.batch_size.clamp(1, 10)).collect();
        let executed: Vec<Result<(), String>> = futures_util::stream::iter(0..tasks.len())
            .map(|i| self.execute(&tasks[i]))
            .buffered(PUBLISHES_IN_FLIGHT)
            .collect()
            .await;
        let published: Vec<Vec<PublishResult>> = futures_util::stream::iter(0..batches.len())
            .map(|i| self.sink.publish(batches[i]))
            .buffered(PUBLISHES_IN_FLIGHT)
            .collect()
            .await;
        let published = batches.iter().zip(published).flat_map(|(batch, results)| {
            // Each event its own result, even from a sink that returned too few.
            let missing = std::iter::repeat_with(|| Err("the sink gave no result for it".into()));
            batch.iter().zip(results.into_iter().chain(missing))
        });
        let (outcome_of, results): (Vec<&OutboxEvent>, Vec<Result<(), String>>) =
            tasks.iter().zip(executed).chain(published).unzip();
        futures_util::stream::iter(results.into_iter().enumerate())
            .map(|(i, result)| self.mark(outcome_of[i], result))
            .buffer_unordered(MARKS_IN_FLIGHT)
            .collect()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let config = RelayConfig {
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
            ..RelayConfig::default()
        };
        for (attempts, full) in [(1, 2), (2, 4), (3, 8), (5, 32), (6, 60), (30, 60)] {
            let delay = config.backoff(attempts);
            let full = Duration::from_secs(full);
            assert!(
                delay >= full / 2 && delay <= full,
                "attempt {attempts}: {delay:?} not within [{:?}, {full:?}]",
                full / 2
            );
        }
    }
}
