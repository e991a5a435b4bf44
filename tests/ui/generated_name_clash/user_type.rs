use dynamo_core::DynamoEntity;

// The derive generates `EventKey`; a type of that name in the same module clashes, and rustc
// points at both. `#[dynamo(type_names = EventItem)]` gives the generated types another stem.
pub struct EventKey(String);

#[derive(DynamoEntity)]
#[dynamo(table_name = "events")]
pub struct Event {
    #[pk]
    event_id: String,
}

fn main() {}
