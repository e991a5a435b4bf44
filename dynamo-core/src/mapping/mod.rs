//! Mapping between Rust values and DynamoDB items: the [`Entity`](entity::Entity) and
//! [`DynamoValue`](value::DynamoValue) traits the derives implement, the key scalar types,
//! sets, managed attributes (TTL, version), JSON and timestamps, key templates and the typed
//! partitions and sort keys of queries, and the errors of a mapping.

pub(crate) mod entity;
pub(crate) mod error;
#[cfg(feature = "json")]
pub(crate) mod json;
pub(crate) mod key;
pub(crate) mod managed;
pub(crate) mod partition;
pub(crate) mod set;
pub(crate) mod template;
pub(crate) mod time;
pub(crate) mod value;
