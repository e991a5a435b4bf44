use dynamo_core::{DynamoEntity, IndexDef, KeyDef, TableDef};

const RESERVATIONS: TableDef = TableDef::new("ticket-reservation-reservations", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

#[derive(DynamoEntity)]
#[dynamo(table = RESERVATIONS)]
struct Reservation {
    #[pk]
    #[dynamo(rename = "pk")]
    reservation_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    seq: u32,
}

fn main() {}
