//! [`Delete`]: removes an item.

use super::Table;
use super::write::{Body, Mode, Nothing, Old, Returning, Write, WriteRequest, write_options};
use crate::error::{Error, Operation};
use crate::expr::Condition;
use crate::mapping::entity::{Entity, Versioned};
use std::marker::PhantomData;

/// A DeleteItem: removes the item of a key (deleting a missing item is no error, unless it
/// [`must_exist`](Delete::must_exist)). Built by [`Table::delete`]; sent alone with
/// [`send`](Delete::send) or added to a [`TransactWrite`](crate::TransactWrite).
///
/// ```no_run
/// # use dynamo_core::{DynamoEntity, Table};
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "users")] struct User { #[pk] user_id: String, email: String }
/// # async fn f(users: Table<User>) -> Result<(), dynamo_core::Error> {
/// let gone: Option<User> = users.delete(UserKey::new("u1")).returning_old().send().await?;
/// # Ok(()) }
/// ```
#[must_use = "a write does nothing until it is sent or added to a transaction"]
pub struct Delete<E: Entity, R = Nothing> {
    table: Table<E>,
    key: E::Key,
    condition: Option<Condition>,
    must_exist: bool,
    capacity: bool,
    _mode: Mode<R>,
}

impl<E: Entity> Delete<E> {
    pub(crate) fn new(table: &Table<E>, key: E::Key) -> Self {
        Delete {
            table: table.clone(),
            key,
            condition: None,
            must_exist: false,
            capacity: false,
            _mode: PhantomData,
        }
    }

    /// Sends the delete alone and returns the item it deleted (`None` when there was none).
    pub fn returning_old(self) -> Delete<E, Old> {
        Delete {
            table: self.table,
            key: self.key,
            condition: self.condition,
            must_exist: self.must_exist,
            capacity: self.capacity,
            _mode: PhantomData,
        }
    }
}

impl<E: Entity, R: Returning<E>> Delete<E, R> {
    write_options!("Deletes", "delete");

    /// Fails with [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) when there is no such
    /// item (in a transaction: cancels it).
    pub fn must_exist(mut self) -> Self {
        self.must_exist = true;
        self
    }

    /// Deletes only if the stored `#[version]` is `version`. On an entity without a
    /// `#[version]` field this does not compile.
    pub fn expect_version(self, version: u64) -> Self
    where
        E: Versioned,
    {
        self.condition(super::version_is::<E>(version))
    }

    fn request(self) -> Result<WriteRequest, Error> {
        let table = &self.table;
        let key = table.key_item(Operation::DeleteItem, self.key)?;
        let exists = self.must_exist.then(Condition::item_exists::<E>);
        let condition = super::and(exists, self.condition);
        // A condition that requires the item, written here or by the caller, fails on a
        // missing item: that is "not found", not a false clause.
        let must_exist = condition
            .as_ref()
            .is_some_and(|c| c.requires_attribute(E::SCHEMA.partition_key.attribute));
        Ok(WriteRequest::new(
            table,
            Body::Delete,
            key,
            condition,
            must_exist,
        ))
    }
}

impl<E: Entity> Write for Delete<E> {
    type Entity = E;
}

impl<E: Entity> super::write::sealed::Sealed for Delete<E> {
    fn into_requests(self) -> Result<Vec<WriteRequest>, Error> {
        if !E::SCHEMA.unique.is_empty() {
            return Err(Error::validation(
                self.table.name(),
                Operation::TransactWriteItems,
                format!(
                    "a delete of {} reads the item to delete the guards of its unique values: send it alone (it is a transaction of its own)",
                    E::SCHEMA.name
                ),
            ));
        }
        Ok(vec![self.request()?])
    }
}
