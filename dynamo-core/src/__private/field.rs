//! How one field is stored: the `const` codec the derive emits per field, and the helpers the
//! generated conversions call.

use crate::def::{ScalarType, TableDef};
use crate::keys::scalar::KeyScalar;
use crate::mapping::error::{Direction, MappingError, ValueError};
use crate::mapping::item::Item;
use crate::mapping::managed::{TtlValue, VersionValue};
use crate::mapping::set::SetCollection;
use crate::mapping::value::{DynamoValue, short_type_name};
use aws_sdk_dynamodb::types::AttributeValue;

type IntoFn<T> = fn(T) -> Result<Option<AttributeValue>, ValueError>;
type FromFn<T> = fn(AttributeValue) -> Result<T, ValueError>;

/// How one field is stored: its attribute and conversion functions. The derive emits one
/// `const` per field, so a type that lacks a conversion is reported once, at the field.
pub struct Field<T> {
    entity: &'static str,
    field: &'static str,
    attribute: &'static str,
    into: IntoFn<T>,
    from: FromFn<T>,
    missing: fn() -> Option<T>,
    key: Option<ScalarType>,
}

fn no_default<T>() -> Option<T> {
    None
}

impl<T> Field<T> {
    /// A field converted by a `#[dynamo(with = module)]` module.
    pub const fn custom(
        entity: &'static str,
        field: &'static str,
        attribute: &'static str,
        into: IntoFn<T>,
        from: FromFn<T>,
    ) -> Self {
        Field {
            entity,
            field,
            attribute,
            into,
            from,
            missing: no_default::<T>,
            key: None,
        }
    }

    /// The value of an absent attribute (`#[dynamo(default)]`).
    pub const fn with_missing(self, missing: fn() -> Option<T>) -> Self {
        Field { missing, ..self }
    }

    /// The scalar type of a key field (`S` for other fields, which have none).
    pub const fn scalar(&self) -> ScalarType {
        match self.key {
            Some(scalar) => scalar,
            None => ScalarType::S,
        }
    }

    /// The attribute name.
    pub const fn attribute(&self) -> &'static str {
        self.attribute
    }

    #[cold]
    fn error(&self, direction: Direction, source: ValueError) -> MappingError {
        MappingError {
            entity: self.entity,
            field: self.field,
            attribute: self.attribute,
            direction,
            source,
            key: None,
        }
    }

    #[inline(always)]
    fn convert(&self, value: T) -> Result<Option<AttributeValue>, ValueError> {
        let value = (self.into)(value)?;
        if self.key.is_some() {
            return check_key_value(value).map(Some);
        }
        Ok(value)
    }

    #[inline(always)]
    fn read(&self, value: Option<AttributeValue>) -> Result<T, ValueError> {
        match value {
            Some(value) if !matches!(value, AttributeValue::Null(_)) => (self.from)(value),
            other => (self.missing)().ok_or_else(|| missing_error::<T>(other.is_some())),
        }
    }

    /// Stores `value` in `item` (nothing for "no attribute").
    #[inline(always)]
    pub fn encode(&self, item: &mut Item, value: T) -> Result<(), MappingError> {
        match self.convert(value) {
            Ok(Some(value)) => {
                item.insert(self.attribute.to_owned(), value);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(self.error(Direction::Write, e)),
        }
    }

    /// The value as its attribute: `None` for "no attribute" (an update removes it).
    #[inline]
    pub fn to_attribute(&self, value: T) -> Result<Option<AttributeValue>, MappingError> {
        self.convert(value)
            .map_err(|e| self.error(Direction::Write, e))
    }

    /// The value as a key attribute (a partition or sort key of a query).
    #[inline]
    pub fn key_value(&self, value: T) -> Result<AttributeValue, MappingError> {
        match self.convert(value) {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(self.error(
                Direction::Write,
                ValueError::new("a key value", "no attribute"),
            )),
            Err(e) => Err(self.error(Direction::Write, e)),
        }
    }

    /// Converts the field's attribute, taken out of its item by [`take_attributes`].
    #[inline(always)]
    pub fn decode(&self, value: Option<AttributeValue>) -> Result<T, MappingError> {
        self.read(value).map_err(|e| self.error(Direction::Read, e))
    }

    /// [`Field::encode`] inside a map value: errors carry the path.
    #[inline(always)]
    pub fn encode_nested(&self, map: &mut Item, value: T) -> Result<(), ValueError> {
        match self.convert(value) {
            Ok(Some(value)) => {
                map.insert(self.attribute.to_owned(), value);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e.at_key(self.attribute)),
        }
    }

    /// [`Field::decode`] inside a map value: errors carry the path.
    #[inline(always)]
    pub fn decode_nested(&self, map: &mut Item) -> Result<T, ValueError> {
        self.read(map.remove(self.attribute))
            .map_err(|e| e.at_key(self.attribute))
    }
}

#[cold]
fn missing_error<T>(null: bool) -> ValueError {
    let found = if null { "NULL" } else { "no attribute" };
    ValueError::new(
        format!(
            "a value of type {} (the attribute is required)",
            short_type_name::<T>()
        ),
        found,
    )
}

/// Key attributes must be present and, for strings and binaries, non-empty.
#[inline]
fn check_key_value(value: Option<AttributeValue>) -> Result<AttributeValue, ValueError> {
    match value {
        Some(AttributeValue::S(s)) if s.is_empty() => Err(ValueError::new(
            "a non-empty string (DynamoDB rejects empty key attributes)",
            "an empty string",
        )),
        Some(AttributeValue::B(b)) if b.as_ref().is_empty() => Err(ValueError::new(
            "non-empty binary (DynamoDB rejects empty key attributes)",
            "empty binary",
        )),
        Some(value) => Ok(value),
        None => Err(ValueError::new("a key value", "no attribute")),
    }
}

/// A field stored through its `DynamoValue` impl.
pub const fn value_field<T: DynamoValue>(
    entity: &'static str,
    field: &'static str,
    attribute: &'static str,
) -> Field<T> {
    Field {
        entity,
        field,
        attribute,
        into: T::into_attribute,
        from: T::from_attribute,
        missing: T::from_missing,
        key: None,
    }
}

/// A `#[dynamo(created_at)]` or `#[dynamo(updated_at)]` field: a timestamp, stored as one.
pub const fn timestamp_field<T: crate::mapping::ManagedTimestamp>(
    entity: &'static str,
    field: &'static str,
    attribute: &'static str,
) -> Field<T> {
    value_field::<T>(entity, field, attribute)
}

/// A key field: always present, never an empty string or binary.
pub const fn key_field<T: KeyScalar>(
    entity: &'static str,
    field: &'static str,
    attribute: &'static str,
) -> Field<T> {
    Field {
        entity,
        field,
        attribute,
        into: T::into_attribute,
        from: T::from_attribute,
        missing: no_default::<T>,
        key: Some(T::SCALAR),
    }
}

/// A `#[dynamo(set)]` field.
pub const fn set_field<T: SetCollection>(
    entity: &'static str,
    field: &'static str,
    attribute: &'static str,
) -> Field<T> {
    Field {
        entity,
        field,
        attribute,
        into: T::into_set_attribute,
        from: T::from_set_attribute,
        missing: missing_set::<T>,
        key: None,
    }
}

fn missing_set<T: SetCollection>() -> Option<T> {
    Some(T::from_missing_set())
}

/// A `#[ttl]` field, stored as epoch seconds.
pub const fn ttl_field<T: TtlValue>(
    entity: &'static str,
    field: &'static str,
    attribute: &'static str,
) -> Field<T> {
    Field {
        entity,
        field,
        attribute,
        into: T::into_ttl_attribute,
        from: T::from_ttl_attribute,
        missing: T::from_missing_ttl,
        key: None,
    }
}

/// A `#[dynamo(json)]` field, stored as a JSON string.
#[cfg(feature = "json")]
pub const fn json_field<T: serde::Serialize + serde::de::DeserializeOwned>(
    entity: &'static str,
    field: &'static str,
    attribute: &'static str,
) -> Field<T> {
    Field {
        entity,
        field,
        attribute,
        into: crate::mapping::json::into_attribute::<T>,
        from: crate::mapping::json::from_attribute::<T>,
        missing: crate::mapping::json::from_missing::<T>,
        key: None,
    }
}

/// The `#[version]` field's conversions: one `const` per entity, so a non-integer version is
/// reported once.
pub struct Version<T> {
    to: fn(T) -> u64,
    from: fn(u64) -> Option<T>,
}

/// The conversions of a `#[version]` field of type `T`.
pub const fn version<T: VersionValue>() -> Version<T> {
    Version {
        to: T::to_version,
        from: T::from_version,
    }
}

impl<T> Version<T> {
    /// The version as `u64`.
    #[inline]
    pub fn get(&self, value: T) -> u64 {
        (self.to)(value)
    }

    /// Writes a new version into `slot`.
    pub fn set(&self, slot: &mut T, version: u64, field: &Field<T>) -> Result<(), MappingError> {
        match (self.from)(version) {
            Some(v) => {
                *slot = v;
                Ok(())
            }
            None => Err(field.error(
                Direction::Write,
                ValueError::new(
                    format!("a version that fits {}", short_type_name::<T>()),
                    version.to_string(),
                ),
            )),
        }
    }
}

/// The attributes a generated `from_item` takes besides its fields: the table's partition and
/// sort key and its entity attribute (`""`, which no attribute is named, when it has none).
pub const fn table_attributes(table: &TableDef) -> [&'static str; 3] {
    [
        table.partition_key.name,
        match table.sort_key {
            Some(sort_key) => sort_key.name,
            None => "",
        },
        match table.entity_attribute {
            Some(attribute) => attribute,
            None => "",
        },
    ]
}

/// Moves the attributes named in `names` out of `item` into one slot each, in one pass over
/// the item and without hashing a name: what a generated `from_item` reads its fields from. An
/// attribute goes to the first slot of its name; attributes no slot names are dropped.
#[inline]
pub fn take_attributes<const N: usize>(
    item: Item,
    names: &[&'static str; N],
) -> [Option<AttributeValue>; N] {
    let mut slots = [const { None }; N];
    for (name, value) in item {
        if let Some(i) = names.iter().position(|n| *n == name) {
            slots[i] = Some(value);
        }
    }
    slots
}

/// The table's key attributes still in `slots` (those of fields already read are not), for an
/// error to name the item by.
#[cold]
pub fn key_in_slots(
    table: &TableDef,
    names: &[&'static str],
    slots: &[Option<AttributeValue>],
) -> Item {
    std::iter::once(table.partition_key.name)
        .chain(table.sort_key.map(|k| k.name))
        .filter_map(|name| {
            let i = names.iter().position(|n| *n == name)?;
            Some((name.to_owned(), slots.get(i)?.clone()?))
        })
        .collect()
}

/// Builds an item of known size.
#[inline]
pub fn item_with_capacity(capacity: usize) -> Item {
    Item::with_capacity(capacity)
}

/// Takes a map out of an attribute value for a `DynamoValue` struct.
#[inline]
pub fn take_map(value: AttributeValue) -> Result<Item, ValueError> {
    match value {
        AttributeValue::M(map) => Ok(map),
        other => Err(ValueError::type_mismatch("M", &other)),
    }
}

/// Takes the string out of an attribute value for a unit enum.
#[inline]
pub fn take_string(value: AttributeValue) -> Result<String, ValueError> {
    match value {
        AttributeValue::S(s) => Ok(s),
        other => Err(ValueError::type_mismatch("S", &other)),
    }
}

/// An enum value that names no variant.
#[cold]
pub fn unknown_variant(value: &str, variants: &'static [&'static str]) -> ValueError {
    ValueError::new(
        format!(
            "one of {}",
            variants
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!("S \"{}\"", crate::mapping::error::truncate(value)),
    )
}

/// The guards of `unique(..)` are keyed by text: the table's keys must be strings.
pub const fn unique_guard_keys(table: &TableDef) {
    let sort_is_string = match table.sort_key {
        Some(k) => matches!(k.scalar, ScalarType::S),
        None => true,
    };
    if !matches!(table.partition_key.scalar, ScalarType::S) || !sort_is_string {
        panic!(
            "unique(..) needs string (S) table keys: each value is held by a guard item keyed `UNIQUE#<entity>#<constraint>#<value>` with sort key `UNIQUE`"
        );
    }
}
