//! Typed key values for queries: the partition an entity's items live in ([`Partition`]), the
//! values and prefixes its sort key takes ([`SortArg`], [`SortPrefix`]), the index keys an
//! update rewrites ([`IndexKeys`]) and the enums of several entities read from one partition
//! ([`Collection`]). `#[derive(DynamoEntity)]` and `#[derive(DynamoCollection)]` implement them.

use crate::keys::scalar::KeyScalar;
use crate::mapping::entity::Entity;
use crate::mapping::error::{MappingError, ValueError};
use crate::mapping::item::FromItem;
use crate::mapping::value::ValueOf;
use aws_sdk_dynamodb::types::AttributeValue;
use std::fmt;
use std::marker::PhantomData;

/// One partition of an entity's table or of one of its indexes: what
/// [`Table::query`](crate::Table::query) takes.
///
/// Generated per entity: `SeatPartition` for the table (from `#[pk]` or the `pk` template),
/// `SeatGsi1Partition` for index `GSI1`. The type says which table or index is read and what
/// its sort key takes, so a query for another entity's partition, a misspelled index or a
/// sort key value of the wrong type does not compile.
///
/// ```
/// use dynamo_core::{DynamoEntity, KeyDef, TableDef, keys::{Partition, SortScope}};
///
/// const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
///     .with_sort_key(KeyDef::string("sk"));
///
/// #[derive(DynamoEntity)]
/// #[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "SEAT#{section}#{seat_no}")]
/// struct Seat {
///     event_id: String,
///     section: String,
///     seat_no: u32,
/// }
///
/// assert_eq!(SeatPartition::SORT, SortScope::Prefix("SEAT#"));
/// let values = SeatPartition::new("e1").partition_values()?;
/// assert_eq!(values, [dynamo_core::AttributeValue::S("EVENT#e1".into())]);
/// # Ok::<(), dynamo_core::MappingError>(())
/// ```
///
/// A partition template with a shard, `"EVENT#{event_id}#{shard(seat_no):16}"`, spreads one
/// logical partition over 16 partition key values: its partition type has no `new`, but `all`
/// (every shard: a query reads them concurrently and merges them in sort key order) and
/// `shard` (one, for a worker that owns it).
///
/// ```
/// use dynamo_core::{DynamoEntity, KeyDef, TableDef, keys::Partition};
///
/// const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
///     .with_sort_key(KeyDef::string("sk"));
///
/// #[derive(DynamoEntity)]
/// #[dynamo(table = TICKETING, pk = "EVENT#{event_id}#{shard(seat_no):16}", sk = "SEAT#{seat_no}")]
/// struct Seat {
///     event_id: String,
///     seat_no: u32,
/// }
///
/// assert_eq!(SeatPartition::SHARDS, 16);
/// assert_eq!(SeatPartition::all("e1").partition_values()?.len(), 16);
/// let third = SeatPartition::shard("e1", 3).partition_values()?;
/// assert_eq!(third, [dynamo_core::AttributeValue::S("EVENT#e1#03".into())]);
/// assert!(SeatPartition::shard("e1", 16).partition_values().is_err());
/// # Ok::<(), dynamo_core::MappingError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a partition of an entity",
    label = "expected the entity's partition type here",
    note = "an entity's derive generates its partition types: `{{Entity}}Partition` for the table, `{{Entity}}{{Index}}Partition` for an index"
)]
pub trait Partition: Sized {
    /// The entity whose items the partition holds.
    type Entity: Entity;
    /// What the sort key conditions of a query take: the sort template's generated struct
    /// (`SeatSortKey`), [`SortField<T>`] for a `#[sk]` field of type `T`, or [`NoSortKey`] when
    /// there is nothing to compare.
    type Sort;
    /// The table or index read, as a type ([`OnTable`], or [`OnIndex`] of the index's
    /// [`index_id`]): a [`Collection`] reads the partitions of one of them.
    type Index;
    /// The index read, `None` for the table.
    const INDEX: Option<&'static str>;
    /// Where the entity's items sit in the partition's sort key order.
    const SORT: SortScope;
    /// How many partition key values one logical partition is spread over: the `N` of a
    /// `{shard(field):N}` component, `1` without one.
    const SHARDS: u32 = 1;

    /// The partition key values to read: one, or one per shard.
    fn partition_values(self) -> Result<Vec<AttributeValue>, MappingError>;
}

/// A partition of `E`'s table or of one of its indexes: what [`Table::query`](crate::Table::query)
/// of a `Table<E>` takes. The derive implements it for each partition type it generates.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a partition of `{E}`",
    label = "expected a partition type of `{E}`",
    note = "query with a partition type `{E}`'s derive generates: `{E}Partition::new(..)` for the table, `{E}Gsi1Partition::new(..)` for index GSI1 (named after the index)"
)]
pub trait PartitionOf<E: Entity>: Partition<Entity = E> {}

/// Which shards of a sharded partition (`{shard(field):N}`) a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shards {
    /// Every shard: the whole logical partition.
    All,
    /// Shard `n` (below the template's `N`, checked when the query is sent).
    One(u32),
}

/// The partition key values of `shards` of `count`, each formatted by `format`.
#[doc(hidden)]
pub fn shard_values(
    shards: Shards,
    count: u32,
    of: &crate::keys::template::ComponentOf,
    format: impl Fn(u32) -> Result<String, MappingError>,
) -> Result<Vec<AttributeValue>, MappingError> {
    match shards {
        Shards::All => (0..count)
            .map(|n| format(n).map(AttributeValue::S))
            .collect(),
        Shards::One(n) if n < count => Ok(vec![AttributeValue::S(format(n)?)]),
        Shards::One(n) => Err(crate::keys::template::component_error(
            of,
            ValueError::new(
                format!("a shard below {count}"),
                itoa::Buffer::new().format(n).to_owned(),
            ),
        )),
    }
}

/// Which sort keys of a partition belong to an entity: a query of the entity's partition reads
/// only those.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortScope {
    /// Any: the sort key is a field, or a template that starts with a placeholder.
    Any,
    /// The sort keys starting with this text: the literal start of the sort template
    /// (`"SEAT#"` for `"SEAT#{section}#{seat_no}"`).
    Prefix(&'static str),
    /// Exactly this sort key: a template without placeholders (`"EVENT"`).
    Exact(&'static str),
    /// The table or index has no sort key.
    None,
}

/// A value a sort key condition takes for sort key type `S`: a value of the `#[sk]` field's
/// type, a generated sort key struct (`SeatSortKey::new("A", 12)`) or a prefix of one
/// (`SeatSortKey::section("A")`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value of this query's sort key `{S}`",
    label = "not a value of `{S}`",
    note = "a template sort key takes its generated struct (`SeatSortKey::new(..)`) or a prefix of it (`SeatSortKey::section(..)`); a `#[sk]` field (`SortField<T>`) takes a value of its type `T`",
    note = "`NoSortKey`: the table or index has no sort key, or the entity's sort template has no placeholder, so there is nothing to compare"
)]
pub trait SortArg<S> {
    /// The value or prefix, formatted.
    fn sort_bound(self) -> Result<SortBound, BoundError>;
}

/// A formatted sort key argument.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq)]
pub enum SortBound {
    /// A whole sort key value.
    Value(AttributeValue),
    /// The start of the sort keys of every item sharing the first components.
    Prefix(String),
}

/// A key value that could not be formatted.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq)]
pub enum BoundError {
    /// A template component (empty, holding a delimiter, too wide).
    Mapping(MappingError),
    /// A scalar value.
    Value(ValueError),
}

impl From<MappingError> for BoundError {
    fn from(e: MappingError) -> Self {
        BoundError::Mapping(e)
    }
}

impl From<ValueError> for BoundError {
    fn from(e: ValueError) -> Self {
        BoundError::Value(e)
    }
}

/// The sort key of a partition whose sort key is a `#[sk]` (or `#[gsi(.., sk)]`) field of type
/// `T`: conditions take values of `T`. A marker type, never built.
pub struct SortField<T: ?Sized>(PhantomData<fn() -> T>);

/// The sort key of a partition without sort key conditions: the table or index has no sort
/// key, or the entity's sort template has no placeholder (one sort key per partition). A marker
/// type, never built.
pub enum NoSortKey {}

impl<T: KeyScalar, V: ValueOf<T>> SortArg<SortField<T>> for V {
    fn sort_bound(self) -> Result<SortBound, BoundError> {
        let value = self
            .into_value()
            .into_attribute()?
            .ok_or_else(|| ValueError::new("a sort key value", "no attribute"))?;
        Ok(SortBound::Value(value))
    }
}

/// The first components of a template sort key: every item whose sort key starts with them.
/// Made by the generated struct (`SeatSortKey::section("A")`: the seats of section A).
pub struct SortPrefix<S> {
    text: Result<String, MappingError>,
    _sort: PhantomData<fn() -> S>,
}

impl<S> SortPrefix<S> {
    #[doc(hidden)]
    pub fn __new(text: Result<String, MappingError>) -> Self {
        SortPrefix {
            text,
            _sort: PhantomData,
        }
    }

    #[doc(hidden)]
    pub fn __bound(self) -> Result<SortBound, BoundError> {
        Ok(SortBound::Prefix(self.text?))
    }

    /// The prefix's text, e.g. `SEAT#A#`.
    pub fn text(&self) -> Result<&str, &MappingError> {
        self.text.as_deref()
    }
}

impl<S> fmt::Debug for SortPrefix<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SortPrefix").field(&self.text).finish()
    }
}

/// New values of the fields an index's key templates are made of, for an update: the update
/// writes them and rewrites the index keys, so the keys never disagree with the fields.
/// Generated per index with a template (`OutboxEventGsi1Keys`), holding the template's fields
/// that are not the table key's (those come from the updated item's key).
pub trait IndexKeys {
    /// The entity updated.
    type Entity: Entity;

    /// The attributes to set (`Some`) or remove (`None`): the fields, then the index keys.
    fn into_update(
        self,
        key: &<Self::Entity as Entity>::Key,
    ) -> Result<Vec<(&'static str, Option<AttributeValue>)>, MappingError>;
}

/// The table, as what a [`Partition`] reads ([`Partition::Index`]).
#[derive(Debug)]
pub enum OnTable {}

/// Index `ID` ([`index_id`] of its name), as what a [`Partition`] reads
/// ([`Partition::Index`]).
#[derive(Debug)]
pub enum OnIndex<const ID: u64> {}

/// An index's name as a number a type can carry ([`OnIndex`]): its 64-bit FNV-1a hash.
///
/// ```
/// use dynamo_core::keys::index_id;
///
/// assert_eq!(index_id("GSI1"), index_id("GSI1"));
/// assert_ne!(index_id("GSI1"), index_id("GSI2"));
/// ```
pub const fn index_id(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// An enum of entities that share a partition of the table or of one index, read by one
/// query: `#[derive(DynamoCollection)]`.
pub trait Collection: FromItem {
    /// The names of the member entities, as written in the table's entity attribute.
    const MEMBERS: &'static [&'static str];
    /// The index whose partitions the collection reads (`#[dynamo(index = ..)]`), `None` for
    /// the table.
    const INDEX: Option<&'static str>;
    /// The literal start of each member's sort keys on that table or index, in member order
    /// (`""` for a member without one): a query reads the range they span.
    const SORT_PREFIXES: &'static [&'static str];
    /// Whether a `#[dynamo(other)]` variant takes the partition's other items: the query then
    /// reads the whole partition.
    const TAKES_OTHERS: bool;
}

/// A collection that reads the partitions of `I`, the table ([`OnTable`]) or an index
/// ([`OnIndex`]): [`Query::collection`](crate::Query::collection) takes it only for a
/// partition of the same table or index.
#[diagnostic::on_unimplemented(
    message = "collection `{Self}` reads the partitions of another table or index than this query",
    label = "the partition queried is of another table or index than the collection's",
    note = "a collection reads the index its #[dynamo(index = ..)] names, or the table without it: query with its members' partition type of that table or index (`SeatPartition` for the table, `SeatGsi1Partition` for index GSI1), or name the index on the collection"
)]
pub trait CollectionOn<I>: Collection {}

/// A collection that has `E` among its members: [`Query::collection`](crate::Query::collection)
/// reads `E`'s partition as the collection.
#[diagnostic::on_unimplemented(
    message = "collection `{Self}` has no member `{E}`",
    label = "`{E}`'s partition is not read as this collection",
    note = "query the partition of one of the collection's entities, or add `{E}` to the enum"
)]
pub trait CollectionOf<E: Entity>: Collection {}
