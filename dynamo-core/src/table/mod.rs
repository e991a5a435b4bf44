//! [`Table<E>`]: a typed handle on one table, and what it builds: reads ([`Get`], [`Query`],
//! [`Scan`], batches) and writes ([`Put`], [`Update`], [`Delete`], [`ConditionCheck`]), which
//! are sent alone or added to a [`TransactWrite`].

pub(crate) mod batch;
pub(crate) mod capacity;
mod check;
pub(crate) mod cursor;
mod delete;
mod fan_out;
mod get;
mod put;
pub(crate) mod query;
mod rekey;
pub(crate) mod transact;
pub(crate) mod unique;
mod update;
pub(crate) mod write;

pub use batch::{Backoff, BatchGet, BatchGetOutput, BatchWrite, BatchWriteOutput};
pub use capacity::{ConsumedCapacity, WithCapacity};
pub use check::ConditionCheck;
pub use cursor::{Cursor, CursorError, CursorKey};
pub use delete::Delete;
pub use get::Get;
pub use put::Put;
pub use query::{Page, Query, Scan};
pub use rekey::{Moved, Rekey, RekeyReport};
pub use transact::{
    Cancellation, CancellationCode, CancellationReason, Handle, MAX_TRANSACTION_ITEMS, TransactGet,
    TransactGetOutput, TransactWrite,
};
pub use unique::UniqueViolation;
pub use update::Update;
pub use write::{Action, New, Nothing, Old, Returning, Write};

use crate::error::{Error, Operation};
use crate::expr::{Condition, Path, Roles};
use crate::mapping::entity::{Entity, EntityKey};
use crate::mapping::error::MappingError;
pub(crate) use crate::mapping::item::FromItem;
use crate::mapping::item::Item;
use aws_sdk_dynamodb::Client;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

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
/// users.put(User { user_id: "u1".into(), email: "a@example.com".into() }).create_only().send().await?;
/// let user = users.get(UserKey::new("u1")).consistent_read().send().await?;
/// # Ok(()) }
/// ```
pub struct Table<E> {
    client: Client,
    name: Arc<str>,
    cursor_key: Option<Arc<CursorKey>>,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for Table<E> {
    fn clone(&self) -> Self {
        Table {
            client: self.client.clone(),
            name: self.name.clone(),
            cursor_key: self.cursor_key.clone(),
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
            cursor_key: None,
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

    pub(crate) fn shared_name(&self) -> &Arc<str> {
        &self.name
    }

    /// The SDK client, for anything the typed API does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Seals the cursors of this table's queries and scans with `key`, and accepts only cursors
    /// it sealed for the same query: for cursors handed to HTTP clients. See [`Cursor`].
    ///
    /// [`Cursor`]: crate::Cursor
    #[must_use]
    pub fn with_cursor_key(self, key: CursorKey) -> Self {
        Table {
            cursor_key: Some(Arc::new(key)),
            ..self
        }
    }

    pub(crate) fn cursor_key(&self) -> Option<&CursorKey> {
        self.cursor_key.as_deref()
    }

    /// Reads the item of `key`: a [`Get`].
    pub fn get(&self, key: E::Key) -> Get<'_, E> {
        Get::new(self, key)
    }

    /// Writes `entity`'s whole item: a [`Put`], sent alone or added to a transaction. With a
    /// `#[version]` field, the write is conditional on the version and bumps it (a version of 0
    /// means "new item": the put fails if the item exists).
    pub fn put(&self, entity: E) -> Put<E> {
        Put::new(self, entity)
    }

    /// Changes attributes of the item of `key`, which must exist: an [`Update`] with typed
    /// `set`/`add`/`remove`/`append`/`set_if_not_exists`, sent alone or added to a transaction.
    /// A missing item is [`ErrorKind::NotFound`](crate::ErrorKind::NotFound), never created
    /// half-written; [`upsert`](Update::upsert) creates it on purpose.
    pub fn update(&self, key: E::Key) -> Update<E> {
        Update::new(self, key)
    }

    /// Deletes the item of `key`: a [`Delete`], sent alone or added to a transaction.
    pub fn delete(&self, key: E::Key) -> Delete<E> {
        Delete::new(self, key)
    }

    /// Requires `condition` of the item of `key` for a transaction to commit: a
    /// [`ConditionCheck`], added to a [`TransactWrite`].
    pub fn condition_check(&self, key: E::Key, condition: Condition) -> ConditionCheck<E> {
        ConditionCheck::new(self, key, condition)
    }

    pub(crate) fn span(&self, operation: Operation) -> tracing::Span {
        span(&self.name, operation, None)
    }

    pub(crate) fn key_item(&self, operation: Operation, key: E::Key) -> Result<Item, Error> {
        key.into_key_item()
            .map_err(|e| Error::mapping_failed(&self.name, operation, e))
    }

    /// Reads an item (a mapping error names the item by its key).
    pub(crate) fn read<T: FromItem>(&self, operation: Operation, item: Item) -> Result<T, Error> {
        T::from_item(item).map_err(|e| Error::mapping_failed(&self.name, operation, e))
    }

    /// The item stored under `key` as it is (no mapping), read strongly consistent: what a
    /// write that depends on the stored item reads first.
    pub(crate) async fn read_stored(
        &self,
        op: Operation,
        key: &Item,
    ) -> Result<Option<Item>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&*self.name)
            .set_key(Some(key.clone()))
            .consistent_read(true)
            .send()
            .in_span(self.span(op))
            .await
            .map_err(|e| Error::from_sdk(&self.name, op, e).with_key(Some(key.clone())))?;
        Ok(output.item.filter(|i| !i.is_empty()))
    }

    /// The roles the explanation of a failed condition words plainly.
    pub(crate) fn roles() -> Roles<'static> {
        Roles {
            partition_key: Some(E::SCHEMA.partition_key.attribute),
            version: E::SCHEMA.version_attribute,
            schema_version: E::SCHEMA.schema_version_attribute(),
        }
    }
}

/// Makes a write conditional on the entity's version and bumps it: a version of 0 means the
/// item must not exist yet.
pub(crate) fn versioned<E: Entity>(entity: &mut E) -> Result<Option<Condition>, MappingError> {
    let (Some(attribute), Some(current)) = (E::SCHEMA.version_attribute, entity.version()) else {
        return Ok(None);
    };
    entity.set_version(current + 1)?;
    Ok(Some(if current == 0 {
        Condition::item_not_exists::<E>()
    } else {
        Path::new(attribute).eq(current)
    }))
}

/// The time of a write, as a managed timestamp stores it; `None` only past the year 9999.
pub(crate) fn now_attribute() -> Option<aws_sdk_dynamodb::types::AttributeValue> {
    crate::mapping::value::DynamoValue::into_attribute(time::OffsetDateTime::now_utc())
        .ok()
        .flatten()
}

/// A put's managed timestamps: `#[dynamo(created_at)]` and `#[dynamo(updated_at)]` set to now
/// (a put writes the whole item, as created now).
pub(crate) fn stamp_put<E: Entity>(item: &mut Item) {
    let schema = &E::SCHEMA;
    let attributes = [schema.created_at_attribute, schema.updated_at_attribute];
    if attributes.iter().all(Option::is_none) {
        return;
    }
    if let Some(now) = now_attribute() {
        for attribute in attributes.into_iter().flatten() {
            item.insert(attribute.to_owned(), now.clone());
        }
    }
}

/// The condition that the stored `#[version]` of an `E` is `version`.
pub(crate) fn version_is<E: crate::mapping::entity::Versioned>(version: u64) -> Condition {
    Path::new(E::SCHEMA.version_attribute.unwrap_or_default()).eq(version)
}

/// An SDK request's future, sent in its operation's span. The future is boxed: the SDK's are
/// kilobytes large, and every async function above it (the typed layer's, the caller's) would
/// otherwise copy it into its own state; boxed, they move a pointer.
pub(crate) trait InSpan: std::future::Future + Sized {
    fn in_span(
        self,
        span: tracing::Span,
    ) -> tracing::instrument::Instrumented<std::pin::Pin<Box<Self>>> {
        tracing::Instrument::instrument(Box::pin(self), span)
    }
}

impl<F: std::future::Future> InSpan for F {}

/// The span of one operation: table, operation and, when asked for, consumed capacity.
pub(crate) fn span(table: &str, operation: Operation, items: Option<usize>) -> tracing::Span {
    // `otel.*` and `db.*` follow OpenTelemetry's conventions, for subscribers that export
    // spans (tracing-opentelemetry); other subscribers see plain fields.
    tracing::debug_span!(
        "dynamo",
        table = %table,
        operation = operation.as_str(),
        items = items,
        consumed_capacity = tracing::field::Empty,
        otel.name = %format_args!("DynamoDB.{}", operation.as_str()),
        otel.kind = "client",
        db.system = "dynamodb",
        db.operation = operation.as_str(),
    )
}

pub(crate) fn and(a: Option<Condition>, b: Option<Condition>) -> Option<Condition> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.and(b)),
        (a, b) => a.or(b),
    }
}
