//! The OpenAPI 3 document's frame: title, security scheme and tags. Its paths come from the
//! router, where each endpoint is registered with its `#[utoipa::path]` (`routes/mod.rs`).

use crate::domain::request::{MAX_SEAT_ID, PAYMENT_INTENT_PATTERN, TEXT_PATTERN};
use serde_json::Value;
use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Object, RefOr};
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

/// Every text field of a request body (`*Request`), the seat ids included, with the rule the
/// parser applies to text ([`TEXT_PATTERN`], or the payment API's id pattern for the payment
/// intent: [`PAYMENT_INTENT_PATTERN`]); its lists (the seat ids) without repeats and
/// their items with their length. So a client, or a fuzzer, that follows the document sends
/// what the service accepts.
pub(crate) struct TextFields;

impl Modify for TextFields {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let requests = components
            .schemas
            .iter_mut()
            .filter(|(name, _)| name.ends_with("Request"));
        for (_, schema) in requests {
            let RefOr::T(Schema::Object(body)) = schema else {
                continue;
            };
            for (name, property) in body.properties.iter_mut() {
                match property {
                    RefOr::T(Schema::Object(id)) if name == "payment_intent_id" => {
                        id.pattern = Some(PAYMENT_INTENT_PATTERN.to_owned());
                    }
                    RefOr::T(Schema::Object(text)) => add_text_rule(text),
                    RefOr::T(Schema::Array(list)) => {
                        list.unique_items = true;
                        if let ArrayItems::RefOrSchema(item) = &mut list.items
                            && let RefOr::T(Schema::Object(text)) = item.as_mut()
                        {
                            add_text_rule(text);
                            text.min_length = Some(1);
                            text.max_length = Some(MAX_SEAT_ID);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn add_text_rule(schema: &mut Object) {
    if schema.schema_type == SchemaType::new(Type::String) {
        schema.pattern = Some(TEXT_PATTERN.to_owned());
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
    let mut json = serde_json::to_value(doc)
        .map(|mut doc| {
            camel_case_links(&mut doc);
            doc
        })
        .and_then(|doc| serde_json::to_string_pretty(&doc))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    json.push('\n');
    json
}

/// utoipa 5 writes a link's fields in snake case (`operation_id`); OpenAPI names them in camel
/// case (`operationId`), and tools that follow links ignore the others.
fn camel_case_links(doc: &mut Value) {
    let responses = doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|operations| operations.values_mut())
        .filter_map(|operation| operation.get_mut("responses"))
        .filter_map(Value::as_object_mut)
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let links = response
            .get_mut("links")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|links| links.values_mut())
            .filter_map(Value::as_object_mut);
        for link in links {
            for (snake, camel) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        serde_json::from_str(&crate::routes::openapi_json()).expect("the document is JSON")
    }

    #[test]
    fn links_name_operations_of_the_document() {
        let doc = document();
        let operations: Vec<&Value> = doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|path| path.as_object().expect("operations").values())
            .collect();
        let ids: Vec<&str> = operations
            .iter()
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let mut links = 0;
        for operation in &operations {
            let responses = operation["responses"].as_object().expect("responses");
            for link in responses
                .values()
                .filter_map(|r| r.get("links").and_then(Value::as_object))
                .flat_map(|links| links.values())
            {
                let target = link["operationId"].as_str().expect("operationId");
                assert!(ids.contains(&target), "a link to {target}");
                assert!(link.get("operation_id").is_none(), "{link}");
                links += 1;
            }
        }
        // The hold's read, confirmation and cancellation; the reads after the other two.
        assert_eq!(links, 5);
    }

    #[test]
    fn request_bodies_state_the_parsers_rules() {
        let doc = document();
        let create = &doc["components"]["schemas"]["CreateReservationRequest"]["properties"];
        for text in ["event_id", "user_id", "reservation_token"] {
            assert_eq!(create[text]["pattern"], TEXT_PATTERN, "{text}");
        }
        let seats = &create["seat_ids"];
        assert_eq!(seats["uniqueItems"], true);
        assert_eq!(seats["items"]["pattern"], TEXT_PATTERN);
        assert_eq!(seats["items"]["maxLength"], MAX_SEAT_ID);
        assert_eq!(create["qty"]["minimum"], 1);
        let confirm = &doc["components"]["schemas"]["ConfirmReservationRequest"]["properties"];
        assert_eq!(
            confirm["payment_intent_id"]["pattern"],
            PAYMENT_INTENT_PATTERN
        );
        // Numbers are left alone.
        assert!(create["qty"].get("pattern").is_none());
    }
}
