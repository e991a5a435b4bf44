//! The events the service publishes (through the outbox), as types: the payloads under the
//! envelope's `data`. `docs/events.md` documents each for consumers; a test checks it against
//! [`examples`].

use serde::Serialize;

/// An event's payload and its type name.
pub trait DomainEvent: Serialize {
    /// The event type (`type` in the envelope, `detail-type` on EventBridge).
    const TYPE: &'static str;
}

/// Seats were held: `reservation.hold.created`.
#[derive(Debug, Clone, Serialize)]
pub struct HoldCreated {
    /// The reservation.
    pub reservation_id: String,
    /// The event.
    pub event_id: String,
    /// The user.
    pub user_id: String,
    /// The seats held.
    pub seat_ids: Vec<String>,
    /// Number of seats.
    pub quantity: u32,
    /// End of the hold, RFC 3339.
    pub hold_expires_at: String,
    /// Sum of the seats' prices, in the currency's minor unit.
    pub total_price: u64,
    /// ISO 4217.
    pub currency: String,
}

impl DomainEvent for HoldCreated {
    const TYPE: &'static str = "reservation.hold.created";
}

/// A hold was paid: `reservation.confirmed`.
#[derive(Debug, Clone, Serialize)]
pub struct Confirmed {
    /// The reservation.
    pub reservation_id: String,
    /// The order created.
    pub order_id: String,
    /// The event.
    pub event_id: String,
    /// The buyer.
    pub user_id: String,
    /// The seats sold.
    pub seat_ids: Vec<String>,
    /// The approved payment.
    pub payment_intent_id: String,
    /// What was paid, in the currency's minor unit.
    pub total_amount: u64,
    /// ISO 4217.
    pub currency: String,
}

impl DomainEvent for Confirmed {
    const TYPE: &'static str = "reservation.confirmed";
}

/// The user cancelled a hold: `reservation.cancelled`.
#[derive(Debug, Clone, Serialize)]
pub struct Cancelled {
    /// The reservation.
    pub reservation_id: String,
    /// The event.
    pub event_id: String,
    /// The user.
    pub user_id: String,
    /// The seats released.
    pub seat_ids: Vec<String>,
}

impl DomainEvent for Cancelled {
    const TYPE: &'static str = "reservation.cancelled";
}

/// A hold ran out: `reservation.expired`.
#[derive(Debug, Clone, Serialize)]
pub struct Expired {
    /// The reservation.
    pub reservation_id: String,
    /// The event.
    pub event_id: String,
    /// The user.
    pub user_id: String,
    /// The seats released (those still held by this reservation).
    pub seat_ids: Vec<String>,
    /// When the hold ended, RFC 3339.
    pub hold_expires_at: String,
}

impl DomainEvent for Expired {
    const TYPE: &'static str = "reservation.expired";
}

/// A payment was approved for a reservation that could no longer be confirmed with it (its hold
/// ended, it was cancelled, or it was confirmed with another payment): the payment provider is to
/// hand the money back. `payment.void_requested`.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentVoidRequested {
    /// The approved payment intent.
    pub payment_intent_id: String,
    /// The reservation it was sent to confirm.
    pub reservation_id: String,
    /// Who sent it.
    pub user_id: String,
    /// The amount approved, in the currency's minor unit.
    pub amount: u64,
    /// ISO 4217.
    pub currency: String,
    /// Why it was not applied: `RESERVATION_EXPIRED`, `RESERVATION_CANCELLED` or
    /// `RESERVATION_CONFIRMED` (with another payment).
    pub reason: String,
}

impl DomainEvent for PaymentVoidRequested {
    const TYPE: &'static str = "payment.void_requested";
}

/// One example of every event: type and payload.
pub fn examples() -> Vec<(&'static str, serde_json::Value)> {
    let seats = vec!["A-12".to_owned(), "A-13".to_owned()];
    let (rsv, evt, user) = ("rsv_0193a1b2", "evt_2025_1001", "u123");
    let at = "2026-01-01T12:05:00Z";
    fn example<E: DomainEvent>(event: &E) -> (&'static str, serde_json::Value) {
        let value = serde_json::to_value(event)
            .expect("an event is strings, numbers and lists: it serializes");
        (E::TYPE, value)
    }
    vec![
        example(&HoldCreated {
            reservation_id: rsv.into(),
            event_id: evt.into(),
            user_id: user.into(),
            seat_ids: seats.clone(),
            quantity: 2,
            hold_expires_at: at.into(),
            total_price: 50_000,
            currency: "KRW".into(),
        }),
        example(&Confirmed {
            reservation_id: rsv.into(),
            order_id: "ord_0193a1b2".into(),
            event_id: evt.into(),
            user_id: user.into(),
            seat_ids: seats.clone(),
            payment_intent_id: "pay_xyz789".into(),
            total_amount: 50_000,
            currency: "KRW".into(),
        }),
        example(&Cancelled {
            reservation_id: rsv.into(),
            event_id: evt.into(),
            user_id: user.into(),
            seat_ids: seats.clone(),
        }),
        example(&Expired {
            reservation_id: rsv.into(),
            event_id: evt.into(),
            user_id: user.into(),
            seat_ids: seats,
            hold_expires_at: at.into(),
        }),
        example(&PaymentVoidRequested {
            payment_intent_id: "pay_xyz789".into(),
            reservation_id: rsv.into(),
            user_id: user.into(),
            amount: 50_000,
            currency: "KRW".into(),
            reason: "RESERVATION_EXPIRED".into(),
        }),
    ]
}
