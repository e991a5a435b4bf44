use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const TICKETING: TableDef =
    TableDef::new("ticketing", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity)]
#[dynamo(
    table = TICKETING,
    pk = "EVENT#{event_id}",
    sk = "SEAT#{seat_no}",
    previous(sk = "SEAT#{seat_no}")
)]
struct Seat {
    event_id: String,
    seat_no: u32,
}

fn main() {}
