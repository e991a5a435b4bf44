//! Several entity types in one table (single-table design), and a query on a GSI.
//!
//! `DYNAMODB_ENDPOINT=http://localhost:8000 cargo run -p dynamo-examples --example single-table`

use dynamo_core::{DynamoEntity, IndexDef, Item, KeyDef, Table, TableDef};

/// One table for events and their seats: `pk` = `EVENT#id`, `sk` = `META` or `SEAT#id`;
/// GSI1 finds seats by holder.
const TICKETING: TableDef = TableDef::new("single-table-ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )]);

#[derive(DynamoEntity, Debug)]
#[dynamo(table = TICKETING)]
struct Event {
    #[pk]
    pk: String,
    #[sk]
    sk: String,
    name: String,
    venue: String,
}

#[derive(DynamoEntity, Debug)]
#[dynamo(table = TICKETING)]
struct Seat {
    #[pk]
    pk: String,
    #[sk]
    sk: String,
    price: u32,
    #[gsi(GSI1, pk)]
    gsi1pk: Option<String>,
    #[gsi(GSI1, sk)]
    gsi1sk: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = dynamo_core::client_from_env().await?;
    dynamo_core::schema::ensure_table(&client, &TICKETING, TICKETING.name).await?;
    let events = Table::<Event>::new(&client);
    let seats = Table::<Seat>::new(&client);

    events
        .put(Event {
            pk: "EVENT#e1".into(),
            sk: "META".into(),
            name: "Opening night".into(),
            venue: "Hall A".into(),
        })
        .send()
        .await?;
    let mut batch = seats.batch_write();
    for n in 1..=5 {
        let holder = (n % 2 == 1).then(|| "USER#u1".to_string());
        batch = batch.put(Seat {
            pk: "EVENT#e1".into(),
            sk: format!("SEAT#A-{n}"),
            price: 50_000,
            gsi1sk: holder.as_ref().map(|_| format!("EVENT#e1#SEAT#A-{n}")),
            gsi1pk: holder,
        });
    }
    let written = batch.send().await?;
    assert!(
        written.is_complete(),
        "unprocessed: {:?}",
        written.unprocessed
    );

    // Both kinds in one query, as raw items, then each kind by its sort key prefix.
    let everything = events
        .query("EVENT#e1")
        .project::<Item>(["sk"])
        .all()
        .await?;
    println!("partition EVENT#e1 holds {} items", everything.len());
    let meta = events.query("EVENT#e1").sk_eq("META").all().await?;
    println!("event: {:?}", meta.first().map(|e| (&e.name, &e.venue)));
    let all_seats = seats
        .query("EVENT#e1")
        .sk_begins_with("SEAT#")
        .all()
        .await?;
    println!("{} seats", all_seats.len());

    let held = seats.query("USER#u1").index("GSI1").all().await?;
    println!(
        "user u1 holds: {:?}",
        held.iter().map(|s| &s.sk).collect::<Vec<_>>()
    );
    Ok(())
}
