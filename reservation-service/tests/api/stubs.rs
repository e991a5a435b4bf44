//! The systems around the service, as local HTTP servers the tests start: the payment API, an
//! OIDC issuer (Keycloak-shaped) and the waiting room. Each records what it was asked.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Serves `router` on a free local port; the base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let base = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// A URL where nothing listens (a dependency that is down).
pub fn nothing_listens() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port();
    format!("http://127.0.0.1:{port}")
}

/// The payment API: `GET /v1/payments/{id}` answers by the id's prefix, after folding it to
/// lower case: like APIs that resolve ids case-insensitively, it answers for `PAY_OK_1` as
/// `pay_ok_1`, and names the intent so.
///
/// | id | answer |
/// |---|---|
/// | `pay_ok_<amount>` | 200 APPROVED for `<amount>` KRW, no reservation named |
/// | `pay_for_<amount>_<reservation>` | 200 APPROVED for `<amount>` KRW, made for `<reservation>` |
/// | `pay_late_<amount>_<reservation>` | the same, after 400 ms |
/// | `pay_flaky_<amount>_<reservation>` | 503 on the first call, then the same |
/// | `pay_pending_for_<reservation>` | 200 PENDING, made for `<reservation>` |
/// | `pay_any` | 200 APPROVED, no amount |
/// | `pay_pending` | 200 PENDING |
/// | `pay_slow` | never answers |
/// | anything else | 404 |
///
/// While [`PaymentApi::set_down`] is on, every call is answered 503.
pub struct PaymentApi {
    pub url: String,
    calls: Arc<Mutex<std::collections::HashMap<String, usize>>>,
    down: Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Clone)]
struct PaymentState {
    calls: Arc<Mutex<std::collections::HashMap<String, usize>>>,
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl PaymentApi {
    pub async fn start() -> PaymentApi {
        let state = PaymentState {
            calls: Arc::new(Mutex::new(std::collections::HashMap::new())),
            down: Arc::default(),
        };
        let router = Router::new()
            .route("/v1/payments/{id}", get(payment))
            .with_state(state.clone());
        PaymentApi {
            url: serve(router).await,
            calls: state.calls,
            down: state.down,
        }
    }

    /// Answers 503 to everything while `down`.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// How often the intent `id` was asked about.
    pub fn calls(&self, id: &str) -> usize {
        self.calls
            .lock()
            .expect("lock")
            .get(id)
            .copied()
            .unwrap_or(0)
    }
}

async fn payment(State(state): State<PaymentState>, Path(asked): Path<String>) -> Response {
    let n = {
        let mut calls = state.calls.lock().expect("lock");
        let n = calls.entry(asked.clone()).or_insert(0);
        *n += 1;
        *n - 1
    };
    if state.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let id = asked.to_lowercase();
    let answer = |status: &str, amount: Option<&str>, reservation: Option<&str>| {
        let mut body = json!({"payment_intent_id": id, "status": status});
        if let Some(amount) = amount {
            body["amount"] = json!(amount.parse::<u64>().ok());
            body["currency"] = json!("KRW");
        }
        if let Some(reservation) = reservation {
            body["reservation_id"] = json!(reservation);
        }
        Json(body).into_response()
    };
    let for_reservation = |prefix: &str| {
        id.strip_prefix(prefix)
            .and_then(|rest| rest.split_once('_'))
            .map(|(amount, reservation)| answer("APPROVED", Some(amount), Some(reservation)))
    };
    if let Some(amount) = id.strip_prefix("pay_ok_") {
        return answer("APPROVED", Some(amount), None);
    }
    if let Some(approved) = for_reservation("pay_for_") {
        return approved;
    }
    if let Some(approved) = for_reservation("pay_late_") {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        return approved;
    }
    if let Some(approved) = for_reservation("pay_flaky_") {
        return match n {
            0 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
            _ => approved,
        };
    }
    if let Some(reservation) = id.strip_prefix("pay_pending_for_") {
        return answer("PENDING", None, Some(reservation));
    }
    match id.as_str() {
        "pay_any" => answer("APPROVED", None, None),
        "pay_pending" => answer("PENDING", None, None),
        // Never answers: the service's timeout must.
        "pay_slow" => std::future::pending().await,
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// An OIDC issuer at `{base}/realms/tickets`, with a discovery document and a JWKS that the
/// test can rotate; it signs Keycloak-shaped access tokens.
pub struct Issuer {
    pub issuer: String,
    jwks: Arc<Mutex<Value>>,
    pub jwks_fetches: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct IssuerState {
    issuer: Arc<Mutex<String>>,
    jwks: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

pub const KEY_1: (&str, &[u8]) = (
    "test-key-1",
    include_bytes!("../fixtures/test-rsa-private.pem"),
);
pub const KEY_2: (&str, &[u8]) = (
    "test-key-2",
    include_bytes!("../fixtures/test-rsa-private-2.pem"),
);

fn jwks_of(kids: &[&str]) -> Value {
    let mut keys = Vec::new();
    for kid in kids {
        let file: Value = serde_json::from_str(match *kid {
            "test-key-1" => include_str!("../fixtures/test-jwks.json"),
            _ => include_str!("../fixtures/test-jwks-2.json"),
        })
        .expect("json");
        keys.extend(file["keys"].as_array().expect("keys").iter().cloned());
    }
    json!({ "keys": keys })
}

impl Issuer {
    /// Publishes key 1.
    pub async fn start() -> Issuer {
        let state = IssuerState {
            issuer: Arc::new(Mutex::new(String::new())),
            jwks: Arc::new(Mutex::new(jwks_of(&[KEY_1.0]))),
            fetches: Arc::new(AtomicUsize::new(0)),
        };
        let router = Router::new()
            .route(
                "/realms/tickets/.well-known/openid-configuration",
                get(|State(s): State<IssuerState>| async move {
                    let issuer = s.issuer.lock().expect("lock").clone();
                    Json(json!({
                        "issuer": issuer,
                        "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }))
                }),
            )
            .route(
                "/realms/tickets/protocol/openid-connect/certs",
                get(|State(s): State<IssuerState>| async move {
                    s.fetches.fetch_add(1, Ordering::SeqCst);
                    Json(s.jwks.lock().expect("lock").clone())
                }),
            )
            .with_state(state.clone());
        let issuer = format!("{}/realms/tickets", serve(router).await);
        *state.issuer.lock().expect("lock") = issuer.clone();
        Issuer {
            issuer,
            jwks: state.jwks,
            jwks_fetches: state.fetches,
        }
    }

    /// Publishes the keys `kids` (key rotation).
    pub fn publish(&self, kids: &[&str]) {
        *self.jwks.lock().expect("lock") = jwks_of(kids);
    }

    /// A Keycloak-shaped access token for `sub`, for `aud`, signed with `key`.
    pub fn token(&self, key: (&str, &[u8]), sub: &str, aud: &str) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        sign(
            key,
            &json!({
                "exp": now + 300, "iat": now, "jti": "d4c7c6b2", "iss": self.issuer,
                "aud": [aud, "account"], "sub": sub, "typ": "Bearer", "azp": "ticket-web",
                "session_state": "5b1c", "acr": "1", "scope": "openid profile email",
                "realm_access": {"roles": ["offline_access", "uma_authorization", "user"]},
                "resource_access": {"account": {"roles": ["manage-account"]}},
                "email_verified": true, "preferred_username": sub,
            }),
        )
    }
}

/// `claims` signed RS256 with `key` (kid, PEM).
pub fn sign(key: (&str, &[u8]), claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(key.0.to_owned());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(key.1).expect("pem");
    jsonwebtoken::encode(&header, claims, &key).expect("signs")
}

/// The waiting room's verification endpoint: `POST /verify` admits the tokens `rtkn_<user>`
/// for every event, refuses others with a reason, and counts the calls.
pub struct WaitingRoom {
    pub url: String,
    pub calls: Arc<AtomicUsize>,
}

impl WaitingRoom {
    pub async fn start() -> WaitingRoom {
        let calls = Arc::new(AtomicUsize::new(0));
        let router = Router::new()
            .route(
                "/verify",
                post(
                    |State(calls): State<Arc<AtomicUsize>>, Json(body): Json<Value>| async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        let token = body["reservation_token"].as_str().unwrap_or_default();
                        let user = body["user_id"].as_str().unwrap_or_default();
                        assert!(body["event_id"].is_string(), "the event is asked about");
                        if token == format!("rtkn_{user}") {
                            Json(json!({"admitted": true}))
                        } else {
                            Json(json!({"admitted": false, "reason": "not admitted yet: position 4182 in the queue"}))
                        }
                    },
                ),
            )
            .with_state(calls.clone());
        WaitingRoom {
            url: format!("{}/verify", serve(router).await),
            calls,
        }
    }
}

/// inventory-api: an in-process tonic server of `inventory.v1.Inventory` over one event's
/// seats, each priced `price` KRW. CommitReservation commits all seats or none;
/// ReleaseHold releases the seats committed to the reservation. Faults on demand:
/// [`InventoryStub::stall_checks`] never answers CheckAvailability, and
/// [`InventoryStub::stall_commits`] applies a commit at once but never answers it (the answer
/// is lost to a caller with a deadline; the stalled call ends when the caller gives up).
#[derive(Clone)]
pub struct InventoryStub {
    pub address: String,
    state: Arc<InventoryState>,
}

#[derive(Default)]
struct InventoryState {
    /// seat → (price, holder).
    seats: Mutex<std::collections::BTreeMap<String, (u64, Option<String>)>>,
    /// CheckAvailability never answers.
    stall_checks: std::sync::atomic::AtomicBool,
    /// Every n-th commit is applied but never answered (0: none).
    stall_every: AtomicUsize,
    commits: AtomicUsize,
    releases: AtomicUsize,
    /// The `traceparent` of every call that carried one.
    traceparents: Mutex<Vec<String>>,
}

impl InventoryState {
    fn saw<T>(&self, request: &tonic::Request<T>) {
        if let Some(parent) = request
            .metadata()
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
        {
            self.traceparents
                .lock()
                .expect("lock")
                .push(parent.to_owned());
        }
    }
}

use reservation_service::services::inventory::proto::{
    self as inventory, inventory_server::InventoryServer,
};

impl InventoryStub {
    pub async fn start(seats: impl IntoIterator<Item = String>, price: u64) -> InventoryStub {
        let state = Arc::new(InventoryState::default());
        state
            .seats
            .lock()
            .expect("lock")
            .extend(seats.into_iter().map(|seat| (seat, (price, None))));
        let incoming =
            tonic::transport::server::TcpIncoming::bind(([127, 0, 0, 1], 0).into()).expect("binds");
        let address = format!("http://{}", incoming.local_addr().expect("addr"));
        let service = InventoryServer::from_arc(state.clone());
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(incoming),
        );
        InventoryStub { address, state }
    }

    /// CheckAvailability never answers (`true`) or answers at once again (`false`).
    pub fn stall_checks(&self, stall: bool) {
        self.state.stall_checks.store(stall, Ordering::SeqCst);
    }

    /// Every `every`-th CommitReservation (every one for 1; none for 0) is applied at once and
    /// never answered.
    pub fn stall_commits(&self, every: usize) {
        self.state.stall_every.store(every, Ordering::SeqCst);
    }

    /// Each seat's holder.
    pub fn holders(&self) -> std::collections::BTreeMap<String, Option<String>> {
        self.state
            .seats
            .lock()
            .expect("lock")
            .iter()
            .map(|(seat, (_, holder))| (seat.clone(), holder.clone()))
            .collect()
    }

    pub fn commits(&self) -> usize {
        self.state.commits.load(Ordering::SeqCst)
    }

    pub fn releases(&self) -> usize {
        self.state.releases.load(Ordering::SeqCst)
    }

    /// The `traceparent` headers the calls carried.
    pub fn traceparents(&self) -> Vec<String> {
        self.state.traceparents.lock().expect("lock").clone()
    }
}

#[tonic::async_trait]
impl inventory::inventory_server::Inventory for InventoryState {
    async fn check_availability(
        &self,
        request: tonic::Request<inventory::CheckAvailabilityRequest>,
    ) -> Result<tonic::Response<inventory::CheckAvailabilityResponse>, tonic::Status> {
        self.saw(&request);
        if self.stall_checks.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        let seats = self.seats.lock().expect("lock");
        let answer = request
            .into_inner()
            .seat_ids
            .into_iter()
            .map(|id| {
                let known = seats.get(&id);
                inventory::SeatAvailability {
                    available: known.is_some_and(|(_, holder)| holder.is_none()),
                    price: known.map(|(price, _)| *price),
                    currency: "KRW".into(),
                    seat_id: id,
                }
            })
            .collect();
        Ok(tonic::Response::new(inventory::CheckAvailabilityResponse {
            seats: answer,
        }))
    }

    async fn commit_reservation(
        &self,
        request: tonic::Request<inventory::CommitReservationRequest>,
    ) -> Result<tonic::Response<inventory::CommitReservationResponse>, tonic::Status> {
        self.saw(&request);
        let request = request.into_inner();
        let n = self.commits.fetch_add(1, Ordering::SeqCst) + 1;
        let answer = {
            let mut seats = self.seats.lock().expect("lock");
            let unavailable: Vec<String> = request
                .seat_ids
                .iter()
                .filter(|id| {
                    seats.get(*id).is_none_or(|(_, holder)| {
                        holder
                            .as_ref()
                            .is_some_and(|h| *h != request.reservation_id)
                    })
                })
                .cloned()
                .collect();
            if unavailable.is_empty() {
                for id in &request.seat_ids {
                    if let Some((_, holder)) = seats.get_mut(id) {
                        *holder = Some(request.reservation_id.clone());
                    }
                }
            }
            inventory::CommitReservationResponse {
                committed: unavailable.is_empty(),
                unavailable_seat_ids: unavailable,
            }
        };
        let every = self.stall_every.load(Ordering::SeqCst);
        if every != 0 && n.is_multiple_of(every) {
            std::future::pending::<()>().await;
        }
        Ok(tonic::Response::new(answer))
    }

    async fn release_hold(
        &self,
        request: tonic::Request<inventory::ReleaseHoldRequest>,
    ) -> Result<tonic::Response<inventory::ReleaseHoldResponse>, tonic::Status> {
        let request = request.into_inner();
        self.releases.fetch_add(1, Ordering::SeqCst);
        let mut seats = self.seats.lock().expect("lock");
        let mut released = 0;
        for id in &request.seat_ids {
            if let Some((_, holder)) = seats.get_mut(id)
                && holder.as_deref() == Some(request.reservation_id.as_str())
            {
                *holder = None;
                released += 1;
            }
        }
        Ok(tonic::Response::new(inventory::ReleaseHoldResponse {
            released,
        }))
    }
}
