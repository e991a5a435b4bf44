//! Faults DynamoDB Local cannot produce on demand: throttling, unprocessed batch items, malformed
//! items (with `aws-smithy-mocks`), timeouts and an unreachable endpoint (with local sockets).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::operation::get_item::{GetItemError, GetItemOutput};
use aws_sdk_dynamodb::types::error::{ProvisionedThroughputExceededException, ThrottlingException};
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, PutRequest, ThrottlingReason, WriteRequest,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use dynamo_core::{
    DynamoEntity, ErrorKind, KeyDef, Table, TableDef,
    client::{ClientBuilder, ConfigError},
    table::Backoff,
};
use std::time::Duration;

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    count: u32,
}

fn throttled() -> GetItemError {
    GetItemError::ProvisionedThroughputExceededException(
        ProvisionedThroughputExceededException::builder()
            .message("slow down")
            .meta(
                ErrorMetadata::builder()
                    .code("ProvisionedThroughputExceededException")
                    .message("slow down")
                    .build(),
            )
            .build(),
    )
}

fn item(id: &str, count: &str) -> std::collections::HashMap<String, AttributeValue> {
    [
        ("id".to_string(), AttributeValue::S(id.into())),
        ("count".to_string(), AttributeValue::N(count.into())),
    ]
    .into()
}

fn retrying(
    attempts: u32,
) -> impl Fn(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder {
    move |conf| {
        conf.retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(1)),
        )
    }
}

#[tokio::test]
async fn throttling_is_retried_then_succeeds() {
    let rule = mock!(Client::get_item)
        .sequence()
        .error(throttled)
        .times(2)
        .output(|| {
            GetItemOutput::builder()
                .set_item(Some(item("a", "1")))
                .build()
        })
        .build();
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&rule], retrying(3));
    let thing = Table::<Thing>::new(&client)
        .get(ThingKey::new("a"))
        .send()
        .await
        .expect("third attempt succeeds");
    assert_eq!(
        thing,
        Some(Thing {
            id: "a".into(),
            count: 1
        })
    );
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn throttling_past_the_retries_is_throttled() {
    let rule = mock!(Client::get_item)
        .sequence()
        .error(throttled)
        .times(5)
        .build();
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&rule], retrying(2));
    let err = Table::<Thing>::new(&client)
        .get(ThingKey::new("a"))
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
    assert!(err.is_transient());
    assert!(
        std::error::Error::source(&err).is_some(),
        "the SDK error stays reachable"
    );
}

/// DynamoDB says which limit throttled which table or index (`ThrottlingReasons`): a hot key
/// reads differently from a table out of capacity.
#[tokio::test]
async fn throttling_says_which_index_and_limit() {
    let rule = mock!(Client::get_item).then_error(|| {
        GetItemError::ThrottlingException(
            ThrottlingException::builder()
                .message("Throughput exceeds the current capacity")
                .throttling_reasons(
                    ThrottlingReason::builder()
                        .reason("IndexWriteKeyRangeThroughputExceeded")
                        .resource("arn:aws:dynamodb:eu-west-1:111122223333:table/things/index/GSI1")
                        .build(),
                )
                .meta(ErrorMetadata::builder().code("ThrottlingException").build())
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&rule], retrying(1));
    let err = Table::<Thing>::new(&client)
        .get(ThingKey::new("a"))
        .send()
        .await
        .expect_err("throttled");
    assert!(err.is_throttled());
    let reasons = err.throttle_reasons();
    assert_eq!(reasons.len(), 1);
    assert_eq!(reasons[0].index(), Some("GSI1"));
    assert_eq!(reasons[0].table(), Some("things"));
    assert!(reasons[0].is_hot_key());
    assert_eq!(
        err.to_string(),
        "GetItem on table things: throttled by DynamoDB after retries (IndexWriteKeyRangeThroughputExceeded on index GSI1 of table things)"
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

fn put(id: &str) -> WriteRequest {
    WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item(id, "0")))
                .build()
                .expect("item"),
        )
        .build()
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
    let rule = mock!(Client::batch_write_item)
        .sequence()
        .output(|| {
            BatchWriteItemOutput::builder()
                .unprocessed_items("things", vec![put("b")])
                .build()
        })
        .output(|| BatchWriteItemOutput::builder().build())
        .build();
    let client = mock_client!(aws_sdk_dynamodb, [&rule]);
    let things = Table::<Thing>::new(&client);
    let out = things
        .batch_write()
        .put(Thing {
            id: "a".into(),
            count: 0,
        })
        .put(Thing {
            id: "b".into(),
            count: 0,
        })
        .backoff(quick(5))
        .send()
        .await
        .expect("writes");
    assert!(out.is_complete());
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test]
async fn writes_still_unprocessed_are_returned_not_dropped() {
    let rule = mock!(Client::batch_write_item)
        .sequence()
        .output(|| {
            BatchWriteItemOutput::builder()
                .unprocessed_items("things", vec![put("b")])
                .build()
        })
        .repeatedly()
        .build();
    let client = mock_client!(aws_sdk_dynamodb, [&rule]);
    let out = Table::<Thing>::new(&client)
        .batch_write()
        .put(Thing {
            id: "a".into(),
            count: 0,
        })
        .put(Thing {
            id: "b".into(),
            count: 0,
        })
        .backoff(quick(3))
        .send()
        .await
        .expect("the request itself succeeds");
    assert_eq!(out.unprocessed, vec![put("b")]);
    assert_eq!(rule.num_calls(), 3);
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
    let key = |text: &str| {
        std::collections::HashMap::from([("pk".to_string(), AttributeValue::S(text.into()))])
    };
    // The key now has no item; its previous key stays unprocessed.
    let rule = mock!(Client::batch_get_item)
        .sequence()
        .output(|| BatchGetItemOutput::builder().build())
        .output(move || {
            BatchGetItemOutput::builder()
                .unprocessed_keys(
                    "catalog",
                    KeysAndAttributes::builder()
                        .keys(key("p1"))
                        .build()
                        .expect("keys"),
                )
                .build()
        })
        .repeatedly()
        .build();
    let client = mock_client!(aws_sdk_dynamodb, [&rule]);
    let out = Table::<Product>::new(&client)
        .batch_get([ProductKey::new("p1")])
        .backoff(quick(2))
        .send()
        .await
        .expect("the request itself succeeds");
    assert!(out.items.is_empty() && out.under_previous_key.is_empty());
    assert_eq!(out.unprocessed, vec![key("PRODUCT#p1")]);
    assert_eq!(rule.num_calls(), 3);
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

/// Throttling as DynamoDB sends it (HTTP 400, `ThrottlingException` with its
/// `ThrottlingReasons`): retried as configured, then a throttled error naming the index.
#[tokio::test]
async fn throttling_on_the_wire_is_retried_then_named() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let port = listener.local_addr().expect("addr").port();
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let served = requests.clone();
    let server = tokio::spawn(async move {
        let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Throughput exceeds the current capacity of your table or index.","throttlingReasons":[{"reason":"IndexWriteKeyRangeThroughputExceeded","resource":"arn:aws:dynamodb:us-east-1:111122223333:table/things/index/GSI1"}]}"#;
        while let Ok((mut socket, _)) = listener.accept().await {
            let served = served.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut seen = Vec::new();
                // One request per connection is enough: read its headers and body.
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&seen);
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (name, value) = l.split_once(':')?;
                            name.eq_ignore_ascii_case("content-length")
                                .then(|| value.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if seen.len() < end + 4 + length {
                        continue;
                    }
                    served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let response = format!(
                        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                    seen.clear();
                }
            });
        }
    });
    let client = ClientBuilder::default()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .region("us-east-1")
        .max_attempts(2)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .await
        .expect("client");
    let err = Table::<Thing>::new(&client)
        .get(ThingKey::new("a"))
        .send()
        .await
        .expect_err("throttled");
    assert!(err.is_throttled(), "{err}");
    assert_eq!(
        requests.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "two attempts"
    );
    let reasons = err.throttle_reasons();
    assert_eq!(reasons.len(), 1, "{err}");
    assert_eq!(reasons[0].reason, "IndexWriteKeyRangeThroughputExceeded");
    assert_eq!(reasons[0].index(), Some("GSI1"));
    server.abort();
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

#[tokio::test]
async fn a_write_racing_a_transaction_is_a_transient_conflict() {
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_sdk_dynamodb::types::error::TransactionConflictException;
    let rule = mock!(Client::put_item).then_error(|| {
        PutItemError::TransactionConflictException(
            TransactionConflictException::builder()
                .message("Transaction is ongoing for the item")
                .meta(
                    ErrorMetadata::builder()
                        .code("TransactionConflictException")
                        .build(),
                )
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, [&rule]);
    let err = Table::<Thing>::new(&client)
        .put(Thing {
            id: "a".into(),
            count: 1,
        })
        .send()
        .await
        .expect_err("conflict");
    assert_eq!(err.kind(), ErrorKind::TransactionConflict, "{err}");
    assert!(err.is_transient());
}
