//! Mapping between Rust values and DynamoDB items: the traits the derives implement
//! ([`Entity`], [`DynamoValue`]), typed attribute paths ([`Attr`], [`KeyAttr`]), the values an
//! expression takes ([`ValueOf`]), sets, managed attributes (TTL, version), JSON and timestamps,
//! and the errors of a mapping ([`MappingError`]).
//!
//! The derives implement these traits; code that uses entities rarely names them beyond
//! [`Entity`] and [`DynamoValue`], which the crate root re-exports.

pub(crate) mod entity;
pub(crate) mod error;
pub(crate) mod item;
#[cfg(feature = "json")]
pub(crate) mod json;
pub(crate) mod managed;
pub(crate) mod schema_version;
pub(crate) mod set;
pub(crate) mod size;
pub(crate) mod time;
pub(crate) mod value;

pub use entity::{
    Attr, Entity, EntityKey, EntitySchema, FieldAttribute, FieldWrite, IndexAttr, IndexKeyField,
    IndexKeyWrites, KeyAttr, KeyField, KeyRole, KeyTemplate, SetField, UniqueConstraint, Versioned,
};
pub use error::{Direction, MappingError, ValueError};
pub use item::{FromItem, Item};
#[cfg(feature = "json")]
pub use json::Json;
pub use managed::{ManagedTimestamp, TtlValue, VersionValue};
pub use schema_version::{SCHEMA_VERSION_ATTRIBUTE, Upgraded, VersionOf, stored_schema_version};
pub use set::{SetCollection, SetElement};
pub use size::{MAX_ITEM_SIZE, WriteUnits, attribute_size, item_size, write_units};
pub use value::{DynamoValue, IntoAttributeValue, Tagged, ValueOf};
