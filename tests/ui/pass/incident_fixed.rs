//! The three entities of the incident (fields mapped to attributes named after them while the
//! tables' keys were `pk`/`sk`), mapped right: each compiles against the table it lives in.

use dynamo_core::{DynamoEntity, DynamoValue, Entity, IndexDef, KeyDef, TableDef, mapping::EntityKey};
use time::OffsetDateTime;

const RESERVATIONS: TableDef = TableDef::new("ticket-reservation-reservations", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

const ORDERS: TableDef = TableDef::new("ticket-reservation-orders", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

const OUTBOX: TableDef =
    TableDef::new("ticket-reservation-outbox", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
enum ReservationStatus {
    Hold,
    Confirmed,
    Cancelled,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = RESERVATIONS)]
struct Reservation {
    #[pk]
    #[dynamo(rename = "pk")]
    reservation_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    event_id: String,
    user_id: String,
    quantity: u32,
    seat_ids: Vec<String>,
    status: ReservationStatus,
    hold_expires_at: Option<OffsetDateTime>,
    idempotency_key: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
enum OrderStatus {
    Pending,
    Confirmed,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = ORDERS)]
struct Order {
    #[pk]
    #[dynamo(rename = "pk")]
    order_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    reservation_id: String,
    event_id: String,
    user_id: String,
    amount: i64,
    status: OrderStatus,
    payment_intent_id: String,
    #[gsi(GSI1, pk)]
    gsi1pk: String,
    #[gsi(GSI1, sk)]
    gsi1sk: String,
}

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
enum OutboxStatus {
    Pending,
    Published,
    Failed,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = OUTBOX)]
struct OutboxEvent {
    #[pk]
    #[dynamo(rename = "pk")]
    outbox_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    event_type: String,
    payload: String,
    status: OutboxStatus,
    attempts: u32,
    next_retry_at: Option<OffsetDateTime>,
}

fn main() {
    let now = OffsetDateTime::from_unix_timestamp(1_760_000_000).expect("valid timestamp");
    let reservation = Reservation {
        reservation_id: "rsv_abc123".into(),
        event_id: "evt_2025_1001".into(),
        user_id: "u123".into(),
        quantity: 2,
        seat_ids: vec!["A-12".into(), "A-13".into()],
        status: ReservationStatus::Hold,
        hold_expires_at: Some(now),
        idempotency_key: "0f5e".into(),
        created_at: now,
        updated_at: now,
    };
    let key = reservation.key().into_key_item().expect("key maps");
    assert!(key.contains_key("pk") && key.contains_key("sk"), "the incident's missing key is present");
    let item = reservation.clone().into_item().expect("maps");
    assert_eq!(Reservation::from_item(item).expect("reads back"), reservation);

    let order = Order {
        order_id: "ord_xyz789".into(),
        reservation_id: "rsv_abc123".into(),
        event_id: "evt_2025_1001".into(),
        user_id: "u123".into(),
        amount: 50_000,
        status: OrderStatus::Confirmed,
        payment_intent_id: "pay_xyz789".into(),
        gsi1pk: "STATUS#CONFIRMED".into(),
        gsi1sk: "2025-10-09T10:29:49Z".into(),
    };
    assert_eq!(order.key().into_key_item().expect("key maps").len(), 2);

    let event = OutboxEvent {
        outbox_id: "outbox_1".into(),
        event_type: "reservation.hold.created".into(),
        payload: "{}".into(),
        status: OutboxStatus::Pending,
        attempts: 0,
        next_retry_at: None,
    };
    let item = event.into_item().expect("maps");
    assert_eq!(item["sk"].as_s().expect("S"), "reservation.hold.created");
    assert_eq!(Order::TABLE.name, "ticket-reservation-orders");
}
