//! Write sharding against the emulator: a `{shard(field):N}` partition spreads one event's
//! seats over N partition key values; point reads and writes take the same key as without it;
//! a query of the whole partition reads every shard and merges them in sort key order, its
//! cursor resumes every shard where it stopped, and `count` sums.

use dynamo_core::keys::{Partition, Shard, shard_of};
use dynamo_core::table::CursorKey;
use dynamo_core::testing::Emulator;
use dynamo_core::{Cursor, DynamoEntity, ErrorKind, IndexDef, Item, KeyDef, Table, TableDef};

const TICKETING: TableDef = TableDef::new("sharded", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )]);

/// One event's seats over 8 shards of the table, and its held seats over 4 shards of GSI1
/// (by holder, so one holder's seats share a shard), by hold number.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = TICKETING,
    pk = "EVENT#{event_id}#{shard(seat_no):8}",
    sk = "SEAT#{seat_no:4}",
    gsi(GSI1, pk = "HELD#{event_id}#{shard(holder):4}", sk = "{hold_no:6}#{seat_no:4}")
)]
struct Seat {
    event_id: String,
    seat_no: u32,
    holder: Option<String>,
    hold_no: Option<u32>,
}

/// The shard first in the key: the key struct still takes the fields in the order the keys name
/// them otherwise (`FrontKey::new(event_id, seat_no)`).
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "{shard(seat_no):32}#{event_id}", sk = "FRONT#{seat_no:4}")]
struct Front {
    event_id: String,
    seat_no: u32,
}

/// Work items a writer spreads over 32 shards it picks itself.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "WORK#{shard}", sk = "{id}")]
struct Work {
    shard: Shard<32>,
    id: String,
}

fn seat(n: u32) -> Seat {
    let held = n.is_multiple_of(3);
    Seat {
        event_id: "e1".into(),
        seat_no: n,
        holder: held.then(|| format!("user-{}", n % 5)),
        hold_no: held.then_some(1_000 - n),
    }
}

async fn seats(db: &Emulator, count: u32) -> Table<Seat> {
    let seats = db.create::<Seat>().await.expect("created");
    for n in 0..count {
        seats.put(seat(n)).send().await.expect("put");
    }
    seats
}

#[tokio::test]
async fn a_sharded_partition_reads_back_whole_and_in_order() {
    let db = Emulator::start().await.expect("the emulator starts");
    let seats = seats(&db, 120).await;

    // Point reads take the key as without shards: the key computes the shard.
    let one = seats
        .get(SeatKey::new("e1", 42u32))
        .send()
        .await
        .expect("get");
    assert_eq!(one, Some(seat(42)));
    // Stored under the documented shard of the field's key text (a u32 as a `{field}`
    // placeholder writes it: ten digits).
    let shard = shard_of("0000000042", 8);
    let raw = db
        .client()
        .get_item()
        .table_name(seats.name())
        .key(
            "pk",
            dynamo_core::AttributeValue::S(format!("EVENT#e1#{shard}")),
        )
        .key("sk", dynamo_core::AttributeValue::S("SEAT#0042".into()))
        .send()
        .await
        .expect("raw get");
    assert!(raw.item.is_some(), "the seat is in shard {shard}");

    let front = Table::<Front>::new(db.client()).named(seats.name());
    front
        .put(Front {
            event_id: "e1".into(),
            seat_no: 7,
        })
        .send()
        .await
        .expect("put");
    let found = front
        .get(FrontKey::new("e1", 7u32))
        .send()
        .await
        .expect("get");
    assert_eq!(found.map(|f| f.seat_no), Some(7));

    // The whole partition: every seat once, in sort key order.
    let all = seats
        .query(SeatPartition::all("e1"))
        .all()
        .await
        .expect("query");
    assert_eq!(all, (0..120).map(seat).collect::<Vec<_>>());
    let newest = seats
        .query(SeatPartition::all("e1"))
        .descending()
        .fan_out(3)
        .all()
        .await
        .expect("query");
    assert_eq!(newest, (0..120).rev().map(seat).collect::<Vec<_>>());
    let some = seats
        .query(SeatPartition::all("e1"))
        .sk_between(SeatSortKey::new(10u32), SeatSortKey::new(19u32))
        .all()
        .await
        .expect("query");
    assert_eq!(some, (10..20).map(seat).collect::<Vec<_>>());
    assert_eq!(
        seats
            .query(SeatPartition::all("e1"))
            .count()
            .await
            .expect("count"),
        120
    );
    let filtered = seats
        .query(SeatPartition::all("e1"))
        .filter(Seat::fields().holder.exists())
        .count()
        .await
        .expect("count");
    assert_eq!(filtered, 40);

    // One shard: what a worker that owns it reads.
    let mut by_shard = 0;
    for n in 0..SeatPartition::SHARDS {
        let shard = seats
            .query(SeatPartition::shard("e1", n))
            .all()
            .await
            .expect("query");
        assert!(
            shard
                .iter()
                .all(|s| shard_of(&format!("{:010}", s.seat_no), 8) == n)
        );
        by_shard += shard.len();
    }
    assert_eq!(by_shard, 120);
    let err = seats
        .query(SeatPartition::shard("e1", 8))
        .all()
        .await
        .expect_err("out of range");
    assert_eq!(err.kind(), ErrorKind::Mapping);
    assert!(err.to_string().contains("a shard below 8"), "{err}");

    // A sharded index: a holder's held seats, every shard merged by hold number.
    let held = seats
        .query(SeatGsi1Partition::all("e1"))
        .all()
        .await
        .expect("query");
    let mut expected: Vec<Seat> = (0..120).map(seat).filter(|s| s.holder.is_some()).collect();
    expected.sort_by_key(|s| s.hold_no);
    assert_eq!(held, expected);
}

#[tokio::test]
async fn pages_of_a_sharded_partition_resume_every_shard() {
    let db = Emulator::start().await.expect("the emulator starts");
    let seats = seats(&db, 90)
        .await
        .with_cursor_key(CursorKey::new([9u8; 32]).expect("key"));

    // Small pages: every round stops most shards early, the cursor carries them all.
    let mut read = Vec::new();
    let mut cursor: Option<Cursor> = None;
    let mut pages = 0;
    loop {
        let page = seats
            .query(SeatPartition::all("e1"))
            .limit(4)
            .cursor(cursor.take())
            .send()
            .await
            .expect("page");
        pages += 1;
        read.extend(page.items.into_iter().map(|s| s.seat_no));
        // Through its string form, as an HTTP API passes it.
        cursor = match page.cursor {
            Some(c) => Some(c.to_string().parse().expect("a cursor")),
            None => break,
        };
        assert!(pages < 200, "the pages end");
    }
    assert_eq!(read, (0..90).collect::<Vec<_>>());
    assert!(pages > 3, "{pages} pages");

    // Projections also read the keys the merge resumes by, and nothing else.
    let numbers = seats
        .query(SeatPartition::all("e1"))
        .limit(5)
        .project::<Item>([Seat::fields().seat_no])
        .all()
        .await
        .expect("query");
    let seat_nos: Vec<String> = numbers
        .iter()
        .map(|i| i["seat_no"].as_n().cloned().unwrap_or_default())
        .collect();
    assert_eq!(seat_nos, (0..90).map(|n| n.to_string()).collect::<Vec<_>>());
    assert!(numbers.iter().all(|i| i.len() == 3), "seat_no, pk, sk");

    // A sealed cursor of one shard is not one of every shard, and the reverse.
    let one = seats
        .query(SeatPartition::shard("e1", 0))
        .limit(1)
        .send()
        .await
        .expect("page");
    let err = seats
        .query(SeatPartition::all("e1"))
        .cursor(one.cursor)
        .send()
        .await
        .expect_err("another query's cursor");
    assert_eq!(err.kind(), ErrorKind::InvalidCursor);
    let all = seats
        .query(SeatPartition::all("e1"))
        .limit(1)
        .send()
        .await
        .expect("page");
    let err = seats
        .query(SeatPartition::shard("e1", 0))
        .cursor(all.cursor)
        .send()
        .await
        .expect_err("another query's cursor");
    assert_eq!(err.kind(), ErrorKind::InvalidCursor);
}

#[tokio::test]
async fn writers_choose_their_shards() {
    let db = Emulator::start().await.expect("the emulator starts");
    let work = db.create::<Work>().await.expect("created");
    for i in 0..40u32 {
        let shard = Shard::try_from(i % 32).expect("in range");
        work.put(Work {
            shard,
            id: format!("w{i:02}"),
        })
        .send()
        .await
        .expect("put");
    }
    let third = work
        .query(WorkPartition::new(
            Shard::<32>::try_from(3).expect("in range"),
        ))
        .all()
        .await
        .expect("query");
    assert_eq!(
        third.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(),
        ["w03", "w35"]
    );
    let raw = db
        .client()
        .scan()
        .table_name(work.name())
        .filter_expression("pk = :pk")
        .expression_attribute_values(":pk", dynamo_core::AttributeValue::S("WORK#03".into()))
        .send()
        .await
        .expect("scan");
    assert_eq!(raw.count, 2, "written with the width of 31: WORK#03");
}
