use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const TICKETING: TableDef =
    TableDef::new("ticketing", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

// The venue is no part of the key: a read by key could not find the item under it.
#[derive(DynamoEntity)]
#[dynamo(
    table = TICKETING,
    pk = "EVENT#{event_id}#{shard(seat_no):16}",
    sk = "SEAT#{seat_no}",
    previous(pk = "{venue}#{event_id}")
)]
struct Seat {
    event_id: String,
    seat_no: u32,
    venue: String,
}

fn main() {}
