//! One payment per order: an intent confirms one reservation, ever, whatever the concurrency;
//! an approved payment that cannot be applied is handed back (`payment.void_requested`).

use crate::helpers::*;
use reqwest::StatusCode;
use reservation_service::domain::mask_intent;
use reservation_service::store::{
    Order, PaymentClaim, PaymentClaimKey, PaymentUse, ReservationStatus,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn claim(app: &TestApp, intent: &str) -> Option<PaymentClaim> {
    app.table::<PaymentClaim>()
        .get(PaymentClaimKey::new(intent))
        .send()
        .await
        .expect("reads")
}

#[tokio::test]
async fn an_intent_confirms_one_reservation_and_tells_only_its_user() {
    let app = TestApp::spawn().await;
    app.seed("evt_1", (1..=3).map(|i| format!("S-{i}"))).await;
    let first = app.reservation_id("alice", "h1", &["S-1"]).await;
    let (status, body, _) = app.confirm("alice", &first, "c1", "pay_once").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let used = claim(&app, "pay_once").await.expect("the intent's use");
    assert_eq!(
        (used.used_for, used.reservation_id.as_str(), used.amount),
        (PaymentUse::Paid, first.as_str(), SEAT_PRICE)
    );
    assert_eq!(used.order_id.as_deref(), body["order_id"].as_str());

    // The same intent for another reservation of the same price: refused, with no second order.
    // Its user is told what it paid for ...
    let second = app.reservation_id("alice", "h2", &["S-2"]).await;
    let (status, body, _) = app.confirm("alice", &second, "c2", "pay_once").await;
    assert_error(status, &body, 412, "PAYMENT_NOT_APPROVED");
    assert_eq!(
        body["error"]["message"],
        format!(
            "payment {} has already been used: it paid for reservation {first}",
            mask_intent("pay_once")
        )
    );
    assert_eq!(
        app.reservation(&second).await.status,
        ReservationStatus::Hold
    );
    // ... anybody else what an unknown intent gets: nothing about it.
    let theirs = app.reservation_id("bob", "h1", &["S-3"]).await;
    let (status, body, _) = app.confirm("bob", &theirs, "c1", "pay_once").await;
    assert_error(status, &body, 412, "PAYMENT_NOT_APPROVED");
    assert_eq!(
        body["error"]["message"],
        format!(
            "payment {} is not approved for this reservation",
            mask_intent("pay_once")
        )
    );
    let orders = app.table::<Order>().scan().all().await.expect("scans");
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert!(app.void_requests().await.is_empty());
}

#[tokio::test]
async fn parallel_confirmations_with_one_intent_confirm_exactly_one() {
    let app = Arc::new(TestApp::spawn().await);
    let seats: Vec<String> = (1..=12).map(|i| format!("T-{i}")).collect();
    app.seed("evt_1", seats.clone()).await;
    let mut reservations = Vec::new();
    for (i, seat) in seats.iter().enumerate() {
        let user = format!("user{i}");
        let id = app.reservation_id(&user, "h1", &[seat]).await;
        reservations.push((user, id));
    }
    let confirms = reservations.iter().cloned().map(|(user, id)| {
        let app = app.clone();
        tokio::spawn(async move { app.confirm(&user, &id, "c1", "pay_shared").await })
    });
    let mut won = 0;
    for confirm in confirms.collect::<Vec<_>>() {
        let (status, body, _) = confirm.await.expect("answers");
        match status.as_u16() {
            200 => won += 1,
            _ => assert_error(status, &body, 412, "PAYMENT_NOT_APPROVED"),
        }
    }
    assert_eq!(won, 1, "one intent pays for one reservation");
    let orders = app.table::<Order>().scan().all().await.expect("scans");
    assert_eq!(orders.len(), 1);
    let used = claim(&app, "pay_shared").await.expect("its use");
    assert_eq!(used.reservation_id, orders[0].reservation_id);
    let confirmed = reservations
        .iter()
        .filter(|(_, id)| id == &orders[0].reservation_id)
        .count();
    assert_eq!(confirmed, 1);
}

#[tokio::test]
async fn a_payment_that_cannot_be_applied_is_handed_back_once() {
    let app = TestApp::builder()
        .hold_ttl(Duration::from_secs(60))
        .spawn()
        .await;
    app.seed("evt_1", (1..=4).map(|i| format!("V-{i}"))).await;

    // Too late: the hold ended before the confirmation started.
    let late = app.reservation_id("alice", "h1", &["V-1"]).await;
    app.end_holds();
    let (status, body, _) = app.confirm("alice", &late, "c1", "pay_late").await;
    assert_error(status, &body, 409, "RESERVATION_EXPIRED");
    // A retry (another key) records nothing more.
    let (status, body, _) = app.confirm("alice", &late, "c2", "pay_late").await;
    assert_error(status, &body, 409, "RESERVATION_EXPIRED");

    // Cancelled.
    let cancelled = app.reservation_id("alice", "h2", &["V-2"]).await;
    let (status, _, _) = app.cancel("alice", &cancelled, "x1").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body, _) = app
        .confirm("alice", &cancelled, "c3", "pay_cancelled")
        .await;
    assert_error(status, &body, 409, "INVALID_STATE");

    // Confirmed with another payment: the second is handed back, the first is kept.
    let twice = app.reservation_id("alice", "h3", &["V-3"]).await;
    let (status, body, _) = app.confirm("alice", &twice, "c4", "pay_first").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body, _) = app.confirm("alice", &twice, "c5", "pay_second").await;
    assert_error(status, &body, 409, "INVALID_STATE");

    // Declined: nothing was paid, nothing to hand back.
    let declined = app.reservation_id("alice", "h4", &["V-4"]).await;
    app.cancel("alice", &declined, "x2").await;
    let (status, body, _) = app
        .confirm("alice", &declined, "c6", "pay_declined_card")
        .await;
    assert_error(status, &body, 409, "INVALID_STATE");

    let mut voids = app.void_requests().await;
    voids.sort_by_key(|v| v["payment_intent_id"].as_str().map(str::to_owned));
    assert_eq!(
        voids,
        vec![
            json!({"payment_intent_id": "pay_cancelled", "reservation_id": cancelled,
                   "user_id": "alice", "amount": SEAT_PRICE, "currency": "KRW",
                   "reason": "RESERVATION_CANCELLED"}),
            json!({"payment_intent_id": "pay_late", "reservation_id": late,
                   "user_id": "alice", "amount": SEAT_PRICE, "currency": "KRW",
                   "reason": "RESERVATION_EXPIRED"}),
            json!({"payment_intent_id": "pay_second", "reservation_id": twice,
                   "user_id": "alice", "amount": SEAT_PRICE, "currency": "KRW",
                   "reason": "RESERVATION_CONFIRMED"}),
        ]
    );
    let handed_back = claim(&app, "pay_late").await.expect("recorded");
    assert_eq!(handed_back.used_for, PaymentUse::VoidRequested);
    assert_eq!(
        claim(&app, "pay_first").await.map(|c| c.used_for),
        Some(PaymentUse::Paid)
    );

    // A handed-back intent pays for nothing afterwards.
    app.seed("evt_2", ["W-1".to_string()]).await;
    let (status, body, _) = app.hold("alice", "h5", "evt_2", &["W-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let fresh = body["reservation_id"].as_str().expect("id");
    let (status, body, _) = app.confirm("alice", fresh, "c7", "pay_late").await;
    assert_error(status, &body, 412, "PAYMENT_NOT_APPROVED");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("being handed back")),
        "{body}"
    );
}
