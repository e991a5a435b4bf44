//! Key scalars: the Rust types that can hold a DynamoDB key attribute.

use crate::mapping::value::DynamoValue;
use std::fmt;

/// The three scalar types a key attribute can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl ScalarType {
    /// The type's name as DynamoDB writes it: `"S"`, `"N"` or `"B"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    /// Parses `"S"`, `"N"` or `"B"`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    pub(crate) const fn eq(self, other: ScalarType) -> bool {
        self as u8 == other as u8
    }

    /// Rust types that are stored with this scalar type, for error messages.
    pub(crate) const fn rust_types(self) -> &'static str {
        match self {
            ScalarType::S => {
                "a string type (String, Uuid, OffsetDateTime, or a #[derive(DynamoValue)] unit enum or String newtype)"
            }
            ScalarType::N => {
                "an integer type (i64, u64, u32, ... or a #[derive(DynamoValue)] newtype of one)"
            }
            ScalarType::B => "a binary type (Vec<u8> or bytes::Bytes)",
        }
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A type that can hold a key attribute (`#[pk]`, `#[sk]`, index keys).
///
/// Implemented for `String`, the integer types, `Vec<u8>`, `bytes::Bytes`,
/// `time::OffsetDateTime`, `uuid::Uuid` (feature `uuid`), and by `#[derive(DynamoValue)]` for unit
/// enums and for newtypes of a key scalar that also derive `Clone`, `Debug` and `PartialEq`.
/// Floats, `bool`, `Option`, collections and maps are not keys.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a DynamoDB key attribute",
    label = "this key field has type `{Self}`",
    note = "keys are scalars: strings (String, Uuid, OffsetDateTime), integers (i64, u64, u32, ...) or binary (Vec<u8>, Bytes)",
    note = "a #[derive(DynamoValue)] unit enum or newtype of a key scalar is a key too, when it also derives Clone, Debug and PartialEq"
)]
pub trait KeyScalar: DynamoValue + Clone + fmt::Debug + PartialEq {
    /// The scalar type the value is stored as.
    const SCALAR: ScalarType;
}

/// A type that can hold a secondary index key (`#[gsi(NAME, pk|sk)]`): a [`KeyScalar`], or an
/// `Option` of one, since items without the attribute are simply left out of the index (a
/// sparse index).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an index key attribute",
    label = "this index key field has type `{Self}`",
    note = "index keys are scalars (strings, integers, binary) or an Option of one for a sparse index"
)]
pub trait IndexKeyScalar: DynamoValue {
    /// The scalar type the value is stored as.
    const SCALAR: ScalarType;
}

impl<T: KeyScalar> IndexKeyScalar for T {
    const SCALAR: ScalarType = T::SCALAR;
}

impl<T: KeyScalar> IndexKeyScalar for Option<T> {
    const SCALAR: ScalarType = T::SCALAR;
}

macro_rules! key_scalar {
    ($scalar:ident: $($ty:ty),*) => {
        $(impl KeyScalar for $ty {
            const SCALAR: ScalarType = ScalarType::$scalar;
        })*
    };
}

key_scalar!(S: String, time::OffsetDateTime);
key_scalar!(N: i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
key_scalar!(B: Vec<u8>);

#[cfg(feature = "uuid")]
key_scalar!(S: uuid::Uuid);

#[cfg(feature = "bytes")]
key_scalar!(B: bytes::Bytes);
