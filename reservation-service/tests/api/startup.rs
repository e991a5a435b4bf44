//! Starting the binary: production by default and refusing to run half-configured; tables as
//! the infrastructure module creates them, migrated, then served.

use crate::helpers::*;
use dynamo_core::testing::Emulator;
use dynamo_core::{IndexDef, KeyDef, TableDef};
use reqwest::StatusCode;
use std::process::{Command, Output};

/// The binary with only `vars` (and `PATH`) in its environment.
fn run(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reservation-service"));
    command.args(args).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command
        .envs(vars.iter().copied())
        .output()
        .expect("the binary runs")
}

#[test]
fn serve_with_a_bare_environment_refuses_to_start_and_names_the_settings() {
    let output = run(&["serve"], &[("PORT", "0")]);
    assert_eq!(output.status.code(), Some(2), "exits before serving");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in [
        "JWT_ISSUER_URI",
        "JWT_HS256_SECRET",
        "ADMISSION_VERIFY_URL",
        "ADMISSION_HS256_SECRET",
        "PAYMENT_API_URL",
        "APP_ENV=local",
    ] {
        assert!(stderr.contains(name), "{name} missing from:\n{stderr}");
    }
    // Hand-signed tokens are for development: outside it, nothing is printed, even with the
    // secrets configured.
    let secrets = [
        ("JWT_HS256_SECRET", "a-production-secret-of-32-characters!"),
        (
            "ADMISSION_HS256_SECRET",
            "another-production-secret-of-32-chars",
        ),
    ];
    for args in [
        &["dev-token", "--sub", "u1"][..],
        &["admission-token", "--sub", "u1", "--event-id", "evt_1"][..],
    ] {
        let output = run(args, &secrets);
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("only with APP_ENV=local"));
        let local = run(args, &[&[("APP_ENV", "local")], &secrets[..]].concat());
        assert!(local.status.success(), "{args:?}: {local:?}");
        assert!(!local.stdout.is_empty());
    }
    // Chores that do not serve need no serving settings.
    let output = run(&["export-iam-policy"], &[]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("event-bus/reservation-events"));
}

/// The reservation tables exactly as the infrastructure module (seed 001) declares them: no
/// sweeper index on reservations, no relay index on the outbox, no seats table.
const MODULE_TABLES: [TableDef; 4] = [
    TableDef::new("reservation-reservations", KeyDef::string("pk"))
        .with_sort_key(KeyDef::string("sk"))
        .with_indexes(&[IndexDef::global(
            "GSI1",
            KeyDef::string("gsi1pk"),
            Some(KeyDef::string("gsi1sk")),
        )]),
    TableDef::new("reservation-orders", KeyDef::string("pk"))
        .with_sort_key(KeyDef::string("sk"))
        .with_indexes(&[IndexDef::global(
            "GSI1",
            KeyDef::string("gsi1pk"),
            Some(KeyDef::string("gsi1sk")),
        )]),
    TableDef::new("reservation-idempotency", KeyDef::string("pk")).with_ttl_attribute("ttl"),
    TableDef::new("reservation-outbox", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk")),
];

#[tokio::test]
async fn the_modules_tables_are_migrated_then_served() {
    let db = Emulator::start().await.expect("the emulator starts");
    // The module's `name` variable set to `traffic`: tables `traffic-reservation-*`.
    for def in &MODULE_TABLES {
        let name = format!("{}traffic-{}", db.prefix(), def.name);
        dynamo_core::schema::create_table(db.client(), def, &name)
            .await
            .expect("created");
    }
    let vars = [
        ("APP_ENV", "local"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("DYNAMODB_ENDPOINT", db.endpoint()),
        ("TABLE_PREFIX", db.prefix()),
        ("RESOURCE_NAME", "traffic"),
    ];
    let text = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    let check = run(&["check-schema"], &vars);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    assert!(
        text(&check).contains("reservation-service migrate"),
        "{}",
        text(&check)
    );

    let plan = run(&["migrate", "--dry-run"], &vars);
    assert!(plan.status.success(), "{}", text(&plan));
    let plan = text(&plan);
    for expected in [
        "traffic-reservation-reservations:\n  - add global index GSI2",
        "traffic-reservation-orders: up to date",
        "traffic-reservation-idempotency: up to date",
        "traffic-reservation-outbox:\n  - add global index GSI1",
        "traffic-reservation-seats:\n  - create the table as declared",
        "dry run: nothing was changed",
    ] {
        assert!(plan.contains(expected), "{expected} missing from:\n{plan}");
    }
    assert_eq!(
        run(&["check-schema"], &vars).status.code(),
        Some(1),
        "dry run"
    );

    let migrated = run(&["migrate"], &vars);
    assert!(migrated.status.success(), "{}", text(&migrated));
    let check = run(&["check-schema"], &vars);
    assert!(check.status.success(), "{}", text(&check));
    let again = run(&["migrate"], &vars);
    assert!(text(&again).contains("nothing to do"), "{}", text(&again));

    let seed = run(
        &[
            "seed-event",
            "--event-id",
            "evt_1",
            "--seats",
            "M-1..M-2",
            "--price",
            "30000",
        ],
        &vars,
    );
    assert!(seed.status.success(), "{}", text(&seed));

    let app = TestApp::builder()
        .settings(|s| s.store.resource_name = "traffic".into())
        .database(db)
        .without_tables()
        .spawn()
        .await;
    let (status, body, _) = app.get("/ready", "u1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = app.reservation_id("u1", "k1", &["M-1", "M-2"]).await;
    let (status, body, _) = app.confirm("u1", &id, "k2", "pay_1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, view, _) = app.get(&format!("/v1/reservations/{id}"), "u1").await;
    assert_eq!(view["total_price"], 60_000);
    assert_eq!(view["currency"], "KRW");
}

/// Seats written before they were sharded (`pk` the event id): the service serves them, moving
/// each seat it touches (a hold's, a confirmation's made by the earlier version), and `migrate`
/// moves the rest, resumably.
#[tokio::test]
async fn seats_stored_before_sharding_are_served_and_moved() {
    use dynamo_core::Entity;
    use reservation_service::store::{Seat, SeatPartition, SeatState};
    let app = TestApp::spawn().await;
    let seats = app.table::<Seat>();
    for n in 1..=10 {
        app.put_seat_as_before_sharding(Seat {
            event_id: "evt_old".into(),
            seat_id: format!("O-{n}"),
            state: SeatState::Available,
            holder: None,
            hold_expires_at: None,
            updated_at: time::OffsetDateTime::now_utc(),
            price: Some(1_000),
            currency: Some("KRW".into()),
        })
        .await;
    }

    // A hold moves the seats it takes.
    let (status, body, _) = app.hold("u1", "k1", "evt_old", &["O-1", "O-2"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let o1 = app.seat("evt_old", "O-1").await;
    assert_eq!(o1.state, SeatState::Held);

    // A hold the earlier version made: its seat still under the old key.
    let (status, body, _) = app.hold("u3", "k1", "evt_old", &["O-4"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reservation = body["reservation_id"].as_str().expect("id").to_owned();
    let held = app.seat("evt_old", "O-4").await;
    seats.delete(held.key()).send().await.expect("moved back");
    app.put_seat_as_before_sharding(held).await;
    let (status, body, _) = app.confirm("u3", &reservation, "k2", "pay_1").await;
    assert_eq!(status, StatusCode::OK, "the sale finds its seat: {body}");
    assert_eq!(app.seat("evt_old", "O-4").await.state, SeatState::Sold);

    // `migrate` moves the rest.
    let vars = [
        ("APP_ENV", "local"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("DYNAMODB_ENDPOINT", app.db.endpoint()),
        ("TABLE_PREFIX", app.db.prefix()),
    ];
    let output = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let dry = run(&["migrate", "--dry-run"], &vars);
    assert!(
        output(&dry).contains("seats: would move 7"),
        "{}",
        output(&dry)
    );
    let moved = run(&["migrate"], &vars);
    assert!(moved.status.success(), "{}", output(&moved));
    assert!(
        output(&moved).contains("seats: moved 7"),
        "{}",
        output(&moved)
    );
    let all = seats
        .query(SeatPartition::all("evt_old"))
        .all()
        .await
        .expect("every shard");
    assert_eq!(all.len(), 10);
    let raw = app
        .db
        .client()
        .scan()
        .table_name(seats.name())
        .send()
        .await
        .expect("scan");
    assert!(
        // A seat under its old key stored its event only as `pk`.
        !raw.items()
            .iter()
            .any(|item| !item.contains_key("event_id")),
        "no seat is left under its old key"
    );
}
