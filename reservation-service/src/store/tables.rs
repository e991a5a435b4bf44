//! The service's tables (the infrastructure module's, plus the seat inventory) and the
//! entities stored in them, with the formats of their derived keys. Every access goes through
//! these `TableDef`s: the entities are checked against them at compile time, and the live
//! tables at start-up.

use super::work::{IdempotencyRecord, OutboxEvent, WorkerMember};
use crate::domain::Money;
pub use crate::domain::ReservationStatus;
use crate::domain::lifecycle::Booking;
pub use crate::domain::rfc3339;
use dynamo_core::keys::Shard;
use dynamo_core::schema::SchemaTarget;
use dynamo_core::{Client, DynamoEntity, DynamoValue, Entity, IndexDef, KeyDef, Table, TableDef};
use time::OffsetDateTime;

/// The sweeper's shard of an open hold (reservations GSI2 `HOLD#<shard>`): a hold enters the
/// index and leaves it, so 10,000 holds a second (a third of 30k RPS) are 20,000 index writes,
/// 200 per key over 100 keys, a fifth of a partition's 1,000 (`docs/scale.md`). Two digits,
/// as the 64 shards of before: their keys are among these.
pub type HoldShard = Shard<100>;

/// The relay's shard of a pending event (outbox GSI1 `PENDING#<shard>`): an event enters the
/// index, its claim rewrites the entry and its publication removes it, so 20,000 events a second
/// are 60,000 index writes, 234 per key over 256 keys. Three digits, as the 128 shards of
/// before: their keys are among these.
pub type PendingShard = Shard<256>;

/// Before the work indexes were sharded by `Shard<N>`, their keys had one digit of 8 shards
/// (`HOLD#3`, `PENDING#5`): the sweeper and the relay still read those keys, for entries an
/// earlier version wrote (holds and events are short-lived; the keys empty themselves).
pub const LEGACY_WORK_SHARDS: u8 = 8;

/// Reservations: `pk` = reservation id, `sk` = event id; GSI1 lists a user's reservations
/// (`USER#<user_id>`, creation time and id); GSI2 is sparse and holds open holds by expiry
/// (`HOLD#<shard>`, epoch seconds), for the sweeper.
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

/// Orders: `pk` = order id, `sk` = reservation id; GSI1 lists orders by status. The table also
/// holds the payment intents used (`PAYMENT#<id>`): each item names its kind in `entity`, so a
/// typed read keeps its own.
pub const ORDERS: TableDef = TableDef::new("ticket-reservation-orders", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_entity_attribute("entity")
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

/// A reservation (the Reservation API's data model).
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = RESERVATIONS,
    gsi(GSI2, pk = "HOLD#{hold_shard}")
)]
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
    /// The sum of the seats' prices when they were held, in the currency's minor unit (absent
    /// from reservations made before prices existed).
    pub total_price: Option<u64>,
    /// ISO 4217 code of `total_price`.
    pub currency: Option<String>,
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
    /// The sweeper's shard while the hold is open (GSI2 `HOLD#<shard>`), absent afterwards:
    /// the reservation leaves the sparse index.
    pub hold_shard: Option<HoldShard>,
    /// Whether its seats count towards its user's cap of seats per event
    /// ([`UserSeats`]): so a cancellation or expiry takes off only what a hold added (holds
    /// made before the cap existed added nothing).
    #[dynamo(default)]
    pub counted: bool,
    /// When the sweeper may end the open hold, epoch seconds (GSI2's sort key): its end plus
    /// the grace, during which a confirmation that started before the end may still
    /// commit. Absent once the hold is closed.
    #[gsi(GSI2, sk)]
    pub gsi2sk: Option<i64>,
}

impl Reservation {
    /// The reservation as the rules read it ([`crate::domain::lifecycle`]).
    pub fn booking(&self) -> Booking<'_> {
        Booking {
            id: &self.reservation_id,
            user_id: &self.user_id,
            event_id: &self.event_id,
            seat_ids: &self.seat_ids,
            status: self.status,
            hold_expires_at: self.hold_expires_at,
            total: self
                .total_price
                .zip(self.currency.clone())
                .map(|(amount, currency)| Money { amount, currency }),
            counted: self.counted,
        }
    }
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

/// One seat of an event. An event's seats are spread over 256 partition key values by the shard
/// of the seat's id (`docs/scale.md`): one event on sale takes tens of thousands of writes a
/// second, and one partition key value takes at most 1,000. The event id comes last in the key,
/// so it may hold any character.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = SEATS,
    pk = "{shard(seat_id):256}#{event_id}",
    // Before the seats were sharded (until `migrate` has moved them all).
    previous(pk = "{event_id}")
)]
pub struct Seat {
    /// The event.
    pub event_id: String,
    /// The seat, e.g. `A-12`.
    #[sk]
    #[dynamo(rename = "sk")]
    pub seat_id: String,
    /// State.
    pub state: SeatState,
    /// The reservation holding or owning it.
    pub holder: Option<String>,
    /// Until when the seat is kept for its holder, epoch seconds (compared as a number in
    /// conditions): the hold's end plus the grace, so a confirmation that started
    /// before the end can still commit; free again afterwards.
    pub hold_expires_at: Option<i64>,
    /// Last change.
    pub updated_at: OffsetDateTime,
    /// The price in the currency's minor unit; a seat without one is not for sale (seats
    /// seeded before prices existed).
    pub price: Option<u64>,
    /// ISO 4217 code of `price`.
    pub currency: Option<String>,
}

/// The runner that moves seats stored before sharding to their keys now (`migrate` runs it; the
/// service moves a seat it touches before the runner reaches it).
pub fn rekey_seats(seats: &Table<Seat>) -> dynamo_core::table::Rekey<'_, Seat> {
    seats.rekey().segments(4).write_units_per_second(500)
}

impl Seat {
    /// Whether a hold may take it at `now` (epoch seconds): available, or held by a hold that
    /// ended.
    pub fn is_free(&self, now: i64) -> bool {
        match self.state {
            SeatState::Available => true,
            SeatState::Held => self.hold_expires_at.is_some_and(|end| end < now),
            SeatState::Sold => false,
        }
    }

    /// The seat's price, when it has one.
    pub fn price(&self) -> Option<Money> {
        Some(Money {
            amount: self.price?,
            currency: self.currency.clone()?,
        })
    }
}

/// The state of an order.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Paid and confirmed.
    Confirmed,
}

/// An order (the Reservation API's data model).
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = ORDERS
)]
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
    /// What was paid: the reservation's `total_price`, in the currency's minor unit (absent
    /// from orders made before prices existed).
    pub total_amount: Option<u64>,
    /// ISO 4217 code of `total_amount`.
    pub currency: Option<String>,
    /// Created.
    pub created_at: OffsetDateTime,
}

/// What a payment intent was used for.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentUse {
    /// It paid for the reservation's order.
    Paid,
    /// It was approved, but the reservation could no longer be confirmed: the payment is to be
    /// handed back (`payment.void_requested`).
    VoidRequested,
}

/// The one use of a payment intent (orders table, `PAYMENT#<id>`): written by the transaction
/// that confirms a reservation with the intent, or that asks for it to be handed back, on the
/// condition that it does not exist. So an intent pays for one reservation, ever, whatever the
/// concurrency. Kept with the orders, for as long as they are.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = ORDERS, pk = "PAYMENT#{payment_intent_id}", sk = "PAYMENT")]
pub struct PaymentClaim {
    /// The intent, as the caller sent it.
    pub payment_intent_id: String,
    /// What it was used for.
    pub used_for: PaymentUse,
    /// The reservation it paid, or that could not be confirmed with it.
    pub reservation_id: String,
    /// The order it paid (absent when handed back).
    pub order_id: Option<String>,
    /// Who sent it.
    pub user_id: String,
    /// The amount approved, in the currency's minor unit.
    pub amount: u64,
    /// ISO 4217 code of `amount`.
    pub currency: String,
    /// When it was used.
    pub used_at: OffsetDateTime,
}

/// How many seats of one event one user holds or has bought (orders table,
/// `USER_SEATS#<user>`, sort key the event): the hold's transaction adds its seats on the
/// condition that the sum stays within the user's cap of seats per event, and a cancellation or
/// expiry takes them off in its own. So a burst of holds by one user cannot pass the cap,
/// whatever the concurrency.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = ORDERS, pk = "USER_SEATS#{user_id}", sk = "{event_id}")]
pub struct UserSeats {
    /// The user.
    pub user_id: String,
    /// The event.
    pub event_id: String,
    /// Seats in open holds and confirmed reservations.
    pub seats: i64,
}

/// How the service's tables are named: `{prefix}{name}-reservation-...`, where `name` is the
/// infrastructure module's `name` variable (`ticket` by default, as in the definitions above)
/// and `prefix` is prepended to it (both settings: [`StoreSettings`](super::StoreSettings)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    prefix: String,
    name: String,
}

impl TableNames {
    /// Names with `prefix` and the module name `name`.
    pub fn new(prefix: &str, name: &str) -> Self {
        TableNames {
            prefix: prefix.to_owned(),
            name: name.to_owned(),
        }
    }

    /// The default names with `prefix` (e.g. `dev-`) in front.
    pub fn prefixed(prefix: &str) -> Self {
        Self::new(prefix, super::settings::DEFAULT_RESOURCE_NAME)
    }

    /// The name of the table `def` declares.
    pub fn of(&self, def: &TableDef) -> String {
        let rest = def
            .name
            .strip_prefix(super::settings::DEFAULT_RESOURCE_NAME)
            .unwrap_or(def.name);
        format!("{}{}{rest}", self.prefix, self.name)
    }
}

/// Every table of the service, as typed handles.
#[derive(Debug, Clone)]
pub struct Tables {
    /// Reservations.
    pub reservations: Table<Reservation>,
    /// Seat inventory.
    pub seats: Table<Seat>,
    /// Orders.
    pub orders: Table<Order>,
    /// The payment intents used (in the orders table).
    pub payments: Table<PaymentClaim>,
    /// Each user's seats per event (in the orders table).
    pub user_seats: Table<UserSeats>,
    /// Outbox events.
    pub outbox: Table<OutboxEvent>,
    /// Idempotency records.
    pub idempotency: Table<IdempotencyRecord>,
    /// The worker replicas' heartbeats (in the outbox table).
    pub workers: Table<WorkerMember>,
}

impl Tables {
    /// The tables named by `names`.
    pub fn new(client: &Client, names: &TableNames) -> Self {
        fn table<E: dynamo_core::Entity>(client: &Client, names: &TableNames) -> Table<E> {
            Table::new(client).named(names.of(&E::TABLE))
        }
        Tables {
            reservations: table(client, names),
            seats: table(client, names),
            orders: table(client, names),
            payments: table(client, names),
            user_seats: table(client, names),
            outbox: table(client, names),
            idempotency: table(client, names),
            workers: table(client, names),
        }
    }

    /// What the schema check compares: each table with its definition and the entity that maps
    /// it, so messages name the fields to fix.
    pub fn schema_targets(&self) -> Vec<SchemaTarget> {
        vec![
            SchemaTarget::of(&self.reservations),
            SchemaTarget::of(&self.orders),
            SchemaTarget::of(&self.payments),
            SchemaTarget::of(&self.user_seats),
            SchemaTarget::of(&self.idempotency),
            SchemaTarget::of(&self.outbox),
            SchemaTarget::of(&self.workers),
            SchemaTarget::of(&self.seats),
        ]
    }
}

/// A hold's shard, at random: spreads the sweeper index's writes over its partitions.
pub fn hold_shard() -> HoldShard {
    HoldShard::try_from(fastrand::u32(..HoldShard::COUNT)).unwrap_or_default()
}

/// A pending event's shard, at random: spreads the relay index's writes over its partitions.
pub fn pending_shard() -> PendingShard {
    PendingShard::try_from(fastrand::u32(..PendingShard::COUNT)).unwrap_or_default()
}

/// Entries of a work index under the keys an earlier version wrote (`<prefix>0` to
/// `<prefix>7`) whose sort key is below `below`, read as `E`: the sweeper's and the relay's
/// way to finish what an earlier version's replicas left.
pub async fn legacy_work_entries<E: Entity>(
    table: &Table<E>,
    index: &str,
    (partition, sort): (&str, &str),
    prefix: &str,
    below: dynamo_core::AttributeValue,
    limit: i32,
) -> Result<Vec<E>, String> {
    let mut out = Vec::new();
    for shard in 0..LEGACY_WORK_SHARDS {
        let page = table
            .client()
            .query()
            .table_name(table.name())
            .index_name(index)
            .key_condition_expression("#p = :p AND #s < :s")
            .expression_attribute_names("#p", partition)
            .expression_attribute_names("#s", sort)
            .expression_attribute_values(
                ":p",
                dynamo_core::AttributeValue::S(format!("{prefix}{shard}")),
            )
            .expression_attribute_values(":s", below.clone())
            .limit(limit)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "reading {index} under {prefix}{shard}: {}",
                    aws_smithy_types::error::display::DisplayErrorContext(&e)
                )
            })?;
        for item in page.items.unwrap_or_default() {
            out.push(E::from_item(item).map_err(|e| e.to_string())?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynamo_core::schema::assert_stored_shape;

    /// What the tables hold, per entity, as recorded in `tests/shapes/`: a change of a stored
    /// shape shows in review, and one that items already stored cannot be read with needs a
    /// schema version (docs/migrations.md). Update: `DYNAMO_UPDATE_SHAPES=1 cargo test`.
    #[test]
    fn stored_shapes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/shapes");
        assert_stored_shape::<Reservation>(dir);
        assert_stored_shape::<Seat>(dir);
        assert_stored_shape::<Order>(dir);
        assert_stored_shape::<PaymentClaim>(dir);
        assert_stored_shape::<UserSeats>(dir);
        assert_stored_shape::<IdempotencyRecord>(dir);
        assert_stored_shape::<OutboxEvent>(dir);
        assert_stored_shape::<WorkerMember>(dir);
    }
}
