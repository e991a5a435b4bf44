//! The service on DynamoDB Local, over HTTP, for the integration tests.
#![allow(dead_code, unreachable_pub)]

use dynamo_core::Table;
use dynamo_core::testing::DynamoLocal;
use reqwest::StatusCode;
use reservation_service::auth::sign_hs256;
use reservation_service::config::Settings;
use reservation_service::startup::{AppState, Server};
use reservation_service::tables::{ALL, Seat, SeatState};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256-signing";

pub struct App {
    pub base: String,
    pub http: reqwest::Client,
    pub db: DynamoLocal,
    pub prefix: String,
    pub state: Arc<AppState>,
}

pub async fn spawn(hold_ttl: Duration) -> App {
    spawn_with(hold_ttl, None).await
}

pub async fn spawn_with(hold_ttl: Duration, admission_secret: Option<&str>) -> App {
    spawn_configured(hold_ttl, admission_secret, None).await
}

pub async fn spawn_configured(
    hold_ttl: Duration,
    admission_secret: Option<&str>,
    jwks_url: Option<String>,
) -> App {
    spawn_tuned(hold_ttl, admission_secret, jwks_url, |_| {}).await
}

pub async fn spawn_tuned(
    hold_ttl: Duration,
    admission_secret: Option<&str>,
    jwks_url: Option<String>,
    tune: fn(&mut Settings),
) -> App {
    let db = DynamoLocal::start().await.expect("DynamoDB Local starts");
    db.create_tables(&ALL).await.expect("tables created");
    let settings = Settings {
        table_prefix: db.prefix().to_owned(),
        jwt_secret: SECRET.to_owned(),
        hold_ttl,
        request_timeout: Duration::from_secs(20),
        admission_secret: admission_secret.map(str::to_owned),
        jwks_url,
        // The concurrency tests send bursts from one user; the limit has its own test.
        rate_per_user: 0.0,
        rate_global: 0.0,
        ..Settings::default()
    };
    let mut settings = settings;
    tune(&mut settings);
    let state = Arc::new(AppState::new(settings, db.client().clone()));
    let server = Server::bind(state.clone(), 0).await.expect("binds");
    let base = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run(std::future::pending()));
    let prefix = db.prefix().to_owned();
    App {
        base,
        http: reqwest::Client::new(),
        db,
        prefix,
        state,
    }
}

impl App {
    pub async fn seed(&self, event: &str, seats: impl IntoIterator<Item = String>) {
        let table = Table::<Seat>::new(self.db.client()).with_prefix(&self.prefix);
        let now = time::OffsetDateTime::now_utc();
        for seat_id in seats {
            let seat = Seat {
                event_id: event.into(),
                seat_id,
                state: SeatState::Available,
                holder: None,
                hold_expires_at: None,
                updated_at: now,
            };
            table.put(seat).send().await.expect("seeded");
        }
    }

    pub fn token(&self, user: &str) -> String {
        sign_hs256(SECRET, user, 600).expect("signs")
    }

    pub async fn post(
        &self,
        path: &str,
        user: Option<&str>,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, String) {
        let mut request = self.http.post(format!("{}{path}", self.base));
        if let Some(user) = user {
            request = request.bearer_auth(self.token(user));
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.expect("answers")).await
    }

    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Option<String>,
        key: Option<&str>,
        body: &str,
    ) -> (StatusCode, Value, String) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .body(body.to_owned())
            .header("content-type", "application/json");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        read(request.send().await.expect("answers")).await
    }

    pub async fn get(&self, path: &str, user: &str) -> (StatusCode, Value, String) {
        read(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(self.token(user))
                .send()
                .await
                .expect("answers"),
        )
        .await
    }

    pub async fn hold(
        &self,
        user: &str,
        key: &str,
        event: &str,
        seats: &[&str],
    ) -> (StatusCode, Value, String) {
        self.post(
            "/v1/reservations",
            Some(user),
            Some(key),
            Some(create_body(user, event, seats)),
        )
        .await
    }

    pub async fn seat(&self, event: &str, seat: &str) -> Seat {
        Table::<Seat>::new(self.db.client())
            .with_prefix(&self.prefix)
            .get(reservation_service::tables::SeatKey::new(event, seat))
            .consistent_read()
            .send()
            .await
            .expect("reads")
            .expect("exists")
    }
}

pub async fn read(response: reqwest::Response) -> (StatusCode, Value, String) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, value, text)
}

pub fn create_body(user: &str, event: &str, seats: &[&str]) -> Value {
    json!({"event_id": event, "qty": seats.len(), "seat_ids": seats, "user_id": user, "reservation_token": "rtkn_xyz789"})
}

pub fn assert_error(status: StatusCode, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status.as_u16(), expected_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["error"]["trace_id"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{body}"
    );
}

/// What the tables hold for one event, checked for the invariants that no failure may break:
/// every held or sold seat belongs to exactly one reservation that lists it and is in the
/// matching state; every open hold and confirmed reservation holds all its seats; every
/// confirmed reservation has one order; every change has its outbox event.
pub struct Audit {
    pub reservations: std::collections::HashMap<String, reservation_service::tables::Reservation>,
    pub held: usize,
    pub sold: usize,
}

pub async fn audit(app: &App, event: &str, pool: usize) -> Audit {
    use reservation_service::tables::{
        Order, OutboxEvent, Reservation, ReservationStatus, SeatState,
    };
    use std::collections::HashMap;
    let client = app.db.client();
    let reservations: HashMap<String, Reservation> = Table::<Reservation>::new(client)
        .with_prefix(&app.prefix)
        .scan()
        .all()
        .await
        .expect("scans reservations")
        .into_iter()
        .filter(|r| r.event_id == event)
        .map(|r| (r.reservation_id.clone(), r))
        .collect();
    let seats: Vec<Seat> = Table::<Seat>::new(client)
        .with_prefix(&app.prefix)
        .query(event)
        .consistent_read()
        .all()
        .await
        .expect("reads seats");
    assert_eq!(seats.len(), pool, "the pool is intact");
    let now = time::OffsetDateTime::now_utc();
    let (mut held, mut sold) = (0, 0);
    let mut owned: HashMap<&str, Vec<&str>> = HashMap::new();
    for seat in &seats {
        let expected = match seat.state {
            SeatState::Available => {
                assert!(seat.holder.is_none(), "{seat:?}");
                continue;
            }
            SeatState::Held => {
                held += 1;
                ReservationStatus::Hold
            }
            SeatState::Sold => {
                sold += 1;
                ReservationStatus::Confirmed
            }
        };
        let holder = seat
            .holder
            .as_deref()
            .expect("a held or sold seat has a holder");
        let reservation = reservations
            .get(holder)
            .unwrap_or_else(|| panic!("{seat:?} is held by a reservation that does not exist"));
        assert!(
            reservation.seat_ids.contains(&seat.seat_id),
            "{seat:?} {reservation:?}"
        );
        // A hold past its end may have been expired by a sweeper, or its seat retaken.
        if !(expected == ReservationStatus::Hold && reservation.hold_expires_at < now) {
            assert_eq!(reservation.status, expected, "{seat:?} {reservation:?}");
        }
        owned.entry(holder).or_default().push(&seat.seat_id);
    }
    assert!(held + sold <= pool);
    let orders: Vec<Order> = Table::<Order>::new(client)
        .with_prefix(&app.prefix)
        .scan()
        .all()
        .await
        .expect("scans orders");
    let events: Vec<OutboxEvent> = Table::<OutboxEvent>::new(client)
        .with_prefix(&app.prefix)
        .scan()
        .all()
        .await
        .expect("scans the outbox");
    let count_events = |id: &str, kind: &str| {
        events
            .iter()
            .filter(|e| e.aggregate_id == id && e.event_type == kind)
            .count()
    };
    for (id, reservation) in &reservations {
        let mine = owned.get(id.as_str()).map_or(0, Vec::len);
        let open_hold =
            reservation.status == ReservationStatus::Hold && reservation.hold_expires_at > now;
        if open_hold || reservation.status == ReservationStatus::Confirmed {
            assert_eq!(
                mine,
                reservation.seat_ids.len(),
                "{reservation:?} lost seats"
            );
        }
        if matches!(
            reservation.status,
            ReservationStatus::Cancelled | ReservationStatus::Expired
        ) {
            assert_eq!(mine, 0, "{reservation:?} still holds seats");
        }
        assert_eq!(count_events(id, "reservation.hold.created"), 1, "{id}");
        let (kind, orders_expected) = match reservation.status {
            ReservationStatus::Hold => (None, 0),
            ReservationStatus::Confirmed => (Some("reservation.confirmed"), 1),
            ReservationStatus::Cancelled => (Some("reservation.cancelled"), 0),
            ReservationStatus::Expired => (Some("reservation.expired"), 0),
        };
        if let Some(kind) = kind {
            assert_eq!(count_events(id, kind), 1, "{id}: one {kind} event");
        }
        assert_eq!(
            orders.iter().filter(|o| &o.reservation_id == id).count(),
            orders_expected,
            "{id}: orders"
        );
    }
    Audit {
        reservations,
        held,
        sold,
    }
}
