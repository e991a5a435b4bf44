//! dynamo-core's integration tests, in one binary so that the emulator starts once for all of
//! them (`testing::Emulator` runs one per test binary). Each module needs the features it
//! tests; `cargo test --all-features` runs them all.

#[cfg(feature = "testing")]
mod collections;
#[cfg(feature = "testing")]
mod concurrent;
#[cfg(feature = "testing")]
mod faults;
#[cfg(feature = "testing")]
mod index_keys;
#[cfg(feature = "testing")]
mod item_size;
mod mapping;
#[cfg(feature = "testing")]
mod meter;
mod module_tables;
#[cfg(feature = "testing")]
mod operations;
#[cfg(feature = "testing")]
mod queries;
#[cfg(feature = "testing")]
mod rekey;
#[cfg(feature = "testing")]
mod schema_live;
#[cfg(all(feature = "cloudformation", feature = "terraform"))]
mod schema_templates;
#[cfg(feature = "testing")]
mod sharding;
#[cfg(feature = "testing")]
mod single_table;
#[cfg(feature = "testing")]
mod spans;
#[cfg(feature = "streams")]
mod streams;
#[cfg(feature = "testing")]
mod tagged;
#[cfg(feature = "testing")]
mod time_prefixes;
#[cfg(feature = "testing")]
mod timestamps;
#[cfg(feature = "testing")]
mod unique;
#[cfg(feature = "testing")]
mod versions;
