//! The API's bodies as types: the handlers answer with these, and the OpenAPI document at
//! `/v3/api-docs` is generated from them.
//!
//! Request bodies are read by hand (see [`crate::reservations::parse_create`]) so that every
//! mistake gets a message naming the field; the request types here document the same shape,
//! and a test checks that their examples parse.

use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// `POST /v1/reservations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "event_id": "evt_2025_1001", "qty": 2, "seat_ids": ["A-12", "A-13"],
    "user_id": "u123", "reservation_token": "rtkn_xyz789"
}))]
pub struct CreateReservationRequest {
    /// The event.
    #[schema(min_length = 1, max_length = 128)]
    pub event_id: String,
    /// The seats, 1 to `MAX_SEATS_PER_RESERVATION` (10), without repeats.
    #[schema(min_items = 1, max_items = 10)]
    pub seat_ids: Vec<String>,
    /// Number of seats; must match `seat_ids` when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<u32>,
    /// Same as `qty`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    /// The token's subject.
    #[schema(min_length = 1, max_length = 128)]
    pub user_id: String,
    /// The admission token from the waiting room.
    #[schema(min_length = 1, max_length = 2048)]
    pub reservation_token: String,
}

/// 201 of `POST /v1/reservations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
    /// The approved payment (ids starting with `pay_declined` are declined by the simulated
    /// gateway).
    #[schema(min_length = 1, max_length = 128)]
    pub payment_intent_id: String,
}

/// 200 of `POST /v1/reservations/{id}/confirm`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConfirmReservationResponse {
    /// The new order.
    #[schema(example = "ord_0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4")]
    pub order_id: String,
    /// Always `CONFIRMED`.
    #[schema(example = "CONFIRMED")]
    pub status: String,
}

/// 200 of `POST /v1/reservations/{id}/cancel`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CancelReservationResponse {
    /// Always `CANCELLED`.
    #[schema(example = "CANCELLED")]
    pub status: String,
}

/// Every error: `{"error": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// `VALIDATION_ERROR`, `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `IDEMPOTENCY_REQUIRED`,
    /// `IDEMPOTENCY_CONFLICT`, `INVENTORY_CONFLICT`, `RESERVATION_EXPIRED`, `INVALID_STATE`,
    /// `PAYMENT_NOT_APPROVED`, `RATE_LIMITED`, `PAYLOAD_TOO_LARGE`, `METHOD_NOT_ALLOWED`,
    /// `REQUEST_TIMEOUT`, `SERVICE_UNAVAILABLE`, `UPSTREAM_TIMEOUT` or `INTERNAL`.
    #[schema(example = "VALIDATION_ERROR")]
    pub code: String,
    /// For people.
    #[schema(example = "seat_ids[1] repeats seat A-12")]
    pub message: String,
    /// The request's trace id (also in the `X-Trace-Id` header).
    #[schema(example = "4bf92f3577b34da6a3ce929d0e0e4736")]
    pub trace_id: String,
}

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `UP`.
    #[schema(example = "UP")]
    pub status: String,
}

/// A table that failed the readiness check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadinessFailure {
    /// The table.
    pub table: String,
    /// What differs or fails, with the fix.
    pub problem: String,
}

/// `GET /ready`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    /// `READY` or `NOT_READY`.
    #[schema(example = "READY")]
    pub status: String,
    /// Why not ready.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<ReadinessFailure>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI 3 document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Reservation API",
        description = "Seat holds, confirmation and cancellation for ticketed events. Every write needs an `Idempotency-Key`; a repeated key replays the first response.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        crate::routes::create,
        crate::routes::get,
        crate::routes::confirm,
        crate::routes::cancel,
        crate::routes::health,
        crate::routes::ready,
        crate::routes::metrics,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "reservations", description = "Holds, confirmation, cancellation"),
        (name = "operations", description = "Health, readiness, metrics")
    )
)]
pub struct ApiDoc;

/// The document as pretty JSON (what `/v3/api-docs` serves and `docs/openapi.json` holds).
pub fn openapi_json() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let parsed = crate::reservations::parse_create(&create, 10).expect("valid");
        assert_eq!(parsed.seat_ids, ["A-12", "A-13"]);
        let confirm = serde_json::to_value(ConfirmReservationRequest {
            payment_intent_id: "pay_1".into(),
        })
        .expect("serializes");
        assert_eq!(
            crate::reservations::parse_confirm(&confirm).expect("valid"),
            "pay_1"
        );
    }

    /// `docs/openapi.json` is the served document; `UPDATE_FIXTURES=1` rewrites it.
    #[test]
    fn docs_openapi_json_is_in_sync() {
        crate::assert_file_in_sync("docs/openapi.json", &openapi_json());
    }
}
