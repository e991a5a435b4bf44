//! Schema assertions: the same `TableDef` checked against the live table (DescribeTable and
//! DescribeTimeToLive), against CloudFormation templates, and used to create tables.
//!
//! This is where the seed-000 mistake is caught when the entity was not declared against a
//! `TableDef`: an entity whose keys map to `reservation_id`/`event_id` while the table's are
//! `pk`/`sk` fails [`Table::assert_schema`](crate::Table::assert_schema) with
//!
//! ```text
//! entity Reservation maps partition key to "reservation_id" but table "ticket-reservation-reservations" has "pk": add #[dynamo(rename = "pk")] to field reservation_id
//! ```

mod compare;
mod create;
mod export;
mod live;
pub mod rules;

#[cfg(feature = "cloudformation")]
pub use export::cloudformation;
#[cfg(feature = "terraform")]
pub use export::terraform;

pub use compare::{
    IndexShape, Key, Mismatch, ProjectionShape, SchemaMismatch, TableShape, compare,
};
pub use create::{create_table, wait_until_active};
pub use live::{
    EnsureOutcome, SchemaError, SchemaReport, SchemaTarget, assert_schemas, describe, ensure_table,
};
