//! Transactions: [`TransactWrite`] (TransactWriteItems) of the same write values that are sent
//! alone, each added with a typed [`Handle`] that finds its own [`CancellationReason`]; and
//! [`TransactGet`] (TransactGetItems), whose handles read their items typed.

use super::capacity::{self, ConsumedCapacity};
use super::unique::UniqueViolation;
use super::write::{Action, Target, Write, WriteRequest};
use super::{FromItem, InSpan, Table, span};
use crate::error::{Error, Operation};
use crate::expr::ConditionFailure;
use crate::mapping::entity::Entity;
use crate::mapping::error::MappingError;
use crate::mapping::item::Item;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Get, TransactGetItem, TransactWriteItem};
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

/// DynamoDB's limit of items per transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// Tells transactions apart, so that a handle only finds what its own transaction reported.
fn next_transaction() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A write or read added to a transaction: finds the write's [`CancellationReason`] in a
/// [`Cancellation`], or the item read in a [`TransactGetOutput`]. Typed by the entity, so the
/// item it finds reads as that entity. A handle finds nothing in another transaction's output.
pub struct Handle<E> {
    transaction: u64,
    index: usize,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Handle<E> {
    /// The position of the write or read in its transaction, from 0 in the order added.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl<E> Clone for Handle<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for Handle<E> {}

impl<E> fmt::Debug for Handle<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle(#{})", self.index)
    }
}

impl<E> PartialEq for Handle<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.transaction, self.index) == (other.transaction, other.index)
    }
}

impl<E> Eq for Handle<E> {}

/// A TransactWriteItems request: all of its writes happen, or none.
///
/// The writes are the values [`Table::put`], [`Table::update`], [`Table::delete`] and
/// [`Table::condition_check`] build, the same that are sent alone; [`add`](Self::add) returns a
/// typed [`Handle`] to each, and a canceled transaction gives the reason of each write by its
/// handle, with DynamoDB's code classified ([`CancellationCode`]) and a failed condition
/// explained.
///
/// ```no_run
/// # use dynamo_core::{DynamoEntity, Table, TransactWrite};
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "seats")] struct Seat { #[pk] id: String, holder: Option<String> }
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "holds")] struct Hold { #[pk] id: String }
/// # async fn f(client: &dynamo_core::Client, seats: Table<Seat>, holds: Table<Hold>) -> Result<(), dynamo_core::Error> {
/// let s = Seat::fields();
/// let mut tx = TransactWrite::new(client);
/// let seat = tx.add(
///     seats
///         .update(SeatKey::new("A-1"))
///         .set(s.holder, Some("h1".to_owned()))
///         .condition(s.holder.not_exists()),
/// );
/// tx.add(holds.put(Hold { id: "h1".into() }).create_only());
/// tx.client_request_token("h1");
/// match tx.send().await {
///     Ok(()) => {}
///     Err(e) if e.cancellation().is_some_and(|c| c.condition_failed(seat)) => {
///         // the seat is taken
///     }
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[must_use = "a transaction does nothing until it is sent"]
pub struct TransactWrite {
    client: Client,
    id: u64,
    items: Vec<TransactWriteItem>,
    targets: Vec<(Action, Target)>,
    /// Per write added: its entity, action and number of actions (the item and its guards).
    writes: Vec<(&'static str, Action, usize)>,
    token: Option<String>,
    error: Option<Error>,
}

impl fmt::Debug for TransactWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactWrite")
            .field("writes", &self.items.len())
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl TransactWrite {
    /// An empty transaction.
    pub fn new(client: &Client) -> Self {
        TransactWrite {
            client: client.clone(),
            id: next_transaction(),
            items: Vec::new(),
            targets: Vec::new(),
            writes: Vec::new(),
            token: None,
            error: None,
        }
    }

    /// The number of writes so far.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no write was added.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds a write; its handle finds its reason when the transaction is canceled. A write that
    /// cannot be rendered (a value that does not map) fails the transaction's
    /// [`send`](Self::send).
    pub fn add<W: Write>(&mut self, write: W) -> Handle<W::Entity> {
        let handle = Handle {
            transaction: self.id,
            index: self.items.len(),
            _entity: PhantomData,
        };
        self.push(W::Entity::SCHEMA.name, write.into_requests());
        handle
    }

    /// Adds the requests of one write of `entity` (its item's first, then its guards).
    pub(crate) fn push(
        &mut self,
        entity: &'static str,
        requests: Result<Vec<WriteRequest>, Error>,
    ) {
        let rendered = requests.and_then(|requests| {
            requests
                .into_iter()
                .map(|request| {
                    let action = request.action();
                    request
                        .into_transact_item()
                        .map(|(item, target)| (item, (action, target)))
                })
                .collect::<Result<Vec<_>, Error>>()
        });
        match rendered {
            Ok(rendered) => {
                if let Some((_, (action, _))) = rendered.first() {
                    self.writes.push((entity, *action, rendered.len()));
                }
                for (item, target) in rendered {
                    self.items.push(item);
                    self.targets.push(target);
                }
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Makes retries idempotent: the same token within 10 minutes is one transaction.
    pub fn client_request_token(&mut self, token: impl Into<String>) -> &mut Self {
        self.token = Some(token.into());
        self
    }

    /// Sends the transaction. When it is canceled, the error's
    /// [`cancellation`](Error::cancellation) gives each failed write's reason by its handle.
    pub async fn send(self) -> Result<(), Error> {
        self.sent(false).await.map(drop)
    }

    /// Sends the transaction and returns the capacity it consumed, per table.
    pub async fn send_with_capacity(self) -> Result<Vec<ConsumedCapacity>, Error> {
        self.sent(true).await
    }

    /// Refuses what DynamoDB would refuse with a less precise message: no writes, too many,
    /// or two writes of one item.
    fn check(&self) -> Result<(), Error> {
        let op = Operation::TransactWriteItems;
        if self.items.is_empty() {
            return Err(Error::validation("", op, "the transaction has no writes"));
        }
        if self.items.len() > MAX_TRANSACTION_ITEMS {
            return Err(Error::validation("", op, self.too_many()));
        }
        for (later, (_, b)) in self.targets.iter().enumerate() {
            if let Some(earlier) = self.targets[..later]
                .iter()
                .position(|(_, a)| a.table == b.table && same_key(&a.key, &b.key))
            {
                return Err(Error::validation(
                    &b.table,
                    op,
                    format!(
                        "writes #{earlier} and #{later} address the same item; a transaction may write an item once"
                    ),
                )
                .with_key(Some(b.key.clone())));
            }
        }
        Ok(())
    }

    pub(crate) async fn sent(self, with_capacity: bool) -> Result<Vec<ConsumedCapacity>, Error> {
        let op = Operation::TransactWriteItems;
        if let Some(error) = self.error {
            return Err(error);
        }
        self.check()?;
        let first = self.targets[0].1.table.clone();
        let span = span(&first, op, Some(self.items.len()));
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(self.items))
            .set_client_request_token(self.token)
            .set_return_consumed_capacity(capacity::level(with_capacity))
            .send()
            .in_span(span.clone())
            .await;
        match result {
            Ok(output) => {
                let mut totals = Vec::new();
                ConsumedCapacity::merge_into(&mut totals, output.consumed_capacity());
                if !totals.is_empty() {
                    let all: f64 = totals.iter().map(|c| c.capacity_units).sum();
                    span.record("consumed_capacity", all);
                }
                Ok(totals)
            }
            Err(err) => {
                use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
                if let Some(TransactWriteItemsError::TransactionCanceledException(e)) =
                    err.as_service_error()
                {
                    let reasons = reasons(e.cancellation_reasons(), |index| {
                        self.targets.get(index).map(|(action, target)| Meta {
                            action: *action,
                            table: &target.table,
                            key: &target.key,
                            target: Some(target),
                        })
                    });
                    return Err(Error::canceled(
                        op,
                        Cancellation {
                            transaction: self.id,
                            reasons,
                        },
                    ));
                }
                Err(Error::from_sdk("", op, err))
            }
        }
    }
}

impl TransactWrite {
    /// Why the writes are too many, with the arithmetic: writes of entities with unique
    /// constraints take an action per guard too.
    fn too_many(&self) -> String {
        let mut groups: Vec<(&str, Action, usize, usize)> = Vec::new();
        for &(entity, action, actions) in &self.writes {
            match groups
                .iter_mut()
                .find(|g| (g.0, g.1, g.2) == (entity, action, actions))
            {
                Some(group) => group.3 += 1,
                None => groups.push((entity, action, actions, 1)),
            }
        }
        let parts: Vec<String> = groups
            .iter()
            .map(|&(entity, action, actions, times)| match actions {
                1 => format!("{times} × {action} of {entity}"),
                n => format!(
                    "{times} × {action} of {entity} with {} unique guards = {n} actions each",
                    n - 1
                ),
            })
            .collect();
        format!(
            "{} actions ({}); a transaction holds at most {MAX_TRANSACTION_ITEMS}",
            self.items.len(),
            parts.join(" + ")
        )
    }
}

/// Whether two keys are the same: a key has one or two attributes, so comparing them pairwise
/// is cheaper than hashing their names.
fn same_key(a: &Item, b: &Item) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(name, value)| b.iter().any(|(n, v)| n == name && v == value))
}

#[cfg(feature = "testing")]
impl TransactWrite {
    /// The error DynamoDB answers when it cancels this transaction because the writes at
    /// `failures` (by [`Handle::index`]) failed with these codes, the others having passed
    /// their conditions: for unit tests of code that handles cancellations, without DynamoDB.
    /// A failed condition is explained as the item not existing.
    ///
    /// ```
    /// # use dynamo_core::{DynamoEntity, Table, TransactWrite};
    /// # use dynamo_core::table::CancellationCode;
    /// # #[derive(DynamoEntity)] #[dynamo(table_name = "seats")] struct Seat { #[pk] id: String, holder: Option<String> }
    /// let client = dynamo_core::testing::offline_client();
    /// let seats = Table::<Seat>::new(&client);
    /// let mut tx = TransactWrite::new(&client);
    /// let seat = tx.add(seats.update(SeatKey::new("A-1")).set(Seat::fields().holder, Some("h1".to_owned())));
    /// let error = tx.canceled_with([(seat.index(), CancellationCode::ConditionalCheckFailed)]);
    /// assert!(error.cancellation().is_some_and(|c| c.condition_failed(seat)));
    /// ```
    pub fn canceled_with(
        &self,
        failures: impl IntoIterator<Item = (usize, CancellationCode)>,
    ) -> Error {
        let mut failures: Vec<_> = failures.into_iter().collect();
        failures.sort_by_key(|(index, _)| *index);
        let reasons = failures
            .into_iter()
            .filter_map(|(index, code)| {
                let (action, target) = self.targets.get(index)?;
                let explanation = match code {
                    CancellationCode::ConditionalCheckFailed => target.explain(None),
                    _ => None,
                };
                let unique = match code {
                    CancellationCode::ConditionalCheckFailed => {
                        target.guard.as_ref().map(|g| g.violation(None))
                    }
                    _ => None,
                };
                Some(CancellationReason {
                    index,
                    action: *action,
                    table: target.table.to_string(),
                    key: Some(target.key.clone()),
                    code,
                    message: None,
                    item: None,
                    explanation,
                    unique,
                })
            })
            .collect();
        Error::canceled(
            Operation::TransactWriteItems,
            Cancellation {
                transaction: self.id,
                reasons,
            },
        )
    }
}

/// The reasons a transaction was canceled: one per write (or read) that failed, each found by
/// its [`Handle`].
#[derive(Debug, Clone, PartialEq)]
pub struct Cancellation {
    transaction: u64,
    reasons: Vec<CancellationReason>,
}

impl Cancellation {
    /// Every reason, in the order the writes were added; writes that did not fail have none.
    pub fn reasons(&self) -> &[CancellationReason] {
        &self.reasons
    }

    /// Why the write of `handle` failed; `None` when it did not (another write canceled the
    /// transaction), or when the handle is another transaction's.
    pub fn reason<E>(&self, handle: Handle<E>) -> Option<&CancellationReason> {
        if handle.transaction != self.transaction {
            return None;
        }
        self.reasons.iter().find(|r| r.index == handle.index)
    }

    /// Whether the condition of the write of `handle` failed (including an item it required
    /// that does not exist).
    pub fn condition_failed<E>(&self, handle: Handle<E>) -> bool {
        self.reason(handle)
            .is_some_and(|r| r.code == CancellationCode::ConditionalCheckFailed)
    }

    /// The item of `handle` as it was when its condition failed, read as its entity; `None`
    /// when its condition did not fail or there was no item.
    pub fn old_item<E: Entity>(&self, handle: Handle<E>) -> Option<Result<E, MappingError>> {
        let item = self.reason(handle)?.item.clone()?;
        Some(E::from_item(item))
    }

    /// The first unique value a guard write found taken (`#[dynamo(unique(..))]`): the
    /// constraint, the value and the item that holds it.
    pub fn unique_violation(&self) -> Option<&UniqueViolation> {
        self.reasons.iter().find_map(|r| r.unique.as_ref())
    }

    /// Whether only conflicts with other transactions canceled it: sending it again shortly
    /// may succeed.
    pub fn is_conflict_only(&self) -> bool {
        self.reasons
            .iter()
            .all(|r| r.code == CancellationCode::TransactionConflict)
    }
}

impl fmt::Display for Cancellation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, reason) in self.reasons.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{reason}")?;
        }
        Ok(())
    }
}

/// Why one write (or read) of a canceled transaction failed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CancellationReason {
    /// The write's position in the transaction, in the order it was added
    /// ([`Handle::index`]).
    pub index: usize,
    /// What the transaction did with the item.
    pub action: Action,
    /// The table of the item.
    pub table: String,
    /// The key of the item.
    pub key: Option<Item>,
    /// DynamoDB's code, classified.
    pub code: CancellationCode,
    /// DynamoDB's message, when it gave one.
    pub message: Option<String>,
    /// The item as it was when its condition failed (`None` when it did not exist).
    pub item: Option<Item>,
    /// Why the item's condition failed, clause by clause, when it did.
    pub explanation: Option<ConditionFailure>,
    /// When the write is the guard of a unique value and its condition failed: the value is
    /// taken, and by which item.
    pub unique: Option<UniqueViolation>,
}

impl fmt::Display for CancellationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {} on {}: {}",
            self.index, self.action, self.table, self.code
        )?;
        match (&self.explanation, &self.message) {
            (Some(explanation), _) => write!(f, ": {explanation}"),
            (None, Some(message)) => write!(f, " ({message})"),
            (None, None) => Ok(()),
        }
    }
}

/// DynamoDB's reason code for one item of a canceled transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CancellationCode {
    /// The write's condition failed (or the item it required does not exist).
    ConditionalCheckFailed,
    /// Another transaction was changing the item.
    TransactionConflict,
    /// DynamoDB throttled the item's on-demand table or index (`ThrottlingError`).
    Throttling,
    /// The item's provisioned table or index had no capacity left.
    ProvisionedThroughputExceeded,
    /// The item collection of a local secondary index would exceed 10 GB.
    ItemCollectionSizeLimitExceeded,
    /// The write is invalid (e.g. a value too large).
    ValidationError,
    /// A code this crate does not know.
    Other(String),
}

impl CancellationCode {
    fn parse(code: &str) -> Self {
        match code {
            "ConditionalCheckFailed" => CancellationCode::ConditionalCheckFailed,
            "TransactionConflict" => CancellationCode::TransactionConflict,
            "ThrottlingError" => CancellationCode::Throttling,
            "ProvisionedThroughputExceeded" => CancellationCode::ProvisionedThroughputExceeded,
            "ItemCollectionSizeLimitExceeded" => CancellationCode::ItemCollectionSizeLimitExceeded,
            "ValidationError" => CancellationCode::ValidationError,
            other => CancellationCode::Other(other.to_owned()),
        }
    }

    /// DynamoDB's code, e.g. `"ConditionalCheckFailed"`.
    pub fn as_str(&self) -> &str {
        match self {
            CancellationCode::ConditionalCheckFailed => "ConditionalCheckFailed",
            CancellationCode::TransactionConflict => "TransactionConflict",
            CancellationCode::Throttling => "ThrottlingError",
            CancellationCode::ProvisionedThroughputExceeded => "ProvisionedThroughputExceeded",
            CancellationCode::ItemCollectionSizeLimitExceeded => "ItemCollectionSizeLimitExceeded",
            CancellationCode::ValidationError => "ValidationError",
            CancellationCode::Other(code) => code,
        }
    }

    /// Whether DynamoDB throttled the item.
    pub fn is_throttling(&self) -> bool {
        matches!(
            self,
            CancellationCode::Throttling | CancellationCode::ProvisionedThroughputExceeded
        )
    }

    /// Whether sending the transaction again later may succeed: a conflict or throttling.
    pub fn is_transient(&self) -> bool {
        self.is_throttling() || *self == CancellationCode::TransactionConflict
    }
}

impl fmt::Display for CancellationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a cancellation reason is matched with: the item's action, table and key, and the
/// write's target whose condition explains a failure.
struct Meta<'a> {
    action: Action,
    table: &'a str,
    key: &'a Item,
    target: Option<&'a Target>,
}

/// The reasons of the items that failed (DynamoDB's code `None` is left out), each matched with
/// the item at its position.
fn reasons<'a>(
    sdk: &[aws_sdk_dynamodb::types::CancellationReason],
    meta: impl Fn(usize) -> Option<Meta<'a>>,
) -> Vec<CancellationReason> {
    sdk.iter()
        .enumerate()
        .filter_map(|(index, r)| {
            let code = CancellationCode::parse(r.code().filter(|c| *c != "None")?);
            let item = r.item().cloned().filter(|i| !i.is_empty());
            let meta = meta(index);
            let (explanation, unique) = match (&code, meta.as_ref().and_then(|m| m.target)) {
                (CancellationCode::ConditionalCheckFailed, Some(target)) => match &target.guard {
                    Some(guard) => (None, Some(guard.violation(item.as_ref()))),
                    None => (target.explain(item.as_ref()), None),
                },
                _ => (None, None),
            };
            Some(CancellationReason {
                index,
                action: meta.as_ref().map_or(Action::Get, |m| m.action),
                table: meta
                    .as_ref()
                    .map(|m| m.table.to_owned())
                    .unwrap_or_default(),
                key: meta.as_ref().map(|m| m.key.clone()),
                code,
                message: r.message().map(str::to_owned),
                item,
                explanation,
                unique,
            })
        })
        .collect()
}

/// A TransactGetItems request: a consistent snapshot of up to 100 items of any tables, each
/// read back typed by its [`Handle`].
///
/// ```no_run
/// # use dynamo_core::{DynamoEntity, Table, TransactGet};
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "seats")] struct Seat { #[pk] id: String }
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "holds")] struct Hold { #[pk] id: String }
/// # async fn f(client: &dynamo_core::Client, seats: Table<Seat>, holds: Table<Hold>) -> Result<(), dynamo_core::Error> {
/// let mut tx = TransactGet::new(client);
/// let seat = tx.get(&seats, SeatKey::new("A-1"));
/// let hold = tx.get(&holds, HoldKey::new("h1"));
/// let out = tx.send().await?;
/// let (seat, hold): (Option<Seat>, Option<Hold>) = (out.get(seat)?, out.get(hold)?);
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct TransactGet {
    client: Client,
    id: u64,
    items: Vec<TransactGetItem>,
    tables: Vec<(String, Item)>,
    error: Option<Error>,
    capacity: bool,
}

/// The items of a [`TransactGet`], found by their handles.
#[derive(Debug)]
pub struct TransactGetOutput {
    transaction: u64,
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
            id: next_transaction(),
            items: Vec::new(),
            tables: Vec::new(),
            error: None,
            capacity: false,
        }
    }

    /// Reads the item of `key`; the handle finds it in the output.
    pub fn get<E: Entity>(&mut self, table: &Table<E>, key: E::Key) -> Handle<E> {
        let op = Operation::TransactGetItems;
        let handle = Handle {
            transaction: self.id,
            index: self.items.len(),
            _entity: PhantomData,
        };
        let item = table.key_item(op, key).and_then(|key| {
            Get::builder()
                .table_name(table.name())
                .set_key(Some(key.clone()))
                .build()
                .map(|get| (get, key))
                .map_err(|e| Error::validation(table.name(), op, e.to_string()))
        });
        match item {
            Ok((get, key)) => {
                self.items.push(TransactGetItem::builder().get(get).build());
                self.tables.push((table.name().to_owned(), key));
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        handle
    }

    /// Asks DynamoDB for the capacity the read consumes, per table in the output.
    pub fn return_consumed_capacity(&mut self) -> &mut Self {
        self.capacity = true;
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<TransactGetOutput, Error> {
        let op = Operation::TransactGetItems;
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.items.is_empty() {
            return Err(Error::validation("", op, "the transaction has no reads"));
        }
        let first = self.tables[0].0.clone();
        let tables = self.tables;
        let output = self
            .client
            .transact_get_items()
            .set_transact_items(Some(self.items))
            .set_return_consumed_capacity(capacity::level(self.capacity))
            .send()
            .in_span(span(&first, op, Some(tables.len())))
            .await
            .map_err(|err| {
                use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsError;
                match err.as_service_error() {
                    Some(TransactGetItemsError::TransactionCanceledException(e)) => {
                        let reasons = reasons(e.cancellation_reasons(), |index| {
                            tables.get(index).map(|(table, key)| Meta {
                                action: Action::Get,
                                table,
                                key,
                                target: None,
                            })
                        });
                        Error::canceled(
                            op,
                            Cancellation {
                                transaction: self.id,
                                reasons,
                            },
                        )
                    }
                    _ => Error::from_sdk("", op, err),
                }
            })?;
        let mut consumed_capacity = Vec::new();
        ConsumedCapacity::merge_into(&mut consumed_capacity, output.consumed_capacity());
        let mut responses = output.responses.unwrap_or_default().into_iter();
        let items = tables
            .into_iter()
            .map(|(table, _)| {
                let item = responses
                    .next()
                    .and_then(|r| r.item)
                    .filter(|i| !i.is_empty());
                (item, table)
            })
            .collect();
        Ok(TransactGetOutput {
            transaction: self.id,
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

    /// The item of `handle`, read as its entity; `None` when it does not exist (or the handle
    /// is another transaction's).
    pub fn get<E: Entity>(&self, handle: Handle<E>) -> Result<Option<E>, Error> {
        self.get_as(handle)
    }

    /// The item of `handle` read as `T`: a projection entity, a collection or the raw
    /// [`Item`].
    pub fn get_as<E, T: FromItem>(&self, handle: Handle<E>) -> Result<Option<T>, Error> {
        if handle.transaction != self.transaction {
            return Ok(None);
        }
        let Some((item, table)) = self.items.get(handle.index) else {
            return Ok(None);
        };
        item.clone()
            .map(T::from_item)
            .transpose()
            .map_err(|e| Error::mapping_failed(table, Operation::TransactGetItems, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_once() {
        for (text, code) in [
            (
                "ConditionalCheckFailed",
                CancellationCode::ConditionalCheckFailed,
            ),
            ("TransactionConflict", CancellationCode::TransactionConflict),
            ("ThrottlingError", CancellationCode::Throttling),
            (
                "ProvisionedThroughputExceeded",
                CancellationCode::ProvisionedThroughputExceeded,
            ),
            (
                "ItemCollectionSizeLimitExceeded",
                CancellationCode::ItemCollectionSizeLimitExceeded,
            ),
            ("ValidationError", CancellationCode::ValidationError),
            (
                "SomethingNew",
                CancellationCode::Other("SomethingNew".into()),
            ),
        ] {
            let parsed = CancellationCode::parse(text);
            assert_eq!(parsed, code);
            assert_eq!(parsed.as_str(), text);
        }
        assert!(CancellationCode::Throttling.is_throttling());
        assert!(CancellationCode::ProvisionedThroughputExceeded.is_transient());
        assert!(CancellationCode::TransactionConflict.is_transient());
        assert!(!CancellationCode::ConditionalCheckFailed.is_transient());
    }

    #[test]
    fn a_handle_finds_only_its_own_transaction_s_reasons() {
        let reason = CancellationReason {
            index: 0,
            action: Action::Get,
            table: "seats".into(),
            key: None,
            code: CancellationCode::TransactionConflict,
            message: None,
            item: None,
            explanation: None,
            unique: None,
        };
        let cancellation = Cancellation {
            transaction: 7,
            reasons: vec![reason],
        };
        let ours: Handle<()> = Handle {
            transaction: 7,
            index: 0,
            _entity: PhantomData,
        };
        let theirs: Handle<()> = Handle {
            transaction: 8,
            index: 0,
            _entity: PhantomData,
        };
        assert!(cancellation.reason(ours).is_some());
        assert!(cancellation.reason(theirs).is_none());
        assert!(cancellation.is_conflict_only());
        let get = Error::canceled(Operation::TransactGetItems, cancellation);
        assert_eq!(
            get.to_string(),
            "TransactGetItems canceled: #0 Get on seats: TransactionConflict"
        );
        assert!(get.is_transient() && !get.is_throttled());
    }
}
