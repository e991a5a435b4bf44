//! DynamoDB metrics for throttling the emulator never does on its own (injected HTTP answers).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use reservation_service::metrics::{Metrics, instrument};
use std::time::Duration;

const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#;

#[tokio::test]
async fn every_throttled_attempt_is_counted_and_the_operation_timed_once() {
    let rule = mock!(Client::get_item)
        .sequence()
        .http_status(400, Some(THROTTLED.to_owned()))
        .times(2)
        .http_status(200, Some("{}".to_owned()))
        .build();
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&rule], |conf| {
        conf.retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
    });
    let metrics = Metrics::new();
    let client = instrument(&client, &metrics);
    client
        .get_item()
        .table_name("t")
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("a".into()))
        .send()
        .await
        .expect("the third attempt succeeds");
    assert_eq!(rule.num_calls(), 3);
    let text = metrics.render();
    for expected in [
        r#"dynamodb_throttles_total{operation="GetItem"} 2"#,
        r#"dynamodb_request_duration_seconds_count{operation="GetItem",outcome="ok"} 1"#,
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
