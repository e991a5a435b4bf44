//! Single-table design against DynamoDB Local: key templates, entity types, typed queries and
//! collections on one table holding events, their sections and their seats.

use dynamo_core::testing::DynamoLocal;
use dynamo_core::{
    AttributeValue, DynamoCollection, DynamoEntity, DynamoValue, Entity, EntityKey, Error,
    IndexDef, Item, KeyDef, Table, TableDef,
};
use time::OffsetDateTime;

const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )])
    .with_entity_attribute("entity");

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "EVENT")]
struct Event {
    event_id: String,
    name: String,
    starts_at: OffsetDateTime,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "SECTION#{section}")]
struct Section {
    event_id: String,
    section: String,
    capacity: u32,
}

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
enum SeatState {
    Available,
    Held,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = TICKETING,
    pk = "EVENT#{event_id}",
    sk = "SEAT#{section}#{seat_no:4}",
    gsi(GSI1, pk = "HOLDER#{holder}", sk = "{held_at}#{event_id}")
)]
struct Seat {
    event_id: String,
    section: String,
    seat_no: u32,
    state: SeatState,
    holder: Option<String>,
    held_at: Option<OffsetDateTime>,
}

#[derive(DynamoCollection, Debug, PartialEq)]
enum EventItems {
    Event(Event),
    Section(Section),
    Seat(Seat),
}

fn seat(section: &str, seat_no: u32) -> Seat {
    Seat {
        event_id: "e1".into(),
        section: section.into(),
        seat_no,
        state: SeatState::Available,
        holder: None,
        held_at: None,
    }
}

#[test]
fn templates_write_the_keys_and_the_entity_type() {
    let item = seat("A", 7).into_item().expect("maps");
    assert_eq!(item["pk"], AttributeValue::S("EVENT#e1".into()));
    assert_eq!(item["sk"], AttributeValue::S("SEAT#A#0007".into()));
    assert_eq!(item["entity"], AttributeValue::S("Seat".into()));
    assert_eq!(item["seat_no"], AttributeValue::N("7".into()));
    assert!(!item.contains_key("gsi1pk"), "no holder: not in the index");
    let key = SeatKey::new("e1", "A", 7u32).into_key_item().expect("key");
    assert_eq!(key.len(), 2);
    assert_eq!(key["sk"], AttributeValue::S("SEAT#A#0007".into()));
    assert_eq!(Seat::from_item(item).expect("reads"), seat("A", 7));
}

#[tokio::test]
async fn scratch() {
    let db = DynamoLocal::start().await.expect("starts");
    let seats: Table<Seat> = db.create::<Seat>().await.expect("created");
    for (section, no) in [("A", 1), ("A", 2), ("A", 10), ("B", 1)] {
        seats.put(seat(section, no)).send().await.expect("put");
    }
    let events = Table::<Event>::new(seats.client()).named(seats.name());
    events
        .put(Event {
            event_id: "e1".into(),
            name: "Concert".into(),
            starts_at: OffsetDateTime::UNIX_EPOCH,
        })
        .send()
        .await
        .expect("put");
    let all = seats
        .query(SeatPartition::new("e1"))
        .all()
        .await
        .expect("q");
    assert_eq!(all.len(), 4);
    let a = seats
        .query(SeatPartition::new("e1"))
        .sk_begins_with(SeatSortKey::section("A"))
        .all()
        .await
        .expect("q");
    assert_eq!(a.len(), 3);
    let items = events
        .query(EventPartition::new("e1"))
        .collection::<EventItems>()
        .all()
        .await
        .expect("collection");
    assert_eq!(items.len(), 5);
    let _ = (Item::new(), Error::is_transient);
}
