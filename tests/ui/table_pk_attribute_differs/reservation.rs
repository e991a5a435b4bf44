use dynamo_core::{DynamoEntity, IndexDef, KeyDef, TableDef};

const RESERVATIONS: TableDef = TableDef::new("ticket-reservation-reservations", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

/// The entity of the 2025-10-09 incident: keys mapped to attributes named after the fields,
/// while the table's keys are `pk` and `sk`.
#[derive(DynamoEntity)]
#[dynamo(table = RESERVATIONS)]
struct Reservation {
    #[pk]
    reservation_id: String,
    #[sk]
    event_id: String,
    user_id: String,
}

fn main() {}
