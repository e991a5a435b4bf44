//! Support for the code `#[derive(DynamoEntity)]` and `#[derive(DynamoValue)]` generate:
//! `field` stores fields, `table_rules` checks an entity against its declared table at
//! compile time. Not a public API: names and signatures change without notice.
#![doc(hidden)]

pub use crate::def::ScalarType;
pub use crate::def::{IndexDef, KeyDef, TableDef};
pub use crate::mapping::entity::{
    Attr, Entity, EntityKey, EntitySchema, FieldAttribute, IndexKeyField, Item, KeyField, KeyRole,
    Versioned,
};
pub use crate::mapping::error::{Direction, MappingError, ValueError};
pub use crate::mapping::key::{IndexKeyScalar, KeyScalar};
pub use crate::mapping::managed::{TtlValue, VersionValue};
pub use crate::mapping::set::{SetCollection, SetElement};
pub use crate::mapping::value::{DynamoValue, ValueOf};
pub use aws_sdk_dynamodb::types::AttributeValue;
pub use core::clone::Clone;
pub use core::default::Default;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};

mod field;
mod table_rules;

pub use crate::schema::rules::Msg;
pub use field::*;
pub use table_rules::*;
