//! The service's tables (seed 001, plus the seat inventory) and the entities stored in them.
//! Every access goes through these `TableDef`s: the entities are checked against them at
//! compile time, and the live tables at start-up.

use dynamo_core::{DynamoEntity, DynamoValue, IndexDef, KeyDef, TableDef};
use time::OffsetDateTime;

/// Write shards of the sparse work indexes (pending outbox events, open holds): one index
/// partition key would cap the whole table's write rate at one index partition's.
pub const WORK_SHARDS: u8 = 8;

/// Reservations: `pk` = reservation id, `sk` = event id; GSI1 lists a user's reservations;
/// GSI2 is sparse and holds open holds by expiry (`HOLD#<shard>`, epoch seconds), for the
/// sweeper.
pub const RESERVATIONS: TableDef =
    TableDef::new("ticket-reservation-reservations", KeyDef::string("pk"))
        .with_sort_key(KeyDef::string("sk"))
        .with_indexes(&[
            IndexDef::global(
                "GSI1",
                KeyDef::string("gsi1pk"),
                Some(KeyDef::string("gsi1sk")),
            ),
            IndexDef::global(
                "GSI2",
                KeyDef::string("gsi2pk"),
                Some(KeyDef::number("gsi2sk")),
            ),
        ]);

/// Orders: `pk` = order id, `sk` = reservation id; GSI1 lists orders by status.
pub const ORDERS: TableDef = TableDef::new("ticket-reservation-orders", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )]);

/// Idempotency records: `pk` = user and key; expire through `ttl`.
pub const IDEMPOTENCY: TableDef =
    TableDef::new("ticket-reservation-idempotency", KeyDef::string("pk")).with_ttl_attribute("ttl");

/// Outbox: `pk` = outbox id, `sk` = event type; GSI1 is sparse and holds pending events only
/// (`PENDING#<shard>`, next attempt time), for the relay.
pub const OUTBOX: TableDef = TableDef::new("ticket-reservation-outbox", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )]);

/// Seat inventory: `pk` = event id, `sk` = seat id.
pub const SEATS: TableDef = TableDef::new("ticket-reservation-seats", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"));

/// Every table of the service.
pub const ALL: [TableDef; 5] = [RESERVATIONS, ORDERS, IDEMPOTENCY, OUTBOX, SEATS];

/// The state of a reservation.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReservationStatus {
    /// Seats held until `hold_expires_at`.
    Hold,
    /// Paid; seats sold.
    Confirmed,
    /// Cancelled by the user; seats released.
    Cancelled,
    /// The hold ran out; seats released.
    Expired,
}

impl ReservationStatus {
    /// The stored string.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Hold => "HOLD",
            ReservationStatus::Confirmed => "CONFIRMED",
            ReservationStatus::Cancelled => "CANCELLED",
            ReservationStatus::Expired => "EXPIRED",
        }
    }
}

/// A reservation (seed 003 data model).
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = RESERVATIONS)]
pub struct Reservation {
    /// `rsv_...`.
    #[pk]
    #[dynamo(rename = "pk")]
    pub reservation_id: String,
    /// The event.
    #[sk]
    #[dynamo(rename = "sk")]
    pub event_id: String,
    /// The token's subject.
    pub user_id: String,
    /// State.
    pub status: ReservationStatus,
    /// The seats, in request order.
    pub seat_ids: Vec<String>,
    /// Number of seats.
    pub quantity: u32,
    /// When the hold ends.
    pub hold_expires_at: OffsetDateTime,
    /// The `Idempotency-Key` that created it.
    pub idempotency_key: String,
    /// The order, once confirmed.
    pub order_id: Option<String>,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
    /// `USER#<user_id>`.
    #[gsi(GSI1, pk)]
    pub gsi1pk: String,
    /// Creation time and id, for a user's reservations in order.
    #[gsi(GSI1, sk)]
    pub gsi1sk: String,
    /// `HOLD#<shard>` while the hold is open, absent afterwards (sparse index).
    #[gsi(GSI2, pk)]
    pub gsi2pk: Option<String>,
    /// The end of the hold, epoch seconds, while the hold is open.
    #[gsi(GSI2, sk)]
    pub gsi2sk: Option<i64>,
}

/// The state of a seat.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SeatState {
    /// Free.
    Available,
    /// Held by a reservation until `hold_expires_at` (afterwards free again).
    Held,
    /// Sold.
    Sold,
}

/// One seat of an event.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = SEATS)]
pub struct Seat {
    /// The event.
    #[pk]
    #[dynamo(rename = "pk")]
    pub event_id: String,
    /// The seat, e.g. `A-12`.
    #[sk]
    #[dynamo(rename = "sk")]
    pub seat_id: String,
    /// State.
    pub state: SeatState,
    /// The reservation holding or owning it.
    pub holder: Option<String>,
    /// End of the hold, epoch seconds (compared as a number in conditions).
    pub hold_expires_at: Option<i64>,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// The state of an order.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Paid and confirmed.
    Confirmed,
}

/// An order (seed 003 data model).
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = ORDERS)]
pub struct Order {
    /// `ord_...`.
    #[pk]
    #[dynamo(rename = "pk")]
    pub order_id: String,
    /// The reservation.
    #[sk]
    #[dynamo(rename = "sk")]
    pub reservation_id: String,
    /// The event.
    pub event_id: String,
    /// The buyer.
    pub user_id: String,
    /// The seats sold.
    pub seat_ids: Vec<String>,
    /// State.
    pub status: OrderStatus,
    /// The approved payment.
    pub payment_intent_id: String,
    /// Created.
    pub created_at: OffsetDateTime,
    /// `STATUS#<status>`.
    #[gsi(GSI1, pk)]
    pub gsi1pk: String,
    /// Creation time and id.
    #[gsi(GSI1, sk)]
    pub gsi1sk: String,
}

/// Whether an idempotent request is running or done.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdempotencyStatus {
    /// Locked by the request executing it.
    InProgress,
    /// Done; the response is stored.
    Completed,
}

/// One `Idempotency-Key` of one user.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = IDEMPOTENCY)]
pub struct IdempotencyRecord {
    /// `<user_id>#<key>`.
    #[pk]
    #[dynamo(rename = "pk")]
    pub key: String,
    /// SHA-256 of method, path and canonical body.
    pub request_hash: String,
    /// State.
    pub status: IdempotencyStatus,
    /// The execution holding the lock.
    pub owner: String,
    /// Until when the lock holds, epoch seconds.
    pub lock_expires_at: i64,
    /// Stored HTTP status.
    pub response_status: Option<u16>,
    /// Stored response body, replayed byte for byte.
    pub response_body: Option<String>,
    /// Expiry, epoch seconds (the record is void afterwards, whether or not TTL deleted it).
    #[ttl]
    pub ttl: i64,
}

/// The state of an outbox event.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutboxStatus {
    /// Waiting to be published.
    Pending,
    /// Published.
    Published,
    /// Given up after the maximum attempts.
    Failed,
}

/// An event written in the same transaction as the change it announces.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = OUTBOX)]
pub struct OutboxEvent {
    /// `obx_...`.
    #[pk]
    #[dynamo(rename = "pk")]
    pub outbox_id: String,
    /// `reservation.hold.created`, `reservation.confirmed`, ...
    #[sk]
    #[dynamo(rename = "sk")]
    pub event_type: String,
    /// The reservation.
    pub aggregate_id: String,
    /// The event body, JSON.
    pub payload: String,
    /// State.
    pub status: OutboxStatus,
    /// Publish attempts so far.
    pub attempts: u32,
    /// Earliest next attempt, epoch seconds.
    pub next_retry_at: i64,
    /// Created.
    pub created_at: OffsetDateTime,
    /// The relay instance that claimed it for publishing.
    pub lease_owner: Option<String>,
    /// Until when the claim holds, epoch seconds.
    pub lease_until: Option<i64>,
    /// When it was published.
    pub published_at: Option<OffsetDateTime>,
    /// The last publish error.
    pub last_error: Option<String>,
    /// `PENDING#<shard>` while pending, absent afterwards (sparse index).
    #[gsi(GSI1, pk)]
    pub gsi1pk: Option<String>,
    /// `next_retry_at` (12 digits) and id while pending: the relay reads the due events with a
    /// key condition, in the order they fall due.
    #[gsi(GSI1, sk)]
    pub gsi1sk: Option<String>,
}
