//! The partition meter against the emulator: writes and reads billed per partition key value
//! as DynamoDB bills them (index entries, transactions, queries), a hot key told from a sharded
//! one, and the limiter answering as DynamoDB does.

use dynamo_core::testing::{Emulator, Limits, PartitionMeter};
use dynamo_core::{DynamoEntity, IndexDef, KeyDef, Table, TableDef, TransactWrite};

const TICKETING: TableDef = TableDef::new("metered", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )]);

/// Every seat of an event in one partition, held seats by holder in GSI1.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = TICKETING,
    pk = "EVENT#{event_id}",
    sk = "SEAT#{seat_no:4}",
    gsi(GSI1, pk = "HOLDER#{holder}", sk = "{seat_no:4}")
)]
struct Seat {
    event_id: String,
    seat_no: u32,
    holder: Option<String>,
}

/// The same seats over 16 shards.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "SHARDED#{event_id}#{shard(seat_no):16}", sk = "SEAT#{seat_no:4}")]
struct ShardedSeat {
    event_id: String,
    seat_no: u32,
}

async fn metered<E: dynamo_core::Entity>(db: &Emulator, meter: &PartitionMeter) -> Table<E> {
    let name = db.table::<E>().name().to_owned();
    Table::<E>::new(&meter.wrap(db.client())).named(name)
}

#[tokio::test]
async fn writes_and_reads_are_billed_per_partition_key_value() {
    let db = Emulator::start().await.expect("the emulator starts");
    db.create::<Seat>().await.expect("created");
    let meter = PartitionMeter::new().virtual_time(100.0);
    let seats = metered::<Seat>(&db, &meter).await;
    let sharded = metered::<ShardedSeat>(&db, &meter).await;
    for n in 0..160u32 {
        seats
            .put(Seat {
                event_id: "e1".into(),
                seat_no: n,
                holder: None,
            })
            .send()
            .await
            .expect("put");
        sharded
            .put(ShardedSeat {
                event_id: "e1".into(),
                seat_no: n,
            })
            .send()
            .await
            .expect("put");
        meter.tick();
    }
    let report = meter.report();
    let hot = report.hottest_of("metered", None).expect("billed");
    assert_eq!(hot.key.value, "EVENT#e1");
    assert_eq!(hot.write_units, 160.0, "one unit per small item");
    // 100 requests per virtual second: the busiest second took 100 seats' writes.
    assert_eq!(hot.peak_write_units, 100.0);
    let busiest_shard = report
        .keys
        .iter()
        .filter(|k| k.key.value.starts_with("SHARDED#"))
        .map(|k| k.peak_write_units)
        .fold(0.0, f64::max);
    assert!(
        busiest_shard <= 25.0,
        "16 shards spread 100 writes a second: the busiest took {busiest_shard}\n{report}"
    );
    assert_eq!(
        report
            .keys
            .iter()
            .filter(|k| k.key.value.starts_with("SHARDED#"))
            .count(),
        16
    );

    // An index entry is billed on its index key, the old one too when it moves.
    meter.reset();
    let key = SeatKey::new("e1", 7u32);
    seats
        .update(key.clone())
        .set_index_keys(SeatGsi1Keys {
            holder: Some("alice".to_owned()),
        })
        .send()
        .await
        .expect("held");
    seats
        .update(key)
        .set_index_keys(SeatGsi1Keys {
            holder: Some("bob".to_owned()),
        })
        .send()
        .await
        .expect("moved");
    let report = meter.report();
    let units = |value: &str, index: Option<&str>| {
        report
            .keys
            .iter()
            .find(|k| k.key.value == value && k.key.index.as_deref() == index)
            .map(|k| k.write_units)
    };
    assert_eq!(units("EVENT#e1", None), Some(2.0));
    assert_eq!(
        units("HOLDER#alice", Some("GSI1")),
        Some(2.0),
        "entered, then left"
    );
    assert_eq!(units("HOLDER#bob", Some("GSI1")), Some(1.0));

    // A transaction bills twice; a query per 4 KB it returns, half when eventually consistent.
    meter.reset();
    let mut tx = TransactWrite::new(db.client());
    tx.add(seats.put(Seat {
        event_id: "e2".into(),
        seat_no: 1,
        holder: None,
    }));
    tx.send().await.expect("unmetered transaction");
    let mut tx = TransactWrite::new(&meter.wrap(db.client()));
    tx.add(seats.put(Seat {
        event_id: "e3".into(),
        seat_no: 1,
        holder: None,
    }));
    tx.send().await.expect("transaction");
    let all = seats
        .query(SeatPartition::new("e1"))
        .all()
        .await
        .expect("query");
    assert_eq!(all.len(), 160);
    let report = meter.report();
    assert_eq!(units_of(&report, "EVENT#e3", None).0, 2.0);
    assert_eq!(
        units_of(&report, "EVENT#e2", None).0,
        0.0,
        "unmetered client"
    );
    let read = units_of(&report, "EVENT#e1", None).1;
    assert!(
        (0.5..=2.0).contains(&read),
        "160 small seats are under 8 KB: {read}"
    );
}

fn units_of(
    report: &dynamo_core::testing::MeterReport,
    value: &str,
    index: Option<&str>,
) -> (f64, f64) {
    report
        .keys
        .iter()
        .find(|k| k.key.value == value && k.key.index.as_deref() == index)
        .map_or((0.0, 0.0), |k| (k.write_units, k.read_units))
}

#[tokio::test]
async fn the_limiter_throttles_a_hot_key_as_dynamodb_does() {
    let db = Emulator::start().await.expect("the emulator starts");
    db.create::<Seat>().await.expect("created");
    let meter = PartitionMeter::new().virtual_time(1_000.0).limit(Limits {
        write_units: 5.0,
        read_units: 3_000.0,
    });
    let seats = metered::<Seat>(&db, &meter).await;
    let seat = |n: u32| Seat {
        event_id: "e1".into(),
        seat_no: n,
        holder: None,
    };
    for n in 0..5 {
        seats.put(seat(n)).send().await.expect("within the limit");
    }
    let err = seats.put(seat(5)).send().await.expect_err("over the limit");
    assert!(err.is_throttled(), "{err}");
    let reasons = err.throttle_reasons();
    assert_eq!(
        reasons[0].reason, "TableWriteKeyRangeThroughputExceeded",
        "{err}"
    );
    assert!(reasons[0].is_hot_key());

    // In a transaction: canceled with a ThrottlingError on the hot item's write.
    let mut tx = TransactWrite::new(&meter.wrap(db.client()));
    tx.add(seats.put(Seat {
        event_id: "cold".into(),
        seat_no: 1,
        holder: None,
    }));
    let hot = tx.add(seats.put(seat(6)));
    let err = tx.send().await.expect_err("throttled");
    assert!(err.is_throttled(), "{err}");
    let canceled = err.cancellation().expect("a cancellation");
    assert!(
        canceled.reason(hot).is_some_and(|r| r.code.is_throttling()),
        "{err}"
    );

    // A new (virtual) second: the key takes writes again.
    for _ in 0..1_000 {
        meter.tick();
    }
    seats.put(seat(7)).send().await.expect("the next second");
    let report = meter.report();
    assert!(report.throttled >= 2, "{report}");
    assert_eq!(
        report.hottest().map(|k| k.key.value.as_str()),
        Some("EVENT#e1")
    );
}
