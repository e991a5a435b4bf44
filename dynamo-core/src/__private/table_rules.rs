//! The compile-time checks of an entity against its declared `TableDef`: the derive emits one
//! `const` per rule and field, which panics with the rule's message (from
//! [`schema::rules`](crate::schema::rules)) when it fails. The panic's span is the field's, so
//! the error points at it.

use crate::def::{KeyDef, TableDef, str_eq};
use crate::mapping::entity::{EntitySchema, KeyField, KeyRole};
use crate::schema::rules::{self, Msg, Side, TableRef};

const fn declared<'a>(table: &'a TableDef, path: &'a str) -> TableRef<'a> {
    TableRef::Declared {
        path,
        name: table.name,
    }
}

const fn side<'a>(schema: &'a EntitySchema, key: &'a KeyField) -> Side<'a> {
    Side::Field {
        entity: schema.name,
        field: key.field,
    }
}

/// An entity key against the table key it must equal.
const fn compare_key(
    schema: &EntitySchema,
    role: KeyRole,
    key: &KeyField,
    expected: &KeyDef,
    table: TableRef<'_>,
    index: Option<&str>,
) -> Option<Msg> {
    if !str_eq(key.attribute, expected.name) {
        return Some(rules::key_attribute_differs(
            side(schema, key),
            role,
            index,
            key.attribute,
            table,
            expected.name,
        ));
    }
    if !key.scalar.eq(expected.scalar) {
        return Some(rules::key_type_differs(
            side(schema, key),
            role,
            index,
            key.scalar,
            table,
            expected.name,
            expected.scalar,
        ));
    }
    None
}

/// The entity's partition key against the table's.
pub const fn check_partition_key(
    schema: &EntitySchema,
    table: &TableDef,
    table_path: &str,
) -> Option<Msg> {
    compare_key(
        schema,
        KeyRole::Partition,
        &schema.partition_key,
        &table.partition_key,
        declared(table, table_path),
        None,
    )
}

/// The entity's sort key against the table's; for an entity with a `#[sk]` field.
pub const fn check_sort_key(
    schema: &EntitySchema,
    table: &TableDef,
    table_path: &str,
) -> Option<Msg> {
    let Some(key) = &schema.sort_key else {
        return None;
    };
    let table_ref = declared(table, table_path);
    match &table.sort_key {
        Some(expected) => compare_key(schema, KeyRole::Sort, key, expected, table_ref, None),
        None => Some(rules::table_has_no_sort_key(
            side(schema, key),
            key.attribute,
            table_ref,
        )),
    }
}

/// For an entity without a `#[sk]` field: the table must have no sort key either.
pub const fn check_no_sort_key(
    schema: &EntitySchema,
    table: &TableDef,
    table_path: &str,
) -> Option<Msg> {
    match (&schema.sort_key, &table.sort_key) {
        (None, Some(expected)) => Some(rules::entity_has_no_sort_key(
            Some(schema.name),
            declared(table, table_path),
            expected.name,
        )),
        _ => None,
    }
}

/// The entity's `index`-th index key field against the table's index.
pub const fn check_index_key(
    schema: &EntitySchema,
    index: usize,
    table: &TableDef,
    table_path: &str,
) -> Option<Msg> {
    let field = &schema.index_keys[index];
    let table_ref = declared(table, table_path);
    let Some(def) = table.index(field.index) else {
        return Some(rules::index_not_declared(
            field.key.field,
            field.index,
            table_ref,
            table.indexes,
        ));
    };
    let expected = match field.role {
        KeyRole::Partition => Some(&def.partition_key),
        KeyRole::Sort => def.sort_key.as_ref(),
    };
    match expected {
        Some(expected) => compare_key(
            schema,
            field.role,
            &field.key,
            expected,
            table_ref,
            Some(field.index),
        ),
        None => Some(rules::index_has_no_sort_key(
            side(schema, &field.key),
            field.index,
            table_ref,
        )),
    }
}

/// The entity's `#[ttl]` attribute against the table's TTL attribute.
pub const fn check_ttl(
    schema: &EntitySchema,
    field: &str,
    table: &TableDef,
    table_path: &str,
) -> Option<Msg> {
    let Some(attribute) = schema.ttl_attribute else {
        return None;
    };
    let side = Side::Field {
        entity: schema.name,
        field,
    };
    match table.ttl_attribute {
        Some(expected) if str_eq(expected, attribute) => None,
        Some(expected) => Some(rules::ttl_attribute_differs(
            side,
            attribute,
            declared(table, table_path),
            expected,
        )),
        None => Some(rules::table_has_no_ttl(
            side,
            attribute,
            declared(table, table_path),
        )),
    }
}

/// A field that is not `#[ttl]` must not be stored on the table's TTL attribute: DynamoDB's TTL
/// reads only epoch seconds, and the field would be stored in its own format.
pub const fn check_not_ttl_attribute(
    schema: &EntitySchema,
    field: &str,
    attribute: &str,
    table: &TableDef,
    table_path: &str,
) -> Option<Msg> {
    match table.ttl_attribute {
        Some(expected) if str_eq(expected, attribute) => Some(rules::ttl_attribute_not_marked(
            schema.name,
            field,
            attribute,
            declared(table, table_path),
        )),
        _ => None,
    }
}
