//! DynamoDB sets (`SS`, `NS`, `BS`): `HashSet` and `BTreeSet` always, and `Vec`/`VecDeque` with
//! `#[dynamo(set)]`.

use crate::def::ScalarType;
use crate::mapping::error::ValueError;
use crate::mapping::value::DynamoValue;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};

/// A type that can be a member of a DynamoDB set: strings (`SS`), numbers (`NS`) or binary
/// (`BS`).
///
/// Implemented for `String`, the integer and float types, `Vec<u8>`, `bytes::Bytes`, `uuid::Uuid`,
/// and by `#[derive(DynamoValue)]` for unit enums and newtypes of a set element.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a member of a DynamoDB set",
    label = "sets hold strings, numbers or binary values",
    note = "DynamoDB sets are SS (strings), NS (numbers) or BS (binary); store other elements as a list (L) by removing #[dynamo(set)] or using a Vec"
)]
pub trait SetElement: DynamoValue {
    /// Which set type holds this element.
    const KIND: ScalarType;
}

macro_rules! set_element {
    ($kind:ident: $($ty:ty),*) => {
        $(impl SetElement for $ty {
            const KIND: ScalarType = ScalarType::$kind;
        })*
    };
}

set_element!(S: String);
set_element!(N: i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64);
set_element!(B: Vec<u8>);
#[cfg(feature = "uuid")]
set_element!(S: uuid::Uuid);
#[cfg(feature = "bytes")]
set_element!(B: bytes::Bytes);

/// Converts elements into a set attribute; an empty set is no attribute (DynamoDB rejects
/// empty sets). With `reject_duplicates`, a duplicate element is an error rather than a
/// request DynamoDB would refuse.
pub(crate) fn into_attribute<T: SetElement>(
    values: impl IntoIterator<Item = T>,
    reject_duplicates: bool,
) -> Result<Option<AttributeValue>, ValueError> {
    let values = values.into_iter();
    let set = match T::KIND {
        ScalarType::S | ScalarType::N => {
            let mut members = Vec::with_capacity(values.size_hint().0);
            for (i, v) in values.enumerate() {
                match v.into_attribute().map_err(|e| e.at_index(i))? {
                    Some(AttributeValue::S(s) | AttributeValue::N(s)) => members.push(s),
                    _ => return Err(member_error(T::KIND).at_index(i)),
                }
            }
            if reject_duplicates {
                reject_duplicate(members.iter().map(String::as_bytes))?;
            }
            match T::KIND {
                ScalarType::S => AttributeValue::Ss(members),
                _ => AttributeValue::Ns(members),
            }
        }
        ScalarType::B => {
            let mut members = Vec::with_capacity(values.size_hint().0);
            for (i, v) in values.enumerate() {
                match v.into_attribute().map_err(|e| e.at_index(i))? {
                    Some(AttributeValue::B(b)) => members.push(b),
                    _ => return Err(member_error(T::KIND).at_index(i)),
                }
            }
            if reject_duplicates {
                reject_duplicate(members.iter().map(Blob::as_ref))?;
            }
            AttributeValue::Bs(members)
        }
    };
    let empty = match &set {
        AttributeValue::Ss(m) | AttributeValue::Ns(m) => m.is_empty(),
        AttributeValue::Bs(m) => m.is_empty(),
        _ => false,
    };
    Ok((!empty).then_some(set))
}

fn member_error(kind: ScalarType) -> ValueError {
    ValueError::new(
        format!("a set member stored as {kind}"),
        "another attribute type",
    )
}

fn reject_duplicate<'a>(members: impl Iterator<Item = &'a [u8]>) -> Result<(), ValueError> {
    let mut seen = HashSet::new();
    for (i, m) in members.enumerate() {
        if !seen.insert(m) {
            return Err(
                ValueError::new("set members without duplicates", "a duplicate").at_index(i),
            );
        }
    }
    Ok(())
}

/// Reads a set attribute (`NULL` reads as an empty set).
pub(crate) fn from_attribute<T: SetElement, C: FromIterator<T>>(
    value: AttributeValue,
) -> Result<C, ValueError> {
    let wrap: fn(String) -> AttributeValue = match T::KIND {
        ScalarType::S => AttributeValue::S,
        _ => AttributeValue::N,
    };
    match (T::KIND, value) {
        (_, AttributeValue::Null(_)) => Ok(std::iter::empty().collect()),
        (ScalarType::S, AttributeValue::Ss(members))
        | (ScalarType::N, AttributeValue::Ns(members)) => members
            .into_iter()
            .enumerate()
            .map(|(i, m)| T::from_attribute(wrap(m)).map_err(|e| e.at_index(i)))
            .collect(),
        (ScalarType::B, AttributeValue::Bs(members)) => members
            .into_iter()
            .enumerate()
            .map(|(i, m)| T::from_attribute(AttributeValue::B(m)).map_err(|e| e.at_index(i)))
            .collect(),
        (kind, other) => Err(ValueError::type_mismatch(format!("{kind}S"), &other)),
    }
}

/// A collection stored as a DynamoDB set with `#[dynamo(set)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored with #[dynamo(set)]",
    label = "#[dynamo(set)] needs a collection of strings, numbers or binary values",
    note = "use Vec<T>, VecDeque<T>, HashSet<T> or BTreeSet<T> (or an Option of one) where T is a string, number or binary type"
)]
pub trait SetCollection: Sized {
    /// Converts into a set attribute; empty is no attribute.
    fn into_set_attribute(self) -> Result<Option<AttributeValue>, ValueError>;
    /// Reads a set attribute.
    fn from_set_attribute(value: AttributeValue) -> Result<Self, ValueError>;
    /// The value of an absent attribute: an empty collection (or `None`).
    fn from_missing_set() -> Self;
}

impl<T: SetElement> SetCollection for Vec<T> {
    fn into_set_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        into_attribute(self, true)
    }
    fn from_set_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        from_attribute(value)
    }
    fn from_missing_set() -> Self {
        Vec::new()
    }
}

impl<T: SetElement> SetCollection for VecDeque<T> {
    fn into_set_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        into_attribute(self, true)
    }
    fn from_set_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        from_attribute(value)
    }
    fn from_missing_set() -> Self {
        VecDeque::new()
    }
}

impl<T: SetElement + Eq + Hash, S: BuildHasher + Default> SetCollection for HashSet<T, S> {
    fn into_set_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        into_attribute(self, false)
    }
    fn from_set_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        from_attribute(value)
    }
    fn from_missing_set() -> Self {
        HashSet::default()
    }
}

impl<T: SetElement + Ord> SetCollection for BTreeSet<T> {
    fn into_set_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        into_attribute(self, false)
    }
    fn from_set_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        from_attribute(value)
    }
    fn from_missing_set() -> Self {
        BTreeSet::new()
    }
}

impl<C: SetCollection> SetCollection for Option<C> {
    fn into_set_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        self.map_or(Ok(None), C::into_set_attribute)
    }
    fn from_set_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        C::from_set_attribute(value).map(Some)
    }
    fn from_missing_set() -> Self {
        None
    }
}

impl<T: SetElement + Eq + Hash, S: BuildHasher + Default> DynamoValue for HashSet<T, S> {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        into_attribute(self, false)
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        from_attribute(value)
    }

    fn from_missing() -> Option<Self> {
        Some(Self::default())
    }
}

impl<T: SetElement + Ord> DynamoValue for BTreeSet<T> {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        into_attribute(self, false)
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        from_attribute(value)
    }

    fn from_missing() -> Option<Self> {
        Some(Self::default())
    }
}
