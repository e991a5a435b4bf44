//! Schema assertions against the emulator: one test per kind of mismatch (the incident's
//! scenario is replayed in the workspace's `tests/incident.rs`).

use crate::module_tables::{IDEMPOTENCY, RESERVATIONS};
use dynamo_core::schema::{self, EnsureOutcome, Mismatch, SchemaError, SchemaTarget};
use dynamo_core::testing::Emulator;
use dynamo_core::{
    DynamoEntity, Entity, IndexDef, KeyDef, Table, TableDef,
    def::{Projection, ScalarType},
    mapping::KeyRole,
};

async fn db() -> Emulator {
    Emulator::start().await.expect("the emulator starts")
}

fn mismatch(result: Result<(), SchemaError>) -> dynamo_core::schema::SchemaMismatch {
    match result {
        Err(SchemaError::Mismatch(m)) => m,
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

/// The incident's entity: declared without the table's definition, keys named after fields
/// (the whole scenario is replayed in the workspace's `tests/incident.rs`).
#[derive(DynamoEntity, Debug)]
#[dynamo(table_name = "ticket-reservation-reservations")]
struct Reservation {
    #[pk]
    reservation_id: String,
    #[sk]
    event_id: String,
    user_id: String,
}

/// The fix.
#[derive(DynamoEntity, Debug)]
#[dynamo(table_name = "ticket-reservation-reservations")]
struct FixedReservation {
    #[pk]
    #[dynamo(rename = "pk")]
    reservation_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    event_id: String,
    user_id: String,
}

#[tokio::test]
async fn missing_table_names_where_it_looked() {
    let db = db().await;
    let m = mismatch(db.table::<FixedReservation>().assert_schema().await);
    assert!(
        matches!(m.mismatches[..], [Mismatch::TableMissing { .. }]),
        "{m}"
    );
    assert!(
        m.to_string().contains("endpoint") || m.to_string().contains("region"),
        "{m}"
    );
}

const NUMERIC: TableDef =
    TableDef::new("numeric", KeyDef::number("pk")).with_sort_key(KeyDef::string("sk"));

#[tokio::test]
async fn key_type_and_sort_key_presence() {
    let db = db().await;
    db.create_tables(&[NUMERIC]).await.expect("created");
    let name = format!("{}numeric", db.prefix());

    let check = |def: TableDef| SchemaTarget::def(def, name.clone());
    let m = mismatch(
        check(TableDef::new("numeric", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk")))
            .check(db.client())
            .await,
    );
    assert_eq!(
        m.mismatches,
        [Mismatch::KeyType {
            role: KeyRole::Partition,
            attribute: "pk".into(),
            expected: ScalarType::S,
            found: ScalarType::N
        }]
    );
    let m = mismatch(
        check(TableDef::new("numeric", KeyDef::number("pk")))
            .check(db.client())
            .await,
    );
    assert!(
        matches!(&m.mismatches[..], [Mismatch::SortKeyExtra { found }] if found.name == "sk"),
        "{m}"
    );
    let m = mismatch(
        check(TableDef::new("numeric", KeyDef::number("pk")).with_sort_key(KeyDef::string("seq")))
            .check(db.client())
            .await,
    );
    assert!(
        matches!(
            &m.mismatches[..],
            [Mismatch::KeyName {
                role: KeyRole::Sort,
                ..
            }]
        ),
        "{m}"
    );

    const SINGLE: TableDef = TableDef::new("single", KeyDef::string("pk"));
    db.create_tables(&[SINGLE]).await.expect("created");
    let m = mismatch(
        SchemaTarget::def(
            TableDef::new("single", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk")),
            format!("{}single", db.prefix()),
        )
        .check(db.client())
        .await,
    );
    assert!(
        matches!(&m.mismatches[..], [Mismatch::SortKeyMissing { .. }]),
        "{m}"
    );
}

#[derive(DynamoEntity, Debug)]
#[dynamo(table = INDEXED)]
struct Indexed {
    #[pk]
    pk: String,
    #[gsi(by_owner, pk)]
    owner: Option<String>,
    title: String,
    body: String,
}

const INDEXED: TableDef = TableDef::new("indexed", KeyDef::string("pk"))
    .with_indexes(&[IndexDef::global("by_owner", KeyDef::string("owner"), None)]);

#[tokio::test]
async fn indexes_keys_and_projections() {
    let db = db().await;
    const LIVE: TableDef = TableDef::new("indexed", KeyDef::string("pk")).with_indexes(&[
        IndexDef::global("by_owner", KeyDef::string("owner"), None)
            .with_projection(Projection::Include(&["title"])),
        IndexDef::global("by_title", KeyDef::string("title"), None),
    ]);
    db.create_tables(&[LIVE]).await.expect("created");
    let m = mismatch(db.table::<Indexed>().assert_schema().await);
    assert_eq!(
        m.mismatches,
        [Mismatch::ProjectionLacks {
            index: "by_owner".into(),
            missing: vec!["body".into()]
        }]
    );
    assert!(m.to_string().contains("does not project \"body\""), "{m}");

    let name = format!("{}indexed", db.prefix());
    const OTHER: TableDef = TableDef::new("indexed", KeyDef::string("pk")).with_indexes(&[
        IndexDef::global("by_owner", KeyDef::string("user"), None),
        IndexDef::global("by_date", KeyDef::string("d"), None),
    ]);
    let m = mismatch(SchemaTarget::def(OTHER, name).check(db.client()).await);
    assert!(
        m.mismatches.contains(&Mismatch::IndexMissing {
            index: "by_date".into()
        }),
        "{m}"
    );
    assert!(
        m.mismatches.iter().any(|x| matches!(x, Mismatch::IndexKey { index, role: KeyRole::Partition, .. } if index == "by_owner")),
        "{m}"
    );
}

#[tokio::test]
async fn ttl_disabled_or_on_another_attribute() {
    let db = db().await;
    const NO_TTL: TableDef = TableDef::new("ticket-reservation-idempotency", KeyDef::string("pk"));
    db.create_tables(&[NO_TTL]).await.expect("created");
    let name = format!("{}ticket-reservation-idempotency", db.prefix());
    let m = mismatch(
        SchemaTarget::def(IDEMPOTENCY, name.clone())
            .check(db.client())
            .await,
    );
    assert_eq!(
        m.mismatches,
        [Mismatch::TtlDisabled {
            expected: "ttl".into()
        }]
    );

    let db = self::db().await;
    const OTHER_TTL: TableDef =
        TableDef::new("ticket-reservation-idempotency", KeyDef::string("pk"))
            .with_ttl_attribute("expires_at");
    db.create_tables(&[OTHER_TTL]).await.expect("created");
    let name = format!("{}ticket-reservation-idempotency", db.prefix());
    let m = mismatch(
        SchemaTarget::def(IDEMPOTENCY, name)
            .check(db.client())
            .await,
    );
    assert_eq!(
        m.mismatches,
        [Mismatch::TtlAttribute {
            expected: Some("ttl".into()),
            found: "expires_at".into()
        }]
    );
}

#[tokio::test]
async fn ensure_table_creates_once_and_refuses_another_schema() {
    let db = db().await;
    let name = format!("{}ticket-reservation-reservations", db.prefix());
    assert_eq!(
        schema::ensure_table(db.client(), &RESERVATIONS, &name)
            .await
            .expect("creates"),
        EnsureOutcome::Created
    );
    assert_eq!(
        schema::ensure_table(db.client(), &RESERVATIONS, &name)
            .await
            .expect("exists"),
        EnsureOutcome::Existed
    );
    let other = TableDef::new("ticket-reservation-reservations", KeyDef::string("id"));
    let err = schema::ensure_table(db.client(), &other, &name)
        .await
        .expect_err("another schema");
    assert!(matches!(err, SchemaError::Mismatch(_)), "{err}");
    Table::<FixedReservation>::new(db.client())
        .named(name)
        .assert_schema()
        .await
        .expect("created by ensure_table");
}

#[tokio::test]
async fn assert_schemas_reports_every_failing_table() {
    let db = db().await;
    db.create_tables(&[RESERVATIONS, IDEMPOTENCY])
        .await
        .expect("created");
    let report = schema::assert_schemas(
        db.client(),
        [
            SchemaTarget::of(&db.table::<Reservation>()),
            SchemaTarget::of(&db.table::<FixedReservation>()),
            SchemaTarget::def(
                IDEMPOTENCY,
                format!("{}ticket-reservation-idempotency", db.prefix()),
            ),
            SchemaTarget::def(IDEMPOTENCY, format!("{}missing", db.prefix())),
        ],
    )
    .await
    .expect_err("two fail");
    assert_eq!(report.failures.len(), 2, "{report}");
    let text = report.to_string();
    assert!(
        text.starts_with("2 tables failed the schema check"),
        "{text}"
    );
    assert!(
        text.contains("add #[dynamo(rename = \"pk\")] to field `reservation_id`"),
        "{text}"
    );
    assert!(text.contains("does not exist"), "{text}");
    assert_eq!(FixedReservation::SCHEMA.partition_key.attribute, "pk");
}

const STREAMED: TableDef = TableDef::new("streamed", KeyDef::string("pk"))
    .with_stream(dynamo_core::def::StreamView::NewAndOldImages);

#[tokio::test]
async fn a_declared_stream_is_checked_and_migrated() {
    let db = db().await;
    const PLAIN: TableDef = TableDef::new("streamed", KeyDef::string("pk"));
    db.create_tables(&[PLAIN]).await.expect("created");
    let name = format!("{}streamed", db.prefix());
    let m = mismatch(
        SchemaTarget::def(STREAMED, name.clone())
            .check(db.client())
            .await,
    );
    assert_eq!(
        m.mismatches,
        [Mismatch::Stream {
            expected: dynamo_core::def::StreamView::NewAndOldImages,
            found: None
        }]
    );
    assert!(
        m.to_string()
            .contains("has no stream, the definition declares one of NEW_AND_OLD_IMAGES records"),
        "{m}"
    );

    let plan = schema::plan_migration(db.client(), &STREAMED, &name)
        .await
        .expect("plans");
    assert_eq!(
        plan.steps,
        [schema::MigrationStep::EnableStream(
            dynamo_core::def::StreamView::NewAndOldImages
        )]
    );
    schema::migrate(db.client(), &plan).await.expect("migrates");
    SchemaTarget::def(STREAMED, name.clone())
        .check(db.client())
        .await
        .expect("the stream is on");

    // Another view cannot be switched in place.
    const KEYS: TableDef = TableDef::new("streamed", KeyDef::string("pk"))
        .with_stream(dynamo_core::def::StreamView::KeysOnly);
    let plan = schema::plan_migration(db.client(), &KEYS, &name)
        .await
        .expect("plans");
    assert!(plan.steps.is_empty(), "{plan}");
    assert!(
        plan.to_string()
            .contains("its stream carries NEW_AND_OLD_IMAGES records, the definition's KEYS_ONLY"),
        "{plan}"
    );

    // A table created from a definition with a stream has it at once.
    const CREATED: TableDef = TableDef::new("created-streamed", KeyDef::string("pk"))
        .with_stream(dynamo_core::def::StreamView::NewImage);
    db.create_tables(&[CREATED]).await.expect("created");
    SchemaTarget::def(CREATED, format!("{}created-streamed", db.prefix()))
        .check(db.client())
        .await
        .expect("created with its stream");
}

#[tokio::test]
async fn an_undeclared_index_is_kept_unless_dropping_is_asked_for() {
    let db = db().await;
    const BEFORE: TableDef = TableDef::new("pruned", KeyDef::string("pk")).with_indexes(&[
        IndexDef::global("GSI1", KeyDef::string("gsi1pk"), None),
        IndexDef::global("GSI2", KeyDef::string("gsi2pk"), None),
    ]);
    const AFTER: TableDef = TableDef::new("pruned", KeyDef::string("pk"))
        .with_indexes(&[IndexDef::global("GSI2", KeyDef::string("gsi2pk"), None)]);
    db.create_tables(&[BEFORE]).await.expect("created");
    let name = format!("{}pruned", db.prefix());

    let plan = schema::plan_migration(db.client(), &AFTER, &name)
        .await
        .expect("plans");
    assert!(plan.is_up_to_date(), "nothing to do unless asked: {plan}");
    assert_eq!(plan.undeclared_indexes, ["GSI1"]);
    assert!(
        plan.to_string().contains("kept: index GSI1"),
        "the plan says it keeps it: {plan}"
    );
    schema::migrate(db.client(), &plan).await.expect("migrates");
    let live = schema::describe(db.client(), &name)
        .await
        .expect("describes");
    assert_eq!(live.indexes.len(), 2, "kept");

    let plan = plan.dropping_undeclared_indexes();
    assert_eq!(
        plan.steps,
        [schema::MigrationStep::DropIndex("GSI1".into())]
    );
    schema::migrate(db.client(), &plan).await.expect("migrates");
    let live = schema::describe(db.client(), &name)
        .await
        .expect("describes");
    let names: Vec<&str> = live.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["GSI2"]);
    assert!(
        schema::plan_migration(db.client(), &AFTER, &name)
            .await
            .expect("plans")
            .is_up_to_date()
    );
}
