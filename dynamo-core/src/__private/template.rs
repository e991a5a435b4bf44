//! Support for key templates, entity types and collections in generated code: the entity type
//! attribute on write and read, a collection's dispatch, and the compile-time checks of a
//! collection's members.

use crate::def::{TableDef, str_eq};
use crate::mapping::entity::{Entity, EntitySchema, KeyField};
use crate::mapping::error::{Direction, MappingError, ValueError};
use crate::mapping::item::Item;
use crate::schema::rules::{self, Msg};
use aws_sdk_dynamodb::types::AttributeValue;

/// The value of the table's entity attribute: the entity type, when the table has one.
#[inline]
pub fn entity_type_value(
    table: &TableDef,
    entity_type: Option<&'static str>,
) -> Option<AttributeValue> {
    table.entity_attribute?;
    Some(AttributeValue::S(entity_type?.to_owned()))
}

/// Checks that `found`, the item's entity attribute, is `schema`'s entity type, when the table
/// has an entity attribute. The error names no key yet: the caller knows where it is.
#[inline]
pub fn read_entity_type(
    found: Option<&AttributeValue>,
    table: &TableDef,
    schema: &EntitySchema,
) -> Result<(), MappingError> {
    let (Some(attribute), Some(expected)) = (table.entity_attribute, schema.entity_type) else {
        return Ok(());
    };
    let found = match found {
        Some(AttributeValue::S(found)) if found == expected => return Ok(()),
        Some(AttributeValue::S(found)) => {
            format!("entity type \"{}\"", crate::mapping::error::truncate(found))
        }
        Some(other) => crate::mapping::error::describe(other).into_owned(),
        None => "no entity type".to_owned(),
    };
    Err(MappingError {
        entity: schema.name,
        field: "(entity type)",
        attribute,
        direction: Direction::Read,
        source: ValueError::new(format!("entity type \"{expected}\""), found),
        key: None,
    })
}

/// The table key attributes of `item`, to name it in an error.
#[cold]
pub fn key_attributes(table: &TableDef, item: &Item) -> Item {
    crate::mapping::error::key_of(table, item)
}

/// A template's text as the key attribute's value.
#[inline]
pub fn key_text(text: String) -> AttributeValue {
    AttributeValue::S(text)
}

/// Whether `item` is one of `E`'s: by the table's entity attribute, or without one by `E`'s
/// sort key prefix.
pub fn is_member<E: Entity>(item: &Item) -> bool {
    if let (Some(attribute), Some(entity_type)) = (E::TABLE.entity_attribute, E::SCHEMA.entity_type)
    {
        return matches!(item.get(attribute), Some(AttributeValue::S(t)) if t == entity_type);
    }
    let Some(KeyField {
        attribute,
        template: Some(template),
        ..
    }) = E::SCHEMA.sort_key
    else {
        // No prefix to go by: the only member (the overlap check refuses two such members).
        return true;
    };
    match item.get(attribute) {
        Some(AttributeValue::S(sk)) if template.is_constant() => sk == template.prefix,
        Some(AttributeValue::S(sk)) => sk.starts_with(template.prefix),
        _ => false,
    }
}

/// The error for an item that is none of a collection's members.
#[cold]
pub fn unknown_member(collection: &'static str, table: &TableDef, item: &Item) -> MappingError {
    let (attribute, found) = match table.entity_attribute {
        Some(attribute) => (
            attribute,
            match item.get(attribute) {
                Some(AttributeValue::S(t)) => {
                    format!("entity type \"{}\"", crate::mapping::error::truncate(t))
                }
                Some(other) => crate::mapping::error::describe(other).into_owned(),
                None => "no entity type".to_owned(),
            },
        ),
        None => (
            table.sort_key.map_or("", |k| k.name),
            "a sort key no member's template starts with".to_owned(),
        ),
    };
    let key = key_attributes(table, item);
    let error = MappingError {
        entity: collection,
        field: "(entity type)",
        attribute,
        direction: Direction::Read,
        source: ValueError::new("one of the collection's entities", found),
        key: None,
    };
    error.with_key(key)
}

/// The partition template of an entity's table key, `"{}"`-shaped; `""` for a `#[pk]` field.
const fn partition_shape(schema: &EntitySchema) -> &'static str {
    match schema.partition_key.template {
        Some(t) => t.shape,
        None => "",
    }
}

const fn partition_text(schema: &EntitySchema) -> &'static str {
    match schema.partition_key.template {
        Some(t) => t.text,
        None => schema.partition_key.field,
    }
}

/// The literal start every sort key of the entity has; `""` when there is none.
const fn sort_prefix(schema: &EntitySchema) -> &'static str {
    match schema.sort_key {
        Some(KeyField {
            template: Some(t), ..
        }) => t.prefix,
        _ => "",
    }
}

const fn starts_with(s: &str, prefix: &str) -> bool {
    let (s, prefix) = (s.as_bytes(), prefix.as_bytes());
    if prefix.len() > s.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if s[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Member `B` against member `A` of collection `collection` (`A` first): same table, same
/// partition template.
pub const fn check_member<A: Entity, B: Entity>(collection: &str) -> Option<Msg> {
    let (a, b) = (&A::SCHEMA, &B::SCHEMA);
    if !str_eq(A::TABLE.name, B::TABLE.name)
        || !str_eq(A::TABLE.partition_key.name, B::TABLE.partition_key.name)
    {
        return Some(rules::collection_tables_differ(
            collection,
            a.name,
            A::TABLE.name,
            b.name,
            B::TABLE.name,
        ));
    }
    if !str_eq(partition_shape(a), partition_shape(b)) {
        return Some(rules::collection_partitions_differ(
            collection,
            a.name,
            partition_text(a),
            b.name,
            partition_text(b),
        ));
    }
    None
}

/// Two members of a collection: their items can be told apart.
pub const fn check_members_distinct<A: Entity, B: Entity>(collection: &str) -> Option<Msg> {
    let (a, b) = (&A::SCHEMA, &B::SCHEMA);
    if let (Some(ta), Some(tb)) = (a.entity_type, b.entity_type)
        && str_eq(ta, tb)
    {
        return Some(rules::collection_duplicate_type(
            collection, a.name, b.name, ta,
        ));
    }
    let (pa, pb) = (sort_prefix(a), sort_prefix(b));
    if starts_with(pa, pb) || starts_with(pb, pa) {
        return Some(rules::collection_prefixes_overlap(
            collection, a.name, pa, b.name, pb,
        ));
    }
    None
}
