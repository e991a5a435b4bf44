//! [`ConditionCheck`]: a condition on an item, inside a transaction.

use super::Table;
use super::write::{Body, Write, WriteRequest};
use crate::error::{Error, Operation};
use crate::expr::Condition;
use crate::mapping::entity::Entity;

/// A condition the item of a key must meet for a transaction to commit, without writing the
/// item. Built by [`Table::condition_check`]; only ever added to a
/// [`TransactWrite`](crate::TransactWrite).
///
/// ```no_run
/// # use dynamo_core::{DynamoEntity, Table, TransactWrite};
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "events")] struct Event { #[pk] event_id: String, on_sale: bool }
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "holds")] struct Hold { #[pk] id: String, event_id: String }
/// # async fn f(client: &dynamo_core::Client, events: Table<Event>, holds: Table<Hold>) -> Result<(), dynamo_core::Error> {
/// let mut tx = TransactWrite::new(client);
/// let on_sale = tx.add(events.condition_check(EventKey::new("e1"), Event::fields().on_sale.eq(true)));
/// tx.add(holds.put(Hold { id: "h1".into(), event_id: "e1".into() }).create_only());
/// if let Err(e) = tx.send().await {
///     if e.cancellation().is_some_and(|c| c.condition_failed(on_sale)) {
///         // the event is not on sale
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "a condition check does nothing until it is added to a transaction"]
pub struct ConditionCheck<E: Entity> {
    table: Table<E>,
    key: E::Key,
    condition: Condition,
}

impl<E: Entity> ConditionCheck<E> {
    pub(crate) fn new(table: &Table<E>, key: E::Key, condition: Condition) -> Self {
        ConditionCheck {
            table: table.clone(),
            key,
            condition,
        }
    }
}

impl<E: Entity> Write for ConditionCheck<E> {
    type Entity = E;
}

impl<E: Entity> super::write::sealed::Sealed for ConditionCheck<E> {
    fn into_requests(self) -> Result<Vec<WriteRequest>, Error> {
        let table = &self.table;
        let key = table.key_item(Operation::TransactWriteItems, self.key)?;
        let must_exist = self
            .condition
            .requires_attribute(E::SCHEMA.partition_key.attribute);
        Ok(vec![WriteRequest::new(
            table,
            Body::ConditionCheck,
            key,
            Some(self.condition),
            must_exist,
        )])
    }
}
