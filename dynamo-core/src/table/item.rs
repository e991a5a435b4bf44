//! Single-item operations: [`GetItem`], [`PutItem`], [`DeleteItem`], [`UpdateItem`].
//!
//! A conditional write always asks DynamoDB for the item as it was when the condition failed
//! (free on failure), so a failure says which clause was false and what was found
//! ([`Error::ConditionFailed`]'s `reason`).

use super::capacity::{self, ConsumedCapacity, WithCapacity};
use super::{FromItem, Table, and, explain, partition_key_path, render_condition, versioned};
use crate::error::{Error, Operation};
use crate::expr::{Condition, Path, Placeholders, Update};
use crate::mapping::entity::{Attr, Entity, Item, Versioned};
use crate::mapping::error::MappingError;
use crate::mapping::partition::IndexKeys;
use crate::mapping::value::{DynamoValue, ValueOf};
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use std::fmt;
use std::marker::PhantomData;
use tracing::Instrument;

/// Service errors that carry the item of a failed condition.
pub(crate) trait HasConditionItem {
    fn condition_item(&self) -> Option<Item>;
}

macro_rules! condition_item {
    ($($error:path),*) => {$(
        impl HasConditionItem for $error {
            fn condition_item(&self) -> Option<Item> {
                match self {
                    Self::ConditionalCheckFailedException(e) => e.item().cloned(),
                    _ => None,
                }
            }
        }
    )*};
}

condition_item!(
    aws_sdk_dynamodb::operation::put_item::PutItemError,
    aws_sdk_dynamodb::operation::delete_item::DeleteItemError,
    aws_sdk_dynamodb::operation::update_item::UpdateItemError
);

/// Maps the error of a conditional write: a failed condition carries the item as it was and
/// the explanation of what was false; when `must_exist` and there was no item, the error is
/// [`Error::NotFound`].
fn write_error<E: Entity, S, R>(
    table: &str,
    op: Operation,
    err: aws_sdk_dynamodb::error::SdkError<S, R>,
    condition: Option<&Condition>,
    must_exist: bool,
) -> Error
where
    S: HasConditionItem
        + aws_sdk_dynamodb::error::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    let old = err
        .as_service_error()
        .and_then(HasConditionItem::condition_item)
        .filter(|item| !item.is_empty());
    match Error::from_sdk(table, op, err) {
        Error::ConditionFailed { .. } if must_exist && old.is_none() => Error::NotFound {
            table: table.to_owned(),
            operation: op,
        },
        Error::ConditionFailed {
            table, operation, ..
        } => Error::ConditionFailed {
            reason: explain::<E>(condition, old.as_ref()),
            table,
            operation,
            item: old.map(Box::new),
        },
        other => other,
    }
}

/// The failure mode of a request with `condition`: ask for the old item whenever there is one.
fn on_failure(condition: Option<&Condition>) -> Option<ReturnValuesOnConditionCheckFailure> {
    condition.map(|_| ReturnValuesOnConditionCheckFailure::AllOld)
}

fn first_capacity(
    c: Option<&aws_sdk_dynamodb::types::ConsumedCapacity>,
) -> Option<ConsumedCapacity> {
    c.map(ConsumedCapacity::from_sdk)
}

/// [`Table::get`].
#[must_use = "a request does nothing until it is sent"]
pub struct GetItem<'a, E: Entity, T = E> {
    table: &'a Table<E>,
    key: E::Key,
    consistent: bool,
    projection: Vec<Path>,
    capacity: bool,
    _out: PhantomData<fn() -> T>,
}

impl<'a, E: Entity> GetItem<'a, E> {
    pub(crate) fn new(table: &'a Table<E>, key: E::Key) -> Self {
        GetItem {
            table,
            key,
            consistent: false,
            projection: Vec::new(),
            capacity: false,
            _out: PhantomData,
        }
    }
}

impl<'a, E: Entity, T: FromItem> GetItem<'a, E, T> {
    /// Strongly consistent read.
    pub fn consistent_read(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// Reads only these attributes, into `P`: an entity holding a subset of the fields, or
    /// [`Item`].
    pub fn project<P: FromItem>(
        self,
        paths: impl IntoIterator<Item = impl Into<Path>>,
    ) -> GetItem<'a, E, P> {
        GetItem {
            table: self.table,
            key: self.key,
            consistent: self.consistent,
            projection: paths.into_iter().map(Into::into).collect(),
            capacity: self.capacity,
            _out: PhantomData,
        }
    }

    /// Asks DynamoDB for the capacity the read consumes; the span records it.
    pub fn return_consumed_capacity(mut self) -> Self {
        self.capacity = true;
        self
    }

    /// Sends the request; `None` when there is no such item.
    pub async fn send(self) -> Result<Option<T>, Error> {
        self.request().await.map(|r| r.value)
    }

    /// Sends the request and returns the capacity it consumed too.
    pub async fn send_with_capacity(mut self) -> Result<WithCapacity<Option<T>>, Error> {
        self.capacity = true;
        self.request().await
    }

    async fn request(self) -> Result<WithCapacity<Option<T>>, Error> {
        let op = Operation::GetItem;
        let table = self.table;
        let key = table.key_item(op, self.key)?;
        let mut request = table
            .client
            .get_item()
            .table_name(table.name())
            .set_key(Some(key))
            .set_consistent_read(self.consistent.then_some(true))
            .set_return_consumed_capacity(capacity::level(self.capacity));
        if !self.projection.is_empty() {
            let mut p = Placeholders::default();
            let expr = self
                .projection
                .iter()
                .map(|path| p.path(path))
                .collect::<Vec<_>>()
                .join(", ");
            let (names, _) = p.into_parts();
            request = request
                .projection_expression(expr)
                .set_expression_attribute_names(names);
        }
        let span = table.span(op);
        let output = request
            .send()
            .instrument(span.clone())
            .await
            .map_err(|e| Error::from_sdk(table.name(), op, e))?;
        let capacity = first_capacity(output.consumed_capacity());
        capacity::record(&span, capacity.as_ref());
        let value = output.item.map(|item| table.read(op, item)).transpose()?;
        Ok(WithCapacity { value, capacity })
    }
}

/// [`Table::put`].
#[must_use = "a request does nothing until it is sent"]
pub struct PutItem<'a, E: Entity> {
    table: &'a Table<E>,
    entity: E,
    condition: Option<Condition>,
    return_old: bool,
    capacity: bool,
}

impl<'a, E: Entity> PutItem<'a, E> {
    pub(crate) fn new(table: &'a Table<E>, entity: E) -> Self {
        PutItem {
            table,
            entity,
            condition: None,
            return_old: false,
            capacity: false,
        }
    }

    /// Fails with [`Error::ConditionFailed`] if an item with this key exists.
    pub fn if_not_exists(self) -> Self {
        self.condition(partition_key_path::<E>().not_exists())
    }

    /// Writes only if `condition` holds (combined with AND). When it does not, the error says
    /// which clause was false and what was found.
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = and(self.condition, Some(condition));
        self
    }

    /// Returns the item the put replaced.
    pub fn return_old(mut self) -> Self {
        self.return_old = true;
        self
    }

    /// Kept for compatibility: a failed condition always carries the current item now.
    #[deprecated(note = "a failed condition always carries the current item and why it failed")]
    pub fn return_old_on_condition_failure(self) -> Self {
        self
    }

    /// Asks DynamoDB for the capacity the write consumes; the span records it.
    pub fn return_consumed_capacity(mut self) -> Self {
        self.capacity = true;
        self
    }

    /// Sends the request; the replaced item when [`return_old`](Self::return_old) was asked.
    pub async fn send(self) -> Result<Option<E>, Error> {
        self.request().await.map(|r| r.value)
    }

    /// Sends the request and returns the capacity it consumed too.
    pub async fn send_with_capacity(mut self) -> Result<WithCapacity<Option<E>>, Error> {
        self.capacity = true;
        self.request().await
    }

    async fn request(self) -> Result<WithCapacity<Option<E>>, Error> {
        let op = Operation::PutItem;
        let table = self.table;
        let mut entity = self.entity;
        let version = versioned(&mut entity).map_err(|e| Error::mapping(table.name(), op, e))?;
        let condition = and(self.condition, version);
        let item = entity
            .into_item()
            .map_err(|e| Error::mapping(table.name(), op, e))?;
        let (expr, names, values) = render_condition(table.name(), op, condition.as_ref())?;
        let request = table
            .client
            .put_item()
            .table_name(table.name())
            .set_item(Some(item))
            .set_condition_expression(expr)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .set_return_values(self.return_old.then_some(ReturnValue::AllOld))
            .set_return_values_on_condition_check_failure(on_failure(condition.as_ref()))
            .set_return_consumed_capacity(capacity::level(self.capacity));
        let span = table.span(op);
        let output = request
            .send()
            .instrument(span.clone())
            .await
            .map_err(|err| {
                write_error::<E, _, _>(table.name(), op, err, condition.as_ref(), false)
            })?;
        let capacity = first_capacity(output.consumed_capacity());
        capacity::record(&span, capacity.as_ref());
        let value = output
            .attributes
            .filter(|a| !a.is_empty())
            .map(|item| table.read(op, item))
            .transpose()?;
        Ok(WithCapacity { value, capacity })
    }
}

/// [`Table::delete`].
#[must_use = "a request does nothing until it is sent"]
pub struct DeleteItem<'a, E: Entity> {
    table: &'a Table<E>,
    key: E::Key,
    condition: Option<Condition>,
    return_old: bool,
    capacity: bool,
}

impl<'a, E: Entity> DeleteItem<'a, E> {
    pub(crate) fn new(table: &'a Table<E>, key: E::Key) -> Self {
        DeleteItem {
            table,
            key,
            condition: None,
            return_old: false,
            capacity: false,
        }
    }

    /// Deletes only if `condition` holds (combined with AND). When it does not, the error says
    /// which clause was false and what was found.
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = and(self.condition, Some(condition));
        self
    }

    /// Fails with [`Error::NotFound`] when there is no such item.
    pub fn if_exists(self) -> Self {
        self.condition(partition_key_path::<E>().exists())
    }

    /// Returns the deleted item.
    pub fn return_old(mut self) -> Self {
        self.return_old = true;
        self
    }

    /// Kept for compatibility: a failed condition always carries the current item now.
    #[deprecated(note = "a failed condition always carries the current item and why it failed")]
    pub fn return_old_on_condition_failure(self) -> Self {
        self
    }

    /// Asks DynamoDB for the capacity the write consumes; the span records it.
    pub fn return_consumed_capacity(mut self) -> Self {
        self.capacity = true;
        self
    }

    /// Sends the request; the deleted item when [`return_old`](Self::return_old) was asked.
    pub async fn send(self) -> Result<Option<E>, Error> {
        self.request().await.map(|r| r.value)
    }

    /// Sends the request and returns the capacity it consumed too.
    pub async fn send_with_capacity(mut self) -> Result<WithCapacity<Option<E>>, Error> {
        self.capacity = true;
        self.request().await
    }

    async fn request(self) -> Result<WithCapacity<Option<E>>, Error> {
        let op = Operation::DeleteItem;
        let table = self.table;
        let key = table.key_item(op, self.key)?;
        let condition = self.condition;
        let (expr, names, values) = render_condition(table.name(), op, condition.as_ref())?;
        let request = table
            .client
            .delete_item()
            .table_name(table.name())
            .set_key(Some(key))
            .set_condition_expression(expr)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .set_return_values(self.return_old.then_some(ReturnValue::AllOld))
            .set_return_values_on_condition_check_failure(on_failure(condition.as_ref()))
            .set_return_consumed_capacity(capacity::level(self.capacity));
        let span = table.span(op);
        let must_exist = condition
            .as_ref()
            .is_some_and(|c| c.requires_attribute(E::SCHEMA.partition_key.attribute));
        let output = request
            .send()
            .instrument(span.clone())
            .await
            .map_err(|err| {
                write_error::<E, _, _>(table.name(), op, err, condition.as_ref(), must_exist)
            })?;
        let capacity = first_capacity(output.consumed_capacity());
        capacity::record(&span, capacity.as_ref());
        let value = output
            .attributes
            .filter(|a| !a.is_empty())
            .map(|item| table.read(op, item))
            .transpose()?;
        Ok(WithCapacity { value, capacity })
    }
}

/// [`Table::update`].
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateItem<'a, E: Entity> {
    table: &'a Table<E>,
    key: E::Key,
    update: Update,
    condition: Option<Condition>,
    upsert: bool,
    capacity: bool,
    /// A value [`set_index_keys`](Self::set_index_keys) could not write.
    error: Option<MappingError>,
}

impl<'a, E: Entity> UpdateItem<'a, E> {
    pub(crate) fn new(table: &'a Table<E>, key: E::Key) -> Self {
        UpdateItem {
            table,
            key,
            update: Update::new(),
            condition: None,
            upsert: false,
            capacity: false,
            error: None,
        }
    }

    /// Sets the fields an index's key templates are made of and rewrites the index keys from
    /// them (with the table key's fields from this item's key): the generated
    /// `{Entity}{Index}Keys`. A `None` component of a sparse index removes the item from the
    /// index.
    ///
    /// ```no_run
    /// # use dynamo_core::{DynamoEntity, IndexDef, KeyDef, Table, TableDef};
    /// const OUTBOX: TableDef = TableDef::new("outbox", KeyDef::string("pk"))
    ///     .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);
    ///
    /// #[derive(DynamoEntity)]
    /// #[dynamo(table = OUTBOX, gsi(GSI1, pk = "PENDING#{shard}", sk = "{due_at:12}#{id}"))]
    /// struct Event {
    ///     #[pk]
    ///     #[dynamo(rename = "pk")]
    ///     id: String,
    ///     shard: Option<u8>,
    ///     due_at: i64,
    /// }
    ///
    /// # async fn f(events: Table<Event>) -> Result<(), dynamo_core::Error> {
    /// // Due again in a minute: `due_at` and the index sort key change together.
    /// events.update(EventKey::new("e1"))
    ///     .set_index_keys(EventGsi1Keys { shard: Some(3), due_at: 1_760_000_060 })
    ///     .execute()
    ///     .await?;
    /// // Out of the index.
    /// events.update(EventKey::new("e1"))
    ///     .set_index_keys(EventGsi1Keys { shard: None, due_at: 0 })
    ///     .execute()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn set_index_keys(mut self, keys: impl IndexKeys<Entity = E>) -> Self {
        self.update = super::set_index_keys(self.update, &mut self.error, keys, &self.key);
        self
    }

    /// `SET attr = value`; `None` removes the attribute.
    pub fn set<T: DynamoValue>(mut self, attr: Attr<T>, value: impl ValueOf<T>) -> Self {
        self.update = self.update.set(attr, value.into_value());
        self
    }

    /// `SET attr = if_not_exists(attr, value)`.
    pub fn set_if_not_exists<T: DynamoValue>(
        mut self,
        attr: Attr<T>,
        value: impl ValueOf<T>,
    ) -> Self {
        self.update = self.update.set_if_not_exists(attr, value.into_value());
        self
    }

    /// `REMOVE attr`.
    pub fn remove<T>(mut self, attr: Attr<T>) -> Self {
        self.update = self.update.remove(attr);
        self
    }

    /// `ADD attr value`: adds to a number (created at 0) or adds members to a set.
    ///
    /// ```no_run
    /// # use dynamo_core::{DynamoEntity, Table};
    /// # #[derive(DynamoEntity)] #[dynamo(table_name = "forums")] struct Forum { #[pk] name: String, views: u64 }
    /// # async fn f(forums: Table<Forum>) -> Result<(), dynamo_core::Error> {
    /// let f = Forum::fields();
    /// forums.update(ForumKey::new("Rust")).add(f.views, 1).condition(f.views.lt(1_000_000)).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn add<T: DynamoValue>(mut self, attr: Attr<T>, value: impl ValueOf<T>) -> Self {
        self.update = self.update.add(attr, value.into_value());
        self
    }

    /// `DELETE attr members`: removes members from a set.
    pub fn delete<T: DynamoValue>(mut self, attr: Attr<T>, members: impl ValueOf<T>) -> Self {
        self.update = self.update.delete(attr, members.into_value());
        self
    }

    /// Appends `values` to a list attribute (created when absent).
    pub fn append<T: DynamoValue>(mut self, attr: Attr<Vec<T>>, values: Vec<T>) -> Self {
        self.update = self.update.append(attr, values);
        self
    }

    /// Any other actions, written with [`Update`] and paths (nested attributes, list elements).
    pub fn actions(mut self, update: Update) -> Self {
        self.update.merge(update);
        self
    }

    /// Updates only if `condition` holds (combined with AND). When it does not, the error says
    /// which clause was false and what was found.
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = and(self.condition, Some(condition));
        self
    }

    /// Creates the item when it does not exist, instead of failing with [`Error::NotFound`].
    ///
    /// Only the key and the attributes this update sets are written: an item created this way
    /// lacks the entity's other required attributes, and reading it is an [`Error::Mapping`]
    /// until they are set. Use it for items that are updates only (counters, sets), or set every
    /// required attribute (e.g. with [`set_if_not_exists`](Self::set_if_not_exists)).
    pub fn upsert(mut self) -> Self {
        self.upsert = true;
        self
    }

    /// Updates require the item by default; kept for compatibility.
    #[deprecated(note = "updates require the item by default; `upsert()` creates it")]
    pub fn if_exists(self) -> Self {
        self
    }

    /// Kept for compatibility: a failed condition always carries the current item now.
    #[deprecated(note = "a failed condition always carries the current item and why it failed")]
    pub fn return_old_on_condition_failure(self) -> Self {
        self
    }

    /// Asks DynamoDB for the capacity the write consumes; the span records it.
    pub fn return_consumed_capacity(mut self) -> Self {
        self.capacity = true;
        self
    }

    /// Sends the request and returns the item as it is after the update.
    pub async fn send(self) -> Result<E, Error> {
        self.read_back().await.map(|r| r.value)
    }

    /// [`send`](Self::send), and the capacity the update consumed.
    pub async fn send_with_capacity(mut self) -> Result<WithCapacity<E>, Error> {
        self.capacity = true;
        self.read_back().await
    }

    async fn read_back(self) -> Result<WithCapacity<E>, Error> {
        let table = self.table;
        let op = Operation::UpdateItem;
        let out = self.request(ReturnValue::AllNew).await?;
        match out.value {
            Some(item) => Ok(WithCapacity {
                value: table.read(op, item)?,
                capacity: out.capacity,
            }),
            None => Err(Error::NotFound {
                table: table.name().to_owned(),
                operation: op,
            }),
        }
    }

    /// Sends the request without reading the item back.
    pub async fn execute(self) -> Result<(), Error> {
        self.request(ReturnValue::None).await.map(drop)
    }

    async fn request(self, return_value: ReturnValue) -> Result<WithCapacity<Option<Item>>, Error> {
        let op = Operation::UpdateItem;
        let table = self.table;
        if let Some(e) = self.error {
            return Err(Error::mapping(table.name(), op, e));
        }
        let mut update = self.update;
        if let Some(attribute) = E::SCHEMA.version_attribute {
            update = update.add(Path::new(attribute), 1u64);
        }
        if update.is_empty() {
            return Err(Error::validation(
                table.name(),
                op,
                "the update has no actions",
            ));
        }
        let must_exist = !self.upsert;
        let exists = must_exist.then(|| partition_key_path::<E>().exists());
        let condition = and(exists, self.condition);
        let key = table.key_item(op, self.key)?;
        let mut p = Placeholders::default();
        let expr = p
            .update(&update)
            .map_err(|e| Error::invalid_value(table.name(), op, &e))?;
        let condition_expr = condition
            .as_ref()
            .map(|c| p.condition(c))
            .transpose()
            .map_err(|e| Error::invalid_value(table.name(), op, &e))?;
        let (names, values) = p.into_parts();
        let request = table
            .client
            .update_item()
            .table_name(table.name())
            .set_key(Some(key))
            .update_expression(expr)
            .set_condition_expression(condition_expr)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values(return_value)
            .set_return_values_on_condition_check_failure(on_failure(condition.as_ref()))
            .set_return_consumed_capacity(capacity::level(self.capacity));
        let span = table.span(op);
        let output = request
            .send()
            .instrument(span.clone())
            .await
            .map_err(|err| {
                write_error::<E, _, _>(table.name(), op, err, condition.as_ref(), must_exist)
            })?;
        let capacity = first_capacity(output.consumed_capacity());
        capacity::record(&span, capacity.as_ref());
        Ok(WithCapacity {
            value: output.attributes.filter(|a| !a.is_empty()),
            capacity,
        })
    }
}

impl<E: Entity> UpdateItem<'_, E> {
    /// Updates only if the stored `#[version]` is `version` (every update through this builder
    /// bumps it). On an entity without a `#[version]` field this does not compile.
    pub fn expect_version(self, version: u64) -> Self
    where
        E: Versioned,
    {
        let attribute = E::SCHEMA.version_attribute.unwrap_or_default();
        self.condition(Path::new(attribute).eq(version))
    }
}
