//! Thousands of concurrent requests on a small seat pool: holds race, winners confirm or
//! cancel while others keep trying, and nothing is ever oversold or left inconsistent.

use crate::helpers::*;
use reqwest::StatusCode;
use reservation_service::store::ReservationStatus;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

#[derive(Debug, Default)]
struct Outcomes {
    held: usize,
    conflicts: usize,
    confirmed: usize,
    cancelled: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_concurrent_holds_on_twenty_seats_never_oversell() {
    const POOL: usize = 20;
    const REQUESTS: usize = 2000;
    let app = Arc::new(
        TestApp::builder()
            .hold_ttl(Duration::from_secs(600))
            .spawn()
            .await,
    );
    app.seed("evt_load", (1..=POOL).map(|n| format!("L-{n}")))
        .await;
    let in_flight = Arc::new(Semaphore::new(200));
    let mut tasks = Vec::with_capacity(REQUESTS);
    for i in 0..REQUESTS {
        let app = app.clone();
        let in_flight = in_flight.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = in_flight.acquire_owned().await.expect("semaphore");
            let mut rng = fastrand::Rng::with_seed(i as u64);
            let first = rng.usize(1..=POOL);
            let second = rng.usize(1..=POOL);
            let mut seats = vec![format!("L-{first}")];
            if rng.bool() && second != first {
                seats.push(format!("L-{second}"));
            }
            let seats: Vec<&str> = seats.iter().map(String::as_str).collect();
            let user = format!("user{i}");
            let (status, body, _) = app.hold(&user, "k1", "evt_load", &seats).await;
            let mut outcome = Outcomes::default();
            match status.as_u16() {
                201 => outcome.held += 1,
                409 => {
                    assert_eq!(body["error"]["code"], "INVENTORY_CONFLICT", "{body}");
                    outcome.conflicts += 1;
                    return outcome;
                }
                other => panic!("hold answered {other}: {body}"),
            }
            let id = body["reservation_id"].as_str().expect("id").to_owned();
            match rng.u8(..10) {
                0..5 => {
                    let (status, body, _) = app
                        .post(
                            &format!("/v1/reservations/{id}/confirm"),
                            Some(&user),
                            Some("k2"),
                            Some(json!({"payment_intent_id": format!("pay_{i}")})),
                        )
                        .await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    outcome.confirmed += 1;
                }
                5..8 => {
                    let (status, body, _) = app
                        .post(
                            &format!("/v1/reservations/{id}/cancel"),
                            Some(&user),
                            Some("k2"),
                            None,
                        )
                        .await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    outcome.cancelled += 1;
                }
                _ => {}
            }
            outcome
        }));
    }
    let mut total = Outcomes::default();
    for task in tasks {
        let o = task.await.expect("no request failed its expectations");
        total.held += o.held;
        total.conflicts += o.conflicts;
        total.confirmed += o.confirmed;
        total.cancelled += o.cancelled;
    }
    assert_eq!(total.held + total.conflicts, REQUESTS, "{total:?}");
    assert!(total.held > POOL / 2, "some holds win: {total:?}");
    assert!(
        total.conflicts > REQUESTS / 2,
        "most lose the race: {total:?}"
    );

    let audit = audit(&app, "evt_load", POOL).await;
    assert_eq!(audit.reservations.len(), total.held, "{total:?}");
    let in_status = |status: ReservationStatus| {
        audit
            .reservations
            .values()
            .filter(move |r| r.status == status)
    };
    assert_eq!(
        in_status(ReservationStatus::Confirmed).count(),
        total.confirmed
    );
    assert_eq!(
        in_status(ReservationStatus::Cancelled).count(),
        total.cancelled
    );
    let sold: usize = in_status(ReservationStatus::Confirmed)
        .map(|r| r.seat_ids.len())
        .sum();
    let held: usize = in_status(ReservationStatus::Hold)
        .map(|r| r.seat_ids.len())
        .sum();
    assert_eq!((audit.sold, audit.held), (sold, held));
    assert!(sold + held <= POOL, "sold {sold} + held {held} > {POOL}");
}
