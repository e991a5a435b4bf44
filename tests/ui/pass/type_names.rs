use dynamo_core::{DynamoEntity, KeyDef, Table, TableDef};

const TICKETING: TableDef =
    TableDef::new("ticketing", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

// The user's own types with the names the derive would generate for `Event`.
#[allow(dead_code)]
pub struct EventKey(String);
#[allow(dead_code)]
pub struct EventPartition;

// `type_names` gives the generated types another stem: `EventItemKey`, `EventItemFields`,
// `EventItemPartition`, `EventItemUnique`.
#[derive(DynamoEntity)]
#[dynamo(
    table = TICKETING,
    pk = "EVENT#{event_id}",
    sk = "EVENT",
    type_names = EventItem,
    unique(slug)
)]
pub struct Event {
    event_id: String,
    slug: String,
}

#[allow(dead_code)]
async fn uses(events: Table<Event>) -> Result<(), dynamo_core::Error> {
    let _: Option<Event> = events.get(EventItemKey::new("e1")).send().await?;
    let _: EventItemFields = Event::fields();
    let _ = events.query(EventItemPartition::new("e1"));
    let _: Option<Event> = events.find_by_slug("rust-fest".into()).await?;
    Ok(())
}

fn main() {}
