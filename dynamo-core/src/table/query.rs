//! Query and Scan: pages with a cursor, or streams over all pages.
//!
//! A page is read whole: one item that does not map fails [`send`](Query::send) and
//! [`pages`](Query::pages) with an [`Error::Mapping`] naming the item's key.
//! [`stream`](Query::stream) reads item by item: a bad item is an `Err` in its place, and the
//! items after it still come.

use super::capacity::{self, ConsumedCapacity};
use super::cursor::{Cursor, QueryId};
use crate::error::{Error, Operation};
use crate::expr::{Condition, Path, Placeholders};
use crate::mapping::entity::{Entity, Item};
use crate::mapping::error::ValueError;
use crate::mapping::value::IntoAttributeValue;
use crate::table::{FromItem, Table};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use std::marker::PhantomData;
use tracing::Instrument;

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

enum SortKey {
    Compare(&'static str, Result<AttributeValue, ValueError>),
    Between(
        Result<AttributeValue, ValueError>,
        Result<AttributeValue, ValueError>,
    ),
    BeginsWith(String),
}

fn key_value(v: impl IntoAttributeValue) -> Result<AttributeValue, ValueError> {
    v.into_attribute_value()?
        .ok_or_else(|| ValueError::new("a key value", "no attribute"))
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
}

impl Common {
    fn new() -> Self {
        Common {
            filter: None,
            projection: Vec::new(),
            limit: None,
            consistent: false,
            cursor: None,
            index: None,
            capacity: false,
        }
    }
}

/// [`Table::query`]: the items of one partition, in sort key order.
#[must_use = "a request does nothing until it is sent"]
pub struct Query<'a, E: Entity, T = E> {
    table: &'a Table<E>,
    partition: Result<AttributeValue, ValueError>,
    sort: Option<SortKey>,
    descending: bool,
    common: Common,
    _out: PhantomData<fn() -> T>,
}

impl<E: Entity> Table<E> {
    /// Query the partition `pk` of the table (use [`Query::index`] for a secondary index).
    pub fn query(&self, pk: impl IntoAttributeValue) -> Query<'_, E> {
        Query {
            table: self,
            partition: key_value(pk),
            sort: None,
            descending: false,
            common: Common::new(),
            _out: PhantomData,
        }
    }

    /// Scan the table (or an index with [`Scan::index`]).
    pub fn scan(&self) -> Scan<'_, E> {
        Scan {
            table: self,
            segment: None,
            common: Common::new(),
            _out: PhantomData,
        }
    }
}

/// A page as DynamoDB returned it, and the request for the next one.
type RawPage<R> = (Page<Item>, Option<R>);

macro_rules! common_options {
    ($ty:ident) => {
        impl<'a, E: Entity, T: FromItem + Send + 'a> $ty<'a, E, T> {
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
            /// accepted ([`Error::InvalidCursor`] otherwise).
            pub fn cursor(mut self, cursor: Option<Cursor>) -> Self {
                self.common.cursor = cursor;
                self
            }

            /// Reads the secondary index `name` of the entity's table.
            pub fn index(mut self, name: &'static str) -> Self {
                self.common.index = Some(name);
                self
            }

            /// Asks DynamoDB for the capacity each page consumes: in
            /// [`Page::consumed_capacity`] and on the span.
            pub fn return_consumed_capacity(mut self) -> Self {
                self.common.capacity = true;
                self
            }

            fn check_index(&self, op: Operation) -> Result<(), Error> {
                match self.common.index {
                    Some(name) if E::TABLE.index(name).is_none() => Err(Error::validation(
                        self.table.name(),
                        op,
                        format!("table {} declares no index {name:?}", E::TABLE.name),
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
                    .map_err(|reason| Error::InvalidCursor {
                        table: self.table.name().to_owned(),
                        operation: op,
                        reason,
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
                let (page, _) = self.fetch().await?;
                read_page(table, Self::OP, page)
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
            /// let mut replies = replies.query("thread-1").stream();
            /// while let Some(reply) = replies.next().await {
            ///     match reply {
            ///         Ok(reply) => println!("{}", reply.at),
            ///         Err(e @ dynamo_core::Error::Mapping { .. }) => eprintln!("skipped: {e}"),
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

common_options!(Query);
common_options!(Scan);

/// The pages of a query or scan as DynamoDB returned them; a failed request ends the stream.
fn raw_pages<'a, R: Fetch + Send + 'a>(request: R) -> BoxStream<'a, Result<Page<Item>, Error>> {
    stream::try_unfold(Some(request), |state| async move {
        let Some(request) = state else {
            return Ok(None);
        };
        let (page, next) = request.fetch().await?;
        Ok(Some((page, next)))
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

impl<'a, E: Entity, T: FromItem> Query<'a, E, T> {
    const OP: Operation = Operation::Query;

    /// Sort key `= value`.
    pub fn sk_eq(self, value: impl IntoAttributeValue) -> Self {
        self.sort(SortKey::Compare("=", key_value(value)))
    }

    /// Sort key `< value`.
    pub fn sk_lt(self, value: impl IntoAttributeValue) -> Self {
        self.sort(SortKey::Compare("<", key_value(value)))
    }

    /// Sort key `<= value`.
    pub fn sk_le(self, value: impl IntoAttributeValue) -> Self {
        self.sort(SortKey::Compare("<=", key_value(value)))
    }

    /// Sort key `> value`.
    pub fn sk_gt(self, value: impl IntoAttributeValue) -> Self {
        self.sort(SortKey::Compare(">", key_value(value)))
    }

    /// Sort key `>= value`.
    pub fn sk_ge(self, value: impl IntoAttributeValue) -> Self {
        self.sort(SortKey::Compare(">=", key_value(value)))
    }

    /// Sort key between `low` and `high`, inclusive.
    pub fn sk_between(self, low: impl IntoAttributeValue, high: impl IntoAttributeValue) -> Self {
        self.sort(SortKey::Between(key_value(low), key_value(high)))
    }

    /// Sort key starting with `prefix`.
    pub fn sk_begins_with(self, prefix: impl Into<String>) -> Self {
        self.sort(SortKey::BeginsWith(prefix.into()))
    }

    fn sort(mut self, sort: SortKey) -> Self {
        self.sort = Some(sort);
        self
    }

    /// Newest first: descending sort key order.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// Reads only these attributes, into `P`.
    pub fn project<P: FromItem>(
        self,
        paths: impl IntoIterator<Item = impl Into<Path>>,
    ) -> Query<'a, E, P> {
        let mut common = self.common;
        common.projection = paths.into_iter().map(Into::into).collect();
        Query {
            table: self.table,
            partition: self.partition,
            sort: self.sort,
            descending: self.descending,
            common,
            _out: PhantomData,
        }
    }

    /// The key attribute names of the table or index queried.
    fn key_names(&self) -> Result<(&'static str, Option<&'static str>), Error> {
        match self.common.index {
            None => Ok((
                E::TABLE.partition_key.name,
                E::TABLE.sort_key.map(|k| k.name),
            )),
            Some(name) => {
                let index = E::TABLE.index(name).ok_or_else(|| {
                    Error::validation(
                        self.table.name(),
                        Operation::Query,
                        format!("table {} declares no index {name:?}", E::TABLE.name),
                    )
                })?;
                Ok((index.partition_key.name, index.sort_key.map(|k| k.name)))
            }
        }
    }
}

impl<'a, E: Entity, T: FromItem + Send + 'a> Fetch for Query<'a, E, T> {
    async fn fetch(self) -> Result<RawPage<Self>, Error> {
        let op = Operation::Query;
        let table = self.table;
        let invalid = |e: ValueError| Error::invalid_value(table.name(), op, &e);
        self.check_index(op)?;
        let (pk_name, sk_name) = self.key_names()?;
        let partition = self.partition.clone().map_err(invalid)?;
        let id = QueryId {
            table: table.name(),
            index: self.common.index,
            partition: Some(&partition),
            segment: None,
        };
        let start = self.start(op, &id)?;
        let mut p = Placeholders::default();
        let pk = p.path(&Path::new(pk_name));
        let pk_value = p.value(partition.clone());
        let mut key_condition = format!("{pk} = {pk_value}");
        if let Some(sort) = &self.sort {
            let Some(sk_name) = sk_name else {
                return Err(Error::validation(
                    table.name(),
                    op,
                    "a sort key condition on a table or index without sort key",
                ));
            };
            let sk = p.path(&Path::new(sk_name));
            let clause = match sort {
                SortKey::Compare(cmp, v) => {
                    format!("{sk} {cmp} {}", p.value(v.clone().map_err(invalid)?))
                }
                SortKey::Between(lo, hi) => {
                    let lo = p.value(lo.clone().map_err(invalid)?);
                    let hi = p.value(hi.clone().map_err(invalid)?);
                    format!("{sk} BETWEEN {lo} AND {hi}")
                }
                SortKey::BeginsWith(prefix) => format!(
                    "begins_with({sk}, {})",
                    p.value(AttributeValue::S(prefix.clone()))
                ),
            };
            key_condition.push_str(" AND ");
            key_condition.push_str(&clause);
        }
        let filter = self
            .common
            .filter
            .as_ref()
            .map(|f| p.condition(f))
            .transpose()
            .map_err(invalid)?;
        let projection = projection(&mut p, &self.common.projection);
        let (names, values) = p.into_parts();
        let span = table.span(op);
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
            .set_select((!self.common.projection.is_empty()).then_some(Select::SpecificAttributes))
            .send()
            .instrument(span.clone())
            .await
            .map_err(|e| Error::from_sdk(table.name(), op, e))?;
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
        Ok((page, next))
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
        let filter = self
            .common
            .filter
            .as_ref()
            .map(|f| p.condition(f))
            .transpose()
            .map_err(|e| Error::invalid_value(table.name(), op, &e))?;
        let projection = projection(&mut p, &self.common.projection);
        let (names, values) = p.into_parts();
        let span = table.span(op);
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
            .send()
            .instrument(span.clone())
            .await
            .map_err(|e| Error::from_sdk(table.name(), op, e))?;
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
        Ok((page, next))
    }
}
