//! Operations: liveness, readiness (the tables match their definitions), metrics.

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
