//! Queries and scans against the emulator: timestamps as sort keys, cursors for HTTP APIs,
//! item-by-item streams, consumed capacity.

use dynamo_core::testing::Emulator;
use dynamo_core::{
    AttributeValue, Cursor, DynamoEntity, ErrorKind, Item, KeyDef, Table, TableDef,
    table::CursorKey,
};
use futures_util::StreamExt;
use std::time::Duration;
use time::OffsetDateTime;

const REPLIES: TableDef =
    TableDef::new("replies", KeyDef::string("thread")).with_sort_key(KeyDef::string("posted_at"));

/// The Developer Guide's Reply table: replies of a thread, by the time they were posted.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = REPLIES)]
struct Reply {
    #[pk]
    thread: String,
    #[sk]
    posted_at: OffsetDateTime,
    message: String,
}

async fn replies() -> (Emulator, Table<Reply>) {
    let db = Emulator::start().await.expect("the emulator starts");
    let table = db.create::<Reply>().await.expect("created");
    (db, table)
}

fn at(base: OffsetDateTime, millis: u64) -> OffsetDateTime {
    base + Duration::from_millis(millis)
}

/// Sub-second timestamps as sort keys: string order is time order, so range conditions and the
/// order of results are right. (Trimmed fractions wrote `…:20Z`, `…:20.5Z`, `…:20.25Z`.)
#[tokio::test]
async fn timestamps_sort_keys_query_in_time_order() {
    let (_db, replies) = replies().await;
    let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    // Chosen to break a trimmed format: whole seconds, halves, quarters, a nanosecond.
    let offsets = [0, 250, 500, 1000, 1001, 1500, 2000];
    for (i, ms) in offsets.iter().enumerate() {
        replies
            .put(Reply {
                thread: "t1".into(),
                posted_at: at(t0, *ms),
                message: format!("reply {i}"),
            })
            .send()
            .await
            .expect("put");
    }
    replies
        .put(Reply {
            thread: "t1".into(),
            posted_at: t0 + Duration::from_nanos(1),
            message: "a nanosecond later".into(),
        })
        .send()
        .await
        .expect("put");

    let all = replies
        .query(ReplyPartition::new("t1"))
        .all()
        .await
        .expect("query");
    let times: Vec<OffsetDateTime> = all.iter().map(|r| r.posted_at).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "results come back in time order");

    let after = replies
        .query(ReplyPartition::new("t1"))
        .sk_gt(t0)
        .all()
        .await
        .expect("query");
    assert_eq!(
        after.len(),
        7,
        "everything after t0, the nanosecond included"
    );

    let window = replies
        .query(ReplyPartition::new("t1"))
        .sk_between(t0, at(t0, 500))
        .all()
        .await
        .expect("BETWEEN t0 AND t0 + 500 ms is a valid range");
    assert_eq!(window.len(), 4, "{window:?}");

    let newest = replies
        .query(ReplyPartition::new("t1"))
        .descending()
        .limit(1)
        .send()
        .await
        .expect("query");
    assert_eq!(newest.items[0].posted_at, at(t0, 2000));
}

/// Cursors as strings for HTTP APIs: they continue the query; sealed ones refuse forgery and
/// reuse against another query.
#[tokio::test]
async fn cursors_continue_queries_and_sealed_ones_refuse_forgery_and_reuse() {
    let (db, plain) = replies().await;
    let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    for thread in ["t1", "t2"] {
        for i in 0..5 {
            plain
                .put(Reply {
                    thread: thread.into(),
                    posted_at: at(t0, i * 10),
                    message: format!("{thread} {i}"),
                })
                .send()
                .await
                .expect("put");
        }
    }

    // Unsealed: the string continues where the page stopped.
    let first = plain
        .query(ReplyPartition::new("t1"))
        .limit(2)
        .send()
        .await
        .expect("page");
    let next: Cursor = first
        .cursor
        .expect("more")
        .to_string()
        .parse()
        .expect("a cursor");
    let second = plain
        .query(ReplyPartition::new("t1"))
        .limit(2)
        .cursor(Some(next))
        .send()
        .await
        .expect("page");
    assert_eq!(second.items[0].message, "t1 2");

    // Sealed.
    let key = CursorKey::new("a cursor secret of at least 32 bytes!").expect("key");
    let sealed = db.table::<Reply>().with_cursor_key(key);
    let first = sealed
        .query(ReplyPartition::new("t1"))
        .limit(2)
        .send()
        .await
        .expect("page");
    let text = first.cursor.expect("more").to_string();
    let again = sealed
        .query(ReplyPartition::new("t1"))
        .limit(2)
        .cursor(Some(text.parse().expect("a cursor")))
        .send()
        .await
        .expect("its own cursor continues");
    assert_eq!(again.items[0].message, "t1 2");

    let other_thread = sealed
        .query(ReplyPartition::new("t2"))
        .cursor(Some(text.parse().expect("a cursor")))
        .send()
        .await
        .expect_err("another partition");
    assert_eq!(
        other_thread.kind(),
        ErrorKind::InvalidCursor,
        "{other_thread}"
    );
    assert!(
        other_thread
            .to_string()
            .contains("not issued for this query"),
        "{other_thread}"
    );

    let scan = sealed
        .scan()
        .cursor(Some(text.parse().expect("a cursor")))
        .send()
        .await
        .expect_err("a scan");
    assert_eq!(scan.kind(), ErrorKind::InvalidCursor, "{scan}");

    // A forged position: a cursor made by hand for t1's last reply, with no seal.
    let mut position = Item::new();
    position.insert("thread".into(), AttributeValue::S("t1".into()));
    position.insert(
        "posted_at".into(),
        AttributeValue::S("2023-11-14T22:13:20.030000000Z".into()),
    );
    let forged = Cursor::from_item(position);
    let err = sealed
        .query(ReplyPartition::new("t1"))
        .cursor(Some(forged.to_string().parse().expect("a cursor")))
        .send()
        .await
        .expect_err("unsealed");
    assert!(err.to_string().contains("not sealed"), "{err}");

    // A sealed cursor with its position edited keeps a seal that no longer matches.
    let (body, seal) = text["c1.".len()..].split_once('.').expect("sealed");
    let mut tampered = body.as_bytes().to_vec();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = format!("c1.{}.{seal}", String::from_utf8(tampered).expect("ascii"));
    if let Ok(cursor) = tampered.parse::<Cursor>() {
        let err = sealed
            .query(ReplyPartition::new("t1"))
            .cursor(Some(cursor))
            .send()
            .await
            .expect_err("tampered");
        assert_eq!(err.kind(), ErrorKind::InvalidCursor, "{err}");
    }
}

/// Streams read item by item: a bad item is an error in its place, naming its key, and the
/// items after it still come. The streams are `Unpin`: `.next().await` without `pin!`.
#[tokio::test]
async fn streams_read_item_by_item_and_name_the_bad_item() {
    let (_db, replies) = replies().await;
    let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    for i in 0..3 {
        replies
            .put(Reply {
                thread: "t1".into(),
                posted_at: at(t0, i),
                message: format!("reply {i}"),
            })
            .send()
            .await
            .expect("put");
    }
    // An item another writer left without a message.
    let mut broken = Item::new();
    broken.insert("thread".into(), AttributeValue::S("t1".into()));
    broken.insert(
        "posted_at".into(),
        AttributeValue::S("2023-11-14T22:13:20.000500000Z".into()),
    );
    replies
        .client()
        .put_item()
        .table_name(replies.name())
        .set_item(Some(broken))
        .send()
        .await
        .expect("raw put");

    let mut stream = replies.query(ReplyPartition::new("t1")).limit(2).stream();
    let mut ok = 0;
    let mut bad = Vec::new();
    while let Some(reply) = stream.next().await {
        match reply {
            Ok(_) => ok += 1,
            Err(e) => bad.push(e),
        }
    }
    assert_eq!(ok, 3, "the items after the bad one still come");
    assert_eq!(bad.len(), 1);
    let message = bad[0].to_string();
    assert!(
        message.contains("Reply.message")
            && message
                .ends_with(r#"(item posted_at = "2023-11-14T22:13:20.000500000Z", thread = "t1")"#),
        "{message}"
    );

    let page = replies
        .query(ReplyPartition::new("t1"))
        .send()
        .await
        .expect_err("a whole page fails");
    assert!(
        page.mapping().is_some_and(|source| source.key.is_some()),
        "{page}"
    );
}

/// Consumed capacity, when asked for: on outputs and pages.
#[tokio::test]
async fn consumed_capacity_is_returned_when_asked() {
    let (_db, replies) = replies().await;
    let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    let put = replies
        .put(Reply {
            thread: "t1".into(),
            posted_at: t0,
            message: "hello".into(),
        })
        .send_with_capacity()
        .await
        .expect("put");
    let capacity = put.capacity.expect("the endpoint reports capacity");
    assert_eq!(capacity.table, replies.name());
    assert!(capacity.capacity_units > 0.0, "{capacity:?}");

    let page = replies
        .query(ReplyPartition::new("t1"))
        .return_consumed_capacity()
        .send()
        .await
        .expect("query");
    assert!(
        page.consumed_capacity
            .is_some_and(|c| c.capacity_units > 0.0)
    );
    let unasked = replies
        .query(ReplyPartition::new("t1"))
        .send()
        .await
        .expect("query");
    assert!(unasked.consumed_capacity.is_none());
}
