//! Holding two seats atomically: a transaction across two tables that fails as a whole, with
//! a reason per item, when one seat is taken.
//!
//! `DYNAMODB_ENDPOINT=http://localhost:8000 cargo run -p dynamo-examples --example transactions`

use dynamo_core::{DynamoEntity, Error, KeyDef, Table, TableDef, TransactWrite};

const SEATS: TableDef = TableDef::new("tx-example-seats", KeyDef::string("seat_id"));
const HOLDS: TableDef = TableDef::new("tx-example-holds", KeyDef::string("hold_id"));

#[derive(DynamoEntity, Debug)]
#[dynamo(table = SEATS)]
struct Seat {
    #[pk]
    seat_id: String,
    holder: Option<String>,
}

#[derive(DynamoEntity, Debug)]
#[dynamo(table = HOLDS)]
struct Hold {
    #[pk]
    hold_id: String,
    seat_ids: Vec<String>,
}

/// Holds `wanted` for hold `id`, all or none; `Ok(Err(seats))` names the seats that were taken.
async fn hold(
    client: &dynamo_core::Client,
    seats: &Table<Seat>,
    holds: &Table<Hold>,
    id: &str,
    wanted: &[&str],
) -> Result<Result<(), Vec<String>>, Error> {
    let f = Seat::fields();
    let mut tx = TransactWrite::new(client);
    tx.client_request_token(id);
    // One typed handle per seat: a cancellation is read by handle, never by position.
    let handles: Vec<_> = wanted
        .iter()
        .map(|seat| {
            let write = seats
                .update(SeatKey::new(*seat))
                .set(f.holder, Some(id.to_string()))
                .condition(f.holder.not_exists());
            (*seat, tx.add(write))
        })
        .collect();
    tx.add(
        holds
            .put(Hold {
                hold_id: id.into(),
                seat_ids: wanted.iter().map(|s| s.to_string()).collect(),
            })
            .create_only(),
    );
    match tx.send().await {
        Ok(()) => Ok(Ok(())),
        Err(e) => {
            let Some(canceled) = e.cancellation() else {
                return Err(e);
            };
            for reason in canceled.reasons() {
                let why = reason
                    .explanation
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                println!(
                    "{id} canceled: item #{} ({} on {}) {}{why}",
                    reason.index, reason.action, reason.table, reason.code
                );
            }
            let taken: Vec<String> = handles
                .iter()
                .filter(|(_, handle)| canceled.condition_failed(*handle))
                .map(|(seat, _)| seat.to_string())
                .collect();
            if taken.is_empty() {
                return Err(e);
            }
            Ok(Err(taken))
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = dynamo_core::client_from_env().await?;
    dynamo_core::schema::ensure_table(&client, &SEATS, SEATS.name).await?;
    dynamo_core::schema::ensure_table(&client, &HOLDS, HOLDS.name).await?;
    let seats = Table::<Seat>::new(&client);
    let holds = Table::<Hold>::new(&client);
    let run = fastrand::u32(..);
    let (a1, a2, a3) = (
        format!("A-1-{run}"),
        format!("A-2-{run}"),
        format!("A-3-{run}"),
    );
    // The inventory: three free seats (an update changes an item that exists, never creates one).
    let written = seats
        .batch_write()
        .put_all([&a1, &a2, &a3].map(|seat_id| Seat {
            seat_id: seat_id.clone(),
            holder: None,
        }))
        .send()
        .await?;
    assert!(
        written.is_complete(),
        "unprocessed: {:?}",
        written.unprocessed
    );

    hold(
        &client,
        &seats,
        &holds,
        &format!("hold-1-{run}"),
        &[&a1, &a2],
    )
    .await?
    .map_err(|taken| format!("hold-1 found seats taken: {taken:?}"))?;
    println!("hold-1 holds {a1} and {a2}");

    let taken = hold(
        &client,
        &seats,
        &holds,
        &format!("hold-2-{run}"),
        &[&a2, &a3],
    )
    .await?
    .expect_err("hold-1 has A-2");
    assert_eq!(taken, std::slice::from_ref(&a2), "only A-2 was taken");
    println!("hold-2 failed as a whole: {taken:?} taken");
    let a3_holder = seats
        .get(SeatKey::new(a3.clone()))
        .send()
        .await?
        .and_then(|s| s.holder);
    println!("{a3} is still free: {}", a3_holder.is_none());
    Ok(())
}
