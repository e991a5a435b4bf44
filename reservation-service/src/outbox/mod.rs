//! The outbox: the events written with each change, published at least once by the
//! [`Relay`] to an [`EventSink`].
//!
//! Every write transaction of the service puts an
//! [`OutboxEvent`](crate::store::OutboxEvent) next to the change it
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

mod relay;
mod settings;
mod sinks;

pub use relay::{Pass, Relay, RelayConfig};
pub use settings::{DEFAULT_EVENT_BUS, EventSettings, OutboxSettings, OutboxVariables};
pub use sinks::{EventBridgeSink, EventSink, LogSink, PublishResult, envelope};
