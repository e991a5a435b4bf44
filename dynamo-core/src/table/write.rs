//! What every write shares: the one request a [`Put`](super::Put), [`Update`](super::Update),
//! [`Delete`](super::Delete) or [`ConditionCheck`](super::ConditionCheck) becomes, rendered once
//! into its expressions whether it is sent alone or as an item of a transaction, and what a
//! write sent alone reads back ([`Returning`]).
//!
//! A conditional write always asks DynamoDB for the item as it was when the condition failed
//! (free on failure), so a failure says which clause was false and what was found.

use super::capacity::{self, ConsumedCapacity, WithCapacity};
use super::unique::GuardOf;
use super::{InSpan, Table, span};
use crate::error::{Error, Operation};
use crate::expr::{Condition, ConditionFailure, Names, Placeholders, Roles, UpdateExpr, Values};
use crate::mapping::entity::Entity;
use crate::mapping::item::Item;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// A write that can be sent alone or added to a [`TransactWrite`](crate::TransactWrite):
/// [`Put`](super::Put), [`Update`](super::Update), [`Delete`](super::Delete) (without a
/// `returning_*` mode: a transaction returns no items) and [`ConditionCheck`](super::ConditionCheck).
pub trait Write: sealed::Sealed {
    /// The entity written.
    type Entity: Entity;
}

pub(crate) mod sealed {
    /// Turns a write into its request; not implementable outside the crate.
    pub trait Sealed {
        /// The write's requests: the item's first, then the guards of its unique values.
        #[doc(hidden)]
        fn into_requests(self) -> Result<Vec<super::WriteRequest>, super::Error>;
    }
}

/// What a write does to its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// PutItem, or a `Put` in a transaction.
    Put,
    /// UpdateItem, or an `Update` in a transaction.
    Update,
    /// DeleteItem, or a `Delete` in a transaction.
    Delete,
    /// A `ConditionCheck` in a transaction.
    ConditionCheck,
    /// A `Get` in a read transaction.
    Get,
}

impl Action {
    /// The action's name in DynamoDB's API, e.g. `"Update"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Put => "Put",
            Action::Update => "Update",
            Action::Delete => "Delete",
            Action::ConditionCheck => "ConditionCheck",
            Action::Get => "Get",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of a write: what it sends besides key and condition.
pub(crate) enum Body {
    Put(Item),
    Update(UpdateExpr),
    Delete,
    ConditionCheck,
}

/// One write, whatever its kind, ready to render: the single path both [`send_write`] and
/// transactions take.
#[doc(hidden)]
pub struct WriteRequest {
    pub(crate) target: Target,
    pub(crate) body: Body,
}

/// The item a write addresses and what it requires of it: what explains its failure.
pub(crate) struct Target {
    pub(crate) table: Arc<str>,
    /// The item's key attributes: sent for updates, deletes and checks, named by errors.
    pub(crate) key: Item,
    pub(crate) condition: Option<Condition>,
    /// A failed condition without an item is [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
    pub(crate) must_exist: bool,
    pub(crate) roles: Roles<'static>,
    /// For the guard of a unique value: what it guards, to report it taken.
    pub(crate) guard: Option<GuardOf>,
}

/// A write's expressions with their placeholders, all `None` when it has none.
struct Expressions {
    update: Option<String>,
    condition: Option<String>,
    names: Option<Names>,
    values: Option<Values>,
    on_failure: Option<ReturnValuesOnConditionCheckFailure>,
}

/// Sets a write's expressions on an SDK builder: the single-item operations' fluent builders
/// and the transaction items' builders share these setters.
macro_rules! with_expressions {
    ($builder:expr, $e:expr) => {{
        let e = $e;
        $builder
            .set_update_expression(e.update)
            .set_condition_expression(e.condition)
            .set_expression_attribute_names(e.names)
            .set_expression_attribute_values(e.values)
            .set_return_values_on_condition_check_failure(e.on_failure)
    }};
}

/// The same for builders without an update expression.
macro_rules! with_condition {
    ($builder:expr, $e:expr) => {{
        let e = $e;
        $builder
            .set_condition_expression(e.condition)
            .set_expression_attribute_names(e.names)
            .set_expression_attribute_values(e.values)
            .set_return_values_on_condition_check_failure(e.on_failure)
    }};
}

impl WriteRequest {
    /// A write of `E` on `table`.
    pub(crate) fn new<E: Entity>(
        table: &Table<E>,
        body: Body,
        key: Item,
        condition: Option<Condition>,
        must_exist: bool,
    ) -> Self {
        WriteRequest {
            target: Target {
                table: table.shared_name().clone(),
                key,
                condition,
                must_exist,
                roles: Table::<E>::roles(),
                guard: None,
            },
            body,
        }
    }

    pub(crate) fn action(&self) -> Action {
        match self.body {
            Body::Put(_) => Action::Put,
            Body::Update(_) => Action::Update,
            Body::Delete => Action::Delete,
            Body::ConditionCheck => Action::ConditionCheck,
        }
    }

    /// The operation that sends this write alone.
    fn operation(&self) -> Operation {
        match self.body {
            Body::Put(_) => Operation::PutItem,
            Body::Update(_) => Operation::UpdateItem,
            Body::Delete | Body::ConditionCheck => Operation::DeleteItem,
        }
    }

    /// The key attributes `E`'s item has in `item`, for the errors of a put.
    pub(crate) fn key_of<E: Entity>(item: &Item) -> Item {
        let schema = E::SCHEMA;
        std::iter::once(schema.partition_key.attribute)
            .chain(schema.sort_key.map(|k| k.attribute))
            .filter_map(|name| Some((name.to_owned(), item.get(name)?.clone())))
            .collect()
    }

    /// `Ok` when `item`, a whole item of `E` about to be put, fits DynamoDB's 400 KB; an
    /// [`ErrorKind::ItemTooLarge`](crate::ErrorKind::ItemTooLarge) naming its key, size and
    /// largest attributes otherwise.
    pub(crate) fn fits<E: Entity>(table: &str, op: Operation, item: &Item) -> Result<(), Error> {
        let size = crate::mapping::item_size(item);
        if size <= crate::mapping::MAX_ITEM_SIZE {
            return Ok(());
        }
        Err(Error::too_large(
            table,
            op,
            item,
            size,
            Self::key_of::<E>(item),
        ))
    }

    /// Renders the update and condition into one set of placeholders.
    fn expressions(&self, op: Operation) -> Result<Expressions, Error> {
        let target = &self.target;
        let invalid =
            |e| Error::invalid_value(&target.table, op, &e).with_key(Some(target.key.clone()));
        let mut p = Placeholders::default();
        let update = match &self.body {
            Body::Update(update) => Some(p.update(update).map_err(invalid)?),
            _ => None,
        };
        let condition = target
            .condition
            .as_ref()
            .map(|c| p.condition(c))
            .transpose()
            .map_err(invalid)?;
        let (names, values) = p.into_parts();
        Ok(Expressions {
            update,
            on_failure: condition
                .as_ref()
                .map(|_| ReturnValuesOnConditionCheckFailure::AllOld),
            condition,
            names,
            values,
        })
    }

    /// The item of a TransactWriteItems request, and its target to explain a cancellation.
    pub(crate) fn into_transact_item(self) -> Result<(TransactWriteItem, Target), Error> {
        use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, Update};
        let op = Operation::TransactWriteItems;
        let e = self.expressions(op)?;
        let target = self.target;
        let (table, key) = (Some(target.table.to_string()), Some(target.key.clone()));
        let item = TransactWriteItem::builder();
        let built = match self.body {
            Body::Put(put) => {
                with_condition!(Put::builder().set_table_name(table).set_item(Some(put)), e)
                    .build()
                    .map(|put| item.put(put))
            }
            Body::Update(_) => {
                with_expressions!(Update::builder().set_table_name(table).set_key(key), e)
                    .build()
                    .map(|update| item.update(update))
            }
            Body::Delete => {
                with_condition!(Delete::builder().set_table_name(table).set_key(key), e)
                    .build()
                    .map(|delete| item.delete(delete))
            }
            Body::ConditionCheck => with_condition!(
                ConditionCheck::builder().set_table_name(table).set_key(key),
                e
            )
            .build()
            .map(|check| item.condition_check(check)),
        };
        match built {
            Ok(item) => Ok((item.build(), target)),
            Err(err) => Err(Error::validation(&target.table, op, err.to_string())),
        }
    }

    /// Sends the write alone, returning the attributes `return_value` asks for.
    async fn send(
        self,
        client: &Client,
        return_value: ReturnValue,
        capacity: bool,
    ) -> Result<WithCapacity<Option<Item>>, Error> {
        let op = self.operation();
        let e = self.expressions(op)?;
        let target = self.target;
        let span = span(&target.table, op, None);
        let level = capacity::level(capacity);
        // The three operations' builders and outputs are different types with the same
        // methods and fields.
        macro_rules! sent {
            ($builder:expr) => {
                $builder
                    .table_name(&*target.table)
                    .return_values(return_value)
                    .set_return_consumed_capacity(level)
                    .send()
                    .in_span(span.clone())
                    .await
                    .map(|o| (o.attributes, o.consumed_capacity))
                    .map_err(|err| target.failed(op, err))
            };
        }
        let returned = match self.body {
            Body::Put(item) => sent!(with_condition!(client.put_item(), e).set_item(Some(item))),
            Body::Update(_) => {
                sent!(with_expressions!(client.update_item(), e).set_key(Some(target.key.clone())))
            }
            Body::Delete => {
                sent!(with_condition!(client.delete_item(), e).set_key(Some(target.key.clone())))
            }
            Body::ConditionCheck => Err(Error::validation(
                &target.table,
                Operation::TransactWriteItems,
                "a condition check is only sent in a transaction",
            )),
        };
        let (attributes, consumed) = returned?;
        let capacity = consumed.as_ref().map(ConsumedCapacity::from_sdk);
        capacity::record(&span, capacity.as_ref());
        Ok(WithCapacity {
            value: attributes.filter(|a| !a.is_empty()),
            capacity,
        })
    }
}

impl Target {
    /// Why the condition failed on `old` (the item DynamoDB returned, `None` when there was
    /// none).
    pub(crate) fn explain(&self, old: Option<&Item>) -> Option<ConditionFailure> {
        explain(self.condition.as_ref(), old, self.roles)
    }

    /// The error of a write sent alone: a failed condition carries the item as it was and the
    /// explanation of what was false; when the item had to exist and did not, it is
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
    fn failed<S, R>(&self, op: Operation, err: SdkError<S, R>) -> Error
    where
        S: HasConditionItem
            + crate::error::ThrottlingReasons
            + ProvideErrorMetadata
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
        let error = Error::from_sdk(&self.table, op, err);
        let error = if !error.is_condition_failed() {
            error
        } else if self.must_exist && old.is_none() {
            Error::not_found(&self.table, op)
        } else {
            let explanation = self.explain(old.as_ref());
            Error::condition_failed(&self.table, op, old, explanation)
        };
        error.with_key(Some(self.key.clone()))
    }
}

/// Why `condition` failed on `old`, as DynamoDB found it false: when the evaluation here
/// disagrees (a condition this crate evaluates differently), it says so rather than nothing.
pub(crate) fn explain(
    condition: Option<&Condition>,
    old: Option<&Item>,
    roles: Roles<'_>,
) -> Option<ConditionFailure> {
    let explained = condition?.explain_with(old, roles);
    Some(explained.unwrap_or_else(|| match old {
        None => ConditionFailure::missing(),
        Some(_) => ConditionFailure::unexplained(),
    }))
}

/// Service errors that carry the item of a failed condition.
trait HasConditionItem {
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

/// What a write sent alone reads back: [`Nothing`] (the default), the item as it was
/// ([`Old`]) or as it is after the write ([`New`]).
pub trait Returning<E: Entity>: returning::Sealed {
    /// What `send()` returns.
    type Output;

    #[doc(hidden)]
    const RETURN_VALUE: ReturnValue;

    #[doc(hidden)]
    fn read(table: &Table<E>, op: Operation, item: Option<Item>) -> Result<Self::Output, Error>;
}

/// A write that reads nothing back: `send()` returns `()`. The only mode a transaction takes.
#[derive(Debug, Clone, Copy)]
pub enum Nothing {}

/// A write that returns the item as it was before it (`None` when there was none):
/// `returning_old()`.
#[derive(Debug, Clone, Copy)]
pub enum Old {}

/// An update that returns the item as it is after it: `returning_new()`.
#[derive(Debug, Clone, Copy)]
pub enum New {}

mod returning {
    /// The return modes; not implementable outside the crate.
    pub trait Sealed {}
    impl Sealed for super::Nothing {}
    impl Sealed for super::Old {}
    impl Sealed for super::New {}
}

impl<E: Entity> Returning<E> for Nothing {
    type Output = ();
    const RETURN_VALUE: ReturnValue = ReturnValue::None;

    fn read(_: &Table<E>, _: Operation, _: Option<Item>) -> Result<(), Error> {
        Ok(())
    }
}

impl<E: Entity> Returning<E> for Old {
    type Output = Option<E>;
    const RETURN_VALUE: ReturnValue = ReturnValue::AllOld;

    fn read(table: &Table<E>, op: Operation, item: Option<Item>) -> Result<Option<E>, Error> {
        item.map(|item| table.read(op, item)).transpose()
    }
}

impl<E: Entity> Returning<E> for New {
    type Output = E;
    const RETURN_VALUE: ReturnValue = ReturnValue::AllNew;

    fn read(table: &Table<E>, op: Operation, item: Option<Item>) -> Result<E, Error> {
        match item {
            Some(item) => table.read(op, item),
            None => Err(Error::not_found(table.name(), op)),
        }
    }
}

/// What every write sent alone offers: its condition, the capacity it consumed, and sending it.
/// A write type has `table`, `condition` and `capacity` fields and a `request()` method;
/// `$verb` and `$what` word the docs ("Updates", "update").
macro_rules! write_options {
    ($verb:literal, $what:literal) => {
        #[doc = concat!($verb, " only if `condition` holds (combined with AND). When it does not, the")]
        /// error says which clause was false and what was found.
        pub fn condition(mut self, condition: Condition) -> Self {
            self.condition = super::and(self.condition, Some(condition));
            self
        }

        /// Asks DynamoDB for the capacity the write consumes; the span records it.
        pub fn return_consumed_capacity(mut self) -> Self {
            self.capacity = true;
            self
        }

        #[doc = concat!("Sends the ", $what, " alone.")]
        pub async fn send(self) -> Result<R::Output, Error> {
            self.sent().await.map(|r| r.value)
        }

        #[doc = concat!("Sends the ", $what, " alone and returns the capacity it consumed too.")]
        pub async fn send_with_capacity(
            mut self,
        ) -> Result<super::capacity::WithCapacity<R::Output>, Error> {
            self.capacity = true;
            self.sent().await
        }

        async fn sent(self) -> Result<super::capacity::WithCapacity<R::Output>, Error> {
            let (table, capacity) = (self.table.clone(), self.capacity);
            super::unique::send_alone::<E, R>(&table, self.request()?, capacity).await
        }
    };
}

pub(crate) use write_options;

/// Sends `write` alone and reads back what its mode `R` asks for.
pub(crate) async fn send_write<E: Entity, R: Returning<E>>(
    table: &Table<E>,
    request: WriteRequest,
    capacity: bool,
) -> Result<WithCapacity<R::Output>, Error> {
    let op = request.operation();
    let sent = request
        .send(table.client(), R::RETURN_VALUE, capacity)
        .await?;
    Ok(WithCapacity {
        value: R::read(table, op, sent.value)?,
        capacity: sent.capacity,
    })
}

/// The return mode a write is built with, carried in its type.
pub(crate) type Mode<R> = PhantomData<fn() -> R>;
