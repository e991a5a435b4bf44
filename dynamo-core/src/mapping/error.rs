//! Errors of the mapping layer.

use aws_sdk_dynamodb::types::AttributeValue;
use std::borrow::Cow;
use std::fmt;

/// A value could not be converted to or from an [`AttributeValue`].
///
/// Carries what was expected, what was found (the attribute's type, and for numbers and enum
/// values the value itself) and, for nested values, the path inside the attribute
/// (`[2].city`). [`MappingError`] adds the entity, field and attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    // Boxed: errors are rare, and a small error keeps the `Result`s of the hot path small.
    inner: Box<Inner>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    expected: Cow<'static, str>,
    found: Cow<'static, str>,
    path: String,
}

impl ValueError {
    /// A value that is not what was expected.
    ///
    /// ```
    /// use dynamo_core::mapping::ValueError;
    /// let err = ValueError::new("a finite number", "NaN");
    /// assert_eq!(err.to_string(), "expected a finite number, found NaN");
    /// ```
    pub fn new(
        expected: impl Into<Cow<'static, str>>,
        found: impl Into<Cow<'static, str>>,
    ) -> Self {
        ValueError {
            inner: Box::new(Inner {
                expected: expected.into(),
                found: found.into(),
                path: String::new(),
            }),
        }
    }

    /// An attribute value of the wrong type: `expected` names the DynamoDB type (`"S"`, `"N"`,
    /// `"M"`, ...) and the found type is read off `found`.
    pub fn type_mismatch(expected: impl Into<Cow<'static, str>>, found: &AttributeValue) -> Self {
        Self::new(expected, describe(found))
    }

    /// Prefixes the path with a list index: the error happened in element `index`.
    #[must_use]
    pub fn at_index(mut self, index: usize) -> Self {
        self.inner.path.insert_str(0, &format!("[{index}]"));
        self
    }

    /// Prefixes the path with a map key: the error happened under `key`.
    #[must_use]
    pub fn at_key(mut self, key: &str) -> Self {
        self.inner.path.insert_str(0, &format!(".{key}"));
        self
    }

    /// What was expected.
    pub fn expected(&self) -> &str {
        &self.inner.expected
    }

    /// What was found instead.
    pub fn found(&self) -> &str {
        &self.inner.found
    }

    /// Where inside the attribute, e.g. `[2].city`; empty for the attribute itself.
    pub fn path(&self) -> &str {
        &self.inner.path
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        if !inner.path.is_empty() {
            write!(f, "at {}: ", inner.path)?;
        }
        write!(f, "expected {}, found {}", inner.expected, inner.found)
    }
}

impl std::error::Error for ValueError {}

/// Whether a [`MappingError`] happened reading an item or writing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `from_item`: item to entity.
    Read,
    /// `into_item`: entity to item.
    Write,
}

/// An entity could not be mapped to or from an item.
///
/// ```
/// use dynamo_core::{DynamoEntity, Entity, Item, AttributeValue};
///
/// #[derive(DynamoEntity, Debug)]
/// #[dynamo(table_name = "counters")]
/// struct Counter {
///     #[pk]
///     id: String,
///     hits: u8,
/// }
///
/// let mut item = Item::new();
/// item.insert("id".into(), AttributeValue::S("home".into()));
/// item.insert("hits".into(), AttributeValue::N("300".into()));
/// let err = Counter::from_item(item).unwrap_err();
/// assert_eq!(err.field, "hits");
/// assert_eq!(
///     err.to_string(),
///     "cannot read Counter.hits from attribute \"hits\": expected N in the range of u8, found N 300 (item id = \"home\")"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {verb} {entity}.{field} {preposition} attribute \"{attribute}\": {source}{item}",
    verb = match .direction { Direction::Read => "read", Direction::Write => "write" },
    preposition = match .direction { Direction::Read => "from", Direction::Write => "to" },
    item = .key.as_deref().map(|k| format!(" (item {k})")).unwrap_or_default())]
pub struct MappingError {
    /// The entity (or value type) being mapped.
    pub entity: &'static str,
    /// The Rust field.
    pub field: &'static str,
    /// The DynamoDB attribute the field maps to.
    pub attribute: &'static str,
    /// Reading or writing.
    pub direction: Direction,
    /// What was expected and found.
    #[source]
    pub source: ValueError,
    /// The key of the item that did not map, as `pk = "EVENT#e1", sk = "SEAT#A-1"`, when it
    /// could be read.
    pub key: Option<String>,
}

impl MappingError {
    /// The same error naming the item by its key attributes.
    #[must_use]
    pub fn with_key(mut self, key: crate::mapping::item::Item) -> Self {
        if !key.is_empty() {
            self.key = Some(show_key(&key));
        }
        self
    }

    /// What was expected, e.g. `N in the range of u8`.
    pub fn expected(&self) -> &str {
        self.source.expected()
    }

    /// What was found, e.g. `S`.
    pub fn found(&self) -> &str {
        self.source.found()
    }
}

/// A short description of an attribute value for error messages: its type, and for numbers
/// the number. Strings and binaries are not shown (they may hold personal data).
pub(crate) fn describe(value: &AttributeValue) -> Cow<'static, str> {
    match value {
        AttributeValue::S(_) => "S".into(),
        AttributeValue::N(n) => format!("N {}", truncate(n)).into(),
        AttributeValue::B(_) => "B".into(),
        AttributeValue::Bool(b) => format!("BOOL {b}").into(),
        AttributeValue::Null(_) => "NULL".into(),
        AttributeValue::L(l) => format!("L of {} elements", l.len()).into(),
        AttributeValue::M(_) => "M".into(),
        AttributeValue::Ss(_) => "SS".into(),
        AttributeValue::Ns(_) => "NS".into(),
        AttributeValue::Bs(_) => "BS".into(),
        _ => "an attribute type this version does not know".into(),
    }
}

/// An item's key attributes for a message: `pk = "EVENT#e1", sk = "SEAT#A-1"`.
pub(crate) fn show_key(key: &crate::mapping::item::Item) -> String {
    let mut names: Vec<&String> = key.keys().collect();
    names.sort();
    names
        .iter()
        .map(|name| {
            let value = match &key[*name] {
                AttributeValue::S(s) => format!("\"{}\"", truncate(s)),
                AttributeValue::N(n) => n.clone(),
                other => describe(other).into_owned(),
            };
            format!("{name} = {value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table key attributes of `item`, for [`MappingError::with_key`].
pub(crate) fn key_of(
    table: &crate::def::TableDef,
    item: &crate::mapping::item::Item,
) -> crate::mapping::item::Item {
    std::iter::once(table.partition_key.name)
        .chain(table.sort_key.map(|k| k.name))
        .filter_map(|name| item.get(name).map(|v| (name.to_owned(), v.clone())))
        .collect()
}

pub(crate) fn truncate(s: &str) -> Cow<'_, str> {
    const MAX: usize = 40;
    if s.len() <= MAX {
        Cow::Borrowed(s)
    } else {
        let end = (0..=MAX)
            .rev()
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(0);
        Cow::Owned(format!("{}...", &s[..end]))
    }
}
