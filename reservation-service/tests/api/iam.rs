//! The IAM policy against what the service does: each inventory mode runs every path that
//! touches DynamoDB (holds, replays, refusals, confirmations, hand-backs, cancellations, expiry,
//! seats moved from their keys before sharding, the relay, the workers' heartbeats, readiness),
//! with every request recorded as the IAM actions and resources that authorize it. The policy
//! must grant each one, and grant nothing no mode used.

use crate::helpers::*;
use crate::stubs::InventoryStub;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use reqwest::StatusCode;
use reservation_service::iam::policy;
use reservation_service::outbox::LogSink;
use reservation_service::services::inventory::InventorySettings;
use reservation_service::store::{Seat, SeatState, TableNames};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// An IAM action on a resource (`arn:aws:dynamodb:*:*:table/<name>[/index/<index>]`).
type Access = (String, String);

/// Records every DynamoDB request as IAM authorizes it: a transaction's items as the item
/// actions they are, a batch as the batch action on each table it names, a query on an index
/// on the index's resource.
#[derive(Debug, Clone, Default)]
struct AccessLog(Arc<Mutex<BTreeSet<Access>>>);

impl AccessLog {
    /// What was recorded, on the tables' names without `prefix`.
    fn accesses(&self, prefix: &str) -> BTreeSet<Access> {
        let log = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        log.iter()
            .map(|(action, resource)| {
                let from = format!("table/{prefix}");
                (action.clone(), resource.replacen(&from, "table/", 1))
            })
            .collect()
    }

    fn record(&self, operation: &str, body: &Value) {
        let resource = |table: &Value, index: Option<&Value>| {
            let table = table.as_str().unwrap_or("?");
            match index.and_then(Value::as_str) {
                Some(index) => format!("arn:aws:dynamodb:*:*:table/{table}/index/{index}"),
                None => format!("arn:aws:dynamodb:*:*:table/{table}"),
            }
        };
        let mut accesses: Vec<Access> = Vec::new();
        match operation {
            "TransactWriteItems" | "TransactGetItems" => {
                for item in body["TransactItems"].as_array().into_iter().flatten() {
                    for (kind, action) in [
                        ("Put", "PutItem"),
                        ("Update", "UpdateItem"),
                        ("Delete", "DeleteItem"),
                        ("ConditionCheck", "ConditionCheckItem"),
                        ("Get", "GetItem"),
                    ] {
                        if let Some(write) = item.get(kind) {
                            accesses.push((action.into(), resource(&write["TableName"], None)));
                        }
                    }
                }
            }
            "BatchGetItem" | "BatchWriteItem" => {
                for table in body["RequestItems"]
                    .as_object()
                    .into_iter()
                    .flat_map(|m| m.keys())
                {
                    accesses.push((operation.into(), resource(&table.as_str().into(), None)));
                }
            }
            _ => accesses.push((
                operation.into(),
                resource(&body["TableName"], body.get("IndexName")),
            )),
        }
        let mut log = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        log.extend(
            accesses
                .into_iter()
                .map(|(action, resource)| (format!("dynamodb:{action}"), resource)),
        );
    }
}

impl Intercept for AccessLog {
    fn name(&self) -> &'static str {
        "AccessLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit_once('.'))
            .map(|(_, operation)| operation.to_owned())
            .ok_or("a DynamoDB request without X-Amz-Target")?;
        let body: Value = serde_json::from_slice(request.body().bytes().unwrap_or(b"{}"))?;
        self.record(&operation, &body);
        Ok(())
    }
}

/// Every path of the service that touches DynamoDB, once, on `app` (whose seats `seats`
/// names: four or more, in the event `evt_1`).
async fn exercise(app: &TestApp, seats: &[&str]) {
    // Readiness: the tables against their definitions.
    let (status, body, _) = app.get("/ready", "ops").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A hold, its replay, a refused hold (the seat is taken), a read.
    let (status, body, _) = app.hold("u1", "h1", "evt_1", &seats[..1]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let confirmed = body["reservation_id"].as_str().expect("id").to_owned();
    let (status, _, _) = app.hold("u1", "h1", "evt_1", &seats[..1]).await;
    assert_eq!(status, StatusCode::CREATED, "replayed");
    let (status, body, _) = app.hold("u2", "h1", "evt_1", &seats[..1]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body, _) = app
        .get(&format!("/v1/reservations/{confirmed}"), "u1")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A confirmation, and the same payment for another hold (refused: already used).
    let (status, body, _) = app.confirm("u1", &confirmed, "c1", "pay_iam_1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let other = app.reservation_id("u1", "h2", &seats[1..2]).await;
    let (status, body, _) = app.confirm("u1", &other, "c2", "pay_iam_1").await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    // A cancellation.
    let (status, body, _) = app.cancel("u1", &other, "x1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A hold that ends: confirmed too late (the payment handed back), then swept.
    let late = app.reservation_id("u3", "h1", &seats[2..3]).await;
    let ended = app.reservation_id("u4", "h1", &seats[3..4]).await;
    app.end_holds();
    let (status, body, _) = app.confirm("u3", &late, "c1", "pay_iam_2").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(app.state.reservations.sweep(100).await.expect("sweeps") >= 1);
    let (_, body, _) = app.get(&format!("/v1/reservations/{ended}"), "u4").await;
    assert_eq!(body["status"], "EXPIRED");
    // The outbox: published (and in the gRPC mode, the releases executed) until it is empty.
    let relay = app.state.relay(Arc::new(LogSink));
    for _ in 0..50 {
        let pass = relay.pass().await.expect("relay pass");
        if pass.published + pass.retried + pass.failed == 0 {
            break;
        }
    }
    // The workers: they join (heartbeats), work and leave.
    let workers = app.state.spawn_workers(Arc::new(LogSink));
    let mut passes = workers.relay_passes();
    passes.wait_for(|n| *n >= 1).await.expect("the relay runs");
    tokio::time::timeout(Duration::from_secs(10), workers.stop())
        .await
        .expect("the workers stop");
}

/// Writes seat `seat_id` of `event` as it was stored before sharding (`pk` the event id).
async fn seed_legacy_seat(app: &TestApp, event: &str, seat_id: &str) {
    let seat = Seat {
        event_id: event.into(),
        seat_id: seat_id.into(),
        state: SeatState::Available,
        holder: None,
        hold_expires_at: None,
        updated_at: time::OffsetDateTime::now_utc(),
        price: Some(SEAT_PRICE),
        currency: Some("KRW".into()),
    };
    app.put_seat_as_before_sharding(seat).await;
}

#[tokio::test]
async fn the_policy_grants_what_every_mode_does_and_nothing_else() {
    // Seats in DynamoDB; one of them still under its key from before sharding.
    let log = AccessLog::default();
    let app = TestApp::builder().intercepted(log.clone()).spawn().await;
    app.seed("evt_1", ["T-1", "T-2", "T-3", "T-4"].map(String::from))
        .await;
    seed_legacy_seat(&app, "evt_1", "T-0").await;
    exercise(&app, &["T-0", "T-1", "T-2", "T-3", "T-4"]).await;
    let mut used = log.accesses(app.prefix());

    // Seats in the inventory, over gRPC.
    let log = AccessLog::default();
    let inventory =
        InventoryStub::start(["G-1", "G-2", "G-3", "G-4"].map(String::from), SEAT_PRICE).await;
    let address = inventory.address.parse().expect("uri");
    let grpc = TestApp::builder()
        .settings(|s| {
            s.inventory = InventorySettings::Grpc {
                address,
                timeout: Duration::from_secs(5),
            }
        })
        .intercepted(log.clone())
        .spawn()
        .await;
    exercise(&grpc, &["G-1", "G-2", "G-3", "G-4"]).await;
    used.extend(log.accesses(grpc.prefix()));

    let policy = policy(&TableNames::prefixed(""), "*", "*", None);
    let mut granted: BTreeSet<Access> = BTreeSet::new();
    for statement in policy["Statement"].as_array().expect("statements") {
        for action in statement["Action"].as_array().expect("actions") {
            for resource in statement["Resource"].as_array().expect("resources") {
                let (action, resource) = (action.as_str(), resource.as_str());
                granted.insert((
                    action.expect("text").to_owned(),
                    resource.expect("text").to_owned(),
                ));
            }
        }
    }
    let missing: Vec<&Access> = used.difference(&granted).collect();
    assert!(missing.is_empty(), "the policy lacks {missing:#?}");
    // A statement grants its actions on the table and its indexes together: an action is used
    // when some mode performed it on one of them, an index when some mode queried it.
    let unused: Vec<&Access> = granted
        .iter()
        .filter(|(action, resource)| {
            let table = resource.split("/index/").next().unwrap_or(resource);
            let on_index = resource.contains("/index/");
            !used.iter().any(|(a, r)| {
                if on_index {
                    r == resource
                } else {
                    a == action && r.split("/index/").next() == Some(table)
                }
            })
        })
        .collect();
    assert!(
        unused.is_empty(),
        "the policy grants what no mode uses: {unused:#?}"
    );
}
