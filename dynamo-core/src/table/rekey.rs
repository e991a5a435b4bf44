//! [`Rekey`]: moves an entity's items to the keys its templates give them now.

use crate::error::{Error, Operation};
use crate::mapping::entity::{Entity, EntityKey};
use crate::mapping::error::{MappingError, show_key};
use crate::mapping::item::Item;
use crate::table::Table;
use crate::table::cursor::Cursor;
use crate::table::unique::GuardOf;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Which stored items are under an old key.
type Selector = Arc<dyn Fn(&Item) -> bool + Send + Sync>;
/// An old item read as the entity.
type Converter<E> = Arc<dyn Fn(Item) -> Result<E, MappingError> + Send + Sync>;
/// Told after every page.
type OnProgress = Arc<dyn Fn(&RekeyReport) + Send + Sync>;

/// What a run did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RekeyReport {
    /// Items read.
    pub scanned: u64,
    /// Items moved to their new key (a dry run: that would be).
    pub moved: u64,
    /// Old items deleted because the application had already written the new one.
    pub superseded: u64,
    /// Items of an older schema version rewritten in place at the entity's version (a dry
    /// run: that would be).
    pub upgraded: u64,
    /// Items already under their key and of the entity's schema version, or not the entity's.
    pub unchanged: u64,
    /// Items that kept changing while being moved: left for the next run.
    pub busy: u64,
    /// Items that could not be read as the entity, with the reason (the first 20).
    pub unreadable: Vec<String>,
    /// Write units spent, as DynamoDB bills them ([`Entity::write_units`]): a rewrite in place
    /// is a put, a move a transaction (twice the put of the new item and the delete of the old
    /// one, each in the table and the indexes it is in).
    pub write_units: u64,
    /// Whether every segment was read to its end.
    pub complete: bool,
}

/// Moves an entity's items to the keys its templates give them now, after a key
/// template changed (a shard added, a prefix renamed), and rewrites the items of an older
/// schema version (`#[dynamo(schema_version = N, upgrade(..))]`) at the entity's version, while
/// the application keeps running. [`Table::rekey`] and [`Table::backfill`] both make it.
///
/// An item of an older schema version whose key stays is read (upgraded) and put back in place,
/// on the condition that it is unchanged since it was read (every attribute, its version
/// included); changed meanwhile, it is read and upgraded again.
///
/// The runner scans the table in parallel segments; each item under an old key (by default: an
/// item whose stored key differs from the key the entity computes from it) is read as the entity
/// ([`convert`](Rekey::convert) for items whose old shape the entity no longer reads), and moved
/// in one transaction: a put of the item under its new key, on the condition that no item is
/// there, and a delete of the old item, on the condition that it is unchanged (every attribute as
/// read). An item changed meanwhile is read again and moved on the next attempt; one already
/// written under its new key by the application is newer: only the old one is deleted.
///
/// Writes stay within a budget of write units per second. With a [`checkpoint`](Rekey::checkpoint)
/// file, each segment's position is saved after every page, so a run that is killed resumes where
/// it stopped; a finished run removes the file. [`dry_run`](Rekey::dry_run) counts what would move.
///
///
/// ```no_run
/// # use dynamo_core::{DynamoEntity, KeyDef, Table, TableDef};
/// # const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));
/// // The seats were `pk = "EVENT#{event_id}"`; now sharded. Until every seat has moved, reads
/// // find a seat under either key.
/// #[derive(DynamoEntity)]
/// #[dynamo(
///     table = TICKETING,
///     pk = "EVENT#{event_id}#{shard(seat_no):128}",
///     sk = "SEAT#{seat_no:4}",
///     previous(pk = "EVENT#{event_id}")
/// )]
/// struct Seat { event_id: String, seat_no: u32 }
///
/// # async fn f(seats: Table<Seat>) -> Result<(), dynamo_core::Error> {
/// let report = seats
///     .rekey()
///     .segments(4)
///     .write_units_per_second(500)
///     .checkpoint("seats-rekey.checkpoint")
///     .run()
///     .await?;
/// assert!(report.complete);
/// # Ok(()) }
/// ```
pub struct Rekey<'a, E: Entity> {
    table: &'a Table<E>,
    segments: u32,
    page_size: Option<i32>,
    budget: f64,
    checkpoint: Option<PathBuf>,
    dry_run: bool,
    select: Option<Selector>,
    convert: Converter<E>,
    progress: Option<OnProgress>,
}

impl<E: Entity + Send + Sync + 'static> Table<E> {
    /// Rewrites every item of this entity that is not as the entity writes it now: items of an
    /// older schema version (upgraded in place) and items under a previous key (moved). The
    /// same runner as [`rekey`](Self::rekey), named for a schema migration: see [`Rekey`] and
    /// `docs/migrations.md`.
    ///
    /// ```no_run
    /// # use dynamo_core::{DynamoEntity, KeyDef, Table, TableDef};
    /// # const APP: TableDef = TableDef::new("app", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));
    /// #[derive(DynamoEntity)]
    /// #[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 2)]
    /// #[dynamo(upgrade(from = 1, via = UserV1, with = full_name))]
    /// struct User { id: String, full_name: String }
    ///
    /// #[derive(DynamoEntity)]
    /// #[dynamo(table = APP, pk = "USER#{id}", sk = "USER", version_of = User, schema_version = 1)]
    /// struct UserV1 { id: String, first: String, last: String }
    ///
    /// fn full_name(v1: UserV1) -> User {
    ///     User { id: v1.id, full_name: format!("{} {}", v1.first, v1.last) }
    /// }
    ///
    /// # async fn f(users: Table<User>) -> Result<(), dynamo_core::Error> {
    /// let report = users
    ///     .backfill()
    ///     .write_units_per_second(200)
    ///     .checkpoint("users-v2.checkpoint")
    ///     .on_progress(|r| eprintln!("{} read, {} upgraded", r.scanned, r.upgraded))
    ///     .run()
    ///     .await?;
    /// assert!(report.complete);
    /// # Ok(()) }
    /// ```
    pub fn backfill(&self) -> Rekey<'_, E> {
        self.rekey()
    }

    /// Moves this entity's items to the keys its templates give them now: see [`Rekey`].
    pub fn rekey(&self) -> Rekey<'_, E> {
        Rekey {
            table: self,
            segments: 4,
            page_size: None,
            budget: 500.0,
            checkpoint: None,
            dry_run: false,
            select: None,
            convert: Arc::new(E::from_any_key_item),
            progress: None,
        }
    }
}

impl<'a, E: Entity + Send + Sync + 'static> Rekey<'a, E> {
    /// Scan segments read at once (default 4).
    #[must_use]
    pub fn segments(mut self, segments: u32) -> Self {
        self.segments = segments.max(1);
        self
    }

    /// Items read per page (default: DynamoDB's 1 MB pages); the checkpoint is saved after
    /// every page, so smaller pages lose less work to a killed run.
    #[must_use]
    pub fn page_size(mut self, items: u32) -> Self {
        self.page_size = Some(i32::try_from(items.max(1)).unwrap_or(i32::MAX));
        self
    }

    /// Write units per second the moves may spend (default 500: half a partition's).
    #[must_use]
    pub fn write_units_per_second(mut self, units: u32) -> Self {
        self.budget = f64::from(units.max(1));
        self
    }

    /// Saves each segment's position in `path` after every page, and resumes from it.
    #[must_use]
    pub fn checkpoint(mut self, path: impl Into<PathBuf>) -> Self {
        self.checkpoint = Some(path.into());
        self
    }

    /// Counts what would move; writes nothing (not even the checkpoint).
    #[must_use]
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// Which items are under an old key (default: the entity's items whose stored key differs
    /// from the key the entity computes from them).
    #[must_use]
    pub fn select(mut self, old: impl Fn(&Item) -> bool + Send + Sync + 'static) -> Self {
        self.select = Some(Arc::new(old));
        self
    }

    /// Reads an old item as the entity (default: [`Entity::from_any_key_item`], which reads the
    /// components a previous key template holds back from the key), for an old shape the entity
    /// no longer reads otherwise.
    #[must_use]
    pub fn convert(
        mut self,
        convert: impl Fn(Item) -> Result<E, MappingError> + Send + Sync + 'static,
    ) -> Self {
        self.convert = Arc::new(convert);
        self
    }

    /// Calls `progress` with the totals so far after every page (for a progress bar).
    #[must_use]
    pub fn on_progress(mut self, progress: impl Fn(&RekeyReport) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Runs to the end of every segment (or until the future is dropped: with a checkpoint, the
    /// next run resumes).
    pub async fn run(self) -> Result<RekeyReport, Error> {
        let table = self.table;
        let op = Operation::Scan;
        let positions = match (&self.checkpoint, self.dry_run) {
            (Some(path), false) => read_checkpoint(path, self.segments)
                .map_err(|why| Error::validation(table.name(), op, why))?,
            _ => vec![Position::Start; self.segments as usize],
        };
        let shared = Shared {
            report: Mutex::new(RekeyReport::default()),
            positions: Mutex::new(positions.clone()),
            started: Instant::now(),
        };
        let run = &self;
        let shared = &shared;
        stream::iter(positions.into_iter().enumerate())
            .map(Ok::<_, Error>)
            .try_for_each_concurrent(None, |(segment, position)| async move {
                run.segment(segment, position, shared).await
            })
            .await?;
        let mut report = lock(&shared.report).clone();
        report.complete = true;
        if let (Some(path), false) = (&self.checkpoint, self.dry_run) {
            // Finished: nothing to resume.
            let _gone = std::fs::remove_file(path);
        }
        Ok(report)
    }

    async fn segment(
        &self,
        segment: usize,
        mut position: Position,
        shared: &Shared,
    ) -> Result<(), Error> {
        let table = self.table;
        let op = Operation::Scan;
        loop {
            let start = match &position {
                Position::Done => return Ok(()),
                Position::Start => None,
                Position::After(key) => Some(key.clone()),
            };
            let page = table
                .client()
                .scan()
                .table_name(table.name())
                .segment(i32::try_from(segment).unwrap_or(i32::MAX))
                .total_segments(i32::try_from(self.segments).unwrap_or(i32::MAX))
                .consistent_read(true)
                .set_limit(self.page_size)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| Error::from_sdk(table.name(), op, e))?;
            for item in page.items.unwrap_or_default() {
                let outcome = self.move_one(item, Some(shared)).await?;
                let mut report = lock(&shared.report);
                report.scanned += 1;
                match outcome {
                    Outcome::Moved(units) => {
                        report.moved += 1;
                        report.write_units += units;
                    }
                    Outcome::Upgraded(units) => {
                        report.upgraded += 1;
                        report.write_units += units;
                    }
                    Outcome::Superseded(units) => {
                        report.superseded += 1;
                        report.write_units += units;
                    }
                    Outcome::Unchanged => report.unchanged += 1,
                    Outcome::Busy => report.busy += 1,
                    Outcome::Unreadable(why) => {
                        if report.unreadable.len() < 20 {
                            report.unreadable.push(why);
                        }
                    }
                }
            }
            position = match page.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(key) => Position::After(key),
                None => Position::Done,
            };
            if let (Some(path), false) = (&self.checkpoint, self.dry_run) {
                let mut positions = lock(&shared.positions);
                positions[segment] = position.clone();
                write_checkpoint(path, &positions)
                    .map_err(|why| Error::validation(table.name(), op, why))?;
            }
            if let Some(progress) = &self.progress {
                progress(&lock(&shared.report));
            }
        }
    }

    /// Moves one stored item now, if it is under an old key: for an application that moves the
    /// items it touches while the runner has not reached them (no budget, no checkpoint).
    pub async fn move_item(&self, old: Item) -> Result<Moved, Error> {
        Ok(match self.move_one(old, None).await? {
            Outcome::Moved(_) => Moved::Moved,
            Outcome::Upgraded(_) => Moved::Upgraded,
            Outcome::Superseded(_) => Moved::Superseded,
            Outcome::Unchanged => Moved::Unchanged,
            Outcome::Busy => Moved::Busy,
            Outcome::Unreadable(why) => Moved::Unreadable(why),
        })
    }

    /// Moves the item of `key` from its previous key (`#[dynamo(previous(pk = ".."))]`) to
    /// `key`, if it is still there: for an application about to write an item that a read found
    /// under its previous key. [`Moved::Unchanged`] when there is none there, or the entity
    /// declares no previous key.
    pub async fn move_key(&self, key: &E::Key) -> Result<Moved, Error> {
        let old_key = key
            .previous_key_item()
            .map_err(|e| Error::mapping_failed(self.table.name(), Operation::GetItem, e))?;
        let Some(old_key) = old_key else {
            return Ok(Moved::Unchanged);
        };
        match self.read_stored(old_key).await? {
            Some(item) => self.move_item(item).await,
            None => Ok(Moved::Unchanged),
        }
    }

    /// The item stored under `key` as it is (no mapping), read strongly consistent.
    async fn read_stored(&self, key: Item) -> Result<Option<Item>, Error> {
        self.table.read_stored(Operation::GetItem, &key).await
    }

    /// Moves one item, if it is under an old key; rewrites it in place, if it is of an older
    /// schema version.
    async fn move_one(&self, old: Item, shared: Option<&Shared>) -> Result<Outcome, Error> {
        let table = self.table;
        let key_of = |item: &Item| crate::mapping::error::key_of(&E::TABLE, item);
        let selected = match &self.select {
            Some(select) => select(&old),
            None => true,
        };
        if !selected {
            return Ok(Outcome::Unchanged);
        }
        let old_key = key_of(&old);
        let known = known_attributes::<E>();
        // Another item holds one of its unique values: left as it is, and reported.
        let taken = |why: String| Outcome::Unreadable(format!("{}: {why}", show_key(&old_key)));
        let mut current = old;
        for _ in 0..3 {
            // Converted again after every change: what is written is what is stored now.
            let entity = match (self.convert)(current.clone()) {
                Ok(entity) => entity,
                // By default, items the entity cannot read are another entity's, unless their
                // entity type says they are its own (e.g. of a schema version it does not know).
                Err(_)
                    if self.select.is_none()
                        && crate::__private::has_entity_type::<E>(&current) != Some(true) =>
                {
                    return Ok(Outcome::Unchanged);
                }
                Err(e) => return Ok(Outcome::Unreadable(e.with_key(old_key).to_string())),
            };
            let mut new = entity
                .into_item()
                .map_err(|e| Error::mapping_failed(table.name(), Operation::PutItem, e))?;
            let in_place = key_of(&new) == old_key;
            let older = crate::mapping::schema_version::is_older::<E>(&current);
            if in_place && !older {
                return Ok(Outcome::Unchanged);
            }
            if !older {
                // A move keeps what the entity does not map (written by a newer release or
                // by hand). An upgrade drops it: it is the older version's.
                for (name, value) in &current {
                    if !known.contains(&name.as_str()) && !new.contains_key(name) {
                        new.insert(name.clone(), value.clone());
                    }
                }
            }
            // "Unchanged since read" covers the attributes the item did not have: every one the
            // entity may write, and every one written now.
            let absent: Vec<&str> = known
                .iter()
                .copied()
                .chain(new.keys().map(String::as_str))
                .filter(|name| !current.contains_key(*name))
                .collect();
            let unchanged = unchanged(&current, &absent);
            // Billed as DynamoDB bills them (`Entity::write_units`): a put over an item by the
            // larger of the two; a move is a transaction of a put and a delete, twice each.
            let units = if in_place {
                write_units::<E>(&new).max(write_units::<E>(&current))
            } else {
                2 * (write_units::<E>(&current) + write_units::<E>(&new))
            };
            let done = if in_place {
                Outcome::Upgraded(units)
            } else {
                Outcome::Moved(units)
            };
            if self.dry_run {
                return Ok(done);
            }
            if let Some(shared) = shared {
                shared.spend(units, self.budget).await;
            }
            let new_key = key_of(&new);
            let guards = self.guards(&old_key, &current, &new_key, &new)?;
            let sent = if in_place && guards.is_empty() {
                self.rewrite(new, &unchanged).await
            } else {
                let writes = if in_place {
                    vec![Write::Put(new, Some(unchanged.clone()))]
                } else {
                    vec![
                        Write::Put(new, None),
                        Write::Delete(old_key.clone(), unchanged.clone()),
                    ]
                };
                self.transact(writes, guards).await
            };
            match sent {
                Ok(()) => return Ok(done),
                Err(Refused::NewExists) => {
                    // The application wrote the new item: it is newer, if it is whole. An item
                    // it does not read as (a partial upsert) is not: neither is deleted.
                    let Some(at_new_key) = self.read_stored(new_key.clone()).await? else {
                        continue;
                    };
                    if let Err(e) = (self.convert)(at_new_key.clone()) {
                        return Ok(Outcome::Unreadable(format!(
                            "{}: the item at its new key {} does not read as {} ({e}): both are kept; merge them and delete the old one",
                            show_key(&old_key),
                            show_key(&new_key),
                            E::SCHEMA.name
                        )));
                    }
                    // The old item goes, and its guards go to the new one or away.
                    let guards = self.guards(&old_key, &current, &new_key, &at_new_key)?;
                    let delete = vec![Write::Delete(old_key.clone(), unchanged.clone())];
                    match self.transact(delete, guards).await {
                        Ok(()) => return Ok(Outcome::Superseded(write_units::<E>(&current))),
                        Err(Refused::OldChanged | Refused::NewExists) => {}
                        Err(Refused::Taken(why)) => return Ok(taken(why)),
                        Err(Refused::Error(e)) => return Err(e),
                    }
                }
                Err(Refused::OldChanged) => {}
                Err(Refused::Taken(why)) => return Ok(taken(why)),
                Err(Refused::Error(e)) => return Err(e),
            }
            // Changed meanwhile: read it again.
            match self.read_stored(old_key.clone()).await? {
                Some(item) => current = item,
                // Deleted meanwhile: nothing to move.
                None => return Ok(Outcome::Unchanged),
            }
        }
        Ok(Outcome::Busy)
    }

    /// Writes `new` (the entity's current version) over the item, on the condition that it is
    /// still as read (its version included).
    async fn rewrite(&self, new: Item, unchanged: &Unchanged) -> Result<(), Refused> {
        let table = self.table;
        let (condition, names, values) = unchanged.clone();
        let sent = table
            .client()
            .put_item()
            .table_name(table.name())
            .set_item(Some(new))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = Error::from_sdk(table.name(), Operation::PutItem, e);
                if e.is_condition_failed() {
                    Err(Refused::OldChanged)
                } else {
                    Err(Refused::Error(e))
                }
            }
        }
    }

    /// The guard writes that keep `E`'s unique values with the item moved from `old_key` to
    /// `new_key` (or rewritten at its key).
    fn guards(
        &self,
        old_key: &Item,
        old: &Item,
        new_key: &Item,
        new: &Item,
    ) -> Result<Vec<(TransactWriteItem, Option<GuardOf>)>, Error> {
        if E::SCHEMA.unique.is_empty() {
            return Ok(Vec::new());
        }
        crate::table::unique::rehome(self.table, old_key, old, new_key, new)
    }

    /// Sends `writes` and `guards` as one transaction. Refused: the first write's condition
    /// (a put of a new item: it exists; a put over the item: it changed), the second's (the
    /// old item changed), or a guard's (another item holds the value).
    async fn transact(
        &self,
        writes: Vec<Write>,
        guards: Vec<(TransactWriteItem, Option<GuardOf>)>,
    ) -> Result<(), Refused> {
        let table = self.table;
        let invalid = |e: aws_sdk_dynamodb::error::BuildError| {
            Refused::Error(Error::validation(
                table.name(),
                Operation::TransactWriteItems,
                e.to_string(),
            ))
        };
        let pk = E::TABLE.partition_key.name;
        let first_creates = matches!(writes.first(), Some(Write::Put(_, None)));
        let mut request = table.client().transact_write_items();
        let count = writes.len();
        for write in writes {
            let item = match write {
                Write::Put(item, condition) => {
                    let (condition, names, values) = condition.unwrap_or_else(|| {
                        (
                            "attribute_not_exists(#pk)".to_owned(),
                            HashMap::from([("#pk".to_owned(), pk.to_owned())]),
                            HashMap::new(),
                        )
                    });
                    let put = Put::builder()
                        .table_name(table.name())
                        .set_item(Some(item))
                        .condition_expression(condition)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values((!values.is_empty()).then_some(values))
                        .build()
                        .map_err(invalid)?;
                    TransactWriteItem::builder().put(put).build()
                }
                Write::Delete(key, (condition, names, values)) => {
                    let delete = Delete::builder()
                        .table_name(table.name())
                        .set_key(Some(key))
                        .condition_expression(condition)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values((!values.is_empty()).then_some(values))
                        .build()
                        .map_err(invalid)?;
                    TransactWriteItem::builder().delete(delete).build()
                }
            };
            request = request.transact_items(item);
        }
        let mut owners = Vec::with_capacity(guards.len());
        for (item, guard) in guards {
            request = request.transact_items(item);
            owners.push(guard);
        }
        let Err(err) = request.send().await else {
            return Ok(());
        };
        let reasons: Vec<(Option<String>, Option<Item>)> = err
            .as_service_error()
            .and_then(|e| match e {
                aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => Some(c),
                _ => None,
            })
            .map(|c| {
                c.cancellation_reasons()
                    .iter()
                    .map(|r| (r.code().map(str::to_owned), r.item().cloned()))
                    .collect()
            })
            .unwrap_or_default();
        let failed = |i: usize| {
            reasons.get(i).and_then(|(code, _)| code.as_deref()) == Some("ConditionalCheckFailed")
        };
        if failed(0) {
            return Err(if first_creates {
                Refused::NewExists
            } else {
                Refused::OldChanged
            });
        }
        if (1..count).any(failed) {
            return Err(Refused::OldChanged);
        }
        if let Some(i) = (0..owners.len()).find(|i| failed(count + i)) {
            let why = match &owners[i] {
                Some(guard) => guard
                    .violation(reasons.get(count + i).and_then(|(_, item)| item.as_ref()))
                    .to_string(),
                None => "a unique value is held by another item".to_owned(),
            };
            return Err(Refused::Taken(format!("{why}: not moved")));
        }
        Err(Refused::Error(Error::from_sdk(
            table.name(),
            Operation::TransactWriteItems,
            err,
        )))
    }
}

/// A write of the runner's transactions: a put (with the condition that the item is unchanged,
/// or, without one, that none is there), or a delete on the condition that the item is
/// unchanged.
enum Write {
    Put(Item, Option<Unchanged>),
    Delete(Item, Unchanged),
}

/// What [`Rekey::move_item`] did with an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moved {
    /// Moved to its new key.
    Moved,
    /// Rewritten in place at the entity's schema version (it was of an older one).
    Upgraded,
    /// The new item existed already (newer): the old one was deleted.
    Superseded,
    /// Not under an old key (or not the entity's, or deleted meanwhile).
    Unchanged,
    /// It kept changing while being moved: try again later.
    Busy,
    /// It could not be read as the entity: why.
    Unreadable(String),
}

enum Refused {
    NewExists,
    OldChanged,
    /// Another item holds one of its unique values: why.
    Taken(String),
    Error(Error),
}

enum Outcome {
    Moved(u64),
    Upgraded(u64),
    Superseded(u64),
    Unchanged,
    Busy,
    Unreadable(String),
}

struct Shared {
    report: Mutex<RekeyReport>,
    positions: Mutex<Vec<Position>>,
    started: Instant,
}

impl Shared {
    /// Waits until `units` more fit the budget.
    async fn spend(&self, units: u64, budget: f64) {
        let spent = lock(&self.report).write_units + units;
        let due = Duration::from_secs_f64(spent as f64 / budget);
        let elapsed = self.started.elapsed();
        if due > elapsed {
            tokio::time::sleep(due - elapsed).await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A condition expression with its names and values.
type Unchanged = (
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
);

/// The item is unchanged: every attribute as read, and none of `absent` there.
fn unchanged(item: &Item, absent: &[&str]) -> Unchanged {
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut clauses = Vec::with_capacity(item.len() + absent.len());
    let mut attributes: Vec<(&String, &AttributeValue)> = item.iter().collect();
    attributes.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (name, value)) in attributes.into_iter().enumerate() {
        names.insert(format!("#a{i}"), name.clone());
        values.insert(format!(":v{i}"), value.clone());
        clauses.push(format!("#a{i} = :v{i}"));
    }
    let mut absent = absent.to_vec();
    absent.sort_unstable();
    absent.dedup();
    for (i, name) in absent.into_iter().enumerate() {
        names.insert(format!("#n{i}"), name.to_owned());
        clauses.push(format!("attribute_not_exists(#n{i})"));
    }
    (clauses.join(" AND "), names, values)
}

/// Every attribute an item of `E` may hold: its fields', its table's and indexes' keys, and
/// those the library writes (entity type, schema version, TTL, version, timestamps).
fn known_attributes<E: Entity>() -> Vec<&'static str> {
    let (schema, table) = (&E::SCHEMA, &E::TABLE);
    let mut names: Vec<&'static str> = schema.attributes.iter().map(|a| a.attribute).collect();
    let keys = std::iter::once((&table.partition_key, table.sort_key.as_ref())).chain(
        table
            .indexes
            .iter()
            .map(|index| (&index.partition_key, index.sort_key.as_ref())),
    );
    for (partition, sort) in keys {
        names.push(partition.name);
        names.extend(sort.map(|k| k.name));
    }
    names.extend(
        [
            table.entity_attribute,
            schema.schema_version_attribute(),
            schema.ttl_attribute,
            schema.version_attribute,
            schema.created_at_attribute,
            schema.updated_at_attribute,
        ]
        .into_iter()
        .flatten(),
    );
    names.sort_unstable();
    names.dedup();
    names
}

/// What a put or delete of `item` is billed, in the table and its indexes.
fn write_units<E: Entity>(item: &Item) -> u64 {
    u64::from(crate::mapping::size::write_units(&E::TABLE, item).total())
}

/// Where a segment stands.
#[derive(Debug, Clone, PartialEq)]
enum Position {
    Start,
    After(Item),
    Done,
}

/// One line per segment: `start`, `done`, or the position as a cursor string.
fn write_checkpoint(path: &Path, positions: &[Position]) -> Result<(), String> {
    let text: String = positions
        .iter()
        .map(|p| match p {
            Position::Start => "start\n".to_owned(),
            Position::Done => "done\n".to_owned(),
            Position::After(key) => format!("{}\n", Cursor::from_item(key.clone())),
        })
        .collect();
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write the checkpoint {}: {e}", path.display()))
}

fn read_checkpoint(path: &Path, segments: u32) -> Result<Vec<Position>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(vec![Position::Start; segments as usize]);
        }
        Err(e) => {
            return Err(format!(
                "cannot read the checkpoint {}: {e}",
                path.display()
            ));
        }
    };
    let positions = text
        .lines()
        .map(|line| match line {
            "start" => Ok(Position::Start),
            "done" => Ok(Position::Done),
            cursor => cursor
                .parse::<Cursor>()
                .map(|c| Position::After(c.into_item()))
                .map_err(|e| format!("checkpoint {}: {e}", path.display())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if positions.len() != segments as usize {
        return Err(format!(
            "checkpoint {} has {} segments, the run {segments}: resume with the same number of segments",
            path.display(),
            positions.len()
        ));
    }
    Ok(positions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_round_trip() {
        let dir = std::env::temp_dir().join(format!("rekey-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("c");
        let key: Item = [("pk".to_owned(), AttributeValue::S("EVENT#e1".into()))].into();
        let positions = vec![Position::Start, Position::After(key), Position::Done];
        write_checkpoint(&path, &positions).expect("written");
        assert_eq!(read_checkpoint(&path, 3), Ok(positions));
        assert!(read_checkpoint(&path, 4).is_err(), "another segment count");
        assert_eq!(
            read_checkpoint(&dir.join("none"), 2),
            Ok(vec![Position::Start, Position::Start])
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn unchanged_means_every_attribute_as_read_and_no_other() {
        let item: Item = [
            ("pk".to_owned(), AttributeValue::S("a".into())),
            ("n".to_owned(), AttributeValue::N("1".into())),
        ]
        .into();
        let (condition, names, values) = unchanged(&item, &["_v", "plan", "_v"]);
        assert_eq!(
            condition,
            "#a0 = :v0 AND #a1 = :v1 AND attribute_not_exists(#n0) AND attribute_not_exists(#n1)"
        );
        assert_eq!(names["#a0"], "n");
        assert_eq!(
            (names["#n0"].as_str(), names["#n1"].as_str()),
            ("_v", "plan")
        );
        assert_eq!(values[":v1"], AttributeValue::S("a".into()));
    }
}
