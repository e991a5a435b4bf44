//! `docs/scale.md`'s simulation: one second of seed 003's 30,000 requests, events drawn from a
//! Zipf distribution, every write and read priced the way DynamoDB bills it, on the partition
//! keys the service's own entities and shard functions produce. It reports, per key family,
//! the hottest key's load against DynamoDB's per-partition limits (a partition key never
//! spans partitions), and checks the conclusions `docs/scale.md` draws from it.
//!
//! `cargo test -p reservation-service --test api scale -- --nocapture` prints the report.

use dynamo_core::{AttributeValue, Entity, Item};
use reservation_service::domain::request::new_id;
use reservation_service::domain::{ReservationId, ReservationStatus};
use reservation_service::store::{
    IdempotencyRecord, IdempotencyStatus, Order, OrderStatus, OutboxEvent, Reservation, Seat,
    SeatState, hold_shard,
};
use std::collections::HashMap;
use time::OffsetDateTime;

/// Seed 003's target.
const RPS: usize = 30_000;
/// Events on sale at once.
const EVENTS: usize = 1_000;
/// Seats per event and per hold.
const SEATS: usize = 2_000;
const SEATS_PER_HOLD: usize = 2;
/// DynamoDB's per-partition limits, and the share of them the design may use.
const WCU_LIMIT: f64 = 1_000.0;
const RCU_LIMIT: f64 = 3_000.0;
const MARGIN: f64 = 0.5;

/// The request mix (shares of `RPS`); holds neither confirmed nor cancelled expire.
const MIX: [(Op, f64); 4] = [
    (Op::Hold, 0.25),
    (Op::Confirm, 0.20),
    (Op::Cancel, 0.025),
    (Op::Get, 0.525),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Hold,
    Confirm,
    Cancel,
    Get,
}

/// Load per partition key, by key family (`seats pk`, `reservations GSI2`, ...).
#[derive(Default)]
struct Load {
    wcu: HashMap<(&'static str, String), f64>,
    rcu: HashMap<(&'static str, String), f64>,
}

impl Load {
    fn write(&mut self, family: &'static str, key: &str, wcu: f64) {
        *self.wcu.entry((family, key.to_owned())).or_default() += wcu;
    }

    fn read(&mut self, family: &'static str, key: &str, rcu: f64) {
        *self.rcu.entry((family, key.to_owned())).or_default() += rcu;
    }

    /// Per family: (hottest key, its load, the family's total).
    fn hottest(
        map: &HashMap<(&'static str, String), f64>,
    ) -> Vec<(&'static str, String, f64, f64)> {
        let mut families: HashMap<&'static str, (String, f64, f64)> = HashMap::new();
        for ((family, key), load) in map {
            let entry = families.entry(family).or_insert((String::new(), 0.0, 0.0));
            entry.2 += load;
            if *load > entry.1 {
                (entry.0, entry.1) = (key.clone(), *load);
            }
        }
        let mut out: Vec<_> = families
            .into_iter()
            .map(|(family, (key, max, total))| (family, key, max, total))
            .collect();
        out.sort_by(|a, b| b.2.total_cmp(&a.2));
        out
    }
}

/// Draws from Zipf(`s`) over `n` ranks (0 is the most popular).
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let weights: Vec<f64> = (1..=n).map(|k| 1.0 / (k as f64).powf(s)).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        Zipf(
            weights
                .iter()
                .map(|w| {
                    acc += w / total;
                    acc
                })
                .collect(),
        )
    }

    fn sample(&self, rng: &mut fastrand::Rng) -> usize {
        let u = rng.f64();
        self.0.partition_point(|c| *c < u).min(self.0.len() - 1)
    }
}

/// An index key the item may not have (an index its entity no longer writes).
fn index_key(item: &Item, attribute: &str) -> Option<String> {
    item.contains_key(attribute)
        .then(|| string(item, attribute))
}

fn string(item: &Item, attribute: &str) -> String {
    match item.get(attribute) {
        Some(AttributeValue::S(s)) => s.clone(),
        other => panic!("{attribute} is {other:?}"),
    }
}

/// The keys the service writes for a reservation of `event` by `user`, from the entity itself.
fn reservation(event: &str, user: &str, seats: &[String], now: OffsetDateTime) -> Item {
    Reservation {
        reservation_id: ReservationId::new().to_string(),
        event_id: event.to_owned(),
        user_id: user.to_owned(),
        status: ReservationStatus::Hold,
        seat_ids: seats.to_vec(),
        quantity: 2,
        total_price: Some(50_000),
        currency: Some("KRW".into()),
        hold_expires_at: now,
        idempotency_key: "k".into(),
        order_id: None,
        created_at: now,
        updated_at: now,
        hold_shard: Some(hold_shard()),
        gsi2sk: Some(now.unix_timestamp()),
    }
    .into_item()
    .expect("maps")
}

/// The seat's partition key: the entity's (sharded), or with `legacy` the one before sharding
/// (the event id itself).
fn seat_key(event: &str, seat: &str, now: OffsetDateTime, legacy: bool) -> String {
    if legacy {
        return event.to_owned();
    }
    string(
        &Seat {
            event_id: event.to_owned(),
            seat_id: seat.to_owned(),
            state: SeatState::Available,
            holder: None,
            hold_expires_at: None,
            updated_at: now,
            price: Some(25_000),
            currency: Some("KRW".into()),
        }
        .into_item()
        .expect("maps"),
        "pk",
    )
}

fn outbox_keys(aggregate: &str, now: OffsetDateTime) -> (String, String) {
    let item = OutboxEvent::pending("reservation.hold.created", aggregate, "{}".into(), now, 0)
        .into_item()
        .expect("maps");
    (string(&item, "pk"), string(&item, "gsi1pk"))
}

fn idempotency_key(user: &str, key: &str, now: i64) -> String {
    string(
        &IdempotencyRecord {
            user_id: user.to_owned(),
            idempotency_key: key.to_owned(),
            request_hash: "h".into(),
            status: IdempotencyStatus::Completed,
            owner: String::new(),
            lock_expires_at: now,
            response_status: Some(201),
            response_body: Some("{}".into()),
            ttl: now,
        }
        .into_item()
        .expect("maps"),
        "pk",
    )
}

fn order_index_key(event: &str, user: &str, now: OffsetDateTime) -> (String, Option<String>) {
    let item = Order {
        order_id: new_id("ord"),
        reservation_id: ReservationId::new().to_string(),
        event_id: event.to_owned(),
        user_id: user.to_owned(),
        seat_ids: vec![],
        status: OrderStatus::Confirmed,
        payment_intent_id: "pay".into(),
        total_amount: Some(50_000),
        currency: Some("KRW".into()),
        created_at: now,
    }
    .into_item()
    .expect("maps");
    (string(&item, "pk"), index_key(&item, "gsi1pk"))
}

/// One event published by the relay: claimed (the lease changes the item and its index
/// entry), then marked published (the item changes and leaves the index).
fn relay(load: &mut Load, outbox: &(String, String)) {
    load.write("outbox pk", &outbox.0, 2.0);
    load.write("outbox GSI1", &outbox.1, 2.0);
}

/// One second at `RPS` with events drawn from Zipf(`s`).
fn simulate(s: f64, legacy_seats: bool) -> Load {
    let zipf = Zipf::new(EVENTS, s);
    let mut rng = fastrand::Rng::with_seed(7);
    let now = OffsetDateTime::now_utc();
    let mut load = Load::default();
    let mut ops: Vec<Op> = Vec::with_capacity(RPS);
    for (op, share) in MIX {
        ops.extend(std::iter::repeat_n(op, (share * RPS as f64) as usize));
    }
    let expiries = {
        let count = |o: Op| ops.iter().filter(|x| **x == o).count();
        count(Op::Hold) - count(Op::Confirm) - count(Op::Cancel)
    };
    for (i, op) in ops.iter().copied().enumerate() {
        let event = format!("evt_{}", zipf.sample(&mut rng));
        let user = format!("user_{}", rng.u32(..1_000_000));
        let seats: Vec<String> = (0..SEATS_PER_HOLD)
            .map(|_| format!("A-{}", rng.usize(..SEATS)))
            .collect();
        let item = reservation(&event, &user, &seats, now);
        let (pk, gsi1, gsi2) = (
            string(&item, "pk"),
            index_key(&item, "gsi1pk"),
            string(&item, "gsi2pk"),
        );
        let idem = idempotency_key(&user, &format!("k{i}"), now.unix_timestamp());
        let outbox = outbox_keys(&pk, now);
        match op {
            Op::Get => load.read("reservations pk", &pk, 1.0),
            Op::Hold => {
                for seat in &seats {
                    let key = seat_key(&event, seat, now, legacy_seats);
                    load.read("seats pk", &key, 0.5);
                    load.write("seats pk", &key, 2.0);
                }
                load.write("reservations pk", &pk, 2.0);
                if let Some(gsi1) = &gsi1 {
                    load.write("reservations GSI1", gsi1, 1.0);
                }
                load.write("reservations GSI2", &gsi2, 1.0);
                load.write("outbox pk", &outbox.0, 2.0);
                load.write("outbox GSI1", &outbox.1, 1.0);
                load.write("idempotency pk", &idem, 2.0);
                relay(&mut load, &outbox);
            }
            Op::Confirm | Op::Cancel => {
                load.write("idempotency pk", &idem, 1.0 + 2.0);
                load.read("reservations pk", &pk, 1.0);
                for seat in &seats {
                    let key = seat_key(&event, seat, now, legacy_seats);
                    if op == Op::Cancel {
                        load.read("seats pk", &key, 1.0);
                    }
                    load.write("seats pk", &key, 2.0);
                }
                load.write("reservations pk", &pk, 2.0);
                if let Some(gsi1) = &gsi1 {
                    load.write("reservations GSI1", gsi1, 1.0);
                }
                load.write("reservations GSI2", &gsi2, 1.0);
                if op == Op::Confirm {
                    let (order, status) = order_index_key(&event, &user, now);
                    load.write("orders pk", &order, 2.0);
                    if let Some(status) = &status {
                        load.write("orders GSI1", status, 1.0);
                    }
                }
                load.write("outbox pk", &outbox.0, 2.0);
                load.write("outbox GSI1", &outbox.1, 1.0);
                relay(&mut load, &outbox);
            }
        }
    }
    // The sweeper's expiries: a consistent read of the seats, then seats, reservation and event.
    for _ in 0..expiries {
        let event = format!("evt_{}", zipf.sample(&mut rng));
        let user = format!("user_{}", rng.u32(..1_000_000));
        let item = reservation(&event, &user, &[], now);
        let (pk, gsi1, gsi2) = (
            string(&item, "pk"),
            index_key(&item, "gsi1pk"),
            string(&item, "gsi2pk"),
        );
        for _ in 0..SEATS_PER_HOLD {
            let key = seat_key(
                &event,
                &format!("A-{}", rng.usize(..SEATS)),
                now,
                legacy_seats,
            );
            load.read("seats pk", &key, 1.0);
            load.write("seats pk", &key, 2.0);
        }
        load.write("reservations pk", &pk, 2.0);
        if let Some(gsi1) = &gsi1 {
            load.write("reservations GSI1", gsi1, 1.0);
        }
        load.write("reservations GSI2", &gsi2, 1.0);
        let outbox = outbox_keys(&pk, now);
        load.write("outbox pk", &outbox.0, 2.0);
        load.write("outbox GSI1", &outbox.1, 1.0);
        relay(&mut load, &outbox);
    }
    load
}

fn report(title: &str, load: &Load) {
    println!("\n{title}");
    println!("| key family | hottest key | WCU/s | of limit | family WCU/s | share |");
    println!("|---|---|---:|---:|---:|---:|");
    for (family, key, max, total) in Load::hottest(&load.wcu) {
        println!(
            "| {family} | `{key}` | {max:.0} | {:.0} % | {total:.0} | {:.1} % |",
            100.0 * max / WCU_LIMIT,
            100.0 * max / total
        );
    }
    for (family, key, max, _) in Load::hottest(&load.rcu) {
        println!(
            "| {family} (reads) | `{key}` | {max:.0} RCU/s | {:.0} % | | |",
            100.0 * max / RCU_LIMIT
        );
    }
    let wcu: f64 = load.wcu.values().sum();
    let rcu: f64 = load.rcu.values().sum();
    println!("total: {wcu:.0} WCU/s, {rcu:.0} RCU/s");
}

fn hottest(load: &Load, family: &str) -> f64 {
    Load::hottest(&load.wcu)
        .into_iter()
        .find(|(f, ..)| *f == family)
        .map_or(0.0, |(_, _, max, _)| max)
}

/// The families `docs/scale.md` says must change, and the others that must stay within the
/// limit with margin, for a hot event (Zipf 2: the hottest event takes about 60 % of requests).
#[test]
fn thirty_thousand_requests_per_second_by_partition() {
    let typical = simulate(1.0, false);
    let hot = simulate(2.0, false);
    report("Zipf s = 1.0 (1,000 events)", &typical);
    report("Zipf s = 2.0 (a hot event)", &hot);

    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/scale.md"))
        .expect("docs/scale.md");
    let must_change = doc
        .split("## What must change")
        .nth(1)
        .expect("docs/scale.md has a 'What must change' section");
    let reads = Load::hottest(&hot.rcu);
    for (family, _, max, _) in Load::hottest(&hot.wcu) {
        let read = reads
            .iter()
            .find(|(f, ..)| *f == family)
            .map_or(0.0, |(_, _, max, _)| *max);
        if max > WCU_LIMIT * MARGIN || read > RCU_LIMIT * MARGIN {
            assert!(
                must_change.contains(&format!("`{family}`")),
                "{family} takes {max:.0} WCU/s and {read:.0} RCU/s on one key: docs/scale.md must say what changes"
            );
        } else {
            assert!(
                !must_change.contains(&format!("`{family}`")),
                "{family} is within its limits ({max:.0} WCU/s, {read:.0} RCU/s): docs/scale.md lists it as a change"
            );
        }
    }

    // The seats' sharding keeps the hot event's seats within the limit; the same load on the
    // keys from before it (the event id as the seats' partition key) does not.
    let seats = hottest(&hot, "seats pk");
    assert!(
        seats <= WCU_LIMIT * MARGIN,
        "{seats:.0} WCU/s on one seat shard"
    );
    let seat_reads = Load::hottest(&hot.rcu)
        .into_iter()
        .find(|(f, ..)| *f == "seats pk")
        .map_or(0.0, |(_, _, max, _)| max);
    assert!(
        seat_reads <= RCU_LIMIT * MARGIN,
        "{seat_reads:.0} RCU/s on one seat shard"
    );
    let before = simulate(2.0, true);
    report("Zipf s = 2.0, the seats' keys before sharding", &before);
    assert!(
        hottest(&before, "seats pk") > WCU_LIMIT,
        "a hot event's seats exceeded one partition before sharding"
    );
}
