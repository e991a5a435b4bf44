//! [`Get`]: reads one item.

use super::capacity::{self, ConsumedCapacity, WithCapacity};
use super::{FromItem, InSpan, Table};
use crate::error::{Error, Operation};
use crate::expr::{Path, Placeholders};
use crate::mapping::entity::{Entity, EntityKey};
use crate::mapping::item::Item;
use std::marker::PhantomData;

/// A GetItem: reads the item of a key, as the entity or a projection of it. Built by
/// [`Table::get`].
///
/// For an entity that declares previous keys (`#[dynamo(previous(pk = ".."))]`), a key that
/// has no item is read again under its previous key, where an earlier version stored it while
/// it has not moved ([`Rekey`](crate::table::Rekey)): such an item is read as it is (write it
/// only once it has moved: [`Rekey::move_key`](crate::table::Rekey::move_key)).
///
/// ```no_run
/// # use dynamo_core::{DynamoEntity, Table};
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "users")] struct User { #[pk] user_id: String, email: String }
/// # async fn f(users: Table<User>) -> Result<(), dynamo_core::Error> {
/// let user: Option<User> = users.get(UserKey::new("u1")).consistent_read().send().await?;
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct Get<'a, E: Entity, T = E> {
    table: &'a Table<E>,
    key: E::Key,
    consistent: bool,
    projection: Vec<Path>,
    capacity: bool,
    _out: PhantomData<fn() -> T>,
}

impl<'a, E: Entity> Get<'a, E> {
    pub(crate) fn new(table: &'a Table<E>, key: E::Key) -> Self {
        Get {
            table,
            key,
            consistent: false,
            projection: Vec::new(),
            capacity: false,
            _out: PhantomData,
        }
    }
}

impl<'a, E: Entity, T: FromItem> Get<'a, E, T> {
    /// Strongly consistent read.
    pub fn consistent_read(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// Reads only these attributes, into `P`: an entity holding a subset of the fields, or
    /// [`Item`](crate::Item).
    pub fn project<P: FromItem>(
        self,
        paths: impl IntoIterator<Item = impl Into<Path>>,
    ) -> Get<'a, E, P> {
        Get {
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
        let Get {
            table,
            key,
            consistent,
            projection,
            capacity: asked,
            ..
        } = self;
        let previous = key
            .previous_key_item()
            .map_err(|e| Error::mapping_failed(table.name(), op, e))?;
        let read = |key| get_item(table, key, consistent, &projection, asked);
        let (mut item, mut capacity) = read(table.key_item(op, key)?).await?;
        // An item an earlier version stored under its previous key, while it has not moved.
        if item.is_none()
            && let Some(previous) = previous
        {
            let (found, more) = read(previous).await?;
            item = found
                .map(|mut item| E::read_previous_key(&mut item).map(|()| item))
                .transpose()
                .map_err(|e| Error::mapping_failed(table.name(), op, e))?;
            capacity = match (capacity, more) {
                (Some(mut total), Some(more)) => {
                    total.add(&more);
                    Some(total)
                }
                (total, more) => total.or(more),
            };
        }
        let value = item.map(|item| table.read(op, item)).transpose()?;
        Ok(WithCapacity { value, capacity })
    }
}

/// One GetItem of `key`: the item, and the capacity it consumed when `capacity` asked for it.
async fn get_item<E: Entity>(
    table: &Table<E>,
    key: Item,
    consistent: bool,
    projection: &[Path],
    capacity: bool,
) -> Result<(Option<Item>, Option<ConsumedCapacity>), Error> {
    let op = Operation::GetItem;
    let mut request = table
        .client
        .get_item()
        .table_name(table.name())
        .set_key(Some(key.clone()))
        .set_consistent_read(consistent.then_some(true))
        .set_return_consumed_capacity(capacity::level(capacity));
    if !projection.is_empty() {
        let mut p = Placeholders::default();
        let expr = projection
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
        .in_span(span.clone())
        .await
        .map_err(|e| Error::from_sdk(table.name(), op, e).with_key(Some(key)))?;
    let capacity = output.consumed_capacity().map(ConsumedCapacity::from_sdk);
    capacity::record(&span, capacity.as_ref());
    Ok((output.item, capacity))
}
