//! Key scalars: the Rust types that can hold a DynamoDB key attribute.

use crate::def::ScalarType;
use crate::mapping::value::DynamoValue;
use std::fmt;

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
    /// The key without the `Option`: what a query of the index takes.
    type Key: KeyScalar;

    /// The field's value holding `key`.
    fn wrap(key: Self::Key) -> Self;
}

/// A type that can hold a unique value (`#[dynamo(unique(..))]`): a [`KeyScalar`], or an
/// `Option` of one for a constraint that items may lack (`optional`). Its guard item's key is
/// made of the value's text.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a unique value",
    label = "a field of this unique(..) has type `{Self}`",
    note = "unique values are scalars (strings, integers, binary, unit enums) or an Option of one with `optional`"
)]
pub trait UniqueValue: DynamoValue {
    /// The value without the `Option`: what `find_by_..` takes.
    type Key: KeyScalar;
    #[doc(hidden)]
    const CHECKED: () = ();

    /// The field's value holding `key`.
    fn wrap(key: Self::Key) -> Self;
}

impl<T: KeyScalar> UniqueValue for T {
    type Key = T;

    fn wrap(key: T) -> Self {
        key
    }
}

impl<T: KeyScalar> UniqueValue for Option<T> {
    type Key = T;

    fn wrap(key: T) -> Self {
        Some(key)
    }
}

impl<T: KeyScalar> IndexKeyScalar for T {
    const SCALAR: ScalarType = T::SCALAR;
    type Key = T;

    fn wrap(key: T) -> Self {
        key
    }
}

impl<T: KeyScalar> IndexKeyScalar for Option<T> {
    const SCALAR: ScalarType = T::SCALAR;
    type Key = T;

    fn wrap(key: T) -> Self {
        Some(key)
    }
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
