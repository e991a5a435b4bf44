//! The incident this project exists for, replayed end to end against the emulator.
//!
//! A reservation API went down in production with `Missing the key pk in the item`: its
//! entities mapped `reservation_id` and `event_id` to attributes named after the fields, while
//! the table's keys were `pk` and `sk`. Nothing caught it before a real request hit the real
//! table. Here:
//!
//! 1. declared against the table's `TableDef`, that entity does not compile
//!    (`ui/table_pk_attribute_differs/reservation.rs`);
//! 2. declared without one, it compiles, but the start-up check refuses the table with the same
//!    fix the compiler gives;
//! 3. had it run anyway, the first write fails exactly as the incident did;
//! 4. fixed as both messages say, it passes the check and reads back what it wrote.

use dynamo_core::schema::{Mismatch, SchemaError};
use dynamo_core::testing::Emulator;
use dynamo_core::{DynamoEntity, ErrorKind, KeyDef, TableDef};

/// The reservations table as the infrastructure module creates it.
const RESERVATIONS: TableDef =
    TableDef::new("ticket-reservation-reservations", KeyDef::string("pk"))
        .with_sort_key(KeyDef::string("sk"));

/// The entity as it was written: no declared definition, keys named after the fields.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table_name = "ticket-reservation-reservations")]
struct Reservation {
    #[pk]
    reservation_id: String,
    #[sk]
    event_id: String,
    user_id: String,
}

/// The fix both messages ask for, declared against the table's definition.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = RESERVATIONS)]
struct FixedReservation {
    #[pk]
    #[dynamo(rename = "pk")]
    reservation_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    event_id: String,
    user_id: String,
}

/// The compiler's message for the same mistake, as the compile-fail case records it.
fn compile_time_message() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ui/table_pk_attribute_differs/reservation.stderr"
    );
    let stderr = std::fs::read_to_string(path).expect("the compile-fail case is recorded");
    let first = stderr.lines().next().unwrap_or_default();
    first
        .split_once("evaluation panicked: ")
        .map(|(_, message)| message.to_owned())
        .unwrap_or_else(|| panic!("unexpected first line in {path}: {first}"))
}

/// `(what is wrong, how to fix it)`: the parts of a rule's message before the table is named
/// and after the last `; `.
fn subject_and_fix(message: &str) -> (&str, &str) {
    let subject = message.split(", but ").next().unwrap_or_default();
    let fix = message.rsplit("; ").next().unwrap_or_default();
    (subject, fix)
}

#[tokio::test]
async fn the_incident_is_caught_at_start_up_with_the_compilers_fix_and_the_fix_works() {
    let db = Emulator::start().await.expect("the emulator starts");
    db.create_tables(&[RESERVATIONS])
        .await
        .expect("the table as deployed");

    // 2. The start-up check refuses the table, for both keys.
    let wrong = db.table::<Reservation>();
    let mismatch = match wrong.assert_schema().await {
        Err(SchemaError::Mismatch(m)) => m,
        other => panic!("the check must refuse the table, got {other:?}"),
    };
    assert!(
        matches!(
            mismatch.mismatches.as_slice(),
            [Mismatch::KeyName { .. }, Mismatch::KeyName { .. }]
        ),
        "{mismatch}"
    );
    assert!(
        mismatch.to_string().starts_with(&format!(
            "table \"{}\" does not match entity Reservation (2 differences):",
            wrong.name()
        )),
        "{mismatch}"
    );
    let lines = mismatch.lines();
    let compiled = compile_time_message();
    assert_eq!(
        subject_and_fix(&lines[0]),
        subject_and_fix(&compiled),
        "the start-up check and the compiler word the same mistake the same way"
    );
    assert_eq!(
        subject_and_fix(&lines[0]).1,
        "add #[dynamo(rename = \"pk\")] to field `reservation_id`"
    );
    assert!(
        lines[1].ends_with("add #[dynamo(rename = \"sk\")] to field `event_id`"),
        "{}",
        lines[1]
    );

    // 3. Without the check, the first write fails as it did in production. DynamoDB answers
    //    `Missing the key pk in the item`; DynamoDB Local words the same refusal
    //    `One of the required keys was not given a value`.
    let written = wrong
        .put(Reservation {
            reservation_id: "rsv_abc123".into(),
            event_id: "evt_2025_1001".into(),
            user_id: "u123".into(),
        })
        .send()
        .await;
    match written {
        Err(e) if e.kind() == ErrorKind::Validation => {
            let message = e.message().unwrap_or_default();
            assert!(
                message.contains("Missing the key pk in the item")
                    || message.contains("One of the required keys was not given a value"),
                "{message}"
            );
        }
        other => panic!("DynamoDB must refuse the item, got {other:?}"),
    }

    // 4. Fixed as the messages say: the check passes and the item reads back.
    let fixed = db.table::<FixedReservation>();
    fixed
        .assert_schema()
        .await
        .expect("the fixed entity matches");
    let reservation = FixedReservation {
        reservation_id: "rsv_abc123".into(),
        event_id: "evt_2025_1001".into(),
        user_id: "u123".into(),
    };
    fixed
        .put(reservation.clone())
        .create_only()
        .send()
        .await
        .expect("written");
    let read = fixed
        .get(FixedReservationKey::new("rsv_abc123", "evt_2025_1001"))
        .consistent_read()
        .send()
        .await
        .expect("read");
    assert_eq!(read, Some(reservation));
}
