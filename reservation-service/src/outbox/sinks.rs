//! Where the relay publishes events: EventBridge, or the log.

use crate::resilience::{Guard, Guarded};
use crate::store::{OutboxEvent, rfc3339};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

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

    /// Whether publishing can be tried now: `Err` (why) while the destination's circuit breaker
    /// is open, so the relay leaves events pending instead of spending their attempts.
    fn ready(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The JSON published for an event: the stored payload under `data`, with the outbox id for
/// deduplication and, when the change was a request's, its trace id.
pub fn envelope(event: &OutboxEvent) -> String {
    let data: serde_json::Value =
        serde_json::from_str(&event.payload).unwrap_or(serde_json::Value::Null);
    let mut envelope = serde_json::json!({
        "outbox_id": event.outbox_id,
        "type": event.event_type,
        "occurred_at": rfc3339(event.created_at),
        "data": data,
    });
    if let Some(trace_id) = &event.trace_id {
        envelope["trace_id"] = serde_json::Value::String(trace_id.clone());
    }
    envelope.to_string()
}

/// Publishes to an EventBridge bus.
#[derive(Debug, Clone)]
pub struct EventBridgeSink {
    client: aws_sdk_eventbridge::Client,
    bus: String,
    source: String,
    guard: Guard,
}

impl EventBridgeSink {
    /// Events go to `bus` with `source`; the detail type is the event type. Calls go through
    /// `guard`: a failed `PutEvents` call counts against its breaker (entries EventBridge
    /// refuses one by one do not).
    pub fn new(
        client: aws_sdk_eventbridge::Client,
        bus: impl Into<String>,
        source: impl Into<String>,
        guard: Guard,
    ) -> Self {
        EventBridgeSink {
            guard,
            client,
            bus: bus.into(),
            source: source.into(),
        }
    }

    /// A client from the environment (credentials chain and region), at `endpoint` when given
    /// (a local emulator).
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

/// Each event's result of a `PutEvents` call for `n` events.
fn results_of(
    n: usize,
    response: Result<
        aws_sdk_eventbridge::operation::put_events::PutEventsOutput,
        Guarded<
            aws_sdk_eventbridge::error::SdkError<
                aws_sdk_eventbridge::operation::put_events::PutEventsError,
            >,
        >,
    >,
) -> Vec<PublishResult> {
    let output = match response {
        Ok(output) => output,
        Err(e) => {
            let reason = match e {
                Guarded::Refused(why) => format!("EventBridge is not called: {why}"),
                Guarded::Failed(e) => {
                    aws_sdk_eventbridge::error::DisplayErrorContext(&e).to_string()
                }
            };
            return (0..n).map(|_| Err(reason.clone())).collect();
        }
    };
    let results = output.entries();
    (0..n)
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
            let call = self
                .client
                .put_events()
                .set_entries(Some(entries.collect()))
                .send();
            let span = tracing::info_span!(
                "eventbridge",
                otel.name = "EventBridge.PutEvents",
                otel.kind = "client",
                events = events.len(),
                trace_ids = %events
                    .iter()
                    .filter_map(|e| e.trace_id.as_deref())
                    .collect::<Vec<_>>()
                    .join(","),
            );
            let response =
                tracing::Instrument::instrument(self.guard.call(call, |_| true), span).await;
            results_of(events.len(), response)
        })
    }

    fn describe(&self) -> String {
        format!("EventBridge bus {}", self.bus)
    }

    fn ready(&self) -> Result<(), String> {
        if self.guard.is_call_permitted() {
            Ok(())
        } else {
            Err("EventBridge's circuit breaker is open".into())
        }
    }
}

/// The envelope as the log shows it: a payment intent id masked, as everywhere in the logs.
fn logged(event: &OutboxEvent) -> String {
    let mut envelope: serde_json::Value =
        serde_json::from_str(&envelope(event)).unwrap_or(serde_json::Value::Null);
    if let Some(id) = envelope.pointer_mut("/data/payment_intent_id")
        && let Some(masked) = id.as_str().map(crate::domain::mask_intent)
    {
        *id = serde_json::Value::String(masked);
    }
    envelope.to_string()
}

/// Writes events to the log: for local runs without an event bus.
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
                    event = logged(event),
                    "event published to the log (no event bus is configured)"
                );
            }
            vec![Ok(()); events.len()]
        })
    }

    fn describe(&self) -> String {
        "the log (no event bus is configured)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OutboxStatus;

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
            pending_shard: None,
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
        };
        let value: serde_json::Value = serde_json::from_str(&envelope(&event)).expect("json");
        assert_eq!(
            value,
            serde_json::json!({
                "outbox_id": "obx_1", "type": "reservation.confirmed",
                "occurred_at": "2026-01-02T03:04:05Z", "data": {"reservation_id": "rsv_1"},
                "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            })
        );
    }
}
