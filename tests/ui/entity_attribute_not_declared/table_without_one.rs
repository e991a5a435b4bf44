use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const EVENTS: TableDef = TableDef::new("events", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity)]
#[dynamo(table = EVENTS, pk = "EVENT#{event_id}", sk = "EVENT", entity = "Event")]
struct Event {
    event_id: String,
}

fn main() {}
