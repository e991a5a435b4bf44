//! Why a condition failed: the typed condition evaluated again, locally, against the item as
//! DynamoDB had it (`ReturnValuesOnConditionCheckFailure`, free on failure), naming each clause
//! that was false with the value found.
//!
//! DynamoDB only says "the conditional request failed". With the condition and the old item,
//! this module says `status = "HOLD" was false: found "CONFIRMED"`, `version: expected 3, found
//! 5`, or `the item does not exist`.

use super::{Condition, Node, Operand, Path, Segment};
use crate::mapping::item::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use std::cmp::Ordering;
use std::fmt;

/// Why a condition did not hold for an item: every clause that was false, with what was found.
///
/// ```
/// use dynamo_core::expr::Path;
/// use dynamo_core::{AttributeValue, Item};
///
/// let condition = Path::new("status").eq("HOLD").and(Path::new("seats").lt(5));
/// let mut item = Item::new();
/// item.insert("status".into(), AttributeValue::S("CONFIRMED".into()));
/// item.insert("seats".into(), AttributeValue::N("2".into()));
/// let failure = condition.explain(Some(&item)).expect("the condition is false");
/// assert_eq!(failure.to_string(), r#"status = "HOLD" was false: found "CONFIRMED""#);
/// assert_eq!(
///     condition.explain(None).expect("false").to_string(),
///     "the item does not exist"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionFailure {
    clauses: Vec<String>,
    item_missing: bool,
}

impl ConditionFailure {
    /// Each false clause, explained.
    pub fn clauses(&self) -> &[String] {
        &self.clauses
    }

    /// Whether the item did not exist.
    pub fn item_missing(&self) -> bool {
        self.item_missing
    }

    pub(crate) fn missing() -> Self {
        ConditionFailure {
            clauses: vec!["the item does not exist".to_owned()],
            item_missing: true,
        }
    }

    /// DynamoDB found the condition false, but evaluated here it holds (e.g. the item changed
    /// between the write and the read of its old value).
    pub(crate) fn unexplained() -> Self {
        ConditionFailure {
            clauses: vec![
                "DynamoDB found the condition false, but it holds for the item it returned"
                    .to_owned(),
            ],
            item_missing: false,
        }
    }
}

impl fmt::Display for ConditionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.clauses.join("; "))
    }
}

/// What the explanation knows of the entity: its key and version attributes, for the plainer
/// wording of the conditions the library adds itself.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Roles<'a> {
    pub(crate) partition_key: Option<&'a str>,
    pub(crate) version: Option<&'a str>,
    /// The schema version attribute, for a versioned entity.
    pub(crate) schema_version: Option<&'a str>,
}

impl Condition {
    /// Evaluates the condition against `item` (`None`: no such item) as DynamoDB would, and
    /// explains why it is false; `None` when it holds.
    pub fn explain(&self, item: Option<&Item>) -> Option<ConditionFailure> {
        self.explain_with(item, Roles::default())
    }

    pub(crate) fn explain_with(
        &self,
        item: Option<&Item>,
        roles: Roles<'_>,
    ) -> Option<ConditionFailure> {
        let Some(item) = item else {
            return (!holds(&self.0, &Item::new())).then(ConditionFailure::missing);
        };
        let mut clauses = Vec::new();
        false_clauses(&self.0, item, roles, &mut clauses);
        (!clauses.is_empty()).then_some(ConditionFailure {
            clauses,
            item_missing: false,
        })
    }
}

/// Explains each false clause of `node` into `out`; nothing when it holds.
fn false_clauses(node: &Node, item: &Item, roles: Roles<'_>, out: &mut Vec<String>) {
    if holds(node, item) {
        return;
    }
    match node {
        Node::And(nodes) => {
            for node in nodes {
                false_clauses(node, item, roles, out);
            }
        }
        Node::Or(nodes) => {
            let mut reasons = Vec::new();
            for node in nodes {
                false_clauses(node, item, roles, &mut reasons);
            }
            out.push(format!("none of these held: {}", reasons.join("; ")));
        }
        node => out.push(explain_clause(node, item, roles)),
    }
}

/// One false clause in words.
fn explain_clause(node: &Node, item: &Item, roles: Roles<'_>) -> String {
    let is = |path: &Path, role: Option<&str>| role.is_some_and(|r| path.is_attribute(r));
    match node {
        Node::Compare(Operand::Path(path), "=", Operand::Value(expected))
            if is(path, roles.version) =>
        {
            format!(
                "{path}: expected {}, found {}",
                show(expected),
                found(resolve(item, path))
            )
        }
        Node::Compare(Operand::Path(path), "=", Operand::Value(expected))
            if is(path, roles.schema_version) =>
        {
            let stored = match resolve(item, path) {
                Some(AttributeValue::N(n)) => n,
                None => "1 (no version attribute)".to_owned(),
                other => found(other),
            };
            format!(
                "the item is of schema version {stored}, and the write applies to items of version {} only: put the item whole (read, it is upgraded), or backfill the table first",
                show(expected)
            )
        }
        Node::NotExists(path) if is(path, roles.partition_key) => {
            "the item already exists".to_owned()
        }
        Node::Exists(path) if is(path, roles.partition_key) => "the item does not exist".to_owned(),
        Node::Exists(_) => format!("{} was false: no such attribute", describe(node)),
        Node::NotExists(path) => format!(
            "{} was false: found {}",
            describe(node),
            found(resolve(item, path))
        ),
        Node::Not(inner) => format!("{} was false: {} held", describe(node), describe(inner)),
        _ => {
            let subject = subject(node).map(|operand| operand_value(item, operand));
            match subject {
                Some(value) => format!("{} was false: found {}", describe(node), found(value)),
                None => format!("{} was false", describe(node)),
            }
        }
    }
}

/// The operand a clause is about (its left side), to show what was found.
fn subject(node: &Node) -> Option<&Operand> {
    match node {
        Node::Compare(a, _, _) | Node::Between(a, _, _) | Node::In(a, _) => Some(a),
        _ => None,
    }
}

fn found(value: Option<AttributeValue>) -> String {
    value.map_or_else(|| "no attribute".to_owned(), |v| show(&v))
}

/// The condition as a person writes it: names and values, no placeholders.
fn describe(node: &Node) -> String {
    match node {
        Node::Compare(a, op, b) => format!("{} {op} {}", operand(a), operand(b)),
        Node::Between(a, lo, hi) => {
            format!("{} BETWEEN {} AND {}", operand(a), operand(lo), operand(hi))
        }
        Node::In(a, list) => format!(
            "{} IN ({})",
            operand(a),
            list.iter().map(operand).collect::<Vec<_>>().join(", ")
        ),
        Node::Exists(p) => format!("attribute_exists({p})"),
        Node::NotExists(p) => format!("attribute_not_exists({p})"),
        Node::BeginsWith(p, v) => format!("begins_with({p}, {})", operand(v)),
        Node::Contains(p, v) => format!("contains({p}, {})", operand(v)),
        Node::And(nodes) => join(nodes, " AND "),
        Node::Or(nodes) => join(nodes, " OR "),
        Node::Not(node) => format!("NOT {}", describe(node)),
    }
}

fn join(nodes: &[Node], sep: &str) -> String {
    format!(
        "({})",
        nodes.iter().map(describe).collect::<Vec<_>>().join(sep)
    )
}

fn operand(operand: &Operand) -> String {
    match operand {
        Operand::Path(p) => p.to_string(),
        Operand::Value(v) => show(v),
        Operand::Size(p) => format!("size({p})"),
        Operand::Invalid(_) => "an invalid value".to_owned(),
    }
}

/// A value for a message: strings quoted and cut at 40 characters, collections by size.
fn show(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("\"{}\"", crate::mapping::error::truncate(s)),
        AttributeValue::N(n) => n.clone(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null(_) => "null".to_owned(),
        AttributeValue::B(b) => format!("{} bytes", b.as_ref().len()),
        AttributeValue::L(l) => format!("a list of {}", l.len()),
        AttributeValue::M(m) => format!("a map of {}", m.len()),
        AttributeValue::Ss(s) => format!("a string set of {}", s.len()),
        AttributeValue::Ns(s) => format!("a number set of {}", s.len()),
        AttributeValue::Bs(s) => format!("a binary set of {}", s.len()),
        _ => "a value".to_owned(),
    }
}

/// The value at `path` in `item`.
fn resolve(item: &Item, path: &Path) -> Option<AttributeValue> {
    let mut segments = path.segments();
    let Some(Segment::Name(first)) = segments.next() else {
        return None;
    };
    let mut value = item.get(first.as_ref())?;
    for segment in segments {
        value = match (segment, value) {
            (Segment::Name(name), AttributeValue::M(map)) => map.get(name.as_ref())?,
            (Segment::Index(i), AttributeValue::L(list)) => list.get(*i)?,
            _ => return None,
        };
    }
    Some(value.clone())
}

fn operand_value(item: &Item, operand: &Operand) -> Option<AttributeValue> {
    match operand {
        Operand::Path(p) => resolve(item, p),
        Operand::Value(v) => Some(v.clone()),
        Operand::Size(p) => size(&resolve(item, p)?).map(|n| AttributeValue::N(n.to_string())),
        Operand::Invalid(_) => None,
    }
}

/// DynamoDB's `size()`: bytes of a string or binary, elements of a set, list or map.
fn size(value: &AttributeValue) -> Option<usize> {
    Some(match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::M(m) => m.len(),
        AttributeValue::Ss(s) => s.len(),
        AttributeValue::Ns(s) => s.len(),
        AttributeValue::Bs(s) => s.len(),
        _ => return None,
    })
}

/// Whether `node` holds for `item`, with DynamoDB's semantics: a missing attribute makes a
/// comparison false, values of different types are never equal nor ordered.
fn holds(node: &Node, item: &Item) -> bool {
    match node {
        Node::Compare(a, op, b) => {
            let (Some(a), Some(b)) = (operand_value(item, a), operand_value(item, b)) else {
                return false;
            };
            match *op {
                "=" => equal(&a, &b),
                "<>" => !equal(&a, &b),
                op => compare(&a, &b).is_some_and(|ord| match op {
                    "<" => ord == Ordering::Less,
                    "<=" => ord != Ordering::Greater,
                    ">" => ord == Ordering::Greater,
                    ">=" => ord != Ordering::Less,
                    _ => false,
                }),
            }
        }
        Node::Between(a, lo, hi) => {
            let values = (
                operand_value(item, a),
                operand_value(item, lo),
                operand_value(item, hi),
            );
            let (Some(a), Some(lo), Some(hi)) = values else {
                return false;
            };
            compare(&a, &lo).is_some_and(|o| o != Ordering::Less)
                && compare(&a, &hi).is_some_and(|o| o != Ordering::Greater)
        }
        Node::In(a, list) => operand_value(item, a).is_some_and(|a| {
            list.iter()
                .filter_map(|v| operand_value(item, v))
                .any(|v| equal(&a, &v))
        }),
        Node::Exists(p) => resolve(item, p).is_some(),
        Node::NotExists(p) => resolve(item, p).is_none(),
        Node::BeginsWith(p, v) => match (resolve(item, p), operand_value(item, v)) {
            (Some(AttributeValue::S(s)), Some(AttributeValue::S(prefix))) => {
                s.starts_with(prefix.as_str())
            }
            (Some(AttributeValue::B(b)), Some(AttributeValue::B(prefix))) => {
                b.as_ref().starts_with(prefix.as_ref())
            }
            _ => false,
        },
        Node::Contains(p, v) => match (resolve(item, p), operand_value(item, v)) {
            (Some(AttributeValue::S(s)), Some(AttributeValue::S(part))) => s.contains(&part),
            (Some(AttributeValue::Ss(set)), Some(AttributeValue::S(member))) => {
                set.contains(&member)
            }
            (Some(AttributeValue::Ns(set)), Some(AttributeValue::N(member))) => set
                .iter()
                .any(|n| compare_numbers(n, &member) == Some(Ordering::Equal)),
            (Some(AttributeValue::Bs(set)), Some(AttributeValue::B(member))) => {
                set.contains(&member)
            }
            (Some(AttributeValue::L(list)), Some(member)) => list.iter().any(|v| equal(v, &member)),
            _ => false,
        },
        Node::And(nodes) => nodes.iter().all(|n| holds(n, item)),
        Node::Or(nodes) => nodes.iter().any(|n| holds(n, item)),
        Node::Not(node) => !holds(node, item),
    }
}

/// Equality as DynamoDB has it: numbers by value, sets regardless of order.
fn equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue::*;
    match (a, b) {
        (N(a), N(b)) => compare_numbers(a, b) == Some(Ordering::Equal),
        (Ns(a), Ns(b)) => {
            a.len() == b.len()
                && a.iter().all(|x| {
                    b.iter()
                        .any(|y| compare_numbers(x, y) == Some(Ordering::Equal))
                })
        }
        (Ss(a), Ss(b)) => a.len() == b.len() && a.iter().all(|x| b.contains(x)),
        (Bs(a), Bs(b)) => a.len() == b.len() && a.iter().all(|x| b.contains(x)),
        (L(a), L(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equal(x, y)),
        (M(a), M(b)) => {
            a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| equal(x, y)))
        }
        (a, b) => a == b,
    }
}

/// Order as DynamoDB has it: numbers by value, strings and binaries byte by byte; other types
/// and mixed types are not ordered.
fn compare(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::N(a), AttributeValue::N(b)) => compare_numbers(a, b),
        (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (AttributeValue::B(a), AttributeValue::B(b)) => Some(a.as_ref().cmp(b.as_ref())),
        _ => None,
    }
}

/// Compares two decimal numbers as DynamoDB stores them (up to 38 digits, optional sign,
/// fraction and exponent) exactly, without going through floating point.
fn compare_numbers(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (Decimal::parse(a)?, Decimal::parse(b)?);
    Some(a.cmp(&b))
}

/// A decimal as sign, digits without leading or trailing zeros, and the power of ten of the
/// first digit.
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    fn parse(s: &str) -> Option<Decimal> {
        let s = s.trim();
        let (negative, s) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exp) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i64>().ok()?),
            None => (s, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let leading = all.iter().take_while(|d| **d == 0).count();
        let mut digits = all[leading..].to_vec();
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        let exponent = i64::try_from(int.len()).ok()? - i64::try_from(leading).ok()? + exp;
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    fn magnitude(&self, other: &Self) -> Ordering {
        self.exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |d: &Decimal| match (d.digits.is_empty(), d.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => match sign(self) {
                0 => Ordering::Equal,
                1 => self.magnitude(other),
                _ => other.magnitude(self),
            },
            unequal => unequal,
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Path;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_owned())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.to_owned())
    }

    #[test]
    fn numbers_compare_by_value() {
        for (a, b, ord) in [
            ("10", "9", Ordering::Greater),
            ("-10", "9", Ordering::Less),
            ("-10", "-9", Ordering::Less),
            ("1.50", "1.5", Ordering::Equal),
            ("0.001", "1e-3", Ordering::Equal),
            ("0", "-0.0", Ordering::Equal),
            (
                "12345678901234567890123456789012345678",
                "1.2345678901234567890123456789012345677E37",
                Ordering::Greater,
            ),
            ("0.1", "0.09", Ordering::Greater),
        ] {
            assert_eq!(compare_numbers(a, b), Some(ord), "{a} vs {b}");
        }
    }

    #[test]
    fn each_false_clause_is_named_with_what_was_found() {
        let hold = item(&[
            ("status", s("CONFIRMED")),
            ("seats", n("12")),
            ("tags", AttributeValue::Ss(vec!["vip".into()])),
        ]);
        let condition = Path::new("status")
            .eq("HOLD")
            .and(Path::new("seats").lt(10))
            .and(Path::new("tags").contains("vip"))
            .and(Path::new("holder").exists());
        let failure = condition.explain(Some(&hold)).expect("false");
        assert_eq!(
            failure.clauses(),
            [
                r#"status = "HOLD" was false: found "CONFIRMED""#,
                "seats < 10 was false: found 12",
                "attribute_exists(holder) was false: no such attribute",
            ]
        );
        assert!(
            Path::new("seats")
                .between(10, 20)
                .explain(Some(&hold))
                .is_none()
        );
        let either = Path::new("status").eq("HOLD").or(Path::new("seats").gt(20));
        assert_eq!(
            either.explain(Some(&hold)).expect("false").to_string(),
            r#"none of these held: status = "HOLD" was false: found "CONFIRMED"; seats > 20 was false: found 12"#
        );
    }

    #[test]
    fn library_conditions_are_worded_plainly() {
        let roles = Roles {
            partition_key: Some("pk"),
            version: Some("version"),
            schema_version: Some("_v"),
        };
        let stored = item(&[("pk", s("a")), ("version", n("5"))]);
        let versioned = Path::new("version").eq(3u64);
        assert_eq!(
            versioned
                .explain_with(Some(&stored), roles)
                .expect("false")
                .to_string(),
            "version: expected 3, found 5"
        );
        let current = Path::new("_v").eq(3u32);
        assert_eq!(
            current
                .explain_with(Some(&stored), roles)
                .expect("false")
                .to_string(),
            "the item is of schema version 1 (no version attribute), and the write applies to items of version 3 only: put the item whole (read, it is upgraded), or backfill the table first"
        );
        let create = Path::new("pk").not_exists();
        assert_eq!(
            create
                .explain_with(Some(&stored), roles)
                .expect("false")
                .to_string(),
            "the item already exists"
        );
        let update = Path::new("pk").exists();
        let missing = update.explain_with(None, roles).expect("false");
        assert!(missing.item_missing());
        assert_eq!(missing.to_string(), "the item does not exist");
        assert!(
            create.explain_with(None, roles).is_none(),
            "holds on no item"
        );
    }

    #[test]
    fn paths_into_maps_and_lists_and_sizes() {
        let venue = item(&[
            (
                "address",
                AttributeValue::M([("city".to_owned(), s("Seoul"))].into()),
            ),
            ("seats", AttributeValue::L(vec![s("A-1"), s("A-2")])),
        ]);
        assert!(
            Path::new("address")
                .key("city")
                .eq("Seoul")
                .explain(Some(&venue))
                .is_none()
        );
        assert!(
            Path::new("seats")
                .index(1)
                .eq("A-2")
                .explain(Some(&venue))
                .is_none()
        );
        assert_eq!(
            Path::new("seats")
                .size()
                .gt(2)
                .explain(Some(&venue))
                .expect("false")
                .to_string(),
            "size(seats) > 2 was false: found 2"
        );
        assert!(
            Path::new("seats")
                .contains("A-1")
                .explain(Some(&venue))
                .is_none()
        );
        assert!(
            Path::new("address")
                .key("city")
                .begins_with("Se")
                .explain(Some(&venue))
                .is_none()
        );
    }
}
