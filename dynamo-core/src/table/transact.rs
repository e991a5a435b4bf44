//! Transactions: [`TransactWrite`] (TransactWriteItems) across tables and entity types, with
//! cancellation reasons mapped to the item that failed, and [`TransactGet`].

use super::capacity::{self, ConsumedCapacity};
use crate::error::{CancellationReason, Error, Operation};
use crate::expr::{Condition, ConditionFailure, Path, Placeholders, Roles, Update};
use crate::mapping::entity::{Entity, Item};
use crate::mapping::value::ValueOf;
use crate::table::{FromItem, Table, and, partition_key_path, span, versioned};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Get, Put, ReturnValuesOnConditionCheckFailure, TransactGetItem,
    TransactWriteItem, Update as SdkUpdate,
};
use std::sync::Arc;
use tracing::Instrument;

/// DynamoDB's limit of items per transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

struct Entry {
    item: TransactWriteItem,
    table: Arc<str>,
    action: &'static str,
    /// The item's condition, to explain its failure.
    condition: Option<Condition>,
    roles: Roles<'static>,
}

/// What a cancellation reason is matched with: the item's table, action and condition.
type Meta = (Arc<str>, &'static str, Option<Condition>, Roles<'static>);

/// A TransactWriteItems request: all of its writes happen, or none.
///
/// ```no_run
/// # use dynamo_core::{DynamoEntity, Table, TransactWrite};
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "seats")] struct Seat { #[pk] id: String, holder: Option<String> }
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "holds")] struct Hold { #[pk] id: String }
/// # async fn f(client: aws_sdk_dynamodb::Client, seats: Table<Seat>, holds: Table<Hold>) -> Result<(), dynamo_core::Error> {
/// let seat = Seat::fields();
/// TransactWrite::new(&client)
///     .update(&seats, SeatKey::new("A-1"), |u| u.set(seat.holder, "h1"), Some(seat.holder.not_exists()))
///     .put(&holds, Hold { id: "h1".into() })
///     .client_request_token("h1")
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a transaction does nothing until it is sent"]
pub struct TransactWrite {
    client: Client,
    entries: Vec<Entry>,
    token: Option<String>,
    error: Option<Error>,
}

/// Renders an optional condition and an optional update into one set of placeholders.
fn expressions(
    table: &str,
    update: Option<&Update>,
    condition: Option<&Condition>,
) -> Result<(Option<String>, Option<String>, Placeholders), Error> {
    let op = Operation::TransactWriteItems;
    let mut p = Placeholders::default();
    let update = update
        .map(|u| p.update(u))
        .transpose()
        .map_err(|e| Error::invalid_value(table, op, &e))?;
    let condition = condition
        .map(|c| p.condition(c))
        .transpose()
        .map_err(|e| Error::invalid_value(table, op, &e))?;
    Ok((update, condition, p))
}

impl TransactWrite {
    /// An empty transaction.
    pub fn new(client: &Client) -> Self {
        TransactWrite {
            client: client.clone(),
            entries: Vec::new(),
            token: None,
            error: None,
        }
    }

    /// The number of items so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no item was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn push<E: Entity>(
        mut self,
        table: &Arc<str>,
        action: &'static str,
        item: Result<TransactWriteItem, Error>,
        condition: Option<Condition>,
    ) -> Self {
        match item {
            Ok(item) => self.entries.push(Entry {
                item,
                table: table.clone(),
                action,
                condition,
                roles: Table::<E>::roles(),
            }),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Puts an entity (conditional on its `#[version]`, if it has one).
    pub fn put<E: Entity>(self, table: &Table<E>, entity: E) -> Self {
        self.put_if(table, entity, None)
    }

    /// Puts an entity if `condition` holds.
    pub fn put_if<E: Entity>(
        self,
        table: &Table<E>,
        mut entity: E,
        condition: impl Into<Option<Condition>>,
    ) -> Self {
        let op = Operation::TransactWriteItems;
        let name = table.name();
        let mut condition = condition.into();
        let item = (|| {
            let version = versioned(&mut entity).map_err(|e| Error::mapping(name, op, e))?;
            condition = and(condition.take(), version);
            let item = entity
                .into_item()
                .map_err(|e| Error::mapping(name, op, e))?;
            let (_, expr, p) = expressions(name, None, condition.as_ref())?;
            let (names, values) = p.into_parts();
            let put = Put::builder()
                .table_name(name)
                .set_item(Some(item))
                .set_condition_expression(expr)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(on_failure(condition.as_ref()))
                .build()
                .map_err(|e| Error::validation(name, op, e.to_string()))?;
            Ok(TransactWriteItem::builder().put(put).build())
        })();
        self.push::<E>(table.shared_name(), "Put", item, condition)
    }

    /// Puts an entity that must not exist yet.
    pub fn put_new<E: Entity>(self, table: &Table<E>, entity: E) -> Self {
        self.put_if(table, entity, partition_key_path::<E>().not_exists())
    }

    /// Updates the item of `key`, which must exist, with the actions `build` adds, if
    /// `condition` holds. A missing item cancels the transaction (its reason says the item
    /// does not exist); [`upsert`](Self::upsert) creates it instead.
    pub fn update<E: Entity>(
        self,
        table: &Table<E>,
        key: E::Key,
        build: impl FnOnce(TransactUpdate<E>) -> TransactUpdate<E>,
        condition: impl Into<Option<Condition>>,
    ) -> Self {
        let exists = partition_key_path::<E>().exists();
        self.update_item(table, key, build, and(Some(exists), condition.into()))
    }

    /// Updates the item of `key` with the actions `build` adds, creating it when it does not
    /// exist, if `condition` holds. An item created this way holds only its key and what the
    /// update sets (see [`UpdateItem::upsert`](crate::UpdateItem::upsert)).
    pub fn upsert<E: Entity>(
        self,
        table: &Table<E>,
        key: E::Key,
        build: impl FnOnce(TransactUpdate<E>) -> TransactUpdate<E>,
        condition: impl Into<Option<Condition>>,
    ) -> Self {
        self.update_item(table, key, build, condition.into())
    }

    fn update_item<E: Entity>(
        self,
        table: &Table<E>,
        key: E::Key,
        build: impl FnOnce(TransactUpdate<E>) -> TransactUpdate<E>,
        condition: Option<Condition>,
    ) -> Self {
        let op = Operation::TransactWriteItems;
        let name = table.name();
        let built = build(TransactUpdate {
            update: Update::new(),
            key: key.clone(),
            error: None,
        });
        let mut update = built.update;
        if let Some(attribute) = E::SCHEMA.version_attribute {
            update = update.add(Path::new(attribute), 1u64);
        }
        let item = (|| {
            if let Some(e) = built.error {
                return Err(Error::mapping(name, op, e));
            }
            let key = table.key_item(op, key)?;
            let (update, expr, p) = expressions(name, Some(&update), condition.as_ref())?;
            let (names, values) = p.into_parts();
            let update = SdkUpdate::builder()
                .table_name(name)
                .set_key(Some(key))
                .set_update_expression(update)
                .set_condition_expression(expr)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(on_failure(condition.as_ref()))
                .build()
                .map_err(|e| Error::validation(name, op, e.to_string()))?;
            Ok(TransactWriteItem::builder().update(update).build())
        })();
        self.push::<E>(table.shared_name(), "Update", item, condition)
    }

    /// Deletes the item of `key` if `condition` holds.
    pub fn delete<E: Entity>(
        self,
        table: &Table<E>,
        key: E::Key,
        condition: impl Into<Option<Condition>>,
    ) -> Self {
        let op = Operation::TransactWriteItems;
        let name = table.name();
        let condition = condition.into();
        let item = (|| {
            let key = table.key_item(op, key)?;
            let (_, expr, p) = expressions(name, None, condition.as_ref())?;
            let (names, values) = p.into_parts();
            let delete = Delete::builder()
                .table_name(name)
                .set_key(Some(key))
                .set_condition_expression(expr)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(on_failure(condition.as_ref()))
                .build()
                .map_err(|e| Error::validation(name, op, e.to_string()))?;
            Ok(TransactWriteItem::builder().delete(delete).build())
        })();
        self.push::<E>(table.shared_name(), "Delete", item, condition)
    }

    /// Checks that `condition` holds for the item of `key`, without writing it.
    pub fn condition_check<E: Entity>(
        self,
        table: &Table<E>,
        key: E::Key,
        condition: Condition,
    ) -> Self {
        let op = Operation::TransactWriteItems;
        let name = table.name();
        let item = (|| {
            let key = table.key_item(op, key)?;
            let (_, expr, p) = expressions(name, None, Some(&condition))?;
            let (names, values) = p.into_parts();
            let check = ConditionCheck::builder()
                .table_name(name)
                .set_key(Some(key))
                .set_condition_expression(expr)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(on_failure(Some(&condition)))
                .build()
                .map_err(|e| Error::validation(name, op, e.to_string()))?;
            Ok(TransactWriteItem::builder().condition_check(check).build())
        })();
        self.push::<E>(table.shared_name(), "ConditionCheck", item, Some(condition))
    }

    /// Makes retries idempotent: the same token within 10 minutes is one transaction.
    pub fn client_request_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Kept for compatibility: each item whose condition failed always carries its current
    /// value and the explanation now.
    #[deprecated(note = "a failed condition always carries the current item and why it failed")]
    pub fn return_old_on_condition_failure(self) -> Self {
        self
    }

    /// Sends the transaction. When it is canceled, each [`CancellationReason`] names its item
    /// and, for a failed condition, which clause was false.
    pub async fn send(self) -> Result<(), Error> {
        self.request(false).await.map(drop)
    }

    /// Sends the transaction and returns the capacity it consumed, per table.
    pub async fn send_with_capacity(self) -> Result<Vec<ConsumedCapacity>, Error> {
        self.request(true).await
    }

    async fn request(self, with_capacity: bool) -> Result<Vec<ConsumedCapacity>, Error> {
        let op = Operation::TransactWriteItems;
        let first_table = self
            .entries
            .first()
            .map(|e| e.table.clone())
            .unwrap_or_default();
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.entries.is_empty() {
            return Err(Error::validation(
                &first_table,
                op,
                "the transaction has no items",
            ));
        }
        if self.entries.len() > MAX_TRANSACTION_ITEMS {
            return Err(Error::validation(
                &first_table,
                op,
                format!(
                    "{} items; a transaction holds at most {MAX_TRANSACTION_ITEMS}",
                    self.entries.len()
                ),
            ));
        }
        let span = span(&first_table, op, Some(self.entries.len()));
        let (items, meta): (Vec<_>, Vec<Meta>) = self
            .entries
            .into_iter()
            .map(|e| (e.item, (e.table, e.action, e.condition, e.roles)))
            .unzip();
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .set_client_request_token(self.token)
            .set_return_consumed_capacity(capacity::level(with_capacity))
            .send()
            .instrument(span.clone())
            .await;
        match result {
            Ok(output) => {
                let mut totals = Vec::new();
                ConsumedCapacity::merge_into(&mut totals, output.consumed_capacity());
                let all: f64 = totals.iter().map(|c| c.capacity_units).sum();
                if !totals.is_empty() {
                    span.record("consumed_capacity", all);
                }
                Ok(totals)
            }
            Err(err) => {
                Err(canceled(&err, &meta).unwrap_or_else(|| Error::from_sdk(&first_table, op, err)))
            }
        }
    }
}

/// Asks for the old item of an item whose condition fails: free on failure.
fn on_failure(condition: Option<&Condition>) -> Option<ReturnValuesOnConditionCheckFailure> {
    condition.map(|_| ReturnValuesOnConditionCheckFailure::AllOld)
}

fn canceled<R>(
    err: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
    meta: &[Meta],
) -> Option<Error> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    let TransactWriteItemsError::TransactionCanceledException(e) = err.as_service_error()? else {
        return None;
    };
    Some(Error::TransactionCanceled {
        operation: Operation::TransactWriteItems,
        reasons: reasons(e.cancellation_reasons(), meta),
    })
}

fn reasons(
    reasons: &[aws_sdk_dynamodb::types::CancellationReason],
    meta: &[Meta],
) -> Vec<CancellationReason> {
    reasons
        .iter()
        .enumerate()
        .filter_map(|(index, r)| {
            let code = r.code().filter(|c| *c != "None")?;
            let (table, action, condition, roles) = meta
                .get(index)
                .cloned()
                .unwrap_or_else(|| (Arc::from(""), "", None, Roles::default()));
            let item = r.item().cloned().filter(|i| !i.is_empty());
            let explanation = (code == "ConditionalCheckFailed")
                .then(|| {
                    condition.as_ref().map(|c| {
                        c.explain_with(item.as_ref(), roles)
                            .unwrap_or_else(|| match &item {
                                None => ConditionFailure::missing(),
                                Some(_) => ConditionFailure::unexplained(),
                            })
                    })
                })
                .flatten();
            Some(CancellationReason {
                index,
                table: table.to_string(),
                action,
                code: code.to_owned(),
                message: r.message().map(str::to_owned),
                item,
                explanation,
            })
        })
        .collect()
}

/// The actions of an update inside a transaction, typed by the entity's fields.
pub struct TransactUpdate<E: Entity> {
    update: Update,
    key: E::Key,
    error: Option<crate::MappingError>,
}

impl<E: Entity> TransactUpdate<E> {
    /// Sets the fields an index's key templates are made of and rewrites the index keys, as
    /// [`UpdateItem::set_index_keys`](crate::UpdateItem::set_index_keys).
    pub fn set_index_keys(mut self, keys: impl crate::IndexKeys<Entity = E>) -> Self {
        self.update = crate::table::set_index_keys(self.update, &mut self.error, keys, &self.key);
        self
    }

    /// `SET attr = value`; `None` removes the attribute.
    pub fn set<T: crate::DynamoValue>(
        mut self,
        attr: crate::Attr<T>,
        value: impl ValueOf<T>,
    ) -> Self {
        self.update = self.update.set(attr, value.into_value());
        self
    }

    /// `SET attr = if_not_exists(attr, value)`.
    pub fn set_if_not_exists<T: crate::DynamoValue>(
        mut self,
        attr: crate::Attr<T>,
        value: impl ValueOf<T>,
    ) -> Self {
        self.update = self.update.set_if_not_exists(attr, value.into_value());
        self
    }

    /// `REMOVE attr`.
    pub fn remove<T>(mut self, attr: crate::Attr<T>) -> Self {
        self.update = self.update.remove(attr);
        self
    }

    /// `ADD attr value`.
    pub fn add<T: crate::DynamoValue>(
        mut self,
        attr: crate::Attr<T>,
        value: impl ValueOf<T>,
    ) -> Self {
        self.update = self.update.add(attr, value.into_value());
        self
    }

    /// Any other actions, with paths.
    pub fn actions(mut self, update: Update) -> Self {
        self.update.merge(update);
        self
    }
}

/// A TransactGetItems request: a consistent snapshot of up to 100 items of any tables.
#[must_use = "a request does nothing until it is sent"]
pub struct TransactGet {
    client: Client,
    items: Vec<(TransactGetItem, String)>,
    error: Option<Error>,
    capacity: bool,
}

/// The items of a [`TransactGet`], in request order.
#[derive(Debug)]
pub struct TransactGetOutput {
    items: Vec<(Option<Item>, String)>,
    /// What the read cost, per table, when
    /// [`return_consumed_capacity`](TransactGet::return_consumed_capacity) asked for it.
    pub consumed_capacity: Vec<ConsumedCapacity>,
}

impl TransactGet {
    /// An empty request.
    pub fn new(client: &Client) -> Self {
        TransactGet {
            client: client.clone(),
            items: Vec::new(),
            error: None,
            capacity: false,
        }
    }

    /// Reads the item of `key`.
    pub fn get<E: Entity>(mut self, table: &Table<E>, key: E::Key) -> Self {
        let op = Operation::TransactGetItems;
        let item = table.key_item(op, key).and_then(|key| {
            Get::builder()
                .table_name(table.name())
                .set_key(Some(key))
                .build()
                .map_err(|e| Error::validation(table.name(), op, e.to_string()))
        });
        match item {
            Ok(get) => self.items.push((
                TransactGetItem::builder().get(get).build(),
                table.name().to_owned(),
            )),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Asks DynamoDB for the capacity the read consumes, per table in the output.
    pub fn return_consumed_capacity(mut self) -> Self {
        self.capacity = true;
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<TransactGetOutput, Error> {
        let op = Operation::TransactGetItems;
        let first = self.items.first().map(|i| i.1.clone()).unwrap_or_default();
        if let Some(e) = self.error {
            return Err(e);
        }
        let (items, tables): (Vec<_>, Vec<_>) = self.items.into_iter().unzip();
        let output = self
            .client
            .transact_get_items()
            .set_transact_items(Some(items))
            .set_return_consumed_capacity(capacity::level(self.capacity))
            .send()
            .instrument(span(&first, op, Some(tables.len())))
            .await
            .map_err(|err| {
                use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsError;
                match err.as_service_error() {
                    Some(TransactGetItemsError::TransactionCanceledException(e)) => {
                        let meta: Vec<Meta> = tables
                            .iter()
                            .map(|t| (Arc::from(t.as_str()), "Get", None, Roles::default()))
                            .collect();
                        Error::TransactionCanceled {
                            operation: op,
                            reasons: reasons(e.cancellation_reasons(), &meta),
                        }
                    }
                    _ => Error::from_sdk(&first, op, err),
                }
            })?;
        let mut consumed_capacity = Vec::new();
        ConsumedCapacity::merge_into(&mut consumed_capacity, output.consumed_capacity());
        let responses = output.responses.unwrap_or_default();
        let items = tables
            .into_iter()
            .enumerate()
            .map(|(i, table)| {
                (
                    responses
                        .get(i)
                        .and_then(|r| r.item().cloned())
                        .filter(|i| !i.is_empty()),
                    table,
                )
            })
            .collect();
        Ok(TransactGetOutput {
            items,
            consumed_capacity,
        })
    }
}

impl TransactGetOutput {
    /// The number of items requested.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing was requested.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The `index`-th item, read as `T`; `None` when it does not exist.
    pub fn get<T: FromItem>(&self, index: usize) -> Result<Option<T>, Error> {
        let Some((item, table)) = self.items.get(index) else {
            return Ok(None);
        };
        item.clone()
            .map(T::from_item)
            .transpose()
            .map_err(|e| Error::mapping(table, Operation::TransactGetItems, e))
    }
}
