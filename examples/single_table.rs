//! Single-table design: a ticket event, its sections and its seats in one table, with key
//! templates, entity types, typed queries and a collection.
//!
//! `DYNAMODB_ENDPOINT=http://localhost:8000 cargo run -p dynamo-examples --example single-table`
//!
//! | item | `pk` | `sk` | `gsi1pk` / `gsi1sk` |
//! |---|---|---|---|
//! | event | `EVENT#e1` | `EVENT` | |
//! | section | `EVENT#e1` | `SECTION#A` | |
//! | seat | `EVENT#e1` | `SEAT#A#0007` | `HOLDER#u1` / `e1#A#0007`, while held |

use dynamo_core::{DynamoCollection, DynamoEntity, IndexDef, KeyDef, Table, TableDef};
use time::OffsetDateTime;

/// One table for events and everything in them; every item says its type in `entity`.
const TICKET_EVENTS: TableDef = TableDef::new("example-ticket-events", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )])
    .with_entity_attribute("entity");

#[derive(DynamoEntity, Debug)]
#[dynamo(table = TICKET_EVENTS, pk = "EVENT#{event_id}", sk = "EVENT")]
struct Event {
    event_id: String,
    name: String,
    venue: String,
    starts_at: OffsetDateTime,
}

#[derive(DynamoEntity, Debug)]
#[dynamo(table = TICKET_EVENTS, pk = "EVENT#{event_id}", sk = "SECTION#{section}")]
struct Section {
    event_id: String,
    section: String,
    price: u32,
}

/// A seat; while someone holds it, it is in GSI1 under its holder.
#[derive(DynamoEntity, Debug)]
#[dynamo(
    table = TICKET_EVENTS,
    pk = "EVENT#{event_id}",
    sk = "SEAT#{section}#{seat_no:4}",
    gsi(GSI1, pk = "HOLDER#{holder}", sk = "{event_id}#{section}#{seat_no:4}")
)]
struct Seat {
    event_id: String,
    section: String,
    seat_no: u32,
    holder: Option<String>,
}

/// Everything in an event's partition, read by one query.
#[derive(DynamoCollection, Debug)]
enum EventItems {
    Event(Event),
    Section(Section),
    Seat(Seat),
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = dynamo_core::client_from_env().await?;
    dynamo_core::schema::ensure_table(&client, &TICKET_EVENTS, TICKET_EVENTS.name).await?;
    let events = Table::<Event>::new(&client);
    let sections = Table::<Section>::new(&client);
    let seats = Table::<Seat>::new(&client);

    events
        .put(Event {
            event_id: "e1".into(),
            name: "Opening night".into(),
            venue: "Hall A".into(),
            starts_at: OffsetDateTime::now_utc(),
        })
        .send()
        .await?;
    for (section, price) in [("A", 90_000), ("B", 60_000)] {
        sections
            .put(Section {
                event_id: "e1".into(),
                section: section.into(),
                price,
            })
            .send()
            .await?;
    }
    let mut batch = seats.batch_write();
    for section in ["A", "B"] {
        for seat_no in 1..=12 {
            batch = batch.put(Seat {
                event_id: "e1".into(),
                section: section.into(),
                seat_no,
                holder: None,
            });
        }
    }
    let written = batch.send().await?;
    assert!(
        written.is_complete(),
        "unprocessed: {:?}",
        written.unprocessed
    );

    // u1 holds: `holder` alone makes GSI1's keys (with the key's fields), so
    // setting it rewrites them in the same request.
    let f = Seat::fields();
    for seat_no in [7, 8] {
        seats
            .update(SeatKey::new("e1", "A", seat_no))
            .set(f.holder, Some("u1".to_owned()))
            .send()
            .await?;
    }

    // One query for the whole partition, each item as its entity.
    let (mut seats_in_partition, mut held) = (0, 0);
    for item in events
        .query(EventPartition::new("e1"))
        .collection::<EventItems>()
        .all()
        .await?
    {
        match item {
            EventItems::Event(e) => println!("{} at {}", e.name, e.venue),
            EventItems::Section(s) => println!("section {}: {} won", s.section, s.price),
            EventItems::Seat(seat) => {
                seats_in_partition += 1;
                held += usize::from(seat.holder.is_some());
            }
        }
    }
    println!("and {seats_in_partition} seats ({held} held), in the same partition");

    // Typed queries: only seats, never the event or the sections.
    let seat_count = seats.query(SeatPartition::new("e1")).count().await?;
    let section_a = seats
        .query(SeatPartition::new("e1"))
        .sk_begins_with(SeatSortKey::section("A"))
        .all()
        .await?;
    let front_row = seats
        .query(SeatPartition::new("e1"))
        .sk_between(SeatSortKey::new("A", 1u32), SeatSortKey::new("A", 4u32))
        .all()
        .await?;
    println!(
        "{seat_count} seats, {} in section A, front row A-1..A-4: {:?}",
        section_a.len(),
        front_row.iter().map(|s| s.seat_no).collect::<Vec<_>>()
    );

    let held = seats.query(SeatGsi1Partition::new("u1")).all().await?;
    println!(
        "u1 holds: {:?}",
        held.iter()
            .map(|s| format!("{}-{}", s.section, s.seat_no))
            .collect::<Vec<_>>()
    );
    Ok(())
}
