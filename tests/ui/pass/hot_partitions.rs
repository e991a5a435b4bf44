//! Partition templates that spread writes: many values, enough shards, or a hot partition
//! accepted with its reason.

use dynamo_core::{DynamoEntity, DynamoValue, IndexDef, KeyDef, TableDef, keys::Shard};

const SHOP: TableDef = TableDef::new("shop", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
enum Status {
    Open,
    Paid,
}

/// Two statuses times 32 shards: 64 partition key values.
#[derive(DynamoEntity)]
#[dynamo(table = SHOP, pk = "ORDER#{id}", sk = "ORDER", gsi(GSI1, pk = "{status}#{shard(id):32}", sk = "{id}"))]
struct Order {
    id: String,
    status: Status,
}

/// A writer-chosen shard among 64.
#[derive(DynamoEntity)]
#[dynamo(table = SHOP, pk = "QUEUE#{shard}", sk = "{id}")]
struct Job {
    id: String,
    shard: Shard<64>,
}

/// A 16-bit number has enough values.
#[derive(DynamoEntity)]
#[dynamo(table = SHOP, pk = "DAY#{day}", sk = "{id}")]
struct Visit {
    id: String,
    day: u16,
}

/// Accepted: a handful of writes a day.
#[derive(DynamoEntity)]
#[dynamo(
    table = SHOP,
    pk = "CONFIG#{scope}",
    sk = "{name}",
    hot_partition_ok = "a few admin writes a day, read through a cache"
)]
struct Setting {
    scope: Status,
    name: String,
}

fn main() {}
