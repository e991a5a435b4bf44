//! A query of every shard of a sharded partition (`SeatPartition::all(..)`): one page per shard
//! per round, read concurrently, merged in sort key order.
//!
//! A round may only return items that no unread item of another shard precedes: the
//! *frontier* is the smallest sort key at which a shard with more to read stopped (its
//! `LastEvaluatedKey`; the largest when descending). Items past it stay unreturned, and their
//! shard continues after the last item it returned, so every page is in order, and the pages
//! together are in order. The shard that set the frontier always finishes its page, so every
//! round makes progress.
//!
//! The cursor holds each unfinished shard's position: `"<shard>"` for one not started (or not
//! moved), `"<shard>/<attribute>"` for the key it continues after. Finished shards are absent.

use crate::mapping::item::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use std::cmp::Ordering;

/// Where one shard's reading stands: continue after this key (`None`: from the start).
pub(crate) type Position = (usize, Option<Item>);

/// One shard's page in a round.
pub(crate) struct ShardPage {
    /// The shard (index into the partition values).
    pub(crate) shard: usize,
    /// Where this page started.
    pub(crate) start: Option<Item>,
    /// Its items, in sort key order.
    pub(crate) items: Vec<Item>,
    /// Where it stopped, when the shard has more.
    pub(crate) last_evaluated_key: Option<Item>,
}

/// The items a round returns, in order, and the positions of the shards with more to read.
pub(crate) fn merge(
    pages: Vec<ShardPage>,
    sort_key: Option<&str>,
    key_names: &[&str],
    descending: bool,
) -> (Vec<Item>, Vec<Position>) {
    let before = |a: &AttributeValue, b: &AttributeValue| {
        let order = compare(a, b);
        if descending { order.reverse() } else { order }
    };
    let frontier = sort_key.and_then(|sk| {
        pages
            .iter()
            .filter_map(|p| p.last_evaluated_key.as_ref()?.get(sk))
            .min_by(|a, b| before(a, b))
            .cloned()
    });
    let mut out: Vec<(usize, Item)> = Vec::new();
    let mut next = Vec::new();
    for page in pages {
        let take = match (sort_key, &frontier) {
            (Some(sk), Some(frontier)) => page
                .items
                .iter()
                .take_while(|item| {
                    item.get(sk)
                        .is_none_or(|v| before(v, frontier) != Ordering::Greater)
                })
                .count(),
            _ => page.items.len(),
        };
        if take == page.items.len() {
            if let Some(lek) = page.last_evaluated_key {
                next.push((page.shard, Some(lek)));
            }
        } else {
            let position = match take {
                0 => page.start,
                n => Some(key_of(&page.items[n - 1], key_names)),
            };
            next.push((page.shard, position));
        }
        out.extend(page.items.into_iter().take(take).map(|i| (page.shard, i)));
    }
    if let Some(sk) = sort_key {
        // Stable: equal sort keys keep shard order.
        out.sort_by(|(sa, a), (sb, b)| match (a.get(sk), b.get(sk)) {
            (Some(a), Some(b)) => before(a, b).then(sa.cmp(sb)),
            _ => sa.cmp(sb),
        });
    }
    (out.into_iter().map(|(_, item)| item).collect(), next)
}

/// The key attributes of `item`: where a query continues after it.
fn key_of(item: &Item, key_names: &[&str]) -> Item {
    key_names
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), item.get(*name)?.clone())))
        .collect()
}

/// DynamoDB's order of key values: strings and binaries byte by byte, numbers by value.
pub(crate) fn compare(a: &AttributeValue, b: &AttributeValue) -> Ordering {
    match (a, b) {
        (AttributeValue::S(a), AttributeValue::S(b)) => a.as_bytes().cmp(b.as_bytes()),
        (AttributeValue::B(a), AttributeValue::B(b)) => a.as_ref().cmp(b.as_ref()),
        (AttributeValue::N(a), AttributeValue::N(b)) => compare_numbers(a, b),
        _ => Ordering::Equal,
    }
}

/// Compares two DynamoDB numbers exactly (38 significant digits do not fit an `f64`).
fn compare_numbers(a: &str, b: &str) -> Ordering {
    struct Decimal<'a> {
        negative: bool,
        integer: &'a str,
        fraction: &'a str,
    }
    fn parse(n: &str) -> Option<Decimal<'_>> {
        if n.contains(['e', 'E']) {
            return None;
        }
        let (negative, n) = match n.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, n.strip_prefix('+').unwrap_or(n)),
        };
        let (integer, fraction) = n.split_once('.').unwrap_or((n, ""));
        let integer = integer.trim_start_matches('0');
        let fraction = fraction.trim_end_matches('0');
        let zero = integer.is_empty() && fraction.is_empty();
        Some(Decimal {
            negative: negative && !zero,
            integer,
            fraction,
        })
    }
    let (Some(x), Some(y)) = (parse(a), parse(b)) else {
        let (x, y) = (a.parse::<f64>(), b.parse::<f64>());
        return match (x, y) {
            (Ok(x), Ok(y)) => x.total_cmp(&y),
            _ => a.cmp(b),
        };
    };
    let magnitude = x
        .integer
        .len()
        .cmp(&y.integer.len())
        .then_with(|| x.integer.cmp(y.integer))
        .then_with(|| x.fraction.cmp(y.fraction));
    match (x.negative, y.negative) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

/// The cursor's item for `positions`; empty when every shard is read.
pub(crate) fn encode(positions: &[Position]) -> Item {
    let mut item = Item::new();
    for (shard, position) in positions {
        match position {
            None => {
                item.insert(shard.to_string(), AttributeValue::S(String::new()));
            }
            Some(key) => {
                for (name, value) in key {
                    item.insert(format!("{shard}/{name}"), value.clone());
                }
            }
        }
    }
    item
}

/// The positions in a cursor's item, for `shards` shards; `None` when it is not such a cursor.
pub(crate) fn decode(item: &Item, shards: usize) -> Option<Vec<Position>> {
    let mut positions: Vec<Option<Option<Item>>> = vec![None; shards];
    for (name, value) in item {
        let (shard, attribute) = match name.split_once('/') {
            Some((shard, attribute)) => (shard, Some(attribute)),
            None => (name.as_str(), None),
        };
        let shard: usize = shard.parse().ok().filter(|s| *s < shards)?;
        let slot = &mut positions[shard];
        match attribute {
            None if slot.is_none() => *slot = Some(None),
            Some(attribute) => {
                let key = match slot {
                    None => slot.insert(Some(Item::new())),
                    Some(key) => key,
                };
                key.as_mut()?.insert(attribute.to_owned(), value.clone());
            }
            None => return None,
        }
    }
    Some(
        positions
            .into_iter()
            .enumerate()
            .filter_map(|(shard, p)| Some((shard, p?)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pk: &str, sk: &str) -> Item {
        [
            ("pk".to_owned(), AttributeValue::S(pk.into())),
            ("sk".to_owned(), AttributeValue::S(sk.into())),
        ]
        .into()
    }

    fn sks(items: &[Item]) -> Vec<&str> {
        items
            .iter()
            .map(|i| i["sk"].as_s().map(String::as_str).unwrap_or(""))
            .collect()
    }

    #[test]
    fn a_round_returns_only_what_no_unread_item_precedes() {
        let pages = vec![
            ShardPage {
                shard: 0,
                start: None,
                items: vec![item("p0", "a"), item("p0", "d"), item("p0", "g")],
                last_evaluated_key: Some(item("p0", "g")),
            },
            ShardPage {
                shard: 1,
                start: None,
                items: vec![item("p1", "b"), item("p1", "c")],
                last_evaluated_key: Some(item("p1", "c")),
            },
            ShardPage {
                shard: 2,
                start: None,
                items: vec![item("p2", "c"), item("p2", "e")],
                last_evaluated_key: None,
            },
        ];
        let (items, next) = merge(pages, Some("sk"), &["pk", "sk"], false);
        // Shard 1 stopped at "c": nothing after it is returned yet.
        assert_eq!(sks(&items), ["a", "b", "c", "c"]);
        assert_eq!(
            next,
            vec![
                (0, Some(item("p0", "a"))),
                (1, Some(item("p1", "c"))),
                (2, Some(item("p2", "c"))),
            ]
        );
    }

    #[test]
    fn descending_rounds_keep_the_largest_first() {
        let pages = vec![
            ShardPage {
                shard: 0,
                start: Some(item("p0", "z")),
                items: vec![item("p0", "g"), item("p0", "a")],
                last_evaluated_key: None,
            },
            ShardPage {
                shard: 1,
                start: None,
                items: vec![item("p1", "h"), item("p1", "f")],
                last_evaluated_key: Some(item("p1", "f")),
            },
        ];
        let (items, next) = merge(pages, Some("sk"), &["pk", "sk"], true);
        assert_eq!(sks(&items), ["h", "g", "f"]);
        assert_eq!(
            next,
            vec![(0, Some(item("p0", "g"))), (1, Some(item("p1", "f")))]
        );
        // A shard that returned nothing keeps its start.
        let pages = vec![
            ShardPage {
                shard: 0,
                start: Some(item("p0", "z")),
                items: vec![item("p0", "a")],
                last_evaluated_key: None,
            },
            ShardPage {
                shard: 1,
                start: None,
                items: vec![item("p1", "f")],
                last_evaluated_key: Some(item("p1", "f")),
            },
        ];
        let (items, next) = merge(pages, Some("sk"), &["pk", "sk"], true);
        assert_eq!(sks(&items), ["f"]);
        assert_eq!(
            next,
            vec![(0, Some(item("p0", "z"))), (1, Some(item("p1", "f")))]
        );
    }

    #[test]
    fn without_more_to_read_everything_is_returned() {
        let pages = vec![
            ShardPage {
                shard: 0,
                start: None,
                items: vec![item("p0", "b")],
                last_evaluated_key: None,
            },
            ShardPage {
                shard: 1,
                start: None,
                items: vec![item("p1", "a")],
                last_evaluated_key: None,
            },
        ];
        let (items, next) = merge(pages, Some("sk"), &["pk", "sk"], false);
        assert_eq!(sks(&items), ["a", "b"]);
        assert!(next.is_empty());
    }

    #[test]
    fn numbers_compare_by_value() {
        let n = |s: &str| AttributeValue::N(s.into());
        let ordered = [
            "-100",
            "-9.5",
            "-1",
            "0",
            "0.001",
            "1",
            "1.5",
            "9",
            "10",
            "12345678901234567890123",
            "12345678901234567890124",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(
                compare(&n(pair[0]), &n(pair[1])),
                Ordering::Less,
                "{pair:?}"
            );
        }
        assert_eq!(compare(&n("1.50"), &n("1.5")), Ordering::Equal);
        assert_eq!(compare(&n("-0"), &n("0")), Ordering::Equal);
        assert_eq!(compare(&n("1E+2"), &n("99")), Ordering::Greater);
    }

    #[test]
    fn positions_round_trip_through_the_cursor() {
        let positions = vec![(0, None), (3, Some(item("p3", "x"))), (7, None)];
        let encoded = encode(&positions);
        assert_eq!(decode(&encoded, 8), Some(positions));
        assert_eq!(decode(&encoded, 4), None, "shard 7 of 4");
        assert_eq!(decode(&item("pk", "sk"), 8), None, "a one-partition cursor");
        assert!(encode(&[]).is_empty());
    }
}
