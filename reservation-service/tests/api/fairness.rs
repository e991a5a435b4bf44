//! No hoarding: one user holds or buys at most `MAX_SEATS_PER_USER_PER_EVENT` seats of an
//! event, counted in the hold's own transaction, so a parallel burst cannot pass the cap. No
//! free writes: requests about reservations that are not the caller's write nothing.

use crate::helpers::*;
use dynamo_core::testing::PartitionMeter;
use reqwest::StatusCode;
use reservation_service::store::{UserSeats, UserSeatsKey};
use std::sync::Arc;

async fn counted(app: &TestApp, user: &str, event: &str) -> i64 {
    let count = app
        .table::<UserSeats>()
        .get(UserSeatsKey::new(user, event))
        .consistent_read()
        .send()
        .await
        .expect("reads");
    count.map_or(0, |c| c.seats)
}

#[tokio::test]
async fn open_holds_and_bought_seats_count_towards_the_cap() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.state.settings.reservations.max_seats_per_user, 10,
        "MAX_SEATS_PER_USER_PER_EVENT's default"
    );
    let seats: Vec<String> = (1..=16).map(|i| format!("H-{i}")).collect();
    app.seed("evt_1", seats.clone()).await;
    app.seed("evt_2", ["H-1".to_string()]).await;
    let s: Vec<&str> = seats.iter().map(String::as_str).collect();

    let four = app.reservation_id("alice", "h1", &s[0..4]).await;
    let bought = app.reservation_id("alice", "h2", &s[4..8]).await;
    let (status, body, _) = app.confirm("alice", &bought, "c1", "pay_alice_1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.reservation_id("alice", "h3", &s[8..10]).await;
    assert_eq!(counted(&app, "alice", "evt_1").await, 10);

    // An eleventh seat: refused, and nothing written.
    let (status, body, _) = app.hold("alice", "h4", "evt_1", &[s[10]]).await;
    assert_error(status, &body, 409, "SEAT_LIMIT_EXCEEDED");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("at most 10 seats of event evt_1"),
        "{message}"
    );
    assert_eq!(
        app.seat("evt_1", s[10]).await.state,
        reservation_service::store::SeatState::Available
    );
    assert_eq!(counted(&app, "alice", "evt_1").await, 10);
    // Per user and per event.
    app.reservation_id("bob", "h1", &[s[10]]).await;
    let (status, body, _) = app.hold("alice", "h5", "evt_2", &["H-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // A cancellation gives its seats back to the count; a sale keeps them.
    let (status, _, _) = app.cancel("alice", &four, "x1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(counted(&app, "alice", "evt_1").await, 6);
    app.reservation_id("alice", "h7", &s[11..15]).await;
    let (status, body, _) = app.hold("alice", "h8", "evt_1", &[s[15]]).await;
    assert_error(status, &body, 409, "SEAT_LIMIT_EXCEEDED");

    // So does an expiry, when the sweeper ends the holds.
    app.end_holds();
    let swept = app.state.reservations.sweep(100).await.expect("sweeps");
    assert_eq!(
        swept, 4,
        "alice's two open holds on evt_1, hers on evt_2, bob's"
    );
    assert_eq!(counted(&app, "alice", "evt_1").await, 4, "the 4 bought");
    assert_eq!(counted(&app, "alice", "evt_2").await, 0);
    let six = [&s[0..4], &s[8..10]].concat();
    app.reservation_id("alice", "h9", &six).await;
    assert_eq!(counted(&app, "alice", "evt_1").await, 10);
}

#[tokio::test]
async fn a_parallel_burst_by_one_user_cannot_pass_the_cap() {
    let app = Arc::new(
        TestApp::builder()
            .settings(|s| s.reservations.max_seats_per_user = 5)
            .spawn()
            .await,
    );
    let seats: Vec<String> = (1..=30).map(|i| format!("B-{i}")).collect();
    app.seed("evt_1", seats.clone()).await;
    let holds = seats.iter().enumerate().map(|(i, seat)| {
        let (app, seat) = (app.clone(), seat.clone());
        tokio::spawn(async move {
            app.hold("mallory", &format!("k{i}"), "evt_1", &[&seat])
                .await
        })
    });
    let mut won = 0;
    for hold in holds.collect::<Vec<_>>() {
        let (status, body, _) = hold.await.expect("answers");
        match status.as_u16() {
            201 => won += 1,
            _ => assert_error(status, &body, 409, "SEAT_LIMIT_EXCEEDED"),
        }
    }
    assert_eq!(won, 5, "exactly the cap, whatever the concurrency");
    assert_eq!(counted(&app, "mallory", "evt_1").await, 5);
    assert_eq!(audit(&app, "evt_1", 30).await.held, 5);

    // One hold asking for more than the cap is refused before anything is written.
    let six: Vec<String> = (1..=6).map(|i| format!("C-{i}")).collect();
    app.seed("evt_2", six.clone()).await;
    let six: Vec<&str> = six.iter().map(String::as_str).collect();
    let (status, body, _) = app.hold("trudy", "k1", "evt_2", &six).await;
    assert_error(status, &body, 409, "SEAT_LIMIT_EXCEEDED");
    assert_eq!(counted(&app, "trudy", "evt_2").await, 0);
    assert_eq!(audit(&app, "evt_2", 6).await.held, 0);
}

#[tokio::test]
async fn confirmations_and_cancellations_of_unknown_or_foreign_ids_write_nothing() {
    let meter = PartitionMeter::new();
    let app = TestApp::builder().metered(&meter).spawn().await;
    app.seed("evt_1", ["F-1".to_string()]).await;
    let theirs = app.reservation_id("alice", "h1", &["F-1"]).await;
    meter.reset();
    for i in 0..200 {
        let key = format!("k{i}");
        let (status, body, _) = app.confirm("mallory", "rsv_nope", &key, "pay_1").await;
        assert_error(status, &body, 404, "NOT_FOUND");
        let (status, body, _) = app.cancel("mallory", "rsv_nope", &key).await;
        assert_error(status, &body, 404, "NOT_FOUND");
        let (status, body, _) = app.confirm("mallory", &theirs, &key, "pay_1").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let report = meter.report();
    assert_eq!(report.write_units(), 0.0, "{report}");
}
