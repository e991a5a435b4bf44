//! Key values: the scalar types a key can have ([`KeyScalar`]), the components of key templates
//! ([`KeyComponent`]), write shards ([`Shard`], [`shard_of`]), and the typed partitions and sort keys of queries ([`Partition`],
//! [`SortArg`], [`SortPrefix`], [`TimePrefix`]), the index keys an update rewrites ([`IndexKeys`]) and the
//! collections read from one partition ([`Collection`]).
//!
//! The derives generate the implementations (`SeatPartition`, `SeatSortKey`,
//! `SeatGsi1Keys`, ...); these traits are what their signatures and error messages name.

pub(crate) mod partition;
pub(crate) mod scalar;
pub(crate) mod shard;
pub(crate) mod template;
pub(crate) mod time;

pub use partition::{
    Collection, CollectionOf, CollectionOn, IndexKeys, NoSortKey, OnIndex, OnTable, Partition,
    PartitionOf, Shards, SortArg, SortField, SortPrefix, SortScope, index_id,
};
pub use scalar::{IndexKeyScalar, KeyScalar, UniqueValue};
pub use shard::{Shard, ShardOutOfRange, shard_of, shard_width};
pub use template::KeyComponent;
pub use time::TimePrefix;
