//! [`ItemShape`]: the attribute names of an entity's items, hashed once per process.

use crate::mapping::item::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use std::sync::OnceLock;

/// An entity's attribute names, as an item whose values are yet to be filled: a generated
/// `into_item` clones it and fills it in one pass, instead of hashing every attribute name of
/// every item it writes (names are most of the work of building an item).
///
/// The clone keeps the template's layout, so filling it compares names, never hashes them;
/// attributes left without a value (a `None`, an absent index key) are removed by name
/// afterwards.
#[derive(Debug)]
pub struct ItemShape(OnceLock<Item>);

impl ItemShape {
    /// A shape built on first use.
    pub const fn new() -> Self {
        ItemShape(OnceLock::new())
    }

    /// The item holding `values[i]` under `names[i]`, without the `None`s. A shape serves one
    /// entity: `names` is the same on every call. Empty names (an attribute the table does not
    /// have) are no attribute.
    #[inline]
    pub fn item<const N: usize>(
        &self,
        names: &[&'static str; N],
        mut values: [Option<AttributeValue>; N],
    ) -> Item {
        let template = self.0.get_or_init(|| {
            names
                .iter()
                .filter(|name| !name.is_empty())
                .map(|name| ((*name).to_owned(), AttributeValue::Null(true)))
                .collect()
        });
        let mut item = template.clone();
        let mut filled = [false; N];
        for (name, value) in item.iter_mut() {
            if let Some(i) = names.iter().position(|n| *n == name)
                && let Some(v) = values[i].take()
            {
                *value = v;
                filled[i] = true;
            }
        }
        for (name, filled) in names.iter().zip(filled) {
            if !filled && !name.is_empty() {
                item.remove(*name);
            }
        }
        item
    }
}

impl Default for ItemShape {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_go_under_their_names_and_absent_ones_leave_no_attribute() {
        let shape = ItemShape::new();
        let names = ["pk", "note", "count", ""];
        for round in 0..3 {
            let item = shape.item(
                &names,
                [
                    Some(AttributeValue::S(format!("p{round}"))),
                    (round == 1).then(|| AttributeValue::S("n".into())),
                    Some(AttributeValue::N(round.to_string())),
                    None,
                ],
            );
            assert_eq!(item.len(), if round == 1 { 3 } else { 2 });
            assert_eq!(item["pk"], AttributeValue::S(format!("p{round}")));
            assert_eq!(item["count"], AttributeValue::N(round.to_string()));
            assert_eq!(item.contains_key("note"), round == 1);
        }
    }
}
