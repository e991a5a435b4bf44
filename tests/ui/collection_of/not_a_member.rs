use dynamo_core::{DynamoEntity, IndexDef, KeyDef, Table, TableDef};

const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))])
    .with_entity_attribute("entity");

#[derive(DynamoEntity)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "EVENT")]
struct Event {
    event_id: String,
}

#[derive(DynamoEntity)]
#[dynamo(
    table = TICKETING,
    pk = "EVENT#{event_id}",
    sk = "SEAT#{section}#{seat_no}",
    gsi(GSI1, pk = "HOLDER#{holder}", sk = "{event_id}")
)]
struct Seat {
    event_id: String,
    section: String,
    seat_no: u32,
    holder: Option<String>,
}
use dynamo_core::DynamoCollection;

#[derive(DynamoCollection)]
enum EventOnly {
    Event(Event),
}

fn everything(seats: &Table<Seat>) {
    let _ = seats.query(SeatPartition::new("e1")).collection::<EventOnly>();
}

fn main() {}
