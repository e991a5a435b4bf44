//! Creates a table, writes, reads, updates and queries, against the emulator by default.
//!
//! By hand, with the emulator running (`scripts/emulator.sh start 8000`):
//! `DYNAMODB_ENDPOINT=http://localhost:8000 cargo run -p dynamo-examples --example quickstart`

use dynamo_core::{DynamoEntity, DynamoValue, KeyDef, Table, TableDef};
use time::OffsetDateTime;

/// The table, declared once: entities are checked against it at compile time.
const RESERVATIONS: TableDef = TableDef::new("quickstart-reservations", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"));

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
enum Status {
    Hold,
    Confirmed,
}

#[derive(DynamoEntity, Debug, Clone)]
#[dynamo(table = RESERVATIONS)]
struct Reservation {
    #[pk]
    #[dynamo(rename = "pk")]
    event_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    reservation_id: String,
    user_id: String,
    status: Status,
    seat_ids: Vec<String>,
    created_at: OffsetDateTime,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = dynamo_core::client_from_env().await?;
    dynamo_core::client::check_connection(&client).await?;
    dynamo_core::schema::ensure_table(&client, &RESERVATIONS, RESERVATIONS.name).await?;
    let reservations = Table::<Reservation>::new(&client);

    for (i, seats) in [["A-1", "A-2"], ["B-7", "B-8"], ["C-3", "C-4"]]
        .iter()
        .enumerate()
    {
        let reservation = Reservation {
            event_id: "evt_2025_1001".into(),
            reservation_id: format!("rsv_{i}"),
            user_id: format!("user_{i}"),
            status: Status::Hold,
            seat_ids: seats.iter().map(|s| s.to_string()).collect(),
            created_at: OffsetDateTime::now_utc(),
        };
        reservations.put(reservation).send().await?;
    }

    let f = Reservation::fields();
    let confirmed = reservations
        .update(ReservationKey::new("evt_2025_1001", "rsv_1"))
        .set(f.status, Status::Confirmed)
        .condition(f.status.eq(Status::Hold))
        .returning_new()
        .send()
        .await?;
    println!(
        "confirmed {} for {}: {:?}",
        confirmed.reservation_id, confirmed.user_id, confirmed.seat_ids
    );

    let held = reservations
        .query(ReservationPartition::new("evt_2025_1001"))
        .filter(f.status.eq(Status::Hold))
        .all()
        .await?;
    println!(
        "{} reservations still on hold for evt_2025_1001:",
        held.len()
    );
    for r in held {
        println!("  {} {} {:?}", r.reservation_id, r.user_id, r.seat_ids);
    }
    Ok(())
}
