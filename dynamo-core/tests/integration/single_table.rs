//! Single-table design against the emulator: key templates, entity types, typed queries and
//! collections on one table holding events, their sections and their seats.

use dynamo_core::testing::Emulator;
use dynamo_core::{
    AttributeValue, Condition, DynamoCollection, DynamoEntity, DynamoValue, Entity, ErrorKind,
    IndexDef, Item, KeyDef, Table, TableDef, TransactWrite, mapping::EntityKey,
};
use std::time::Duration;
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

/// Seats sort by section, then by number (`{seat_no:4}`: `0002` before `0010`); while held,
/// a seat is in GSI1 under its holder, by hold time.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = TICKETING,
    pk = "EVENT#{event_id}",
    sk = "SEAT#{section}#{seat_no:4}",
    gsi(GSI1, pk = "HOLDER#{holder}", sk = "{held_at}#{event_id}#{section}")
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

/// Only events and sections: seats are items it does not know.
#[derive(DynamoCollection, Debug, PartialEq)]
enum EventOutline {
    Event(Event),
    Section(Section),
    #[dynamo(other)]
    Other(Item),
}

#[derive(DynamoCollection, Debug, PartialEq)]
enum EventAndSections {
    Event(Event),
    Section(Section),
}

/// Writes the same keys as `Event` under another entity type.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "EVENT", entity = "Impostor")]
struct Impostor {
    event_id: String,
    name: String,
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

struct Ticketing {
    _db: Emulator,
    events: Table<Event>,
    sections: Table<Section>,
    seats: Table<Seat>,
}

/// Event e1 with sections A and B and seats, B-1, B-2; event e2 with one
/// seat (another partition).
async fn ticketing() -> Ticketing {
    let db = Emulator::start().await.expect("the emulator starts");
    let seats = db.create::<Seat>().await.expect("created");
    let t = Ticketing {
        events: db.table(),
        sections: db.table(),
        seats,
        _db: db,
    };
    t.events
        .put(Event {
            event_id: "e1".into(),
            name: "Opening night".into(),
        })
        .send()
        .await
        .expect("event");
    for section in ["A", "B"] {
        t.sections
            .put(Section {
                event_id: "e1".into(),
                section: section.into(),
                capacity: 100,
            })
            .send()
            .await
            .expect("section");
    }
    for (section, n) in [
        ("A", 1),
        ("A", 2),
        ("A", 10),
        ("A", 100),
        ("B", 1),
        ("B", 2),
    ] {
        t.seats.put(seat(section, n)).send().await.expect("seat");
    }
    t.seats
        .put(Seat {
            event_id: "e2".into(),
            ..seat("A", 1)
        })
        .send()
        .await
        .expect("another event's seat");
    t
}

fn numbers(seats: &[Seat]) -> Vec<String> {
    seats
        .iter()
        .map(|s| format!("{}-{}", s.section, s.seat_no))
        .collect()
}

#[test]
fn templates_write_the_keys_and_the_entity_type() {
    let item = seat("A", 7).into_item().expect("maps");
    assert_eq!(item["pk"], AttributeValue::S("EVENT#e1".into()));
    assert_eq!(item["sk"], AttributeValue::S("SEAT#A#0007".into()));
    assert_eq!(item["entity"], AttributeValue::S("Seat".into()));
    assert_eq!(
        item["seat_no"],
        AttributeValue::N("7".into()),
        "fields stay"
    );
    assert!(!item.contains_key("gsi1pk"), "no holder: not in the index");
    let key = SeatKey::new("e1", "A", 7u32).into_key_item().expect("key");
    assert_eq!(key.len(), 2);
    assert_eq!(key["sk"], AttributeValue::S("SEAT#A#0007".into()));
    assert_eq!(Seat::from_item(item).expect("reads"), seat("A", 7));

    let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    let held = Seat {
        holder: Some("u1".into()),
        held_at: Some(t0),
        ..seat("A", 7)
    }
    .into_item()
    .expect("maps");
    assert_eq!(held["gsi1pk"], AttributeValue::S("HOLDER#u1".into()));
    assert_eq!(
        held["gsi1sk"],
        AttributeValue::S("2023-11-14T22:13:20.000000000Z#e1#A".into())
    );
    let half = Seat {
        holder: Some("u1".into()),
        ..seat("A", 7)
    }
    .into_item()
    .expect("maps");
    assert!(
        !half.contains_key("gsi1pk") && !half.contains_key("gsi1sk"),
        "a component of the index is absent: out of the index"
    );
}

#[tokio::test]
async fn a_partition_of_three_entity_types_reads_as_a_collection() {
    let t = ticketing().await;
    let items = t
        .events
        .query(EventPartition::new("e1"))
        .collection::<EventItems>()
        .all()
        .await
        .expect("collection");
    // In sort key order: EVENT, SEAT#A#.., SEAT#B#.., SECTION#A, SECTION#B.
    let kinds: Vec<&str> = items
        .iter()
        .map(|i| match i {
            EventItems::Event(_) => "event",
            EventItems::Section(_) => "section",
            EventItems::Seat(_) => "seat",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "event", "seat", "seat", "seat", "seat", "seat", "seat", "section", "section"
        ]
    );
    assert_eq!(
        items[0],
        EventItems::Event(Event {
            event_id: "e1".into(),
            name: "Opening night".into()
        })
    );

    // The same partition through any member's partition type, with a sort key condition.
    let sections = t
        .sections
        .query(SectionPartition::new("e1"))
        .sk_begins_with(SectionSortKey::new("A"))
        .collection::<EventItems>()
        .all()
        .await
        .expect("collection");
    assert_eq!(sections.len(), 1);

    // A collection of some of the partition's entity types reads theirs only; the seats that
    // sort between the event and the sections are read and left out by their entity type.
    let outline = t
        .events
        .query(EventPartition::new("e1"))
        .collection::<EventAndSections>()
        .send()
        .await
        .expect("seats are not its members");
    assert_eq!((outline.items.len(), outline.scanned_count), (3, 9));
    assert!(matches!(outline.items[0], EventAndSections::Event(_)));
    let outline = t
        .events
        .query(EventPartition::new("e1"))
        .collection::<EventOutline>()
        .all()
        .await
        .expect("others are kept raw");
    let others = outline
        .iter()
        .filter(|i| matches!(i, EventOutline::Other(item) if item["entity"] == AttributeValue::S("Seat".into())))
        .count();
    assert_eq!((outline.len(), others), (9, 6));
}

#[tokio::test]
async fn typed_queries_and_scans_return_their_entity_only() {
    let t = ticketing().await;
    // Seats sort between the event ("EVENT") and the sections ("SECTION#.."): ranges open at
    // either end must stay inside "SEAT#".
    let all = t
        .seats
        .query(SeatPartition::new("e1"))
        .all()
        .await
        .expect("seats");
    assert_eq!(numbers(&all), ["A-1", "A-2", "A-10", "A-100", "B-1", "B-2"]);
    let q = || t.seats.query(SeatPartition::new("e1"));
    let before = q().sk_lt(SeatSortKey::new("A", 10u32)).all().await;
    assert_eq!(
        numbers(&before.expect("lt")),
        ["A-1", "A-2"],
        "not the event"
    );
    let after = q().sk_gt(SeatSortKey::new("A", 100u32)).all().await;
    assert_eq!(
        numbers(&after.expect("gt")),
        ["B-1", "B-2"],
        "not the sections"
    );
    let from = q().sk_ge(SeatSortKey::new("B", 2u32)).all().await;
    assert_eq!(numbers(&from.expect("ge")), ["B-2"]);
    // The key condition itself stays inside "SEAT#" (the entity filter is not what keeps the
    // event and the sections out): DynamoDB reads only seats.
    for page in [
        q().sk_le(SeatSortKey::new("A", 2u32)).send().await,
        q().sk_ge(SeatSortKey::new("B", 1u32)).send().await,
    ] {
        let page = page.expect("page");
        assert_eq!(page.scanned_count, 2, "{page:?}");
    }
    let up_to = q()
        .sk_le(SeatSortKey::new("A", 1u32))
        .descending()
        .all()
        .await;
    let up_to = up_to.expect("up to A-1");
    assert_eq!(numbers(&up_to), ["A-1"]);

    let event = t
        .events
        .query(EventPartition::new("e1"))
        .all()
        .await
        .expect("the event alone");
    assert_eq!(event.len(), 1);
    let sections = t.sections.scan().all().await.expect("a scan of one type");
    assert_eq!(sections.len(), 2);
    assert_eq!(t.seats.scan().count().await.expect("count"), 7);
    assert_eq!(
        t.seats
            .query(SeatPartition::new("e1"))
            .count()
            .await
            .expect("count"),
        6
    );
}

/// An item an upsert creates has what a put of its key writes (the fields of its key templates
/// and its entity type): typed reads find it and read it back.
#[tokio::test]
async fn an_upserted_item_reads_back() {
    let t = ticketing().await;
    let f = Section::fields();
    t.sections
        .update(SectionKey::new("e2", "C"))
        .add(f.capacity, 40)
        .upsert()
        .send()
        .await
        .expect("created on purpose");
    let sections = t.sections.scan().all().await.expect("a scan of one type");
    let created = sections.iter().find(|s| s.event_id == "e2");
    assert_eq!(created.map(|s| s.capacity), Some(40), "{sections:?}");
    // Upserting it again leaves its type as it was.
    t.sections
        .update(SectionKey::new("e2", "C"))
        .add(f.capacity, 2)
        .upsert()
        .send()
        .await
        .expect("updated");
    let read = t.sections.get(SectionKey::new("e2", "C")).send().await;
    assert_eq!(read.expect("reads").map(|s| s.capacity), Some(42));
}

#[tokio::test]
async fn composite_sort_keys_query_by_prefix_and_range() {
    let t = ticketing().await;
    let q = || t.seats.query(SeatPartition::new("e1"));
    let section_a = q()
        .sk_begins_with(SeatSortKey::section("A"))
        .all()
        .await
        .expect("section A");
    assert_eq!(numbers(&section_a), ["A-1", "A-2", "A-10", "A-100"]);
    let eq_prefix = q()
        .sk_eq(SeatSortKey::section("B"))
        .all()
        .await
        .expect("eq on a prefix is every key with it");
    assert_eq!(numbers(&eq_prefix), ["B-1", "B-2"]);
    let one = q()
        .sk_eq(SeatSortKey::new("A", 10u32))
        .all()
        .await
        .expect("one seat");
    assert_eq!(numbers(&one), ["A-10"]);
    let between = q()
        .sk_between(SeatSortKey::new("A", 2u32), SeatSortKey::new("A", 100u32))
        .all()
        .await
        .expect("between, both included");
    assert_eq!(numbers(&between), ["A-2", "A-10", "A-100"]);

    // Prefixes as range ends: before section B, after section A, up to section A.
    let before_b = q()
        .sk_lt(SeatSortKey::section("B"))
        .all()
        .await
        .expect("lt");
    assert_eq!(numbers(&before_b), ["A-1", "A-2", "A-10", "A-100"]);
    let after_a = q()
        .sk_gt(SeatSortKey::section("A"))
        .all()
        .await
        .expect("gt");
    assert_eq!(numbers(&after_a), ["B-1", "B-2"]);
    let up_to_a = q()
        .sk_le(SeatSortKey::section("A"))
        .count()
        .await
        .expect("le");
    assert_eq!(up_to_a, 4);
    // Counting a range with an excluded end reads the keys to leave it out.
    let strictly = q()
        .sk_gt(SeatSortKey::new("A", 2u32))
        .count()
        .await
        .expect("count");
    assert_eq!(strictly, 4);
}

/// The entity attribute is no key: DynamoDB declares only key attributes, so the exports do not
/// either, and the live table matches the definition with it.
#[cfg(feature = "cloudformation")]
#[test]
fn exports_declare_the_keys_templates_write_and_not_the_entity_attribute() {
    let resource = TICKETING.to_cloudformation();
    let declared: Vec<&str> = resource["Properties"]["AttributeDefinitions"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|a| a["AttributeName"].as_str())
        .collect();
    assert_eq!(declared, ["pk", "sk", "gsi1pk", "gsi1sk"]);
}

#[tokio::test]
async fn reads_check_the_entity_type() {
    let t = ticketing().await;
    t.seats
        .assert_schema()
        .await
        .expect("template keys match the live table");
    let impostors: Table<Impostor> = Table::new(t.events.client()).named(t.events.name());
    let err = impostors
        .get(ImpostorKey::new("e1"))
        .send()
        .await
        .expect_err("the item is an Event");
    let message = err.to_string();
    assert!(
        message.contains("Impostor")
            && message.contains("expected entity type \"Impostor\", found entity type \"Event\"")
            && message.contains("pk = \"EVENT#e1\""),
        "{message}"
    );
}

#[tokio::test]
async fn a_delimiter_inside_a_component_is_refused_before_writing() {
    let t = ticketing().await;
    let err = t
        .seats
        .put(seat("A#1", 5))
        .send()
        .await
        .expect_err("ambiguous key");
    assert_eq!(err.kind(), ErrorKind::Mapping, "{err}");
    assert!(
        err.to_string().contains(
            "expected a key component without the template's delimiter '#', found \"A#1\""
        ),
        "{err}"
    );
    let err = t.seats.put(seat("", 5)).send().await.expect_err("empty");
    assert!(
        err.to_string().contains("a non-empty key component"),
        "{err}"
    );
    let err = t
        .seats
        .put(seat("C", 10_000))
        .send()
        .await
        .expect_err("five digits in a four-digit component");
    assert!(err.to_string().contains("at most 4 digits"), "{err}");
    assert_eq!(
        t.seats
            .query(SeatPartition::new("e1"))
            .count()
            .await
            .expect("count"),
        6,
        "nothing written"
    );
    // The last component may hold the delimiter: nothing follows it.
    let holder = Seat {
        holder: Some("team#7".into()),
        held_at: Some(OffsetDateTime::UNIX_EPOCH),
        ..seat("A", 1)
    };
    t.seats.put(holder).send().await.expect("written");
    let held = t
        .seats
        .query(SeatGsi1Partition::new("team#7"))
        .all()
        .await
        .expect("index");
    assert_eq!(numbers(&held), ["A-1"]);
}

const NUMBERS: TableDef =
    TableDef::new("numbers", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

/// Signed numbers without a width and timestamps, as sort key components.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = NUMBERS, pk = "SERIES#{series}", sk = "{value}#{at}")]
struct Reading {
    series: String,
    value: i64,
    at: OffsetDateTime,
}

#[tokio::test]
async fn numeric_and_timestamp_components_sort_as_their_values() {
    let db = Emulator::start().await.expect("the emulator starts");
    let readings = db.create::<Reading>().await.expect("created");
    let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    // Values that break naive formatting: signs, digit counts, and timestamps a trimmed
    // fraction would misorder (`…:20Z` after `…:20.5Z`).
    let values = [i64::MIN, -1_000, -9, -1, 0, 1, 9, 10, 1_000, i64::MAX];
    let times = [
        t0,
        t0 + Duration::from_millis(250),
        t0 + Duration::from_millis(500),
        t0 + Duration::from_secs(1),
    ];
    for (i, value) in values.iter().enumerate().rev() {
        readings
            .put(Reading {
                series: "s".into(),
                value: *value,
                at: times[i % times.len()],
            })
            .send()
            .await
            .expect("put");
    }
    let read = readings
        .query(ReadingPartition::new("s"))
        .all()
        .await
        .expect("query");
    assert_eq!(read.iter().map(|r| r.value).collect::<Vec<_>>(), values);
    let negative = readings
        .query(ReadingPartition::new("s"))
        .sk_lt(ReadingSortKey::value(0i64))
        .all()
        .await
        .expect("negative values");
    assert_eq!(
        negative.iter().map(|r| r.value).collect::<Vec<_>>(),
        [i64::MIN, -1_000, -9, -1]
    );

    // Timestamps with the same value: ordered by time, fractions included.
    for at in times.iter().rev() {
        readings
            .put(Reading {
                series: "t".into(),
                value: 5,
                at: *at,
            })
            .send()
            .await
            .expect("put");
    }
    let by_time = readings
        .query(ReadingPartition::new("t"))
        .all()
        .await
        .expect("query");
    assert_eq!(by_time.iter().map(|r| r.at).collect::<Vec<_>>(), times);
}

#[tokio::test]
async fn updates_rewrite_index_keys_with_their_fields() {
    let t = ticketing().await;
    let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    let s = Seat::fields();
    for (n, at) in [(1u32, t0 + Duration::from_secs(5)), (2, t0)] {
        t.seats
            .update(SeatKey::new("e1", "A", n))
            .set(s.state, SeatState::Held)
            .set_index_keys(SeatGsi1Keys {
                holder: Some("u1".into()),
                held_at: Some(at),
            })
            .condition(s.state.eq(SeatState::Available))
            .send()
            .await
            .expect("held");
    }
    let held = t
        .seats
        .query(SeatGsi1Partition::new("u1"))
        .all()
        .await
        .expect("index");
    assert_eq!(numbers(&held), ["A-2", "A-1"], "by hold time");
    assert!(held.iter().all(|s| s.holder.as_deref() == Some("u1")));

    // Released in a transaction: fields and index keys go together.
    let mut tx = TransactWrite::new(t.seats.client());
    tx.add(
        t.seats
            .update(SeatKey::new("e1", "A", 1u32))
            .set(s.state, SeatState::Available)
            .set_index_keys(SeatGsi1Keys {
                holder: None,
                held_at: None,
            })
            .condition(Condition::item_exists::<Seat>()),
    );
    tx.send().await.expect("released");
    let held = t
        .seats
        .query(SeatGsi1Partition::new("u1"))
        .all()
        .await
        .expect("index");
    assert_eq!(numbers(&held), ["A-2"]);
    let released = t
        .seats
        .get(SeatKey::new("e1", "A", 1u32))
        .consistent_read()
        .send()
        .await
        .expect("get")
        .expect("exists");
    assert_eq!((released.holder, released.held_at), (None, None));

    // A component that cannot be written fails the update before it is sent.
    let err = t
        .seats
        .update(SeatKey::new("e1", "A", 2u32))
        .set_index_keys(SeatGsi1Keys {
            holder: Some(String::new()),
            held_at: Some(t0),
        })
        .send()
        .await
        .expect_err("empty holder");
    assert_eq!(err.kind(), ErrorKind::Mapping, "{err}");
}
