//! The service on the emulator, over HTTP: one [`TestApp`] per test, isolated by a table
//! prefix of its own and a port of its own, with a clock the test moves.

use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use dynamo_core::Table;
use dynamo_core::testing::{Emulator, Faults, PartitionMeter};
use reqwest::StatusCode;
use reservation_service::auth::sign_hs256;
use reservation_service::auth::{BearerTokens, JwtSettings};
use reservation_service::clock::{Clock, ManualClock};
use reservation_service::configuration::{ServerSettings, Settings};
use reservation_service::domain::Money;
use reservation_service::services::{Approval, PaymentFuture, PaymentGateway};
use reservation_service::startup::{AppState, Server};
use reservation_service::store::{
    ALL, OutboxEvent, Reservation, ReservationPartition, Seat, SeatKey, SeatPartition, SeatState,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, oneshot};

/// The price of every seat [`TestApp::seed`] creates, in won.
pub const SEAT_PRICE: u64 = 25_000;

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256-signing";

/// A running service and what a test needs to drive and inspect it.
pub struct TestApp {
    pub base: String,
    pub port: u16,
    /// `http://127.0.0.1:<MANAGEMENT_PORT>`, when the settings give the operational endpoints
    /// a port of their own.
    pub management: Option<String>,
    pub http: reqwest::Client,
    pub db: Emulator,
    pub state: Arc<AppState>,
    /// The service's clock: stands still until the test moves it.
    pub clock: ManualClock,
    /// Begins a graceful shutdown; resolves the server task.
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// How to build a [`TestApp`]; every option defaults to what most tests want.
pub struct TestAppBuilder {
    settings: Settings,
    payments: Option<Arc<dyn PaymentGateway>>,
    db: Option<Emulator>,
    create_tables: bool,
    meter: Option<PartitionMeter>,
    faults: Option<Faults>,
    clock: Option<ManualClock>,
    interceptors: Vec<SharedInterceptor>,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            settings: Settings {
                jwt: JwtSettings {
                    tokens: BearerTokens::Hs256 {
                        secret: SECRET.into(),
                    },
                    issuer: None,
                    audience: None,
                },
                server: ServerSettings {
                    request_timeout: Duration::from_secs(20),
                    // The concurrency tests send bursts from one user; the limits have their
                    // own test.
                    rate_per_user: 0.0,
                    rate_global: 0.0,
                    ..ServerSettings::default()
                },
                ..Settings::local()
            },
            payments: None,
            db: None,
            create_tables: true,
            meter: None,
            faults: None,
            clock: None,
            interceptors: Vec::new(),
        }
    }

    /// The service with the defaults.
    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }
}

impl TestAppBuilder {
    /// How long holds last.
    pub fn hold_ttl(mut self, ttl: Duration) -> Self {
        self.settings.reservations.hold_ttl = ttl;
        self
    }

    /// Any other setting.
    pub fn settings(mut self, tune: impl FnOnce(&mut Settings)) -> Self {
        tune(&mut self.settings);
        self
    }

    /// Approves payments with `payments`.
    pub fn payments(mut self, payments: Arc<dyn PaymentGateway>) -> Self {
        self.payments = Some(payments);
        self
    }

    /// Runs on this DynamoDB (client and table prefix) instead of the shared emulator.
    pub fn database(mut self, db: Emulator) -> Self {
        self.db = Some(db);
        self
    }

    /// Every DynamoDB request of the service goes through `meter` (its partition keys billed).
    pub fn metered(mut self, meter: &PartitionMeter) -> Self {
        self.meter = Some(meter.clone());
        self
    }

    /// The service's DynamoDB requests fail as `faults` say (the test's own, through
    /// [`TestApp::table`], do not).
    pub fn faults(mut self, faults: &Faults) -> Self {
        self.faults = Some(faults.clone());
        self
    }

    /// Runs on `clock` (another app's: replicas of one service share the time) instead of a
    /// clock of its own.
    pub fn clock(mut self, clock: &ManualClock) -> Self {
        self.clock = Some(clock.clone());
        self
    }

    /// Every DynamoDB request of the service goes through `interceptor`.
    pub fn intercepted(mut self, interceptor: impl Intercept + 'static) -> Self {
        self.interceptors.push(SharedInterceptor::new(interceptor));
        self
    }

    /// Leaves the tables to the test.
    pub fn without_tables(mut self) -> Self {
        self.create_tables = false;
        self
    }

    pub async fn spawn(self) -> TestApp {
        static LOGS: std::sync::Once = std::sync::Once::new();
        LOGS.call_once(|| {
            if std::env::var_os("TEST_LOG").is_some() {
                reservation_service::telemetry::init_tracing();
            }
        });
        let db = match self.db {
            Some(db) => db,
            None => Emulator::start().await.expect("the emulator starts"),
        };
        if self.create_tables {
            db.create_tables(&ALL).await.expect("tables created");
        }
        let mut settings = self.settings;
        settings.store.table_prefix = db.prefix().to_owned();
        let clock = self.clock.unwrap_or_else(ManualClock::starting_now);
        let mut client = match &self.faults {
            Some(faults) => faults.wrap(db.client()),
            None => db.client().clone(),
        };
        if let Some(meter) = &self.meter {
            client = meter.wrap(&client);
        }
        if !self.interceptors.is_empty() {
            let mut config = client.config().to_builder();
            for interceptor in self.interceptors {
                config.push_interceptor(interceptor);
            }
            client = dynamo_core::Client::from_conf(config.build());
        }
        let mut state = AppState::builder(settings, client).clock(Arc::new(clock.clone()));
        if let Some(payments) = self.payments {
            state = state.payments(payments);
        }
        let state = Arc::new(state.build());
        let server = Server::bind(state.clone(), 0).await.expect("binds");
        let port = server.port();
        let management = server
            .management_port()
            .map(|port| format!("http://127.0.0.1:{port}"));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            port,
            management,
            http: reqwest::Client::new(),
            db,
            state,
            clock,
            stop: Some(stop),
            server: Some(server),
        }
    }
}

impl TestApp {
    pub fn prefix(&self) -> &str {
        self.db.prefix()
    }

    /// Begins a graceful shutdown and returns the server task.
    pub fn shut_down(&mut self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.take().expect("the server runs")
    }

    pub fn table<E: dynamo_core::Entity>(&self) -> Table<E> {
        Table::new(self.db.client()).with_prefix(self.prefix())
    }

    pub async fn seed(&self, event: &str, seats: impl IntoIterator<Item = String>) {
        let table = self.table::<Seat>();
        let now = self.clock.now();
        for seat_id in seats {
            let seat = Seat {
                event_id: event.into(),
                seat_id,
                state: SeatState::Available,
                holder: None,
                hold_expires_at: None,
                updated_at: now,
                price: Some(SEAT_PRICE),
                currency: Some("KRW".into()),
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

    /// Confirms `id` with `payment`.
    pub async fn confirm(
        &self,
        user: &str,
        id: &str,
        key: &str,
        payment: &str,
    ) -> (StatusCode, Value, String) {
        self.post(
            &format!("/v1/reservations/{id}/confirm"),
            Some(user),
            Some(key),
            Some(json!({ "payment_intent_id": payment })),
        )
        .await
    }

    /// Moves the clock past the end of every hold made so far and past its confirmation's
    /// grace (`HOLD_GRACE_SECONDS`): the holds can be swept and their seats held again.
    pub fn end_holds(&self) {
        let r = &self.state.settings.reservations;
        self.clock
            .advance(r.hold_ttl + r.hold_grace + Duration::from_secs(1));
    }

    /// `POST /v1/reservations/{id}/cancel` as `user` with `Idempotency-Key: key`.
    pub async fn cancel(&self, user: &str, id: &str, key: &str) -> (StatusCode, Value, String) {
        self.post(
            &format!("/v1/reservations/{id}/cancel"),
            Some(user),
            Some(key),
            None,
        )
        .await
    }

    /// `GET path` with `Authorization: Bearer <token>`.
    pub async fn get_with_token(&self, path: &str, token: &str) -> (StatusCode, Value, String) {
        read(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(token)
                .send()
                .await
                .expect("answers"),
        )
        .await
    }

    /// Holds `seats` of `evt_1` and returns the reservation id.
    pub async fn reservation_id(&self, user: &str, key: &str, seats: &[&str]) -> String {
        let (status, body, _) = self.hold(user, key, "evt_1", seats).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["reservation_id"].as_str().expect("id").to_owned()
    }

    /// Writes `seat` as it was stored before the seats were sharded: `pk` the event id, and no
    /// `event_id` attribute.
    pub async fn put_seat_as_before_sharding(&self, seat: Seat) {
        use dynamo_core::Entity;
        let event = seat.event_id.clone();
        let mut item = seat.into_item().expect("maps");
        item.remove("event_id");
        item.insert("pk".into(), dynamo_core::AttributeValue::S(event));
        self.db
            .client()
            .put_item()
            .table_name(self.table::<Seat>().name())
            .set_item(Some(item))
            .send()
            .await
            .expect("written as before sharding");
    }

    pub async fn seat(&self, event: &str, seat: &str) -> Seat {
        self.table::<Seat>()
            .get(SeatKey::new(event, seat))
            .consistent_read()
            .send()
            .await
            .expect("reads")
            .expect("exists")
    }

    /// The item of `key` as stored, attribute by attribute.
    pub async fn stored_item<E: dynamo_core::Entity>(&self, key: E::Key) -> dynamo_core::Item {
        use dynamo_core::mapping::EntityKey;
        let table = self.table::<E>();
        table
            .client()
            .get_item()
            .table_name(table.name())
            .set_key(Some(key.into_key_item().expect("key")))
            .consistent_read(true)
            .send()
            .await
            .expect("reads")
            .item
            .expect("exists")
    }

    /// `GET /metrics`: the Prometheus text.
    pub async fn metrics_text(&self) -> String {
        self.raw(reqwest::Method::GET, "/metrics", None, None, "")
            .await
            .2
    }

    /// Every item of the outbox: events and inventory tasks, in any state.
    pub async fn outbox_events(&self) -> Vec<OutboxEvent> {
        self.table::<OutboxEvent>()
            .scan()
            .all()
            .await
            .expect("scans the outbox")
    }

    /// The `payment.void_requested` payloads written so far.
    pub async fn void_requests(&self) -> Vec<Value> {
        self.outbox_events()
            .await
            .iter()
            .filter(|e| e.event_type == "payment.void_requested")
            .map(|e| serde_json::from_str(&e.payload).expect("json"))
            .collect()
    }

    pub async fn reservation(&self, id: &str) -> Reservation {
        self.table::<Reservation>()
            .query(ReservationPartition::new(id))
            .consistent_read()
            .send()
            .await
            .expect("reads")
            .items
            .remove(0)
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
    pub reservations: std::collections::HashMap<String, Reservation>,
    pub held: usize,
    pub sold: usize,
}

pub async fn audit(app: &TestApp, event: &str, pool: usize) -> Audit {
    use reservation_service::store::{Order, ReservationStatus};
    use std::collections::HashMap;
    let reservations: HashMap<String, Reservation> = app
        .table::<Reservation>()
        .scan()
        .all()
        .await
        .expect("scans reservations")
        .into_iter()
        .filter(|r| r.event_id == event)
        .map(|r| (r.reservation_id.clone(), r))
        .collect();
    let seats: Vec<Seat> = app
        .table::<Seat>()
        .query(SeatPartition::all(event))
        .consistent_read()
        .all()
        .await
        .expect("reads seats");
    assert_eq!(seats.len(), pool, "the pool is intact");
    let now = app.clock.now();
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
    let orders: Vec<Order> = app
        .table::<Order>()
        .scan()
        .all()
        .await
        .expect("scans orders");
    let events: Vec<OutboxEvent> = app.outbox_events().await;
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

/// Holds every approval until released, and says when a request is inside it: a request that is
/// surely in flight when shutdown begins.
#[derive(Default)]
pub struct GatedPayments {
    pub entered: Notify,
    pub release: Notify,
}

impl PaymentGateway for GatedPayments {
    fn approve<'a>(
        &'a self,
        payment_intent_id: &'a str,
        _reservation_id: &'a str,
        _amount: &'a Money,
    ) -> PaymentFuture<'a> {
        Box::pin(async {
            self.entered.notify_one();
            self.release.notified().await;
            Ok(Approval {
                payment_intent_id: payment_intent_id.to_owned(),
            })
        })
    }
}

/// Starts alice's confirmation of `id` with `Idempotency-Key: key` and returns once her
/// payment call has begun (the gate holds it).
pub async fn confirm_in_flight(
    app: &TestApp,
    payments: &GatedPayments,
    id: &str,
    key: &'static str,
) -> tokio::task::JoinHandle<(StatusCode, Value, String)> {
    let (http, base, token) = (app.http.clone(), app.base.clone(), app.token("alice"));
    let id = id.to_owned();
    let confirm = tokio::spawn(async move {
        read(
            http.post(format!("{base}/v1/reservations/{id}/confirm"))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&json!({"payment_intent_id": format!("pay_{id}")}))
                .send()
                .await
                .expect("answers"),
        )
        .await
    });
    payments.entered.notified().await;
    confirm
}
