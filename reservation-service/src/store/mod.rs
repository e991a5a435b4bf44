//! Storage: the tables, their entities and the formats of derived keys. Only services use it.

pub mod tables;

pub use tables::*;

/// The CloudFormation template of every table (`export-cloudformation`;
/// `deploy/cloudformation/tables.yaml` holds it).
pub fn cloudformation_template() -> serde_json::Value {
    dynamo_core::schema::cloudformation::template("Reservation service tables", &ALL)
}
