use dynamo_core::{DynamoEntity, IndexDef, KeyDef, TableDef};

const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

#[derive(DynamoEntity)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "SEAT#{shard(seat_id):16}#{section}")]
struct Seat {
    event_id: String,
    seat_id: String,
    section: String,
}

fn main() {}
