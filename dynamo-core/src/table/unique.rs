//! Unique constraints (`#[dynamo(unique(..))]`): each value is held by a guard item in the
//! entity's table, written, moved and deleted in the same transaction as the item.
//!
//! A guard's partition key is `UNIQUE#{entity}#{constraint}#{value}` (a composite value's parts
//! joined by `#`, with `%` and `#` in them escaped), its sort key `UNIQUE`; it records the key of
//! the item that owns it (`owner_pk`, `owner_sk`) and copies the item's TTL. Its writes are
//! conditional: a guard is put only where none is or where the same item owns it, and deleted
//! only by its owner, so no interleaving of writes leaves two items holding one value.

use super::Table;
use super::transact::TransactWrite;
use super::write::{Body, Returning, WriteRequest};
use crate::error::{Error, Operation};
use crate::expr::{Condition, Path, UpdateExpr};
use crate::mapping::entity::{Entity, UniqueConstraint};
use crate::mapping::item::Item;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use std::fmt;

/// The sort key of every guard item.
pub(crate) const GUARD_SORT_KEY: &str = "UNIQUE";
/// The attribute of a guard that holds its owner's partition key.
pub(crate) const OWNER_PK: &str = "owner_pk";
/// The attribute of a guard that holds its owner's sort key.
pub(crate) const OWNER_SK: &str = "owner_sk";

/// A value of a unique constraint that another item holds: what a write that would duplicate
/// it fails with ([`ErrorKind::UniqueViolation`](crate::ErrorKind::UniqueViolation), and
/// [`Cancellation::unique_violation`](super::Cancellation::unique_violation) in a transaction).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UniqueViolation {
    /// The entity, e.g. `"User"`.
    pub entity: &'static str,
    /// The constraint's name, e.g. `"email"`.
    pub constraint: &'static str,
    /// The values held, one per attribute of the constraint (a scope's first).
    pub values: Vec<String>,
    /// The key of the item that holds them, as its guard records it.
    pub owner: Option<Item>,
}

impl fmt::Display for UniqueViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}'s unique {} {:?} is taken",
            self.entity,
            self.constraint,
            self.values.join(", ")
        )?;
        if let Some(owner) = &self.owner {
            let mut key: Vec<String> = owner
                .iter()
                .map(|(name, value)| format!("{name}={}", text(value).unwrap_or_default()))
                .collect();
            key.sort();
            write!(f, " by the item {}", key.join(", "))?;
        }
        Ok(())
    }
}

/// The guard of one constraint's value.
pub(crate) struct Guard {
    constraint: &'static UniqueConstraint,
    values: Vec<String>,
    /// The guard item's key attributes.
    key: Item,
}

impl Guard {
    fn of<E: Entity>(&self) -> GuardOf {
        GuardOf {
            entity: entity_name::<E>(),
            constraint: self.constraint.name,
            values: self.values.clone(),
            owner: (
                E::SCHEMA.partition_key.attribute,
                E::SCHEMA.sort_key.map(|k| k.attribute),
            ),
        }
    }
}

/// What a guard write in a transaction guards: what its failure is reported as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GuardOf {
    entity: &'static str,
    constraint: &'static str,
    values: Vec<String>,
    /// The owner's key attributes, partition and sort.
    owner: (&'static str, Option<&'static str>),
}

impl GuardOf {
    /// The violation a failed guard write explains: the guard as it was (`found`) names its
    /// owner.
    pub(crate) fn violation(&self, found: Option<&Item>) -> UniqueViolation {
        let owner = found.and_then(|guard| {
            let mut key = Item::with_capacity(2);
            key.insert(self.owner.0.to_owned(), guard.get(OWNER_PK)?.clone());
            if let (Some(sk), Some(value)) = (self.owner.1, guard.get(OWNER_SK)) {
                key.insert(sk.to_owned(), value.clone());
            }
            Some(key)
        });
        UniqueViolation {
            entity: self.entity,
            constraint: self.constraint,
            values: self.values.clone(),
            owner,
        }
    }
}

/// A scalar's text in a guard key: strings and numbers as they are, binary in hex, booleans as
/// `true`/`false`; `None` for a missing value or one that is no scalar.
fn text(value: &AttributeValue) -> Option<String> {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => Some(s.clone()),
        AttributeValue::B(b) => Some(b.as_ref().iter().map(|b| format!("{b:02x}")).collect()),
        AttributeValue::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `%` and `#` escaped, so that composite values cannot run into each other.
fn escape(text: &str) -> String {
    text.replace('%', "%25").replace('#', "%23")
}

/// The entity's name in its guard keys: its entity type when the table stores one.
fn entity_name<E: Entity>() -> &'static str {
    E::SCHEMA.entity_type.unwrap_or(E::SCHEMA.name)
}

/// The guard key of `values` of constraint `c` of `E`.
fn guard_key<E: Entity>(c: &UniqueConstraint, values: &[String]) -> Item {
    let mut pk = format!("UNIQUE#{}#{}", entity_name::<E>(), c.name);
    for value in values {
        pk.push('#');
        pk.push_str(&escape(value));
    }
    let mut key = Item::with_capacity(2);
    key.insert(
        E::TABLE.partition_key.name.to_owned(),
        AttributeValue::S(pk),
    );
    if let Some(sk) = E::TABLE.sort_key {
        key.insert(
            sk.name.to_owned(),
            AttributeValue::S(GUARD_SORT_KEY.to_owned()),
        );
    }
    key
}

/// The guard of constraint `c` for `item`; `None` when the item lacks one of its values
/// (an `optional` constraint's `None`).
fn guard_of<E: Entity>(c: &'static UniqueConstraint, item: &Item) -> Option<Guard> {
    let values = c
        .attributes
        .iter()
        .map(|a| item.get(*a).and_then(text))
        .collect::<Option<Vec<_>>>()?;
    Some(Guard {
        constraint: c,
        key: guard_key::<E>(c, &values),
        values,
    })
}

/// The guard key of a value read by `find_by_{name}`: `None` when a value is no scalar.
fn lookup_key<E: Entity>(c: &UniqueConstraint, values: &[AttributeValue]) -> Option<Item> {
    let values = values.iter().map(text).collect::<Option<Vec<_>>>()?;
    Some(guard_key::<E>(c, &values))
}

/// The filter that keeps a scan of `E`'s table from reading its guard items as `E`: for an
/// entity with unique constraints in a table without an entity attribute (which filters by
/// entity type already). An index holds no guards: they have no index keys.
pub(crate) fn not_a_guard<E: Entity>(index: Option<&str>) -> Option<Condition> {
    if E::SCHEMA.unique.is_empty() || index.is_some() {
        return None;
    }
    let sk = E::TABLE.sort_key?;
    let guard = Path::new(E::TABLE.partition_key.name)
        .begins_with(format!("UNIQUE#{}#", entity_name::<E>()))
        .and(Path::new(sk.name).eq(GUARD_SORT_KEY));
    Some(guard.not())
}

/// The guard item's owner attributes: the owning item's key.
fn owner_of<E: Entity>(owner_key: &Item) -> impl Iterator<Item = (&'static str, &AttributeValue)> {
    let schema = &E::SCHEMA;
    [
        (OWNER_PK, Some(schema.partition_key.attribute)),
        (OWNER_SK, schema.sort_key.map(|k| k.attribute)),
    ]
    .into_iter()
    .filter_map(|(owner, attribute)| Some((owner, owner_key.get(attribute?)?)))
}

/// The condition that the guard belongs to the item of `owner_key`.
fn owned_by<E: Entity>(owner_key: &Item) -> Option<Condition> {
    owner_of::<E>(owner_key)
        .map(|(owner, value)| Path::new(owner).eq(value.clone()))
        .reduce(Condition::and)
}

/// A write of guard `g` in the transaction of the item of `owner_key`.
fn guard_write<E: Entity>(
    table: &Table<E>,
    g: &Guard,
    body: Body,
    condition: Option<Condition>,
) -> WriteRequest {
    let mut request = WriteRequest::new(table, body, g.key.clone(), condition, false);
    request.target.guard = Some(g.of::<E>());
    request
}

/// Puts guard `g` for the item of `owner_key` (with its TTL): where no guard is, where this
/// item's is, or where a guard's TTL has passed (DynamoDB deletes expired items up to days
/// later; until then the value is free).
fn put_guard<E: Entity>(
    table: &Table<E>,
    g: &Guard,
    owner_key: &Item,
    ttl: Option<&AttributeValue>,
) -> WriteRequest {
    let mut item = g.key.clone();
    for (owner, value) in owner_of::<E>(owner_key) {
        item.insert(owner.to_owned(), value.clone());
    }
    if let (Some(attribute), Some(ttl)) = (E::SCHEMA.ttl_attribute, ttl) {
        item.insert(attribute.to_owned(), ttl.clone());
    }
    let mut free = Path::new(E::TABLE.partition_key.name).not_exists();
    if let Some(ttl) = E::SCHEMA.ttl_attribute {
        free = free.or(Path::new(ttl).lt(now()));
    }
    let condition = Some(match owned_by::<E>(owner_key) {
        Some(owned) => free.or(owned),
        None => free,
    });
    guard_write(table, g, Body::Put(item), condition)
}

/// Deletes guard `g` if the item of `owner_key` owns it.
fn delete_guard<E: Entity>(table: &Table<E>, g: &Guard, owner_key: &Item) -> WriteRequest {
    guard_write(table, g, Body::Delete, owned_by::<E>(owner_key))
}

/// The condition that the stored item holds the values `item` has for `constraints` (or, for a
/// value `item` lacks, none).
fn holds<'c>(
    constraints: impl IntoIterator<Item = &'c UniqueConstraint>,
    item: &Item,
) -> Option<Condition> {
    let mut attributes: Vec<&str> = constraints
        .into_iter()
        .flat_map(|c| c.attributes.iter().copied())
        .collect();
    attributes.sort_unstable();
    attributes.dedup();
    attributes
        .into_iter()
        .map(|a| match item.get(a) {
            Some(value) => Path::new(a).eq(value.clone()),
            None => Path::new(a).not_exists(),
        })
        .reduce(Condition::and)
}

/// The guards a put of `item` writes after the item's own put: one per constraint it has a
/// value for. The item's put is made conditional on creating the item or keeping its unique
/// values (their guards are then the item's already); [`Put`](super::Put) sent alone moves
/// changed values instead.
pub(crate) fn put_with_guards<E: Entity>(
    table: &Table<E>,
    mut put: WriteRequest,
    item: &Item,
) -> Vec<WriteRequest> {
    let constraints = E::SCHEMA.unique;
    let creates = Condition::item_not_exists::<E>();
    let keeps = holds(constraints, item);
    let guarded = match keeps {
        Some(keeps) => creates.or(keeps),
        None => creates,
    };
    put.target.condition = super::and(put.target.condition.take(), Some(guarded));
    let owner = put.target.key.clone();
    let ttl = E::SCHEMA.ttl_attribute.and_then(|a| item.get(a));
    let mut writes = Vec::with_capacity(1 + constraints.len());
    writes.push(put);
    writes.extend(
        constraints
            .iter()
            .filter_map(|c| guard_of::<E>(c, item))
            .map(|g| put_guard(table, &g, &owner, ttl)),
    );
    writes
}

/// The guard writes that hand `E`'s guards from the item `old` stored at `old_owner` to the
/// item `new` at `new_owner` (moved to a new key, or rewritten at a newer schema version), in
/// the transaction that writes `new`: a value both hold is put with its new owner where the old
/// owner, the new one, nobody or an expired owner holds it; a value only `old` holds is deleted
/// where the old owner (or nobody) holds it; a value only `new` holds is put as any new value.
/// Guards that are already as they should be are left alone.
pub(crate) fn rehome<E: Entity>(
    table: &Table<E>,
    old_owner: &Item,
    old: &Item,
    new_owner: &Item,
    new: &Item,
) -> Result<Vec<(TransactWriteItem, Option<GuardOf>)>, Error> {
    let ttl_of = |item: &Item| E::SCHEMA.ttl_attribute.and_then(|a| item.get(a).cloned());
    let same_ttl = ttl_of(old) == ttl_of(new);
    let ttl = ttl_of(new);
    let mut writes = Vec::new();
    for c in E::SCHEMA.unique {
        let before = guard_of::<E>(c, old);
        let after = guard_of::<E>(c, new);
        let kept = matches!((&before, &after), (Some(b), Some(a)) if b.key == a.key);
        if kept && old_owner == new_owner && same_ttl {
            continue;
        }
        if let Some(before) = before.filter(|_| !kept) {
            let gone = Path::new(E::TABLE.partition_key.name).not_exists();
            let condition = Some(match owned_by::<E>(old_owner) {
                Some(owned) => owned.or(gone),
                None => gone,
            });
            writes.push(guard_write(table, &before, Body::Delete, condition));
        }
        if let Some(after) = after {
            let mut put = put_guard(table, &after, new_owner, ttl.as_ref());
            if let Some(by_old) = owned_by::<E>(old_owner).filter(|_| kept) {
                put.target.condition = put.target.condition.take().map(|c| c.or(by_old));
            }
            writes.push(put);
        }
    }
    writes
        .into_iter()
        .map(|w| {
            w.into_transact_item()
                .map(|(item, target)| (item, target.guard))
        })
        .collect()
}

/// How an update changes a top-level attribute.
pub(crate) enum Assigned {
    /// It does not name it.
    Untouched,
    /// `SET a = value` (its value: [`UpdateExpr::value_after`]).
    Value,
    /// `REMOVE a` (or a `set` to `None`).
    Removed,
    /// Anything else: `if_not_exists`, `ADD`, a path inside it.
    Other,
}

/// The constraints an update changes, and whether it changes the TTL the guards copy: `Err`
/// naming an attribute changed otherwise than by `set` or `remove`.
pub(crate) fn touched<E: Entity>(
    actions: &UpdateExpr,
) -> Result<(Vec<&'static UniqueConstraint>, bool), &'static str> {
    let mut touched = Vec::new();
    for c in E::SCHEMA.unique {
        let mut changes = false;
        for a in c.attributes {
            match actions.assigned(a) {
                Assigned::Untouched => {}
                Assigned::Value | Assigned::Removed => changes = true,
                Assigned::Other => return Err(a),
            }
        }
        if changes {
            touched.push(c);
        }
    }
    let ttl = E::SCHEMA.ttl_attribute.is_some_and(|a| actions.names(a));
    if ttl && !E::SCHEMA.unique.is_empty() {
        touched = E::SCHEMA.unique.iter().collect();
    }
    Ok((touched, ttl))
}

/// Epoch seconds now: what a TTL is compared with.
fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Whether `item`'s TTL (of `E`) has passed: DynamoDB treats it as deleted.
fn expired<E: Entity>(item: &Item) -> bool {
    E::SCHEMA
        .ttl_attribute
        .and_then(|a| match item.get(a)? {
            AttributeValue::N(n) => n.parse::<i64>().ok(),
            _ => None,
        })
        .is_some_and(|ttl| ttl < now())
}

/// The item as it is after `actions`, for the attributes the guards are made of and its TTL:
/// `old` with what `actions` does to them. `Err(attribute)` when `actions` changes one in a way
/// the guards cannot follow.
fn after(
    old: Option<&Item>,
    actions: &UpdateExpr,
    attributes: impl Iterator<Item = &'static str>,
) -> Result<Item, &'static str> {
    let mut item = old.cloned().unwrap_or_default();
    for a in attributes {
        let before = old.and_then(|old| old.get(a));
        match actions.value_after(a, before).ok_or(a)? {
            Some(value) => {
                item.insert(a.to_owned(), value);
            }
            None => {
                item.remove(a);
            }
        }
    }
    Ok(item)
}

/// The writes that move the guards of `touched` from `old` (the item as read) to `new` (as it
/// will be), with the TTL `new` has.
fn move_guards<E: Entity>(
    table: &Table<E>,
    touched: &[&'static UniqueConstraint],
    owner: &Item,
    old: Option<&Item>,
    new: &Item,
    refresh: bool,
) -> Vec<WriteRequest> {
    let ttl = E::SCHEMA.ttl_attribute.and_then(|a| new.get(a));
    let mut writes = Vec::new();
    for c in touched {
        let before = old.and_then(|old| guard_of::<E>(c, old));
        let after = guard_of::<E>(c, new);
        let same = matches!((&before, &after), (Some(b), Some(a)) if b.key == a.key);
        if same && !refresh {
            continue;
        }
        if let Some(before) = before.filter(|_| !same) {
            writes.push(delete_guard(table, &before, owner));
        }
        if let Some(after) = after {
            writes.push(put_guard(table, &after, owner, ttl));
        }
    }
    writes
}

/// Sends `writes` (the item's first) as one transaction, and words its failure as the write
/// alone would fail: a taken value is
/// [`ErrorKind::UniqueViolation`](crate::ErrorKind::UniqueViolation), the item's failed
/// condition [`ConditionFailed`](crate::ErrorKind::ConditionFailed) or
/// [`NotFound`](crate::ErrorKind::NotFound).
async fn send<E: Entity>(
    table: &Table<E>,
    op: Operation,
    writes: Vec<WriteRequest>,
    capacity: bool,
) -> Result<Option<super::ConsumedCapacity>, Error> {
    let (key, must_exist) = match writes.first() {
        Some(first) => (Some(first.target.key.clone()), first.target.must_exist),
        None => (None, false),
    };
    let mut tx = TransactWrite::new(table.client());
    tx.push(E::SCHEMA.name, Ok(writes));
    match tx.sent(capacity).await {
        Ok(totals) => Ok(totals.into_iter().next()),
        Err(error) => Err(alone(error, table.name(), op, key, must_exist)),
    }
}

/// A canceled transaction of one write and its guards, as the write alone fails.
fn alone(error: Error, table: &str, op: Operation, key: Option<Item>, must_exist: bool) -> Error {
    let Some(cancellation) = error.cancellation() else {
        return error;
    };
    if let Some(violation) = cancellation.unique_violation() {
        return Error::unique_taken(table, op, violation.clone()).with_key(key);
    }
    match cancellation.reasons().iter().find(|r| r.index == 0) {
        Some(r) if r.code == super::CancellationCode::ConditionalCheckFailed => {
            if r.item.is_none() && must_exist {
                Error::not_found(table, op).with_key(key)
            } else {
                Error::condition_failed(table, op, r.item.clone(), r.explanation.clone())
                    .with_key(key)
            }
        }
        _ => error,
    }
}

/// What the guarded send of each write returns, by its mode: `AllOld` reads `old`, `AllNew`
/// cannot be read from a transaction.
fn returned<E: Entity, R: Returning<E>>(
    table: &Table<E>,
    op: Operation,
    old: Option<Item>,
) -> Result<R::Output, Error> {
    use aws_sdk_dynamodb::types::ReturnValue;
    match R::RETURN_VALUE {
        ReturnValue::AllNew | ReturnValue::UpdatedNew => Err(Error::validation(
            table.name(),
            op,
            format!(
                "returning_new() is not available for a write of {} that moves a unique guard: it is sent as a transaction, which returns no item; read the item after it",
                E::SCHEMA.name
            ),
        )),
        _ => R::read(table, op, old),
    }
}

/// The unique constraints whose guards `request` (an update of `E`) moves, and whether it
/// changes the TTL they copy.
pub(crate) fn moves_guards<E: Entity>(
    table: &str,
    request: &WriteRequest,
) -> Result<(Vec<&'static UniqueConstraint>, bool), Error> {
    match &request.body {
        Body::Update(actions) if !E::SCHEMA.unique.is_empty() => {
            touched::<E>(actions).map_err(|attribute| {
                Error::validation(
                    table,
                    Operation::UpdateItem,
                    format!("unique attribute {attribute} of {} is changed by set(..) or remove(..) only: its guard needs the new value", E::SCHEMA.name),
                )
            })
        }
        _ => Ok((Vec::new(), false)),
    }
}

/// Sends a write alone: as the single operation, or, for a write that keeps guards of unique
/// values, as the transaction that keeps them.
pub(crate) async fn send_alone<E: Entity, R: Returning<E>>(
    table: &Table<E>,
    request: WriteRequest,
    capacity: bool,
) -> Result<super::WithCapacity<R::Output>, Error> {
    if E::SCHEMA.unique.is_empty() {
        return super::write::send_write::<E, R>(table, request, capacity).await;
    }
    match &request.body {
        Body::Put(_) => put::<E, R>(table, request, capacity).await,
        Body::Delete => delete::<E, R>(table, request, capacity).await,
        Body::Update(_) => match moves_guards::<E>(table.name(), &request)? {
            (touched, refresh) if !touched.is_empty() => {
                update::<E, R>(table, request, touched, refresh, capacity).await
            }
            _ => super::write::send_write::<E, R>(table, request, capacity).await,
        },
        Body::ConditionCheck => super::write::send_write::<E, R>(table, request, capacity).await,
    }
}

/// A put of an entity with unique constraints sent alone: the item and its guards in one
/// transaction; when the item exists with other unique values, its guards are moved (the item
/// as it was is what the failed condition returned) in a second transaction conditional on
/// those values.
async fn put<E: Entity, R: Returning<E>>(
    table: &Table<E>,
    request: WriteRequest,
    capacity: bool,
) -> Result<super::WithCapacity<R::Output>, Error> {
    let op = Operation::PutItem;
    if R::RETURN_VALUE != aws_sdk_dynamodb::types::ReturnValue::None {
        return Err(Error::validation(
            table.name(),
            op,
            format!(
                "returning_old() is not available for a put of {}: with its unique constraints it is sent as a transaction, which returns no item",
                E::SCHEMA.name
            ),
        ));
    }
    let Body::Put(item) = &request.body else {
        return Err(Error::validation(table.name(), op, "not a put"));
    };
    let item = item.clone();
    let user_condition = request.target.condition.clone();
    let owner = request.target.key.clone();
    let writes = put_with_guards(table, request, &item);
    let first = send(table, op, writes, capacity).await;
    let old = match first {
        Ok(capacity) => {
            return Ok(super::WithCapacity {
                value: R::read(table, op, None)?,
                capacity,
            });
        }
        Err(e) if e.is_condition_failed() => match e.item() {
            // The caller's condition failed, or the item changed since: that error stands.
            Some(old)
                if user_condition
                    .as_ref()
                    .is_none_or(|c| c.explain(Some(old)).is_none()) =>
            {
                old.clone()
            }
            _ => return Err(e),
        },
        Err(e) => return Err(e),
    };
    // The item exists with other unique values: the put replaces it and moves their guards.
    let condition = super::and(user_condition, holds(E::SCHEMA.unique, &old));
    let mut put = WriteRequest::new(
        table,
        Body::Put(item.clone()),
        owner.clone(),
        condition,
        false,
    );
    put.target.must_exist = false;
    let touched: Vec<&'static UniqueConstraint> = E::SCHEMA.unique.iter().collect();
    let mut writes = vec![put];
    writes.extend(move_guards(
        table,
        &touched,
        &owner,
        Some(&old),
        &item,
        true,
    ));
    let capacity = send(table, op, writes, capacity).await?;
    Ok(super::WithCapacity {
        value: R::read(table, op, None)?,
        capacity,
    })
}

/// An update that changes a unique value (or the TTL its guards copy) sent alone: reads the
/// item, then sends the update, conditional on the values read, with the guard moves.
async fn update<E: Entity, R: Returning<E>>(
    table: &Table<E>,
    mut request: WriteRequest,
    touched: Vec<&'static UniqueConstraint>,
    refresh: bool,
    capacity: bool,
) -> Result<super::WithCapacity<R::Output>, Error> {
    let op = Operation::UpdateItem;
    let owner = request.target.key.clone();
    let old = table.read_stored(op, &owner).await?;
    if old.is_none() && request.target.must_exist {
        return Err(Error::not_found(table.name(), op).with_key(Some(owner)));
    }
    let Body::Update(actions) = &request.body else {
        return Err(Error::validation(table.name(), op, "not an update"));
    };
    let attributes = touched
        .iter()
        .flat_map(|c| c.attributes.iter().copied())
        .chain(E::SCHEMA.ttl_attribute);
    let new = after(old.as_ref(), actions, attributes).map_err(|attribute| {
        Error::validation(
            table.name(),
            op,
            format!("the update changes {attribute} of {} in a way its unique guards cannot follow (they copy the TTL): set(..) it, add(..) to it or set it if_not_exists", E::SCHEMA.name),
        )
    })?;
    // The guards' TTL is computed from the TTL read: the update holds only if it is unchanged.
    let ttl_as_read = E::SCHEMA.ttl_attribute.filter(|_| refresh).and_then(|a| {
        let old = old.as_ref()?;
        Some(match old.get(a) {
            Some(value) => Path::new(a).eq(value.clone()),
            None => Path::new(a).not_exists(),
        })
    });
    let same = match &old {
        Some(old) => super::and(holds(touched.iter().copied(), old), ttl_as_read),
        None => Some(Condition::item_not_exists::<E>()),
    };
    request.target.condition = super::and(request.target.condition.take(), same);
    let mut writes = vec![request];
    writes.extend(move_guards(
        table,
        &touched,
        &owner,
        old.as_ref(),
        &new,
        refresh,
    ));
    let capacity = send(table, op, writes, capacity).await?;
    Ok(super::WithCapacity {
        value: returned::<E, R>(table, op, old)?,
        capacity,
    })
}

/// A delete of an entity with unique constraints sent alone: reads the item, then deletes it,
/// conditional on the values read, with its guards.
async fn delete<E: Entity, R: Returning<E>>(
    table: &Table<E>,
    mut request: WriteRequest,
    capacity: bool,
) -> Result<super::WithCapacity<R::Output>, Error> {
    let op = Operation::DeleteItem;
    let owner = request.target.key.clone();
    let old = table.read_stored(op, &owner).await?;
    let Some(old) = old else {
        // Nothing to delete, as far as the read saw: the delete alone, kept a no-op should the
        // item appear meanwhile (its guards would be left behind).
        let absent = Condition::item_not_exists::<E>();
        request.target.condition = super::and(request.target.condition.take(), Some(absent));
        let sent = super::write::send_write::<E, R>(table, request, capacity).await?;
        return Ok(sent);
    };
    let same = holds(E::SCHEMA.unique, &old);
    request.target.condition = super::and(request.target.condition.take(), same);
    let mut writes = vec![request];
    writes.extend(
        E::SCHEMA
            .unique
            .iter()
            .filter_map(|c| guard_of::<E>(c, &old))
            .map(|g| delete_guard(table, &g, &owner)),
    );
    let capacity = send(table, op, writes, capacity).await?;
    Ok(super::WithCapacity {
        value: returned::<E, R>(table, op, Some(old))?,
        capacity,
    })
}

/// Reads the item that holds `values` of constraint `name` of `E` (what the generated
/// `find_by_{name}` does): its guard, then the item its guard names, if it still holds them.
pub async fn find<E: Entity>(
    table: &Table<E>,
    name: &str,
    values: Vec<Result<Option<AttributeValue>, crate::mapping::error::MappingError>>,
) -> Result<Option<E>, Error> {
    let op = Operation::GetItem;
    let mut found = Vec::with_capacity(values.len());
    for value in values {
        match value.map_err(|e| Error::mapping_failed(table.name(), op, e))? {
            Some(value) => found.push(value),
            None => return Ok(None),
        }
    }
    let values = found.as_slice();
    let Some(c) = E::SCHEMA.unique.iter().find(|c| c.name == name) else {
        return Err(Error::validation(
            table.name(),
            op,
            format!("{} has no unique constraint {name}", E::SCHEMA.name),
        ));
    };
    let Some(key) = lookup_key::<E>(c, values) else {
        return Err(Error::validation(
            table.name(),
            op,
            format!("the value of unique {name} is not a scalar"),
        ));
    };
    let Some(guard) = table.read_stored(op, &key).await? else {
        return Ok(None);
    };
    let g = Guard {
        constraint: c,
        values: Vec::new(),
        key,
    };
    let Some(owner) = g.of::<E>().violation(Some(&guard)).owner else {
        return Ok(None);
    };
    // The item must still hold the value (a guard outlives its item only until its TTL), and
    // not be expired: DynamoDB deletes expired items up to days later.
    match table.read_stored(op, &owner).await? {
        Some(item)
            if guard_of::<E>(c, &item).is_some_and(|held| held.key == g.key)
                && !expired::<E>(&item) =>
        {
            table.read(op, item).map(Some)
        }
        _ => Ok(None),
    }
}
