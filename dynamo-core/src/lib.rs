//! Typed DynamoDB tables for Rust: entities whose key mapping is checked at compile time
//! against the table they live in.
//!
//! # The mistake this crate makes impossible
//!
//! A reservation API once went down with `Missing the key pk in the item`: its entity mapped
//! `reservation_id` to an attribute named after the field, while the table's partition key was
//! `pk`. Nothing caught it before a real request hit a real table. Here, the table is declared
//! once, and an entity that does not match it does not compile:
//!
//! ```compile_fail
//! use dynamo_core::{DynamoEntity, KeyDef, TableDef};
//!
//! const RESERVATIONS: TableDef = TableDef::new("ticket-reservation-reservations", KeyDef::string("pk"))
//!     .with_sort_key(KeyDef::string("sk"));
//!
//! #[derive(DynamoEntity)]
//! #[dynamo(table = RESERVATIONS)]
//! struct Reservation {
//!     #[pk]
//!     reservation_id: String,
//!     #[sk]
//!     event_id: String,
//! }
//! ```
//!
//! ```text
//! error[E0080]: evaluation panicked: entity `Reservation` maps its partition key (field
//!   `reservation_id`) to attribute "reservation_id", but table RESERVATIONS
//!   ("ticket-reservation-reservations") declares partition key "pk";
//!   add #[dynamo(rename = "pk")] to field `reservation_id`
//!   --> src/main.rs:10:5
//!    |
//! 10 |     reservation_id: String,
//!    |     ^^^^^^^^^^^^^^
//! ```
//!
//! The fix the message asks for:
//!
//! ```
//! use dynamo_core::{DynamoEntity, DynamoValue, Entity, KeyDef, TableDef, mapping::EntityKey};
//!
//! const RESERVATIONS: TableDef = TableDef::new("ticket-reservation-reservations", KeyDef::string("pk"))
//!     .with_sort_key(KeyDef::string("sk"));
//!
//! #[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
//! #[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
//! enum Status {
//!     Hold,
//!     Confirmed,
//! }
//!
//! #[derive(DynamoEntity, Debug, PartialEq)]
//! #[dynamo(table = RESERVATIONS)]
//! struct Reservation {
//!     #[pk]
//!     #[dynamo(rename = "pk")]
//!     reservation_id: String,
//!     #[sk]
//!     #[dynamo(rename = "sk")]
//!     event_id: String,
//!     status: Status,
//!     seat_ids: Vec<String>,
//! }
//!
//! let key = ReservationKey::new("rsv_abc123", "evt_2025_1001").into_key_item()?;
//! assert!(key.contains_key("pk") && key.contains_key("sk"));
//!
//! let item = Reservation {
//!     reservation_id: "rsv_abc123".into(),
//!     event_id: "evt_2025_1001".into(),
//!     status: Status::Hold,
//!     seat_ids: vec!["A-12".into()],
//! }
//! .into_item()?;
//! assert_eq!(item["status"].as_s().ok(), Some(&"HOLD".to_string()));
//! # Ok::<(), dynamo_core::MappingError>(())
//! ```
//!
//! The same `TableDef` is what schema assertions compare with the live table and with
//! CloudFormation templates, so one definition is checked at compile time, in tests and at
//! start-up.
//!
//! # Attributes
//!
//! On the struct (`#[dynamo(..)]`):
//!
//! | attribute | meaning |
//! |---|---|
//! | `table = CONST` | the `TableDef` the entity lives in; keys, indexes and TTL are checked against it |
//! | `table_name = ".."` | no declared definition: the entity's keys, `#[gsi]` and `#[ttl]` fields define the table |
//! | `pk = ".."`, `sk = ".."` | key templates: the table's keys composed from fields, `"EVENT#{event_id}"` |
//! | `gsi(NAME, pk = "..", sk = "..")` | key templates of an index; an `Option` field in one makes the index sparse |
//! | `entity = ".."` | the entity type written to the table's entity attribute (default: the struct's name) |
//! | `single_partition` | allows a partition template without placeholders (one partition for every item) |
//! | `rename_all = ".."` | attribute names from field names: `camelCase`, `snake_case`, `PascalCase`, `lowercase`, `UPPERCASE`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `SCREAMING-KEBAB-CASE` |
//! | `crate = path` | where `dynamo_core` is, when renamed |
//!
//! On fields:
//!
//! | attribute | meaning |
//! |---|---|
//! | `#[pk]` / `#[sk]` | partition / sort key; the type must be a [`KeyScalar`](keys::KeyScalar) |
//! | `#[gsi(NAME, pk)]` / `#[gsi(NAME, sk)]` | key of a secondary index (an `Option` makes a sparse index) |
//! | `#[ttl]` | TTL attribute, stored as epoch seconds (`i64`, `u64`, `OffsetDateTime`, or an `Option`) |
//! | `#[version]` | optimistic-locking counter (an integer) |
//! | `#[dynamo(created_at)]` / `#[dynamo(updated_at)]` | set by the writes: the creation time (puts, creating upserts), the last write's time (every write) |
//! | `#[dynamo(rename = "..")]` | the attribute name |
//! | `#[dynamo(skip)]` | not stored; `Default` (or `default = path`) on read |
//! | `#[dynamo(default)]`, `#[dynamo(default = path)]` | value when the attribute is absent |
//! | `#[dynamo(set)]` | a `Vec`/`VecDeque` stored as `SS`/`NS`/`BS` instead of `L` |
//! | `#[dynamo(json)]` | stored as `S` holding JSON (serde) |
//! | `#[dynamo(with = module)]` | `module::into_attribute(T)` and `module::from_attribute(AttributeValue)` |
//!
//! `docs/attributes.md` in the repository has an example for each.
//!
//! # Value types
//!
//! | Rust | DynamoDB |
//! |---|---|
//! | `String`, unit enums (`#[derive(DynamoValue)]`), `Uuid` (feature `uuid`) | `S` |
//! | integers (range-checked on read), `f32`/`f64` (finite only) | `N` |
//! | `bool` | `BOOL` |
//! | `Vec<u8>`, `bytes::Bytes` (feature `bytes`) | `B` |
//! | `Vec<T>`, `VecDeque<T>` | `L` |
//! | `HashSet<T>`, `BTreeSet<T>` of strings, numbers or bytes | `SS` / `NS` / `BS` (empty: no attribute) |
//! | `HashMap<String, T>`, `BTreeMap<String, T>`, structs (`#[derive(DynamoValue)]`) | `M` |
//! | `Option<T>` | no attribute when `None`; `NULL` accepted on read |
//! | `time::OffsetDateTime` | `S`, RFC 3339 in UTC with nine fraction digits (`2024-01-01T12:05:00.000000000Z`: fixed width, so string order is time order); any RFC 3339 form is read. `N` epoch seconds with `#[ttl]` |
//! | [`Json<T>`], `#[dynamo(json)]` | `S` holding JSON |
//! | `serde_json::Value` (feature `json`) | native `M`/`L`/`S`/`N`/`BOOL`/`NULL` |
//! | newtypes (`#[derive(DynamoValue)]`) | as the inner type |
//! | [`AttributeValue`] | as is |
//!
//! Reading never panics: a missing attribute, a wrong type, a number out of range, an invalid
//! date or an unknown enum value is a [`MappingError`] naming the entity, field, attribute,
//! what was expected and what was found.
//!
//! # Sort order
//!
//! DynamoDB orders sort keys, and compares values in `<`, `>` and `BETWEEN`, byte by byte for
//! strings and by value for numbers. Values written by this crate keep that order meaningful:
//! timestamps are written in one fixed-width form (nine fraction digits), so string order is
//! time order; integers are numbers (`N`). Inside composite string keys you write yourself,
//! pad numbers to a fixed width.
//!
//! # Single-table design
//!
//! Key templates compose key values from fields; the derive generates the entity's partition
//! type (what [`Table::query`] takes), its sort key type (whole or as a prefix) and, per index,
//! the same; [`DynamoCollection`] reads several entity types of one partition in one query:
//!
//! ```
//! use dynamo_core::{DynamoEntity, Entity, KeyDef, TableDef};
//!
//! const TICKET_EVENTS: TableDef = TableDef::new("ticket-ticket-events", KeyDef::string("pk"))
//!     .with_sort_key(KeyDef::string("sk"))
//!     .with_entity_attribute("entity");
//!
//! #[derive(DynamoEntity)]
//! #[dynamo(table = TICKET_EVENTS, pk = "EVENT#{event_id}", sk = "SEAT#{section}#{seat_no:4}")]
//! struct Seat {
//!     event_id: String,
//!     section: String,
//!     seat_no: u32,
//! }
//!
//! let item = Seat { event_id: "e1".into(), section: "A".into(), seat_no: 7 }.into_item()?;
//! assert_eq!(item["sk"].as_s().ok().map(String::as_str), Some("SEAT#A#0007"));
//! assert_eq!(item["entity"].as_s().ok().map(String::as_str), Some("Seat"));
//! // seats.query(SeatPartition::new("e1")).sk_begins_with(SeatSortKey::section("A"))
//! # Ok::<(), dynamo_core::MappingError>(())
//! ```
//!
//! `docs/single-table.md` in the repository has the model, every template rule and the
//! compile errors.
//!
//! # Failures that say why
//!
//! A conditional write that fails carries the item as it was and which clause of the typed
//! condition was false, with the value found ([`Error::condition_failure`],
//! [`CancellationReason::explanation`](table::CancellationReason::explanation)):
//!
//! ```text
//! UpdateItem on table forums: the condition failed: status = "OPEN" was false: found "CLOSED"
//! ```
//!
//! Updates require the item by default ([`ErrorKind::NotFound`]); [`Update::upsert`] creates it.
//!
//! # Features
//!
//! `json` (default: `#[dynamo(json)]`, `Json<T>`, `serde_json::Value`), `uuid`, `bytes`,
//! `cloudformation` and `terraform` (exports and drift checks), `streams` (DynamoDB Streams
//! records as typed changes), `testing` (the open emulator for tests, with injected faults), `sso`.
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod client;
pub mod def;
pub mod error;
pub mod expr;
pub mod keys;
pub mod mapping;
pub mod schema;
#[cfg(feature = "streams")]
pub mod streams;
pub mod table;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use aws_sdk_dynamodb::Client;
pub use aws_sdk_dynamodb::types::AttributeValue;
pub use client::client_from_env;
pub use def::{IndexDef, KeyDef, TableDef};
pub use dynamo_derive::{DynamoCollection, DynamoEntity, DynamoValue};
pub use error::{Error, ErrorKind};
pub use expr::Condition;
#[cfg(feature = "json")]
pub use mapping::Json;
pub use mapping::{DynamoValue, Entity, Item, MappingError};
pub use table::{
    ConditionCheck, Cursor, Delete, Get, Page, Put, Query, Scan, Table, TransactGet, TransactWrite,
    Update,
};
