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

#[derive(DynamoEntity)]
#[dynamo(table = SHOP, pk = "ORDER#{id}", sk = "ORDER", gsi(GSI1, pk = "STATUS#{status}", sk = "{id}"), hot_partition_ok = " ")]
struct Order {
    id: String,
    status: Status,
}

fn main() {}
