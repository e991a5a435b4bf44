//! [`Put`]: writes a whole item.

use super::write::{Body, Mode, Nothing, Old, Returning, Write, WriteRequest, write_options};
use super::{Table, versioned};
use crate::error::{Error, Operation};
use crate::expr::Condition;
use crate::mapping::entity::Entity;
use std::marker::PhantomData;

/// A PutItem: writes the entity's whole item, replacing any item with its key. Built by
/// [`Table::put`]; sent alone with [`send`](Put::send) or added to a
/// [`TransactWrite`](crate::TransactWrite).
///
/// With a `#[version]` field, the put is conditional on the version and bumps it (a version of
/// 0 means a new item: the put fails if the item exists).
///
/// ```no_run
/// # use dynamo_core::{DynamoEntity, Table};
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "users")] struct User { #[pk] user_id: String, email: String }
/// # async fn f(users: Table<User>) -> Result<(), dynamo_core::Error> {
/// let ada = User { user_id: "u1".into(), email: "ada@example.com".into() };
/// users.put(ada).create_only().send().await?;
/// # Ok(()) }
/// ```
#[must_use = "a write does nothing until it is sent or added to a transaction"]
pub struct Put<E: Entity, R = Nothing> {
    table: Table<E>,
    entity: E,
    condition: Option<Condition>,
    capacity: bool,
    _mode: Mode<R>,
}

impl<E: Entity> Put<E> {
    pub(crate) fn new(table: &Table<E>, entity: E) -> Self {
        Put {
            table: table.clone(),
            entity,
            condition: None,
            capacity: false,
            _mode: PhantomData,
        }
    }

    /// Sends the put and returns the item it replaced (`None` when there was none).
    pub fn returning_old(self) -> Put<E, Old> {
        Put {
            table: self.table,
            entity: self.entity,
            condition: self.condition,
            capacity: self.capacity,
            _mode: PhantomData,
        }
    }
}

impl<E: Entity, R: Returning<E>> Put<E, R> {
    write_options!("Writes", "put");

    /// Creates the item: the put fails with
    /// [`ErrorKind::ConditionFailed`](crate::ErrorKind::ConditionFailed) if an item with this
    /// key exists.
    pub fn create_only(self) -> Self {
        self.condition(Condition::item_not_exists::<E>())
    }

    fn request(self) -> Result<WriteRequest, Error> {
        let table = &self.table;
        let mapping = |e| Error::mapping_failed(table.name(), Operation::PutItem, e);
        let mut entity = self.entity;
        let version = versioned(&mut entity).map_err(mapping)?;
        let mut item = entity.into_item().map_err(mapping)?;
        super::stamp_put::<E>(&mut item);
        WriteRequest::fits::<E>(table.name(), Operation::PutItem, &item)?;
        let key = WriteRequest::key_of::<E>(&item);
        let condition = super::and(self.condition, version);
        Ok(WriteRequest::new(
            table,
            Body::Put(item),
            key,
            condition,
            false,
        ))
    }
}

impl<E: Entity> Write for Put<E> {
    type Entity = E;
}

impl<E: Entity> super::write::sealed::Sealed for Put<E> {
    fn into_requests(self) -> Result<Vec<WriteRequest>, Error> {
        let table = self.table.clone();
        let request = self.request()?;
        if E::SCHEMA.unique.is_empty() {
            return Ok(vec![request]);
        }
        let Body::Put(item) = &request.body else {
            return Ok(vec![request]);
        };
        let item = item.clone();
        Ok(super::unique::put_with_guards(&table, request, &item))
    }
}

impl<E: Entity> Put<E> {
    /// The number of transaction actions a put of `E` takes: its item and one guard per unique
    /// constraint (`#[dynamo(unique(..))]`). A [`TransactWrite`](crate::TransactWrite) holds at
    /// most [`MAX_TRANSACTION_ITEMS`](super::MAX_TRANSACTION_ITEMS).
    ///
    /// ```
    /// # use dynamo_core::{DynamoEntity, Put};
    /// #[derive(DynamoEntity)]
    /// #[dynamo(table_name = "users", unique(email))]
    /// struct User {
    ///     #[pk]
    ///     user_id: String,
    ///     #[sk]
    ///     kind: String,
    ///     email: String,
    /// }
    ///
    /// const _: () = assert!(Put::<User>::ACTIONS == 2);
    /// ```
    pub const ACTIONS: usize = 1 + E::SCHEMA.unique.len();
}
