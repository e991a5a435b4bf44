use dynamo_core::{DynamoEntity, IndexDef, KeyDef, TableDef};

const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

/// Every flag of a state in one of two partitions of GSI1.
#[derive(DynamoEntity)]
#[dynamo(
    table = TICKETING,
    pk = "EVENT#{event_id}",
    sk = "FLAG#{name}",
    gsi(GSI1, pk = "ENABLED#{enabled}", sk = "{event_id}#{name}")
)]
struct Flag {
    event_id: String,
    name: String,
    enabled: bool,
}

fn main() {}
