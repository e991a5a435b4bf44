use dynamo_core::{DynamoEntity, IndexDef, KeyDef, TableDef};

const RESERVATIONS: TableDef = TableDef::new("ticket-reservation-reservations", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

/// The incident's first mistake in full: `event_id` was not marked as the sort key at all.
#[derive(DynamoEntity)]
#[dynamo(table = RESERVATIONS)]
struct Reservation {
    #[pk]
    reservation_id: String,
    event_id: String,
    user_id: String,
}

fn main() {}
