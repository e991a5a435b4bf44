//! Consumed capacity: what an operation cost, for the table and each index, when it was asked
//! for (`return_consumed_capacity()`, or the `send_with_capacity()` of single-item operations).
//! The operation's tracing span records the total in its `consumed_capacity` field.

use aws_sdk_dynamodb::types::{ConsumedCapacity as SdkCapacity, ReturnConsumedCapacity};

/// The capacity units one operation consumed on one table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConsumedCapacity {
    /// The table.
    pub table: String,
    /// Units in all, table and indexes.
    pub capacity_units: f64,
    /// Read units, when DynamoDB split them.
    pub read_capacity_units: Option<f64>,
    /// Write units, when DynamoDB split them.
    pub write_capacity_units: Option<f64>,
    /// Units on the table itself.
    pub table_units: Option<f64>,
    /// Units on each index: `(name, units)`, global and local.
    pub indexes: Vec<(String, f64)>,
}

impl ConsumedCapacity {
    pub(crate) fn from_sdk(c: &SdkCapacity) -> Self {
        let mut indexes: Vec<(String, f64)> = c
            .global_secondary_indexes()
            .into_iter()
            .chain(c.local_secondary_indexes())
            .flatten()
            .map(|(name, cap)| (name.clone(), cap.capacity_units().unwrap_or_default()))
            .collect();
        indexes.sort_by(|a, b| a.0.cmp(&b.0));
        ConsumedCapacity {
            table: c.table_name().unwrap_or_default().to_owned(),
            capacity_units: c.capacity_units().unwrap_or_default(),
            read_capacity_units: c.read_capacity_units(),
            write_capacity_units: c.write_capacity_units(),
            table_units: c.table().and_then(|t| t.capacity_units()),
            indexes,
        }
    }

    /// Adds `other` (same table) into this one, e.g. over the pages of a query.
    pub(crate) fn add(&mut self, other: &ConsumedCapacity) {
        fn sum(a: Option<f64>, b: Option<f64>) -> Option<f64> {
            match (a, b) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or_default() + b.unwrap_or_default()),
            }
        }
        self.capacity_units += other.capacity_units;
        self.read_capacity_units = sum(self.read_capacity_units, other.read_capacity_units);
        self.write_capacity_units = sum(self.write_capacity_units, other.write_capacity_units);
        self.table_units = sum(self.table_units, other.table_units);
        for (name, units) in &other.indexes {
            match self.indexes.iter_mut().find(|(n, _)| n == name) {
                Some((_, total)) => *total += units,
                None => self.indexes.push((name.clone(), *units)),
            }
        }
    }

    /// Adds each of `more` to the entry of its table in `totals`.
    pub(crate) fn merge_into(totals: &mut Vec<ConsumedCapacity>, more: &[SdkCapacity]) {
        for c in more.iter().map(ConsumedCapacity::from_sdk) {
            match totals.iter_mut().find(|t| t.table == c.table) {
                Some(total) => total.add(&c),
                None => totals.push(c),
            }
        }
    }
}

/// A result with the capacity its operation consumed.
#[derive(Debug, Clone, PartialEq)]
pub struct WithCapacity<T> {
    /// What the operation returned.
    pub value: T,
    /// What it cost (`None` when DynamoDB did not say, as DynamoDB Local sometimes does not).
    pub capacity: Option<ConsumedCapacity>,
}

/// The request setting: indexes too, so the per-index cost is known.
pub(crate) fn level(requested: bool) -> Option<ReturnConsumedCapacity> {
    requested.then_some(ReturnConsumedCapacity::Indexes)
}

/// Records the units on the current operation's span.
pub(crate) fn record(span: &tracing::Span, capacity: Option<&ConsumedCapacity>) {
    if let Some(c) = capacity {
        span.record("consumed_capacity", c.capacity_units);
    }
}
