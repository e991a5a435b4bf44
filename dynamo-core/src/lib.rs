//! Typed DynamoDB tables for Rust.
#![doc = include_str!("../README.md")]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod entity;
mod error;
#[cfg(feature = "json")]
mod json;
mod key;
mod managed;
mod set;
mod table;
mod time_format;
mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
pub(crate) use __private as private;

pub use aws_sdk_dynamodb::types::AttributeValue;
pub use dynamo_derive::{DynamoEntity, DynamoValue};
pub use entity::{
    Attr, Entity, EntityKey, EntitySchema, FieldAttribute, IndexKeyField, Item, KeyField, KeyRole,
};
pub use error::{Direction, MappingError, ValueError};
#[cfg(feature = "json")]
pub use json::Json;
pub use key::{IndexKeyScalar, KeyScalar, ScalarType};
pub use managed::{TtlValue, VersionValue};
pub use set::{SetCollection, SetElement};
pub use table::{BillingMode, IndexDef, IndexKind, KeyDef, Projection, TableDef};
pub use value::DynamoValue;
