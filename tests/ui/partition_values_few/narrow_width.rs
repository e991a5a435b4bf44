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

/// A one-digit shard: ten partitions for every open order.
#[derive(DynamoEntity)]
#[dynamo(table = SHOP, pk = "ORDER#{id}", sk = "ORDER", gsi(GSI1, pk = "OPEN#{open_shard:1}", sk = "{id}"))]
struct Order {
    id: String,
    open_shard: u8,
}

fn main() {}
