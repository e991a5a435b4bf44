//! The calls the overhead benchmarks compare: each operation once through the bare SDK, with
//! items, keys and expressions built and parsed by hand, and once through `Table<E>`; all on an
//! SDK client whose HTTP client answers in process with canned responses.

use crate::items::{Item, ItemKey, ItemPartition, item, parse, raw_item, raw_key};
use aws_credential_types::Credentials;
use aws_sdk_dynamodb::config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use aws_smithy_http_client::test_util::infallible_client_fn;
use aws_smithy_types::body::SdkBody;
use dynamo_core::{Client, Table, TransactWrite};

fn json_item(n: usize) -> String {
    format!(
        r#"{{"pk":{{"S":"p{}"}},"sk":{{"S":"i{n:05}"}},"name":{{"S":"item {n}"}},"count":{{"N":"{n}"}},"tags":{{"L":[{{"S":"a"}},{{"S":"b"}}]}}}}"#,
        n % 10
    )
}

/// An SDK client whose HTTP client answers each operation with a canned response.
/// A runtime, the canned client and the table on it: what both overhead benchmarks run on.
pub fn setup() -> (tokio::runtime::Runtime, Client, Table<Item>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = canned_client();
    let table = Table::<Item>::new(&client);
    (rt, client, table)
}

pub fn canned_client() -> Client {
    let get = format!(r#"{{"Item":{}}}"#, json_item(1));
    let update = format!(r#"{{"Attributes":{}}}"#, json_item(1));
    let items: Vec<String> = (0..10).map(json_item).collect();
    let query = format!(
        r#"{{"Count":10,"ScannedCount":10,"Items":[{}]}}"#,
        items.join(",")
    );
    let http = infallible_client_fn(move |request| {
        let target = request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let body = match target.rsplit('.').next().unwrap_or_default() {
            "GetItem" => get.clone(),
            "UpdateItem" => update.clone(),
            "Query" => query.clone(),
            _ => "{}".to_owned(),
        };
        http_1x::Response::builder()
            .status(200)
            .header("content-type", "application/x-amz-json-1.0")
            .body(SdkBody::from(body))
            .expect("a response")
    });
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::for_tests())
        .http_client(http)
        .build();
    Client::from_conf(config)
}

pub async fn get_raw(client: &Client, _: &Table<Item>) -> Option<Item> {
    let out = client
        .get_item()
        .table_name("bench-items")
        .set_key(Some(raw_key(1)))
        .send()
        .await
        .expect("get");
    out.item.and_then(parse)
}

pub async fn get_typed(_: &Client, table: &Table<Item>) -> Option<Item> {
    table
        .get(ItemKey::new("p1", "i00001"))
        .send()
        .await
        .expect("get")
}

pub async fn put_raw(client: &Client, _: &Table<Item>) {
    client
        .put_item()
        .table_name("bench-items")
        .set_item(Some(raw_item(1)))
        .send()
        .await
        .expect("put");
}

pub async fn put_typed(_: &Client, table: &Table<Item>) {
    table.put(item(1)).send().await.expect("put")
}

pub async fn query_raw(client: &Client, _: &Table<Item>) -> Vec<Item> {
    let out = client
        .query()
        .table_name("bench-items")
        .key_condition_expression("#n0 = :v0")
        .expression_attribute_names("#n0", "pk")
        .expression_attribute_values(":v0", AttributeValue::S("p1".into()))
        .send()
        .await
        .expect("query");
    out.items
        .unwrap_or_default()
        .into_iter()
        .filter_map(parse)
        .collect()
}

pub async fn query_typed(_: &Client, table: &Table<Item>) -> Vec<Item> {
    table
        .query(ItemPartition::new("p1"))
        .send()
        .await
        .expect("query")
        .items
}

/// The typed update requires the item (a condition) and reads it back: the raw call does
/// the same.
pub async fn update_raw(client: &Client, _: &Table<Item>) -> Option<Item> {
    let out = client
        .update_item()
        .table_name("bench-items")
        .set_key(Some(raw_key(1)))
        .update_expression("SET #n0 = :v0 ADD #n1 :v1")
        .condition_expression("attribute_exists(#n2)")
        .expression_attribute_names("#n0", "name")
        .expression_attribute_names("#n1", "count")
        .expression_attribute_names("#n2", "pk")
        .expression_attribute_values(":v0", AttributeValue::S("renamed".into()))
        .expression_attribute_values(":v1", AttributeValue::N("1".into()))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .expect("update");
    out.attributes.and_then(parse)
}

pub async fn update_typed(_: &Client, table: &Table<Item>) -> Item {
    let f = Item::fields();
    table
        .update(ItemKey::new("p1", "i00001"))
        .set(f.name, "renamed")
        .add(f.count, 1)
        .returning_new()
        .send()
        .await
        .expect("update")
}

pub async fn transact_raw(client: &Client, _: &Table<Item>) {
    let items = (0..4)
        .map(|n| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("bench-items")
                        .set_item(Some(raw_item(n)))
                        .build()
                        .expect("put"),
                )
                .build()
        })
        .collect();
    client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
        .expect("transaction");
}

pub async fn transact_typed(client: &Client, table: &Table<Item>) {
    let mut tx = TransactWrite::new(client);
    for n in 0..4 {
        tx.add(table.put(item(n)));
    }
    tx.send().await.expect("transaction");
}
