//! [`Item`]: an item as DynamoDB holds it, and [`FromItem`]: what reads one.

use crate::mapping::entity::Entity;
use crate::mapping::error::MappingError;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// A DynamoDB item: attribute names to values.
pub type Item = HashMap<String, AttributeValue>;

/// A value read from an item: an entity, a projection entity, a collection, or the raw
/// [`Item`].
pub trait FromItem: Sized {
    /// Reads the item.
    fn from_item(item: Item) -> Result<Self, MappingError>;
}

impl<E: Entity> FromItem for E {
    fn from_item(item: Item) -> Result<Self, MappingError> {
        E::from_item(item)
    }
}

impl FromItem for Item {
    fn from_item(item: Item) -> Result<Self, MappingError> {
        Ok(item)
    }
}
