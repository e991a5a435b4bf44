//! The load tool (`reservation-loadtest`): measures a running service and, in the same run,
//! DynamoDB's own capacity for the transaction a hold writes.
//!
//! After `warmup` unmeasured transactions, three phases, each `requests` operations from
//! `concurrency` clients:
//!
//! 1. **raw**: `TransactWriteItems` of the hold's shape (seat update, reservation, outbox event,
//!    idempotency record) straight to DynamoDB: the ceiling the service can reach;
//! 2. **hold**: `POST /v1/reservations`, one fresh seat and user per request;
//! 3. **get + confirm**: `GET /v1/reservations/{id}` then `POST .../confirm` for each hold.
//!
//! With `--hot-event SEATS`, the on-sale case: every hold is for one event, each for a seat
//! drawn at random from a pool of `SEATS`, so most holds lose the race for their seat. The
//! report then counts the holds won, the seat conflicts (409 `INVENTORY_CONFLICT`) and the
//! throttled requests (503 naming DynamoDB's throttling), gets and confirms only the holds won,
//! and reads every won seat back: each must be held (then sold) by the hold that won it.
//!
//! Failures are reported by status and error code (`12×409 INVENTORY_CONFLICT`); 0 is a
//! transport error.
//!
//! It needs the service's DynamoDB (`DYNAMODB_ENDPOINT`, `TABLE_PREFIX`) to seed seats, and its
//! JWT secret (`JWT_HS256_SECRET`, or the local default) to sign tokens.

use clap::Parser;
use reservation_service::auth::{sign_admission, sign_hs256};
use reservation_service::clock::SystemClock;
use reservation_service::configuration::Settings;
use reservation_service::domain::CreateReservation;
use reservation_service::metrics::Metrics;
use reservation_service::services::inventory::Offer;
use reservation_service::services::{
    IdempotentRequest, ReservationSettings, Reservations, ReservationsConfig, SeatsTable,
    SimulatedPayments,
};
use reservation_service::store::{Seat, SeatKey, SeatState, TableNames, Tables};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Measure a running service (hold, get, confirm) and, in the same run, DynamoDB's capacity
/// for the hold's transaction. Needs the service's DYNAMODB_ENDPOINT, TABLE_PREFIX and JWT
/// secret in the environment.
#[derive(Debug, Clone, Parser)]
#[command(name = "reservation-loadtest", version, about)]
struct Options {
    /// The service; replicas comma-separated (requests go to them in turn).
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
    url: Vec<String>,
    /// Operations per phase.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Clients in parallel.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Unmeasured transactions first, to warm the endpoint up.
    #[arg(long, default_value_t = 1000)]
    warmup: usize,
    /// The on-sale case: every hold on one event, for a seat drawn from a pool of this many
    /// (fewer than `requests`, so holds contend).
    #[arg(long, value_name = "SEATS")]
    hot_event: Option<usize>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    let settings = match Settings::for_tools_from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let result = match reservation_service::cli::client(&settings).await {
        Ok(client) => run(&options, &settings, &client).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(report) => {
            print!("{}", report.markdown());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Latencies and errors of one phase.
#[derive(Debug, Clone)]
struct PhaseReport {
    /// The phase.
    name: &'static str,
    /// Successful operations.
    ok: usize,
    /// Failed operations, by status and error code (`0` for transport errors).
    errors: Vec<(String, usize)>,
    /// Wall time of the phase.
    elapsed: Duration,
    /// Sorted latencies of the successful operations.
    latencies: Vec<Duration>,
}

impl PhaseReport {
    /// Successful operations per second.
    fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile (0..=1) of the latencies.
    /// Failures whose label starts with `prefix`.
    fn failures(&self, prefix: &str) -> usize {
        self.errors
            .iter()
            .filter(|(label, _)| label.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (q * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)]
    }

    fn row(&self) -> String {
        let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
        let errors = if self.errors.is_empty() {
            "0".to_owned()
        } else {
            self.errors
                .iter()
                .map(|(status, n)| format!("{n}×{status}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "| {} | {} | {} | {:.0} | {} | {} | {} |",
            self.name,
            self.ok,
            errors,
            self.throughput(),
            ms(self.quantile(0.50)),
            ms(self.quantile(0.95)),
            ms(self.quantile(0.99)),
        )
    }
}

/// The whole run.
#[derive(Debug, Clone)]
struct Report {
    /// raw, hold, get, confirm.
    phases: Vec<PhaseReport>,
    /// Concurrency used.
    concurrency: usize,
    /// The hot event's outcome, in that mode.
    hot: Option<HotEvent>,
}

/// What became of the holds on the hot event.
#[derive(Debug, Clone)]
struct HotEvent {
    /// The seats contended for.
    seats: usize,
    /// Holds asked.
    holds: usize,
    /// Holds won.
    won: usize,
    /// 409 `INVENTORY_CONFLICT`: the seat was taken.
    conflicts: usize,
    /// 503 naming DynamoDB's throttling, in any phase.
    throttled: usize,
    /// Won seats not held (or sold) by the hold that won them, read back after the run.
    oversold: usize,
}

impl Report {
    /// A Markdown table and the ratio of service to raw throughput.
    fn markdown(&self) -> String {
        let mut out = String::from(
            "| phase | ok | errors | ops/s | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|---:|\n",
        );
        for phase in &self.phases {
            out.push_str(&phase.row());
            out.push('\n');
        }
        if let Some(hot) = &self.hot {
            out.push_str(&format!(
                "\nhot event: {} holds for {} seats: {} won, {} seat conflicts (409), {} throttled (503), {} oversold\n",
                hot.holds, hot.seats, hot.won, hot.conflicts, hot.throttled, hot.oversold,
            ));
        }
        if let (Some(raw), Some(hold)) = (
            self.phase("raw TransactWriteItems"),
            self.phase("POST hold"),
        ) {
            out.push_str(&format!(
                "\nconcurrency {}: hold throughput is {:.0}% of raw TransactWriteItems capacity; hold p95 {:.1} ms\n",
                self.concurrency,
                100.0 * hold.throughput() / raw.throughput().max(1e-9),
                hold.quantile(0.95).as_secs_f64() * 1000.0,
            ));
        }
        out
    }

    fn phase(&self, name: &str) -> Option<&PhaseReport> {
        self.phases.iter().find(|p| p.name == name)
    }
}

/// Runs `requests` operations from `concurrency` workers; `op(i)` gives `Ok` or the status.
async fn phase<F, Fut>(
    name: &'static str,
    requests: usize,
    concurrency: usize,
    op: F,
) -> PhaseReport
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers = (0..concurrency.max(1)).map(|_| {
        let (op, next) = (op.clone(), next.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let t = Instant::now();
                match op(i).await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(status) => errors.push(status),
                }
            }
            (latencies, errors)
        })
    });
    let results = futures_util::future::join_all(workers).await;
    let elapsed = started.elapsed();
    let mut latencies = Vec::with_capacity(requests);
    let mut errors = std::collections::BTreeMap::new();
    for (l, e) in results.into_iter().flatten() {
        latencies.extend(l);
        for status in e {
            *errors.entry(status).or_insert(0) += 1;
        }
    }
    latencies.sort_unstable();
    PhaseReport {
        name,
        ok: latencies.len(),
        errors: errors.into_iter().collect(),
        elapsed,
        latencies,
    }
}

/// Runs the three phases.
async fn run(
    options: &Options,
    settings: &Settings,
    client: &dynamo_core::Client,
) -> Result<Report, String> {
    let run_id = fastrand::u32(..);
    let names = &settings.table_names();
    let n = options.requests;
    let c = options.concurrency;

    // The service's own hold transaction, sent without the service.
    let tables = Tables::new(client, names);
    let reservations = Arc::new(Reservations::new(
        client,
        tables.clone(),
        ReservationsConfig {
            inventory: Arc::new(SeatsTable::new(tables.seats)),
            hold_ttl: Duration::from_secs(600),
            hold_grace: ReservationSettings::default().hold_grace,
            idempotency_ttl: Duration::from_secs(600),
            max_seats_per_user: ReservationSettings::default().max_seats_per_user,
            payments: Arc::new(SimulatedPayments),
            clock: Arc::new(SystemClock),
            metrics: Metrics::new(),
        },
    ));
    let raw = |name: &'static str, requests: usize| {
        let reservations = reservations.clone();
        let event = format!("evt_{name}_{run_id:08x}").replace(' ', "_");
        async move {
            seed(client, names, &event, requests).await?;
            Ok::<_, String>(
                phase(name, requests, c, move |i| {
                    let request = CreateReservation {
                        event_id: event.clone(),
                        seat_ids: vec![seat_name(i)],
                        user_id: format!("{event}_{i}"),
                        reservation_token: "rtkn_load".into(),
                    };
                    let seat = load_seat(&request.event_id, i, OffsetDateTime::now_utc());
                    let offers = [Offer {
                        seat_id: seat.seat_id,
                        price: seat.price,
                        currency: seat.currency,
                    }];
                    let reservations = reservations.clone();
                    async move {
                        let ids = reservations.new_hold_ids();
                        let hold = ids.hold(&request.user_id, &request);
                        let once = IdempotentRequest {
                            user: request.user_id.clone(),
                            key: format!("raw-{i}"),
                            hash: "0".into(),
                        };
                        let hold = reservations
                            .hold_transaction(&hold, &once, &offers)
                            .await
                            .map_err(|e| format!("building it: {e}"))?;
                        hold.tx
                            .send()
                            .await
                            .map_err(|e| format!("DynamoDB {:?}", e.kind()))
                    }
                })
                .await,
            )
        }
    };
    // An emulator on the JVM (DynamoDB Local) needs warming up before anything is measured.
    raw("warm-up", options.warmup).await?;
    let raw = raw("raw TransactWriteItems", n).await?;

    let event = format!("evt_load_{run_id:08x}");
    // Seat `i` of the run, or in the hot event one of its pool, drawn for hold `i`.
    let pool = options.hot_event.map(|seats| seats.max(1));
    let seat_of = move |i: usize| match pool {
        Some(seats) => fastrand::Rng::with_seed(u64::from(run_id) ^ i as u64).usize(..seats),
        None => i,
    };
    seed(client, names, &event, pool.unwrap_or(n)).await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(c)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let auth = Arc::new(Auth::new(settings)?);
    let ids: Arc<Vec<std::sync::OnceLock<String>>> =
        Arc::new((0..n).map(|_| std::sync::OnceLock::new()).collect());

    let hold = {
        let (http, auth, ids, url, event) = (
            http.clone(),
            auth.clone(),
            ids.clone(),
            Arc::new(options.url.clone()),
            event.clone(),
        );
        phase("POST hold", n, c, move |i| {
            let (http, auth, ids, url, event) = (
                http.clone(),
                auth.clone(),
                ids.clone(),
                url.clone(),
                event.clone(),
            );
            async move {
                let url = &url[i % url.len()];
                let user = format!("load_{run_id:08x}_{i}");
                let body = serde_json::json!({
                    "event_id": event, "qty": 1, "seat_ids": [seat_name(seat_of(i))],
                    "user_id": user, "reservation_token": auth.admission(&user, &event),
                });
                let response = http
                    .post(format!("{url}/v1/reservations"))
                    .bearer_auth(auth.token(&user))
                    .header("Idempotency-Key", format!("hold-{run_id:08x}-{i}"))
                    .json(&body)
                    .send()
                    .await
                    .map_err(|_| "0".to_owned())?;
                let status = response.status().as_u16();
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                match (status, body["reservation_id"].as_str()) {
                    (201, Some(id)) => {
                        let _ = ids[i].set(id.to_owned());
                        Ok(())
                    }
                    _ => Err(failure(status, &body)),
                }
            }
        })
        .await
    };
    // The holds won, by index: the later phases use only those.
    let won: Arc<Vec<usize>> = Arc::new((0..n).filter(|&i| ids[i].get().is_some()).collect());

    let request = |kind: &'static str| {
        let (http, auth, ids, url, won) = (
            http.clone(),
            auth.clone(),
            ids.clone(),
            Arc::new(options.url.clone()),
            won.clone(),
        );
        move |j: usize| {
            let (http, auth, ids, url) = (http.clone(), auth.clone(), ids.clone(), url.clone());
            let i = won[j];
            async move {
                let Some(id) = ids[i].get() else {
                    return Err("no hold".to_owned());
                };
                // Another replica than the hold's, when there are several.
                let url = &url[(i + 1) % url.len()];
                let user = format!("load_{run_id:08x}_{i}");
                let request = if kind == "get" {
                    http.get(format!("{url}/v1/reservations/{id}"))
                } else {
                    http.post(format!("{url}/v1/reservations/{id}/confirm"))
                        .header("Idempotency-Key", format!("confirm-{run_id:08x}-{i}"))
                        .json(&serde_json::json!({"payment_intent_id": format!("pay_load_{run_id:08x}_{i}")}))
                };
                let response = request
                    .bearer_auth(auth.token(&user))
                    .send()
                    .await
                    .map_err(|_| "0".to_owned())?;
                let status = response.status().as_u16();
                if status == 200 {
                    let _ = response.bytes().await;
                    return Ok(());
                }
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                Err(failure(status, &body))
            }
        }
    };
    let get = phase("GET", won.len(), c, request("get")).await;
    let confirm = phase("POST confirm", won.len(), c, request("confirm")).await;
    let hot = match pool {
        Some(seats) => {
            let oversold = oversold(client, names, &event, &won, &ids, &seat_of).await?;
            let throttled = [&hold, &get, &confirm]
                .iter()
                .map(|p| p.failures("503 throttled"))
                .sum();
            Some(HotEvent {
                seats,
                holds: n,
                won: won.len(),
                conflicts: hold.failures("409 INVENTORY_CONFLICT"),
                throttled,
                oversold,
            })
        }
        None => None,
    };
    Ok(Report {
        phases: vec![raw, hold, get, confirm],
        concurrency: c,
        hot,
    })
}

/// A failed request's label: its status and error code, with DynamoDB's throttling told apart
/// from other 503s.
fn failure(status: u16, body: &serde_json::Value) -> String {
    let error = &body["error"];
    let message = error["message"].as_str().unwrap_or_default();
    if status == 503 && message.to_ascii_lowercase().contains("throttl") {
        return "503 throttled".to_owned();
    }
    match error["code"].as_str() {
        Some(code) => format!("{status} {code}"),
        None => status.to_string(),
    }
}

/// How many of the won holds do not own their seat as the table has it now: each seat a hold
/// won must be held or sold by that hold's reservation.
async fn oversold(
    client: &dynamo_core::Client,
    names: &TableNames,
    event: &str,
    won: &[usize],
    ids: &[std::sync::OnceLock<String>],
    seat_of: &dyn Fn(usize) -> usize,
) -> Result<usize, String> {
    let seats = Tables::new(client, names).seats;
    let mut holders = std::collections::HashMap::new();
    for chunk in won.chunks(100) {
        let keys = chunk
            .iter()
            .map(|&i| SeatKey::new(event.to_owned(), seat_name(seat_of(i))));
        let read = seats
            .batch_get(keys.collect::<Vec<_>>())
            .consistent_read()
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !read.unprocessed.is_empty() {
            return Err("DynamoDB left seats unread".into());
        }
        holders.extend(read.items.into_iter().map(|s| (s.seat_id, s.holder)));
    }
    Ok(won
        .iter()
        .filter(|&&i| {
            let seat = seat_name(seat_of(i));
            holders.get(&seat).cloned().flatten().as_deref() != ids[i].get().map(String::as_str)
        })
        .count())
}

struct Auth {
    secret: String,
    admission: Option<String>,
}

impl Auth {
    fn new(settings: &Settings) -> Result<Self, String> {
        let secret = settings.jwt.hs256_secret().ok_or(
            "the load tool signs HS256 tokens: set JWT_HS256_SECRET to the service's (or APP_ENV=local)",
        )?;
        Ok(Auth {
            secret: secret.to_owned(),
            admission: settings.admission.secret().map(str::to_owned),
        })
    }

    fn token(&self, user: &str) -> String {
        sign_hs256(&self.secret, user, 3600).unwrap_or_default()
    }

    fn admission(&self, user: &str, event: &str) -> String {
        match &self.admission {
            Some(secret) => sign_admission(secret, user, event, 3600).unwrap_or_default(),
            None => "rtkn_load".into(),
        }
    }
}

/// The name of the load's seat `i`: `L-{i}`.
fn seat_name(i: usize) -> String {
    format!("L-{i}")
}

/// Seat `L-{i}` of `event`, AVAILABLE, 25,000 KRW.
fn load_seat(event: &str, i: usize, now: OffsetDateTime) -> Seat {
    Seat {
        event_id: event.to_owned(),
        seat_id: seat_name(i),
        state: SeatState::Available,
        holder: None,
        hold_expires_at: None,
        updated_at: now,
        price: Some(25_000),
        currency: Some("KRW".into()),
    }
}

/// Seats `L-0` .. `L-{n-1}` of `event` (see [`load_seat`]).
async fn seed(
    client: &dynamo_core::Client,
    names: &TableNames,
    event: &str,
    n: usize,
) -> Result<(), String> {
    let seats = Tables::new(client, names).seats;
    let now = OffsetDateTime::now_utc();
    let chunks: Vec<Vec<Seat>> = (0..n)
        .map(|i| load_seat(event, i, now))
        .collect::<Vec<_>>()
        .chunks(25)
        .map(<[Seat]>::to_vec)
        .collect();
    let writes = chunks.into_iter().map(|chunk| {
        let seats = seats.clone();
        async move {
            let output = chunk
                .into_iter()
                .fold(seats.batch_write(), |w, seat| w.put(seat))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if output.unprocessed.is_empty() {
                Ok(())
            } else {
                Err("DynamoDB left seats unwritten".to_owned())
            }
        }
    });
    let results: Vec<Result<(), String>> = futures_util::StreamExt::collect(
        futures_util::StreamExt::buffer_unordered(futures_util::stream::iter(writes), 8),
    )
    .await;
    results.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_pick_by_rank() {
        let report = PhaseReport {
            name: "x",
            ok: 100,
            errors: vec![
                ("503 throttled".into(), 2),
                ("409 INVENTORY_CONFLICT".into(), 3),
            ],
            elapsed: Duration::from_secs(2),
            latencies: (1..=100).map(Duration::from_millis).collect(),
        };
        assert_eq!(report.quantile(0.5), Duration::from_millis(51));
        assert_eq!(report.quantile(0.95), Duration::from_millis(95));
        assert_eq!(report.quantile(0.99), Duration::from_millis(99));
        assert!((report.throughput() - 50.0).abs() < 1e-9);
        assert_eq!(report.failures("503 throttled"), 2);
        assert_eq!(report.failures("409"), 3);
        assert_eq!(
            report.row(),
            "| x | 100 | 2×503 throttled, 3×409 INVENTORY_CONFLICT | 50 | 51.0 | 95.0 | 99.0 |"
        );
    }
}
