//! Traces: a request continues the caller's `traceparent` and its DynamoDB operations and
//! inventory calls are its child spans; the inventory receives the trace, and the outbox event
//! records it. Spans go to the SDK's in-memory exporter through the service's own layer. Logs:
//! no payment intent or token is ever written whole.
//!
//! A test binary of its own: the subscriber is set for this test's thread, and `tracing`'s
//! per-callsite interest, shared by every thread of a process, must not be decided by the
//! other tests running beside it.

// The API tests' helpers and stubs, of which this test uses a part.
#![allow(dead_code)]

#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/stubs.rs"]
mod stubs;

use crate::helpers::*;
use crate::stubs::InventoryStub;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use reqwest::StatusCode;
use reservation_service::services::inventory::InventorySettings;
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

// One thread: the subscriber set for this test sees the server's tasks too.
#[tokio::test(flavor = "current_thread")]
async fn a_hold_is_one_trace_with_its_dynamodb_and_inventory_spans() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    reservation_service::telemetry::use_w3c_trace_context();
    let subscriber =
        tracing_subscriber::registry().with(reservation_service::telemetry::otel_layer(&provider));
    let _traced = tracing::subscriber::set_default(subscriber);

    let inventory = InventoryStub::start(["T-1".to_string()], 10_000).await;
    let address = inventory.address.parse().expect("uri");
    let app = TestApp::builder()
        .settings(|s| {
            s.inventory = InventorySettings::Grpc {
                address,
                timeout: Duration::from_millis(200),
            }
        })
        .spawn()
        .await;
    let response = app
        .http
        .post(format!("{}/v1/reservations", app.base))
        .bearer_auth(app.token("u1"))
        .header("Idempotency-Key", "t1")
        .header("traceparent", format!("00-{TRACE}-{CALLER_SPAN}-01"))
        .json(&create_body("u1", "evt_t", &["T-1"]))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["x-trace-id"], TRACE);
    provider.force_flush().expect("flush");

    let trace = TraceId::from_hex(TRACE).expect("hex");
    let spans: Vec<_> = exporter
        .get_finished_spans()
        .expect("spans")
        .into_iter()
        .filter(|s| s.span_context.trace_id() == trace)
        .collect();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_ref()).collect();
    let server = spans
        .iter()
        .find(|s| s.name == "POST /v1/reservations")
        .unwrap_or_else(|| panic!("no server span in {names:?}"));
    assert_eq!(
        server.parent_span_id,
        SpanId::from_hex(CALLER_SPAN).expect("hex")
    );
    assert_eq!(server.span_kind, opentelemetry::trace::SpanKind::Server);
    for expected in [
        "inventory.v1.Inventory/CheckAvailability",
        "inventory.v1.Inventory/CommitReservation",
        "DynamoDB.PutItem",
        "DynamoDB.TransactWriteItems",
    ] {
        let span = spans
            .iter()
            .find(|s| s.name == expected)
            .unwrap_or_else(|| panic!("no {expected} span in {names:?}"));
        assert_eq!(
            span.span_kind,
            opentelemetry::trace::SpanKind::Client,
            "{expected}"
        );
        // A descendant of the server span, in the same trace.
        let mut parent = span.parent_span_id;
        while parent != server.span_context.span_id() {
            parent = spans
                .iter()
                .find(|s| s.span_context.span_id() == parent)
                .unwrap_or_else(|| panic!("{expected} is not under the request: {names:?}"))
                .parent_span_id;
        }
    }

    // The inventory was called within the trace, and the event records it.
    let parents = inventory.traceparents();
    assert_eq!(parents.len(), 2, "{parents:?}");
    assert!(
        parents
            .iter()
            .all(|p| p.starts_with(&format!("00-{TRACE}-"))),
        "{parents:?}"
    );
    let events = app.outbox_events().await;
    let hold = events
        .iter()
        .find(|e| e.event_type == "reservation.hold.created")
        .expect("the hold's event");
    assert_eq!(hold.trace_id.as_deref(), Some(TRACE));
}

/// What the fmt layer writes, kept in memory.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Every log line of a run that used payment intents (approved, unknown, with the payment API
/// down), bearer and admission tokens, and logged its events: none holds any of them whole.
#[tokio::test(flavor = "current_thread")]
async fn the_logs_never_hold_a_payment_intent_or_a_token() {
    use reservation_service::outbox::{EventSink, LogSink};
    use reservation_service::services::PaymentSettings;
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    let _logged = tracing::subscriber::set_default(subscriber);

    let api = stubs::PaymentApi::start().await;
    let app = TestApp::builder()
        .settings(|s| {
            s.payment = PaymentSettings::Http {
                url: api.url.clone(),
                timeout: Duration::from_millis(500),
            }
        })
        .spawn()
        .await;
    app.seed("evt_l", ["L-1".to_string()]).await;
    let admission = "rtkn_admission_SECRET_0042";
    let body = serde_json::json!({"event_id": "evt_l", "qty": 1, "seat_ids": ["L-1"], "user_id": "u1", "reservation_token": admission});
    let (status, held, _) = app
        .post("/v1/reservations", Some("u1"), Some("h1"), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let id = held["reservation_id"].as_str().expect("id").to_owned();

    let unknown = "pay_unknown_SECRET_1111";
    let (status, _, _) = app.confirm("u1", &id, "c1", unknown).await;
    assert_eq!(status.as_u16(), 412);
    api.set_down(true);
    let while_down = "pay_down_SECRET_2222";
    let (status, _, _) = app.confirm("u1", &id, "c2", while_down).await;
    assert_eq!(status.as_u16(), 503);
    api.set_down(false);
    let approved = format!("pay_for_{SEAT_PRICE}_{id}");
    let (status, body, _) = app.confirm("u1", &id, "c3", &approved).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let events = app.outbox_events().await;
    assert!(
        events.iter().any(|e| e.payload.contains(&approved)),
        "stored whole, for consumers"
    );
    let published = LogSink.publish(&events).await;
    assert!(published.iter().all(Result::is_ok));

    let logs = String::from_utf8_lossy(&logs.0.lock().expect("lock")).into_owned();
    // The refusal and the outage were logged, with the intents masked.
    for masked in ["pay_…11", "pay_…22"] {
        assert!(logs.contains(masked), "{masked} not logged:\n{logs}");
    }
    assert!(
        logs.contains("reservation.confirmed"),
        "the events were logged:\n{logs}"
    );
    for secret in [
        unknown,
        while_down,
        approved.as_str(),
        admission,
        &app.token("u1"),
    ] {
        assert!(!logs.contains(secret), "{secret} is in the logs:\n{logs}");
    }
}
