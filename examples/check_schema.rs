//! The incident this crate exists for, replayed: the table has keys `pk`/`sk`, the entity maps
//! its keys to attributes named after its fields. `assert_schema` says what is wrong and how to
//! fix it.
//!
//! `DYNAMODB_ENDPOINT=http://localhost:8000 cargo run -p dynamo-examples --example check-schema`

use dynamo_core::{DynamoEntity, KeyDef, Table, TableDef};

/// The table as the infrastructure created it.
const RESERVATIONS: TableDef = TableDef::new("check-schema-reservations", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"));

/// The entity as it was written in the incident: no declared table to check against.
#[derive(DynamoEntity, Debug)]
#[dynamo(table_name = "check-schema-reservations")]
struct Reservation {
    #[pk]
    reservation_id: String,
    #[sk]
    event_id: String,
    user_id: String,
}

/// The fix the check asks for.
#[derive(DynamoEntity, Debug)]
#[dynamo(table_name = "check-schema-reservations")]
struct FixedReservation {
    #[pk]
    #[dynamo(rename = "pk")]
    reservation_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    event_id: String,
    user_id: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = dynamo_core::client_from_env().await?;
    dynamo_core::schema::ensure_table(&client, &RESERVATIONS, RESERVATIONS.name).await?;

    match Table::<Reservation>::new(&client).assert_schema().await {
        Ok(()) => println!("unexpected: the incident's entity matches"),
        Err(e) => println!("the incident's entity:\n{e}\n"),
    }
    Table::<FixedReservation>::new(&client)
        .assert_schema()
        .await?;
    println!("the fixed entity matches table {}", RESERVATIONS.name);
    Ok(())
}
