//! Managed timestamps against the emulator: `#[dynamo(created_at)]` set by the write that
//! creates an item and kept by updates, `#[dynamo(updated_at)]` set by every write.

use dynamo_core::testing::Emulator;
use dynamo_core::{AttributeValue, DynamoEntity, Item, KeyDef, TableDef};
use time::OffsetDateTime;

const DOCS: TableDef = TableDef::new("docs", KeyDef::string("pk"));

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = DOCS, pk = "DOC#{id}")]
struct Doc {
    id: String,
    title: String,
    #[dynamo(created_at)]
    created_at: OffsetDateTime,
    #[dynamo(updated_at)]
    updated_at: Option<OffsetDateTime>,
}

#[tokio::test]
async fn writes_set_the_managed_timestamps() {
    let db = Emulator::start().await.expect("the emulator starts");
    let docs = db.create::<Doc>().await.expect("created");
    let before = OffsetDateTime::now_utc();
    docs.put(Doc {
        id: "d1".into(),
        title: "draft".into(),
        created_at: OffsetDateTime::UNIX_EPOCH,
        updated_at: None,
    })
    .send()
    .await
    .expect("put");
    let put = docs
        .get(DocKey::new("d1"))
        .send()
        .await
        .expect("get")
        .expect("exists");
    let after_put = OffsetDateTime::now_utc();
    assert!(
        (before..=after_put).contains(&put.created_at),
        "a put creates: {}",
        put.created_at
    );
    assert_eq!(put.updated_at, Some(put.created_at));

    let f = Doc::fields();
    let updated: Doc = docs
        .update(DocKey::new("d1"))
        .set(f.title, "final")
        .returning_new()
        .send()
        .await
        .expect("update");
    assert_eq!(updated.created_at, put.created_at, "kept by updates");
    let updated_at = updated.updated_at.expect("set");
    assert!(updated_at > put.created_at && updated_at <= OffsetDateTime::now_utc());

    // An upsert that creates the item sets its creation time; the stored form is the
    // fixed-width one, which sorts as time.
    docs.update(DocKey::new("d2"))
        .set(f.title, "new")
        .upsert()
        .send()
        .await
        .expect("upsert");
    let stored = docs
        .get(DocKey::new("d2"))
        .project::<Item>(["created_at", "updated_at"])
        .send()
        .await
        .expect("get")
        .expect("exists");
    for attribute in ["created_at", "updated_at"] {
        assert!(
            matches!(&stored[attribute], AttributeValue::S(s) if s.len() == 30 && s.ends_with('Z')),
            "{attribute}: {:?}",
            stored[attribute]
        );
    }

    // An update that sets the update time itself keeps its value.
    let chosen = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    let kept: Doc = docs
        .update(DocKey::new("d1"))
        .set(f.updated_at, Some(chosen))
        .returning_new()
        .send()
        .await
        .expect("update");
    assert_eq!(kept.updated_at, Some(chosen));
}
