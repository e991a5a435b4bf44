//! The OpenAPI 3 document's frame: title, security scheme and tags. Its paths come from the
//! router, where each endpoint is registered with its `#[utoipa::path]` (`routes/mod.rs`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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

/// The document before the paths are added.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Reservation API",
        description = "Seat holds, confirmation and cancellation for ticketed events. Every write needs an `Idempotency-Key`; a repeated key replays the first response.",
        license(name = "MIT OR Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "reservations", description = "Holds, confirmation, cancellation"),
        (name = "operations", description = "Health, readiness, metrics")
    )
)]
pub(crate) struct ApiDoc;

/// The document as pretty JSON, as `/v3/api-docs` serves it.
pub(crate) fn to_json(doc: &utoipa::openapi::OpenApi) -> String {
    let mut json = doc
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    json.push('\n');
    json
}
