//! Transactions: [`TransactWrite`] (TransactWriteItems) across tables and entity types, with
//! cancellation reasons mapped to the item that failed, and [`TransactGet`].

use crate::error::{CancellationReason, Error, Operation};
use crate::expr::{Condition, Path, Placeholders, Update};
use crate::mapping::entity::{Entity, Item};
use crate::table::{FromItem, Table, partition_key_path, versioned};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Get, Put, ReturnValuesOnConditionCheckFailure, TransactGetItem,
    TransactWriteItem, Update as SdkUpdate,
};
use tracing::Instrument;

/// DynamoDB's limit of items per transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

struct Entry {
    item: TransactWriteItem,
    table: String,
    action: &'static str,
}

/// A TransactWriteItems request: all of its writes happen, or none.
///
/// ```no_run
/// # use dynamo_core::{DynamoEntity, Table, TransactWrite};
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "seats")] struct Seat { #[pk] id: String, holder: Option<String> }
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "holds")] struct Hold { #[pk] id: String }
/// # async fn f(client: aws_sdk_dynamodb::Client, seats: Table<Seat>, holds: Table<Hold>) -> Result<(), dynamo_core::Error> {
/// let seat = Seat::fields();
/// TransactWrite::new(&client)
///     .update(&seats, SeatKey::new("A-1"), |u| u.set(seat.holder, Some("h1".to_string())), Some(seat.holder.not_exists()))
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
    return_on_failure: bool,
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
            return_on_failure: false,
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

    fn push(
        mut self,
        table: &str,
        action: &'static str,
        item: Result<TransactWriteItem, Error>,
    ) -> Self {
        match item {
            Ok(item) => self.entries.push(Entry {
                item,
                table: table.to_owned(),
                action,
            }),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    fn failure_mode(&self) -> Option<ReturnValuesOnConditionCheckFailure> {
        self.return_on_failure
            .then_some(ReturnValuesOnConditionCheckFailure::AllOld)
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
        let mode = self.failure_mode();
        let item = (|| {
            let version = versioned(&mut entity).map_err(|e| Error::mapping(name, op, e))?;
            let condition = match (condition.into(), version) {
                (Some(a), Some(b)) => Some(a.and(b)),
                (a, b) => a.or(b),
            };
            let item = entity
                .into_item()
                .map_err(|e| Error::mapping(name, op, e))?;
            let (_, condition, p) = expressions(name, None, condition.as_ref())?;
            let (names, values) = p.into_parts();
            let put = Put::builder()
                .table_name(name)
                .set_item(Some(item))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(mode)
                .build()
                .map_err(|e| Error::validation(name, op, e.to_string()))?;
            Ok(TransactWriteItem::builder().put(put).build())
        })();
        self.push(name, "Put", item)
    }

    /// Puts an entity that must not exist yet.
    pub fn put_new<E: Entity>(self, table: &Table<E>, entity: E) -> Self {
        self.put_if(table, entity, partition_key_path::<E>().not_exists())
    }

    /// Updates the item of `key` with the actions `build` adds, if `condition` holds.
    pub fn update<E: Entity>(
        self,
        table: &Table<E>,
        key: E::Key,
        build: impl FnOnce(TransactUpdate<E>) -> TransactUpdate<E>,
        condition: impl Into<Option<Condition>>,
    ) -> Self {
        let op = Operation::TransactWriteItems;
        let name = table.name();
        let mode = self.failure_mode();
        let mut update = build(TransactUpdate {
            update: Update::new(),
            _entity: std::marker::PhantomData,
        })
        .update;
        if let Some(attribute) = E::SCHEMA.version_attribute {
            update = update.add(Path::new(attribute), 1u64);
        }
        let item = (|| {
            let key = table.key_item(op, key)?;
            let (update, condition, p) =
                expressions(name, Some(&update), condition.into().as_ref())?;
            let (names, values) = p.into_parts();
            let update = SdkUpdate::builder()
                .table_name(name)
                .set_key(Some(key))
                .set_update_expression(update)
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(mode)
                .build()
                .map_err(|e| Error::validation(name, op, e.to_string()))?;
            Ok(TransactWriteItem::builder().update(update).build())
        })();
        self.push(name, "Update", item)
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
        let mode = self.failure_mode();
        let item = (|| {
            let key = table.key_item(op, key)?;
            let (_, condition, p) = expressions(name, None, condition.into().as_ref())?;
            let (names, values) = p.into_parts();
            let delete = Delete::builder()
                .table_name(name)
                .set_key(Some(key))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(mode)
                .build()
                .map_err(|e| Error::validation(name, op, e.to_string()))?;
            Ok(TransactWriteItem::builder().delete(delete).build())
        })();
        self.push(name, "Delete", item)
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
        let mode = self.failure_mode();
        let item = (|| {
            let key = table.key_item(op, key)?;
            let (_, condition, p) = expressions(name, None, Some(&condition))?;
            let (names, values) = p.into_parts();
            let check = ConditionCheck::builder()
                .table_name(name)
                .set_key(Some(key))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(mode)
                .build()
                .map_err(|e| Error::validation(name, op, e.to_string()))?;
            Ok(TransactWriteItem::builder().condition_check(check).build())
        })();
        self.push(name, "ConditionCheck", item)
    }

    /// Makes retries idempotent: the same token within 10 minutes is one transaction.
    pub fn client_request_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// On a failed condition, each failing item's current value is in its
    /// [`CancellationReason::item`]. Applies to the items added after this call.
    pub fn return_old_on_condition_failure(mut self) -> Self {
        self.return_on_failure = true;
        self
    }

    /// Sends the transaction.
    pub async fn send(self) -> Result<(), Error> {
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
        let span = tracing::debug_span!("dynamo", table = %first_table, operation = op.as_str(), items = self.entries.len());
        let (items, meta): (Vec<_>, Vec<_>) = self
            .entries
            .into_iter()
            .map(|e| (e.item, (e.table, e.action)))
            .unzip();
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .set_client_request_token(self.token)
            .send()
            .instrument(span)
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => {
                Err(canceled(&err, &meta).unwrap_or_else(|| Error::from_sdk(&first_table, op, err)))
            }
        }
    }
}

fn canceled<R>(
    err: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
    meta: &[(String, &'static str)],
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
    meta: &[(String, &'static str)],
) -> Vec<CancellationReason> {
    reasons
        .iter()
        .enumerate()
        .filter_map(|(index, r)| {
            let code = r.code().filter(|c| *c != "None")?;
            let (table, action) = meta.get(index).cloned().unwrap_or_default();
            Some(CancellationReason {
                index,
                table,
                action,
                code: code.to_owned(),
                message: r.message().map(str::to_owned),
                item: r.item().cloned(),
            })
        })
        .collect()
}

/// The actions of an update inside a transaction, typed by the entity's fields.
pub struct TransactUpdate<E> {
    update: Update,
    _entity: std::marker::PhantomData<fn() -> E>,
}

impl<E: Entity> TransactUpdate<E> {
    /// `SET attr = value`; `None` removes the attribute.
    pub fn set<T: crate::DynamoValue>(mut self, attr: crate::Attr<T>, value: impl Into<T>) -> Self {
        self.update = self.update.set(attr, value.into());
        self
    }

    /// `SET attr = if_not_exists(attr, value)`.
    pub fn set_if_not_exists<T: crate::DynamoValue>(
        mut self,
        attr: crate::Attr<T>,
        value: impl Into<T>,
    ) -> Self {
        self.update = self.update.set_if_not_exists(attr, value.into());
        self
    }

    /// `REMOVE attr`.
    pub fn remove<T>(mut self, attr: crate::Attr<T>) -> Self {
        self.update = self.update.remove(attr);
        self
    }

    /// `ADD attr value`.
    pub fn add<T: crate::DynamoValue>(mut self, attr: crate::Attr<T>, value: impl Into<T>) -> Self {
        self.update = self.update.add(attr, value.into());
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
}

/// The items of a [`TransactGet`], in request order.
#[derive(Debug)]
pub struct TransactGetOutput {
    items: Vec<(Option<Item>, String)>,
}

impl TransactGet {
    /// An empty request.
    pub fn new(client: &Client) -> Self {
        TransactGet {
            client: client.clone(),
            items: Vec::new(),
            error: None,
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
            .send()
            .await
            .map_err(|err| {
                use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsError;
                match err.as_service_error() {
                    Some(TransactGetItemsError::TransactionCanceledException(e)) => {
                        let meta: Vec<_> = tables.iter().map(|t| (t.clone(), "Get")).collect();
                        Error::TransactionCanceled {
                            operation: op,
                            reasons: reasons(e.cancellation_reasons(), &meta),
                        }
                    }
                    _ => Error::from_sdk(&first, op, err),
                }
            })?;
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
        Ok(TransactGetOutput { items })
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
