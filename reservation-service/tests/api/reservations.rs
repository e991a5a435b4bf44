//! Holds, confirmation, cancellation and expiry over HTTP: every state change, idempotent
//! replays, and concurrency (no seat is ever held twice).

use crate::helpers::*;
use reqwest::StatusCode;
use reservation_service::store::{Reservation, SeatState};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn hold_get_confirm_and_the_order() {
    let app = TestApp::spawn().await;
    app.seed("evt_1", ["A-12".to_string(), "A-13".to_string()])
        .await;
    let (status, body, _) = app.hold("u123", "k1", "evt_1", &["A-12", "A-13"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["reservation_id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("rsv_"));
    let expires = body["hold_expires_at"].as_str().expect("expiry");
    assert!(
        time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
            .is_ok()
    );
    assert!(expires.ends_with('Z'));
    assert_eq!(
        app.seat("evt_1", "A-12").await.holder.as_deref(),
        Some(id.as_str())
    );

    let (status, view, _) = app.get(&format!("/v1/reservations/{id}"), "u123").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["status"], "HOLD");
    assert_eq!(view["reservation_id"], id.as_str());
    assert_eq!(view["seat_ids"], json!(["A-12", "A-13"]));
    assert_eq!(view["quantity"], 2);

    let (status, body, _) = app
        .post(
            &format!("/v1/reservations/{id}/confirm"),
            Some("u123"),
            Some("k2"),
            Some(json!({"payment_intent_id": "pay_xyz789"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CONFIRMED");
    assert!(
        body["order_id"]
            .as_str()
            .expect("order")
            .starts_with("ord_")
    );
    assert_eq!(app.seat("evt_1", "A-13").await.state, SeatState::Sold);
    let (_, view, _) = app.get(&format!("/v1/reservations/{id}"), "u123").await;
    assert_eq!(view["status"], "CONFIRMED");

    let (status, body, _) = app.cancel("u123", &id, "k3").await;
    assert_error(status, &body, 409, "INVALID_STATE");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("CONFIRMED")
    );
}

#[tokio::test]
async fn cancel_releases_the_seats() {
    let app = TestApp::spawn().await;
    app.seed("evt_1", ["B-1".to_string()]).await;
    let (_, body, _) = app.hold("alice", "k1", "evt_1", &["B-1"]).await;
    let id = body["reservation_id"].as_str().expect("id").to_owned();
    let (status, _, _) = app.hold("bob", "k1", "evt_1", &["B-1"]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body, _) = app.cancel("alice", &id, "k2").await;
    assert_eq!(
        (status, &body),
        (StatusCode::OK, &json!({"status": "CANCELLED"}))
    );
    let (status, body, _) = app.hold("bob", "k2", "evt_1", &["B-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body, _) = app
        .post(
            &format!("/v1/reservations/{id}/confirm"),
            Some("alice"),
            Some("k3"),
            Some(json!({"payment_intent_id": "pay_1"})),
        )
        .await;
    assert_error(status, &body, 409, "INVALID_STATE");
}

#[tokio::test]
async fn inventory_conflict_names_the_seats_and_writes_nothing() {
    let app = TestApp::spawn().await;
    app.seed(
        "evt_1",
        ["C-1".to_string(), "C-2".to_string(), "C-3".to_string()],
    )
    .await;
    app.hold("alice", "k1", "evt_1", &["C-2"]).await;
    let (status, body, _) = app.hold("bob", "k1", "evt_1", &["C-1", "C-2", "C-9"]).await;
    assert_error(status, &body, 409, "INVENTORY_CONFLICT");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("C-2") && message.contains("C-9") && !message.contains("C-1,"),
        "{message}"
    );
    assert_eq!(
        app.seat("evt_1", "C-1").await.state,
        SeatState::Available,
        "nothing was written"
    );
}

#[tokio::test]
async fn idempotent_replays_are_byte_identical_and_conflicts_are_409() {
    let app = TestApp::spawn().await;
    app.seed("evt_1", ["D-1", "D-2", "D-3"].map(String::from))
        .await;
    let (s1, _, first) = app.hold("u1", "same-key", "evt_1", &["D-1"]).await;
    let (s2, _, second) = app.hold("u1", "same-key", "evt_1", &["D-1"]).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(
        first, second,
        "the replay is byte for byte the first response"
    );

    let (status, err, _) = app.hold("u1", "same-key", "evt_1", &["D-2"]).await;
    assert_error(status, &err, 409, "IDEMPOTENCY_CONFLICT");
    // Keys are per user: another user's request with the same key is its own.
    let (status, _, _) = app.hold("u2", "same-key", "evt_1", &["D-2"]).await;
    assert_eq!(status, StatusCode::CREATED);
    // A failed execution releases its key: the retry executes again.
    let (status, _, _) = app.hold("u3", "retry-key", "evt_1", &["D-2"]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, err, _) = app.hold("u3", "retry-key", "evt_1", &["D-2"]).await;
    assert_error(status, &err, 409, "INVENTORY_CONFLICT");
    // Keys may hold the '#' that separates user and key in the stored record's key: the key
    // is its last part.
    let (s1, _, first) = app.hold("u4", "k#1#2", "evt_1", &["D-3"]).await;
    let (s2, _, second) = app.hold("u4", "k#1#2", "evt_1", &["D-3"]).await;
    assert_eq!(
        (s1, s2),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{first}"
    );
    assert_eq!(first, second, "replayed, not executed again");
}

#[tokio::test]
async fn fifty_concurrent_duplicates_make_one_reservation() {
    let app = Arc::new(TestApp::spawn().await);
    app.seed("evt_1", ["E-1".to_string()]).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.hold("u1", "one-key", "evt_1", &["E-1"]).await
        }));
    }
    let mut bodies = HashSet::new();
    for task in tasks {
        let (status, body, text) = task.await.expect("joins");
        match status.as_u16() {
            201 => {
                bodies.insert(text);
            }
            409 => assert_eq!(body["error"]["code"], "IDEMPOTENCY_CONFLICT", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(
        bodies.len(),
        1,
        "every success is the same reservation: {bodies:?}"
    );
    let reservations = app.table::<Reservation>().scan().all().await.expect("scan");
    assert_eq!(reservations.len(), 1);
}

#[tokio::test]
async fn a_hundred_concurrent_holds_never_oversell() {
    let app = Arc::new(TestApp::spawn().await);
    let seats: Vec<String> = (1..=10).map(|n| format!("F-{n}")).collect();
    app.seed("evt_1", seats.clone()).await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let app = app.clone();
        let wanted = [
            format!("F-{}", i % 10 + 1),
            format!("F-{}", (i * 7 + 3) % 10 + 1),
        ];
        tasks.push(tokio::spawn(async move {
            let mut wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
            wanted.dedup();
            let user = format!("user{i}");
            let result = app.hold(&user, "k", "evt_1", &wanted).await;
            (
                wanted.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                result,
            )
        }));
    }
    let mut winners: HashMap<String, Vec<String>> = HashMap::new();
    let mut conflicts = 0;
    for task in tasks {
        let (wanted, (status, body, _)) = task.await.expect("joins");
        match status.as_u16() {
            201 => {
                winners.insert(
                    body["reservation_id"].as_str().expect("id").to_owned(),
                    wanted,
                );
            }
            409 => {
                assert_eq!(body["error"]["code"], "INVENTORY_CONFLICT", "{body}");
                conflicts += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(!winners.is_empty());
    assert_eq!(winners.len() + conflicts, 100);
    let mut held = HashSet::new();
    for seats in winners.values() {
        for seat in seats {
            assert!(held.insert(seat.clone()), "seat {seat} held twice");
        }
    }
    for seat in &seats {
        let stored = app.seat("evt_1", seat).await;
        match stored.holder {
            Some(holder) => assert!(winners[&holder].contains(seat), "{seat} held by {holder}"),
            None => assert!(!held.contains(seat)),
        }
    }
}

#[tokio::test]
async fn expired_holds_cannot_be_confirmed_and_free_their_seats_after_the_grace() {
    let app = TestApp::builder()
        .hold_ttl(Duration::from_secs(1))
        .spawn()
        .await;
    app.seed("evt_1", ["G-1".to_string()]).await;
    let (_, body, _) = app.hold("alice", "k1", "evt_1", &["G-1"]).await;
    let id = body["reservation_id"].as_str().expect("id").to_owned();
    app.clock.advance(Duration::from_secs(2));
    let (_, view, _) = app.get(&format!("/v1/reservations/{id}"), "alice").await;
    assert_eq!(view["status"], "EXPIRED");
    // A confirmation that starts after the end is refused ...
    let (status, err, _) = app.confirm("alice", &id, "k2", "pay_1").await;
    assert_error(status, &err, 409, "RESERVATION_EXPIRED");
    // ... but during the grace a confirmation that started before it could still commit:
    // nobody else takes the seat.
    let (status, err, _) = app.hold("bob", "k1", "evt_1", &["G-1"]).await;
    assert_error(status, &err, 409, "INVENTORY_CONFLICT");
    app.end_holds();
    let (status, body, _) = app.hold("bob", "k2", "evt_1", &["G-1"]).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "after the grace the expired hold's seat is free again, with no sweep: {body}"
    );
}

#[tokio::test]
async fn a_confirmation_started_before_the_end_survives_a_slow_payment_within_the_grace() {
    let payments = Arc::new(GatedPayments::default());
    let app = TestApp::builder()
        .hold_ttl(Duration::from_secs(60))
        .payments(payments.clone())
        .spawn()
        .await;
    let grace = app.state.settings.reservations.hold_grace;
    assert_eq!(grace, Duration::from_secs(5), "HOLD_GRACE_SECONDS' default");
    app.seed("evt_1", ["P-1".to_string(), "P-2".to_string()])
        .await;

    // The payment call takes the hold past its end, within the grace.
    let id = app.reservation_id("alice", "k1", &["P-1"]).await;
    let confirm = confirm_in_flight(&app, &payments, &id, "k2").await;
    app.clock
        .advance(Duration::from_secs(60) + grace - Duration::from_secs(1));
    // Meanwhile the seat is nobody else's, and the sweeper leaves the hold alone.
    let (status, err, _) = app.hold("bob", "k1", "evt_1", &["P-1"]).await;
    assert_error(status, &err, 409, "INVENTORY_CONFLICT");
    assert_eq!(app.state.reservations.sweep(100).await.expect("sweeps"), 0);
    payments.release.notify_one();
    let (status, body, _) = confirm.await.expect("the confirmation answers");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.seat("evt_1", "P-1").await.state, SeatState::Sold);

    // A payment slower than the grace: the hold is over, and its seat is free at once.
    let id = app.reservation_id("alice", "k3", &["P-2"]).await;
    let confirm = confirm_in_flight(&app, &payments, &id, "k4").await;
    app.clock
        .advance(Duration::from_secs(60) + grace + Duration::from_secs(1));
    payments.release.notify_one();
    let (status, err, _) = confirm.await.expect("the confirmation answers");
    assert_error(status, &err, 409, "RESERVATION_EXPIRED");
    // Decided by the clock after the payment call: the approved payment is handed back.
    let voids = app.void_requests().await;
    assert_eq!(voids.len(), 1, "{voids:?}");
    assert_eq!(
        (&voids[0]["reservation_id"], &voids[0]["reason"]),
        (&json!(id), &json!("RESERVATION_EXPIRED"))
    );
    let (status, body, _) = app.hold("bob", "k2", "evt_1", &["P-2"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn seats_without_a_price_or_in_two_currencies_are_not_sold() {
    let app = TestApp::spawn().await;
    app.seed("evt_1", ["N-1".to_string()]).await;
    let seats = app.table::<reservation_service::store::Seat>();
    let mut unpriced = app.seat("evt_1", "N-1").await;
    unpriced.seat_id = "N-2".into();
    unpriced.price = None;
    unpriced.currency = None;
    seats.put(unpriced.clone()).send().await.expect("written");
    let mut dollars = unpriced;
    dollars.seat_id = "N-3".into();
    dollars.price = Some(3_000);
    dollars.currency = Some("USD".into());
    seats.put(dollars).send().await.expect("written");

    let (status, body, _) = app.hold("u1", "k1", "evt_1", &["N-1", "N-2"]).await;
    assert_error(status, &body, 409, "INVENTORY_CONFLICT");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("seat N-2 has no price")
    );
    let (status, body, _) = app.hold("u1", "k2", "evt_1", &["N-1", "N-3"]).await;
    assert_error(status, &body, 409, "INVENTORY_CONFLICT");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("different currencies")
    );
    assert_eq!(app.seat("evt_1", "N-1").await.state, SeatState::Available);
    let (status, body, _) = app.hold("u1", "k3", "evt_1", &["N-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
