use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const OUTBOX: TableDef =
    TableDef::new("ticket-reservation-outbox", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity)]
#[dynamo(table = OUTBOX)]
struct OutboxEvent {
    #[pk]
    #[dynamo(rename = "pk")]
    outbox_id: String,
    #[sk]
    event_type: String,
    payload: String,
}

fn main() {}
