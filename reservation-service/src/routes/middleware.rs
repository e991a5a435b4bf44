//! What every request goes through: a trace id, one log line with metrics and the security
//! headers of every answer ([`trace`]), the request deadline ([`deadline`]), and answers for
//! unknown paths and methods.

use super::error::{ApiError, ErrorLog};
use super::extractors::BodyPending;
use crate::state::AppState;
use crate::telemetry::TRACE_ID;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A trace id per request: from `X-Trace-Id`, from `traceparent`, or new. It is echoed in the
/// `X-Trace-Id` response header and in error bodies, and recorded on the request's log span.
/// The request is counted in the HTTP metrics by route template, and logged once when it
/// finishes, with the error's code and, for a 5xx, its cause.
pub(crate) async fn trace(
    State(state): State<Arc<AppState>>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let method: Method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let span = request_span(&method, req.uri().path(), &route);
    // With trace export on, the request's span continues the caller's `traceparent` and its
    // trace id is the request's; otherwise the caller's id, or a new one.
    crate::telemetry::continue_trace(&span, req.headers());
    let trace_id = crate::telemetry::trace_id_of(&span)
        .or_else(|| incoming_trace_id(req.headers()))
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    span.record("trace_id", trace_id.as_str());
    let started = Instant::now();
    let mut response = TRACE_ID
        .scope(
            trace_id.clone(),
            tracing::Instrument::instrument(next.run(req), span.clone()),
        )
        .await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    let elapsed = started.elapsed();
    let method = method_label(&method).to_owned();
    let labels = crate::metrics::HttpLabels {
        method,
        route,
        status,
    };
    state.metrics.http_request(labels, elapsed);
    span.in_scope(|| log_finished(&response, status, elapsed));
    if let Ok(value) = HeaderValue::from_str(&trace_id) {
        response.headers_mut().insert("x-trace-id", value);
    }
    // Answers are for their caller only: never sniffed as another type, never stored by a
    // cache on the way (a reservation, a token's errors).
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(axum::http::header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The span of a request, with OpenTelemetry's HTTP server fields.
fn request_span(method: &Method, path: &str, route: &str) -> tracing::Span {
    tracing::info_span!(
        "request",
        trace_id = tracing::field::Empty,
        method = %method,
        path = %path,
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
    )
}

/// The one log line of a finished request: with the error's code and, for a 5xx, its cause.
fn log_finished(response: &Response, status: u16, elapsed: Duration) {
    let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    match response.extensions().get::<ErrorLog>() {
        Some(error) if status >= 500 && status != 503 && status != 504 => tracing::error!(
            status,
            elapsed_ms,
            code = error.code,
            message = error.message,
            cause = error.detail,
            "request failed"
        ),
        Some(error) if status >= 500 => tracing::warn!(
            status,
            elapsed_ms,
            code = error.code,
            cause = error.detail,
            "request failed"
        ),
        Some(error) => tracing::info!(
            status,
            elapsed_ms,
            code = error.code,
            message = error.message,
            "request refused"
        ),
        None => tracing::info!(status, elapsed_ms, "request finished"),
    }
}

/// The caller's trace id: `X-Trace-Id`, else the trace of a W3C `traceparent`.
fn incoming_trace_id(headers: &axum::http::HeaderMap) -> Option<String> {
    let from_header = headers
        .get("x-trace-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_owned);
    from_header.or_else(|| {
        headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split('-').nth(1))
            .filter(|t| t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit()))
            .map(str::to_owned)
    })
}

/// Answers 504 when a request takes longer than `timeout`, or 408 when it was still waiting
/// for the client's body.
pub(crate) async fn deadline(mut req: Request, next: Next, timeout: Duration) -> Response {
    let pending = BodyPending::default();
    req.extensions_mut().insert(pending.clone());
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) if pending.0.load(Ordering::Relaxed) => ApiError::RequestTimeout.into_response(),
        Err(_) => ApiError::UpstreamTimeout {
            detail: format!(
                "the request did not finish within {} ms",
                timeout.as_millis()
            ),
        }
        .into_response(),
    }
}

/// Unknown paths.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}

/// The request's method as a metric label: a standard method by name, any other `OTHER` (a
/// label per invented method would grow `/metrics` without bound).
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    STANDARD
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or("OTHER")
}

/// Known paths with another method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
