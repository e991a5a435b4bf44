//! Support for the code the derives generate: `field` stores fields, `table_rules` checks an
//! entity against its declared table at compile time, `template` writes and checks entity
//! types and checks collections. Not a public API: names and signatures change without notice.
#![doc(hidden)]

pub use crate::def::ScalarType;
pub use crate::def::{IndexDef, KeyDef, TableDef};
pub use crate::keys::partition::{
    BoundError, Collection, CollectionOf, CollectionOn, IndexKeys, NoSortKey, OnIndex, OnTable,
    Partition, PartitionOf, Shards, SortArg, SortBound, SortField, SortPrefix, SortScope, index_id,
    shard_values,
};
pub use crate::keys::scalar::{IndexKeyScalar, KeyScalar, UniqueValue};
pub use crate::keys::template::{
    Component, ComponentOf, KeyComponent, partial_component, write_component, write_shard,
    write_shard_number,
};
pub use crate::mapping::entity::{
    Attr, Entity, EntityKey, EntitySchema, FieldAttribute, IndexAttr, IndexKeyField,
    IndexKeyWrites, KeyAttr, KeyField, KeyRole, KeyTemplate, UniqueConstraint, Versioned,
};
pub use crate::mapping::error::{Direction, MappingError, ValueError};
pub use crate::mapping::item::{FromItem, Item};
pub use crate::mapping::managed::{TtlValue, VersionValue};
pub use crate::mapping::schema_version::{
    SCHEMA_VERSION_ATTRIBUTE, Upgraded, VersionOf, assert_version_of, read_schema_version,
    schema_version_value, unknown_schema_version, upgrade,
};
pub use crate::mapping::set::{SetCollection, SetElement};
pub use crate::mapping::value::{DynamoValue, Tagged, ValueOf};
pub use aws_sdk_dynamodb::types::AttributeValue;
pub use core::clone::Clone;
pub use core::default::Default;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};

mod field;
mod shape;
mod table_rules;
mod template;

pub use crate::schema::rules::Msg;
pub use crate::table::Table;
pub use crate::table::unique::find as find_unique;
pub use field::*;
pub use shape::ItemShape;
pub use std::string::String;
pub use std::vec::Vec;
pub use table_rules::*;
pub use template::*;
