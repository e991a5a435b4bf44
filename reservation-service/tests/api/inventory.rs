//! Seats held in inventory-api over gRPC (an in-process tonic server): holds commit there,
//! cancellations and expiry release through the outbox, and no failure of the inventory leaves
//! a reservation without its seats or seats without a reservation.

use crate::helpers::*;
use crate::stubs::{self, InventoryStub};
use reqwest::StatusCode;
use reservation_service::configuration::Settings;
use reservation_service::outbox::LogSink;
use reservation_service::services::inventory::InventorySettings;
use reservation_service::services::inventory::RELEASE_TASK;
use reservation_service::store::{OutboxEvent, OutboxStatus, ReservationStatus};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const PRICE: u64 = 10_000;

fn grpc(address: &str) -> impl FnOnce(&mut Settings) {
    let address = address.parse().expect("uri");
    move |s| {
        s.inventory = InventorySettings::Grpc {
            address,
            timeout: Duration::from_millis(200),
        }
    }
}

fn seats(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Runs relay passes until nothing is left to do: events published, releases executed.
async fn drain_outbox(app: &TestApp) {
    let relay = app.state.relay(Arc::new(LogSink));
    for _ in 0..50 {
        let pass = relay.pass().await.expect("relay pass");
        if pass.due == 0 {
            return;
        }
        if pass.skipped == pass.due {
            // Claimed by the workers' relay, stopped since: its leases run out.
            app.clock.advance(std::time::Duration::from_secs(31));
        }
    }
    panic!("the outbox does not drain");
}

async fn stored_reservations(app: &TestApp) -> Vec<reservation_service::store::Reservation> {
    app.table::<reservation_service::store::Reservation>()
        .scan()
        .all()
        .await
        .expect("scans")
}

/// The inventory tasks still waiting in the outbox.
async fn pending_tasks(app: &TestApp) -> Vec<OutboxEvent> {
    app.outbox_events()
        .await
        .into_iter()
        .filter(|e| e.event_type == RELEASE_TASK && e.status == OutboxStatus::Pending)
        .collect()
}

#[tokio::test]
async fn holds_commit_remotely_and_cancel_and_expiry_release_through_the_outbox() {
    let inventory = InventoryStub::start(seats("G", 4), PRICE).await;
    let app = TestApp::builder()
        .settings(grpc(&inventory.address))
        .spawn()
        .await;

    // A hold commits its seats in the inventory; its compensation is gone with the commit.
    let (status, body, _) = app.hold("u1", "h1", "evt_g", &["G-1", "G-2"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let held = body["reservation_id"].as_str().expect("id").to_owned();
    let holders = inventory.holders();
    assert_eq!(holders["G-1"].as_deref(), Some(held.as_str()));
    assert_eq!(holders["G-2"].as_deref(), Some(held.as_str()));
    assert!(pending_tasks(&app).await.is_empty());
    // The same request again (a client retry) is replayed, though the inventory now reports
    // the seats taken: by this very reservation.
    let (status, body, _) = app.hold("u1", "h1", "evt_g", &["G-1", "G-2"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["reservation_id"], held.as_str());
    let (_, view, _) = app.get(&format!("/v1/reservations/{held}"), "u1").await;
    assert_eq!(view["total_price"], json!(2 * PRICE));
    assert_eq!(view["currency"], "KRW");

    // Taken seats: 409 naming them, nothing committed for the loser.
    let (status, body, _) = app.hold("u2", "h1", "evt_g", &["G-2", "G-3"]).await;
    assert_error(status, &body, 409, "INVENTORY_CONFLICT");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("G-2")
    );
    assert_eq!(inventory.holders()["G-3"], None);

    // Confirm keeps the seats; cancel releases them through the outbox.
    let (status, body, _) = app.hold("u2", "h2", "evt_g", &["G-3"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let confirmed = body["reservation_id"].as_str().expect("id").to_owned();
    let (status, body, _) = app.confirm("u2", &confirmed, "c1", "pay_1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body, _) = app.cancel("u1", &held, "x1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        pending_tasks(&app).await.len(),
        1,
        "the release is written with the cancel"
    );
    drain_outbox(&app).await;
    let holders = inventory.holders();
    assert_eq!(
        (holders["G-1"].as_ref(), holders["G-2"].as_ref()),
        (None, None)
    );
    assert_eq!(holders["G-3"].as_deref(), Some(confirmed.as_str()));

    // Expiry: the sweeper ends the hold and the relay releases its seat.
    let (status, body, _) = app.hold("u3", "h1", "evt_g", &["G-4"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let expiring = body["reservation_id"].as_str().expect("id").to_owned();
    app.end_holds();
    assert_eq!(app.state.reservations.sweep(100).await.expect("sweeps"), 1);
    drain_outbox(&app).await;
    assert_eq!(inventory.holders()["G-4"], None);
    assert_eq!(inventory.releases(), 2, "one release per ended hold");
    // Without trace export there is no trace to continue: calls carry no `traceparent`
    // (tests/traces.rs has the other case).
    assert!(inventory.traceparents().is_empty());
    assert_eq!(
        app.reservation(&expiring).await.status,
        ReservationStatus::Expired
    );
    assert!(pending_tasks(&app).await.is_empty());

    let metrics = app.metrics_text().await;
    for expected in [
        r#"grpc_client_duration_seconds_count{service="inventory.v1.Inventory",method="CommitReservation",code="OK"} 3"#,
        r#"grpc_client_duration_seconds_count{service="inventory.v1.Inventory",method="ReleaseHold",code="OK"} 2"#,
    ] {
        assert!(
            metrics.contains(expected),
            "missing {expected} in\n{metrics}"
        );
    }
}

#[tokio::test]
async fn a_slow_inventory_is_504_within_the_deadline_and_a_lost_commit_is_undone() {
    let inventory = InventoryStub::start(seats("S", 2), PRICE).await;
    let app = TestApp::builder()
        .settings(grpc(&inventory.address))
        .spawn()
        .await;

    // CheckAvailability never answers: 504 at the inventory's deadline (not the request's),
    // nothing committed.
    inventory.stall_checks(true);
    let (status, body, _) = app.hold("u1", "h1", "evt_s", &["S-1"]).await;
    assert_error(status, &body, 504, "UPSTREAM_TIMEOUT");
    assert_eq!(deadlines_exceeded(&app, "CheckAvailability").await, 1);
    assert_eq!(inventory.commits(), 0);
    inventory.stall_checks(false);

    // The commit happens but its answer never comes: 504 at the deadline, and the relay gives
    // the seat back.
    inventory.stall_commits(1);
    let (status, body, _) = app.hold("u1", "h2", "evt_s", &["S-1"]).await;
    assert_error(status, &body, 504, "UPSTREAM_TIMEOUT");
    assert_eq!(deadlines_exceeded(&app, "CommitReservation").await, 1);
    assert!(
        inventory.holders()["S-1"].is_some(),
        "committed remotely, answer lost"
    );
    assert_eq!(pending_tasks(&app).await.len(), 1);
    drain_outbox(&app).await;
    assert_eq!(
        inventory.holders()["S-1"],
        None,
        "released by the compensation"
    );
    assert!(pending_tasks(&app).await.is_empty());
    let reservations = stored_reservations(&app).await;
    assert!(reservations.is_empty(), "no reservation without its seats");

    // The inventory answers again: the seat can be held.
    inventory.stall_commits(0);
    let (status, body, _) = app.hold("u1", "h3", "evt_s", &["S-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn an_inventory_that_is_down_is_503_and_nothing_is_held() {
    let app = TestApp::builder()
        .settings(grpc(&stubs::nothing_listens()))
        .spawn()
        .await;
    let (status, body, _) = app.hold("u1", "h1", "evt_d", &["D-1"]).await;
    assert_error(status, &body, 503, "SERVICE_UNAVAILABLE");
    let reservations = stored_reservations(&app).await;
    assert!(reservations.is_empty());
    assert!(pending_tasks(&app).await.is_empty());
}

/// How many calls of `method` the service gave up at the inventory's deadline.
async fn deadlines_exceeded(app: &TestApp, method: &str) -> u64 {
    let metrics = app.metrics_text().await;
    let series = format!(
        r#"grpc_client_duration_seconds_count{{service="inventory.v1.Inventory",method="{method}",code="DEADLINE_EXCEEDED"}} "#
    );
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series.as_str()))
        .map_or(0, |n| n.trim().parse().expect("a count"))
}

/// Hundreds of concurrent holds on a few remote seats, every fifth commit never answered
/// (the breaker may open for a moment: 503),
/// winners confirming or cancelling: afterwards the inventory and the reservations agree seat
/// by seat.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_holds_on_the_grpc_inventory_never_oversell() {
    const POOL: usize = 10;
    const REQUESTS: usize = 300;
    let inventory = InventoryStub::start(seats("R", POOL), PRICE).await;
    inventory.stall_commits(5);
    let app = Arc::new(
        TestApp::builder()
            .settings(grpc(&inventory.address))
            .spawn()
            .await,
    );
    // The relay releases cancelled seats while the holds go on.
    let workers = app.state.spawn_workers(Arc::new(LogSink));
    // Under the bulkhead (64 calls per dependency): more would be refused with 503 at once.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(48));
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let app = app.clone();
            let in_flight = in_flight.clone();
            tokio::spawn(async move {
                let _permit = in_flight.acquire_owned().await.expect("semaphore");
                let mut rng = fastrand::Rng::with_seed(i as u64);
                let mut wanted = vec![format!("R-{}", rng.usize(1..=POOL))];
                let second = format!("R-{}", rng.usize(1..=POOL));
                if rng.bool() && second != wanted[0] {
                    wanted.push(second);
                }
                let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
                let user = format!("user{i}");
                let (status, body, _) = app.hold(&user, "k1", "evt_r", &wanted).await;
                match status.as_u16() {
                    201 => {}
                    409 | 503 | 504 => return status.as_u16(),
                    other => panic!("hold answered {other}: {body}"),
                }
                let id = body["reservation_id"].as_str().expect("id").to_owned();
                let (status, body, _) = if rng.bool() {
                    app.confirm(&user, &id, "k2", &format!("pay_{i}")).await
                } else {
                    app.cancel(&user, &id, "k2").await
                };
                assert_eq!(status, StatusCode::OK, "{body}");
                201
            })
        })
        .collect();
    let mut answers: BTreeMap<u16, usize> = BTreeMap::new();
    for task in tasks {
        *answers.entry(task.await.expect("task")).or_default() += 1;
    }
    workers.stop().await;
    assert!(
        answers.get(&201).is_some_and(|n| *n >= POOL / 2),
        "{answers:?}"
    );
    assert!(
        answers.contains_key(&504),
        "late answers were injected: {answers:?}"
    );
    drain_outbox(&app).await;
    assert!(pending_tasks(&app).await.is_empty());

    // Seat by seat: the inventory's holder is the one reservation that keeps it.
    let reservations = stored_reservations(&app).await;
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for r in &reservations {
        if matches!(
            r.status,
            ReservationStatus::Hold | ReservationStatus::Confirmed
        ) {
            for seat in &r.seat_ids {
                let previous = owner.insert(seat.clone(), r.reservation_id.clone());
                assert!(previous.is_none(), "seat {seat} is in two reservations");
            }
        }
    }
    let holders = inventory.holders();
    for (seat, holder) in &holders {
        assert_eq!(
            holder.as_ref(),
            owner.get(seat),
            "seat {seat}: the inventory and the reservations disagree"
        );
    }
    println!("answers {answers:?}, seats kept {}", owner.len());
}
