//! [`Table<E>`]: a typed handle on one table, and its single-item operations; queries and
//! scans, batches and transactions build on it in the submodules.

pub(crate) mod batch;
pub(crate) mod query;
pub(crate) mod transact;

use crate::error::{Error, Operation};
use crate::expr::{Condition, Path, Placeholders, Update};
use crate::mapping::entity::{Attr, Entity, EntityKey, Item};
use crate::mapping::error::MappingError;
use crate::mapping::value::DynamoValue;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use tracing::Instrument;

/// A value read from an item: an entity, a projection entity, or the raw [`Item`].
pub trait FromItem: Sized {
    /// Reads the item.
    fn from_item(item: Item) -> Result<Self, MappingError>;
}

impl<E: Entity> FromItem for E {
    fn from_item(item: Item) -> Result<Self, MappingError> {
        E::from_item(item)
    }
}

impl FromItem for Item {
    fn from_item(item: Item) -> Result<Self, MappingError> {
        Ok(item)
    }
}

/// A typed handle on the table of entity `E`.
///
/// Cheap to clone; the name defaults to `E::TABLE.name` and can be changed per environment.
///
/// ```no_run
/// use dynamo_core::{DynamoEntity, Table};
///
/// #[derive(DynamoEntity)]
/// #[dynamo(table_name = "users")]
/// struct User {
///     #[pk]
///     user_id: String,
///     email: String,
/// }
///
/// # async fn f(client: aws_sdk_dynamodb::Client) -> Result<(), dynamo_core::Error> {
/// let users = Table::<User>::new(&client).with_prefix("dev-");
/// users.put(User { user_id: "u1".into(), email: "a@example.com".into() }).if_not_exists().send().await?;
/// let user = users.get(UserKey::new("u1")).consistent_read().send().await?;
/// # Ok(()) }
/// ```
pub struct Table<E> {
    client: Client,
    name: Arc<str>,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for Table<E> {
    fn clone(&self) -> Self {
        Table {
            client: self.client.clone(),
            name: self.name.clone(),
            _entity: PhantomData,
        }
    }
}

impl<E> fmt::Debug for Table<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<E: Entity> Table<E> {
    /// The table of `E`, named as its `TableDef`.
    pub fn new(client: &Client) -> Self {
        Table {
            client: client.clone(),
            name: Arc::from(E::TABLE.name),
            _entity: PhantomData,
        }
    }

    /// The same table under another name.
    #[must_use]
    pub fn named(self, name: impl Into<String>) -> Self {
        Table {
            name: Arc::from(name.into()),
            ..self
        }
    }

    /// The name with a prefix, e.g. `dev-` for per-environment tables.
    #[must_use]
    pub fn with_prefix(self, prefix: &str) -> Self {
        let name = format!("{prefix}{}", self.name);
        self.named(name)
    }

    /// The table name requests use.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SDK client, for anything the typed API does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// GetItem.
    pub fn get(&self, key: E::Key) -> GetItem<'_, E> {
        GetItem {
            table: self,
            key,
            consistent: false,
            projection: Vec::new(),
            _out: PhantomData,
        }
    }

    /// PutItem. With a `#[version]` field, the write is conditional on the version and bumps it
    /// (a version of 0 means "new item": the put fails if the item exists).
    pub fn put(&self, entity: E) -> PutItem<'_, E> {
        PutItem {
            table: self,
            entity,
            condition: None,
            return_old: false,
            return_on_failure: false,
        }
    }

    /// DeleteItem.
    pub fn delete(&self, key: E::Key) -> DeleteItem<'_, E> {
        DeleteItem {
            table: self,
            key,
            condition: None,
            return_old: false,
            return_on_failure: false,
        }
    }

    /// UpdateItem: typed `set`/`add`/`remove`/`append`/`set_if_not_exists` on the key's item.
    pub fn update(&self, key: E::Key) -> UpdateItem<'_, E> {
        UpdateItem {
            table: self,
            key,
            update: Update::new(),
            condition: None,
            return_on_failure: false,
        }
    }

    pub(crate) fn span(&self, operation: Operation) -> tracing::Span {
        tracing::debug_span!("dynamo", table = %self.name, operation = operation.as_str())
    }

    pub(crate) fn key_item(&self, operation: Operation, key: E::Key) -> Result<Item, Error> {
        key.into_key_item()
            .map_err(|e| Error::mapping(&self.name, operation, e))
    }

    pub(crate) fn read<T: FromItem>(&self, operation: Operation, item: Item) -> Result<T, Error> {
        T::from_item(item).map_err(|e| Error::mapping(&self.name, operation, e))
    }
}

/// The entity's partition key attribute, for `attribute_not_exists` checks.
pub(crate) fn partition_key_path<E: Entity>() -> Path {
    Path::new(E::SCHEMA.partition_key.attribute)
}

/// Makes a write conditional on the entity's version and bumps it: a version of 0 means the
/// item must not exist yet.
pub(crate) fn versioned<E: Entity>(entity: &mut E) -> Result<Option<Condition>, MappingError> {
    let (Some(attribute), Some(current)) = (E::SCHEMA.version_attribute, entity.version()) else {
        return Ok(None);
    };
    entity.set_version(current + 1)?;
    Ok(Some(if current == 0 {
        partition_key_path::<E>().not_exists()
    } else {
        Path::new(attribute).eq(current)
    }))
}

fn and(a: Option<Condition>, b: Option<Condition>) -> Option<Condition> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.and(b)),
        (a, b) => a.or(b),
    }
}

/// A condition rendered for a request: expression and placeholders, all `None` without one.
type RenderedCondition = (
    Option<String>,
    Option<crate::expr::Names>,
    Option<crate::expr::Values>,
);

fn render_condition(
    table: &str,
    op: Operation,
    condition: Option<&Condition>,
) -> Result<RenderedCondition, Error> {
    let Some(condition) = condition else {
        return Ok((None, None, None));
    };
    let mut p = Placeholders::default();
    let expr = p
        .condition(condition)
        .map_err(|e| Error::invalid_value(table, op, &e))?;
    let (names, values) = p.into_parts();
    Ok((Some(expr), names, values))
}

/// Maps the error of a conditional write: a failed condition carries the old item when
/// DynamoDB returned it.
fn write_error<E, R>(
    table: &str,
    op: Operation,
    err: aws_sdk_dynamodb::error::SdkError<E, R>,
) -> Error
where
    E: HasConditionItem
        + aws_sdk_dynamodb::error::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    let old = err
        .as_service_error()
        .and_then(HasConditionItem::condition_item);
    match Error::from_sdk(table, op, err) {
        Error::ConditionFailed {
            table, operation, ..
        } => Error::ConditionFailed {
            table,
            operation,
            item: old.map(Box::new),
        },
        other => other,
    }
}

/// [`Table::get`].
#[must_use = "a request does nothing until it is sent"]
pub struct GetItem<'a, E: Entity, T = E> {
    table: &'a Table<E>,
    key: E::Key,
    consistent: bool,
    projection: Vec<Path>,
    _out: PhantomData<fn() -> T>,
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
            _out: PhantomData,
        }
    }

    /// Sends the request; `None` when there is no such item.
    pub async fn send(self) -> Result<Option<T>, Error> {
        let op = Operation::GetItem;
        let table = self.table;
        let key = table.key_item(op, self.key)?;
        let mut request = table
            .client
            .get_item()
            .table_name(table.name())
            .set_key(Some(key))
            .consistent_read(self.consistent);
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
        let output = request
            .send()
            .instrument(table.span(op))
            .await
            .map_err(|e| Error::from_sdk(table.name(), op, e))?;
        output.item.map(|item| table.read(op, item)).transpose()
    }
}

/// [`Table::put`].
#[must_use = "a request does nothing until it is sent"]
pub struct PutItem<'a, E: Entity> {
    table: &'a Table<E>,
    entity: E,
    condition: Option<Condition>,
    return_old: bool,
    return_on_failure: bool,
}

impl<E: Entity> PutItem<'_, E> {
    /// Fails with [`Error::ConditionFailed`] if an item with this key exists.
    pub fn if_not_exists(self) -> Self {
        self.condition(partition_key_path::<E>().not_exists())
    }

    /// Writes only if `condition` holds (combined with AND).
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = and(self.condition, Some(condition));
        self
    }

    /// Returns the item the put replaced.
    pub fn return_old(mut self) -> Self {
        self.return_old = true;
        self
    }

    /// On a failed condition, puts the current item in [`Error::ConditionFailed`].
    pub fn return_old_on_condition_failure(mut self) -> Self {
        self.return_on_failure = true;
        self
    }

    /// Sends the request; the replaced item when [`return_old`](Self::return_old) was asked.
    pub async fn send(self) -> Result<Option<E>, Error> {
        let op = Operation::PutItem;
        let table = self.table;
        let mut entity = self.entity;
        let version = versioned(&mut entity).map_err(|e| Error::mapping(table.name(), op, e))?;
        let condition = and(self.condition, version);
        let item = entity
            .into_item()
            .map_err(|e| Error::mapping(table.name(), op, e))?;
        let (expr, names, values) = render_condition(table.name(), op, condition.as_ref())?;
        let mut request = table
            .client
            .put_item()
            .table_name(table.name())
            .set_item(Some(item))
            .set_condition_expression(expr)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values);
        if self.return_old {
            request = request.return_values(ReturnValue::AllOld);
        }
        if self.return_on_failure {
            request = request.return_values_on_condition_check_failure(
                ReturnValuesOnConditionCheckFailure::AllOld,
            );
        }
        match request.send().instrument(table.span(op)).await {
            Ok(output) => output
                .attributes
                .filter(|a| !a.is_empty())
                .map(|item| table.read(op, item))
                .transpose(),
            Err(err) => Err(write_error(table.name(), op, err)),
        }
    }
}

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

/// [`Table::delete`].
#[must_use = "a request does nothing until it is sent"]
pub struct DeleteItem<'a, E: Entity> {
    table: &'a Table<E>,
    key: E::Key,
    condition: Option<Condition>,
    return_old: bool,
    return_on_failure: bool,
}

impl<E: Entity> DeleteItem<'_, E> {
    /// Deletes only if `condition` holds (combined with AND).
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = and(self.condition, Some(condition));
        self
    }

    /// Fails with [`Error::ConditionFailed`] when there is no such item.
    pub fn if_exists(self) -> Self {
        self.condition(partition_key_path::<E>().exists())
    }

    /// Returns the deleted item.
    pub fn return_old(mut self) -> Self {
        self.return_old = true;
        self
    }

    /// On a failed condition, puts the current item in [`Error::ConditionFailed`].
    pub fn return_old_on_condition_failure(mut self) -> Self {
        self.return_on_failure = true;
        self
    }

    /// Sends the request; the deleted item when [`return_old`](Self::return_old) was asked.
    pub async fn send(self) -> Result<Option<E>, Error> {
        let op = Operation::DeleteItem;
        let table = self.table;
        let key = table.key_item(op, self.key)?;
        let (expr, names, values) = render_condition(table.name(), op, self.condition.as_ref())?;
        let mut request = table
            .client
            .delete_item()
            .table_name(table.name())
            .set_key(Some(key))
            .set_condition_expression(expr)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values);
        if self.return_old {
            request = request.return_values(ReturnValue::AllOld);
        }
        if self.return_on_failure {
            request = request.return_values_on_condition_check_failure(
                ReturnValuesOnConditionCheckFailure::AllOld,
            );
        }
        match request.send().instrument(table.span(op)).await {
            Ok(output) => output
                .attributes
                .filter(|a| !a.is_empty())
                .map(|item| table.read(op, item))
                .transpose(),
            Err(err) => Err(write_error(table.name(), op, err)),
        }
    }
}

/// [`Table::update`].
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateItem<'a, E: Entity> {
    table: &'a Table<E>,
    key: E::Key,
    update: Update,
    condition: Option<Condition>,
    return_on_failure: bool,
}

impl<E: Entity> UpdateItem<'_, E> {
    /// `SET attr = value`; `None` removes the attribute.
    pub fn set<T: DynamoValue>(mut self, attr: Attr<T>, value: impl Into<T>) -> Self {
        self.update = self.update.set(attr, value.into());
        self
    }

    /// `SET attr = if_not_exists(attr, value)`.
    pub fn set_if_not_exists<T: DynamoValue>(mut self, attr: Attr<T>, value: impl Into<T>) -> Self {
        self.update = self.update.set_if_not_exists(attr, value.into());
        self
    }

    /// `REMOVE attr`.
    pub fn remove<T>(mut self, attr: Attr<T>) -> Self {
        self.update = self.update.remove(attr);
        self
    }

    /// `ADD attr value`: adds to a number (created at 0) or adds members to a set.
    pub fn add<T: DynamoValue>(mut self, attr: Attr<T>, value: impl Into<T>) -> Self {
        self.update = self.update.add(attr, value.into());
        self
    }

    /// `DELETE attr members`: removes members from a set.
    pub fn delete<T: DynamoValue>(mut self, attr: Attr<T>, members: impl Into<T>) -> Self {
        self.update = self.update.delete(attr, members.into());
        self
    }

    /// Appends `values` to a list attribute (created when absent).
    pub fn append<T: DynamoValue>(mut self, attr: Attr<Vec<T>>, values: Vec<T>) -> Self {
        self.update = self.update.append(attr, values);
        self
    }

    /// Any other actions, written with [`Update`] and paths (nested attributes, list elements).
    pub fn actions(mut self, update: Update) -> Self {
        self.update = merge(self.update, update);
        self
    }

    /// Updates only if `condition` holds (combined with AND).
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = and(self.condition, Some(condition));
        self
    }

    /// Fails with [`Error::ConditionFailed`] when there is no such item, instead of creating it.
    pub fn if_exists(self) -> Self {
        self.condition(partition_key_path::<E>().exists())
    }

    /// With a `#[version]` field: updates only if the stored version is `version`. Every
    /// update through this builder bumps the version.
    pub fn expect_version(self, version: u64) -> Self {
        match E::SCHEMA.version_attribute {
            Some(attribute) => self.condition(Path::new(attribute).eq(version)),
            None => self,
        }
    }

    /// On a failed condition, puts the current item in [`Error::ConditionFailed`].
    pub fn return_old_on_condition_failure(mut self) -> Self {
        self.return_on_failure = true;
        self
    }

    /// Sends the request and returns the item as it is after the update.
    ///
    /// An update may create the item; if required attributes are then missing, reading it is an
    /// [`Error::Mapping`] (use [`if_exists`](Self::if_exists), or [`execute`](Self::execute)).
    pub async fn send(self) -> Result<E, Error> {
        let table = self.table;
        let op = Operation::UpdateItem;
        match self.request(ReturnValue::AllNew).await? {
            Some(item) => table.read(op, item),
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

    async fn request(self, return_value: ReturnValue) -> Result<Option<Item>, Error> {
        let op = Operation::UpdateItem;
        let table = self.table;
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
        let key = table.key_item(op, self.key)?;
        let mut p = Placeholders::default();
        let expr = p
            .update(&update)
            .map_err(|e| Error::invalid_value(table.name(), op, &e))?;
        let mut request = table
            .client
            .update_item()
            .table_name(table.name())
            .set_key(Some(key))
            .update_expression(expr);
        if let Some(condition) = &self.condition {
            let expr = p
                .condition(condition)
                .map_err(|e| Error::invalid_value(table.name(), op, &e))?;
            request = request.condition_expression(expr);
        }
        let (names, values) = p.into_parts();
        request = request
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values(return_value);
        if self.return_on_failure {
            request = request.return_values_on_condition_check_failure(
                ReturnValuesOnConditionCheckFailure::AllOld,
            );
        }
        match request.send().instrument(table.span(op)).await {
            Ok(output) => Ok(output.attributes.filter(|a| !a.is_empty())),
            Err(err) => Err(write_error(table.name(), op, err)),
        }
    }
}

fn merge(mut a: Update, b: Update) -> Update {
    a.merge(b);
    a
}
