//! Query and Scan: pages with a cursor, or streams over all pages.
//!
//! A page is read whole: one item that does not map fails [`send`](Query::send) and
//! [`pages`](Query::pages) with an [`ErrorKind::Mapping`](crate::ErrorKind::Mapping) naming the item's key.
//! [`stream`](Query::stream) reads item by item: a bad item is an `Err` in its place, and the
//! items after it still come.

use super::InSpan;
use super::capacity::{self, ConsumedCapacity};
use super::cursor::{Cursor, QueryId};
use super::fan_out::{self, Position};
use crate::def::Projection;
use crate::error::{Error, Operation};
use crate::expr::{Condition, Path, Placeholders};
use crate::keys::partition::{
    BoundError, CollectionOf, CollectionOn, Partition, PartitionOf, SortArg, SortBound, SortScope,
};
use crate::mapping::entity::Entity;
use crate::mapping::error::ValueError;
use crate::mapping::item::Item;
use crate::table::{FromItem, Table};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use std::marker::PhantomData;

/// How many shards a fan-out query reads at once unless told.
const DEFAULT_FAN_OUT: usize = 16;

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page (after the filter).
    pub items: Vec<T>,
    /// Where to continue; `None` on the last page.
    pub cursor: Option<Cursor>,
    /// Items read before the filter.
    pub scanned_count: i32,
    /// What the page cost, when [`return_consumed_capacity`](Query::return_consumed_capacity)
    /// asked for it.
    pub consumed_capacity: Option<ConsumedCapacity>,
}

impl<T> Page<T> {
    fn map_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            cursor: self.cursor,
            scanned_count: self.scanned_count,
            consumed_capacity: self.consumed_capacity,
        }
    }
}

/// One end of a sort key range.
#[derive(Clone)]
enum Bound {
    Unbounded,
    Included(AttributeValue),
    Excluded(AttributeValue),
}

/// A sort key condition.
#[derive(Clone)]
enum SortCondition {
    Eq(AttributeValue),
    BeginsWith(String),
    Range(Bound, Bound),
}

/// The smallest string after every string that starts with `prefix`; `None` when there is none
/// (every character is the last one).
fn after_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(c) = chars.pop() {
        let next = match c as u32 {
            0xD7FF => Some('\u{E000}'),
            n => char::from_u32(n + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The upper bound that keeps the sort keys starting with `prefix`.
fn below_after(prefix: &str) -> Bound {
    after_prefix(prefix).map_or(Bound::Unbounded, |s| Bound::Excluded(AttributeValue::S(s)))
}

/// Options both Query and Scan take.
#[derive(Clone)]
struct Common {
    filter: Option<Condition>,
    projection: Vec<Path>,
    limit: Option<i32>,
    consistent: bool,
    cursor: Option<Cursor>,
    index: Option<&'static str>,
    capacity: bool,
    /// Only the number of items is wanted (`count()`).
    count: bool,
}

impl Common {
    fn new(index: Option<&'static str>) -> Self {
        Common {
            filter: None,
            projection: Vec::new(),
            limit: None,
            consistent: false,
            cursor: None,
            index,
            capacity: false,
            count: false,
        }
    }
}

/// `entity = "Seat"` on a table with an entity attribute, when the table or index read holds
/// it: a typed read keeps its own entity's items only.
fn entity_filter<E: Entity>(index: Option<&str>) -> Option<Condition> {
    members_filter::<E>(index, &[E::SCHEMA.entity_type?])
}

/// `entity IN ("Event", "Seat")`: [`entity_filter`] for the entity types `types` (a
/// collection's members) of `E`'s table.
fn members_filter<E: Entity>(index: Option<&str>, types: &[&'static str]) -> Option<Condition> {
    let attribute = E::TABLE.entity_attribute?;
    let projected = match index.and_then(|name| E::TABLE.index(name)) {
        None => true,
        Some(def) => match def.projection {
            Projection::All => true,
            Projection::KeysOnly => false,
            Projection::Include(attributes) => attributes.contains(&attribute),
        },
    };
    let path = Path::new(attribute);
    match types {
        [] => None,
        [one] => projected.then(|| path.eq(*one)),
        many => projected.then(|| path.is_in(many.iter().map(|t| (*t).to_owned()))),
    }
}

/// Which items of the partition a query keeps.
#[derive(Clone, Copy)]
enum Scope {
    /// The entity's own: its sort key scope and entity type.
    Entity,
    /// A collection's members: the sort key range their prefixes span and their entity types.
    Members {
        prefixes: &'static [&'static str],
        types: &'static [&'static str],
    },
    /// Every item of the partition (a collection with a `#[dynamo(other)]` variant).
    All,
}

/// The range of sort keys that start with one of `prefixes`: from the first to the end of the
/// last. `None` when it is every key.
fn prefixes_range(prefixes: &[&str]) -> Option<(Bound, Bound)> {
    let (first, last) = (prefixes.iter().min()?, prefixes.iter().max()?);
    if last.is_empty() {
        return None;
    }
    let low = if first.is_empty() {
        Bound::Unbounded
    } else {
        Bound::Included(AttributeValue::S((*first).to_owned()))
    };
    Some((low, below_after(last)))
}

/// [`Table::query`]: the items of one partition, in sort key order.
///
/// `P` is the partition type (`SeatPartition`, `SeatGsi1Partition`): it says which table or
/// index is read and what the sort key conditions take. Items are read as `T`: the entity, a
/// projection ([`project`](Query::project)) or a collection ([`collection`](Query::collection)).
#[must_use = "a request does nothing until it is sent"]
pub struct Query<'a, P: Partition, T = <P as Partition>::Entity> {
    table: &'a Table<P::Entity>,
    /// The partition key values read: one, or every shard's.
    partition: Result<Vec<AttributeValue>, BoundError>,
    sort: Result<Option<SortCondition>, BoundError>,
    /// At most this many shards read at once.
    fan_out: usize,
    /// Which of the partition's items are kept.
    scope: Scope,
    descending: bool,
    common: Common,
    _out: PhantomData<fn() -> (P, T)>,
}

impl<E: Entity> Table<E> {
    /// Query one partition of the table or of an index: the entity's generated partition type
    /// says which (`SeatPartition::new(event_id)`, `SeatGsi1Partition::new(..)`).
    ///
    /// On a shared table the query reads `E`'s items only: those its sort template starts with
    /// (`begins_with(sk, "SEAT#")`) and, when the table has an entity attribute, of its type.
    /// [`collection`](Query::collection) reads every entity of the partition.
    ///
    /// ```no_run
    /// # use dynamo_core::{DynamoEntity, KeyDef, Table, TableDef};
    /// # const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));
    /// #[derive(DynamoEntity)]
    /// #[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "SEAT#{section}#{seat_no}")]
    /// struct Seat { event_id: String, section: String, seat_no: u32 }
    ///
    /// # async fn f(seats: Table<Seat>) -> Result<(), dynamo_core::Error> {
    /// let all = seats.query(SeatPartition::new("e1")).all().await?;
    /// let section_a = seats
    ///     .query(SeatPartition::new("e1"))
    ///     .sk_begins_with(SeatSortKey::section("A"))
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn query<P: PartitionOf<E>>(&self, partition: P) -> Query<'_, P> {
        Query {
            table: self,
            partition: partition.partition_values().map_err(BoundError::from),
            sort: Ok(None),
            fan_out: DEFAULT_FAN_OUT,
            scope: Scope::Entity,
            descending: false,
            common: Common::new(P::INDEX),
            _out: PhantomData,
        }
    }

    /// Scan the table (or an index with [`Scan::index`]). On a table with an entity attribute,
    /// only `E`'s items are returned.
    pub fn scan(&self) -> Scan<'_, E> {
        Scan {
            table: self,
            segment: None,
            common: Common::new(None),
            _out: PhantomData,
        }
    }
}

/// A page as DynamoDB returned it, the number of items it counted, and the request for the
/// next one.
struct RawPage<R> {
    page: Page<Item>,
    count: i32,
    next: Option<R>,
}

macro_rules! common_options {
    ($ty:ident, $param:ident: $bound:path, $entity:ty) => {
        impl<'a, $param: $bound + 'a, T: FromItem + Send + 'a> $ty<'a, $param, T> {
            /// Keeps only items matching `filter` (applied after reading: read capacity and
            /// [`Page::scanned_count`] count the items before it).
            pub fn filter(mut self, filter: Condition) -> Self {
                self.common.filter = Some(match self.common.filter.take() {
                    Some(existing) => existing.and(filter),
                    None => filter,
                });
                self
            }

            /// At most `limit` items read per page (before the filter).
            pub fn limit(mut self, limit: i32) -> Self {
                self.common.limit = Some(limit);
                self
            }

            /// Strongly consistent read (not on global secondary indexes).
            pub fn consistent_read(mut self) -> Self {
                self.common.consistent = true;
                self
            }

            /// Continues after `cursor` (from a previous [`Page`], or parsed from its string).
            /// On a table with a cursor key, only a cursor sealed for this same query is
            /// accepted ([`ErrorKind::InvalidCursor`](crate::ErrorKind::InvalidCursor) otherwise).
            pub fn cursor(mut self, cursor: Option<Cursor>) -> Self {
                self.common.cursor = cursor;
                self
            }

            /// Asks DynamoDB for the capacity each page consumes: in
            /// [`Page::consumed_capacity`] and on the span.
            pub fn return_consumed_capacity(mut self) -> Self {
                self.common.capacity = true;
                self
            }

            fn check_index(&self, op: Operation) -> Result<(), Error> {
                let table = <$entity as Entity>::TABLE;
                match self.common.index {
                    Some(name) if table.index(name).is_none() => Err(Error::validation(
                        self.table.name(),
                        op,
                        format!("table {} declares no index {name:?}", table.name),
                    )),
                    _ => Ok(()),
                }
            }

            /// The position to start from, unsealed; an invalid cursor is an error.
            fn start(&self, op: Operation, id: &QueryId<'_>) -> Result<Option<Item>, Error> {
                self.common
                    .cursor
                    .clone()
                    .map(|c| c.open(self.table.cursor_key(), id))
                    .transpose()
                    .map_err(|reason| {
                        Error::invalid_cursor(self.table.name(), op, reason)
                            .with_index(self.common.index)
                    })
            }

            fn next(mut self, page: &Page<Item>) -> Option<Self> {
                let cursor = page.cursor.clone()?;
                self.common.cursor = Some(cursor);
                Some(self)
            }

            /// Sends one request: one page.
            pub async fn send(self) -> Result<Page<T>, Error> {
                let table = self.table;
                let raw = self.fetch().await?;
                read_page(table, Self::OP, raw.page)
            }

            /// The number of items (after the filter), counted by DynamoDB (`Select=COUNT`):
            /// one request per page of up to 1 MB read, no items transferred.
            pub async fn count(mut self) -> Result<u64, Error> {
                self.common.count = true;
                self.common.cursor = None;
                let mut total = 0u64;
                let mut request = Some(self);
                while let Some(current) = request {
                    let raw = current.fetch().await?;
                    total += u64::try_from(raw.count).unwrap_or(0);
                    request = raw.next;
                }
                Ok(total)
            }

            /// All pages, one request per page as the stream is read. The stream is `Unpin`:
            /// `.next().await` works on it directly.
            pub fn pages(self) -> BoxStream<'a, Result<Page<T>, Error>> {
                let table = self.table;
                raw_pages(self)
                    .and_then(move |page| async move { read_page(table, Self::OP, page) })
                    .boxed()
            }

            /// All items of all pages, one request per page as the stream is read: one
            /// `Result` per item, so an item that does not map is an `Err` in its place (naming
            /// its key) and the ones after it still come; a failed request ends the stream. The
            /// stream is `Unpin`: `.next().await` works on it directly.
            ///
            /// ```no_run
            /// # use dynamo_core::{DynamoEntity, Table};
            /// # #[derive(DynamoEntity)] #[dynamo(table_name = "replies")] struct Reply { #[pk] thread: String, #[sk] at: String }
            /// use futures_util::StreamExt;
            ///
            /// # async fn f(replies: Table<Reply>) -> Result<(), dynamo_core::Error> {
            /// let mut replies = replies.query(ReplyPartition::new("thread-1")).stream();
            /// while let Some(reply) = replies.next().await {
            ///     match reply {
            ///         Ok(reply) => println!("{}", reply.at),
            ///         Err(e) if e.kind() == dynamo_core::ErrorKind::Mapping => eprintln!("skipped: {e}"),
            ///         Err(e) => return Err(e),
            ///     }
            /// }
            /// # Ok(()) }
            /// ```
            pub fn stream(self) -> BoxStream<'a, Result<T, Error>> {
                let table = self.table;
                raw_pages(self)
                    .map(move |page| {
                        let items: Vec<Result<T, Error>> = match page {
                            Ok(page) => page
                                .items
                                .into_iter()
                                .map(|i| table.read(Self::OP, i))
                                .collect(),
                            Err(e) => vec![Err(e)],
                        };
                        stream::iter(items)
                    })
                    .flatten()
                    .boxed()
            }

            /// Every item of every page, collected; the first error ends it.
            pub async fn all(self) -> Result<Vec<T>, Error> {
                self.stream().try_collect().await
            }
        }
    };
}

common_options!(Query, P: Partition, P::Entity);
common_options!(Scan, E: Entity, E);

/// The pages of a query or scan as DynamoDB returned them; a failed request ends the stream.
fn raw_pages<'a, R: Fetch + Send + 'a>(request: R) -> BoxStream<'a, Result<Page<Item>, Error>> {
    stream::try_unfold(Some(request), |state| async move {
        let Some(request) = state else {
            return Ok(None);
        };
        let raw = request.fetch().await?;
        Ok(Some((raw.page, raw.next)))
    })
    .boxed()
}

/// A request that reads one page.
trait Fetch: Sized {
    fn fetch(self) -> impl std::future::Future<Output = Result<RawPage<Self>, Error>> + Send;
}

/// A whole page read as `T`; the first item that does not map fails it.
fn read_page<E: Entity, T: FromItem>(
    table: &Table<E>,
    op: Operation,
    mut page: Page<Item>,
) -> Result<Page<T>, Error> {
    let items = std::mem::take(&mut page.items)
        .into_iter()
        .map(|i| table.read(op, i))
        .collect::<Result<Vec<T>, _>>()?;
    Ok(page.map_items(items))
}

/// A page from a response's parts, with a cursor sealed for `id`.
fn page<E: Entity>(
    table: &Table<E>,
    id: &QueryId<'_>,
    items: Option<Vec<Item>>,
    last_evaluated_key: Option<Item>,
    scanned_count: i32,
    consumed: Option<&aws_sdk_dynamodb::types::ConsumedCapacity>,
    span: &tracing::Span,
) -> Page<Item> {
    let consumed_capacity = consumed.map(ConsumedCapacity::from_sdk);
    capacity::record(span, consumed_capacity.as_ref());
    Page {
        items: items.unwrap_or_default(),
        cursor: last_evaluated_key
            .filter(|k| !k.is_empty())
            .map(|k| Cursor::sealed(k, table.cursor_key(), id)),
        scanned_count,
        consumed_capacity,
    }
}

fn projection(p: &mut Placeholders, paths: &[Path]) -> Option<String> {
    (!paths.is_empty()).then(|| {
        paths
            .iter()
            .map(|path| p.path(path))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

impl<'a, P: Partition, T: FromItem> Query<'a, P, T> {
    const OP: Operation = Operation::Query;

    /// Sort key equal to `value`; for a prefix of a template sort key
    /// (`SeatSortKey::section("A")`), every sort key that starts with it.
    pub fn sk_eq(self, value: impl SortArg<P::Sort>) -> Self {
        self.sort_with(value, |bound| match bound {
            SortBound::Value(v) => SortCondition::Eq(v),
            SortBound::Prefix(p) => SortCondition::BeginsWith(p),
        })
    }

    /// Sort key before `value` (before every key starting with a prefix).
    pub fn sk_lt(self, value: impl SortArg<P::Sort>) -> Self {
        self.sort_with(value, |bound| {
            SortCondition::Range(Bound::Unbounded, upper(bound, false))
        })
    }

    /// Sort key up to `value` (up to the last key starting with a prefix).
    pub fn sk_le(self, value: impl SortArg<P::Sort>) -> Self {
        self.sort_with(value, |bound| {
            SortCondition::Range(Bound::Unbounded, upper(bound, true))
        })
    }

    /// Sort key after `value` (after every key starting with a prefix).
    pub fn sk_gt(self, value: impl SortArg<P::Sort>) -> Self {
        self.sort_with(value, |bound| {
            SortCondition::Range(lower(bound, false), Bound::Unbounded)
        })
    }

    /// Sort key from `value` on (from the first key starting with a prefix).
    pub fn sk_ge(self, value: impl SortArg<P::Sort>) -> Self {
        self.sort_with(value, |bound| {
            SortCondition::Range(lower(bound, true), Bound::Unbounded)
        })
    }

    /// Sort key between `low` and `high`, both included (with prefixes: from the first key
    /// starting with `low` to the last starting with `high`).
    pub fn sk_between(self, low: impl SortArg<P::Sort>, high: impl SortArg<P::Sort>) -> Self {
        let sort = match (low.sort_bound(), high.sort_bound()) {
            (Ok(low), Ok(high)) => Ok(Some(SortCondition::Range(
                lower(low, true),
                upper(high, true),
            ))),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        Query { sort, ..self }
    }

    /// Sort key starting with `prefix`: a prefix of a template sort key
    /// (`SeatSortKey::section("A")`), or text for a string `#[sk]` field.
    pub fn sk_begins_with(self, prefix: impl SortArg<P::Sort>) -> Self {
        let sort = prefix.sort_bound().and_then(|bound| match bound {
            SortBound::Prefix(p) | SortBound::Value(AttributeValue::S(p)) => {
                Ok(Some(SortCondition::BeginsWith(p)))
            }
            SortBound::Value(other) => Err(BoundError::Value(ValueError::new(
                "text to compare with begins_with (a string sort key)",
                crate::mapping::error::describe(&other),
            ))),
        });
        Query { sort, ..self }
    }

    fn sort_with(
        self,
        value: impl SortArg<P::Sort>,
        condition: impl FnOnce(SortBound) -> SortCondition,
    ) -> Self {
        let sort = value.sort_bound().map(|bound| Some(condition(bound)));
        Query { sort, ..self }
    }

    /// Reads at most `shards` shards at once when the partition is sharded (`all(..)` of a
    /// `{shard(field):N}` template); 16 unless set. Each round of a fan-out reads one page of
    /// every shard that has more.
    pub fn fan_out(mut self, shards: usize) -> Self {
        self.fan_out = shards.max(1);
        self
    }

    /// Newest first: descending sort key order.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// Reads only these attributes, into `R`.
    pub fn project<R: FromItem>(
        self,
        paths: impl IntoIterator<Item = impl Into<Path>>,
    ) -> Query<'a, P, R> {
        let mut common = self.common;
        common.projection = paths.into_iter().map(Into::into).collect();
        Query {
            table: self.table,
            partition: self.partition,
            sort: self.sort,
            fan_out: self.fan_out,
            scope: self.scope,
            descending: self.descending,
            common,
            _out: PhantomData,
        }
    }

    /// Reads the partition as collection `C` (`#[derive(DynamoCollection)]`): the items of
    /// every member, not only this partition's entity, in one request for an event, its seats
    /// and its sections. The key condition spans the members' sort key prefixes (on a table
    /// with an entity attribute, a filter keeps their types), so a collection of some of the
    /// partition's entities reads theirs only; a `#[dynamo(other)]` variant reads it all. A
    /// sort key condition still applies. `C` must read the table or index of `P`: a collection
    /// on an index (`#[dynamo(index = GSI1)]`) takes that index's partition types only.
    ///
    /// ```no_run
    /// # use dynamo_core::{DynamoCollection, DynamoEntity, KeyDef, Table, TableDef};
    /// # const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk")).with_entity_attribute("entity");
    /// #[derive(DynamoEntity)]
    /// #[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "EVENT")]
    /// struct Event { event_id: String, name: String }
    ///
    /// #[derive(DynamoEntity)]
    /// #[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "SEAT#{seat_no}")]
    /// struct Seat { event_id: String, seat_no: u32 }
    ///
    /// #[derive(DynamoCollection)]
    /// enum EventItems {
    ///     Event(Event),
    ///     Seat(Seat),
    /// }
    ///
    /// # async fn f(events: Table<Event>) -> Result<(), dynamo_core::Error> {
    /// for item in events.query(EventPartition::new("e1")).collection::<EventItems>().all().await? {
    ///     match item {
    ///         EventItems::Event(event) => println!("{}", event.name),
    ///         EventItems::Seat(seat) => println!("seat {}", seat.seat_no),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn collection<C>(self) -> Query<'a, P, C>
    where
        C: CollectionOf<P::Entity> + CollectionOn<P::Index>,
    {
        let scope = if C::TAKES_OTHERS {
            Scope::All
        } else {
            Scope::Members {
                prefixes: C::SORT_PREFIXES,
                types: C::MEMBERS,
            }
        };
        Query {
            table: self.table,
            partition: self.partition,
            sort: self.sort,
            fan_out: self.fan_out,
            scope,
            descending: self.descending,
            common: self.common,
            _out: PhantomData,
        }
    }

    /// The key attribute names of the table or index queried.
    fn key_names(&self) -> Result<(&'static str, Option<&'static str>), Error> {
        let table = <P::Entity as Entity>::TABLE;
        match self.common.index {
            None => Ok((table.partition_key.name, table.sort_key.map(|k| k.name))),
            Some(name) => {
                let index = table.index(name).ok_or_else(|| {
                    Error::validation(
                        self.table.name(),
                        Operation::Query,
                        format!("table {} declares no index {name:?}", table.name),
                    )
                })?;
                Ok((index.partition_key.name, index.sort_key.map(|k| k.name)))
            }
        }
    }

    /// The sort key condition sent: the one asked for, kept inside the entity's or the
    /// collection's range.
    fn sort_condition(&self) -> Result<Option<SortCondition>, BoundError> {
        let asked = self.sort.clone()?;
        let range = match self.scope {
            Scope::All => return Ok(asked),
            Scope::Members { prefixes, .. } => match prefixes {
                [one] if !one.is_empty() => SortScope::Prefix(one),
                _ => match prefixes_range(prefixes) {
                    None => return Ok(asked),
                    Some(range) => return Ok(Some(within(asked, range))),
                },
            },
            Scope::Entity => P::SORT,
        };
        Ok(match (range, asked) {
            (SortScope::Exact(key), None) => Some(SortCondition::Eq(AttributeValue::S(key.into()))),
            (SortScope::Prefix(prefix), None) => Some(SortCondition::BeginsWith(prefix.into())),
            (SortScope::Prefix(prefix), asked) => Some(within(
                asked,
                (
                    Bound::Included(AttributeValue::S(prefix.into())),
                    below_after(prefix),
                ),
            )),
            (_, asked) => asked,
        })
    }
}

/// `asked` kept inside `range`: a range's open ends become the range's; no condition is the
/// whole range; a key or prefix is left as it is.
fn within(asked: Option<SortCondition>, (low, high): (Bound, Bound)) -> SortCondition {
    match asked {
        None => SortCondition::Range(low, high),
        Some(SortCondition::Range(asked_low, asked_high)) => {
            let low = match asked_low {
                Bound::Unbounded => low,
                asked => asked,
            };
            let high = match asked_high {
                Bound::Unbounded => high,
                asked => asked,
            };
            SortCondition::Range(low, high)
        }
        Some(other) => other,
    }
}

/// The lower end of a range from a value or prefix.
fn lower(bound: SortBound, inclusive: bool) -> Bound {
    match (bound, inclusive) {
        (SortBound::Value(v), true) => Bound::Included(v),
        (SortBound::Value(v), false) => Bound::Excluded(v),
        (SortBound::Prefix(p), true) => Bound::Included(AttributeValue::S(p)),
        // After every key starting with the prefix.
        (SortBound::Prefix(p), false) => match after_prefix(&p) {
            Some(after) => Bound::Included(AttributeValue::S(after)),
            None => Bound::Excluded(AttributeValue::S(p)),
        },
    }
}

/// The upper end of a range from a value or prefix.
fn upper(bound: SortBound, inclusive: bool) -> Bound {
    match (bound, inclusive) {
        (SortBound::Value(v), true) => Bound::Included(v),
        (SortBound::Value(v), false) => Bound::Excluded(v),
        (SortBound::Prefix(p), false) => Bound::Excluded(AttributeValue::S(p)),
        // Up to the last key starting with the prefix.
        (SortBound::Prefix(p), true) => below_after(&p),
    }
}

/// Writes a sort key condition; returns the values the range excludes, which DynamoDB's
/// `BETWEEN` (inclusive) returns and the page drops.
fn write_sort(
    p: &mut Placeholders,
    sk: &str,
    condition: SortCondition,
    out: &mut String,
) -> Vec<AttributeValue> {
    let mut excluded = Vec::new();
    let clause = match condition {
        SortCondition::Eq(v) => format!("{sk} = {}", p.value(v)),
        SortCondition::BeginsWith(prefix) => {
            format!("begins_with({sk}, {})", p.value(AttributeValue::S(prefix)))
        }
        SortCondition::Range(low, high) => {
            let low = match low {
                Bound::Unbounded => None,
                Bound::Included(v) => Some((">=", v, false)),
                Bound::Excluded(v) => Some((">", v, true)),
            };
            let high = match high {
                Bound::Unbounded => None,
                Bound::Included(v) => Some(("<=", v, false)),
                Bound::Excluded(v) => Some(("<", v, true)),
            };
            match (low, high) {
                (None, None) => return excluded,
                (Some((op, v, _)), None) | (None, Some((op, v, _))) => {
                    format!("{sk} {op} {}", p.value(v))
                }
                (Some((_, low, low_excluded)), Some((_, high, high_excluded))) => {
                    for (v, is_excluded) in [(&low, low_excluded), (&high, high_excluded)] {
                        if is_excluded {
                            excluded.push(v.clone());
                        }
                    }
                    format!("{sk} BETWEEN {} AND {}", p.value(low), p.value(high))
                }
            }
        }
    };
    out.push_str(" AND ");
    out.push_str(&clause);
    excluded
}

/// One request's answer, before its cursor is sealed.
struct Answer {
    items: Vec<Item>,
    last_evaluated_key: Option<Item>,
    scanned_count: i32,
    count: i32,
    consumed_capacity: Option<ConsumedCapacity>,
}

impl<'a, P: Partition + 'a, T: FromItem + Send + 'a> Query<'a, P, T> {
    fn invalid(&self, e: BoundError) -> Error {
        let (table, op) = (self.table.name(), Operation::Query);
        match e {
            BoundError::Value(e) => Error::invalid_value(table, op, &e),
            BoundError::Mapping(e) => Error::mapping_failed(table, op, e),
        }
    }

    /// Reads one page of `partition` from `start`; `keys` are projected too when the query
    /// projects (a fan-out merges and resumes by them).
    async fn request(
        &self,
        partition: &AttributeValue,
        start: Option<Item>,
        keys: &[&'static str],
    ) -> Result<Answer, Error> {
        let op = Operation::Query;
        let table = self.table;
        let (pk_name, sk_name) = self.key_names()?;
        let sort = self.sort_condition().map_err(|e| self.invalid(e))?;
        let mut p = Placeholders::default();
        let pk = p.path(&Path::new(pk_name));
        let pk_value = p.value(partition.clone());
        let mut key_condition = format!("{pk} = {pk_value}");
        let mut excluded = Vec::new();
        if let Some(sort) = sort {
            let Some(sk_name) = sk_name else {
                return Err(Error::validation(
                    table.name(),
                    op,
                    "a sort key condition on a table or index without sort key",
                ));
            };
            let sk = p.path(&Path::new(sk_name));
            excluded = write_sort(&mut p, &sk, sort, &mut key_condition);
        }
        let entity = match self.scope {
            Scope::Entity => entity_filter::<P::Entity>(self.common.index),
            Scope::Members { types, .. } => members_filter::<P::Entity>(self.common.index, types),
            Scope::All => None,
        };
        let filter = crate::table::and(entity, self.common.filter.clone())
            .map(|f| p.condition(&f))
            .transpose()
            .map_err(|e| Error::invalid_value(table.name(), op, &e))?;
        // Counting with excluded ends reads the sort keys to drop them.
        let count_here = self.common.count && excluded.is_empty();
        let mut paths = match (self.common.count, count_here, sk_name) {
            (true, false, Some(sk)) => vec![Path::new(sk)],
            _ => self.common.projection.clone(),
        };
        if !self.common.count && !paths.is_empty() {
            paths.extend(keys.iter().map(|k| Path::new(*k)));
        }
        let projection = if count_here {
            None
        } else {
            projection(&mut p, &paths)
        };
        let select = if count_here {
            Some(Select::Count)
        } else {
            (!paths.is_empty()).then_some(Select::SpecificAttributes)
        };
        let (names, values) = p.into_parts();
        let span = table.span(op);
        let index = self.common.index;
        let output = table
            .client()
            .query()
            .table_name(table.name())
            .set_index_name(self.common.index.map(str::to_owned))
            .key_condition_expression(key_condition)
            .set_filter_expression(filter)
            .set_projection_expression(projection)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .set_limit(self.common.limit)
            // DynamoDB's defaults (eventually consistent, ascending, all attributes) go unsaid.
            .set_consistent_read(self.common.consistent.then_some(true))
            .set_scan_index_forward(self.descending.then_some(false))
            .set_exclusive_start_key(start)
            .set_return_consumed_capacity(capacity::level(self.common.capacity))
            .set_select(select)
            .send()
            .in_span(span.clone())
            .await
            .map_err(|e| Error::from_sdk(table.name(), op, e).with_index(index))?;
        let mut items = output.items.unwrap_or_default();
        if let Some(sk) = sk_name
            && !excluded.is_empty()
        {
            items.retain(|item| item.get(sk).is_none_or(|v| !excluded.contains(v)));
        }
        let count = if count_here {
            output.count
        } else {
            i32::try_from(items.len()).unwrap_or(i32::MAX)
        };
        let consumed_capacity = output
            .consumed_capacity
            .as_ref()
            .map(ConsumedCapacity::from_sdk);
        capacity::record(&span, consumed_capacity.as_ref());
        Ok(Answer {
            items,
            last_evaluated_key: output.last_evaluated_key.filter(|k| !k.is_empty()),
            scanned_count: output.scanned_count,
            count,
            consumed_capacity,
        })
    }

    /// One round over every shard of a sharded partition: a page per unfinished shard, at
    /// most [`fan_out`](Self::fan_out) at once, merged in sort key order.
    async fn fan_out_round(self, partitions: Vec<AttributeValue>) -> Result<RawPage<Self>, Error> {
        let op = Operation::Query;
        let table = self.table;
        // A sealed cursor is bound to every shard's partition value.
        let all = AttributeValue::L(partitions.clone());
        let id = QueryId {
            table: table.name(),
            index: self.common.index,
            partition: Some(&all),
            segment: None,
        };
        let positions = match self.start(op, &id)? {
            None => (0..partitions.len()).map(|k| (k, None)).collect(),
            Some(item) => fan_out::decode(&item, partitions.len()).ok_or_else(|| {
                Error::invalid_cursor(
                    table.name(),
                    op,
                    "the cursor is not one of a query of every shard of this partition",
                )
                .with_index(self.common.index)
            })?,
        };
        let (pk_name, sk_name) = self.key_names()?;
        let schema = <P::Entity as Entity>::TABLE;
        let mut keys = vec![schema.partition_key.name];
        keys.extend(schema.sort_key.map(|k| k.name));
        for name in [Some(pk_name), sk_name].into_iter().flatten() {
            if !keys.contains(&name) {
                keys.push(name);
            }
        }
        let answers: Vec<(Position, Answer)> = stream::iter(positions)
            .map(|(shard, start)| {
                let request = self.request(&partitions[shard], start.clone(), &keys);
                async move { Ok::<_, Error>(((shard, start), request.await?)) }
            })
            .buffered(self.fan_out.max(1))
            .try_collect()
            .await?;
        let mut scanned_count = 0i32;
        let mut count = 0i32;
        let mut consumed_capacity: Option<ConsumedCapacity> = None;
        let mut pages = Vec::with_capacity(answers.len());
        for ((shard, start), answer) in answers {
            scanned_count = scanned_count.saturating_add(answer.scanned_count);
            count = count.saturating_add(answer.count);
            if let Some(c) = &answer.consumed_capacity {
                match &mut consumed_capacity {
                    Some(total) => total.add(c),
                    None => consumed_capacity = Some(c.clone()),
                }
            }
            pages.push(fan_out::ShardPage {
                shard,
                start,
                items: answer.items,
                last_evaluated_key: answer.last_evaluated_key,
            });
        }
        let (items, next) = if self.common.count {
            // Counting: every shard continues where its page stopped.
            let next = pages
                .into_iter()
                .filter_map(|p| Some((p.shard, Some(p.last_evaluated_key?))))
                .collect();
            (Vec::new(), next)
        } else {
            fan_out::merge(pages, sk_name, &keys, self.descending)
        };
        let cursor = (!next.is_empty())
            .then(|| Cursor::sealed(fan_out::encode(&next), table.cursor_key(), &id));
        let page = Page {
            items,
            cursor,
            scanned_count,
            consumed_capacity,
        };
        let next = self.next(&page);
        Ok(RawPage { page, count, next })
    }
}

impl<'a, P: Partition + 'a, T: FromItem + Send + 'a> Fetch for Query<'a, P, T> {
    async fn fetch(self) -> Result<RawPage<Self>, Error> {
        let op = Operation::Query;
        let table = self.table;
        self.check_index(op)?;
        let partitions = self.partition.clone().map_err(|e| self.invalid(e))?;
        let [partition] = partitions.as_slice() else {
            return self.fan_out_round(partitions).await;
        };
        let id = QueryId {
            table: table.name(),
            index: self.common.index,
            partition: Some(partition),
            segment: None,
        };
        let start = self.start(op, &id)?;
        let answer = self.request(partition, start, &[]).await?;
        let page = Page {
            items: answer.items,
            cursor: answer
                .last_evaluated_key
                .map(|k| Cursor::sealed(k, table.cursor_key(), &id)),
            scanned_count: answer.scanned_count,
            consumed_capacity: answer.consumed_capacity,
        };
        let next = self.next(&page);
        Ok(RawPage {
            page,
            count: answer.count,
            next,
        })
    }
}

/// [`Table::scan`]: every item of the table, in no particular order.
#[must_use = "a request does nothing until it is sent"]
pub struct Scan<'a, E: Entity, T = E> {
    table: &'a Table<E>,
    segment: Option<(i32, i32)>,
    common: Common,
    _out: PhantomData<fn() -> T>,
}

impl<'a, E: Entity, T: FromItem + Send + 'a> Scan<'a, E, T> {
    const OP: Operation = Operation::Scan;

    /// Reads the secondary index of partition type `P` (`seats.scan().index::<SeatGsi1Partition>()`)
    /// instead of the table.
    pub fn index<P: PartitionOf<E>>(mut self) -> Self {
        self.common.index = P::INDEX;
        self
    }

    /// Reads only segment `segment` of `total` (parallel scan by hand).
    pub fn segment(mut self, segment: i32, total: i32) -> Self {
        self.segment = Some((segment, total));
        self
    }

    /// Reads only these attributes, into `P`.
    pub fn project<P: FromItem>(
        self,
        paths: impl IntoIterator<Item = impl Into<Path>>,
    ) -> Scan<'a, E, P> {
        let mut common = self.common;
        common.projection = paths.into_iter().map(Into::into).collect();
        Scan {
            table: self.table,
            segment: self.segment,
            common,
            _out: PhantomData,
        }
    }

    /// All items, scanning `segments` segments concurrently; one `Result` per item, as
    /// [`stream`](Self::stream).
    pub fn parallel(self, segments: i32) -> BoxStream<'a, Result<T, Error>> {
        let segments = segments.max(1);
        let streams = (0..segments).map(|s| {
            Scan {
                table: self.table,
                segment: Some((s, segments)),
                common: Common {
                    cursor: None,
                    ..self.common.clone()
                },
                _out: PhantomData::<fn() -> T>,
            }
            .stream()
        });
        stream::select_all(streams).boxed()
    }
}

impl<'a, E: Entity, T: FromItem + Send + 'a> Fetch for Scan<'a, E, T> {
    async fn fetch(self) -> Result<RawPage<Self>, Error> {
        let op = Operation::Scan;
        let table = self.table;
        self.check_index(op)?;
        let id = QueryId {
            table: table.name(),
            index: self.common.index,
            partition: None,
            segment: self.segment,
        };
        let start = self.start(op, &id)?;
        let mut p = Placeholders::default();
        let entity = entity_filter::<E>(self.common.index)
            .or_else(|| crate::table::unique::not_a_guard::<E>(self.common.index));
        let filter = crate::table::and(entity, self.common.filter.clone())
            .map(|f| p.condition(&f))
            .transpose()
            .map_err(|e| Error::invalid_value(table.name(), op, &e))?;
        let projection = if self.common.count {
            None
        } else {
            projection(&mut p, &self.common.projection)
        };
        let select = if self.common.count {
            Some(Select::Count)
        } else {
            (!self.common.projection.is_empty()).then_some(Select::SpecificAttributes)
        };
        let (names, values) = p.into_parts();
        let span = table.span(op);
        let index = self.common.index;
        let output = table
            .client()
            .scan()
            .table_name(table.name())
            .set_index_name(self.common.index.map(str::to_owned))
            .set_filter_expression(filter)
            .set_projection_expression(projection)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .set_limit(self.common.limit)
            .set_consistent_read(self.common.consistent.then_some(true))
            .set_segment(self.segment.map(|s| s.0))
            .set_total_segments(self.segment.map(|s| s.1))
            .set_exclusive_start_key(start)
            .set_return_consumed_capacity(capacity::level(self.common.capacity))
            .set_select(select)
            .send()
            .in_span(span.clone())
            .await
            .map_err(|e| Error::from_sdk(table.name(), op, e).with_index(index))?;
        let page = page(
            table,
            &id,
            output.items,
            output.last_evaluated_key,
            output.scanned_count,
            output.consumed_capacity.as_ref(),
            &span,
        );
        let next = self.next(&page);
        Ok(RawPage {
            page,
            count: output.count,
            next,
        })
    }
}
