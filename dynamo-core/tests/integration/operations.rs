//! Every table operation against the emulator.

use dynamo_core::testing::Emulator;
use dynamo_core::{
    DynamoEntity, DynamoValue, Entity, ErrorKind, IndexDef, Item, KeyDef, TableDef, TransactGet,
    TransactWrite,
    expr::Path,
    table::{Action, CancellationCode},
};
use futures_util::TryStreamExt;
use std::collections::HashSet;

const EVENTS: TableDef = TableDef::new("events", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "by_status",
        KeyDef::string("status"),
        Some(KeyDef::number("seq")),
    )])
    .with_ttl_attribute("ttl");

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
#[dynamo(rename_all = "UPPERCASE")]
enum Status {
    Open,
    Closed,
}

/// Attributes named after reserved words: `status`, `name`, `type`, `count`, `data`, `ttl`.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = EVENTS)]
struct Event {
    #[pk]
    #[dynamo(rename = "pk")]
    stream: String,
    #[sk]
    #[dynamo(rename = "sk")]
    id: String,
    #[gsi(by_status, pk)]
    status: Status,
    #[gsi(by_status, sk)]
    seq: u64,
    name: String,
    r#type: String,
    count: u32,
    data: Option<String>,
    tags: HashSet<String>,
    log: Vec<String>,
    #[ttl]
    ttl: Option<i64>,
}

fn event(stream: &str, n: u64) -> Event {
    Event {
        stream: stream.into(),
        id: format!("e{n:04}"),
        status: if n.is_multiple_of(2) {
            Status::Open
        } else {
            Status::Closed
        },
        seq: n,
        name: format!("event {n}"),
        r#type: "test".into(),
        count: 0,
        data: None,
        tags: HashSet::new(),
        log: Vec::new(),
        ttl: None,
    }
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table_name = "accounts")]
struct Account {
    #[pk]
    id: String,
    balance: i64,
    #[version]
    version: u64,
}

async fn db() -> Emulator {
    Emulator::start().await.expect("the emulator starts")
}

#[tokio::test]
async fn put_get_delete() {
    let db = db().await;
    let events = db.create::<Event>().await.expect("created");
    let e = event("s1", 1);
    assert_eq!(
        events
            .put(e.clone())
            .returning_old()
            .send()
            .await
            .expect("put"),
        None
    );
    let got = events
        .get(EventKey::new("s1", "e0001"))
        .consistent_read()
        .send()
        .await
        .expect("get");
    assert_eq!(got, Some(e.clone()));
    assert_eq!(
        events
            .get(EventKey::new("s1", "nope"))
            .send()
            .await
            .expect("get"),
        None
    );

    let mut changed = e.clone();
    changed.name = "renamed".into();
    let old = events
        .put(changed.clone())
        .returning_old()
        .send()
        .await
        .expect("put");
    assert_eq!(old, Some(e.clone()));

    let deleted = events
        .delete(EventKey::new("s1", "e0001"))
        .returning_old()
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted, Some(changed));
    let err = events
        .delete(EventKey::new("s1", "e0001"))
        .must_exist()
        .send()
        .await
        .expect_err("gone");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn conditional_put_returns_the_existing_item() {
    let db = db().await;
    let events = db.create::<Event>().await.expect("created");
    events
        .put(event("s1", 1))
        .create_only()
        .send()
        .await
        .expect("first put");
    let err = events
        .put(event("s1", 1))
        .create_only()
        .send()
        .await
        .expect_err("exists");
    assert_eq!(err.kind(), ErrorKind::ConditionFailed, "{err}");
    assert!(
        err.to_string()
            .ends_with("the condition failed: the item already exists"),
        "{err}"
    );
    assert_eq!(err.table(), Some(events.name()));
    assert_eq!(
        err.key()
            .and_then(|k| k["sk"].as_s().ok())
            .map(String::as_str),
        Some("e0001"),
        "the error names the item's key"
    );
    let old: Event = err.old_item().expect("item returned").expect("maps");
    assert_eq!(old, event("s1", 1));

    let f = Event::fields();
    // Event 1 is CLOSED.
    let err = events
        .put(event("s1", 1))
        .condition(f.status.eq(Status::Open))
        .send()
        .await
        .expect_err("status is CLOSED");
    assert!(err.is_condition_failed());
    events
        .put(event("s1", 1))
        .condition(f.status.eq(Status::Open).or(f.count.lt(1u32)))
        .send()
        .await
        .expect("count is 0");
}

#[tokio::test]
async fn typed_updates_on_reserved_words() {
    let db = db().await;
    let events = db.create::<Event>().await.expect("created");
    events.put(event("s1", 2)).send().await.expect("put");
    let f = Event::fields();
    let updated = events
        .update(EventKey::new("s1", "e0002"))
        .set(f.status, Status::Closed)
        .set(f.name, "closed")
        .set(f.data, Some("payload".to_string()))
        .set(f.ttl, Some(1_900_000_000))
        .add(f.count, 3u32)
        .add(f.tags, HashSet::from(["vip".to_string()]))
        .append(f.log, vec!["opened".to_string(), "closed".to_string()])
        .set_if_not_exists(f.r#type, "ignored")
        .condition(f.status.eq(Status::Open).and(f.r#type.exists()))
        .returning_new()
        .send()
        .await
        .expect("update");
    assert_eq!(updated.status, Status::Closed);
    assert_eq!(updated.name, "closed");
    assert_eq!(updated.data.as_deref(), Some("payload"));
    assert_eq!(updated.ttl, Some(1_900_000_000));
    assert_eq!(updated.count, 3);
    assert!(updated.tags.contains("vip"));
    assert_eq!(updated.log, ["opened", "closed"]);
    assert_eq!(
        updated.r#type, "test",
        "if_not_exists keeps the stored value"
    );

    let again = events
        .update(EventKey::new("s1", "e0002"))
        .remove(f.data)
        .delete(f.tags, HashSet::from(["vip".to_string()]))
        .set_path(f.log.index(0), "first")
        .returning_new()
        .send()
        .await
        .expect("update");
    assert_eq!(again.data, None);
    assert!(again.tags.is_empty());
    assert_eq!(again.log, ["first", "closed"]);

    // An update never creates a half-written item by default.
    let err = events
        .update(EventKey::new("s1", "missing"))
        .add(f.count, 1)
        .send()
        .await
        .expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(
        err.to_string(),
        format!("UpdateItem on table {}: no such item", events.name())
    );
}

#[tokio::test]
async fn versions_make_concurrent_updates_exclusive() {
    let db = db().await;
    let accounts = db.create::<Account>().await.expect("created");
    accounts
        .put(Account {
            id: "a".into(),
            balance: 0,
            version: 0,
        })
        .send()
        .await
        .expect("new item");
    let err = accounts
        .put(Account {
            id: "a".into(),
            balance: 5,
            version: 0,
        })
        .send()
        .await
        .expect_err("already exists");
    assert!(err.is_condition_failed());
    let stored = accounts
        .get(AccountKey::new("a"))
        .consistent_read()
        .send()
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.version, 1);

    // Ten writers read version 1 and race: exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let accounts = accounts.clone();
        tasks.push(tokio::spawn(async move {
            accounts
                .update(AccountKey::new("a"))
                .add(Account::fields().balance, i)
                .expect_version(1)
                .send()
                .await
        }));
    }
    let mut wins = 0;
    for task in tasks {
        match task.await.expect("joins") {
            Ok(()) => wins += 1,
            Err(e) => assert!(e.is_condition_failed(), "{e}"),
        }
    }
    assert_eq!(wins, 1);
    let stored = accounts
        .get(AccountKey::new("a"))
        .consistent_read()
        .send()
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.version, 2);

    // A put with a stale version fails; with the current one it bumps the version.
    let err = accounts
        .put(Account {
            id: "a".into(),
            balance: 1,
            version: 1,
        })
        .send()
        .await
        .expect_err("stale");
    assert!(err.is_condition_failed());
    accounts
        .put(Account {
            id: "a".into(),
            balance: 1,
            version: 2,
        })
        .send()
        .await
        .expect("current");
    let stored = accounts
        .get(AccountKey::new("a"))
        .consistent_read()
        .send()
        .await
        .expect("get")
        .expect("exists");
    assert_eq!((stored.balance, stored.version), (1, 3));
}

#[tokio::test]
async fn query_sort_key_conditions_index_and_pages() {
    let db = db().await;
    let events = db.create::<Event>().await.expect("created");
    let out = events
        .batch_write()
        .put_all((0..20).map(|n| event("s1", n)))
        .send()
        .await
        .expect("writes");
    assert!(out.is_complete());
    events
        .put(event("s2", 99))
        .send()
        .await
        .expect("other partition");

    let ids = |items: Vec<Event>| items.into_iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(
        ids(events
            .query(EventPartition::new("s1"))
            .all()
            .await
            .expect("all")),
        (0..20).collect::<Vec<_>>()
    );
    assert_eq!(
        ids(events
            .query(EventPartition::new("s1"))
            .sk_eq("e0003")
            .all()
            .await
            .expect("eq")),
        [3]
    );
    assert_eq!(
        ids(events
            .query(EventPartition::new("s1"))
            .sk_lt("e0002")
            .all()
            .await
            .expect("lt")),
        [0, 1]
    );
    assert_eq!(
        ids(events
            .query(EventPartition::new("s1"))
            .sk_le("e0002")
            .all()
            .await
            .expect("le")),
        [0, 1, 2]
    );
    assert_eq!(
        ids(events
            .query(EventPartition::new("s1"))
            .sk_gt("e0017")
            .all()
            .await
            .expect("gt")),
        [18, 19]
    );
    assert_eq!(
        ids(events
            .query(EventPartition::new("s1"))
            .sk_ge("e0018")
            .all()
            .await
            .expect("ge")),
        [18, 19]
    );
    assert_eq!(
        ids(events
            .query(EventPartition::new("s1"))
            .sk_between("e0005", "e0007")
            .all()
            .await
            .expect("between")),
        [5, 6, 7]
    );
    assert_eq!(
        ids(events
            .query(EventPartition::new("s1"))
            .sk_begins_with("e001")
            .all()
            .await
            .expect("prefix"))
        .len(),
        10
    );
    assert_eq!(
        ids(events
            .query(EventPartition::new("s1"))
            .descending()
            .limit(3)
            .send()
            .await
            .expect("page")
            .items),
        [19, 18, 17]
    );

    let f = Event::fields();
    let filtered = events
        .query(EventPartition::new("s1"))
        .filter(f.seq.ge(15u64))
        .send()
        .await
        .expect("filter");
    assert_eq!(ids(filtered.items), [15, 16, 17, 18, 19]);
    assert_eq!(filtered.scanned_count, 20);

    // Pages with a cursor.
    let first = events
        .query(EventPartition::new("s1"))
        .limit(8)
        .send()
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 8);
    let second = events
        .query(EventPartition::new("s1"))
        .limit(8)
        .cursor(first.cursor.clone())
        .send()
        .await
        .expect("page 2");
    assert_eq!(second.items.first().map(|e| e.seq), Some(8));
    let pages: Vec<_> = events
        .query(EventPartition::new("s1"))
        .limit(8)
        .pages()
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(
        pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(),
        [8, 8, 4]
    );

    // Projection into raw items.
    let projected = events
        .query(EventPartition::new("s1"))
        .sk_eq("e0001")
        .project::<Item>([f.name])
        .send()
        .await
        .expect("projection");
    assert_eq!(projected.items[0].len(), 1);
    assert!(projected.items[0].contains_key("name"));

    // Secondary index: OPEN events in seq order.
    let open = events
        .query(EventByStatusPartition::new(Status::Open))
        .sk_ge(10u64)
        .all()
        .await
        .expect("index");
    assert_eq!(ids(open), [10, 12, 14, 16, 18]);
    // A misspelled index is a type that does not exist: ui/query_misspelled_index.
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table_name = "blobs")]
struct Blob {
    #[pk]
    part: String,
    #[sk]
    n: u32,
    body: String,
}

#[tokio::test]
async fn pagination_over_more_than_a_megabyte() {
    let db = db().await;
    let blobs = db.create::<Blob>().await.expect("created");
    let body = "x".repeat(6_000);
    let items = (0..250).map(|n| Blob {
        part: "p".into(),
        n,
        body: body.clone(),
    });
    assert!(
        blobs
            .batch_write()
            .put_all(items)
            .send()
            .await
            .expect("writes")
            .is_complete()
    );

    let pages: Vec<_> = blobs
        .query(BlobPartition::new("p"))
        .pages()
        .try_collect()
        .await
        .expect("pages");
    assert!(
        pages.len() >= 2,
        "1.5 MB needs more than one 1 MB page, got {}",
        pages.len()
    );
    let all: Vec<Blob> = blobs
        .query(BlobPartition::new("p"))
        .stream()
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(all.len(), 250);
    assert!(all.windows(2).all(|w| w[0].n < w[1].n));

    let scanned: Vec<Blob> = blobs
        .scan()
        .parallel(4)
        .try_collect()
        .await
        .expect("parallel scan");
    assert_eq!(scanned.len(), 250);
    let page = blobs.scan().limit(10).send().await.expect("scan page");
    assert_eq!(page.items.len(), 10);
    assert!(page.cursor.is_some());
}

#[tokio::test]
async fn batch_of_a_thousand_items() {
    let db = db().await;
    let events = db.create::<Event>().await.expect("created");
    let out = events
        .batch_write()
        .put_all((0..1000).map(|n| event("bulk", n)))
        .send()
        .await
        .expect("writes");
    assert!(out.is_complete());
    let keys: Vec<_> = (0..1000)
        .map(|n| EventKey::new("bulk", format!("e{n:04}")))
        .collect();
    let got = events.batch_get(keys).send().await.expect("reads");
    assert_eq!(got.items.len(), 1000);
    assert!(got.unprocessed.is_empty());
    let mut seqs: Vec<_> = got.items.iter().map(|e| e.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..1000).collect::<Vec<_>>());

    let deletes = (0..500).map(|n| EventKey::new("bulk", format!("e{n:04}")));
    assert!(
        events
            .batch_write()
            .delete_all(deletes)
            .send()
            .await
            .expect("deletes")
            .is_complete()
    );
    assert_eq!(
        events
            .query(EventPartition::new("bulk"))
            .all()
            .await
            .expect("rest")
            .len(),
        500
    );
}

#[tokio::test]
async fn transaction_cancels_with_a_reason_per_item() {
    let db = db().await;
    let events = db.create::<Event>().await.expect("created");
    let accounts = db.create::<Account>().await.expect("created");
    events
        .put(event("t", 2))
        .send()
        .await
        .expect("put an OPEN event");
    let f = Event::fields();

    let mut tx = TransactWrite::new(db.client());
    let account = tx.add(accounts.put(Account {
        id: "x".into(),
        balance: 10,
        version: 0,
    }));
    let update = tx.add(
        events
            .update(EventKey::new("t", "e0002"))
            .set(f.status, Status::Closed)
            .condition(f.status.eq(Status::Closed)),
    );
    let created = tx.add(events.put(event("t", 3)).create_only());
    let err = tx.send().await.expect_err("the update's condition fails");
    assert_eq!(err.kind(), ErrorKind::TransactionCanceled, "{err}");
    let cancellation = err.cancellation().expect("reasons");
    assert_eq!(cancellation.reasons().len(), 1, "{err}");
    assert!(cancellation.reason(account).is_none() && cancellation.reason(created).is_none());
    let reason = cancellation.reason(update).expect("the update's reason");
    assert_eq!((reason.index, reason.action), (1, Action::Update));
    assert_eq!(reason.table, events.name());
    assert_eq!(reason.code, CancellationCode::ConditionalCheckFailed);
    assert!(cancellation.condition_failed(update));
    let old: Event = cancellation
        .old_item(update)
        .expect("old item")
        .expect("maps");
    assert_eq!(old.status, Status::Open);
    assert_eq!(
        Event::from_item(reason.item.clone().expect("old item")).expect("maps"),
        old
    );
    assert_eq!(
        reason
            .explanation
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some(r#"status = "CLOSED" was false: found "OPEN""#)
    );
    assert!(
        accounts
            .get(AccountKey::new("x"))
            .send()
            .await
            .expect("get")
            .is_none(),
        "nothing was written"
    );

    // The same transaction with a holding condition commits everything; the token makes a
    // retry of it a no-op.
    let commit = || {
        let mut tx = TransactWrite::new(db.client());
        tx.add(accounts.put(Account {
            id: "x".into(),
            balance: 10,
            version: 0,
        }));
        tx.add(
            events
                .update(EventKey::new("t", "e0002"))
                .set(f.status, Status::Closed)
                .add(f.count, 1u32)
                .condition(f.status.eq(Status::Open)),
        );
        tx.add(events.delete(EventKey::new("t", "e0003")));
        tx.client_request_token("tx-1");
        tx
    };
    commit().send().await.expect("commits");
    commit().send().await.expect("same token: idempotent");
    let mut get = TransactGet::new(db.client());
    let account = get.get(&accounts, AccountKey::new("x"));
    let updated = get.get(&events, EventKey::new("t", "e0002"));
    let deleted = get.get(&events, EventKey::new("t", "e0003"));
    let read = get.send().await.expect("transact get");
    assert_eq!(read.get(account).expect("maps").map(|a| a.version), Some(1));
    let e: Event = read.get(updated).expect("maps").expect("exists");
    assert_eq!((e.status, e.count), (Status::Closed, 1), "applied once");
    assert!(read.get(deleted).expect("maps").is_none());
    assert!(
        read.get(update)
            .expect("another transaction's handle")
            .is_none(),
        "a handle finds nothing in another transaction's output"
    );
}

#[tokio::test]
async fn transaction_limits_are_checked_before_sending() {
    let db = db().await;
    let events = db.table::<Event>();
    let mut tx = TransactWrite::new(db.client());
    for n in 0..101 {
        tx.add(events.put(event("big", n)));
    }
    let err = tx.send().await.expect_err("too many");
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    assert!(err.to_string().contains("at most 100"), "{err}");

    let mut tx = TransactWrite::new(db.client());
    tx.add(events.put(event("twice", 1)));
    tx.add(
        events
            .update(EventKey::new("twice", "e0001"))
            .set(Event::fields().count, 1u32),
    );
    let err = tx.send().await.expect_err("one item twice");
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    assert!(
        err.to_string().ends_with(
            "writes #0 and #1 address the same item; a transaction may write an item once"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn missing_table_and_bad_values_are_clear_errors() {
    let db = db().await;
    let events = db.table::<Event>();
    let err = events
        .get(EventKey::new("a", "b"))
        .send()
        .await
        .expect_err("no table");
    assert_eq!(err.kind(), ErrorKind::TableNotFound, "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");

    let events = db.create::<Event>().await.expect("created");
    let err = events
        .get(EventKey::new("", "b"))
        .send()
        .await
        .expect_err("empty key");
    assert_eq!(err.kind(), ErrorKind::Mapping, "{err}");
    let err = events
        .put(event("a", 1))
        .condition(Path::new("ratio").eq(f64::INFINITY))
        .send()
        .await
        .expect_err("infinite");
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
}

/// A failed condition says which clause was false and what was found; a version conflict says
/// which version was expected; a missing item says so.
#[tokio::test]
async fn failed_conditions_say_which_clause_was_false() {
    let db = db().await;
    let events = db.create::<Event>().await.expect("created");
    let accounts = db.create::<Account>().await.expect("created");
    let mut closed = event("why", 1);
    closed.count = 7;
    events.put(closed).send().await.expect("put");
    let f = Event::fields();

    let err = events
        .update(EventKey::new("why", "e0001"))
        .add(f.count, 1)
        .condition(f.status.eq(Status::Open).and(f.count.lt(100)))
        .send()
        .await
        .expect_err("the event is closed");
    assert_eq!(
        err.to_string(),
        format!(
            r#"UpdateItem on table {}: the condition failed: status = "OPEN" was false: found "CLOSED""#,
            events.name()
        )
    );
    let Some(reason) = err.condition_failure() else {
        panic!("{err}")
    };
    assert_eq!(reason.clauses().len(), 1, "count < 100 held: {reason}");

    let err = events
        .delete(EventKey::new("why", "e0001"))
        .condition(f.count.ge(10).or(f.tags.contains("vip")))
        .send()
        .await
        .expect_err("neither holds");
    assert!(
        err.to_string().ends_with(
            "none of these held: count >= 10 was false: found 7; contains(tags, \"vip\") was false"
        ),
        "{err}"
    );

    let err = events
        .put(event("why", 2))
        .condition(f.status.eq(Status::Open))
        .send()
        .await
        .expect_err("no such item yet");
    assert!(
        err.to_string()
            .ends_with("the condition failed: the item does not exist"),
        "{err}"
    );

    accounts
        .put(Account {
            id: "a".into(),
            balance: 1,
            version: 0,
        })
        .send()
        .await
        .expect("created at version 1");
    accounts
        .update(AccountKey::new("a"))
        .add(Account::fields().balance, 1)
        .send()
        .await
        .expect("version 2");
    let err = accounts
        .update(AccountKey::new("a"))
        .set(Account::fields().balance, 10)
        .expect_version(1)
        .send()
        .await
        .expect_err("stale");
    assert!(
        err.to_string()
            .ends_with("the condition failed: version: expected 1, found 2"),
        "{err}"
    );
}

/// Updates require the item; `upsert` creates it on purpose; the same in transactions.
#[tokio::test]
async fn updates_never_create_ghost_items_unless_asked() {
    let db = db().await;
    let events = db.create::<Event>().await.expect("created");
    let f = Event::fields();
    let err = events
        .update(EventKey::new("ghost", "e0001"))
        .add(f.count, 1)
        .send()
        .await
        .expect_err("no such item");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(
        events
            .get(EventKey::new("ghost", "e0001"))
            .consistent_read()
            .project::<Item>(["pk"])
            .send()
            .await
            .expect("get")
            .is_none(),
        "nothing was written"
    );

    events
        .update(EventKey::new("ghost", "e0002"))
        .add(f.count, 1)
        .upsert()
        .send()
        .await
        .expect("created on purpose");
    let partial = events
        .get(EventKey::new("ghost", "e0002"))
        .consistent_read()
        .send()
        .await
        .expect_err("the upserted item lacks required attributes");
    assert_eq!(partial.kind(), ErrorKind::Mapping, "{partial}");
    assert!(
        partial
            .to_string()
            .ends_with(r#"(item pk = "ghost", sk = "e0002")"#),
        "a mapping error names the item: {partial}"
    );
    let batch = events
        .batch_get([EventKey::new("ghost", "e0002")])
        .send()
        .await
        .expect_err("the same item in a batch");
    assert!(
        batch
            .to_string()
            .ends_with(r#"(item pk = "ghost", sk = "e0002")"#),
        "{batch}"
    );

    let mut tx = TransactWrite::new(db.client());
    let ghost = tx.add(
        events
            .update(EventKey::new("ghost", "e0003"))
            .add(f.count, 1),
    );
    let err = tx.send().await.expect_err("no such item");
    let reason = err
        .cancellation()
        .and_then(|c| c.reason(ghost))
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(
        reason
            .explanation
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("the item does not exist"),
        "{err}"
    );
    let mut tx = TransactWrite::new(db.client());
    tx.add(
        events
            .update(EventKey::new("ghost", "e0003"))
            .add(f.count, 1)
            .upsert(),
    );
    tx.send().await.expect("created on purpose");
}

/// Operations say which operation failed, also without a table.
#[tokio::test]
async fn empty_transactions_name_the_operation() {
    let db = db().await;
    let err = TransactWrite::new(db.client())
        .send()
        .await
        .expect_err("empty");
    assert_eq!(
        err.to_string(),
        "TransactWriteItems: invalid request: the transaction has no writes"
    );
}
