//! Attribute names, in one place.

pub(crate) const DYNAMO: &str = "dynamo";
pub(crate) const PK: &str = "pk";
pub(crate) const SK: &str = "sk";
pub(crate) const GSI: &str = "gsi";
pub(crate) const TTL: &str = "ttl";
pub(crate) const VERSION: &str = "version";

pub(crate) const TABLE: &str = "table";
pub(crate) const TABLE_NAME: &str = "table_name";
pub(crate) const RENAME_ALL: &str = "rename_all";
pub(crate) const CRATE: &str = "crate";
pub(crate) const ENTITY: &str = "entity";
pub(crate) const SINGLE_PARTITION: &str = "single_partition";
pub(crate) const HOT_PARTITION_OK: &str = "hot_partition_ok";
pub(crate) const PREVIOUS: &str = "previous";
pub(crate) const OTHER: &str = "other";
pub(crate) const INDEX: &str = "index";
pub(crate) const ALIAS: &str = "alias";
pub(crate) const KEY_CASE: &str = "key_case";
pub(crate) const TAG: &str = "tag";
pub(crate) const CONTENT: &str = "content";
pub(crate) const UNIQUE: &str = "unique";
pub(crate) const TYPE_NAMES: &str = "type_names";
pub(crate) const SCHEMA_VERSION: &str = "schema_version";
pub(crate) const UPGRADE: &str = "upgrade";
pub(crate) const VERSION_OF: &str = "version_of";

pub(crate) const RENAME: &str = "rename";
pub(crate) const SKIP: &str = "skip";
pub(crate) const DEFAULT: &str = "default";
pub(crate) const SET: &str = "set";
pub(crate) const WITH: &str = "with";
pub(crate) const JSON: &str = "json";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const UPDATED_AT: &str = "updated_at";

/// The keys `#[dynamo(..)]` accepts on an entity.
pub(crate) const ENTITY_CONTAINER_KEYS: &[&str] = &[
    TABLE,
    TABLE_NAME,
    PK,
    SK,
    GSI,
    ENTITY,
    SINGLE_PARTITION,
    HOT_PARTITION_OK,
    PREVIOUS,
    KEY_CASE,
    UNIQUE,
    TYPE_NAMES,
    SCHEMA_VERSION,
    UPGRADE,
    VERSION_OF,
    RENAME_ALL,
    CRATE,
];
/// The keys `#[dynamo(..)]` accepts on a `DynamoValue` type.
pub(crate) const VALUE_CONTAINER_KEYS: &[&str] = &[RENAME_ALL, TAG, CONTENT, CRATE];
/// The keys `#[dynamo(..)]` accepts on a field.
pub(crate) const FIELD_KEYS: &[&str] = &[
    RENAME, SKIP, DEFAULT, SET, WITH, JSON, CREATED_AT, UPDATED_AT,
];
/// The keys `#[dynamo(..)]` accepts on an enum variant.
pub(crate) const VARIANT_KEYS: &[&str] = &[RENAME];
/// The keys `#[dynamo(..)]` accepts on a `DynamoCollection` enum.
pub(crate) const COLLECTION_KEYS: &[&str] = &[INDEX, CRATE];
/// The keys `#[dynamo(..)]` accepts on a variant of a `DynamoCollection` enum.
pub(crate) const MEMBER_KEYS: &[&str] = &[OTHER];
/// Marker attributes written on their own (`#[pk]`), not inside `#[dynamo(..)]`.
pub(crate) const MARKERS: &[&str] = &[PK, SK, GSI, TTL, VERSION];

/// The attribute a versioned entity's items hold their schema version in: the value of
/// `dynamo_core::mapping::SCHEMA_VERSION_ATTRIBUTE` (the generated code names that constant; the
/// derive needs the text to refuse a field of the same name).
pub(crate) const SCHEMA_VERSION_ATTRIBUTE: &str = "_v";
