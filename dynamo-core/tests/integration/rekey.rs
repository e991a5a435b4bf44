//! Re-keying against the emulator: seats written under `EVENT#{event_id}` move to a sharded
//! template while the application keeps writing; a killed run resumes from its checkpoint, and
//! every seat ends up once, under its new key, as the application last wrote it. An entity that
//! declares its previous keys is read under either key until its items move.

use dynamo_core::mapping::EntityKey;
use dynamo_core::table::Moved;
use dynamo_core::testing::Emulator;
use dynamo_core::{AttributeValue, DynamoEntity, Entity, IndexDef, KeyDef, Table, TableDef};
use std::sync::Arc;
use tokio::sync::Notify;

const TICKETING: TableDef =
    TableDef::new("rekeyed", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

/// The seats as they were written.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "SEAT#{seat_no:4}")]
struct OldSeat {
    event_id: String,
    seat_no: u32,
    holder: Option<String>,
}

/// The seats as the code writes them now.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}#{shard(seat_no):16}", sk = "SEAT#{seat_no:4}")]
struct Seat {
    event_id: String,
    seat_no: u32,
    holder: Option<String>,
}

const SEATS: u32 = 300;

#[tokio::test]
async fn a_killed_rekey_resumes_and_moves_every_item_once() {
    let db = Emulator::start().await.expect("the emulator starts");
    let old = db.create::<OldSeat>().await.expect("created");
    let seats: Table<Seat> = db.table::<Seat>();
    for n in 0..SEATS {
        old.put(OldSeat {
            event_id: "e1".into(),
            seat_no: n,
            holder: None,
        })
        .send()
        .await
        .expect("put");
    }

    // A dry run counts, and writes nothing.
    let dry = seats.rekey().dry_run().run().await.expect("dry run");
    assert_eq!(
        (dry.scanned, dry.moved),
        (u64::from(SEATS), u64::from(SEATS))
    );
    assert_eq!(
        old.query(OldSeatPartition::new("e1"))
            .count()
            .await
            .expect("count"),
        u64::from(SEATS)
    );

    // Killed once about a third is moved.
    let dir = std::env::temp_dir().join(format!("rekey-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let checkpoint = dir.join("seats.checkpoint");
    let third = Arc::new(Notify::new());
    let signal = third.clone();
    let first = seats
        .rekey()
        .segments(2)
        .page_size(10)
        .write_units_per_second(100_000)
        .checkpoint(&checkpoint)
        .on_progress(move |r| {
            if r.moved >= u64::from(SEATS / 3) {
                signal.notify_one();
            }
        });
    tokio::select! {
        done = first.run() => panic!("the run should have been killed first: {done:?}"),
        () = third.notified() => {}
    }
    assert!(checkpoint.exists(), "the killed run left its checkpoint");
    let left = old
        .query(OldSeatPartition::new("e1"))
        .count()
        .await
        .expect("count");
    assert!(
        left > 0 && left < u64::from(SEATS),
        "{left} seats left under the old key"
    );

    // Meanwhile the application changes an old seat, and writes another one anew.
    let waiting = old
        .query(OldSeatPartition::new("e1"))
        .all()
        .await
        .expect("query");
    let (changed, rewritten) = (waiting[0].seat_no, waiting[1].seat_no);
    old.put(OldSeat {
        event_id: "e1".into(),
        seat_no: changed,
        holder: Some("alice".into()),
    })
    .send()
    .await
    .expect("the old code writes");
    seats
        .put(Seat {
            event_id: "e1".into(),
            seat_no: rewritten,
            holder: Some("bob".into()),
        })
        .send()
        .await
        .expect("the new code writes");

    // The next run resumes, and finishes.
    let second = seats
        .rekey()
        .segments(2)
        .page_size(10)
        .write_units_per_second(100_000)
        .checkpoint(&checkpoint)
        .run()
        .await
        .expect("resumed");
    assert!(second.complete);
    assert_eq!(second.superseded, 1, "{second:?}");
    assert!(second.unreadable.is_empty(), "{second:?}");
    assert!(
        !checkpoint.exists(),
        "a finished run removes its checkpoint"
    );

    // Every seat once, under its new key, as last written.
    let all = seats
        .query(SeatPartition::all("e1"))
        .all()
        .await
        .expect("query");
    assert_eq!(all.len(), SEATS as usize);
    assert_eq!(
        all.iter().map(|s| s.seat_no).collect::<Vec<_>>(),
        (0..SEATS).collect::<Vec<_>>()
    );
    let holder = |n: u32| all[n as usize].holder.clone();
    assert_eq!(
        holder(changed).as_deref(),
        Some("alice"),
        "the change moved with it"
    );
    assert_eq!(
        holder(rewritten).as_deref(),
        Some("bob"),
        "the newer write kept"
    );
    assert_eq!(
        old.query(OldSeatPartition::new("e1"))
            .count()
            .await
            .expect("count"),
        0
    );

    // Nothing left to move.
    let again = seats.rekey().run().await.expect("a third run");
    assert_eq!((again.moved, again.unchanged), (0, u64::from(SEATS)));
    let _ = std::fs::remove_dir_all(dir);
}

const CATALOG: TableDef =
    TableDef::new("previous-keys", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

/// A product as an earlier version wrote it: the category was the partition key itself (so the
/// item held no `category` attribute), and the sort key the code alone.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = CATALOG, sk = "{code}")]
struct ProductBefore {
    #[pk]
    #[dynamo(rename = "pk")]
    category: String,
    code: u32,
    name: String,
}

/// The product now: both keys are templates, and the entity says how it was keyed before, so
/// reads find a product under either key and the runner moves them without a converter.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = CATALOG,
    pk = "CATEGORY#{category}#{shard(code):4}",
    sk = "PRODUCT#{code:6}",
    previous(pk = "{category}", sk = "{code}")
)]
struct Product {
    category: String,
    code: u32,
    name: String,
}

#[tokio::test]
async fn reads_find_items_under_their_previous_key_until_they_move() {
    let db = Emulator::start().await.expect("the emulator starts");
    let before = db.create::<ProductBefore>().await.expect("created");
    let products: Table<Product> = db.table::<Product>();
    for code in 1..=6 {
        before
            .put(ProductBefore {
                category: "books".into(),
                code,
                name: format!("book {code}"),
            })
            .send()
            .await
            .expect("written as before");
    }
    // Written by the code now.
    let seventh = Product {
        category: "books".into(),
        code: 7,
        name: "book 7".into(),
    };
    products.put(seventh.clone()).send().await.expect("put");

    // The key an earlier version wrote, from the key alone.
    let previous = ProductKey::new("books", 3_u32)
        .previous_key_item()
        .expect("formats")
        .expect("the entity has previous keys");
    assert_eq!(previous["pk"], AttributeValue::S("books".into()));
    // An integer is written at its type's width.
    assert_eq!(previous["sk"], AttributeValue::S("0000000003".into()));

    // A get finds a product under either key; a key without an item is still none.
    let third = products
        .get(ProductKey::new("books", 3_u32))
        .send()
        .await
        .expect("get");
    assert_eq!(third.map(|p| p.name).as_deref(), Some("book 3"));
    let found = products
        .get(ProductKey::new("books", 7_u32))
        .send()
        .await
        .expect("get");
    assert_eq!(found, Some(seventh));
    assert_eq!(
        products
            .get(ProductKey::new("books", 99_u32))
            .send()
            .await
            .expect("get"),
        None
    );

    // A batch get too, telling which it found under their previous key.
    let read = products
        .batch_get([2_u32, 7, 99].map(|code| ProductKey::new("books", code)))
        .send()
        .await
        .expect("batch get");
    let mut names: Vec<&str> = read.items.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["book 2", "book 7"]);
    assert_eq!(read.under_previous_key, [ProductKey::new("books", 2_u32)]);

    // Moved when touched: under its key now, and no longer under the previous one.
    let moved = products
        .rekey()
        .move_key(&ProductKey::new("books", 2_u32))
        .await
        .expect("moves");
    assert_eq!(moved, Moved::Moved);
    assert_eq!(
        before
            .get(ProductBeforeKey::new("books", 2_u32))
            .send()
            .await
            .expect("get"),
        None
    );
    let read = products
        .batch_get([ProductKey::new("books", 2_u32)])
        .send()
        .await
        .expect("batch get");
    assert_eq!(read.items.len(), 1);
    assert!(read.under_previous_key.is_empty());
    assert_eq!(
        products
            .rekey()
            .move_key(&ProductKey::new("books", 2_u32))
            .await
            .expect("nothing to move"),
        Moved::Unchanged
    );

    // The runner moves the rest with its defaults. (Its scan may meet an item it has just moved
    // again, in a segment it reads later, and count it unchanged: only a run with nothing to
    // move counts the items written now exactly.)
    let report = products.rekey().run().await.expect("runs");
    assert_eq!(report.moved, 5, "{report:?}");
    assert!(report.unreadable.is_empty(), "{report:?}");
    let again = products.rekey().run().await.expect("runs again");
    assert_eq!((again.moved, again.unchanged), (0, 7), "{again:?}");
    let all = products
        .query(ProductPartition::all("books"))
        .all()
        .await
        .expect("every shard");
    let mut codes: Vec<u32> = all.iter().map(|p| p.code).collect();
    codes.sort_unstable();
    assert_eq!(codes, (1..=7).collect::<Vec<_>>());
}

const NOTES: TableDef = TableDef::new("rekeyed-notes", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )]);

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = NOTES, pk = "USER#{user}", sk = "NOTE#{n:4}", gsi(GSI1, pk = "NOTES#{user}", sk = "{n:4}"))]
struct OldNote {
    user: String,
    n: u32,
    body: String,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = NOTES, pk = "USER#{user}#{shard(n):4}", sk = "NOTE#{n:4}", gsi(GSI1, pk = "NOTES#{user}", sk = "{n:4}"))]
struct Note {
    user: String,
    n: u32,
    body: String,
}

/// The runner reports what DynamoDB bills (`Entity::write_units`): a move is a transaction of a
/// put and a delete, each billed twice, in the table and in every index the item is in.
#[tokio::test]
async fn a_move_is_billed_as_dynamodb_bills_it_indexes_included() {
    let db = Emulator::start().await.expect("the emulator starts");
    let old = db.create::<OldNote>().await.expect("created");
    let notes: Table<Note> = db.table::<Note>();
    let mut expected = 0;
    for n in 0..3 {
        let note = OldNote {
            user: "u1".into(),
            n,
            body: "x".repeat(1_500),
        };
        let before = note.clone().into_item().expect("maps");
        let after = Note {
            user: note.user.clone(),
            n,
            body: note.body.clone(),
        }
        .into_item()
        .expect("maps");
        let units = |item| u64::from(dynamo_core::mapping::write_units(&NOTES, item).total());
        // 2 KB in the table and 2 KB in GSI1, for the put and the delete.
        assert_eq!((units(&before), units(&after)), (4, 4));
        expected += 2 * (units(&before) + units(&after));
        old.put(note).send().await.expect("put");
    }
    let dry = notes.rekey().dry_run().run().await.expect("dry run");
    assert_eq!(dry.moved, 3);
    assert_eq!(dry.write_units, expected, "{dry:?}");
    let report = notes.rekey().run().await.expect("runs");
    assert_eq!((report.moved, report.write_units), (3, expected));
}

async fn raw_seat(
    table: &str,
    client: &dynamo_core::Client,
    pk: &str,
    sk: &str,
) -> Option<dynamo_core::Item> {
    client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk.into()))
        .key("sk", AttributeValue::S(sk.into()))
        .consistent_read(true)
        .send()
        .await
        .expect("raw get")
        .item
}

/// A move "unchanged since read" covers the attributes the item did not have when it was read,
/// keeps what the entity does not map, and never deletes an item for a partial one at its new
/// key.
#[tokio::test]
async fn a_move_keeps_every_write_and_attribute_and_deletes_nothing_for_a_partial_item() {
    let db = Emulator::start().await.expect("the emulator starts");
    let old = db.create::<OldSeat>().await.expect("created");
    let seats: Table<Seat> = db.table::<Seat>();
    let client = db.client();
    let seat = |n: u32, holder: Option<&str>| OldSeat {
        event_id: "e9".into(),
        seat_no: n,
        holder: holder.map(str::to_owned),
    };

    // 1. Read free; held by alice before the move is written.
    old.put(seat(1, None)).send().await.expect("put");
    let read = raw_seat(old.name(), client, "EVENT#e9", "SEAT#0001")
        .await
        .expect("stored");
    old.put(seat(1, Some("alice")))
        .send()
        .await
        .expect("held after the read");
    let moved = seats.rekey().move_item(read).await.expect("moves");
    assert_eq!(moved, Moved::Moved);
    let now = seats
        .get(SeatKey::new("e9", 1_u32))
        .consistent_read()
        .send()
        .await
        .expect("get");
    assert_eq!(
        now.and_then(|s| s.holder).as_deref(),
        Some("alice"),
        "the hold is kept"
    );

    // 2. An attribute the entity does not map moves with the item.
    let mut item = seat(2, None).into_item().expect("maps");
    item.insert(
        "note".into(),
        AttributeValue::S("by a newer release".into()),
    );
    client
        .put_item()
        .table_name(old.name())
        .set_item(Some(item.clone()))
        .send()
        .await
        .expect("raw put");
    assert_eq!(
        seats.rekey().move_item(item).await.expect("moves"),
        Moved::Moved
    );
    let new_key = SeatKey::new("e9", 2_u32).into_key_item().expect("key");
    let pk = match &new_key["pk"] {
        AttributeValue::S(pk) => pk.clone(),
        other => panic!("{other:?}"),
    };
    let stored = raw_seat(seats.name(), client, &pk, "SEAT#0002")
        .await
        .expect("moved");
    assert_eq!(
        stored.get("note"),
        Some(&AttributeValue::S("by a newer release".into()))
    );

    // 3. A partial item at the new key (an upsert of one attribute) is not a newer seat: the
    //    old one is kept and the runner says why.
    old.put(seat(3, Some("bob"))).send().await.expect("put");
    let new_key = SeatKey::new("e9", 3_u32).into_key_item().expect("key");
    client
        .put_item()
        .table_name(seats.name())
        .set_item(Some(
            new_key
                .into_iter()
                .chain([("holder".to_owned(), AttributeValue::S("carol".into()))])
                .collect(),
        ))
        .send()
        .await
        .expect("partial item");
    let read = raw_seat(old.name(), client, "EVENT#e9", "SEAT#0003")
        .await
        .expect("stored");
    match seats.rekey().move_item(read).await.expect("runs") {
        Moved::Unreadable(why) => assert!(why.contains("both are kept"), "{why}"),
        other => panic!("the old seat must not be deleted: {other:?}"),
    }
    assert!(
        raw_seat(old.name(), client, "EVENT#e9", "SEAT#0003")
            .await
            .is_some(),
        "bob's seat is still there"
    );
}
