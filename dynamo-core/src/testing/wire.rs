//! DynamoDB's wire format as the test layers in a client's HTTP connection ([`Faults`],
//! [`PartitionMeter`]) put themselves in front of the server, read answers and write their own.
//!
//! [`Faults`]: super::Faults
//! [`PartitionMeter`]: super::PartitionMeter

use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::http::{HttpClient, SharedHttpClient};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::{Headers, StatusCode};
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};

pub(super) type ConnectorResult = Result<HttpResponse, ConnectorError>;

/// DynamoDB's message of a `ThrottlingException`.
pub(super) const THROTTLED: &str = "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly.";

/// DynamoDB's message of a `ThrottlingError` cancellation reason.
pub(super) const THROTTLED_IN_TRANSACTION: &str = "Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB is automatically scaling your index so please try again shortly.";

/// `client` sending through `http`, which sends through `client`'s own HTTP client
/// ([`http_client_of`]).
pub(super) fn with_http_client(client: &Client, http: impl HttpClient + 'static) -> Client {
    let config = client
        .config()
        .to_builder()
        .http_client(SharedHttpClient::new(http))
        .build();
    Client::from_conf(config)
}

/// `client`'s own HTTP client, or the one the SDK builds by default.
pub(super) fn http_client_of(client: &Client) -> SharedHttpClient {
    client.config().http_client().unwrap_or_else(|| {
        use aws_smithy_http_client::{Builder, tls};
        Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build_https()
    })
}

/// An answer of `status` with `body`, as DynamoDB sends it.
pub(super) fn respond(status: u16, body: impl Into<SdkBody>) -> ConnectorResult {
    let status =
        StatusCode::try_from(status).map_err(|e| ConnectorError::other(Box::new(e), None))?;
    let mut response = HttpResponse::new(status, body.into());
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.0");
    Ok(response)
}

/// A `ThrottlingException`'s body: `reason` on `resource` (a table's or index's ARN).
pub(super) fn throttling_exception(reason: &str, resource: &str) -> Value {
    json!({
        "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
        "message": THROTTLED,
        "throttlingReasons": [{"reason": reason, "resource": resource}],
    })
}

/// A `TransactionCanceledException`'s body for a transaction of `count` writes: `code` and
/// `message` for the write at `failing`, `None` for the others.
pub(super) fn canceled(count: usize, failing: Option<usize>, code: &str, message: &str) -> Value {
    let reasons: Vec<Value> = (0..count)
        .map(|i| {
            if Some(i) == failing {
                json!({"Code": code, "Message": message})
            } else {
                json!({"Code": "None"})
            }
        })
        .collect();
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r["Code"].as_str().unwrap_or("None"))
        .collect();
    json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", ")),
        "CancellationReasons": reasons,
    })
}

/// The response read whole: its status, headers and body.
pub(super) async fn read_body(response: HttpResponse) -> (StatusCode, Headers, Vec<u8>) {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = aws_smithy_types::byte_stream::ByteStream::new(response.into_body())
        .collect()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    (status, headers, bytes)
}
