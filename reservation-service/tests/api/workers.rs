//! The outbox relay and the hold sweeper against the emulator, with several replicas at once
//! and a clock the test moves; the EventBridge sink against injected PutEvents answers.

use crate::helpers::*;
use dynamo_core::Entity;
use dynamo_core::error::{ErrorKind, Operation};
use dynamo_core::testing::{Fault, Faults, Rule};
use dynamo_core::{AttributeValue, Item};
use reqwest::StatusCode;
use reservation_service::clock::Clock;
use reservation_service::outbox::{EventBridgeSink, EventSink, PublishResult, Relay, RelayConfig};
use reservation_service::store::{
    HoldShard, IdempotencyRecord, IdempotencyRecordKey, OutboxEvent, OutboxStatus, PendingShard,
    Reservation, ReservationStatus, SeatState, WorkerMember, WorkerMemberPartition,
};
use reservation_service::workers::{HEARTBEAT, ShardLeases};
use serde_json::json;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Records what it publishes (and notifies `published_any`); fails every event while `fail`
/// is set.
#[derive(Default)]
struct Capture {
    published: Mutex<Vec<OutboxEvent>>,
    published_any: Notify,
    fail: bool,
}

impl Capture {
    fn ids(&self) -> Vec<String> {
        self.published
            .lock()
            .expect("lock")
            .iter()
            .map(|e| e.outbox_id.clone())
            .collect()
    }

    fn types(&self) -> Vec<String> {
        self.published
            .lock()
            .expect("lock")
            .iter()
            .map(|e| e.event_type.clone())
            .collect()
    }
}

impl EventSink for Capture {
    fn publish<'a>(
        &'a self,
        events: &'a [OutboxEvent],
    ) -> Pin<Box<dyn Future<Output = Vec<PublishResult>> + Send + 'a>> {
        Box::pin(async move {
            assert!(events.len() <= 10, "PutEvents takes at most 10 entries");
            if self.fail {
                return vec![Err("bus unavailable".to_owned()); events.len()];
            }
            self.published
                .lock()
                .expect("lock")
                .extend(events.iter().cloned());
            self.published_any.notify_one();
            vec![Ok(()); events.len()]
        })
    }

    fn describe(&self) -> String {
        "capture".into()
    }
}

fn relay(app: &TestApp, sink: Arc<Capture>, config: RelayConfig) -> Relay {
    app.state.relay_with(sink, config)
}

async fn events(app: &TestApp) -> Vec<OutboxEvent> {
    app.outbox_events().await
}

#[tokio::test]
async fn the_relay_publishes_every_change_once_and_empties_the_index() {
    let app = TestApp::spawn().await;
    app.seed("evt_1", (1..=3).map(|n| format!("R-{n}"))).await;
    let confirmed = app.reservation_id("alice", "k1", &["R-1"]).await;
    let (status, body, _) = app
        .post(
            &format!("/v1/reservations/{confirmed}/confirm"),
            Some("alice"),
            Some("k2"),
            Some(json!({"payment_intent_id": "pay_1"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cancelled = app.reservation_id("alice", "k3", &["R-2"]).await;
    let (status, body, _) = app.cancel("alice", &cancelled, "k4").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let sink = Arc::new(Capture::default());
    let relay = relay(&app, sink.clone(), RelayConfig::default());
    let pass = relay.pass().await.expect("pass");
    assert_eq!((pass.due, pass.published), (4, 4), "{pass:?}");
    let mut types = sink.types();
    types.sort();
    assert_eq!(
        types,
        [
            "reservation.cancelled",
            "reservation.confirmed",
            "reservation.hold.created",
            "reservation.hold.created"
        ]
    );
    for event in events(&app).await {
        assert_eq!(event.status, OutboxStatus::Published, "{event:?}");
        assert_eq!(event.attempts, 1);
        assert!(event.published_at.is_some());
        assert!(
            event.pending_shard.is_none() && event.lease_owner.is_none(),
            "out of the index: {event:?}"
        );
        let stored = app.stored_item::<OutboxEvent>(event.key()).await;
        assert!(
            !stored.contains_key("gsi1pk") && !stored.contains_key("gsi1sk"),
            "{stored:?}"
        );
        let payload: serde_json::Value = serde_json::from_str(&event.payload).expect("json");
        assert_eq!(payload["reservation_id"], event.aggregate_id.as_str());
    }
    let again = relay.pass().await.expect("pass");
    assert_eq!(again.due, 0, "nothing is published twice: {again:?}");
    assert_eq!(sink.ids().len(), 4);
}

/// A claim that fails (here DynamoDB refuses it: the event's item is at the size limit, and the
/// lease attributes would push it over) does not abandon the pass's other claims: they are
/// published and marked, not left leased until the lease runs out; then the pass reports the
/// error.
#[tokio::test]
async fn a_failed_claim_leaves_no_other_event_leased() {
    let faults = Faults::seeded(1);
    let app = TestApp::builder().faults(&faults).spawn().await;
    app.seed("evt_1", ["C-1".to_string(), "C-2".to_string()])
        .await;
    app.reservation_id("alice", "k1", &["C-1"]).await;
    app.reservation_id("bob", "k2", &["C-2"]).await;
    let stored = events(&app).await;
    assert_eq!(stored.len(), 2);
    let (refused, other) = (&stored[0], &stored[1]);
    // Every attempt to claim one event fails as DynamoDB fails on a bad day.
    faults.add(
        Rule::new(Fault::InternalServerError)
            .operation(Operation::UpdateItem)
            .table("outbox")
            .mentioning(refused.outbox_id.as_str()),
    );

    let sink = Arc::new(Capture::default());
    let relay = relay(&app, sink.clone(), RelayConfig::default());
    let err = relay
        .pass()
        .await
        .expect_err("the refused claim fails the pass");
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    assert!(faults.injected_of(Fault::InternalServerError) >= 1);
    assert_eq!(
        sink.ids(),
        std::slice::from_ref(&other.outbox_id),
        "the other event is published"
    );
    for event in events(&app).await {
        assert!(event.lease_owner.is_none(), "no claim left: {event:?}");
        let expected = if event.outbox_id == other.outbox_id {
            OutboxStatus::Published
        } else {
            OutboxStatus::Pending
        };
        assert_eq!(event.status, expected, "{event:?}");
    }
}

/// A claim DynamoDB applied and whose answer was lost: the SDK's retry finds the event leased
/// (by this relay). The relay must take that as its own claim, not as another relay's, or the
/// event waits a whole lease for nobody.
#[tokio::test]
async fn a_claim_whose_answer_was_lost_is_still_this_relays() {
    let faults = Faults::seeded(1);
    let app = TestApp::builder().faults(&faults).spawn().await;
    app.seed("evt_1", ["L-1".to_string()]).await;
    app.reservation_id("alice", "k1", &["L-1"]).await;
    faults.add(
        Rule::new(Fault::LostAnswer)
            .operation(Operation::UpdateItem)
            .table("outbox")
            .first(1),
    );
    let sink = Arc::new(Capture::default());
    let relay = relay(&app, sink.clone(), RelayConfig::default());
    let pass = relay.pass().await.expect("pass");
    assert_eq!(faults.injected_of(Fault::LostAnswer), 1);
    assert_eq!(pass.published, 1, "{pass:?}");
    assert_eq!(sink.ids().len(), 1);
    let events = events(&app).await;
    assert!(
        events
            .iter()
            .all(|e| e.status == OutboxStatus::Published && e.lease_owner.is_none()),
        "{events:?}"
    );
}

#[tokio::test]
async fn replicas_never_publish_the_same_event_twice() {
    let app = TestApp::spawn().await;
    app.seed("evt_1", (1..=30).map(|n| format!("S-{n}"))).await;
    for n in 1..=30 {
        app.reservation_id(&format!("user{n}"), "k", &[&format!("S-{n}")])
            .await;
    }
    let sinks: Vec<Arc<Capture>> = (0..3).map(|_| Arc::new(Capture::default())).collect();
    let relays: Vec<Relay> = sinks
        .iter()
        .map(|sink| relay(&app, sink.clone(), RelayConfig::default()))
        .collect();
    let passes = futures_util::future::join_all(relays.iter().map(Relay::pass)).await;
    let published: usize = passes
        .iter()
        .map(|p| p.as_ref().expect("pass").published)
        .sum();
    assert_eq!(published, 30, "{passes:?}");
    let mut seen = HashSet::new();
    for sink in &sinks {
        for id in sink.ids() {
            assert!(seen.insert(id.clone()), "{id} published twice");
        }
    }
    assert_eq!(seen.len(), 30);
}

#[tokio::test]
async fn failed_publishes_back_off_then_fail() {
    let app = TestApp::spawn().await;
    app.seed("evt_1", ["F-1".to_string()]).await;
    app.reservation_id("alice", "k1", &["F-1"]).await;
    let config = RelayConfig {
        max_attempts: 2,
        // 1.5 to 3 s, rounded up to whole seconds: at least 2 s after the failure.
        base_backoff: Duration::from_secs(3),
        max_backoff: Duration::from_secs(3),
        ..RelayConfig::default()
    };
    let failing = relay(
        &app,
        Arc::new(Capture {
            fail: true,
            ..Capture::default()
        }),
        config,
    );
    let first = failing.pass().await.expect("pass");
    assert_eq!((first.retried, first.failed), (1, 0), "{first:?}");
    let event = events(&app).await.remove(0);
    assert_eq!(event.status, OutboxStatus::Pending);
    assert_eq!(event.attempts, 1);
    assert_eq!(event.last_error.as_deref(), Some("bus unavailable"));
    assert!(event.pending_shard.is_some(), "still pending in the index");
    let stored = app.stored_item::<OutboxEvent>(event.key()).await;
    let due = format!("{:012}#{}", event.next_retry_at, event.outbox_id);
    assert_eq!(
        stored["gsi1sk"].as_s().ok(),
        Some(&due),
        "rescheduled in the index"
    );
    assert!(event.next_retry_at >= app.clock.now_secs() + 2, "{event:?}");
    assert!(event.lease_owner.is_none(), "the claim is released");

    let early = failing.pass().await.expect("pass");
    assert_eq!(early.due, 0, "not due before next_retry_at: {early:?}");

    app.clock.advance(Duration::from_secs(3));
    let last = failing.pass().await.expect("pass");
    assert_eq!((last.retried, last.failed), (0, 1), "{last:?}");
    let event = events(&app).await.remove(0);
    assert_eq!(event.status, OutboxStatus::Failed);
    assert_eq!(event.attempts, 2);
    assert!(
        event.pending_shard.is_none(),
        "a failed event leaves the index"
    );
    let stored = app.stored_item::<OutboxEvent>(event.key()).await;
    assert!(!stored.contains_key("gsi1pk"), "{stored:?}");
}

#[tokio::test]
async fn the_sweeper_expires_each_hold_once_and_announces_it() {
    let app = TestApp::builder()
        .hold_ttl(Duration::from_secs(1))
        .spawn()
        .await;
    app.seed(
        "evt_1",
        ["W-1".to_string(), "W-2".to_string(), "W-3".to_string()],
    )
    .await;
    let cancelled = app.reservation_id("alice", "k1", &["W-1"]).await;
    let (status, _, _) = app.cancel("alice", &cancelled, "k2").await;
    assert_eq!(status, StatusCode::OK);
    let expired = app.reservation_id("bob", "k1", &["W-2", "W-3"]).await;
    app.end_holds();

    // Three replicas sweep at once: the hold expires once.
    let sweeps =
        futures_util::future::join_all((0..3).map(|_| app.state.reservations.sweep(100))).await;
    let total: usize = sweeps.into_iter().map(|s| s.expect("sweeps")).sum();
    assert_eq!(total, 1);
    assert_eq!(app.state.reservations.sweep(100).await.expect("sweeps"), 0);

    let stored = app.reservation(&expired).await;
    assert_eq!(stored.status, ReservationStatus::Expired);
    assert!(stored.hold_shard.is_none() && stored.gsi2sk.is_none());
    let item = app.stored_item::<Reservation>(stored.key()).await;
    assert!(
        !item.contains_key("gsi2pk"),
        "out of the sweeper's index: {item:?}"
    );
    for seat in ["W-2", "W-3"] {
        let seat = app.seat("evt_1", seat).await;
        assert_eq!(seat.state, SeatState::Available);
        assert_eq!(seat.holder, None);
    }
    let expired_events: Vec<OutboxEvent> = events(&app)
        .await
        .into_iter()
        .filter(|e| e.event_type == "reservation.expired")
        .collect();
    assert_eq!(expired_events.len(), 1);
    assert_eq!(expired_events[0].aggregate_id, expired);

    let (status, err, _) = app
        .post(
            &format!("/v1/reservations/{expired}/confirm"),
            Some("bob"),
            Some("k2"),
            Some(json!({"payment_intent_id": "pay_1"})),
        )
        .await;
    assert_error(status, &err, 409, "RESERVATION_EXPIRED");
    let metrics = app.state.metrics.render();
    assert!(
        metrics.contains(r#"reservation_status_total{status="EXPIRED"} 1"#),
        "{metrics}"
    );
}

mod eventbridge {
    use super::*;
    use aws_sdk_eventbridge::Client;
    use aws_sdk_eventbridge::operation::put_events::{PutEventsError, PutEventsOutput};
    use aws_sdk_eventbridge::types::PutEventsResultEntry;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use reservation_service::clock::{ManualClock, SharedClock};
    use reservation_service::metrics::Metrics;
    use reservation_service::resilience::{Guard, ResilienceSettings};

    fn guard() -> Guard {
        Guard::new(
            "eventbridge",
            ResilienceSettings::default(),
            &Metrics::new(),
            &(Arc::new(ManualClock::starting_now()) as SharedClock),
        )
    }

    fn event(n: u32) -> OutboxEvent {
        OutboxEvent {
            outbox_id: format!("obx_{n}"),
            event_type: "reservation.hold.created".into(),
            aggregate_id: format!("rsv_{n}"),
            payload: format!(r#"{{"reservation_id":"rsv_{n}"}}"#),
            status: OutboxStatus::Pending,
            attempts: 0,
            next_retry_at: 0,
            created_at: time::OffsetDateTime::now_utc(),
            lease_owner: None,
            lease_until: None,
            published_at: None,
            last_error: None,
            pending_shard: None,
            trace_id: None,
        }
    }

    #[tokio::test]
    async fn entries_carry_bus_source_type_and_envelope_and_partial_failures_are_per_event() {
        let rule = mock!(Client::put_events)
            .match_requests(|input| {
                let entries = input.entries();
                entries.len() == 3
                    && entries.iter().all(|e| {
                        e.event_bus_name() == Some("tickets")
                            && e.source() == Some("ticket.reservation")
                            && e.detail_type() == Some("reservation.hold.created")
                            && e.detail()
                                .is_some_and(|d| d.contains("\"outbox_id\":\"obx_"))
                    })
            })
            .then_output(|| {
                PutEventsOutput::builder()
                    .failed_entry_count(1)
                    .entries(PutEventsResultEntry::builder().event_id("e1").build())
                    .entries(
                        PutEventsResultEntry::builder()
                            .error_code("InternalFailure")
                            .error_message("try again")
                            .build(),
                    )
                    .entries(PutEventsResultEntry::builder().event_id("e3").build())
                    .build()
            });
        let client = mock_client!(aws_sdk_eventbridge, [&rule]);
        let sink = EventBridgeSink::new(client, "tickets", "ticket.reservation", guard());
        let results = sink.publish(&[event(1), event(2), event(3)]).await;
        assert_eq!(
            results,
            [Ok(()), Err("InternalFailure: try again".to_owned()), Ok(())]
        );
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_failed_call_fails_every_event() {
        let rule = mock!(Client::put_events).then_error(|| {
            PutEventsError::InternalException(
                aws_sdk_eventbridge::types::error::InternalException::builder()
                    .message("down")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_eventbridge, [&rule]);
        let sink = EventBridgeSink::new(client, "tickets", "ticket.reservation", guard());
        let results = sink.publish(&[event(1), event(2)]).await;
        assert_eq!(results.len(), 2);
        assert!(results.iter().all(Result::is_err), "{results:?}");
    }

    #[tokio::test]
    async fn failing_calls_open_the_breaker_and_the_relay_then_spends_no_attempts() {
        let app = TestApp::spawn().await;
        app.seed("evt_1", ["N-1".to_string()]).await;
        app.reservation_id("alice", "k1", &["N-1"]).await;
        let down = || {
            mock!(Client::put_events).then_error(|| {
                PutEventsError::InternalException(
                    aws_sdk_eventbridge::types::error::InternalException::builder()
                        .message("down")
                        .build(),
                )
            })
        };
        let (down_1, down_2) = (down(), down());
        let up = mock!(Client::put_events).then_output(|| {
            PutEventsOutput::builder()
                .entries(PutEventsResultEntry::builder().event_id("e1").build())
                .build()
        });
        let client = mock_client!(
            aws_sdk_eventbridge,
            RuleMode::Sequential,
            [&down_1, &down_2, &up]
        );
        let metrics = Metrics::new();
        let settings = ResilienceSettings {
            failures: 2,
            open_for: Duration::from_millis(300),
            max_concurrent: 4,
        };
        // The breaker's own clock: the relay's moves on its own below.
        let breaker_clock = ManualClock::starting_now();
        let sink = EventBridgeSink::new(
            client,
            "tickets",
            "ticket.reservation",
            Guard::new(
                "eventbridge",
                settings,
                &metrics,
                &(Arc::new(breaker_clock.clone()) as SharedClock),
            ),
        );
        for _ in 0..2 {
            assert!(sink.publish(&[event(1)]).await[0].is_err());
        }
        assert!(sink.ready().is_err(), "two failures in a row open it");
        let refused = sink.publish(&[event(1)]).await;
        assert!(
            refused[0]
                .as_ref()
                .is_err_and(|e| e.contains("circuit breaker is open")),
            "{refused:?}"
        );
        assert_eq!(
            down_1.num_calls() + down_2.num_calls() + up.num_calls(),
            2,
            "refused without a call"
        );
        assert!(
            metrics.render().contains(
                r#"resilience4j_circuitbreaker_state{name="eventbridge",state="open"} 1"#
            )
        );

        // The relay leaves a due event alone while the breaker is open.
        let relay = app
            .state
            .relay_with(Arc::new(sink.clone()), RelayConfig::default());
        app.clock.advance(Duration::from_secs(5));
        let pass = relay.pass().await.expect("pass");
        assert_eq!(pass.published + pass.retried + pass.failed, 0, "{pass:?}");
        // The waiting event still counts in the lag.
        let text = app.state.metrics.render();
        assert!(text.contains("outbox_lag_seconds 5.0"), "{text}");
        let stored = events(&app).await;
        assert!(
            stored
                .iter()
                .all(|e| e.attempts == 0 && e.lease_owner.is_none())
        );

        // Half-open after the wait: the next call goes through and closes it.
        breaker_clock.advance(Duration::from_millis(300));
        let pass = relay.pass().await.expect("pass");
        assert_eq!(pass.published, 1, "{pass:?}");
        assert!(sink.ready().is_ok());
        assert!(
            metrics.render().contains(
                r#"resilience4j_circuitbreaker_state{name="eventbridge",state="closed"} 1"#
            )
        );
    }
}

#[tokio::test]
async fn running_workers_publish_a_change_at_once_and_stop_cleanly() {
    // The idle interval is a minute: only the wake-up after a commit can publish in time.
    let app = TestApp::builder()
        .settings(|s| s.outbox.relay_interval = Duration::from_secs(60))
        .spawn()
        .await;
    app.seed("evt_1", ["N-1".to_string()]).await;
    let sink = Arc::new(Capture::default());
    let workers = app.state.spawn_workers(sink.clone());
    // The first pass runs at start and finds nothing: the relay is then idle for a minute.
    let mut passes = workers.relay_passes();
    passes.wait_for(|n| *n >= 1).await.expect("the relay runs");
    let id = app.reservation_id("alice", "k1", &["N-1"]).await;
    tokio::time::timeout(Duration::from_secs(10), sink.published_any.notified())
        .await
        .expect("published within seconds, not a minute");
    let published = sink.published.lock().expect("lock").clone();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].aggregate_id, id);
    tokio::time::timeout(Duration::from_secs(5), workers.stop())
        .await
        .expect("the workers stop promptly");
}

/// Writes `item` as it is, over the stored one.
async fn put_raw<E: Entity>(app: &TestApp, item: Item) {
    let table = app.table::<E>();
    table
        .client()
        .put_item()
        .table_name(table.name())
        .set_item(Some(item))
        .send()
        .await
        .expect("written");
}

/// Items written before their index keys were key templates (the keys hand-formatted, without
/// the fields templates are made of, in the one-digit shards of before `Shard<N>`) are still
/// read, swept, published and replayed.
#[tokio::test]
async fn items_written_before_key_templates_are_read_swept_published_and_replayed() {
    let app = TestApp::builder()
        .hold_ttl(Duration::from_secs(1))
        .spawn()
        .await;
    app.seed("evt_1", ["W-1".to_string()]).await;
    let (status, created, created_text) = app.hold("alice", "k-old", "evt_1", &["W-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["reservation_id"].as_str().expect("id").to_owned();

    // The reservation as the earlier version wrote it: GSI1's sort key with whole seconds, GSI2's
    // key without the shard field.
    let reservation = app.reservation(&id).await;
    let mut item = app.stored_item::<Reservation>(reservation.key()).await;
    assert!(item.remove("hold_shard").is_some());
    let whole_seconds = reservation_service::store::rfc3339(reservation.created_at);
    item.insert(
        "gsi1sk".into(),
        AttributeValue::S(format!("{whole_seconds}#{id}")),
    );
    assert!(item["gsi2pk"].as_s().is_ok_and(|k| k.starts_with("HOLD#")));
    item.insert("gsi2pk".into(), AttributeValue::S("HOLD#3".into()));
    put_raw::<Reservation>(&app, item).await;
    // The outbox event without its shard field (its GSI1 keys were written the same way).
    let event = events(&app).await.remove(0);
    let mut item = app.stored_item::<OutboxEvent>(event.key()).await;
    assert!(item.remove("pending_shard").is_some());
    item.insert("gsi1pk".into(), AttributeValue::S("PENDING#5".into()));
    put_raw::<OutboxEvent>(&app, item).await;
    // The idempotency record with only its `<user>#<key>` key.
    let key = IdempotencyRecordKey::new("alice", "k-old");
    let mut item = app.stored_item::<IdempotencyRecord>(key).await;
    assert_eq!(
        item["pk"].as_s().ok().map(String::as_str),
        Some("alice#k-old")
    );
    assert!(item.remove("user_id").is_some() && item.remove("idempotency_key").is_some());
    put_raw::<IdempotencyRecord>(&app, item).await;

    let (status, body, _) = app.get(&format!("/v1/reservations/{id}"), "alice").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "HOLD");
    let (status, _, replayed) = app.hold("alice", "k-old", "evt_1", &["W-1"]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(replayed, created_text, "replayed from the old record");

    let sink = Arc::new(Capture::default());
    let pass = relay(&app, sink.clone(), RelayConfig::default())
        .pass()
        .await
        .expect("pass");
    assert_eq!(pass.published, 1, "{pass:?}");
    let stored = app.stored_item::<OutboxEvent>(event.key()).await;
    assert!(
        !stored.contains_key("gsi1pk"),
        "out of the relay's index: {stored:?}"
    );

    app.end_holds();
    assert_eq!(app.state.reservations.sweep(100).await.expect("sweeps"), 1);
    let expired = app.reservation(&id).await;
    assert_eq!(expired.status, ReservationStatus::Expired);
    let stored = app.stored_item::<Reservation>(expired.key()).await;
    assert!(
        !stored.contains_key("gsi2pk"),
        "out of the sweeper's index: {stored:?}"
    );
}

/// `n` replicas' memberships, after each has seen the others' heartbeats.
async fn members(app: &TestApp, n: usize) -> Vec<Arc<ShardLeases>> {
    let leases: Vec<Arc<ShardLeases>> = (0..n)
        .map(|_| {
            Arc::new(ShardLeases::new(
                app.state.reservations.tables().workers.clone(),
                app.state.reservations.clock().clone(),
            ))
        })
        .collect();
    for lease in &leases {
        lease.owned(1).await.expect("a heartbeat");
    }
    // At the next heartbeat every replica reads all of them.
    app.clock.advance(HEARTBEAT);
    leases
}

/// Asserts that the replicas' shards of `count` are disjoint and cover all of them.
async fn assert_shared(leases: &[Arc<ShardLeases>], count: u32) -> Vec<Vec<u32>> {
    let mut owned = Vec::new();
    for lease in leases {
        owned.push(lease.owned(count).await.expect("shards"));
    }
    let mut all: Vec<u32> = owned.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..count).collect::<Vec<_>>(),
        "each shard once: {owned:?}"
    );
    assert!(
        owned.iter().all(|o| !o.is_empty()),
        "every replica works: {owned:?}"
    );
    owned
}

#[tokio::test]
async fn replicas_share_the_work_shards_and_race_for_no_entry() {
    let app = TestApp::builder()
        .hold_ttl(Duration::from_secs(1))
        .spawn()
        .await;
    let leases = members(&app, 3).await;
    assert_shared(&leases, PendingShard::COUNT).await;
    assert_shared(&leases, HoldShard::COUNT).await;

    app.seed("evt_1", (1..=40).map(|n| format!("L-{n}"))).await;
    for n in 1..=40 {
        app.reservation_id(&format!("user{n}"), "k", &[&format!("L-{n}")])
            .await;
    }
    let sinks: Vec<Arc<Capture>> = (0..3).map(|_| Arc::new(Capture::default())).collect();
    let relays: Vec<Relay> = sinks
        .iter()
        .zip(&leases)
        .map(|(sink, lease)| {
            relay(&app, sink.clone(), RelayConfig::default()).with_leases(lease.clone())
        })
        .collect();
    let passes = futures_util::future::join_all(relays.iter().map(Relay::pass)).await;
    let passes: Vec<_> = passes.into_iter().map(|p| p.expect("pass")).collect();
    // Each replica read only its own shards: no entry was due for two of them.
    assert_eq!(
        passes.iter().map(|p| p.due).sum::<usize>(),
        40,
        "{passes:?}"
    );
    assert_eq!(
        passes.iter().map(|p| p.skipped).sum::<usize>(),
        0,
        "{passes:?}"
    );
    assert_eq!(passes.iter().map(|p| p.published).sum::<usize>(), 40);
    for (sink, lease) in sinks.iter().zip(&leases) {
        let mine = lease.owned(PendingShard::COUNT).await.expect("shards");
        for event in sink.published.lock().expect("lock").iter() {
            let shard = event.pending_shard.map(u32::from).expect("a shard");
            assert!(
                mine.contains(&shard),
                "{} from shard {shard}",
                event.outbox_id
            );
        }
    }

    // The holds end; each replica sweeps its own shards, and together they expire each once.
    app.end_holds();
    let mut expired = 0;
    for lease in &leases {
        let shards = lease.owned(HoldShard::COUNT).await.expect("shards");
        expired += app
            .state
            .reservations
            .sweep_shards(shards, 100)
            .await
            .expect("sweeps");
    }
    assert_eq!(expired, 40);
}

#[tokio::test]
async fn the_shards_of_a_replica_that_stops_or_dies_go_to_the_others() {
    let app = TestApp::spawn().await;
    let leases = members(&app, 3).await;
    assert_shared(&leases, PendingShard::COUNT).await;

    // One stops: its heartbeat is deleted, and at their next heartbeat the others share all.
    leases[0].leave().await.expect("leaves");
    app.clock.advance(HEARTBEAT);
    let owned = assert_shared(&leases[1..], PendingShard::COUNT).await;
    assert_eq!(owned.len(), 2);

    // One dies without a word: three heartbeats later the last one works alone, and the dead
    // one's heartbeat is gone from the table.
    let survivor = &leases[1];
    for _ in 0..4 {
        app.clock.advance(HEARTBEAT);
        survivor.owned(1).await.expect("a heartbeat");
    }
    assert_eq!(
        survivor.owned(PendingShard::COUNT).await.expect("shards"),
        (0..PendingShard::COUNT).collect::<Vec<_>>()
    );
    let stored = app
        .table::<WorkerMember>()
        .query(WorkerMemberPartition::new())
        .consistent_read()
        .all()
        .await
        .expect("members");
    let owners: Vec<&str> = stored.iter().map(|m| m.owner.as_str()).collect();
    assert_eq!(owners, [survivor.owner()], "expired heartbeats are deleted");
}
