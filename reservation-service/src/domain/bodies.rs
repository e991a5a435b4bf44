//! The API's reservation bodies as types. Services build the responses (a response is stored
//! with its change, to be replayed for a repeated `Idempotency-Key`); the OpenAPI document is
//! generated from them.
//!
//! Request bodies are parsed by hand ([`super::request`]) so that every mistake gets a message
//! naming the field; the request types here document the same shape (the document adds the
//! parser's rule for text, [`super::request::TEXT_PATTERN`], to their text fields), and a test
//! checks that their examples parse.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/reservations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "event_id": "evt_2025_1001", "qty": 2, "seat_ids": ["A-12", "A-13"],
    "user_id": "u123", "reservation_token": "rtkn_xyz789"
}))]
pub struct CreateReservationRequest {
    /// The event: 1 to 128 characters, not blank, no control characters.
    #[schema(min_length = 1, max_length = 128)]
    pub event_id: String,
    /// The seats, 1 to the seats a reservation may hold (10 unless configured), without repeats; each 1 to 64
    /// characters, not blank, no control characters.
    #[schema(min_items = 1, max_items = 10)]
    pub seat_ids: Vec<String>,
    /// Number of seats; must be the number of `seat_ids` when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10)]
    pub qty: Option<u32>,
    /// Same as `qty`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10)]
    pub quantity: Option<u32>,
    /// The token's subject (`403 FORBIDDEN` otherwise).
    #[schema(min_length = 1, max_length = 128)]
    pub user_id: String,
    /// The admission token from the waiting room.
    #[schema(min_length = 1, max_length = 2048)]
    pub reservation_token: String,
}

/// 201 of `POST /v1/reservations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct CreateReservationResponse {
    /// The new reservation.
    #[schema(example = "rsv_0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4")]
    pub reservation_id: String,
    /// End of the hold, RFC 3339.
    #[schema(format = DateTime, example = "2026-01-01T12:05:00Z")]
    pub hold_expires_at: String,
}

/// `POST /v1/reservations/{id}/confirm`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"payment_intent_id": "pay_xyz789"}))]
pub struct ConfirmReservationRequest {
    /// The payment intent, as the payment API spells it (1 to 128 letters, digits, `_` or `-`);
    /// the payment API must report it approved for this reservation and its `total_price` (in
    /// development, the simulated gateway declines ids starting with `pay_declined` and
    /// approves the others).
    #[schema(min_length = 1, max_length = 128)]
    pub payment_intent_id: String,
}

/// 200 of `POST /v1/reservations/{id}/confirm`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ConfirmReservationResponse {
    /// The new order.
    #[schema(example = "ord_0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4")]
    pub order_id: String,
    /// Always `CONFIRMED`.
    #[schema(example = "CONFIRMED")]
    pub status: String,
}

/// 200 of `POST /v1/reservations/{id}/cancel`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct CancelReservationResponse {
    /// Always `CANCELLED`.
    #[schema(example = "CANCELLED")]
    pub status: String,
}

/// A reservation as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReservationView {
    /// Id.
    pub reservation_id: String,
    /// `HOLD`, `CONFIRMED`, `CANCELLED` or `EXPIRED`. `EXPIRED` extends the original
    /// `HOLD|CONFIRMED|CANCELLED`: a hold whose `hold_expires_at` passed unpaid (its seats are
    /// free again), shown from that moment on.
    pub status: super::ReservationStatus,
    /// End of the hold, RFC 3339.
    #[schema(format = DateTime)]
    pub hold_expires_at: String,
    /// The event.
    pub event_id: String,
    /// The seats.
    pub seat_ids: Vec<String>,
    /// Number of seats.
    pub quantity: u32,
    /// The sum of the seats' prices when they were held, in the currency's minor unit (won
    /// for KRW); absent for reservations made before seats had prices.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 50000)]
    pub total_price: Option<u64>,
    /// ISO 4217 code of `total_price`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "KRW")]
    pub currency: Option<String>,
    /// The order, once confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::{parse_confirm, parse_create};

    #[test]
    fn the_documented_request_examples_parse() {
        let create = serde_json::to_value(CreateReservationRequest {
            event_id: "evt_2025_1001".into(),
            seat_ids: vec!["A-12".into(), "A-13".into()],
            qty: Some(2),
            quantity: None,
            user_id: "u123".into(),
            reservation_token: "rtkn_xyz789".into(),
        })
        .expect("serializes");
        let parsed = parse_create(&create, 10).expect("valid");
        assert_eq!(parsed.seat_ids, ["A-12", "A-13"]);
        let confirm = serde_json::to_value(ConfirmReservationRequest {
            payment_intent_id: "pay_1".into(),
        })
        .expect("serializes");
        assert_eq!(parse_confirm(&confirm).expect("valid").as_str(), "pay_1");
    }
}
