//! An item's size by DynamoDB's rules, to refuse an item over its 400 KB limit before it is
//! sent and to say what a write will be billed.
//!
//! The size of an item is the sum of its attributes' names and values, in bytes: strings by
//! their UTF-8 bytes, binaries by their raw bytes, numbers one byte per two significant digits
//! plus one, booleans and nulls one byte, sets the sum of their members, lists and maps three
//! bytes plus one per element plus their elements (a map's element with its name). These are
//! the rules of DynamoDB's developer guide ("Item sizes and formats").

use crate::def::{Projection, TableDef};
use crate::mapping::item::Item;
use aws_sdk_dynamodb::types::AttributeValue;

/// The largest item DynamoDB stores: 400 KB, attribute names included.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// The size of `item` as DynamoDB counts it against its 400 KB limit and bills it.
///
/// ```
/// use dynamo_core::{AttributeValue, Item, mapping::item_size};
///
/// let item = Item::from([
///     ("pk".to_owned(), AttributeValue::S("USER#1".into())),         // 2 + 6
///     ("age".to_owned(), AttributeValue::N("42".into())),            // 3 + 1 + 1
///     ("tags".to_owned(), AttributeValue::L(vec![AttributeValue::S("a".into())])), // 4 + 3 + 1 + 1
/// ]);
/// assert_eq!(item_size(&item), 8 + 5 + 9);
/// ```
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| attribute_size(name, value))
        .sum()
}

/// The size of one attribute: its name and its value.
pub fn attribute_size(name: &str, value: &AttributeValue) -> usize {
    name.len() + value_size(value)
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(members) => members.iter().map(String::len).sum(),
        AttributeValue::Ns(members) => members.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(members) => members.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(elements) => {
            3 + elements.iter().map(|v| 1 + value_size(v)).sum::<usize>()
        }
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(name, v)| 1 + name.len() + value_size(v))
                .sum::<usize>()
        }
        // A type this version of the SDK does not know: nothing to count.
        _ => 0,
    }
}

/// One byte per two significant digits (leading and trailing zeros do not count), plus one.
pub(crate) fn number_size(n: &str) -> usize {
    let mantissa = n.split(['e', 'E']).next().unwrap_or(n);
    let digits = mantissa.bytes().filter(u8::is_ascii_digit);
    let (mut first, mut last, mut count) = (None, 0, 0);
    for (i, d) in digits.enumerate() {
        if d != b'0' {
            first.get_or_insert(i);
            last = i;
        }
        count = i + 1;
    }
    let significant = match first {
        Some(first) => last - first + 1,
        None => usize::from(count > 0),
    };
    significant.max(1).div_ceil(2) + 1
}

/// What a put of an item is billed, in write units: one per KB (rounded up) of the item in
/// the table, and of its entry in each index it is in (its keys there, and what the index
/// projects). A transaction bills each write twice. An update that moves an index entry is
/// billed there twice too (the old entry deleted, the new one put); this counts a new item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteUnits {
    /// The table's units.
    pub table: u32,
    /// The units of each index the item is in, by index name.
    pub indexes: Vec<(&'static str, u32)>,
}

impl WriteUnits {
    /// The table's and every index's units.
    pub fn total(&self) -> u32 {
        self.table + self.indexes.iter().map(|(_, units)| units).sum::<u32>()
    }

    /// The units of the same write in a transaction: twice.
    pub fn in_transaction(&self) -> u32 {
        2 * self.total()
    }
}

/// One write unit per KB of `size`, at least one.
fn units(size: usize) -> u32 {
    u32::try_from(size.div_ceil(1024).max(1)).unwrap_or(u32::MAX)
}

/// What a put of `item` into a table of `table`'s definition is billed:
/// [`Entity::write_units`](crate::Entity::write_units).
pub fn write_units(table: &TableDef, item: &Item) -> WriteUnits {
    let table_keys = [
        Some(table.partition_key.name),
        table.sort_key.map(|k| k.name),
    ];
    let indexes = table
        .indexes
        .iter()
        .filter_map(|index| {
            let index_keys = [
                Some(index.partition_key.name),
                index.sort_key.map(|k| k.name),
            ];
            // An item without one of the index's keys is not in it.
            if index_keys.iter().flatten().any(|k| !item.contains_key(*k)) {
                return None;
            }
            let size = item
                .iter()
                .filter(|(name, _)| {
                    let name = name.as_str();
                    let key = table_keys
                        .iter()
                        .chain(&index_keys)
                        .flatten()
                        .any(|k| *k == name);
                    key || match index.projection {
                        Projection::All => true,
                        Projection::KeysOnly => false,
                        Projection::Include(projected) => projected.contains(&name),
                    }
                })
                .map(|(name, value)| attribute_size(name, value))
                .sum();
            Some((index.name, units(size)))
        })
        .collect();
    WriteUnits {
        table: units(item_size(item)),
        indexes,
    }
}

/// The attributes of `item` by size, largest first, at most `n`: what to look at in an item
/// that is too large.
pub(crate) fn largest(item: &Item, n: usize) -> Vec<(String, usize)> {
    let mut sizes: Vec<(String, usize)> = item
        .iter()
        .map(|(name, value)| (name.clone(), attribute_size(name, value)))
        .collect();
    sizes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sizes.truncate(n);
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::primitives::Blob;

    #[test]
    fn numbers_count_their_significant_digits() {
        for (n, size) in [
            ("0", 2),
            ("7", 2),
            ("42", 2),
            ("123", 3),
            ("1000", 2),
            ("0.001", 2),
            ("-12.5", 3),
            ("1.5E+10", 2),
            ("12345678901234567890123456789012345678", 20),
        ] {
            assert_eq!(number_size(n), size, "{n}");
        }
    }

    #[test]
    fn every_type_is_sized_by_the_rules() {
        let item = Item::from([
            ("s".to_owned(), AttributeValue::S("héllo".into())), // 1 + 6
            ("b".to_owned(), AttributeValue::B(Blob::new(vec![0; 10]))), // 1 + 10
            ("t".to_owned(), AttributeValue::Bool(true)),        // 1 + 1
            ("z".to_owned(), AttributeValue::Null(true)),        // 1 + 1
            (
                "ss".to_owned(),
                AttributeValue::Ss(vec!["ab".into(), "c".into()]),
            ), // 2 + 3
            (
                "m".to_owned(),
                AttributeValue::M(std::collections::HashMap::from([(
                    "k".to_owned(),
                    AttributeValue::S("v".into()),
                )])),
            ), // 1 + 3 + 1 + 1 + 1
            ("l".to_owned(), AttributeValue::L(vec![])),         // 1 + 3
        ]);
        assert_eq!(item_size(&item), 7 + 11 + 2 + 2 + 5 + 7 + 4);
        assert_eq!(
            largest(&item, 2),
            [("b".to_owned(), 11), ("m".to_owned(), 7)]
        );
    }
}
