//! Re-keying against DynamoDB Local: seats written under `EVENT#{event_id}` move to a sharded
//! template while the application keeps writing; a killed run resumes from its checkpoint, and
//! every seat ends up once, under its new key, as the application last wrote it.

use dynamo_core::testing::DynamoLocal;
use dynamo_core::{DynamoEntity, KeyDef, Table, TableDef};
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
    let db = DynamoLocal::start().await.expect("DynamoDB Local starts");
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
