//! Support for key templates, entity types and collections in generated code: the entity type
//! attribute on write and read, a collection's dispatch, and the compile-time checks of a
//! collection's members.

use crate::def::{TableDef, str_eq};
use crate::mapping::entity::{Entity, EntitySchema, KeyField, KeyRole};
use crate::mapping::error::{Direction, MappingError, ValueError, describe, truncate};
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

/// Whether `item`'s entity attribute names `E`'s entity type; `None` on a table without an
/// entity attribute.
pub(crate) fn has_entity_type<E: Entity>(item: &Item) -> Option<bool> {
    let (Some(attribute), Some(entity_type)) = (E::TABLE.entity_attribute, E::SCHEMA.entity_type)
    else {
        return None;
    };
    Some(matches!(item.get(attribute), Some(AttributeValue::S(t)) if t == entity_type))
}

/// Whether `item` is one of `E`'s: by the table's entity attribute, or without one by `E`'s
/// sort key prefix on `index` (`None`: the table), where a collection reads it.
pub fn is_member<E: Entity>(item: &Item, index: Option<&str>) -> bool {
    if let Some(is) = has_entity_type::<E>(item) {
        return is;
    }
    let Some(KeyField {
        attribute,
        template: Some(template),
        ..
    }) = key_on(&E::SCHEMA, index, KeyRole::Sort)
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

/// `schema`'s key in `role` on `index`, or on the table for `None`.
const fn key_on(schema: &EntitySchema, index: Option<&str>, role: KeyRole) -> Option<KeyField> {
    let Some(index) = index else {
        return match role {
            KeyRole::Partition => Some(schema.partition_key),
            KeyRole::Sort => schema.sort_key,
        };
    };
    let keys = schema.index_keys;
    let mut i = 0;
    while i < keys.len() {
        let key = &keys[i];
        let same_role = matches!(
            (key.role, role),
            (KeyRole::Partition, KeyRole::Partition) | (KeyRole::Sort, KeyRole::Sort)
        );
        if same_role && str_eq(key.index, index) {
            return Some(key.key);
        }
        i += 1;
    }
    None
}

/// A partition key's template, `"{}"`-shaped; `""` for a key field.
const fn partition_shape(key: &KeyField) -> &'static str {
    match key.template {
        Some(t) => t.shape,
        None => "",
    }
}

/// A partition key's template as written, or its field.
const fn partition_text(key: &KeyField) -> &'static str {
    match key.template {
        Some(t) => t.text,
        None => key.field,
    }
}

/// The literal start every sort key of `E` on `index` (`None`: the table) has; `""` when
/// there is none. A collection reads the range its members' prefixes span.
pub const fn sort_prefix_on<E: Entity>(index: Option<&str>) -> &'static str {
    match key_on(&E::SCHEMA, index, KeyRole::Sort) {
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

/// Member `E` of collection `collection`, which reads `index`: `E` has a partition key there.
pub const fn check_on_index<E: Entity>(collection: &str, index: Option<&str>) -> Option<Msg> {
    match index {
        Some(name) if key_on(&E::SCHEMA, index, KeyRole::Partition).is_none() => Some(
            rules::collection_member_not_on_index(collection, name, E::SCHEMA.name),
        ),
        _ => None,
    }
}

/// An index whose partitions `A` and `B` compose alike, for the hint of a table collection
/// whose members share an index partition instead.
const fn shared_index<A: Entity, B: Entity>() -> Option<&'static str> {
    let keys = A::SCHEMA.index_keys;
    let mut i = 0;
    while i < keys.len() {
        let key = &keys[i];
        if matches!(key.role, KeyRole::Partition)
            && let Some(other) = key_on(&B::SCHEMA, Some(key.index), KeyRole::Partition)
            && str_eq(partition_shape(&key.key), partition_shape(&other))
        {
            return Some(key.index);
        }
        i += 1;
    }
    None
}

/// Member `B` against member `A` of collection `collection` (`A` first), which reads `index`
/// (`None`: the table): same table, same partition template there.
pub const fn check_member<A: Entity, B: Entity>(
    collection: &str,
    index: Option<&str>,
) -> Option<Msg> {
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
    let (Some(pa), Some(pb)) = (
        key_on(a, index, KeyRole::Partition),
        key_on(b, index, KeyRole::Partition),
    ) else {
        // Reported by `check_on_index`.
        return None;
    };
    if a.lowercase_keys != b.lowercase_keys {
        let (lower, preserve) = if a.lowercase_keys {
            (a.name, b.name)
        } else {
            (b.name, a.name)
        };
        return Some(rules::collection_key_case_differs(
            collection, lower, preserve,
        ));
    }
    if !str_eq(partition_shape(&pa), partition_shape(&pb)) {
        let shared = match index {
            None => shared_index::<A, B>(),
            Some(_) => None,
        };
        return Some(rules::collection_partitions_differ(
            collection,
            index,
            (a.name, partition_text(&pa)),
            (b.name, partition_text(&pb)),
            shared,
        ));
    }
    None
}

/// Two members of a collection that reads `index`: their items can be told apart.
pub const fn check_members_distinct<A: Entity, B: Entity>(
    collection: &str,
    index: Option<&str>,
) -> Option<Msg> {
    let (a, b) = (&A::SCHEMA, &B::SCHEMA);
    if let (Some(ta), Some(tb)) = (a.entity_type, b.entity_type)
        && str_eq(ta, tb)
    {
        return Some(rules::collection_duplicate_type(
            collection, a.name, b.name, ta,
        ));
    }
    if index.is_some()
        && (key_on(a, index, KeyRole::Partition).is_none()
            || key_on(b, index, KeyRole::Partition).is_none())
    {
        // Reported by `check_on_index`.
        return None;
    }
    let (pa, pb) = (sort_prefix_on::<A>(index), sort_prefix_on::<B>(index));
    if starts_with(pa, pb) || starts_with(pb, pa) {
        return Some(rules::collection_prefixes_overlap(
            collection,
            index,
            (a.name, pa),
            (b.name, pb),
        ));
    }
    None
}

/// A part of an entity's previous key template (`#[dynamo(previous(pk = ".."))]`), for reading
/// a key it wrote back into the components it was made of.
#[derive(Debug, Clone, Copy)]
pub enum PreviousPart {
    /// Literal text.
    Literal(&'static str),
    /// A component: the attribute its field is stored in, and how its text is read back.
    Component {
        /// The field's attribute.
        attribute: &'static str,
        /// The placeholder's width (`{field:N}`; `0`: the type's own).
        width: usize,
        /// [`KeyComponent::read_component`](crate::keys::KeyComponent::read_component) of the
        /// field's type.
        read: fn(&str, usize) -> Option<AttributeValue>,
    },
    /// A `{shard(field):N}` component, written with `width` digits: a hash, nothing to read.
    Shard {
        /// Its digits.
        width: usize,
    },
}

/// Adds to `item` the components its key attribute `attribute` holds, written with the previous
/// template `parts` (`template` as written), where the item lacks them: an item written before
/// the key changed may have stored a field only as its key. An item that has every component
/// is left as it is.
pub fn read_previous_key(
    item: &mut Item,
    entity: &'static str,
    attribute: &'static str,
    template: &'static str,
    parts: &[PreviousPart],
) -> Result<(), MappingError> {
    let lacks = parts.iter().any(|part| {
        matches!(part, PreviousPart::Component { attribute, .. } if !item.contains_key(*attribute))
    });
    if !lacks {
        return Ok(());
    }
    let error = |found: String| MappingError {
        entity,
        field: "(previous key)",
        attribute,
        direction: Direction::Read,
        source: ValueError::new(
            format!("a key of the previous template \"{template}\""),
            found,
        ),
        key: None,
    };
    let components = match item.get(attribute) {
        Some(AttributeValue::S(key)) => {
            components_of(key, parts).ok_or_else(|| error(format!("\"{}\"", truncate(key))))?
        }
        Some(other) => return Err(error(describe(other).into_owned())),
        // Not read (a projection without it): nothing to read back.
        None => return Ok(()),
    };
    for (attribute, value) in components {
        item.entry(attribute.to_owned()).or_insert(value);
    }
    Ok(())
}

/// The components of `key` written with `parts`, as the attributes their fields are stored in;
/// `None` when the key does not have the template's shape. A component ends where the literal
/// after it starts (a component never holds its delimiter); the last one takes the rest.
fn components_of(key: &str, parts: &[PreviousPart]) -> Option<Vec<(&'static str, AttributeValue)>> {
    let mut rest = key;
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        match *part {
            PreviousPart::Literal(text) => rest = rest.strip_prefix(text)?,
            PreviousPart::Shard { width } => {
                let digits = rest.get(..width)?;
                if !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                rest = &rest[width..];
            }
            PreviousPart::Component {
                attribute,
                width,
                read,
            } => {
                let end = match parts.get(i + 1) {
                    Some(PreviousPart::Literal(next)) => rest.find(next)?,
                    _ => rest.len(),
                };
                let (text, after) = rest.split_at(end);
                if text.is_empty() {
                    return None;
                }
                let value = read(text, width)?;
                out.push((attribute, value));
                rest = after;
            }
        }
    }
    rest.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::keys::KeyComponent;

    const SEAT: [PreviousPart; 4] = [
        PreviousPart::Literal("EVENT#"),
        PreviousPart::Component {
            attribute: "event_id",
            width: 0,
            read: <String as KeyComponent>::read_component,
        },
        PreviousPart::Literal("#ROW#"),
        PreviousPart::Component {
            attribute: "row",
            width: 4,
            read: <u32 as KeyComponent>::read_component,
        },
    ];

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.into())
    }

    #[test]
    fn previous_keys_read_back_into_their_components() {
        let mut item = Item::from([("pk".to_owned(), s("EVENT#e-1#ROW#0042"))]);
        read_previous_key(
            &mut item,
            "Seat",
            "pk",
            "EVENT#{event_id}#ROW#{row:4}",
            &SEAT,
        )
        .expect("reads");
        assert_eq!(item["event_id"], s("e-1"));
        assert_eq!(item["row"], AttributeValue::N("42".into()));
        // An item with its components keeps them.
        let mut item = Item::from([
            ("pk".to_owned(), s("EVENT#other#ROW#7")),
            ("event_id".to_owned(), s("e-2")),
            ("row".to_owned(), AttributeValue::N("7".into())),
        ]);
        read_previous_key(&mut item, "Seat", "pk", "EVENT#{event_id}#ROW#{row}", &SEAT)
            .expect("reads");
        assert_eq!(item["event_id"], s("e-2"));
        // A shard is skipped by its width; a key of another shape is an error naming it.
        let sharded = [
            PreviousPart::Shard { width: 3 },
            PreviousPart::Literal("#"),
            PreviousPart::Component {
                attribute: "event_id",
                width: 0,
                read: <String as KeyComponent>::read_component,
            },
        ];
        assert_eq!(
            components_of("042#e-1", &sharded),
            Some(vec![("event_id", s("e-1"))])
        );
        assert_eq!(components_of("42#e-1", &sharded), None);
        assert_eq!(components_of("EVENT#e-1#ROW#x", &SEAT), None);
        assert_eq!(components_of("EVENT##ROW#1", &SEAT), None);
        let mut item = Item::from([("pk".to_owned(), s("SEAT#1"))]);
        let error = read_previous_key(&mut item, "Seat", "pk", "EVENT#{event_id}#ROW#{row}", &SEAT)
            .expect_err("another shape");
        assert_eq!(
            error.to_string(),
            "cannot read Seat.(previous key) from attribute \"pk\": expected a key of the previous template \"EVENT#{event_id}#ROW#{row}\", found \"SEAT#1\""
        );
        // A signed integer without a width is written offset (so negatives sort first), and
        // read back as the number it stands for.
        let mut text = String::new();
        (-7_i32).write_component(&mut text, 0).expect("writes");
        assert_eq!(
            <i32 as KeyComponent>::read_component(&text, 0),
            Some(AttributeValue::N("-7".into()))
        );
        assert_eq!(<u8 as KeyComponent>::read_component("256", 0), None);
        assert_eq!(
            <crate::keys::Shard<16> as KeyComponent>::read_component("16", 0),
            None
        );
    }
}
