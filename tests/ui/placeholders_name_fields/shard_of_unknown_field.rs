use dynamo_core::{DynamoEntity, IndexDef, KeyDef, TableDef};

const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

#[derive(DynamoEntity)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}#{shard(seat):16}", sk = "SEAT#{seat_id}")]
struct Seat {
    event_id: String,
    seat_id: String,
}

fn main() {}
