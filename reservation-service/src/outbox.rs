//! The outbox relay: publishes the events written with each change, at least once.
//!
//! Every write transaction of the service puts an [`OutboxEvent`] next to the change it
//! announces, `PENDING` and listed in the sparse `GSI1` (`PENDING#<shard>`). The relay:
//!
//! 1. reads each shard of `GSI1` (never a scan) for events whose `next_retry_at` has come: the
//!    index's sort key starts with it, so a key condition selects exactly the due events, in
//!    the order they fell due, and events waiting for a retry never hide due ones;
//! 2. claims each with a conditional update (`lease_owner`, `lease_until`), so replicas never
//!    publish the same event while a lease holds;
//! 3. publishes the claimed events in batches of 10 (`PutEvents`' maximum);
//! 4. marks each published event `PUBLISHED` and takes it out of the index; a failed one gets
//!    `attempts + 1` and a `next_retry_at` with exponential backoff, and `FAILED` after the last
//!    attempt (logged at error level and counted in `outbox_events_failed_total`).
//!
//! A crash between publishing and marking leaves the claim to expire: the event is published
//! again, never lost. Consumers deduplicate with `outbox_id`, which every published event
//! carries.

use crate::metrics::Metrics;
use crate::reservations::pending_shard;
use crate::tables::{OutboxEvent, OutboxStatus, WORK_SHARDS};
use dynamo_core::{Entity, Error, Table};
use futures_util::StreamExt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The result of publishing one event: `Err` carries the reason.
pub type PublishResult = Result<(), String>;

/// Where events go.
pub trait EventSink: Send + Sync {
    /// Publishes up to 10 events; one result per event, in order.
    fn publish<'a>(
        &'a self,
        events: &'a [OutboxEvent],
    ) -> Pin<Box<dyn Future<Output = Vec<PublishResult>> + Send + 'a>>;

    /// For logs: where events go.
    fn describe(&self) -> String;
}

/// The `GSI1` sort key of a pending event: when it is due (epoch seconds, 12 digits, so that
/// string order is time order) and its id.
pub fn due_key(next_retry_at: i64, outbox_id: &str) -> String {
    format!("{:012}#{outbox_id}", next_retry_at.max(0))
}

/// The JSON published for an event: the stored payload under `data`, with the outbox id for
/// deduplication.
pub fn envelope(event: &OutboxEvent) -> String {
    let data: serde_json::Value =
        serde_json::from_str(&event.payload).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "outbox_id": event.outbox_id,
        "type": event.event_type,
        "occurred_at": crate::reservations::rfc3339(event.created_at),
        "data": data,
    })
    .to_string()
}

/// Publishes to an EventBridge bus.
#[derive(Debug, Clone)]
pub struct EventBridgeSink {
    client: aws_sdk_eventbridge::Client,
    bus: String,
    source: String,
}

impl EventBridgeSink {
    /// Events go to `bus` with `source`; the detail type is the event type.
    pub fn new(
        client: aws_sdk_eventbridge::Client,
        bus: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        EventBridgeSink {
            client,
            bus: bus.into(),
            source: source.into(),
        }
    }

    /// A client from the environment (credentials chain, `AWS_REGION`, and
    /// `EVENTBRIDGE_ENDPOINT` for a local emulator).
    pub async fn client_from_env(endpoint: Option<&str>) -> aws_sdk_eventbridge::Client {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let config = loader.load().await;
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(Duration::from_secs(3))
            .operation_timeout(Duration::from_secs(10))
            .build();
        let conf = aws_sdk_eventbridge::config::Builder::from(&config)
            .timeout_config(timeouts)
            .build();
        aws_sdk_eventbridge::Client::from_conf(conf)
    }
}

impl EventSink for EventBridgeSink {
    fn publish<'a>(
        &'a self,
        events: &'a [OutboxEvent],
    ) -> Pin<Box<dyn Future<Output = Vec<PublishResult>> + Send + 'a>> {
        Box::pin(async move {
            use aws_sdk_eventbridge::primitives::DateTime;
            use aws_sdk_eventbridge::types::PutEventsRequestEntry;
            let entries = events.iter().map(|event| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus)
                    .source(&self.source)
                    .detail_type(&event.event_type)
                    .detail(envelope(event))
                    .time(DateTime::from_secs(event.created_at.unix_timestamp()))
                    .build()
            });
            let response = self
                .client
                .put_events()
                .set_entries(Some(entries.collect()))
                .send()
                .await;
            match response {
                Err(e) => {
                    let reason = aws_sdk_eventbridge::error::DisplayErrorContext(&e).to_string();
                    events.iter().map(|_| Err(reason.clone())).collect()
                }
                Ok(output) => {
                    let results = output.entries();
                    (0..events.len())
                        .map(|i| match results.get(i) {
                            Some(entry) if entry.error_code().is_none() => Ok(()),
                            Some(entry) => Err(format!(
                                "{}: {}",
                                entry.error_code().unwrap_or_default(),
                                entry.error_message().unwrap_or_default()
                            )),
                            None => Err("PutEvents returned no result for the entry".into()),
                        })
                        .collect()
                }
            }
        })
    }

    fn describe(&self) -> String {
        format!("EventBridge bus {}", self.bus)
    }
}

/// Writes events to the log: for local runs without `EVENT_BUS_NAME`.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogSink;

impl EventSink for LogSink {
    fn publish<'a>(
        &'a self,
        events: &'a [OutboxEvent],
    ) -> Pin<Box<dyn Future<Output = Vec<PublishResult>> + Send + 'a>> {
        Box::pin(async move {
            for event in events {
                tracing::info!(
                    outbox_id = event.outbox_id,
                    event_type = event.event_type,
                    event = envelope(event),
                    "event published to the log (EVENT_BUS_NAME is unset)"
                );
            }
            vec![Ok(()); events.len()]
        })
    }

    fn describe(&self) -> String {
        "the log (EVENT_BUS_NAME is unset)".into()
    }
}

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

/// Publishes pending outbox events; several may run against the same table.
#[derive(Clone)]
pub struct Relay {
    outbox: Table<OutboxEvent>,
    sink: Arc<dyn EventSink>,
    owner: String,
    config: RelayConfig,
    metrics: Metrics,
}

fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

impl Relay {
    /// A relay on `outbox` publishing to `sink`, with a unique owner id for its claims.
    pub fn new(
        outbox: Table<OutboxEvent>,
        sink: Arc<dyn EventSink>,
        config: RelayConfig,
        metrics: Metrics,
    ) -> Self {
        Relay {
            outbox,
            sink,
            owner: format!("relay_{}", uuid::Uuid::new_v4().simple()),
            config,
            metrics,
        }
    }

    /// Where events go.
    pub fn sink(&self) -> &dyn EventSink {
        self.sink.as_ref()
    }

    /// Events due in every shard (from the eventually consistent index: a claim checks them).
    async fn due(&self, now: i64) -> Result<Vec<OutboxEvent>, Error> {
        let start = fastrand::u8(..WORK_SHARDS);
        let mut due = Vec::new();
        for i in 0..WORK_SHARDS {
            let shard = (start + i) % WORK_SHARDS;
            let page = self
                .outbox
                .query(pending_shard(shard))
                .index("GSI1")
                .sk_lt(format!("{:012}", now + 1))
                .limit(self.config.per_shard)
                .send()
                .await?;
            due.extend(page.items);
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
            .condition(
                f.status
                    .eq(OutboxStatus::Pending)
                    .and(f.next_retry_at.le(now))
                    .and(f.lease_until.not_exists().or(f.lease_until.lt(Some(now)))),
            )
            .send()
            .await;
        match claimed {
            Ok(event) => Ok(Some(event)),
            Err(Error::ConditionFailed { .. } | Error::TransactionConflict { .. }) => Ok(None),
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
            .set(f.published_at, Some(OffsetDateTime::now_utc()))
            .set(f.attempts, event.attempts + 1)
            .remove(f.lease_owner)
            .remove(f.lease_until)
            .remove(f.last_error)
            .remove(f.gsi1pk)
            .remove(f.gsi1sk)
            .condition(f.lease_owner.eq(Some(self.owner.clone())))
            .execute()
            .await;
        match result {
            Err(Error::ConditionFailed { .. }) => {
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
            update = update
                .set(f.status, OutboxStatus::Failed)
                .remove(f.gsi1pk)
                .remove(f.gsi1sk);
        } else {
            // Whole seconds, rounded up: the schedule is in epoch seconds.
            let delay = self.config.backoff(attempts).as_secs_f64().ceil() as i64;
            let next = now_secs() + delay.max(1);
            update = update
                .set(f.next_retry_at, next)
                .set(f.gsi1sk, Some(due_key(next, &event.outbox_id)));
        }
        match update.execute().await {
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
            Err(Error::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// One pass: reads the due events, claims, publishes and marks them.
    pub async fn pass(&self) -> Result<Pass, Error> {
        let now = now_secs();
        let due = self.due(now).await?;
        let lag = due
            .iter()
            .map(|e| e.created_at.unix_timestamp())
            .min()
            .map_or(0, |oldest| (now - oldest).max(0));
        self.metrics
            .outbox_lag(Duration::from_secs(lag.unsigned_abs()));
        let mut pass = Pass {
            due: due.len(),
            ..Pass::default()
        };
        let claims: Vec<Result<Option<OutboxEvent>, Error>> = futures_util::stream::iter(due)
            .map(|event| self.claim(event, now))
            .buffer_unordered(16)
            .collect()
            .await;
        let mut claimed = Vec::with_capacity(claims.len());
        for claim in claims {
            match claim? {
                Some(event) => claimed.push(event),
                None => pass.skipped += 1,
            }
        }
        claimed.sort_by_key(|e| e.created_at);
        for batch in claimed.chunks(self.config.batch_size.clamp(1, 10)) {
            let results = self.sink.publish(batch).await;
            for (event, result) in batch.iter().zip(results) {
                match result {
                    Ok(()) => {
                        self.mark_published(event).await?;
                        self.metrics.outbox_published(&event.event_type);
                        pass.published += 1;
                    }
                    Err(reason) => {
                        if self.mark_failed(event, &reason).await? {
                            pass.failed += 1;
                        } else {
                            pass.retried += 1;
                        }
                    }
                }
            }
        }
        Ok(pass)
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

    #[test]
    fn due_keys_sort_by_time_and_the_bound_selects_the_due_ones() {
        let now = 1_800_000_000;
        let bound = format!("{:012}", now + 1);
        assert!(due_key(now, "obx_z") < bound);
        assert!(due_key(now - 86_400, "obx_a") < due_key(now, "obx_a"));
        assert!(due_key(now + 1, "obx_a") > bound);
        assert!(due_key(99, "obx_a") < due_key(100, "obx_a"), "fixed width");
    }

    #[test]
    fn envelope_carries_the_outbox_id_and_the_payload() {
        let event = OutboxEvent {
            outbox_id: "obx_1".into(),
            event_type: "reservation.confirmed".into(),
            aggregate_id: "rsv_1".into(),
            payload: r#"{"reservation_id":"rsv_1"}"#.into(),
            status: OutboxStatus::Pending,
            attempts: 0,
            next_retry_at: 0,
            created_at: time::macros::datetime!(2026-01-02 03:04:05 UTC),
            lease_owner: None,
            lease_until: None,
            published_at: None,
            last_error: None,
            gsi1pk: None,
            gsi1sk: None,
        };
        let value: serde_json::Value = serde_json::from_str(&envelope(&event)).expect("json");
        assert_eq!(
            value,
            serde_json::json!({
                "outbox_id": "obx_1", "type": "reservation.confirmed",
                "occurred_at": "2026-01-02T03:04:05Z", "data": {"reservation_id": "rsv_1"},
            })
        );
    }
}
