//! DynamoDB's bad days, on the emulator: throttling, transaction conflicts and throttles inside
//! cancellations, unprocessed batch items, internal errors and answers lost after the write
//! (`testing::Faults`); then what needs no server: malformed items (with `aws-smithy-mocks`), a
//! silent server, a closed port.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_mocks::{mock, mock_client};
use dynamo_core::testing::{Emulator, Fault, Faults, Rule};
use dynamo_core::{
    DynamoEntity, ErrorKind, KeyDef, Table, TableDef, TransactWrite,
    client::{ClientBuilder, ConfigError},
    error::Operation,
    table::{Backoff, CancellationCode},
};
use std::time::Duration;

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    count: u32,
}

fn thing(id: &str, count: u32) -> Thing {
    Thing {
        id: id.into(),
        count,
    }
}

fn item(id: &str, count: &str) -> std::collections::HashMap<String, AttributeValue> {
    [
        ("id".to_string(), AttributeValue::S(id.into())),
        ("count".to_string(), AttributeValue::N(count.into())),
    ]
    .into()
}

/// The emulator's `things` table, and a view of it through `faults` (the test's own reads go
/// around them).
async fn things(faults: &Faults, attempts: u32) -> (Table<Thing>, Table<Thing>) {
    let db = Emulator::start().await.expect("the emulator starts");
    let plain = db.create::<Thing>().await.expect("created");
    let client = ClientBuilder::default()
        .endpoint(db.endpoint())
        .region("us-east-1")
        .max_attempts(attempts)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .await
        .expect("client");
    let faulty = Emulator::attach(db.endpoint(), client, db.prefix())
        .with_faults(faults)
        .table::<Thing>();
    (plain, faulty)
}

#[tokio::test]
async fn throttling_is_retried_then_succeeds() {
    let faults = Faults::seeded(1).rule(
        Rule::new(Fault::Throttling)
            .operation(Operation::PutItem)
            .first(2),
    );
    let (plain, things) = things(&faults, 3).await;
    things
        .put(thing("a", 1))
        .send()
        .await
        .expect("third attempt succeeds");
    assert_eq!(faults.injected_of(Fault::Throttling), 2);
    assert_eq!(
        plain.get(ThingKey::new("a")).send().await.expect("reads"),
        Some(thing("a", 1))
    );
}

#[tokio::test]
async fn throttling_past_the_retries_is_throttled_and_says_which_table_and_limit() {
    for fault in [Fault::Throttling, Fault::ProvisionedThroughputExceeded] {
        let faults = Faults::seeded(1).rule(Rule::new(fault).operation(Operation::GetItem));
        let (_, things) = things(&faults, 2).await;
        let err = things
            .get(ThingKey::new("a"))
            .send()
            .await
            .expect_err("throttled");
        assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
        assert!(err.is_transient() && err.is_throttled());
        assert_eq!(faults.injected_of(fault), 2, "two attempts");
        assert!(
            std::error::Error::source(&err).is_some(),
            "the SDK error stays reachable"
        );
        let reasons = err.throttle_reasons();
        assert_eq!(reasons.len(), 1, "{err}");
        assert!(reasons[0].table().is_some_and(|t| t.ends_with("things")));
        assert_eq!(reasons[0].index(), None);
        let (reason, hot_key) = match fault {
            Fault::Throttling => ("TableReadKeyRangeThroughputExceeded", true),
            _ => ("TableReadProvisionedThroughputExceeded", false),
        };
        assert_eq!(reasons[0].reason, reason);
        assert_eq!(reasons[0].is_hot_key(), hot_key);
        assert!(err.to_string().contains(reason), "{err}");
    }
}

#[tokio::test]
async fn internal_errors_are_retried_then_transient() {
    for fault in [Fault::InternalServerError, Fault::ServiceUnavailable] {
        let faults =
            Faults::seeded(1).rule(Rule::new(fault).operation(Operation::UpdateItem).first(1));
        let (plain, things) = things(&faults, 3).await;
        plain.put(thing("a", 1)).send().await.expect("put");
        let f = Thing::fields();
        things
            .update(ThingKey::new("a"))
            .add(f.count, 1u32)
            .send()
            .await
            .expect("the retry succeeds");
        assert_eq!(faults.injected_of(fault), 1);
        assert_eq!(
            plain.get(ThingKey::new("a")).send().await.expect("reads"),
            Some(thing("a", 2)),
            "applied once"
        );

        faults.add(Rule::new(fault).operation(Operation::UpdateItem));
        let err = things
            .update(ThingKey::new("a"))
            .add(f.count, 1u32)
            .send()
            .await
            .expect_err("every attempt fails");
        assert_eq!(err.kind(), ErrorKind::Service, "{err}");
        assert!(err.is_transient(), "{fault}: {err}");
    }
}

#[tokio::test]
async fn transactions_canceled_by_conflicts_and_throttling_say_so_per_write() {
    for (fault, code) in [
        (
            Fault::TransactionConflict,
            CancellationCode::TransactionConflict,
        ),
        (Fault::Throttling, CancellationCode::Throttling),
    ] {
        let faults = Faults::seeded(1).rule(
            Rule::new(fault)
                .operation(Operation::TransactWriteItems)
                .table("things"),
        );
        let (plain, things) = things(&faults, 1).await;
        let mut tx = TransactWrite::new(things.client());
        let a = tx.add(things.put(thing("a", 1)));
        let b = tx.add(things.put(thing("b", 1)));
        let err = tx.send().await.expect_err("canceled");
        assert_eq!(err.kind(), ErrorKind::TransactionCanceled, "{err}");
        assert!(err.is_transient(), "{err}");
        assert_eq!(err.is_throttled(), fault == Fault::Throttling);
        let cancellation = err.cancellation().expect("reasons");
        assert_eq!(cancellation.reason(a).map(|r| r.code.clone()), Some(code));
        assert_eq!(
            cancellation.reason(b).map(|r| r.code.clone()),
            None,
            "the other write did not fail"
        );
        assert_eq!(
            cancellation.is_conflict_only(),
            fault == Fault::TransactionConflict
        );
        assert_eq!(
            plain.get(ThingKey::new("a")).send().await.expect("reads"),
            None,
            "nothing applied"
        );
    }
}

#[tokio::test]
async fn a_write_racing_a_transaction_is_a_transient_conflict() {
    let faults =
        Faults::seeded(1).rule(Rule::new(Fault::TransactionConflict).operation(Operation::PutItem));
    let (_, things) = things(&faults, 1).await;
    let err = things
        .put(thing("a", 1))
        .send()
        .await
        .expect_err("conflict");
    assert_eq!(err.kind(), ErrorKind::TransactionConflict, "{err}");
    assert!(err.is_transient());
}

fn quick(max_attempts: u32) -> Backoff {
    Backoff {
        max_attempts,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(5),
    }
}

#[tokio::test]
async fn unprocessed_writes_are_retried() {
    let faults = Faults::seeded(1).rule(Rule::new(Fault::Unprocessed).first(1));
    let (plain, things) = things(&faults, 1).await;
    let out = things
        .batch_write()
        .put(thing("a", 0))
        .put(thing("b", 0))
        .put(thing("c", 0))
        .backoff(quick(5))
        .send()
        .await
        .expect("writes");
    assert!(out.is_complete());
    assert_eq!(faults.injected_of(Fault::Unprocessed), 1);
    for id in ["a", "b", "c"] {
        assert!(
            plain
                .get(ThingKey::new(id))
                .send()
                .await
                .expect("reads")
                .is_some(),
            "{id} written"
        );
    }
}

#[tokio::test]
async fn writes_still_unprocessed_are_returned_not_dropped() {
    let faults = Faults::seeded(1).rule(Rule::new(Fault::Unprocessed));
    let (plain, things) = things(&faults, 1).await;
    let out = things
        .batch_write()
        .put(thing("a", 0))
        .put(thing("b", 0))
        .backoff(quick(3))
        .send()
        .await
        .expect("the request itself succeeds");
    assert_eq!(faults.injected_of(Fault::Unprocessed), 3, "three attempts");
    // The first attempt wrote "a"; "b" was handed back every time.
    assert_eq!(out.unprocessed.len(), 1);
    let returned = out.unprocessed[0].put_request().expect("a put").item();
    assert_eq!(returned.get("id"), Some(&AttributeValue::S("b".into())));
    assert!(
        plain
            .get(ThingKey::new("a"))
            .send()
            .await
            .expect("reads")
            .is_some()
    );
    assert!(
        plain
            .get(ThingKey::new("b"))
            .send()
            .await
            .expect("reads")
            .is_none()
    );
}

#[tokio::test]
async fn keys_still_unprocessed_are_returned_and_the_rest_read() {
    let faults = Faults::seeded(1).rule(Rule::new(Fault::Unprocessed));
    let (plain, things) = things(&faults, 1).await;
    for id in ["a", "b", "c", "d"] {
        plain.put(thing(id, 0)).send().await.expect("put");
    }
    let out = things
        .batch_get(["a", "b", "c", "d"].map(ThingKey::new))
        .backoff(quick(2))
        .send()
        .await
        .expect("the request itself succeeds");
    assert_eq!(faults.injected_of(Fault::Unprocessed), 2);
    // 4 keys: 2 read, then of the 2 handed back, 1 read; 1 left.
    assert_eq!(out.items.len(), 3);
    assert_eq!(out.unprocessed.len(), 1);
}

const CATALOG: TableDef = TableDef::new("catalog", KeyDef::string("pk"));

/// Products that were keyed by their code alone before.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = CATALOG, pk = "PRODUCT#{code}", previous(pk = "{code}"))]
struct Product {
    code: String,
}

#[tokio::test]
async fn keys_unprocessed_under_their_previous_key_are_returned_as_asked() {
    // The key now has no item; its previous key stays unprocessed (the request for it is the
    // one that names "p1" alone).
    let faults = Faults::seeded(1).rule(
        Rule::new(Fault::Unprocessed)
            .operation(Operation::BatchGetItem)
            .mentioning(r#"{"S":"p1"}"#),
    );
    let db = Emulator::start().await.expect("the emulator starts");
    db.create::<Product>().await.expect("created");
    let products = db.with_faults(&faults).table::<Product>();
    let out = products
        .batch_get([ProductKey::new("p1")])
        .backoff(quick(2))
        .send()
        .await
        .expect("the request itself succeeds");
    assert!(out.items.is_empty() && out.under_previous_key.is_empty());
    let key = std::collections::HashMap::from([(
        "pk".to_string(),
        AttributeValue::S("PRODUCT#p1".into()),
    )]);
    assert_eq!(out.unprocessed, vec![key], "returned under the key asked");
    assert_eq!(faults.injected_of(Fault::Unprocessed), 2);
}

/// The worst fault: the write happened and its answer was lost. The SDK sends it again; a
/// plain put is applied again (an `add` sent alone would be too: an update is not idempotent),
/// a transaction is not: its client request token (the caller's, or one the SDK gives every
/// transaction) makes the retry answer as the first did.
#[tokio::test]
async fn a_lost_answer_is_retried_and_a_token_keeps_a_transaction_once() {
    let faults = Faults::seeded(1).rule(Rule::new(Fault::LostAnswer).first(1));
    let (plain, things) = things(&faults, 3).await;
    things
        .put(thing("a", 1))
        .send()
        .await
        .expect("the retry answers");
    assert_eq!(faults.injected_of(Fault::LostAnswer), 1);
    assert_eq!(
        plain.get(ThingKey::new("a")).send().await.expect("reads"),
        Some(thing("a", 1))
    );

    faults.add(
        Rule::new(Fault::LostAnswer)
            .operation(Operation::TransactWriteItems)
            .first(1),
    );
    let f = Thing::fields();
    let mut tx = TransactWrite::new(things.client());
    tx.add(things.update(ThingKey::new("a")).add(f.count, 1u32));
    tx.client_request_token("add-once");
    tx.send().await.expect("the retry answers as the first did");
    assert_eq!(faults.injected_of(Fault::LostAnswer), 2);
    assert_eq!(
        plain.get(ThingKey::new("a")).send().await.expect("reads"),
        Some(thing("a", 2)),
        "applied once"
    );
    faults.add(
        Rule::new(Fault::LostAnswer)
            .operation(Operation::TransactWriteItems)
            .first(1),
    );
    let mut tx = TransactWrite::new(things.client());
    tx.add(things.update(ThingKey::new("a")).add(f.count, 1u32));
    tx.send().await.expect("the SDK's own token");
    assert_eq!(faults.injected_of(Fault::LostAnswer), 3);
    assert_eq!(
        plain.get(ThingKey::new("a")).send().await.expect("reads"),
        Some(thing("a", 3)),
        "applied once"
    );

    // A lost answer past the retries is a timeout, which callers treat as "maybe applied".
    faults.add(Rule::new(Fault::LostAnswer).operation(Operation::PutItem));
    let err = things
        .put(thing("b", 1))
        .send()
        .await
        .expect_err("every answer lost");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.is_transient());
    assert!(
        plain
            .get(ThingKey::new("b"))
            .send()
            .await
            .expect("reads")
            .is_some(),
        "and yet it was applied"
    );
}

#[tokio::test]
async fn malformed_items_are_mapping_errors() {
    let rule = mock!(Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .set_item(Some(item("a", "-1")))
            .build()
    });
    let client = mock_client!(aws_sdk_dynamodb, [&rule]);
    let err = Table::<Thing>::new(&client)
        .get(ThingKey::new("a"))
        .send()
        .await
        .expect_err("count is negative");
    let Some(source) = err.mapping() else {
        panic!("{err}")
    };
    assert_eq!(err.kind(), ErrorKind::Mapping);
    assert_eq!(err.table(), Some("things"));
    assert_eq!(
        (source.field, source.expected()),
        ("count", "N in the range of u32")
    );
}

#[tokio::test]
async fn a_silent_server_is_a_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let port = listener.local_addr().expect("addr").port();
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            sockets.push(socket);
        }
    });
    let client = ClientBuilder::default()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .region("us-east-1")
        .attempt_timeout(Duration::from_millis(200))
        .operation_timeout(Duration::from_millis(500))
        .max_attempts(1)
        .build()
        .await
        .expect("client");
    let err = Table::<Thing>::new(&client)
        .get(ThingKey::new("a"))
        .send()
        .await
        .expect_err("times out");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    held.abort();
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port();
    let client = ClientBuilder::default()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .region("us-east-1")
        .max_attempts(1)
        .build()
        .await
        .expect("client");
    let err = Table::<Thing>::new(&client)
        .get(ThingKey::new("a"))
        .send()
        .await
        .expect_err("nobody listens");
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
    let err = dynamo_core::client::check_connection(&client)
        .await
        .expect_err("unreachable");
    assert!(matches!(err, ConfigError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("DYNAMODB_ENDPOINT"), "{err}");
}

#[tokio::test]
async fn invalid_endpoint_says_what_to_fix() {
    let err = ClientBuilder::default()
        .endpoint("localhost:8000")
        .build()
        .await
        .expect_err("no scheme");
    assert!(err.to_string().contains("DYNAMODB_ENDPOINT"), "{err}");
}
