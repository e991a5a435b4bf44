//! Schema assertions: the same `TableDef` checked against the live table (DescribeTable and
//! DescribeTimeToLive), against CloudFormation templates, and used to create tables.
//!
//! This is where an entity not declared against a `TableDef` is caught mapping its keys wrong:
//! one whose keys map to `reservation_id`/`event_id` while the table's are `pk`/`sk` (the
//! mistake that once took a reservation API down) fails
//! [`Table::assert_schema`](crate::Table::assert_schema) with
//!
//! ```text
//! entity `Reservation` maps its partition key (field `reservation_id`) to attribute "reservation_id", but table "ticket-reservation-reservations" has partition key "pk"; add #[dynamo(rename = "pk")] to field `reservation_id`
//! ```
//!
//! Every difference is worded by [`rules`], the same functions the derive's compile-time checks
//! use.

mod compare;
mod create;
mod export;
mod live;
pub mod migrate;
pub mod rules;
pub mod shape;

#[cfg(feature = "cloudformation")]
pub use export::cloudformation;
#[cfg(feature = "terraform")]
pub use export::terraform;

pub use compare::{
    CapacityShape, IndexShape, Key, Mismatch, ProjectionShape, SchemaMismatch, TableShape, compare,
};
pub use create::{create_table, wait_until_active};
pub use live::{
    EnsureOutcome, SchemaError, SchemaReport, SchemaTarget, assert_schemas, describe, ensure_table,
};
pub use migrate::{MigrationPlan, MigrationStep, migrate, plan_migration};
pub use shape::{ShapeError, StoredShape, assert_stored_shape, check_stored_shape};
