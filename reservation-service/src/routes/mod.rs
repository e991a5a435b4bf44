//! HTTP: the router, its handlers and middleware, and the one place errors become answers.
//! Only `startup` uses this module; handlers call the services.
//!
//! An endpoint is a handler with its `#[utoipa::path]` plus one `.routes(routes!(..))` line in
//! [`router`]: the route and its OpenAPI entry are registered together.

mod error;
mod extractors;
mod middleware;
mod openapi;
mod operations;
mod reservations;

pub(crate) use extractors::Peer;

use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::routing::get;
use std::sync::Arc;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Requests larger than this are refused with 413.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Which endpoints a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Serves {
    /// Every endpoint (no management port).
    All,
    /// The API (and `/health`): the public port when the operational endpoints have their own.
    Api,
    /// The operational endpoints (and `/health`): the management port.
    Management,
}

impl Serves {
    fn api(self) -> bool {
        self != Serves::Management
    }

    fn management(self) -> bool {
        self != Serves::Api
    }
}

/// The endpoints `serves` names with their OpenAPI entries, and the document they make.
fn endpoints(serves: Serves) -> (Router<Arc<AppState>>, utoipa::openapi::OpenApi) {
    let mut endpoints =
        OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).routes(routes!(operations::health));
    if serves.api() {
        endpoints = endpoints
            .routes(routes!(reservations::create))
            .routes(routes!(reservations::get))
            .routes(routes!(reservations::confirm))
            .routes(routes!(reservations::cancel));
    }
    if serves.management() {
        endpoints = endpoints
            .routes(routes!(operations::ready))
            .routes(routes!(operations::metrics))
            .routes(routes!(operations::actuator_health))
            .routes(routes!(operations::actuator_liveness))
            .routes(routes!(operations::actuator_readiness))
            .routes(routes!(operations::actuator_prometheus))
            .routes(routes!(operations::actuator_metrics));
    }
    let (router, mut doc) = endpoints.split_for_parts();
    // The request bodies are in the document once their endpoints are.
    utoipa::Modify::modify(&openapi::TextFields, &mut doc);
    (router, doc)
}

/// The OpenAPI 3 document as pretty JSON (what `/v3/api-docs` serves): every endpoint, on
/// whichever port.
pub(crate) fn openapi_json() -> String {
    openapi::to_json(&endpoints(Serves::All).1)
}

/// Swagger UI at `/swagger-ui/` (and `/swagger-ui.html`, the Spring service's address) for
/// `/v3/api-docs`. Its files are inside the binary: nothing is fetched at build or run time.
fn swagger_ui() -> Router<Arc<AppState>> {
    let ui = utoipa_swagger_ui::SwaggerUi::new("/swagger-ui")
        .config(utoipa_swagger_ui::Config::new(["/v3/api-docs"]));
    Router::from(ui).route(
        "/swagger-ui.html",
        get(|| async { axum::response::Redirect::to("/swagger-ui/") }),
    )
}

/// The application as one listener serves it: its endpoints (with `/v3/api-docs` and Swagger
/// UI among the operational ones), fallbacks and middleware.
pub(crate) fn router(state: Arc<AppState>, serves: Serves) -> Router {
    let timeout = state.settings.server.request_timeout;
    let (mut router, _) = endpoints(serves);
    if serves.management() {
        let doc: Arc<str> = Arc::from(openapi_json());
        router = router
            .route(
                "/v3/api-docs",
                get(move || async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        doc.to_string(),
                    )
                }),
            )
            .merge(swagger_ui());
    }
    router
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(move |req, next| {
            middleware::deadline(req, next, timeout)
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::trace,
        ))
        .with_state(state)
}
