//! Thousands of concurrent requests on a small seat pool: holds race, winners confirm or
//! cancel while others keep trying, and nothing is ever oversold or left inconsistent.
//!
//! Load tests are run by name, one at a time, so they neither slow down nor are slowed by the
//! other tests (as `scripts/test.sh` does after the other tests):
//! `cargo test -p reservation-service --test api -- --ignored load:: --test-threads=1`.

use crate::helpers::*;
use dynamo_core::testing::PartitionMeter;
use reqwest::StatusCode;
use reservation_service::store::{HoldShard, PendingShard, ReservationStatus};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The service as the load tests run it: holds outlast the test, and a DynamoDB call may wait
/// its turn on the emulator, which hundreds of concurrent transactions make the bottleneck
/// (on a 2-core machine, beyond the 2 s production timeout). What these tests check is that
/// nothing is oversold or published twice, not the emulator's latency.
fn under_load() -> TestAppBuilder {
    TestApp::builder()
        .hold_ttl(Duration::from_secs(600))
        .settings(|s| s.store.timeout = Duration::from_secs(30))
}

#[derive(Debug, Default)]
struct Outcomes {
    held: usize,
    conflicts: usize,
    confirmed: usize,
    cancelled: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a load test: run by name, alone (scripts/test.sh does)"]
async fn two_thousand_concurrent_holds_on_twenty_seats_never_oversell() {
    const POOL: usize = 20;
    const REQUESTS: usize = 2000;
    let app = Arc::new(under_load().spawn().await);
    app.seed("evt_load", (1..=POOL).map(|n| format!("L-{n}")))
        .await;
    let in_flight = Arc::new(Semaphore::new(200));
    let mut tasks = Vec::with_capacity(REQUESTS);
    for i in 0..REQUESTS {
        let app = app.clone();
        let in_flight = in_flight.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = in_flight.acquire_owned().await.expect("semaphore");
            let mut rng = fastrand::Rng::with_seed(i as u64);
            let first = rng.usize(1..=POOL);
            let second = rng.usize(1..=POOL);
            let mut seats = vec![format!("L-{first}")];
            if rng.bool() && second != first {
                seats.push(format!("L-{second}"));
            }
            let seats: Vec<&str> = seats.iter().map(String::as_str).collect();
            let user = format!("user{i}");
            let (status, body, _) = app.hold(&user, "k1", "evt_load", &seats).await;
            let mut outcome = Outcomes::default();
            match status.as_u16() {
                201 => outcome.held += 1,
                409 => {
                    assert_eq!(body["error"]["code"], "INVENTORY_CONFLICT", "{body}");
                    outcome.conflicts += 1;
                    return outcome;
                }
                other => panic!("hold answered {other}: {body}"),
            }
            let id = body["reservation_id"].as_str().expect("id").to_owned();
            match rng.u8(..10) {
                0..5 => {
                    let (status, body, _) = app
                        .post(
                            &format!("/v1/reservations/{id}/confirm"),
                            Some(&user),
                            Some("k2"),
                            Some(json!({"payment_intent_id": format!("pay_{i}")})),
                        )
                        .await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    outcome.confirmed += 1;
                }
                5..8 => {
                    let (status, body, _) = app.cancel(&user, &id, "k2").await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    outcome.cancelled += 1;
                }
                _ => {}
            }
            outcome
        }));
    }
    let mut total = Outcomes::default();
    for task in tasks {
        let o = task.await.expect("no request failed its expectations");
        total.held += o.held;
        total.conflicts += o.conflicts;
        total.confirmed += o.confirmed;
        total.cancelled += o.cancelled;
    }
    assert_eq!(total.held + total.conflicts, REQUESTS, "{total:?}");
    assert!(total.held > POOL / 2, "some holds win: {total:?}");
    assert!(
        total.conflicts > REQUESTS / 2,
        "most lose the race: {total:?}"
    );

    let audit = audit(&app, "evt_load", POOL).await;
    assert_eq!(audit.reservations.len(), total.held, "{total:?}");
    let in_status = |status: ReservationStatus| {
        audit
            .reservations
            .values()
            .filter(move |r| r.status == status)
    };
    assert_eq!(
        in_status(ReservationStatus::Confirmed).count(),
        total.confirmed
    );
    assert_eq!(
        in_status(ReservationStatus::Cancelled).count(),
        total.cancelled
    );
    let sold: usize = in_status(ReservationStatus::Confirmed)
        .map(|r| r.seat_ids.len())
        .sum();
    let held: usize = in_status(ReservationStatus::Hold)
        .map(|r| r.seat_ids.len())
        .sum();
    assert_eq!((audit.sold, audit.held), (sold, held));
    assert!(sold + held <= POOL, "sold {sold} + held {held} > {POOL}");
}

/// Counts how often each event is published, across every replica's relay.
#[derive(Default)]
struct Published(std::sync::Mutex<std::collections::HashMap<String, usize>>);

impl reservation_service::outbox::EventSink for Published {
    fn publish<'a>(
        &'a self,
        events: &'a [reservation_service::store::OutboxEvent],
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Vec<reservation_service::outbox::PublishResult>>
                + Send
                + 'a,
        >,
    > {
        let mut published = self.0.lock().expect("lock");
        for event in events {
            *published.entry(event.outbox_id.clone()).or_default() += 1;
        }
        Box::pin(std::future::ready(vec![Ok(()); events.len()]))
    }

    fn describe(&self) -> String {
        "a counter".into()
    }
}

/// Horizontal scaling: three replicas on one DynamoDB, each with its relay and sweeper,
/// requests spread over them (a reservation is often confirmed or cancelled on another replica
/// than the one that held it). No seat is oversold and every change is published exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a load test: run by name, alone (scripts/test.sh does)"]
async fn three_replicas_never_oversell_and_publish_every_change_once() {
    const POOL: usize = 20;
    const REQUESTS: usize = 900;
    let first = under_load()
        .settings(|s| s.outbox.relay_interval = Duration::from_millis(50))
        .spawn()
        .await;
    let mut replicas = vec![first];
    for _ in 0..2 {
        let db = replicas[0].db.clone();
        // One time for all: a replica whose clock ran ahead would write events the others
        // (and the final relay below) see as not yet due.
        let clock = replicas[0].clock.clone();
        replicas.push(
            under_load()
                .settings(|s| s.outbox.relay_interval = Duration::from_millis(50))
                .database(db)
                .clock(&clock)
                .without_tables()
                .spawn()
                .await,
        );
    }
    let replicas = Arc::new(replicas);
    replicas[0]
        .seed("evt_scale", (1..=POOL).map(|n| format!("L-{n}")))
        .await;
    let published = Arc::new(Published::default());
    let workers: Vec<_> = replicas
        .iter()
        .map(|app| app.state.spawn_workers(published.clone()))
        .collect();
    let in_flight = Arc::new(Semaphore::new(96));
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let (replicas, in_flight) = (replicas.clone(), in_flight.clone());
            tokio::spawn(async move {
                let _permit = in_flight.acquire_owned().await.expect("semaphore");
                let mut rng = fastrand::Rng::with_seed(i as u64);
                let seat = format!("L-{}", rng.usize(1..=POOL));
                let user = format!("user{i}");
                let app = &replicas[i % 3];
                let (status, body, _) = app.hold(&user, "k1", "evt_scale", &[&seat]).await;
                if status == StatusCode::CONFLICT {
                    assert_eq!(body["error"]["code"], "INVENTORY_CONFLICT", "{body}");
                    return 0;
                }
                assert_eq!(status, StatusCode::CREATED, "{body}");
                let id = body["reservation_id"].as_str().expect("id").to_owned();
                // The next step goes to another replica.
                let other = &replicas[(i + 1) % 3];
                let (status, body, _) = if rng.bool() {
                    other.confirm(&user, &id, "k2", &format!("pay_{i}")).await
                } else {
                    other.cancel(&user, &id, "k2").await
                };
                assert_eq!(status, StatusCode::OK, "{body}");
                1
            })
        })
        .collect();
    let mut held = 0;
    for task in tasks {
        held += task.await.expect("no request failed its expectations");
    }
    for workers in workers {
        workers.stop().await;
    }
    // What the relays left (events committed after their last pass) is published now: passes
    // until one finds nothing due (a pass reads at most `per_shard` events of each shard).
    let relay = replicas[0].state.relay(published.clone());
    for _ in 0..20 {
        let pass = relay.pass().await.expect("pass");
        if pass.due == 0 {
            break;
        }
    }
    assert!(held >= POOL / 2, "{held} holds won");

    let audit = audit(&replicas[0], "evt_scale", POOL).await;
    assert_eq!(audit.reservations.len(), held);
    assert!(audit.sold + audit.held <= POOL);
    let events = replicas[0]
        .table::<reservation_service::store::OutboxEvent>()
        .scan()
        .all()
        .await
        .expect("scans the outbox");
    let published = published.0.lock().expect("lock");
    for event in &events {
        assert_eq!(
            published.get(&event.outbox_id),
            Some(&1),
            "{} ({}) must be published exactly once",
            event.outbox_id,
            event.event_type
        );
    }
    assert_eq!(published.len(), events.len());
}

/// Seed 003's mix at 30,000 requests per second, every hold on one event, replayed through the
/// service's real code in virtual time with every DynamoDB request billed per partition key
/// (`testing::PartitionMeter`). The hot event's seats are spread over 256 shards: the busiest
/// takes under half a partition's 1,000 write units per second (before sharding, the event's one
/// seats partition was projected at 53,000). A short run samples each shard too thinly to
/// project it alone: the family's rate is measured (every seat write), and the busiest shard's
/// share of it is its share of the seats, from the documented shard function. The three work and status indexes are still over:
/// the test names them, so that it fails, and is updated, when they are re-keyed.
/// The hot event's seats.
const SEATS: usize = 2_000;

/// Journey `i` on the hot event: its requests' answers. Each request is one tick of the meter's
/// virtual time.
async fn journey(
    app: &TestApp,
    meter: &PartitionMeter,
    i: usize,
) -> Vec<(StatusCode, serde_json::Value)> {
    let mut rng = fastrand::Rng::with_seed(i as u64);
    let (a, b) = (rng.usize(1..=SEATS), rng.usize(1..=SEATS));
    let seats = if a == b || rng.bool() {
        vec![format!("H-{a}")]
    } else {
        vec![format!("H-{a}"), format!("H-{b}")]
    };
    let seats: Vec<&str> = seats.iter().map(String::as_str).collect();
    let user = format!("fan{i}");
    meter.tick();
    let (status, body, _) = app.hold(&user, "k1", "evt_hot", &seats).await;
    let mut answers = vec![(status, body.clone())];
    if status != StatusCode::CREATED {
        return answers;
    }
    let id = body["reservation_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    meter.tick();
    let (status, body, _) = app.get(&format!("/v1/reservations/{id}"), &user).await;
    answers.push((status, body));
    let roll = rng.f64();
    if roll < 0.75 {
        let payment = json!({"payment_intent_id": format!("pay_{i}")});
        meter.tick();
        let path = format!("/v1/reservations/{id}/confirm");
        let (status, body, _) = app
            .post(&path, Some(&user), Some("k2"), Some(payment))
            .await;
        answers.push((status, body));
    } else if roll < 0.85 {
        meter.tick();
        let (status, body, _) = app.cancel(&user, &id, "k2").await;
        answers.push((status, body));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a load test: run by name, alone (scripts/test.sh does)"]
async fn one_hot_event_at_30k_rps_under_the_partition_meter() {
    const RPS: f64 = 30_000.0;
    const JOURNEYS: usize = 800;
    let meter = PartitionMeter::new().virtual_time(RPS);
    let app = Arc::new(under_load().metered(&meter).spawn().await);
    app.seed("evt_hot", (1..=SEATS).map(|n| format!("H-{n}")))
        .await;
    meter.reset();
    let started = std::time::Instant::now();
    // Journeys: a hold of one or two seats; when it wins, a read of it, then a confirmation
    // (75 %), a cancellation (10 %), or nothing, so that it expires (15 %).
    let in_flight = Arc::new(Semaphore::new(32));
    let mut tasks = Vec::with_capacity(JOURNEYS);
    for i in 0..JOURNEYS {
        let (app, meter, in_flight) = (app.clone(), meter.clone(), in_flight.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = in_flight.acquire_owned().await.expect("semaphore");
            journey(&app, &meter, i).await
        }));
    }
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for task in tasks {
        for (status, body) in task.await.expect("the journey runs") {
            assert!(!status.is_server_error(), "{status}: {body}");
            *answered.entry(status.as_u16()).or_default() += 1;
        }
    }
    // The workers' share: the holds left open expire, and every event is published.
    app.end_holds();
    while app.state.reservations.sweep(100).await.expect("sweeps") > 0 {}
    let relay = app
        .state
        .relay(Arc::new(reservation_service::outbox::LogSink));
    while relay.pass().await.expect("relay pass").published > 0 {}
    let report = meter.report();
    let wall = started.elapsed().as_secs_f64();
    let per_second = |units: f64| units / report.seconds;
    let sent: usize = answered.values().sum();
    println!(
        "{sent} API requests ({} DynamoDB requests) in {:.3} virtual seconds at {RPS} requests/s; \
         answers {answered:?}; on this endpoint {wall:.1} s of wall time, {:.0} DynamoDB requests a second\n\n| table | index | partition key | WCU/s | RCU/s |\n|---|---|---|---:|---:|",
        report.requests,
        report.seconds,
        report.requests as f64 / wall
    );
    let mut keys = report.keys.clone();
    keys.sort_by(|a, b| b.write_units.total_cmp(&a.write_units));
    for k in keys.iter().take(8) {
        println!(
            "| {} | {} | `{}` | {:.0} | {:.0} |",
            k.key.table.trim_start_matches(app.prefix()),
            k.key.index.as_deref().unwrap_or("-"),
            k.key.value,
            per_second(k.write_units),
            per_second(k.read_units)
        );
    }
    let seat_keys = || {
        keys.iter()
            .filter(|k| k.key.table.ends_with("reservation-seats") && k.key.index.is_none())
    };
    let family = per_second(seat_keys().map(|k| k.write_units).sum());
    let family_reads = per_second(seat_keys().map(|k| k.read_units).sum());
    let sampled = seat_keys()
        .map(|k| per_second(k.write_units))
        .fold(0.0, f64::max);
    let mut per_shard = vec![0usize; 256];
    for n in 1..=SEATS {
        per_shard[dynamo_core::keys::shard_of(&format!("H-{n}"), 256) as usize] += 1;
    }
    let busiest = per_shard.iter().copied().max().unwrap_or(0) as f64 / SEATS as f64;
    println!(
        "\nseats: {family:.0} WCU/s and {family_reads:.0} RCU/s over {} shards; the busiest shard \
         holds {:.1} % of the seats: {:.0} WCU/s, {:.0} RCU/s (the sample's busiest: {sampled:.0})",
        seat_keys().count(),
        100.0 * busiest,
        family * busiest,
        family_reads * busiest
    );
    assert!(
        family > 20_000.0,
        "the hot event's seats take most writes: {family:.0}"
    );
    assert!(
        family * busiest < 500.0 && family_reads * busiest < 1_500.0,
        "the hot event's busiest seats shard is projected at {:.0} WCU/s",
        family * busiest
    );
    // Every family's busiest key, projected to one second at 30k RPS: the seats by their share
    // of the seats (above); a work index's shard, which writers pick at random, as the busiest
    // of N keys of a Poisson load (its mean plus three deviations); every other key (random
    // ids) as sampled.
    let mut families: std::collections::BTreeMap<String, (f64, f64, usize)> = Default::default();
    for k in &keys {
        let table = k.key.table.trim_start_matches(app.prefix()).to_owned();
        let index = k.key.index.clone().unwrap_or_else(|| "-".into());
        let family = match k.key.value.split_once('#') {
            Some((prefix, _)) if k.key.index.is_some() => format!("{table} {index} {prefix}#"),
            _ => format!("{table} {index} {}", k.key.value),
        };
        let entry = families.entry(family).or_default();
        entry.0 += per_second(k.write_units);
        entry.1 += per_second(k.read_units);
        entry.2 += 1;
    }
    // Each key family's mean key and its hottest key, as sampled: a family is a table or
    // index with its key's labels kept (`HOLD#*`; `*#*` for a shard and an event).
    let mut sampled: std::collections::BTreeMap<String, (usize, f64, f64)> = Default::default();
    for k in &keys {
        let shape: Vec<&str> = k
            .key
            .value
            .split('#')
            .map(|part| {
                let label =
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_uppercase() || c == '_');
                if label { part } else { "*" }
            })
            .collect();
        let family = format!(
            "{} {} {}",
            k.key.table.trim_start_matches(app.prefix()),
            k.key.index.as_deref().unwrap_or("-"),
            shape.join("#")
        );
        let entry = sampled.entry(family).or_default();
        entry.0 += 1;
        entry.1 += per_second(k.write_units);
        entry.2 = entry.2.max(per_second(k.write_units));
    }
    println!(
        "\n| key family | keys | mean WCU/s per key | hottest key WCU/s |\n|---|---:|---:|---:|"
    );
    for (family, (keys, writes, hottest)) in &sampled {
        println!(
            "| {family} | {keys} | {:.1} | {hottest:.0} |",
            writes / *keys as f64
        );
    }
    let busiest_of = |family: f64, shards: f64| {
        let mean = family / shards;
        mean + 3.0 * mean.sqrt()
    };
    let mut projected = vec![(
        "seats (256 shards)".to_owned(),
        family * busiest,
        family_reads * busiest,
    )];
    for (name, (writes, reads, _)) in &families {
        let work = [
            ("HOLD#", f64::from(HoldShard::COUNT)),
            ("PENDING#", f64::from(PendingShard::COUNT)),
        ]
        .into_iter()
        .find(|(prefix, _)| name.ends_with(prefix));
        match work {
            Some((_, shards)) => projected.push((
                format!("{name} ({shards} shards)"),
                busiest_of(*writes, shards),
                busiest_of(*reads, shards),
            )),
            None if !name.contains("reservation-seats") => {
                projected.push((name.clone(), *writes, *reads));
            }
            None => {}
        }
    }
    projected.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("\n| busiest key of | WCU/s | RCU/s |\n|---|---:|---:|");
    for (name, w, r) in projected.iter().take(6) {
        println!("| {name} | {w:.0} | {r:.0} |");
    }
    for (name, w, r) in &projected {
        assert!(
            *w < 500.0 && *r < 1_500.0,
            "{name}: the busiest key is projected at {w:.0} WCU/s and {r:.0} RCU/s"
        );
    }
    // Every key family at most 30 % of a partition's 1,000 WCU/s: each sharded family's mean
    // over all of its shards (the sampled keys' spread around it is the sample's noise), every
    // other family's mean key as sampled.
    println!("\n| key family | mean WCU/s per key | of a partition |\n|---|---:|---:|");
    let mut over = Vec::new();
    for (name, (keys, writes, _)) in &sampled {
        let shards = if name.contains("reservation-seats") {
            256.0
        } else if name.ends_with("HOLD#*") {
            f64::from(HoldShard::COUNT)
        } else if name.ends_with("PENDING#*") {
            f64::from(PendingShard::COUNT)
        } else {
            *keys as f64
        };
        let mean = writes / shards;
        println!("| {name} | {mean:.0} | {:.1} % |", mean / 10.0);
        if mean > 300.0 {
            over.push(format!("{name}: {mean:.0} WCU/s per key"));
        }
    }
    assert!(
        over.is_empty(),
        "key families over 30 % of a partition: {over:?}"
    );
}
