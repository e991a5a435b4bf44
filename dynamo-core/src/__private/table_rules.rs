//! The compile-time checks of an entity against its declared `TableDef`: the derive emits one
//! `const` per rule and field, which panics with the rule's message (from
//! [`schema::rules`](crate::schema::rules)) when it fails. The panic's span is the field's, so
//! the error points at it.

use crate::def::{KeyDef, TableDef, str_eq};
use crate::mapping::entity::{EntitySchema, KeyField, KeyRole};
use crate::schema::rules::{self, Holder, Msg, Side, TableRef};

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
            rules::Holder::Field(field.key.field),
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

/// The key of `role` of the table (`index: None`) or of one of its indexes; `None` when the
/// table or index lacks it ([`check_template_key`] says so).
const fn key_def<'t>(
    table: &'t TableDef,
    index: Option<&str>,
    role: KeyRole,
) -> Option<&'t KeyDef> {
    match index {
        None => match role {
            KeyRole::Partition => Some(&table.partition_key),
            KeyRole::Sort => table.sort_key.as_ref(),
        },
        Some(name) => match table.index(name) {
            Some(def) => match role {
                KeyRole::Partition => Some(&def.partition_key),
                KeyRole::Sort => def.sort_key.as_ref(),
            },
            None => None,
        },
    }
}

/// The attribute a key template writes: the table's (or index's) key of `role`; empty when
/// there is none, which [`check_template_key`] reports.
pub const fn template_attribute(
    table: &TableDef,
    index: Option<&str>,
    role: KeyRole,
) -> &'static str {
    match key_def(table, index, role) {
        Some(key) => key.name,
        None => "",
    }
}

/// A key template against the table: the index exists (reported by the index's first
/// template, `report_index`), the key exists, and it is a string.
pub const fn check_template_key(
    entity: &str,
    template: &str,
    index: Option<&str>,
    role: KeyRole,
    report_index: bool,
    table: &TableDef,
    table_path: &str,
) -> Option<Msg> {
    let table_ref = declared(table, table_path);
    if let Some(name) = index
        && table.index(name).is_none()
    {
        if !report_index {
            return None;
        }
        return Some(rules::index_not_declared(
            Holder::Template(template),
            name,
            table_ref,
            table.indexes,
        ));
    }
    match key_def(table, index, role) {
        None => Some(rules::template_key_missing(
            entity, template, index, table_ref,
        )),
        Some(key) if !key.scalar.eq(crate::def::ScalarType::S) => {
            Some(rules::template_key_not_string(
                entity, role, template, index, table_ref, key.name, key.scalar,
            ))
        }
        Some(_) => None,
    }
}

/// The keys one component can write: its type's values, or fewer with a `{field:N}` width.
pub const fn component_values(cardinality: u64, width: usize, numeric: bool) -> u64 {
    if !numeric || width == 0 || width >= 20 {
        return cardinality;
    }
    let mut padded: u64 = 1;
    let mut i = 0;
    while i < width {
        padded *= 10;
        i += 1;
    }
    if padded < cardinality {
        padded
    } else {
        cardinality
    }
}

/// A partition template can write at least [`HOT_PARTITION_VALUES`] keys, the product of its
/// components' values, unless the entity accepts a hot partition.
///
/// [`HOT_PARTITION_VALUES`]: rules::HOT_PARTITION_VALUES
pub const fn check_partition_values(
    entity: &str,
    template: &str,
    index: Option<&str>,
    components: &[u64],
    accepted: bool,
) -> Option<Msg> {
    let mut values: u64 = 1;
    let mut i = 0;
    while i < components.len() {
        values = values.saturating_mul(components[i]);
        i += 1;
    }
    if accepted || values >= rules::HOT_PARTITION_VALUES {
        return None;
    }
    Some(rules::partition_values_few(entity, template, index, values))
}

/// One component of a key template: `{field:N}` only on integers (`numeric`), and no delimiter
/// among the characters values of the component's type hold (`charset`, empty for free text).
pub const fn check_component(
    template: &str,
    field: &str,
    width: usize,
    delimiters: &str,
    numeric: bool,
    charset: &str,
) -> Option<Msg> {
    if width > 0 && !numeric {
        return Some(rules::template_width_not_integer(template, field));
    }
    let (charset, delimiters) = (charset.as_bytes(), delimiters.as_bytes());
    let mut i = 0;
    while i < delimiters.len() {
        let mut j = 0;
        while j < charset.len() {
            if charset[j] == delimiters[i] {
                let (_, rest) = delimiters.split_at(i);
                let (one, _) = rest.split_at(1);
                let delimiter = match core::str::from_utf8(one) {
                    Ok(d) => d,
                    Err(_) => "?",
                };
                return Some(rules::template_delimiter_in_component(
                    template, field, delimiter,
                ));
            }
            j += 1;
        }
        i += 1;
    }
    None
}

/// The entity type written to the table's entity attribute: `name` when the table declares
/// one.
pub const fn entity_type(table: &TableDef, name: &'static str) -> Option<&'static str> {
    match table.entity_attribute {
        Some(_) => Some(name),
        None => None,
    }
}

/// `entity = ".."` needs a table with an entity attribute.
pub const fn check_entity_attribute(
    schema: &EntitySchema,
    table: &TableDef,
    table_path: &str,
) -> Option<Msg> {
    match table.entity_attribute {
        Some(_) => None,
        None => Some(rules::entity_attribute_not_declared(
            schema.name,
            declared(table, table_path),
        )),
    }
}

/// No field is stored on the table's entity attribute.
pub const fn check_not_entity_attribute(
    schema: &EntitySchema,
    field: &str,
    attribute: &str,
    table: &TableDef,
    table_path: &str,
) -> Option<Msg> {
    match table.entity_attribute {
        Some(reserved) if str_eq(reserved, attribute) => Some(rules::entity_attribute_taken(
            schema.name,
            field,
            attribute,
            declared(table, table_path),
        )),
        _ => None,
    }
}

/// No field is stored on an attribute a key template writes.
pub const fn check_not_template_attribute(
    schema: &EntitySchema,
    field: &str,
    attribute: &str,
) -> Option<Msg> {
    let mut keys = [schema.partition_key, schema.partition_key];
    let mut count = 1;
    if let Some(sort) = schema.sort_key {
        keys[1] = sort;
        count = 2;
    }
    let mut i = 0;
    while i < count + schema.index_keys.len() {
        let key = if i < count {
            &keys[i]
        } else {
            &schema.index_keys[i - count].key
        };
        if let Some(template) = key.template
            && str_eq(key.attribute, attribute)
        {
            return Some(rules::template_attribute_taken(
                schema.name,
                field,
                attribute,
                template.text,
            ));
        }
        i += 1;
    }
    None
}

/// `upgrade(from = N, via = V, ..)`: `V` is of the entity's table and of version `N`.
pub const fn check_upgrade(
    entity: &EntitySchema,
    entity_table: &TableDef,
    via: &EntitySchema,
    via_table: &TableDef,
    from: u32,
    via_path: &str,
) -> Option<Msg> {
    if !str_eq(entity_table.name, via_table.name) {
        return Some(rules::upgrade_table_differs(
            entity.name,
            entity_table.name,
            via_path,
            via_table.name,
        ));
    }
    match via.schema_version {
        Some(version) if version == from => None,
        found => Some(rules::upgrade_version_differs(
            entity.name,
            from,
            via_path,
            match found {
                Some(version) => version,
                None => 0,
            },
        )),
    }
}
