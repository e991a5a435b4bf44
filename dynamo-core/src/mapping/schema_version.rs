//! Schema versions: `#[dynamo(schema_version = 3, upgrade(from = 2, via = UserV2, with = f))]`.
//!
//! An entity with a schema version writes it to every item, in the attribute
//! [`SCHEMA_VERSION_ATTRIBUTE`]; an item without the attribute is version 1 (written before the
//! entity had a version). A read dispatches on it: the current version is read as the entity,
//! an older one as the frozen struct its `upgrade(..)` names (a [`VersionOf`] of the entity), then
//! upgraded in memory by its function; any other version is a [`MappingError`] that says which
//! versions the entity reads. See `docs/migrations.md`.

use crate::def::TableDef;
use crate::mapping::entity::{Entity, EntitySchema};
use crate::mapping::error::{Direction, MappingError, ValueError};
use crate::mapping::item::Item;
use aws_sdk_dynamodb::types::AttributeValue;

/// The attribute a versioned entity's items hold their schema version in (a number).
pub const SCHEMA_VERSION_ATTRIBUTE: &str = "_v";

/// A frozen earlier version of `E` (`#[dynamo(version_of = E, schema_version = N)]`): it reads
/// the items `E` wrote at version `N`, for `E`'s `upgrade(from = N, via = Self, ..)`. The derive
/// implements it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a frozen version of `{E}`",
    label = "named in upgrade(via = ..) of `{E}`",
    note = "declare it #[derive(DynamoEntity)] #[dynamo(table = .., version_of = {E}, schema_version = N, ..)] with the fields and key templates `{E}` had at version N"
)]
pub trait VersionOf<E: Entity>: Entity {}

/// What an upgrade function returns: the entity, or `Result<E, MappingError>` for an upgrade
/// that can fail.
#[diagnostic::on_unimplemented(
    message = "an upgrade function returns `{E}` or `Result<{E}, MappingError>`, not `{Self}`",
    label = "returns `{Self}`"
)]
pub trait Upgraded<E> {
    /// The upgraded entity.
    fn upgraded(self) -> Result<E, MappingError>;
}

impl<E: Entity> Upgraded<E> for E {
    #[inline]
    fn upgraded(self) -> Result<E, MappingError> {
        Ok(self)
    }
}

impl<E: Entity> Upgraded<E> for Result<E, MappingError> {
    #[inline]
    fn upgraded(self) -> Result<E, MappingError> {
        self
    }
}

/// Compiles only when `V` is a frozen version of `E`: the check of `upgrade(via = V)`.
#[doc(hidden)]
pub const fn assert_version_of<E: Entity, V: VersionOf<E>>() {}

/// Reads `item` (of an older version) as `V`, the frozen struct of that version, and upgrades
/// it with `with`: the `upgrade(from = .., via = V, with = ..)` arm of `E`'s `from_item`.
#[doc(hidden)]
pub fn upgrade<E: Entity, V: Entity, R: Upgraded<E>>(
    item: Item,
    with: fn(V) -> R,
) -> Result<E, MappingError> {
    let key = crate::mapping::error::key_of(&E::TABLE, &item);
    let old = V::from_item(item)?;
    with(old).upgraded().map_err(|e| e.with_key(key))
}

/// The schema version `item` was written with: its [`SCHEMA_VERSION_ATTRIBUTE`], or 1 without
/// one.
pub fn stored_schema_version(item: &Item) -> Result<u32, ValueError> {
    match item.get(SCHEMA_VERSION_ATTRIBUTE) {
        None => Ok(1),
        Some(AttributeValue::N(n)) => n
            .parse::<u32>()
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| ValueError::new("a schema version (1 or more)", format!("N {n}"))),
        Some(other) => Err(ValueError::type_mismatch("N (a schema version)", other)),
    }
}

/// The schema version attribute's value for a write of version `version`.
#[doc(hidden)]
#[inline]
pub fn schema_version_value(version: u32) -> AttributeValue {
    AttributeValue::N(version.to_string())
}

/// The stored version of `item`, for `schema`'s `from_item`: the error names the item by its key.
#[doc(hidden)]
pub fn read_schema_version(
    item: &Item,
    table: &TableDef,
    schema: &EntitySchema,
) -> Result<u32, MappingError> {
    stored_schema_version(item).map_err(|source| version_error(item, table, schema, source))
}

/// The error for an item of a version `schema` does not read.
#[doc(hidden)]
#[cold]
pub fn unknown_schema_version(
    item: &Item,
    found: u32,
    table: &TableDef,
    schema: &EntitySchema,
) -> MappingError {
    let current = schema.schema_version.unwrap_or(1);
    let mut expected = format!("schema version {current}");
    if !schema.upgrades_from.is_empty() {
        let from: Vec<String> = schema.upgrades_from.iter().map(u32::to_string).collect();
        expected.push_str(&format!(" (or {}, upgraded)", from.join(", ")));
    }
    let found = if let Some(entity) = schema.version_of {
        format!(
            "{found}: {} reads {entity}'s items of version {current} only; read the item as {entity}",
            schema.name
        )
    } else if found > current {
        format!(
            "{found}, written by a newer release of {}: finish deploying it (an older release cannot read its items)",
            schema.name
        )
    } else {
        format!(
            "{found}, which {} no longer upgrades: add upgrade(from = {found}, via = .., with = ..), or backfill the table while it still does",
            schema.name
        )
    };
    version_error(item, table, schema, ValueError::new(expected, found))
}

fn version_error(
    item: &Item,
    table: &TableDef,
    schema: &EntitySchema,
    source: ValueError,
) -> MappingError {
    MappingError {
        entity: schema.name,
        field: "(schema version)",
        attribute: SCHEMA_VERSION_ATTRIBUTE,
        direction: Direction::Read,
        source,
        key: None,
    }
    .with_key(crate::mapping::error::key_of(table, item))
}

/// The schema version attribute and value `E` writes, when it has a schema version.
#[inline]
pub(crate) fn stamp<E: Entity>() -> Option<(&'static str, AttributeValue)> {
    E::SCHEMA
        .schema_version
        .map(|v| (SCHEMA_VERSION_ATTRIBUTE, schema_version_value(v)))
}

/// The condition that a stored item is of the version `E` writes (version 1: or has no version).
pub(crate) fn is_current<E: Entity>() -> crate::expr::Condition {
    let path = || crate::expr::Path::new(SCHEMA_VERSION_ATTRIBUTE);
    let current = E::SCHEMA.schema_version.unwrap_or(1);
    let condition = path().eq(current);
    if current == 1 {
        condition.or(path().not_exists())
    } else {
        condition
    }
}

/// Whether `item` is of an older version than `E` writes (its backfill rewrites it).
pub(crate) fn is_older<E: Entity>(item: &Item) -> bool {
    match (E::SCHEMA.schema_version, stored_schema_version(item)) {
        (Some(current), Ok(stored)) => stored < current,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(v: Option<AttributeValue>) -> Item {
        let mut item = Item::new();
        if let Some(v) = v {
            item.insert(SCHEMA_VERSION_ATTRIBUTE.to_owned(), v);
        }
        item
    }

    #[test]
    fn an_item_without_a_version_is_version_one() {
        assert_eq!(stored_schema_version(&item(None)), Ok(1));
        assert_eq!(
            stored_schema_version(&item(Some(AttributeValue::N("3".into())))),
            Ok(3)
        );
    }

    #[test]
    fn a_version_that_is_not_a_positive_number_is_refused() {
        for bad in [
            AttributeValue::N("0".into()),
            AttributeValue::N("2.5".into()),
            AttributeValue::S("3".into()),
        ] {
            let err = stored_schema_version(&item(Some(bad.clone()))).unwrap_err();
            assert!(err.expected().contains("schema version"), "{bad:?}: {err}");
        }
    }
}
