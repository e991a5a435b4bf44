use dynamo_core::{DynamoEntity, DynamoValue, IndexDef, KeyDef, TableDef, keys::Shard};

const SHOP: TableDef = TableDef::new("shop", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
enum Status {
    Open,
    Paid,
    Shipped,
}

/// Eight shards, times three statuses: 24 partitions.
#[derive(DynamoEntity)]
#[dynamo(table = SHOP, pk = "ORDER#{id}", sk = "ORDER", gsi(GSI1, pk = "{status}#{shard}", sk = "{id}"))]
struct Order {
    id: String,
    status: Status,
    shard: Shard<8>,
}

/// A computed shard with too few values: eight.
#[derive(DynamoEntity)]
#[dynamo(table = SHOP, pk = "QUEUE#{shard(id):8}", sk = "{id}")]
struct Job {
    id: String,
}

fn main() {}
