use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "ticketing", pk = "EVENT#{event_id}", entity = "Event")]
struct Event {
    event_id: String,
}

fn main() {}
