//! [`Table<E>`]: a typed handle on one table, and its single-item operations; queries and
//! scans, batches and transactions build on it in the submodules.

pub(crate) mod batch;
pub(crate) mod capacity;
pub(crate) mod cursor;
pub(crate) mod item;
pub(crate) mod query;
pub(crate) mod transact;

use crate::error::{Error, Operation};
use crate::expr::{Condition, ConditionFailure, Path, Placeholders, Roles};
pub(crate) use crate::mapping::entity::FromItem;
use crate::mapping::entity::{Entity, EntityKey, Item};
use crate::mapping::error::MappingError;
use aws_sdk_dynamodb::Client;
use cursor::CursorKey;
use item::{DeleteItem, GetItem, PutItem, UpdateItem};
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
/// users.put(User { user_id: "u1".into(), email: "a@example.com".into() }).if_not_exists().send().await?;
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

    /// GetItem.
    pub fn get(&self, key: E::Key) -> GetItem<'_, E> {
        GetItem::new(self, key)
    }

    /// PutItem. With a `#[version]` field, the write is conditional on the version and bumps it
    /// (a version of 0 means "new item": the put fails if the item exists).
    pub fn put(&self, entity: E) -> PutItem<'_, E> {
        PutItem::new(self, entity)
    }

    /// DeleteItem.
    pub fn delete(&self, key: E::Key) -> DeleteItem<'_, E> {
        DeleteItem::new(self, key)
    }

    /// UpdateItem of an item that exists: typed `set`/`add`/`remove`/`append`/
    /// `set_if_not_exists`. A missing item is [`Error::NotFound`], never created half-written;
    /// [`upsert`](UpdateItem::upsert) creates it on purpose.
    pub fn update(&self, key: E::Key) -> UpdateItem<'_, E> {
        UpdateItem::new(self, key)
    }

    pub(crate) fn span(&self, operation: Operation) -> tracing::Span {
        span(&self.name, operation, None)
    }

    pub(crate) fn key_item(&self, operation: Operation, key: E::Key) -> Result<Item, Error> {
        key.into_key_item()
            .map_err(|e| Error::mapping(&self.name, operation, e))
    }

    /// Reads an item (a mapping error names the item by its key).
    pub(crate) fn read<T: FromItem>(&self, operation: Operation, item: Item) -> Result<T, Error> {
        T::from_item(item).map_err(|e| Error::mapping(&self.name, operation, e))
    }

    /// The roles the explanation of a failed condition words plainly.
    pub(crate) fn roles() -> Roles<'static> {
        Roles {
            partition_key: Some(E::SCHEMA.partition_key.attribute),
            version: E::SCHEMA.version_attribute,
        }
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

/// Adds the actions of [`IndexKeys`](crate::IndexKeys) for the item of `key` to `update`; the
/// first value that cannot be written is kept in `error`.
pub(crate) fn set_index_keys<K: crate::IndexKeys>(
    update: crate::expr::Update,
    error: &mut Option<MappingError>,
    keys: K,
    key: &<K::Entity as Entity>::Key,
) -> crate::expr::Update {
    match keys.into_update(key) {
        Ok(actions) => actions
            .into_iter()
            .fold(update, |update, (attribute, value)| {
                update.set(Path::new(attribute), value)
            }),
        Err(e) => {
            error.get_or_insert(e);
            update
        }
    }
}

pub(crate) fn and(a: Option<Condition>, b: Option<Condition>) -> Option<Condition> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.and(b)),
        (a, b) => a.or(b),
    }
}

/// A condition rendered for a request: expression and placeholders, all `None` without one.
pub(crate) type RenderedCondition = (
    Option<String>,
    Option<crate::expr::Names>,
    Option<crate::expr::Values>,
);

pub(crate) fn render_condition(
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

/// Why `condition` failed on `old` (the item DynamoDB returned, `None` when there was none).
pub(crate) fn explain<E: Entity>(
    condition: Option<&Condition>,
    old: Option<&Item>,
) -> Option<ConditionFailure> {
    let explained = condition?.explain_with(old, Table::<E>::roles());
    // DynamoDB said the condition failed: when the evaluation here disagrees (a condition this
    // crate evaluates differently), say so rather than nothing.
    Some(explained.unwrap_or_else(|| match old {
        None => ConditionFailure::missing(),
        Some(_) => ConditionFailure::unexplained(),
    }))
}
