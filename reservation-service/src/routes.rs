//! HTTP handlers: parse, authenticate, run idempotently, answer.

use crate::error::{ApiError, TRACE_ID};
use crate::idempotency::{Begin, StoredResponse, request_hash};
use crate::reservations::{Outcome, Reservations, parse_confirm, parse_create};
use crate::startup::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The authenticated user (the token's `sub`).
pub struct User(pub String);

impl FromRequestParts<Arc<AppState>> for User {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or_default());
        let user = state.jwt.verify(header).await?;
        state.limiter.check(&user)?;
        Ok(User(user))
    }
}

/// Set while a handler waits for the request body, so the deadline can tell a slow client
/// (408) from a slow dependency (504).
#[derive(Debug, Clone, Default)]
pub struct BodyPending(pub Arc<AtomicBool>);

/// The request body as JSON, with our own errors for unreadable, oversized or invalid bodies.
pub struct JsonBody(pub Option<serde_json::Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // While the body streams in, a deadline is the client's fault (408), not ours (504).
        let reading = req.extensions().get::<BodyPending>().cloned();
        if let Some(reading) = &reading {
            reading.0.store(true, Ordering::Relaxed);
        }
        let bytes = Bytes::from_request(req, state).await;
        if let Some(reading) = &reading {
            reading.0.store(false, Ordering::Relaxed);
        }
        let bytes = bytes.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::Validation("the request body could not be read".into())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(None));
        }
        serde_json::from_slice(&bytes)
            .map(|v| JsonBody(Some(v)))
            .map_err(|e| ApiError::Validation(format!("the body is not valid JSON: {e}")))
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get("idempotency-key")
        .ok_or(ApiError::IdempotencyRequired)?;
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::Validation("Idempotency-Key must be 1 to 255 visible ASCII characters".into())
        })?;
    Ok(key.to_owned())
}

fn stored(response: StoredResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::OK);
    let mut r = (status, response.body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A stored response replayed for a repeated `Idempotency-Key`, marked as such.
fn replayed(response: StoredResponse) -> Response {
    tracing::info!("replaying a stored response");
    let mut r = stored(response);
    r.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}

/// Runs `execute` once per user and `Idempotency-Key`; replays its stored response otherwise.
async fn idempotent<F, Fut>(
    state: &AppState,
    user: &str,
    key: &str,
    hash: &str,
    execute: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(crate::idempotency::Lock) -> Fut,
    Fut: std::future::Future<Output = (crate::idempotency::Lock, Result<StoredResponse, ApiError>)>,
{
    use crate::metrics::IdempotencyOutcome;
    let begin = match state.idempotency.begin(user, key, hash).await {
        Ok(begin) => begin,
        Err(e) => {
            if matches!(e, ApiError::IdempotencyConflict { .. }) {
                state.metrics.idempotency(IdempotencyOutcome::Conflict);
            }
            return Err(e);
        }
    };
    match begin {
        Begin::Replay(response) => {
            state.metrics.idempotency(IdempotencyOutcome::Replayed);
            Ok(replayed(response))
        }
        Begin::Execute(lock) => {
            state.metrics.idempotency(IdempotencyOutcome::Executed);
            let (lock, result) = execute(lock).await;
            match result {
                Ok(response) => Ok(stored(response)),
                Err(e) => {
                    state.idempotency.release(&lock).await;
                    Err(e)
                }
            }
        }
    }
}

/// `POST /v1/reservations`.
#[utoipa::path(
    post, path = "/v1/reservations", tag = "reservations",
    summary = "Hold seats",
    request_body = crate::api::CreateReservationRequest,
    params(
        ("Idempotency-Key" = String, Header, description = "Unique per intended operation; a repeat replays the first response (5 minutes)", pattern = "^[!-~]{1,255}$"),
    ),
    responses(
        (status = 201, description = "Held until hold_expires_at", body = crate::api::CreateReservationResponse),
        (status = 400, description = "VALIDATION_ERROR or IDEMPOTENCY_REQUIRED", body = crate::api::ErrorBody),
        (status = 401, description = "UNAUTHENTICATED: missing, expired or invalid token", body = crate::api::ErrorBody),
        (status = 403, description = "FORBIDDEN: user_id is not the token's subject, or the admission token is not valid for this user and event", body = crate::api::ErrorBody),
        (status = 409, description = "INVENTORY_CONFLICT (seats taken) or IDEMPOTENCY_CONFLICT", body = crate::api::ErrorBody),
        (status = 408, description = "REQUEST_TIMEOUT: the body did not arrive within the request deadline", body = crate::api::ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE: over 64 KiB", body = crate::api::ErrorBody),
        (status = 429, description = "RATE_LIMITED (see Retry-After)", body = crate::api::ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: DynamoDB unreachable or throttling (see Retry-After)", body = crate::api::ErrorBody),
        (status = 504, description = "UPSTREAM_TIMEOUT", body = crate::api::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    User(user): User,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let body = body.ok_or_else(|| ApiError::Validation("the body is required".into()))?;
    let request = parse_create(&body, state.settings.max_seats)?;
    if request.user_id != user {
        return Err(ApiError::Forbidden(
            "user_id does not match the authenticated user".into(),
        ));
    }
    state
        .admission
        .verify(&request.reservation_token, &user, &request.event_id)?;
    let hash = request_hash("POST", "/v1/reservations", Some(&body));
    use crate::metrics::IdempotencyOutcome;
    match state
        .reservations
        .create(&user, request, &state.idempotency, &key, &hash)
        .await
    {
        Ok(Outcome::Executed(response)) => {
            state.metrics.idempotency(IdempotencyOutcome::Executed);
            Ok(stored(response))
        }
        Ok(Outcome::Replayed(response)) => {
            state.metrics.idempotency(IdempotencyOutcome::Replayed);
            Ok(replayed(response))
        }
        Err(e) => {
            if matches!(e, ApiError::IdempotencyConflict { .. }) {
                state.metrics.idempotency(IdempotencyOutcome::Conflict);
            }
            Err(e)
        }
    }
}

/// `POST /v1/reservations/{id}/confirm`.
#[utoipa::path(
    post, path = "/v1/reservations/{id}/confirm", tag = "reservations",
    summary = "Confirm a hold after payment",
    request_body = crate::api::ConfirmReservationRequest,
    params(
        ("id" = String, Path, description = "The reservation id (rsv_...)"),
        ("Idempotency-Key" = String, Header, description = "Unique per intended operation; a repeat replays the first response (5 minutes)", pattern = "^[!-~]{1,255}$"),
    ),
    responses(
        (status = 200, description = "Confirmed; the order is created", body = crate::api::ConfirmReservationResponse),
        (status = 400, description = "VALIDATION_ERROR or IDEMPOTENCY_REQUIRED", body = crate::api::ErrorBody),
        (status = 401, description = "UNAUTHENTICATED: missing, expired or invalid token", body = crate::api::ErrorBody),
        (status = 403, description = "FORBIDDEN: another user's reservation", body = crate::api::ErrorBody),
        (status = 404, description = "NOT_FOUND", body = crate::api::ErrorBody),
        (status = 409, description = "RESERVATION_EXPIRED, INVALID_STATE or IDEMPOTENCY_CONFLICT", body = crate::api::ErrorBody),
        (status = 412, description = "PAYMENT_NOT_APPROVED", body = crate::api::ErrorBody),
        (status = 408, description = "REQUEST_TIMEOUT: the body did not arrive within the request deadline", body = crate::api::ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE: over 64 KiB", body = crate::api::ErrorBody),
        (status = 429, description = "RATE_LIMITED (see Retry-After)", body = crate::api::ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: DynamoDB unreachable or throttling (see Retry-After)", body = crate::api::ErrorBody),
        (status = 504, description = "UPSTREAM_TIMEOUT", body = crate::api::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    User(user): User,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let body = body.ok_or_else(|| ApiError::Validation("the body is required".into()))?;
    let payment = parse_confirm(&body)?;
    let hash = request_hash(
        "POST",
        &format!("/v1/reservations/{id}/confirm"),
        Some(&body),
    );
    idempotent(&state, &user, &key, &hash, |lock| async {
        let result = state
            .reservations
            .confirm(&user, &id, &payment, &state.idempotency, &lock)
            .await;
        (lock, result)
    })
    .await
}

/// `POST /v1/reservations/{id}/cancel`.
#[utoipa::path(
    post, path = "/v1/reservations/{id}/cancel", tag = "reservations",
    summary = "Cancel a hold and release its seats",
    params(
        ("id" = String, Path, description = "The reservation id (rsv_...)"),
        ("Idempotency-Key" = String, Header, description = "Unique per intended operation; a repeat replays the first response (5 minutes)", pattern = "^[!-~]{1,255}$"),
    ),
    responses(
        (status = 200, description = "Cancelled", body = crate::api::CancelReservationResponse),
        (status = 400, description = "VALIDATION_ERROR or IDEMPOTENCY_REQUIRED", body = crate::api::ErrorBody),
        (status = 401, description = "UNAUTHENTICATED: missing, expired or invalid token", body = crate::api::ErrorBody),
        (status = 403, description = "FORBIDDEN: another user's reservation", body = crate::api::ErrorBody),
        (status = 404, description = "NOT_FOUND", body = crate::api::ErrorBody),
        (status = 409, description = "RESERVATION_EXPIRED, INVALID_STATE or IDEMPOTENCY_CONFLICT", body = crate::api::ErrorBody),
        (status = 408, description = "REQUEST_TIMEOUT: the body did not arrive within the request deadline", body = crate::api::ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE: over 64 KiB", body = crate::api::ErrorBody),
        (status = 429, description = "RATE_LIMITED (see Retry-After)", body = crate::api::ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: DynamoDB unreachable or throttling (see Retry-After)", body = crate::api::ErrorBody),
        (status = 504, description = "UPSTREAM_TIMEOUT", body = crate::api::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    User(user): User,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let hash = request_hash("POST", &format!("/v1/reservations/{id}/cancel"), None);
    idempotent(&state, &user, &key, &hash, |lock| async {
        let result = state
            .reservations
            .cancel(&user, &id, &state.idempotency, &lock)
            .await;
        (lock, result)
    })
    .await
}

/// `GET /v1/reservations/{id}`.
#[utoipa::path(
    get, path = "/v1/reservations/{id}", tag = "reservations",
    summary = "A reservation of the authenticated user",
    params(
        ("id" = String, Path, description = "The reservation id (rsv_...)"),
    ),
    responses(
        (status = 200, description = "The reservation; a hold past its end shows as EXPIRED", body = crate::reservations::ReservationView),
        (status = 401, description = "UNAUTHENTICATED", body = crate::api::ErrorBody),
        (status = 403, description = "FORBIDDEN: another user's reservation", body = crate::api::ErrorBody),
        (status = 404, description = "NOT_FOUND", body = crate::api::ErrorBody),
        (status = 429, description = "RATE_LIMITED (see Retry-After)", body = crate::api::ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE (see Retry-After)", body = crate::api::ErrorBody),
        (status = 504, description = "UPSTREAM_TIMEOUT", body = crate::api::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<Arc<AppState>>,
    User(user): User,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let reservation = state.reservations.find(&user, &id).await?;
    Ok(axum::Json(Reservations::view(reservation)).into_response())
}

/// `GET /health`: the process is up.
#[utoipa::path(
    get, path = "/health", tag = "operations",
    summary = "Liveness: the process is up",
    responses((status = 200, description = "The process is up", body = crate::api::Health))
)]
pub async fn health() -> Response {
    axum::Json(crate::api::Health {
        status: "UP".into(),
    })
    .into_response()
}

/// `GET /ready`: DynamoDB answers and every table matches its definition.
#[utoipa::path(
    get, path = "/ready", tag = "operations",
    summary = "Readiness: DynamoDB answers and every table matches its definition",
    responses(
        (status = 200, description = "DynamoDB answers and every table matches", body = crate::api::Readiness),
        (status = 503, description = "Not ready: the failing tables, each with the problem", body = crate::api::Readiness),
    )
)]
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    use crate::api::{Readiness, ReadinessFailure};
    match state.readiness().await {
        Ok(()) => axum::Json(Readiness {
            status: "READY".into(),
            failures: Vec::new(),
        })
        .into_response(),
        Err(report) => {
            let failures = report
                .failures
                .iter()
                .map(|f| ReadinessFailure {
                    table: f.table().to_owned(),
                    problem: f.to_string(),
                })
                .collect();
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(Readiness {
                    status: "NOT_READY".into(),
                    failures,
                }),
            )
                .into_response()
        }
    }
}

/// `GET /v3/api-docs`: this API's OpenAPI 3 document.
pub async fn api_docs() -> Response {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOC.get_or_init(crate::api::openapi_json).as_str(),
    )
        .into_response()
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    summary = "Prometheus metrics",
    responses((status = 200, description = "Prometheus metrics (OpenMetrics text)", content_type = "application/openmetrics-text", body = String))
)]
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Unknown paths.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}

/// Known paths with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// A trace id per request: from `X-Trace-Id`, from `traceparent`, or new. It is echoed in the
/// `X-Trace-Id` response header and in error bodies, and recorded on the request's log span.
/// It also records the request in the HTTP metrics, by route template.
pub async fn trace(State(state): State<Arc<AppState>>, req: Request<Body>, next: Next) -> Response {
    let headers = req.headers();
    let from_header = headers
        .get("x-trace-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_owned);
    let from_traceparent = headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split('-').nth(1))
        .filter(|t| t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_owned);
    let trace_id = from_header
        .or(from_traceparent)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let method: Method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let span = tracing::info_span!("request", trace_id = %trace_id, method = %method, path = %path);
    let started = std::time::Instant::now();
    let response = TRACE_ID
        .scope(
            trace_id.clone(),
            tracing::Instrument::instrument(next.run(req), span.clone()),
        )
        .await;
    let status = response.status().as_u16();
    state.metrics.http_request(
        crate::metrics::HttpLabels {
            method: method.as_str().to_owned(),
            route,
            status,
        },
        started.elapsed(),
    );
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request finished"
        )
    });
    let mut response = response;
    if let Ok(value) = HeaderValue::from_str(&trace_id) {
        response.headers_mut().insert("x-trace-id", value);
    }
    response
}
