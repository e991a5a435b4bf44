use dynamo_core::{DynamoCollection, DynamoEntity, KeyDef, TableDef};

const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_entity_attribute("entity");

#[derive(DynamoEntity)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "EVENT")]
struct Event {
    event_id: String,
}

#[derive(DynamoEntity)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "SEAT#{section}#{seat_no}")]
struct Seat {
    event_id: String,
    section: String,
    seat_no: u32,
}

mod legacy {
    use super::*;

    #[derive(DynamoEntity)]
    #[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "LEGACY#{n}")]
    pub struct Event {
        pub event_id: String,
        pub n: u32,
    }
}

#[derive(DynamoCollection)]
enum EventItems {
    Event(Event),
    Legacy(legacy::Event),
}

fn main() {}
