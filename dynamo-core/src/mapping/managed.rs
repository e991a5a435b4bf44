//! Types of the attributes the library manages: TTL (`#[ttl]`) and version (`#[version]`).

use crate::mapping::error::ValueError;
use crate::mapping::value::DynamoValue;
use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

/// A type that can hold a TTL attribute: seconds since the Unix epoch, stored as `N`.
///
/// DynamoDB's TTL reads a Number of epoch seconds; an `OffsetDateTime` marked `#[ttl]` is stored
/// that way instead of as an RFC 3339 string. TTL deletion is lazy (items may outlive their TTL
/// by days), so never rely on an expired item being gone: compare the stored value with "now".
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a TTL attribute",
    label = "#[ttl] needs a number of epoch seconds",
    note = "DynamoDB's TTL reads a Number holding seconds since the Unix epoch: use i64, u64 or time::OffsetDateTime (stored as N), or an Option of one"
)]
pub trait TtlValue: Sized {
    /// Converts to epoch seconds (`N`); `Ok(None)` stores no attribute.
    fn into_ttl_attribute(self) -> Result<Option<AttributeValue>, ValueError>;
    /// Reads epoch seconds.
    fn from_ttl_attribute(value: AttributeValue) -> Result<Self, ValueError>;
    /// The value of an absent attribute, if the type has one.
    fn from_missing_ttl() -> Option<Self> {
        None
    }
}

impl TtlValue for i64 {
    fn into_ttl_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        self.into_attribute()
    }
    fn from_ttl_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        Self::from_attribute(value)
    }
}

impl TtlValue for u64 {
    fn into_ttl_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        self.into_attribute()
    }
    fn from_ttl_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        Self::from_attribute(value)
    }
}

impl TtlValue for OffsetDateTime {
    fn into_ttl_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        self.unix_timestamp().into_attribute()
    }
    fn from_ttl_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        let secs = i64::from_attribute(value)?;
        OffsetDateTime::from_unix_timestamp(secs).map_err(|_| {
            ValueError::new(
                "N holding epoch seconds of a representable date",
                format!("N {secs}"),
            )
        })
    }
}

impl<T: TtlValue> TtlValue for Option<T> {
    fn into_ttl_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        self.map_or(Ok(None), T::into_ttl_attribute)
    }
    fn from_ttl_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        T::from_ttl_attribute(value).map(Some)
    }
    fn from_missing_ttl() -> Option<Self> {
        Some(None)
    }
}

/// A type that can hold a `#[version]` attribute for optimistic locking: an integer.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a version attribute",
    label = "#[version] needs an integer",
    note = "the version counts writes: use u64 (or another integer type)"
)]
pub trait VersionValue: DynamoValue + Copy {
    /// The version as a `u64`.
    fn to_version(self) -> u64;
    /// A version back in this type, `None` when it does not fit.
    fn from_version(version: u64) -> Option<Self>;
}

macro_rules! version {
    ($($ty:ty),*) => {$(
        impl VersionValue for $ty {
            fn to_version(self) -> u64 {
                u64::try_from(self).unwrap_or(0)
            }
            fn from_version(version: u64) -> Option<Self> {
                Self::try_from(version).ok()
            }
        }
    )*};
}

version!(u8, u16, u32, u64, usize, i16, i32, i64, isize);

/// The type of a `#[dynamo(created_at)]` or `#[dynamo(updated_at)]` field: a timestamp the
/// library writes, in the fixed-width sortable form (`2024-01-01T12:05:00.000000000Z`), or an
/// `Option` of one for items written before the field existed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a managed timestamp",
    label = "#[dynamo(created_at)] and #[dynamo(updated_at)] hold the time of a write",
    note = "use time::OffsetDateTime (written as `2024-01-01T12:05:00.000000000Z`, which sorts as time), or Option<time::OffsetDateTime> for items written before the field existed"
)]
pub trait ManagedTimestamp: crate::mapping::value::DynamoValue {}

impl ManagedTimestamp for time::OffsetDateTime {}
impl ManagedTimestamp for Option<time::OffsetDateTime> {}
