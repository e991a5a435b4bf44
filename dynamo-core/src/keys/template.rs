//! Key templates: key values composed of an entity's fields, `#[dynamo(pk = "EVENT#{event_id}",
//! sk = "SEAT#{section}#{seat_id}")]`, formatted by generated code.
//!
//! A component is written so that string order is value order, because DynamoDB compares sort
//! keys byte by byte:
//!
//! | component | written as |
//! |---|---|
//! | `String`, unit enums | the text; never empty, never containing the delimiter that follows it |
//! | `bool` | `true` or `false` |
//! | unsigned integers | zero-padded to the type's width (`u32`: 10 digits), or to `{field:N}` digits |
//! | signed integers | `{field:N}`: zero-padded, and negative values refused; without a width, offset by the type's minimum and zero-padded (`i64`: 20 digits), so negatives sort first |
//! | `OffsetDateTime` | UTC with nine fraction digits, `2024-01-01T12:05:00.000000000Z` |
//! | `Uuid` (feature `uuid`) | lowercase, hyphenated |
//! | [`Shard<N>`](crate::keys::Shard) | zero-padded to the digits of `N - 1` |
//! | `{shard(field):N}` | the shard ([`shard_of`](crate::keys::shard_of)) of the field's text as `{field}` writes it, zero-padded like `Shard<N>` |
//!
//! A component that is empty, or that contains the delimiter following it in the template (the
//! first character of the literal after its placeholder: `#` in `"{user_id}#{key}"`), would
//! make the key ambiguous: writing it is a [`MappingError`]. The last component, when the
//! template ends with it, may hold anything.

use crate::mapping::error::{Direction, MappingError, ValueError};
use aws_sdk_dynamodb::types::AttributeValue;

/// A type that can be a component of a key template.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a component of a key template",
    label = "this template has a placeholder of type `{Self}`",
    note = "template components are strings, integers, bool, timestamps (OffsetDateTime), Uuid, or #[derive(DynamoValue)] unit enums and newtypes of one",
    note = "floats, collections and maps have no key text, and a table key is always present (an Option component is for a sparse index key, in gsi(..)): store such fields as attributes, not in keys"
)]
pub trait KeyComponent {
    /// Whether `{field:N}` (zero-padding to `N` digits) applies: integers.
    const NUMERIC: bool = false;
    /// Every character the component's text can hold, when that is a fixed set (digits for
    /// integers, the variants' values for unit enums); empty for free text. A template
    /// delimiter among them does not compile: every such value would be refused.
    const CHARSET: &'static str = "";
    /// How many different texts the component can write: the variants of a unit enum, the
    /// `N` of a `Shard<N>`, 256 for `u8`; [`u64::MAX`] when they are too many to matter. A
    /// partition template whose components can write fewer than 32 keys in all does not
    /// compile: it would put a whole table's or index's writes on a few partitions.
    const CARDINALITY: u64 = u64::MAX;
    /// Whether the text is free text, whose letters an entity with `key_case = "lower"` writes
    /// lower-cased: `String` (and newtypes of it). Integers, timestamps, enums' values and
    /// UUIDs are written as they are.
    const CASED: bool = false;

    /// Appends the component's text: integers zero-padded to `width` digits (`0`: the
    /// type's own width).
    fn write_component(&self, out: &mut String, width: usize) -> Result<(), ValueError>;

    /// The attribute value a component's text stands for, as
    /// [`write_component`](KeyComponent::write_component) wrote it with `width`: how a key an
    /// earlier version wrote is read back into its fields (`#[dynamo(previous(..))]`). `None`
    /// when this type writes no such text. By default the text itself, as a string.
    fn read_component(text: &str, width: usize) -> Option<AttributeValue> {
        let _ = width;
        Some(AttributeValue::S(text.to_owned()))
    }
}

/// `text` as a number, when it is only digits.
fn digits(text: &str) -> Option<&str> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then_some(text)
}

impl KeyComponent for String {
    const CASED: bool = true;

    #[inline]
    fn write_component(&self, out: &mut String, _width: usize) -> Result<(), ValueError> {
        out.push_str(self);
        Ok(())
    }
}

pub(crate) const DIGITS: &str = "0123456789";

/// Zero-pads `digits` to `width`; an error when it does not fit.
pub(crate) fn pad(out: &mut String, digits: &str, width: usize) -> Result<(), ValueError> {
    if digits.len() > width {
        return Err(ValueError::new(
            format!("a number of at most {width} digits"),
            digits.to_owned(),
        ));
    }
    out.extend(std::iter::repeat_n('0', width - digits.len()));
    out.push_str(digits);
    Ok(())
}

/// The values of an integer type, when they are few enough to count.
const fn values_of(bits: u32) -> u64 {
    if bits >= 64 { u64::MAX } else { 1 << bits }
}

macro_rules! unsigned {
    ($($ty:ty => $width:expr),*) => {$(
        impl KeyComponent for $ty {
            const NUMERIC: bool = true;
            const CHARSET: &'static str = DIGITS;
            const CARDINALITY: u64 = values_of(<$ty>::BITS);

            #[inline]
            fn write_component(&self, out: &mut String, width: usize) -> Result<(), ValueError> {
                let width = if width == 0 { $width } else { width };
                pad(out, itoa::Buffer::new().format(*self), width)
            }

            fn read_component(text: &str, _width: usize) -> Option<AttributeValue> {
                let value: $ty = digits(text)?.parse().ok()?;
                Some(AttributeValue::N(value.to_string()))
            }
        }
    )*};
}

unsigned!(u8 => 3, u16 => 5, u32 => 10, u64 => 20, u128 => 39, usize => 20);

macro_rules! signed {
    ($($ty:ty => $unsigned:ty, $width:expr),*) => {$(
        impl KeyComponent for $ty {
            const NUMERIC: bool = true;
            const CHARSET: &'static str = DIGITS;
            const CARDINALITY: u64 = values_of(<$ty>::BITS);

            #[inline]
            fn write_component(&self, out: &mut String, width: usize) -> Result<(), ValueError> {
                if width == 0 {
                    // Offset binary: the minimum maps to 0, so order is kept across the sign.
                    let offset = (*self as $unsigned) ^ (1 << (<$unsigned>::BITS - 1));
                    return pad(out, itoa::Buffer::new().format(offset), $width);
                }
                if *self < 0 {
                    return Err(ValueError::new(
                        "a non-negative number (a fixed-width component keeps no sign)",
                        itoa::Buffer::new().format(*self).to_owned(),
                    ));
                }
                pad(out, itoa::Buffer::new().format(*self), width)
            }

            fn read_component(text: &str, width: usize) -> Option<AttributeValue> {
                let value: $ty = if width == 0 {
                    let offset: $unsigned = digits(text)?.parse().ok()?;
                    (offset ^ (1 << (<$unsigned>::BITS - 1))) as $ty
                } else {
                    digits(text)?.parse().ok()?
                };
                Some(AttributeValue::N(value.to_string()))
            }
        }
    )*};
}

signed!(i8 => u8, 3, i16 => u16, 5, i32 => u32, 10, i64 => u64, 20, i128 => u128, 39, isize => usize, 20);

/// `true` or `false`, as ElectroDB writes them: a sort key can select either with a prefix.
impl KeyComponent for bool {
    const CHARSET: &'static str = "aeflrstu";
    const CARDINALITY: u64 = 2;

    #[inline]
    fn write_component(&self, out: &mut String, _width: usize) -> Result<(), ValueError> {
        out.push_str(if *self { "true" } else { "false" });
        Ok(())
    }

    fn read_component(text: &str, _width: usize) -> Option<AttributeValue> {
        match text {
            "true" => Some(AttributeValue::Bool(true)),
            "false" => Some(AttributeValue::Bool(false)),
            _ => None,
        }
    }
}

/// Written as stored: UTC with nine fraction digits, `2024-01-01T12:05:00.000000000Z`.
impl KeyComponent for time::OffsetDateTime {
    const CHARSET: &'static str = "0123456789-:.TZ";

    #[inline]
    fn write_component(&self, out: &mut String, _width: usize) -> Result<(), ValueError> {
        crate::mapping::time::write_rfc3339(*self, out)
    }
}

#[cfg(feature = "uuid")]
impl KeyComponent for uuid::Uuid {
    const CHARSET: &'static str = "0123456789abcdef-";

    #[inline]
    fn write_component(&self, out: &mut String, _width: usize) -> Result<(), ValueError> {
        let mut buf = uuid::Uuid::encode_buffer();
        out.push_str(self.hyphenated().encode_lower(&mut buf));
        Ok(())
    }
}

/// Where a component belongs, for the error of a component that cannot be written.
#[derive(Debug, Clone, Copy)]
pub struct ComponentOf {
    /// The entity.
    pub entity: &'static str,
    /// The component's field.
    pub field: &'static str,
    /// The key attribute the template writes.
    pub attribute: &'static str,
    /// The delimiter after the component (empty when nothing follows it): characters the
    /// component must not contain.
    pub delimiters: &'static str,
    /// Whether the component's text is written lower-cased (`key_case = "lower"`, free text).
    pub lowercase: bool,
}

/// Lower-cases the text `out` holds from `start`, for a component of a `key_case = "lower"`
/// entity.
#[inline]
fn fold_case(out: &mut String, start: usize) {
    if out[start..].chars().any(char::is_uppercase) {
        let lower = out[start..].to_lowercase();
        out.truncate(start);
        out.push_str(&lower);
    }
}

/// The error of a component of `of` that cannot be written.
#[cold]
pub(crate) fn component_error(of: &ComponentOf, source: ValueError) -> MappingError {
    MappingError {
        entity: of.entity,
        field: of.field,
        attribute: of.attribute,
        direction: Direction::Write,
        source,
        key: None,
    }
}

/// `head` (a sort key's text up to component `of`) followed by `partial`, the start of that
/// component's text: every key whose component starts with it (`_starting` of a generated
/// sort key). `partial` may be empty; it must not hold the component's delimiter.
pub fn partial_component(
    head: Result<String, MappingError>,
    partial: &str,
    of: &ComponentOf,
) -> Result<String, MappingError> {
    let mut out = head?;
    let start = out.len();
    out.push_str(partial);
    if of.lowercase {
        fold_case(&mut out, start);
    }
    if let Some(d) = out[start..].chars().find(|c| of.delimiters.contains(*c)) {
        return Err(component_error(
            of,
            ValueError::new(
                format!("the start of a key component, without the template's delimiter {d:?}"),
                format!("\"{}\"", crate::mapping::error::truncate(partial)),
            ),
        ));
    }
    Ok(out)
}

/// How a component type is written: [`KeyComponent`]'s items, gathered in one `const` per
/// component by the derive, so a type that is no component is reported once.
pub struct Component<T: ?Sized> {
    /// [`KeyComponent::NUMERIC`].
    pub numeric: bool,
    /// [`KeyComponent::CHARSET`].
    pub charset: &'static str,
    /// [`KeyComponent::CARDINALITY`].
    pub cardinality: u64,
    /// [`KeyComponent::write_component`].
    pub write: fn(&T, &mut String, usize) -> Result<(), ValueError>,
}

/// Appends one component of a template to `out` with `write`, checking that it is not empty
/// and does not hold the delimiter that follows it.
#[inline]
pub fn write_component<T: ?Sized>(
    out: &mut String,
    value: &T,
    width: usize,
    of: &ComponentOf,
    write: fn(&T, &mut String, usize) -> Result<(), ValueError>,
) -> Result<(), MappingError> {
    let start = out.len();
    let error = |source: ValueError| component_error(of, source);
    write(value, out, width).map_err(error)?;
    if of.lowercase {
        fold_case(out, start);
    }
    let written = &out[start..];
    if written.is_empty() {
        return Err(error(ValueError::new(
            "a non-empty key component",
            "an empty string",
        )));
    }
    if let Some(d) = written.chars().find(|c| of.delimiters.contains(*c)) {
        return Err(error(ValueError::new(
            format!("a key component without the template's delimiter {d:?}"),
            format!("\"{}\"", crate::mapping::error::truncate(written)),
        )));
    }
    Ok(())
}

/// Appends the shard of a template's `{shard(field):N}` component: [`shard_of`] the field's
/// key text among `shards`, zero-padded to the digits of `shards - 1`.
///
/// [`shard_of`]: crate::keys::shard_of
#[inline]
pub fn write_shard<T: ?Sized>(
    out: &mut String,
    value: &T,
    shards: u32,
    of: &ComponentOf,
    write: fn(&T, &mut String, usize) -> Result<(), ValueError>,
) -> Result<(), MappingError> {
    // The field's text, written where the shard goes, hashed, and replaced by the shard.
    let start = out.len();
    write(value, out, 0).map_err(|source| component_error(of, source))?;
    if of.lowercase {
        fold_case(out, start);
    }
    let shard = crate::keys::shard::shard_of(&out[start..], shards);
    out.truncate(start);
    write_shard_number(out, shard, shards);
    Ok(())
}

/// Appends shard number `shard` of `shards`, zero-padded to the digits of `shards - 1`.
#[inline]
pub fn write_shard_number(out: &mut String, shard: u32, shards: u32) {
    let width = crate::keys::shard::shard_width(shards);
    // A shard below `shards` always fits the width of `shards - 1`.
    let _fits = pad(out, itoa::Buffer::new().format(shard), width);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<T: KeyComponent>(value: T, width: usize) -> Result<String, ValueError> {
        let mut out = String::new();
        value.write_component(&mut out, width).map(|()| out)
    }

    #[test]
    fn numbers_sort_as_strings_the_way_they_sort_as_numbers() {
        let unsigned = [0u64, 7, 10, 99, 100, 12_345, u64::MAX];
        for pair in unsigned.windows(2) {
            assert!(text(pair[0], 0).expect("fits") < text(pair[1], 0).expect("fits"));
        }
        let signed = [i64::MIN, -1_000, -1, 0, 1, 9, 10, i64::MAX];
        for pair in signed.windows(2) {
            let (a, b) = (
                text(pair[0], 0).expect("fits"),
                text(pair[1], 0).expect("fits"),
            );
            assert!(a < b, "{} -> {a} vs {} -> {b}", pair[0], pair[1]);
            assert_eq!(a.len(), 20);
        }
        assert_eq!(text(3u8, 1).expect("fits"), "3");
        assert_eq!(text(1_760_000_000i64, 12).expect("fits"), "001760000000");
        assert!(text(10u8, 1).is_err(), "does not fit one digit");
        assert!(text(-1i64, 12).is_err(), "a fixed width keeps no sign");
    }

    #[test]
    fn booleans_are_written_and_read_as_words() {
        assert_eq!(text(true, 0).expect("writes"), "true");
        assert_eq!(text(false, 0).expect("writes"), "false");
        for word in ["true", "false"] {
            assert!(word.chars().all(|c| bool::CHARSET.contains(c)));
        }
        assert_eq!(
            bool::read_component("false", 0),
            Some(AttributeValue::Bool(false))
        );
        assert_eq!(bool::read_component("False", 0), None);
    }

    #[test]
    fn a_lowercase_component_folds_its_text_and_its_shard() {
        let of = ComponentOf {
            entity: "User",
            field: "name",
            attribute: "pk",
            delimiters: "#",
            lowercase: true,
        };
        let write = <String as KeyComponent>::write_component;
        let mut out = String::from("USER#");
        write_component(&mut out, &"ÀLICE Smith".to_string(), 0, &of, write).expect("fine");
        assert_eq!(out, "USER#àlice smith");
        let (mut upper, mut lower) = (String::new(), String::new());
        write_shard(&mut upper, &"Alice".to_string(), 16, &of, write).expect("fine");
        write_shard(&mut lower, &"alice".to_string(), 16, &of, write).expect("fine");
        assert_eq!(upper, lower, "one key, one shard");
    }

    #[test]
    fn components_are_never_empty_nor_hold_a_delimiter() {
        let of = ComponentOf {
            entity: "Seat",
            field: "section",
            attribute: "sk",
            delimiters: "#",
            lowercase: false,
        };
        let write = <String as KeyComponent>::write_component;
        let mut out = String::from("SEAT#");
        write_component(&mut out, &"A".to_string(), 0, &of, write).expect("fine");
        assert_eq!(out, "SEAT#A");
        let err =
            write_component(&mut out, &"A#1".to_string(), 0, &of, write).expect_err("delimiter");
        assert_eq!(
            err.to_string(),
            "cannot write Seat.section to attribute \"sk\": expected a key component without the template's delimiter '#', found \"A#1\""
        );
        assert!(write_component(&mut out, &String::new(), 0, &of, write).is_err());
    }
}
