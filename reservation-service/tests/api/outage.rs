//! DynamoDB unavailable. Stopped in the middle of load and restarted on the same data: clients get
//! 503/504 with codes (never a 500 or internals), and afterwards every reservation has its
//! seats, every held seat its reservation, and every committed change its outbox event.

use crate::helpers::*;
use dynamo_core::client::ClientBuilder;
use dynamo_core::testing::{Emulator, EmulatorProcess};
use reservation_service::outbox::{LogSink, RelayConfig};
use reservation_service::store::{ALL, OutboxEvent, OutboxStatus};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Seats enough that holds can still succeed after the restart, however many were made while
/// DynamoDB was being stopped (a busy machine stops it slowly while the clients go on).
const POOL: usize = 200;
/// How long each phase may take before the test fails instead of waiting forever.
const PHASE: Duration = Duration::from_secs(180);
const LEAKS: [&str; 8] = [
    "dispatch",
    "connect",
    "127.0.0.1",
    "hyper",
    "io error",
    "Sdk",
    "DynamoDB",
    "timed out after",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dynamodb_outage_mid_load_loses_nothing_and_leaks_nothing() {
    let mut process = EmulatorProcess::start().expect("the emulator starts");
    // The tables are created with the default, patient timeouts: a CreateTable that times out
    // on a busy machine after DynamoDB created the table would fail its retry.
    let setup = ClientBuilder::default()
        .endpoint(process.endpoint())
        .region("us-east-1")
        .build()
        .await
        .expect("client");
    // The service's client gives up quickly, so the outage shows as 503/504 answers.
    let client = ClientBuilder::default()
        .endpoint(process.endpoint())
        .region("us-east-1")
        .connect_timeout(Duration::from_millis(500))
        .attempt_timeout(Duration::from_secs(1))
        .operation_timeout(Duration::from_secs(2))
        .max_attempts(2)
        .build()
        .await
        .expect("client");
    let prefix = "outage-";
    for def in &ALL {
        dynamo_core::schema::create_table(&setup, def, &format!("{prefix}{}", def.name))
            .await
            .expect("table created");
    }
    let app = Arc::new(
        TestApp::builder()
            .database(Emulator::attach(process.endpoint(), client.clone(), prefix))
            .without_tables()
            .hold_ttl(Duration::from_secs(600))
            .settings(|s| s.server.request_timeout = Duration::from_secs(3))
            .spawn()
            .await,
    );
    app.seed("evt_outage", (1..=POOL).map(|n| format!("O-{n}")))
        .await;

    // Sixteen clients. DynamoDB is killed once 20 holds were acknowledged, restarted once 16
    // requests failed against it, and the clients go on until 20 more holds were acknowledged.
    let statuses: Arc<Mutex<BTreeMap<(u16, String), usize>>> = Arc::default();
    let acknowledged: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let (progress, mut seen) = watch::channel(Progress::default());
    let phase = Arc::new(Mutex::new(0usize));
    let done = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..16 {
        let (app, statuses, acknowledged, progress, phase, done) = (
            app.clone(),
            statuses.clone(),
            acknowledged.clone(),
            progress.clone(),
            phase.clone(),
            done.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(w);
            let mut i = 0;
            while !done.load(Ordering::Relaxed) {
                i += 1;
                let user = format!("w{w}-{i}");
                let seat = format!("O-{}", rng.usize(1..=POOL));
                let (status, body, _) = app.hold(&user, "k1", "evt_outage", &[&seat]).await;
                record(&statuses, status.as_u16(), &body);
                progress.send_modify(|p| p.answered(status.as_u16()));
                if status.as_u16() != 201 {
                    continue;
                }
                let id = body["reservation_id"].as_str().expect("id").to_owned();
                let phase = *phase.lock().expect("lock");
                acknowledged.lock().expect("lock").push((phase, id.clone()));
                if rng.bool() {
                    let (status, body, _) = app
                        .post(
                            &format!("/v1/reservations/{id}/confirm"),
                            Some(&user),
                            Some("k2"),
                            Some(json!({"payment_intent_id": format!("pay_{id}")})),
                        )
                        .await;
                    record(&statuses, status.as_u16(), &body);
                    progress.send_modify(|p| p.answered(status.as_u16()));
                }
            }
        }));
    }
    tokio::time::timeout(PHASE, seen.wait_for(|p| p.held >= 20))
        .await
        .expect("20 holds before the outage, in time")
        .expect("holds");
    // Stopped, not killed: its listener and connections close and its data stays, as when
    // DynamoDB is unreachable. What is tested is the service while DynamoDB is unavailable.
    process.stop();
    *phase.lock().expect("lock") = 1;
    let failed_before = seen.borrow().failed;
    tokio::time::timeout(PHASE, seen.wait_for(|p| p.failed >= failed_before + 16))
        .await
        .expect("16 failures during the outage, in time")
        .expect("failures");
    let mut process = tokio::task::spawn_blocking(move || {
        process.restart().expect("the emulator restarts");
        process
    })
    .await
    .expect("joins");
    *phase.lock().expect("lock") = 2;
    let held_before = seen.borrow().held;
    tokio::time::timeout(PHASE, seen.wait_for(|p| p.held >= held_before + 20))
        .await
        .expect("20 holds after the restart, in time")
        .expect("holds after the restart");
    done.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.expect("a worker failed");
    }

    let statuses = statuses.lock().expect("lock").clone();
    let count = |code: u16| -> usize {
        statuses
            .iter()
            .filter(|((status, _), _)| *status == code)
            .map(|(_, n)| n)
            .sum()
    };
    eprintln!("answers: {statuses:?}");
    assert_eq!(count(500), 0, "no 500: {statuses:?}");
    assert!(
        count(503) + count(504) > 0,
        "the outage was seen: {statuses:?}"
    );
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let after = acknowledged.iter().filter(|(phase, _)| *phase == 2).count();
    eprintln!("{after} holds acknowledged after the restart");
    assert!(
        after > 0,
        "holds succeed again after the restart: {statuses:?}"
    );
    for (status, code) in statuses.keys() {
        let allowed = match status {
            200 | 201 => code.is_empty(),
            409 => [
                "INVENTORY_CONFLICT",
                "IDEMPOTENCY_CONFLICT",
                "INVALID_STATE",
            ]
            .contains(&code.as_str()),
            503 => code == "SERVICE_UNAVAILABLE",
            504 => code == "UPSTREAM_TIMEOUT",
            _ => false,
        };
        assert!(allowed, "unexpected answer {status} {code}: {statuses:?}");
    }

    // DynamoDB answers again: everything committed is consistent and nothing is lost.
    let audit = audit(&app, "evt_outage", POOL).await;
    for (_, id) in &acknowledged {
        assert!(
            audit.reservations.contains_key(id),
            "acknowledged {id} is stored"
        );
    }
    let outbox = app.table::<OutboxEvent>();
    let relay = app
        .state
        .relay_with(Arc::new(LogSink), RelayConfig::default());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pass = relay.pass().await.expect("relay pass");
        if pass.due == 0 || Instant::now() > deadline {
            break;
        }
    }
    let events = outbox.scan().all().await.expect("scans");
    let unpublished: Vec<_> = events
        .iter()
        .filter(|e| e.status != OutboxStatus::Published)
        .collect();
    assert!(
        unpublished.is_empty(),
        "every event is published: {unpublished:?}"
    );
    let ids: HashSet<&str> = events.iter().map(|e| e.outbox_id.as_str()).collect();
    assert_eq!(ids.len(), events.len());
    process.kill();
}

/// Answers so far: acknowledged holds, and failures of DynamoDB (503, 504).
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    held: usize,
    failed: usize,
}

impl Progress {
    fn answered(&mut self, status: u16) {
        match status {
            201 => self.held += 1,
            503 | 504 => self.failed += 1,
            _ => {}
        }
    }
}

fn record(statuses: &Mutex<BTreeMap<(u16, String), usize>>, status: u16, body: &Value) {
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if let Some(message) = body["error"]["message"].as_str() {
        for leak in LEAKS {
            assert!(
                !message.contains(leak),
                "{status}: {message} leaks {leak:?}"
            );
        }
    }
    *statuses
        .lock()
        .expect("lock")
        .entry((status, code))
        .or_default() += 1;
}

/// DynamoDB accepts connections but never answers: requests end in 504 UPSTREAM_TIMEOUT from
/// DynamoDB's own timeout (the request deadline is a minute), and readiness names every table.
#[tokio::test]
async fn a_dynamodb_that_never_answers_is_a_504_and_not_ready() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let (timeout, attempts) = (Duration::from_millis(300), 2);
    let client = ClientBuilder::default()
        .endpoint(endpoint.clone())
        .region("us-east-1")
        .attempt_timeout(timeout)
        .operation_timeout(timeout * 2)
        .max_attempts(attempts)
        .build()
        .await
        .expect("client");
    let app = TestApp::builder()
        .database(Emulator::attach(endpoint, client, ""))
        .without_tables()
        .settings(|s| {
            s.store.timeout = timeout;
            s.store.max_attempts = attempts;
            // Far beyond DynamoDB's: a 504 can only be DynamoDB's timeout.
            s.server.request_timeout = Duration::from_secs(60);
        })
        .spawn()
        .await;
    let base = app.base.clone();
    let (status, body, _) = app.get("/v1/reservations/rsv_1", "alice").await;
    assert_error(status, &body, 504, "UPSTREAM_TIMEOUT");
    let (status, body, _) = app.hold("alice", "k1", "evt_1", &["A-1"]).await;
    assert_error(status, &body, 504, "UPSTREAM_TIMEOUT");
    record(&Mutex::default(), status.as_u16(), &body);

    let (status, body, _) = read(
        app.http
            .get(format!("{base}/ready"))
            .send()
            .await
            .expect("answers"),
    )
    .await;
    assert_eq!(status.as_u16(), 503, "{body}");
    assert_eq!(body["status"], "NOT_READY");
    let failing: HashSet<&str> = body["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .filter_map(|f| f["table"].as_str())
        .collect();
    assert_eq!(failing.len(), ALL.len(), "{body}");
}
