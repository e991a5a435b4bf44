//! The Reservation API: hold, confirm, cancel, read. Handlers parse and authenticate, call the
//! service, and answer; replays of an `Idempotency-Key` are marked `Idempotent-Replayed`.

use super::error::{ApiError, ErrorBody};
use super::extractors::{IdempotencyKey, JsonBody, User};
use crate::domain::ReservationId;
use crate::domain::bodies::{
    CancelReservationResponse, ConfirmReservationRequest, ConfirmReservationResponse,
    CreateReservationRequest, CreateReservationResponse, ReservationView,
};
use crate::domain::lifecycle::Reply;
use crate::domain::request::{parse_confirm, parse_create};
use crate::services::{IdempotentRequest, Outcome, StoredResponse};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `POST /v1/reservations`.
#[utoipa::path(
    post, path = "/v1/reservations", tag = "reservations",
    operation_id = "createReservation",
    summary = "Hold seats",
    request_body = CreateReservationRequest,
    params(
        ("Idempotency-Key" = String, Header, description = "Unique per intended operation; a repeat replays the first response (5 minutes)", pattern = "^[!-~]{1,255}$"),
    ),
    responses(
        (status = 201, description = "Held until hold_expires_at", body = CreateReservationResponse, links(
            ("GetReservation" = (operation_id = "getReservation", parameters(("id" = "$response.body#/reservation_id")), description = "The reservation held")),
            ("ConfirmReservation" = (operation_id = "confirmReservation", parameters(("id" = "$response.body#/reservation_id")), description = "Confirm the hold after payment")),
            ("CancelReservation" = (operation_id = "cancelReservation", parameters(("id" = "$response.body#/reservation_id")), description = "Cancel the hold")),
        )),
        (status = 400, description = "VALIDATION_ERROR or IDEMPOTENCY_REQUIRED", body = ErrorBody),
        (status = 401, description = "UNAUTHENTICATED: missing, expired or invalid token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: user_id is not the token's subject, or the admission token is not valid for this user and event", body = ErrorBody),
        (status = 409, description = "INVENTORY_CONFLICT (seats taken, missing or not for sale), SEAT_LIMIT_EXCEEDED (the user would hold or have bought more than the cap of seats of the event (10 unless configured)) or IDEMPOTENCY_CONFLICT", body = ErrorBody),
        (status = 408, description = "REQUEST_TIMEOUT: the body did not arrive within the request deadline", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE: over 64 KiB", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED (see Retry-After)", body = ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: DynamoDB, the identity provider or the waiting room unreachable, or DynamoDB throttling (see Retry-After)", body = ErrorBody),
        (status = 504, description = "UPSTREAM_TIMEOUT", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    User(user): User,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request = parse_create(&body, state.settings.reservations.max_seats)?;
    if request.user_id != user {
        return Err(ApiError::Forbidden(
            "user_id does not match the authenticated user".into(),
        ));
    }
    state
        .admission
        .verify(&request.reservation_token, &user, &request.event_id)
        .await?;
    let request_once = IdempotentRequest::new(user, key, "POST", "/v1/reservations", Some(&body));
    let outcome = state.reservations.hold(&request_once, request).await?;
    Ok(answer(outcome))
}

/// `POST /v1/reservations/{id}/confirm`.
#[utoipa::path(
    post, path = "/v1/reservations/{id}/confirm", tag = "reservations",
    operation_id = "confirmReservation",
    summary = "Confirm a hold after payment",
    request_body = ConfirmReservationRequest,
    params(
        ("id" = String, Path, description = "The reservation id: rsv_ and up to 60 letters and digits (404 NOT_FOUND otherwise)", pattern = "^rsv_[A-Za-z0-9]{1,60}$"),
        ("Idempotency-Key" = String, Header, description = "Unique per intended operation; a repeat replays the first response (5 minutes)", pattern = "^[!-~]{1,255}$"),
    ),
    responses(
        (status = 200, description = "Confirmed; the order is created", body = ConfirmReservationResponse, links(
            ("GetReservation" = (operation_id = "getReservation", parameters(("id" = "$request.path.id")), description = "The reservation confirmed")),
        )),
        (status = 400, description = "VALIDATION_ERROR or IDEMPOTENCY_REQUIRED", body = ErrorBody),
        (status = 401, description = "UNAUTHENTICATED: missing, expired or invalid token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: another user's reservation", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "RESERVATION_EXPIRED, INVALID_STATE or IDEMPOTENCY_CONFLICT", body = ErrorBody),
        (status = 412, description = "PAYMENT_NOT_APPROVED: the payment API does not report the intent approved for the reservation's total, or the intent was used before (each intent pays for one reservation); the message says why only when the intent is provably the caller's", body = ErrorBody),
        (status = 408, description = "REQUEST_TIMEOUT: the body did not arrive within the request deadline", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE: over 64 KiB", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED (see Retry-After)", body = ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: DynamoDB or the payment API unreachable, or DynamoDB throttling (see Retry-After)", body = ErrorBody),
        (status = 504, description = "UPSTREAM_TIMEOUT: DynamoDB or the payment API did not answer in time", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn confirm(
    State(state): State<Arc<AppState>>,
    User(user): User,
    Path(id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = ReservationId::parse_existing(&id)?;
    let payment = parse_confirm(&body)?;
    let request = IdempotentRequest::new(
        user,
        key,
        "POST",
        &format!("/v1/reservations/{id}/confirm"),
        Some(&body),
    );
    let outcome = state.reservations.confirm(&request, &id, &payment).await?;
    Ok(answer(outcome))
}

/// `POST /v1/reservations/{id}/cancel`.
#[utoipa::path(
    post, path = "/v1/reservations/{id}/cancel", tag = "reservations",
    operation_id = "cancelReservation",
    summary = "Cancel a hold and release its seats",
    params(
        ("id" = String, Path, description = "The reservation id: rsv_ and up to 60 letters and digits (404 NOT_FOUND otherwise)", pattern = "^rsv_[A-Za-z0-9]{1,60}$"),
        ("Idempotency-Key" = String, Header, description = "Unique per intended operation; a repeat replays the first response (5 minutes)", pattern = "^[!-~]{1,255}$"),
    ),
    responses(
        (status = 200, description = "Cancelled", body = CancelReservationResponse, links(
            ("GetReservation" = (operation_id = "getReservation", parameters(("id" = "$request.path.id")), description = "The reservation cancelled")),
        )),
        (status = 400, description = "VALIDATION_ERROR or IDEMPOTENCY_REQUIRED", body = ErrorBody),
        (status = 401, description = "UNAUTHENTICATED: missing, expired or invalid token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: another user's reservation", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "RESERVATION_EXPIRED, INVALID_STATE or IDEMPOTENCY_CONFLICT", body = ErrorBody),
        (status = 408, description = "REQUEST_TIMEOUT: the body did not arrive within the request deadline", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE: over 64 KiB", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED (see Retry-After)", body = ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: DynamoDB unreachable or throttling (see Retry-After)", body = ErrorBody),
        (status = 504, description = "UPSTREAM_TIMEOUT", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn cancel(
    State(state): State<Arc<AppState>>,
    User(user): User,
    Path(id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
) -> Result<Response, ApiError> {
    let id = ReservationId::parse_existing(&id)?;
    let request = IdempotentRequest::new(
        user,
        key,
        "POST",
        &format!("/v1/reservations/{id}/cancel"),
        None,
    );
    let outcome = state.reservations.cancel(&request, &id).await?;
    Ok(answer(outcome))
}

/// `GET /v1/reservations/{id}`.
#[utoipa::path(
    get, path = "/v1/reservations/{id}", tag = "reservations",
    operation_id = "getReservation",
    summary = "A reservation of the authenticated user",
    params(
        ("id" = String, Path, description = "The reservation id: rsv_ and up to 60 letters and digits (404 NOT_FOUND otherwise)", pattern = "^rsv_[A-Za-z0-9]{1,60}$"),
    ),
    responses(
        (status = 200, description = "The reservation; a hold past its end shows as EXPIRED", body = ReservationView),
        (status = 401, description = "UNAUTHENTICATED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: another user's reservation", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED (see Retry-After)", body = ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE (see Retry-After)", body = ErrorBody),
        (status = 504, description = "UPSTREAM_TIMEOUT", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    User(user): User,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = ReservationId::parse_existing(&id)?;
    let view = state.reservations.view(&user, &id).await?;
    Ok(axum::Json(view).into_response())
}

/// The stored response of an idempotent request; a replay is marked as such.
fn answer(outcome: Outcome) -> Response {
    let (response, replayed) = match outcome {
        Outcome::Executed(response) => (response, false),
        Outcome::Replayed(response) => (response, true),
    };
    let StoredResponse { reply, body } = response;
    let status = match reply {
        Reply::Created => StatusCode::CREATED,
        Reply::Done => StatusCode::OK,
    };
    let mut r = (status, body).into_response();
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if replayed {
        tracing::info!("replaying a stored response");
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    r
}
