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
//! It needs the service's settings (docs/operations.md): its DynamoDB endpoint and table
//! prefix to seed seats, and its HS256 JWT secret (or the local default) to sign tokens.

#![warn(clippy::too_many_lines)]

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
use std::time::Duration;
use time::OffsetDateTime;

mod report;

use report::{HotEvent, PhaseReport, Report, phase};

/// Measure a running service (hold, get, confirm) and, in the same run, DynamoDB's capacity
/// for the hold's transaction. Needs the service's DynamoDB endpoint, table prefix and JWT
/// secret in the environment (docs/operations.md).
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

/// Runs the three phases.
async fn run(
    options: &Options,
    settings: &Settings,
    client: &dynamo_core::Client,
) -> Result<Report, String> {
    let run_id = fastrand::u32(..);
    let names = &settings.table_names();
    let (n, c) = (options.requests, options.concurrency);
    let raw = Raw {
        client,
        names,
        service: Arc::new(hold_transactions(client, names)),
        run_id,
        concurrency: c,
    };
    // An emulator on the JVM (DynamoDB Local) needs warming up before anything is measured.
    raw.phase("warm-up", options.warmup).await?;
    let raw = raw.phase("raw TransactWriteItems", n).await?;

    let journeys = Journeys::new(options, settings, run_id)?;
    let event = journeys.event.clone();
    seed(client, names, &event, journeys.pool.unwrap_or(n)).await?;
    let hold = {
        let journeys = journeys.clone();
        phase("POST hold", n, c, move |i| journeys.clone().hold(i)).await
    };
    // The holds won, by index: the later phases use only those.
    let won: Arc<Vec<usize>> = Arc::new(
        (0..n)
            .filter(|&i| journeys.ids[i].get().is_some())
            .collect(),
    );
    let follow = |confirm: bool| {
        let (journeys, won) = (journeys.clone(), won.clone());
        move |j: usize| journeys.clone().follow(won[j], confirm)
    };
    let get = phase("GET", won.len(), c, follow(false)).await;
    let confirm = phase("POST confirm", won.len(), c, follow(true)).await;
    let hot = match journeys.pool {
        Some(seats) => {
            let seat_of = |i| journeys.seat_of(i);
            let oversold = oversold(client, names, &event, &won, &journeys.ids, &seat_of).await?;
            Some(HotEvent::of(
                seats,
                [&hold, &get, &confirm],
                won.len(),
                oversold,
            ))
        }
        None => None,
    };
    Ok(Report {
        phases: vec![raw, hold, get, confirm],
        concurrency: c,
        hot,
    })
}

/// The service's own hold transaction, to send without the service.
fn hold_transactions(client: &dynamo_core::Client, names: &TableNames) -> Reservations {
    let tables = Tables::new(client, names);
    Reservations::new(
        client,
        tables.clone(),
        ReservationsConfig {
            settings: ReservationSettings {
                hold_ttl: Duration::from_secs(600),
                idempotency_ttl: Duration::from_secs(600),
                ..ReservationSettings::default()
            },
            inventory: Arc::new(SeatsTable::new(tables.seats)),
            payments: Arc::new(SimulatedPayments),
            clock: Arc::new(SystemClock),
            metrics: Metrics::new(),
        },
    )
}

/// Holds' transactions straight to DynamoDB.
struct Raw<'a> {
    client: &'a dynamo_core::Client,
    names: &'a TableNames,
    service: Arc<Reservations>,
    run_id: u32,
    concurrency: usize,
}

impl Raw<'_> {
    /// `requests` holds' transactions, on seats of an event of their own.
    async fn phase(&self, name: &'static str, requests: usize) -> Result<PhaseReport, String> {
        let event = format!("evt_{name}_{:08x}", self.run_id).replace(' ', "_");
        seed(self.client, self.names, &event, requests).await?;
        let service = self.service.clone();
        let hold = move |i| raw_hold(service.clone(), event.clone(), i);
        Ok(phase(name, requests, self.concurrency, hold).await)
    }
}

/// Hold `i` of `event`'s raw phase.
async fn raw_hold(service: Arc<Reservations>, event: String, i: usize) -> Result<(), String> {
    let request = CreateReservation {
        user_id: format!("{event}_{i}"),
        event_id: event,
        seat_ids: vec![seat_name(i)],
        reservation_token: "rtkn_load".into(),
    };
    let seat = load_seat(&request.event_id, i, OffsetDateTime::now_utc());
    let offers = [Offer {
        seat_id: seat.seat_id,
        price: seat.price,
        currency: seat.currency,
    }];
    let ids = service.new_hold_ids();
    let hold = ids.hold(&request.user_id, &request);
    let once = IdempotentRequest {
        user: request.user_id.clone(),
        key: format!("raw-{i}"),
        hash: "0".into(),
    };
    let hold = service
        .hold_transaction(&hold, &once, &offers)
        .await
        .map_err(|e| format!("building it: {e}"))?;
    hold.tx
        .send()
        .await
        .map_err(|e| format!("DynamoDB {:?}", e.kind()))
}

/// The journeys through the running service: hold `i`, then get and confirm it.
#[derive(Clone)]
struct Journeys {
    http: reqwest::Client,
    auth: Arc<Auth>,
    urls: Arc<Vec<String>>,
    event: String,
    run_id: u32,
    /// The hot event's seat pool, in that mode.
    pool: Option<usize>,
    /// Hold `i`'s reservation id, once made.
    ids: Arc<Vec<std::sync::OnceLock<String>>>,
}

impl Journeys {
    fn new(options: &Options, settings: &Settings, run_id: u32) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(options.concurrency)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Journeys {
            http,
            auth: Arc::new(Auth::new(settings)?),
            urls: Arc::new(options.url.clone()),
            event: format!("evt_load_{run_id:08x}"),
            run_id,
            pool: options.hot_event.map(|seats| seats.max(1)),
            ids: Arc::new(
                (0..options.requests)
                    .map(|_| std::sync::OnceLock::new())
                    .collect(),
            ),
        })
    }

    /// Seat `i` of the run, or in the hot event one of its pool, drawn for hold `i`.
    fn seat_of(&self, i: usize) -> usize {
        match self.pool {
            Some(seats) => {
                fastrand::Rng::with_seed(u64::from(self.run_id) ^ i as u64).usize(..seats)
            }
            None => i,
        }
    }

    fn user(&self, i: usize) -> String {
        format!("load_{:08x}_{i}", self.run_id)
    }

    /// `POST /v1/reservations` for hold `i`.
    async fn hold(self, i: usize) -> Result<(), String> {
        let url = &self.urls[i % self.urls.len()];
        let (user, event) = (self.user(i), &self.event);
        let body = serde_json::json!({
            "event_id": event, "qty": 1, "seat_ids": [seat_name(self.seat_of(i))],
            "user_id": user, "reservation_token": self.auth.admission(&user, event),
        });
        let response = self
            .http
            .post(format!("{url}/v1/reservations"))
            .bearer_auth(self.auth.token(&user))
            .header("Idempotency-Key", format!("hold-{:08x}-{i}", self.run_id))
            .json(&body)
            .send()
            .await
            .map_err(|_| "0".to_owned())?;
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        match (status, body["reservation_id"].as_str()) {
            (201, Some(id)) => {
                let _ = self.ids[i].set(id.to_owned());
                Ok(())
            }
            _ => Err(failure(status, &body)),
        }
    }

    /// `GET` hold `i`'s reservation, or `POST .../confirm` it.
    async fn follow(self, i: usize, confirm: bool) -> Result<(), String> {
        let Some(id) = self.ids[i].get() else {
            return Err("no hold".to_owned());
        };
        // Another replica than the hold's, when there are several.
        let url = &self.urls[(i + 1) % self.urls.len()];
        let run_id = self.run_id;
        let request = if confirm {
            let payment = format!("pay_load_{run_id:08x}_{i}");
            self.http
                .post(format!("{url}/v1/reservations/{id}/confirm"))
                .header("Idempotency-Key", format!("confirm-{run_id:08x}-{i}"))
                .json(&serde_json::json!({ "payment_intent_id": payment }))
        } else {
            self.http.get(format!("{url}/v1/reservations/{id}"))
        };
        let response = request
            .bearer_auth(self.auth.token(&self.user(i)))
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
        let secret = settings.jwt.hs256_secret().ok_or_else(|| {
            format!(
                "the load tool signs HS256 tokens: set {} to the service's (or {})",
                reservation_service::auth::BearerVariables::hs256_secret.name(),
                reservation_service::setting::local()
            )
        })?;
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
