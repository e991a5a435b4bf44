//! [`DynamoValue`]: conversion of Rust values to and from DynamoDB attribute values.

use crate::mapping::error::{ValueError, truncate};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::BuildHasher;

/// A Rust value stored as a DynamoDB attribute value.
///
/// Implemented for the standard types (see the crate docs for the table) and by
/// `#[derive(DynamoValue)]`. Conversions move owned values: strings and vectors are handed to the
/// attribute value without copying.
///
/// `into_attribute` returns `Ok(None)` for a value that is stored as *no attribute*: `None` and
/// empty sets (DynamoDB rejects empty sets). Inside lists and maps such values are stored as
/// `NULL`, which reads back as the same value.
///
/// ```
/// use dynamo_core::{AttributeValue, DynamoValue};
///
/// let av = 42u32.into_attribute().unwrap();
/// assert_eq!(av, Some(AttributeValue::N("42".into())));
/// assert_eq!(u32::from_attribute(AttributeValue::N("42".into())).unwrap(), 42);
/// assert!(u8::from_attribute(AttributeValue::N("300".into())).is_err());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a DynamoDB attribute",
    label = "`{Self}` does not implement DynamoValue",
    note = "derive it with #[derive(DynamoValue)], store it as JSON with #[dynamo(json)], or convert it with #[dynamo(with = module)]"
)]
pub trait DynamoValue: Sized {
    /// Converts the value; `Ok(None)` means "store no attribute".
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError>;

    /// Converts an attribute value back. `NULL` is passed here only for types that accept it
    /// (absent attributes and `NULL` both go to [`DynamoValue::from_missing`] at the top level).
    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError>;

    /// The value of an absent (or `NULL`) attribute: `None` means the attribute is required.
    /// `Option<T>` gives `Some(None)` and sets give an empty set.
    fn from_missing() -> Option<Self> {
        None
    }

    /// Converts a `Vec<Self>`. `Vec<u8>` is stored as binary (`B`); every other element type as a
    /// list (`L`). Not meant to be called directly.
    #[doc(hidden)]
    fn vec_into_attribute(values: Vec<Self>) -> Result<Option<AttributeValue>, ValueError> {
        list_into_attribute(values)
    }

    /// Reads a `Vec<Self>`; see [`DynamoValue::vec_into_attribute`].
    #[doc(hidden)]
    fn vec_from_attribute(value: AttributeValue) -> Result<Vec<Self>, ValueError> {
        list_from_attribute(value)
    }
}

/// A value that can be written into an expression or key condition: every [`DynamoValue`], and
/// borrowed strings (`"HOLD"`), which cannot be read back but are handy to write.
pub trait IntoAttributeValue {
    /// Converts the value; `Ok(None)` means "no attribute".
    fn into_attribute_value(self) -> Result<Option<AttributeValue>, ValueError>;
}

impl<T: DynamoValue> IntoAttributeValue for T {
    fn into_attribute_value(self) -> Result<Option<AttributeValue>, ValueError> {
        self.into_attribute()
    }
}

impl IntoAttributeValue for &str {
    fn into_attribute_value(self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self.to_owned())))
    }
}

/// A value for an attribute of type `T`, wherever a typed attribute takes one (`set`, `add`,
/// conditions, key constructors): `T` itself, a bare value for an `Option<T>` attribute, and
/// `&str` / `&String` for string attributes.
///
/// Each target type has one implementation an integer literal can match, so literals take the
/// attribute's type: with `views: u64`, `add(f.views, 1)` and `f.views.lt(100)` compile, as
/// `impl Into<u64>` would not (`1` would be an `i32`).
///
/// ```
/// use dynamo_core::mapping::ValueOf;
/// fn views(v: impl ValueOf<u64>) -> u64 { v.into_value() }
/// fn expiry(v: impl ValueOf<Option<i64>>) -> Option<i64> { v.into_value() }
/// fn name(v: impl ValueOf<String>) -> String { v.into_value() }
/// assert_eq!(views(1), 1);
/// assert_eq!(expiry(1_760_000_000), Some(1_760_000_000));
/// assert_eq!(expiry(None), None);
/// assert_eq!(name("HOLD"), "HOLD");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value of an attribute of type `{T}`",
    label = "expected a `{T}` here",
    note = "an attribute of type `T` takes a `T`, an `Option<T>` attribute also a bare `T`, and a string attribute a `&str`"
)]
pub trait ValueOf<T> {
    /// The value.
    fn into_value(self) -> T;
}

impl<T: DynamoValue> ValueOf<T> for T {
    #[inline]
    fn into_value(self) -> T {
        self
    }
}

impl<T: DynamoValue> ValueOf<Option<T>> for T {
    #[inline]
    fn into_value(self) -> Option<T> {
        Some(self)
    }
}

impl ValueOf<String> for &str {
    #[inline]
    fn into_value(self) -> String {
        self.to_owned()
    }
}

impl ValueOf<String> for &String {
    #[inline]
    fn into_value(self) -> String {
        self.clone()
    }
}

impl ValueOf<Option<String>> for &str {
    #[inline]
    fn into_value(self) -> Option<String> {
        Some(self.to_owned())
    }
}

impl ValueOf<Option<String>> for &String {
    #[inline]
    fn into_value(self) -> Option<String> {
        Some(self.clone())
    }
}

/// Converts a value that sits inside a list or map: "no attribute" becomes `NULL`.
#[inline]
pub(crate) fn element_into_attribute<T: DynamoValue>(
    value: T,
) -> Result<AttributeValue, ValueError> {
    Ok(value
        .into_attribute()?
        .unwrap_or(AttributeValue::Null(true)))
}

/// Reads a value that sits inside a list or map: `NULL` goes to `from_missing` first.
#[inline]
pub(crate) fn element_from_attribute<T: DynamoValue>(
    value: AttributeValue,
) -> Result<T, ValueError> {
    if let AttributeValue::Null(_) = value
        && let Some(missing) = T::from_missing()
    {
        return Ok(missing);
    }
    T::from_attribute(value)
}

fn list_into_attribute<T: DynamoValue>(
    values: impl IntoIterator<Item = T>,
) -> Result<Option<AttributeValue>, ValueError> {
    let values = values.into_iter();
    let mut list = Vec::with_capacity(values.size_hint().0);
    for (i, value) in values.enumerate() {
        match element_into_attribute(value) {
            Ok(value) => list.push(value),
            Err(e) => return Err(e.at_index(i)),
        }
    }
    Ok(Some(AttributeValue::L(list)))
}

fn list_from_attribute<T: DynamoValue, C: FromIterator<T>>(
    value: AttributeValue,
) -> Result<C, ValueError> {
    match value {
        AttributeValue::L(list) => list
            .into_iter()
            .enumerate()
            .map(|(i, v)| element_from_attribute(v).map_err(|e| e.at_index(i)))
            .collect(),
        other => Err(ValueError::type_mismatch("L", &other)),
    }
}

impl DynamoValue for AttributeValue {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(self))
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        Ok(value)
    }
}

impl DynamoValue for String {
    #[inline]
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self)))
    }

    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::S(s) => Ok(s),
            other => Err(ValueError::type_mismatch("S", &other)),
        }
    }
}

impl DynamoValue for bool {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::Bool(self)))
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::Bool(b) => Ok(b),
            other => Err(ValueError::type_mismatch("BOOL", &other)),
        }
    }
}

/// Parses a DynamoDB number into an integer type, telling "not an integer" from "out of range".
fn parse_integer<T>(n: &str, type_name: &'static str) -> Result<T, ValueError>
where
    T: std::str::FromStr + TryFrom<i128>,
{
    if let Ok(v) = n.parse::<T>() {
        return Ok(v);
    }
    // Out-of-range integers, and integral numbers in another form ("5.0", "1E+2").
    #[allow(clippy::cast_possible_truncation)]
    let wide = n.parse::<i128>().ok().or_else(|| {
        n.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e38)
            .map(|f| f as i128)
    });
    let found = || format!("N {}", truncate(n));
    match wide {
        Some(wide) => T::try_from(wide)
            .map_err(|_| ValueError::new(format!("N in the range of {type_name}"), found())),
        None => Err(ValueError::new(
            format!("N holding an integer ({type_name})"),
            found(),
        )),
    }
}

macro_rules! integer {
    ($($ty:ty),*) => {$(
        impl DynamoValue for $ty {
            #[inline]
            fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
                Ok(Some(AttributeValue::N(itoa::Buffer::new().format(self).to_owned())))
            }

            #[inline]
            fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
                match value {
                    AttributeValue::N(n) => parse_integer(&n, stringify!($ty)),
                    other => Err(ValueError::type_mismatch("N", &other)),
                }
            }
        }
    )*};
}

integer!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

/// `u8` is a number, but `Vec<u8>` is binary (`B`), moved into the blob without copying.
impl DynamoValue for u8 {
    #[inline]
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::N(
            itoa::Buffer::new().format(self).to_owned(),
        )))
    }

    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::N(n) => parse_integer(&n, "u8"),
            other => Err(ValueError::type_mismatch("N", &other)),
        }
    }

    fn vec_into_attribute(values: Vec<Self>) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::B(Blob::new(values))))
    }

    fn vec_from_attribute(value: AttributeValue) -> Result<Vec<Self>, ValueError> {
        match value {
            AttributeValue::B(blob) => Ok(blob.into_inner()),
            other => Err(ValueError::type_mismatch("B", &other)),
        }
    }
}

macro_rules! float {
    ($($ty:ty),*) => {$(
        impl DynamoValue for $ty {
            fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
                if self.is_finite() {
                    Ok(Some(AttributeValue::N(self.to_string())))
                } else {
                    Err(ValueError::new("a finite number (DynamoDB stores no NaN or infinity)", self.to_string()))
                }
            }

            fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
                match value {
                    AttributeValue::N(n) => n
                        .parse::<$ty>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .ok_or_else(|| ValueError::new(concat!("N holding a finite ", stringify!($ty)), format!("N {}", truncate(&n)))),
                    other => Err(ValueError::type_mismatch("N", &other)),
                }
            }
        }
    )*};
}

float!(f32, f64);

impl<T: DynamoValue> DynamoValue for Option<T> {
    #[inline]
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        match self {
            Some(v) => v.into_attribute(),
            None => Ok(None),
        }
    }

    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::Null(_) => Ok(None),
            other => T::from_attribute(other).map(Some),
        }
    }

    #[inline]
    fn from_missing() -> Option<Self> {
        Some(None)
    }
}

impl<T: DynamoValue> DynamoValue for Box<T> {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        (*self).into_attribute()
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        T::from_attribute(value).map(Box::new)
    }

    fn from_missing() -> Option<Self> {
        T::from_missing().map(Box::new)
    }
}

impl<T: DynamoValue> DynamoValue for Vec<T> {
    #[inline]
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        T::vec_into_attribute(self)
    }

    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        T::vec_from_attribute(value)
    }
}

impl<T: DynamoValue> DynamoValue for VecDeque<T> {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        list_into_attribute(self)
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        list_from_attribute(value)
    }
}

fn map_into_attribute<T: DynamoValue>(
    entries: impl IntoIterator<Item = (String, T)>,
    len: usize,
) -> Result<Option<AttributeValue>, ValueError> {
    let mut map = HashMap::with_capacity(len);
    for (k, v) in entries {
        let v = element_into_attribute(v).map_err(|e| e.at_key(&k))?;
        map.insert(k, v);
    }
    Ok(Some(AttributeValue::M(map)))
}

fn map_from_attribute<T: DynamoValue, C: FromIterator<(String, T)>>(
    value: AttributeValue,
) -> Result<C, ValueError> {
    match value {
        AttributeValue::M(map) => map
            .into_iter()
            .map(|(k, v)| match element_from_attribute(v) {
                Ok(v) => Ok((k, v)),
                Err(e) => Err(e.at_key(&k)),
            })
            .collect(),
        other => Err(ValueError::type_mismatch("M", &other)),
    }
}

impl<T: DynamoValue, S: BuildHasher + Default> DynamoValue for HashMap<String, T, S> {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        let len = self.len();
        map_into_attribute(self, len)
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        map_from_attribute(value)
    }
}

impl<T: DynamoValue> DynamoValue for BTreeMap<String, T> {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        let len = self.len();
        map_into_attribute(self, len)
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        map_from_attribute(value)
    }
}

#[cfg(feature = "uuid")]
impl DynamoValue for uuid::Uuid {
    /// Stored as the hyphenated lowercase string.
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self.hyphenated().to_string())))
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::S(s) => uuid::Uuid::parse_str(&s)
                .map_err(|_| ValueError::new("S holding a UUID", "S that is not a UUID")),
            other => Err(ValueError::type_mismatch("S holding a UUID", &other)),
        }
    }
}

#[cfg(feature = "bytes")]
impl DynamoValue for bytes::Bytes {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::B(Blob::new(Vec::from(self)))))
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::B(blob) => Ok(bytes::Bytes::from(blob.into_inner())),
            other => Err(ValueError::type_mismatch("B", &other)),
        }
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

/// An enum stored as a map with its variant's name in one attribute:
/// `#[derive(DynamoValue)]` with `#[dynamo(tag = "..")]`. Conditions compare that attribute
/// through [`Attr::is_variant`](crate::mapping::Attr::is_variant).
pub trait Tagged: DynamoValue {
    /// The attribute holding the variant's name.
    const TAG: &'static str;
    /// Every variant's stored name.
    const VARIANTS: &'static [&'static str];

    /// The stored name of this value's variant.
    fn variant(&self) -> &'static str;
}
