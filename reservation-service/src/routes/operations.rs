//! Operations: liveness, readiness (the tables match their definitions), metrics, and the
//! Spring Boot actuator paths the original service's probes and dashboards use (`/actuator/...`).

use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Health {
    /// `UP`.
    #[schema(example = "UP")]
    pub status: String,
}

/// A table that failed the readiness check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ReadinessFailure {
    /// The table.
    pub table: String,
    /// What differs or fails, with the fix.
    pub problem: String,
}

/// `GET /ready`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Readiness {
    /// `READY` or `NOT_READY`.
    #[schema(example = "READY")]
    pub status: String,
    /// Why not ready.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<ReadinessFailure>,
}

/// `GET /health`: the process is up.
#[utoipa::path(
    get, path = "/health", tag = "operations",
    summary = "Liveness: the process is up",
    responses((status = 200, description = "The process is up", body = Health))
)]
pub(crate) async fn health() -> Response {
    axum::Json(Health {
        status: "UP".into(),
    })
    .into_response()
}

/// `GET /ready`: DynamoDB answers and every table matches its definition.
#[utoipa::path(
    get, path = "/ready", tag = "operations",
    summary = "Readiness: DynamoDB answers and every table matches its definition",
    responses(
        (status = 200, description = "DynamoDB answers and every table matches", body = Readiness),
        (status = 503, description = "Not ready: the failing tables, each with the problem", body = Readiness),
    )
)]
pub(crate) async fn ready(State(state): State<Arc<AppState>>) -> Response {
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

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    summary = "Prometheus metrics",
    responses((status = 200, description = "Prometheus metrics (OpenMetrics text)", content_type = "application/openmetrics-text", body = String))
)]
pub(crate) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// `GET /actuator/metrics`: the metric names, as Spring Boot's actuator lists them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct MetricNames {
    /// The metric families `/actuator/prometheus` exports that have been recorded so far.
    pub names: Vec<String>,
}

/// `GET /actuator/health`: [`health`] at Spring Boot's path.
#[utoipa::path(
    get, path = "/actuator/health", tag = "operations",
    summary = "Liveness at Spring Boot's path (same as /health)",
    responses((status = 200, description = "The process is up", body = Health))
)]
pub(crate) async fn actuator_health() -> Response {
    health().await
}

/// `GET /actuator/health/liveness`: [`health`] at Spring Boot's Kubernetes probe path.
#[utoipa::path(
    get, path = "/actuator/health/liveness", tag = "operations",
    summary = "Liveness at Spring Boot's probe path (same as /health)",
    responses((status = 200, description = "The process is up", body = Health))
)]
pub(crate) async fn actuator_liveness() -> Response {
    health().await
}

/// `GET /actuator/health/readiness`: [`ready`] at Spring Boot's Kubernetes probe path.
#[utoipa::path(
    get, path = "/actuator/health/readiness", tag = "operations",
    summary = "Readiness at Spring Boot's probe path (same as /ready)",
    responses(
        (status = 200, description = "DynamoDB answers and every table matches", body = Readiness),
        (status = 503, description = "Not ready: the failing tables, each with the problem", body = Readiness),
    )
)]
pub(crate) async fn actuator_readiness(state: State<Arc<AppState>>) -> Response {
    ready(state).await
}

/// `GET /actuator/prometheus`: [`metrics`] at Spring Boot's path.
#[utoipa::path(
    get, path = "/actuator/prometheus", tag = "operations",
    summary = "Prometheus metrics at Spring Boot's path (same as /metrics)",
    responses((status = 200, description = "Prometheus metrics (OpenMetrics text)", content_type = "application/openmetrics-text", body = String))
)]
pub(crate) async fn actuator_prometheus(state: State<Arc<AppState>>) -> Response {
    metrics(state).await
}

/// `GET /actuator/metrics`: the names of the metrics, as Spring Boot lists them.
#[utoipa::path(
    get, path = "/actuator/metrics", tag = "operations",
    summary = "The metric names (values are at /actuator/prometheus)",
    responses((status = 200, description = "Every metric family's name", body = MetricNames))
)]
pub(crate) async fn actuator_metrics(State(state): State<Arc<AppState>>) -> Response {
    axum::Json(MetricNames {
        names: state.metrics.names(),
    })
    .into_response()
}
