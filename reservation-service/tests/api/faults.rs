//! DynamoDB's bad days, injected in front of the emulator (`testing::Faults`): throttling,
//! conflicts, unprocessed batch reads, internal errors and answers lost after the write. The
//! caller gets 503 with `Retry-After` for what is DynamoDB's (never a 500, never a business
//! error such as a taken seat), nothing is half-written, and a write whose answer was lost is
//! neither lost nor done twice.

use crate::helpers::*;
use dynamo_core::error::Operation;
use dynamo_core::testing::{Fault, Faults, Rule};
use reqwest::StatusCode;
use serde_json::Value;

/// Asserts a 503 `SERVICE_UNAVAILABLE` answer with `Retry-After`.
fn assert_unavailable(status: StatusCode, body: &Value, raw: &str) {
    assert_error(status, body, 503, "SERVICE_UNAVAILABLE");
    assert!(!raw.contains("Exception"), "no DynamoDB internals: {raw}");
}

async fn app_with(faults: &Faults) -> TestApp {
    let app = TestApp::builder().faults(faults).spawn().await;
    app.seed("evt_1", (1..=4).map(|n| format!("F-{n}"))).await;
    app
}

#[tokio::test]
async fn throttling_is_503_with_retry_after_and_holds_nothing() {
    for fault in [Fault::Throttling, Fault::ProvisionedThroughputExceeded] {
        let faults = Faults::seeded(1);
        let app = app_with(&faults).await;
        faults.add(Rule::new(fault).operation(Operation::TransactWriteItems));
        let response = app
            .http
            .post(format!("{}/v1/reservations", app.base))
            .bearer_auth(app.token("alice"))
            .header("Idempotency-Key", "k1")
            .json(&create_body("alice", "evt_1", &["F-1"]))
            .send()
            .await
            .expect("answers");
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("1"),
            "{fault}"
        );
        let status = response.status();
        let raw = response.text().await.expect("body");
        let body: Value = serde_json::from_str(&raw).expect("json");
        assert_unavailable(status, &body, &raw);
        assert!(faults.injected_of(fault) >= 1);

        // Nothing was written: the same request succeeds once DynamoDB recovers.
        faults.clear();
        let audit = audit(&app, "evt_1", 4).await;
        assert!(audit.reservations.is_empty() && audit.held == 0);
        let (status, body, _) = app.hold("alice", "k1", "evt_1", &["F-1"]).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

#[tokio::test]
async fn dynamodb_internal_errors_are_503_not_500() {
    for fault in [Fault::InternalServerError, Fault::ServiceUnavailable] {
        let faults = Faults::seeded(1);
        let app = app_with(&faults).await;
        let id = app.reservation_id("alice", "k1", &["F-1"]).await;
        faults.add(
            Rule::new(fault)
                .operation(Operation::GetItem)
                .operation(Operation::Query)
                .operation(Operation::BatchGetItem)
                .operation(Operation::TransactGetItems),
        );
        let (status, body, raw) = app.get(&format!("/v1/reservations/{id}"), "alice").await;
        assert_unavailable(status, &body, &raw);
        assert!(faults.injected_of(fault) >= 1);
        faults.add(Rule::new(fault).operation(Operation::TransactWriteItems));
        let (status, body, raw) = app.cancel("alice", &id, "k2").await;
        assert_unavailable(status, &body, &raw);
        faults.clear();
        let (status, body, _) = app.get(&format!("/v1/reservations/{id}"), "alice").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "HOLD", "the cancel was not applied: {body}");
    }
}

#[tokio::test]
async fn a_transaction_conflict_is_retryable_and_changes_nothing() {
    let faults = Faults::seeded(1);
    let app = app_with(&faults).await;
    faults.add(
        Rule::new(Fault::TransactionConflict)
            .operation(Operation::TransactWriteItems)
            .table("seats"),
    );
    let (status, body, _) = app.hold("alice", "k1", "evt_1", &["F-1"]).await;
    assert!(
        !status.is_server_error() && status != StatusCode::CREATED,
        "{status}: {body}"
    );
    // Tried again by the service a few times, then answered as contention.
    assert!(faults.injected_of(Fault::TransactionConflict) >= 1);
    faults.clear();
    assert!(audit(&app, "evt_1", 4).await.reservations.is_empty());
    let (status, body, _) = app.hold("alice", "k2", "evt_1", &["F-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "the seat is free: {body}");
}

#[tokio::test]
async fn seats_left_unread_are_read_again_or_503() {
    let faults = Faults::seeded(1);
    let app = app_with(&faults).await;
    // Once: the batch read's retry reads the rest.
    faults.add(
        Rule::new(Fault::Unprocessed)
            .operation(Operation::BatchGetItem)
            .first(1),
    );
    let (status, body, _) = app.hold("alice", "k1", "evt_1", &["F-1", "F-2"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(faults.injected_of(Fault::Unprocessed), 1);
    // Every time: some seats stay unread, which is DynamoDB's, not the caller's.
    faults.add(Rule::new(Fault::Unprocessed).operation(Operation::BatchGetItem));
    let (status, body, raw) = app.hold("bob", "k1", "evt_1", &["F-3", "F-4"]).await;
    assert_unavailable(status, &body, &raw);
    faults.clear();
    let audit = audit(&app, "evt_1", 4).await;
    assert_eq!((audit.reservations.len(), audit.held), (1, 2));
}

/// The hold's transaction is applied and its answer lost; the SDK sends it again. The caller
/// gets its reservation (not "seat taken" by itself), once, with its seats.
#[tokio::test]
async fn a_hold_whose_answer_was_lost_is_answered_once_and_kept() {
    let faults = Faults::seeded(1);
    let app = app_with(&faults).await;
    faults.add(
        Rule::new(Fault::LostAnswer)
            .operation(Operation::TransactWriteItems)
            .first(1),
    );
    let (status, body, _) = app.hold("alice", "k1", "evt_1", &["F-1", "F-2"]).await;
    assert_eq!(faults.injected_of(Fault::LostAnswer), 1);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["reservation_id"].as_str().expect("id").to_owned();
    let after_hold = audit(&app, "evt_1", 4).await;
    assert_eq!(after_hold.reservations.len(), 1, "one reservation");
    assert!(after_hold.reservations.contains_key(&id));
    assert_eq!(after_hold.held, 2);

    // The same for a confirm: sold once, one order.
    faults.add(
        Rule::new(Fault::LostAnswer)
            .operation(Operation::TransactWriteItems)
            .first(1),
    );
    let (status, body, _) = app.confirm("alice", &id, "k2", "pay_lost_1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CONFIRMED", "{body}");
    assert_eq!(faults.injected_of(Fault::LostAnswer), 2);
    assert_eq!(audit(&app, "evt_1", 4).await.sold, 2);
}

/// A confirm that DynamoDB throttles is "retry shortly", never "expired": the hold is intact
/// and the same confirm goes through once DynamoDB recovers.
#[tokio::test]
async fn a_throttled_confirm_is_503_never_expired_and_goes_through_after() {
    let faults = Faults::seeded(1);
    let app = app_with(&faults).await;
    let id = app.reservation_id("alice", "k1", &["F-1"]).await;
    faults.add(
        Rule::new(Fault::Throttling)
            .operation(Operation::TransactWriteItems)
            .operation(Operation::UpdateItem),
    );
    let (status, body, raw) = app.confirm("alice", &id, "k2", "pay_throttled").await;
    assert_unavailable(status, &body, &raw);
    assert_ne!(body["error"]["code"], "RESERVATION_EXPIRED");
    faults.clear();
    let (status, body, _) = app.get(&format!("/v1/reservations/{id}"), "alice").await;
    assert_eq!(
        (status, &body["status"]),
        (StatusCode::OK, &Value::from("HOLD"))
    );
    let (status, body, _) = app.confirm("alice", &id, "k3", "pay_throttled").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CONFIRMED", "{body}");
}
