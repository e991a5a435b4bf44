//! Support for the code `#[derive(DynamoEntity)]` and `#[derive(DynamoValue)]` generate.
//! Not a public API: names and signatures change without notice.

pub use crate::entity::{
    Attr, Entity, EntityKey, EntitySchema, FieldAttribute, IndexKeyField, Item, KeyField, KeyRole,
};
pub use crate::error::{Direction, MappingError, ValueError};
pub use crate::key::{IndexKeyScalar, KeyScalar, ScalarType};
pub use crate::managed::{TtlValue, VersionValue};
pub use crate::set::{SetCollection, SetElement};
pub use crate::table::{IndexDef, KeyDef, TableDef};
pub use crate::value::DynamoValue;
pub use aws_sdk_dynamodb::types::AttributeValue;
pub use core::clone::Clone;
pub use core::default::Default;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};

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

    /// Takes the field's attribute out of `item` and converts it.
    #[inline(always)]
    pub fn decode(&self, item: &mut Item) -> Result<T, MappingError> {
        self.read(item.remove(self.attribute))
            .map_err(|e| self.error(Direction::Read, e))
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

/// `alloc::vec::Vec<alloc::string::String>` as `Vec<String>`, for messages.
pub(crate) fn short_type_name<T>() -> String {
    let name = std::any::type_name::<T>();
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(pos) = rest.find("::") {
        out.push_str(&rest[..pos]);
        let cut = out
            .rfind(|c: char| "<>,([&; ".contains(c))
            .map_or(0, |p| p + 1);
        out.truncate(cut);
        rest = &rest[pos + 2..];
    }
    out.push_str(rest);
    out
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
        into: crate::json::into_attribute::<T>,
        from: crate::json::from_attribute::<T>,
        missing: crate::json::from_missing::<T>,
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
        format!("S \"{}\"", crate::error::truncate(value)),
    )
}

/// Compile-time string equality.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A message built during constant evaluation, for `panic!("{}", msg.as_str())`: constant
/// panics format only one string, so the message is assembled here.
pub struct Msg {
    buf: [u8; Msg::CAPACITY],
    len: usize,
}

impl Msg {
    const CAPACITY: usize = 2048;

    const fn new() -> Self {
        Msg {
            buf: [0; Msg::CAPACITY],
            len: 0,
        }
    }

    const fn push(mut self, s: &str) -> Self {
        let bytes = s.as_bytes();
        let mut i = 0;
        // Stop at a character boundary if the buffer is full.
        while i < bytes.len() && self.len < Msg::CAPACITY - 4 {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        while i < bytes.len() && (bytes[i] & 0xC0) == 0x80 && self.len < Msg::CAPACITY {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    const fn quoted(self, s: &str) -> Self {
        self.push("\"").push(s).push("\"")
    }

    const fn ticked(self, s: &str) -> Self {
        self.push("`").push(s).push("`")
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        let (head, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(head) {
            Ok(s) => s,
            Err(_) => "dynamo: message was cut inside a character",
        }
    }
}

/// `table RESERVATIONS ("ticket-reservation-reservations")`.
const fn table_ref(msg: Msg, table: &TableDef, table_path: &str) -> Msg {
    msg.push("table ")
        .push(table_path)
        .push(" (")
        .quoted(table.name)
        .push(")")
}

const fn key_word(role: KeyRole) -> &'static str {
    match role {
        KeyRole::Partition => "partition key",
        KeyRole::Sort => "sort key",
    }
}

/// Compares an entity key with the table key it must equal.
const fn compare_key(
    entity: &str,
    role: KeyRole,
    key: &KeyField,
    expected: &KeyDef,
    table: &TableDef,
    table_path: &str,
    index: Option<&str>,
) -> Option<Msg> {
    let what = match index {
        Some(_) => match role {
            KeyRole::Partition => "index partition key",
            KeyRole::Sort => "index sort key",
        },
        None => key_word(role),
    };
    if !str_eq(key.attribute, expected.name) {
        let mut msg = Msg::new()
            .push("entity ")
            .ticked(entity)
            .push(" maps its ")
            .push(what)
            .push(" (field ")
            .ticked(key.field)
            .push(") to attribute ")
            .quoted(key.attribute)
            .push(", but ");
        if let Some(index) = index {
            msg = msg.push("index ").quoted(index).push(" of ");
        }
        msg = table_ref(msg, table, table_path)
            .push(" declares ")
            .push(key_word(role))
            .push(" ")
            .quoted(expected.name);
        return Some(
            msg.push("; add #[dynamo(rename = \"")
                .push(expected.name)
                .push("\")] to field ")
                .ticked(key.field),
        );
    }
    if !key.scalar.eq(expected.scalar) {
        let mut msg = Msg::new()
            .push("entity ")
            .ticked(entity)
            .push(" stores its ")
            .push(what)
            .push(" (field ")
            .ticked(key.field)
            .push(") as ")
            .push(key.scalar.as_str())
            .push(", but ");
        if let Some(index) = index {
            msg = msg.push("index ").quoted(index).push(" of ");
        }
        msg = table_ref(msg, table, table_path)
            .push(" declares ")
            .quoted(expected.name)
            .push(" as ")
            .push(expected.scalar.as_str());
        return Some(
            msg.push("; give field ")
                .ticked(key.field)
                .push(" ")
                .push(expected.scalar.rust_types()),
        );
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
        schema.name,
        KeyRole::Partition,
        &schema.partition_key,
        &table.partition_key,
        table,
        table_path,
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
    match &table.sort_key {
        Some(expected) => compare_key(
            schema.name,
            KeyRole::Sort,
            key,
            expected,
            table,
            table_path,
            None,
        ),
        None => {
            let msg = Msg::new()
                .push("entity ")
                .ticked(schema.name)
                .push(" declares a sort key (field ")
                .ticked(key.field)
                .push("), but ");
            Some(
                table_ref(msg, table, table_path)
                    .push(" has none; remove #[sk] from field ")
                    .ticked(key.field)
                    .push(" (it stays a plain attribute) or declare the sort key on the table"),
            )
        }
    }
}

/// For an entity without a `#[sk]` field: the table must have no sort key either.
pub const fn check_no_sort_key(
    schema: &EntitySchema,
    table: &TableDef,
    table_path: &str,
) -> Option<Msg> {
    match (&schema.sort_key, &table.sort_key) {
        (None, Some(expected)) => {
            let msg = table_ref(Msg::new(), table, table_path)
                .push(" has sort key ")
                .quoted(expected.name)
                .push(", but entity ")
                .ticked(schema.name);
            Some(msg.push(" declares none; every item needs it: mark the field that holds it with #[sk], and with #[dynamo(rename = \"").push(expected.name).push("\")] when the field has another name"))
        }
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
    let Some(def) = table.index(field.index) else {
        let mut msg = Msg::new()
            .push("field ")
            .ticked(field.key.field)
            .push(" is a key of index ")
            .quoted(field.index)
            .push(", but ");
        msg = table_ref(msg, table, table_path);
        if table.indexes.is_empty() {
            return Some(msg.push(" declares no indexes"));
        }
        msg = msg.push(" declares no index of that name (it declares ");
        let mut i = 0;
        while i < table.indexes.len() {
            if i > 0 {
                msg = msg.push(", ");
            }
            msg = msg.quoted(table.indexes[i].name);
            i += 1;
        }
        return Some(msg.push(")"));
    };
    let expected = match field.role {
        KeyRole::Partition => Some(&def.partition_key),
        KeyRole::Sort => def.sort_key.as_ref(),
    };
    match expected {
        Some(expected) => compare_key(
            schema.name,
            field.role,
            &field.key,
            expected,
            table,
            table_path,
            Some(field.index),
        ),
        None => {
            let msg = Msg::new()
                .push("field ")
                .ticked(field.key.field)
                .push(" is the sort key of index ")
                .quoted(field.index)
                .push(", but that index of ");
            Some(
                table_ref(msg, table, table_path)
                    .push(" has no sort key; use #[gsi(")
                    .push(field.index)
                    .push(", pk)] or remove the attribute"),
            )
        }
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
    match table.ttl_attribute {
        Some(expected) if str_eq(expected, attribute) => None,
        Some(expected) => {
            let msg = Msg::new()
                .push("field ")
                .ticked(field)
                .push(" is #[ttl] on attribute ")
                .quoted(attribute)
                .push(", but ");
            Some(
                table_ref(msg, table, table_path)
                    .push(" expires items by ")
                    .quoted(expected)
                    .push("; add #[dynamo(rename = \"")
                    .push(expected)
                    .push("\")] to field ")
                    .ticked(field),
            )
        }
        None => {
            let msg = Msg::new()
                .push("field ")
                .ticked(field)
                .push(" is #[ttl], but ");
            Some(
                table_ref(msg, table, table_path)
                    .push(" has no TTL attribute; declare it with .with_ttl_attribute(\"")
                    .push(attribute)
                    .push("\") or remove #[ttl]"),
            )
        }
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
        Some(expected) if str_eq(expected, attribute) => {
            let msg = Msg::new()
                .push("entity ")
                .ticked(schema.name)
                .push(" stores field ")
                .ticked(field)
                .push(" on attribute ")
                .quoted(attribute)
                .push(", the TTL attribute of ");
            Some(
                table_ref(msg, table, table_path)
                    .push("; mark it #[ttl] so it is stored as epoch seconds"),
            )
        }
        _ => None,
    }
}
