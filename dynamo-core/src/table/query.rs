//! Query and Scan: pages with an opaque cursor, or a stream over all pages.

use crate::error::{Error, Operation};
use crate::expr::{Condition, Path, Placeholders};
use crate::mapping::entity::{Entity, Item};
use crate::mapping::error::ValueError;
use crate::mapping::value::IntoAttributeValue;
use crate::table::{FromItem, Table};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use futures_util::stream::{self, Stream, TryStreamExt};
use std::marker::PhantomData;
use tracing::Instrument;

/// Where a query or scan stopped: pass it back to continue with the next page.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(Item);

impl Cursor {
    /// The `LastEvaluatedKey` DynamoDB returned.
    pub fn into_item(self) -> Item {
        self.0
    }

    /// A cursor from a `LastEvaluatedKey`.
    pub fn from_item(item: Item) -> Self {
        Cursor(item)
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page (after the filter).
    pub items: Vec<T>,
    /// Where to continue; `None` on the last page.
    pub cursor: Option<Cursor>,
    /// Items read before the filter.
    pub scanned_count: i32,
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
struct Common {
    filter: Option<Condition>,
    projection: Vec<Path>,
    limit: Option<i32>,
    consistent: bool,
    cursor: Option<Cursor>,
    index: Option<&'static str>,
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

macro_rules! common_options {
    ($ty:ident) => {
        impl<'a, E: Entity, T: FromItem> $ty<'a, E, T> {
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

            /// Continues after `cursor` (from a previous [`Page`]).
            pub fn cursor(mut self, cursor: Option<Cursor>) -> Self {
                self.common.cursor = cursor;
                self
            }

            /// Reads the secondary index `name` of the entity's table.
            pub fn index(mut self, name: &'static str) -> Self {
                self.common.index = Some(name);
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

            /// Sends one request: one page.
            pub async fn send(self) -> Result<Page<T>, Error> {
                let (page, _) = self.next_page().await?;
                Ok(page)
            }

            /// All items of all pages, one request per page as the stream is read.
            pub fn stream(self) -> impl Stream<Item = Result<T, Error>> + 'a
            where
                T: 'a,
            {
                self.pages()
                    .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
                    .try_flatten()
            }

            /// All pages.
            pub fn pages(self) -> impl Stream<Item = Result<Page<T>, Error>> + 'a
            where
                T: 'a,
            {
                stream::try_unfold(Some(self), |state| async move {
                    let Some(request) = state else {
                        return Ok(None);
                    };
                    let (page, next) = request.next_page().await?;
                    Ok(Some((page, next)))
                })
            }

            /// Every item of every page, collected.
            pub async fn all(self) -> Result<Vec<T>, Error>
            where
                T: 'a,
            {
                self.stream().try_collect().await
            }
        }
    };
}

common_options!(Query);
common_options!(Scan);

/// One page of a Query or Scan response.
fn page<E: Entity, T: FromItem>(
    table: &Table<E>,
    op: Operation,
    items: Option<Vec<Item>>,
    last_evaluated_key: Option<Item>,
    scanned_count: i32,
) -> Result<Page<T>, Error> {
    let items = items
        .unwrap_or_default()
        .into_iter()
        .map(|i| table.read(op, i))
        .collect::<Result<Vec<T>, _>>()?;
    let cursor = last_evaluated_key.filter(|k| !k.is_empty()).map(Cursor);
    Ok(Page {
        items,
        cursor,
        scanned_count,
    })
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

    async fn next_page(self) -> Result<(Page<T>, Option<Self>), Error> {
        let op = Operation::Query;
        let table = self.table;
        let invalid = |e: ValueError| Error::invalid_value(table.name(), op, &e);
        self.check_index(op)?;
        let (pk_name, sk_name) = self.key_names()?;
        let mut p = Placeholders::default();
        let pk = p.path(&Path::new(pk_name));
        let pk_value = p.value(self.partition.clone().map_err(invalid)?);
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
            .consistent_read(self.common.consistent)
            .scan_index_forward(!self.descending)
            .set_exclusive_start_key(self.common.cursor.clone().map(Cursor::into_item))
            .select(if self.common.projection.is_empty() {
                Select::AllAttributes
            } else {
                Select::SpecificAttributes
            })
            .send()
            .instrument(table.span(op))
            .await
            .map_err(|e| Error::from_sdk(table.name(), op, e))?;
        let page = page(
            table,
            op,
            output.items,
            output.last_evaluated_key,
            output.scanned_count,
        )?;
        let next = page.cursor.clone().map(|c| {
            let mut next = self;
            next.common.cursor = Some(c);
            next
        });
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

impl<'a, E: Entity, T: FromItem> Scan<'a, E, T> {
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

    /// All items, scanning `segments` segments concurrently.
    pub fn parallel(self, segments: i32) -> impl Stream<Item = Result<T, Error>> + 'a
    where
        T: 'a,
    {
        let segments = segments.max(1);
        let streams = (0..segments).map(|s| {
            let scan = Scan {
                table: self.table,
                segment: Some((s, segments)),
                common: Common {
                    filter: self.common.filter.clone(),
                    projection: self.common.projection.clone(),
                    limit: self.common.limit,
                    consistent: self.common.consistent,
                    cursor: None,
                    index: self.common.index,
                },
                _out: PhantomData::<fn() -> T>,
            };
            Box::pin(scan.stream())
        });
        stream::select_all(streams)
    }

    async fn next_page(self) -> Result<(Page<T>, Option<Self>), Error> {
        let op = Operation::Scan;
        let table = self.table;
        self.check_index(op)?;
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
            .consistent_read(self.common.consistent)
            .set_segment(self.segment.map(|s| s.0))
            .set_total_segments(self.segment.map(|s| s.1))
            .set_exclusive_start_key(self.common.cursor.clone().map(Cursor::into_item))
            .send()
            .instrument(table.span(op))
            .await
            .map_err(|e| Error::from_sdk(table.name(), op, e))?;
        let page = page(
            table,
            op,
            output.items,
            output.last_evaluated_key,
            output.scanned_count,
        )?;
        let next = page.cursor.clone().map(|c| {
            let mut next = self;
            next.common.cursor = Some(c);
            next
        });
        Ok((page, next))
    }
}
