//! Table definitions: one `const` per table, shared by the entities, the schema checks and the
//! infrastructure export. Definitions are plain data below everything else: entities are
//! checked against them, tables are operated on with them.

use std::fmt;

/// The three scalar types a key attribute can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl ScalarType {
    /// The type's name as DynamoDB writes it: `"S"`, `"N"` or `"B"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    /// Parses `"S"`, `"N"` or `"B"`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    pub(crate) const fn eq(self, other: ScalarType) -> bool {
        self as u8 == other as u8
    }

    /// Rust types that are stored with this scalar type, for error messages.
    pub(crate) const fn rust_types(self) -> &'static str {
        match self {
            ScalarType::S => {
                "a string type (String, Uuid, OffsetDateTime, or a #[derive(DynamoValue)] unit enum or String newtype)"
            }
            ScalarType::N => {
                "an integer type (i64, u64, u32, ... or a #[derive(DynamoValue)] newtype of one)"
            }
            ScalarType::B => "a binary type (Vec<u8> or bytes::Bytes)",
        }
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key attribute: its name and scalar type.
///
/// ```
/// use dynamo_core::{KeyDef, def::ScalarType};
/// const PK: KeyDef = KeyDef::string("pk");
/// assert_eq!(PK.scalar, ScalarType::S);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyDef {
    /// The attribute name.
    pub name: &'static str,
    /// Its scalar type.
    pub scalar: ScalarType,
}

impl KeyDef {
    /// A key attribute of the given type.
    pub const fn new(name: &'static str, scalar: ScalarType) -> Self {
        KeyDef { name, scalar }
    }

    /// A string (`S`) key attribute.
    pub const fn string(name: &'static str) -> Self {
        Self::new(name, ScalarType::S)
    }

    /// A number (`N`) key attribute.
    pub const fn number(name: &'static str) -> Self {
        Self::new(name, ScalarType::N)
    }

    /// A binary (`B`) key attribute.
    pub const fn binary(name: &'static str) -> Self {
        Self::new(name, ScalarType::B)
    }
}

/// Global or local secondary index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexKind {
    /// A global secondary index (GSI): its own partition key.
    Global,
    /// A local secondary index (LSI): the table's partition key, another sort key.
    Local,
}

/// Which attributes an index holds besides the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Projection {
    /// Every attribute.
    All,
    /// The table's and the index's keys only.
    KeysOnly,
    /// The keys and these attributes.
    Include(&'static [&'static str]),
}

/// A secondary index.
///
/// ```
/// use dynamo_core::{IndexDef, KeyDef, def::Projection};
/// const BY_USER: IndexDef = IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))
///     .with_projection(Projection::KeysOnly);
/// assert_eq!(BY_USER.name, "GSI1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IndexDef {
    /// The index name.
    pub name: &'static str,
    /// Global or local.
    pub kind: IndexKind,
    /// The index's partition key (for a local index, the table's).
    pub partition_key: KeyDef,
    /// The index's sort key.
    pub sort_key: Option<KeyDef>,
    /// The projected attributes.
    pub projection: Projection,
    /// Warm throughput: what the index serves at once, without scaling (global indexes).
    pub warm_throughput: Option<Throughput>,
    /// On demand: the most it may serve (global indexes of on-demand tables).
    pub max_on_demand: Option<Throughput>,
}

impl IndexDef {
    /// A global secondary index projecting all attributes.
    pub const fn global(
        name: &'static str,
        partition_key: KeyDef,
        sort_key: Option<KeyDef>,
    ) -> Self {
        IndexDef {
            name,
            kind: IndexKind::Global,
            partition_key,
            sort_key,
            projection: Projection::All,
            warm_throughput: None,
            max_on_demand: None,
        }
    }

    /// A local secondary index projecting all attributes: `table_partition_key` must be the
    /// table's partition key.
    pub const fn local(name: &'static str, table_partition_key: KeyDef, sort_key: KeyDef) -> Self {
        IndexDef {
            name,
            kind: IndexKind::Local,
            partition_key: table_partition_key,
            sort_key: Some(sort_key),
            projection: Projection::All,
            warm_throughput: None,
            max_on_demand: None,
        }
    }

    /// The same index with another projection.
    pub const fn with_projection(self, projection: Projection) -> Self {
        IndexDef { projection, ..self }
    }

    /// The same index, warm for `throughput`: DynamoDB keeps it ready to serve that much at
    /// once (pre-warming before an on-sale, instead of scaling during it).
    pub const fn with_warm_throughput(self, throughput: Throughput) -> Self {
        IndexDef {
            warm_throughput: Some(throughput),
            ..self
        }
    }

    /// The same index, on demand up to `throughput` (a cost ceiling: more is throttled).
    pub const fn with_max_on_demand(self, throughput: Throughput) -> Self {
        IndexDef {
            max_on_demand: Some(throughput),
            ..self
        }
    }
}

/// Read and write units per second: a table's or index's warm throughput, or its on-demand
/// maximum.
///
/// ```
/// use dynamo_core::{KeyDef, TableDef, def::Throughput};
/// const SEATS: TableDef = TableDef::new("seats", KeyDef::string("pk"))
///     .with_warm_throughput(Throughput::new(12_000, 40_000));
/// assert_eq!(SEATS.warm_throughput.map(|t| t.write_units), Some(40_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Throughput {
    /// Read units per second.
    pub read_units: u64,
    /// Write units per second.
    pub write_units: u64,
}

impl Throughput {
    /// `read_units` and `write_units` per second.
    pub const fn new(read_units: u64, write_units: u64) -> Self {
        Throughput {
            read_units,
            write_units,
        }
    }
}

/// What a table's stream records carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamView {
    /// The changed item's key.
    KeysOnly,
    /// The item after the change.
    NewImage,
    /// The item before the change.
    OldImage,
    /// Both.
    NewAndOldImages,
}

impl StreamView {
    /// DynamoDB's name, e.g. `NEW_AND_OLD_IMAGES`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StreamView::KeysOnly => "KEYS_ONLY",
            StreamView::NewImage => "NEW_IMAGE",
            StreamView::OldImage => "OLD_IMAGE",
            StreamView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }
}

/// How the table is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillingMode {
    /// On demand (`PAY_PER_REQUEST`).
    PayPerRequest,
    /// Provisioned capacity, applied to the table and each global index.
    Provisioned {
        /// Read capacity units.
        read: u64,
        /// Write capacity units.
        write: u64,
    },
}

/// A table: name, keys, indexes, TTL attribute and settings.
///
/// Declared once as a `const` and shared: entities are checked against it at compile time
/// (`#[dynamo(table = CONST)]`), schema assertions compare it with the live table and with
/// CloudFormation templates.
///
/// ```
/// use dynamo_core::{IndexDef, KeyDef, TableDef};
///
/// pub const RESERVATIONS: TableDef = TableDef::new("ticket-reservation-reservations", KeyDef::string("pk"))
///     .with_sort_key(KeyDef::string("sk"))
///     .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);
///
/// assert_eq!(RESERVATIONS.partition_key.name, "pk");
/// assert!(RESERVATIONS.index("GSI1").is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TableDef {
    /// The table name (without any per-environment prefix).
    pub name: &'static str,
    /// The partition (hash) key.
    pub partition_key: KeyDef,
    /// The sort (range) key.
    pub sort_key: Option<KeyDef>,
    /// Global and local secondary indexes.
    pub indexes: &'static [IndexDef],
    /// The TTL attribute (epoch seconds), when TTL is enabled.
    pub ttl_attribute: Option<&'static str>,
    /// The attribute every entity of this table writes its type into (single-table design):
    /// reads check it, collections dispatch on it.
    pub entity_attribute: Option<&'static str>,
    /// Billing mode; on demand by default.
    pub billing_mode: BillingMode,
    /// Point-in-time recovery; on by default.
    pub point_in_time_recovery: bool,
    /// Server-side encryption with an AWS managed key; on by default.
    pub server_side_encryption: bool,
    /// Deletion protection; off by default.
    pub deletion_protection: bool,
    /// Warm throughput: what the table serves at once, without scaling.
    pub warm_throughput: Option<Throughput>,
    /// On demand: the most the table may serve (a cost ceiling: more is throttled).
    pub max_on_demand: Option<Throughput>,
    /// The table's stream, when it has one.
    pub stream: Option<StreamView>,
}

impl TableDef {
    /// A table with a partition key only, on demand, with point-in-time recovery and
    /// server-side encryption.
    pub const fn new(name: &'static str, partition_key: KeyDef) -> Self {
        TableDef {
            name,
            partition_key,
            sort_key: None,
            indexes: &[],
            ttl_attribute: None,
            entity_attribute: None,
            billing_mode: BillingMode::PayPerRequest,
            point_in_time_recovery: true,
            server_side_encryption: true,
            deletion_protection: false,
            warm_throughput: None,
            max_on_demand: None,
            stream: None,
        }
    }

    /// The same table under another name, e.g. for an environment whose tables are named
    /// differently (`TableDef` names are `'static`: build it once, at start-up).
    ///
    /// ```
    /// use dynamo_core::{KeyDef, TableDef};
    /// const ORDERS: TableDef = TableDef::new("orders", KeyDef::string("pk"));
    /// assert_eq!(ORDERS.with_name("staging-orders").name, "staging-orders");
    /// ```
    pub const fn with_name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// Adds a sort key.
    pub const fn with_sort_key(self, sort_key: KeyDef) -> Self {
        TableDef {
            sort_key: Some(sort_key),
            ..self
        }
    }

    /// Sets the secondary indexes.
    pub const fn with_indexes(self, indexes: &'static [IndexDef]) -> Self {
        TableDef { indexes, ..self }
    }

    /// Enables TTL on an attribute holding epoch seconds.
    pub const fn with_ttl_attribute(self, attribute: &'static str) -> Self {
        TableDef {
            ttl_attribute: Some(attribute),
            ..self
        }
    }

    /// Several entity types share this table: each writes its type (`#[dynamo(entity =
    /// "..")]`, by default its name) into `attribute`, and reading an item checks it.
    ///
    /// ```
    /// use dynamo_core::{KeyDef, TableDef};
    /// const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    ///     .with_sort_key(KeyDef::string("sk"))
    ///     .with_entity_attribute("entity");
    /// assert_eq!(TICKETING.entity_attribute, Some("entity"));
    /// ```
    pub const fn with_entity_attribute(self, attribute: &'static str) -> Self {
        TableDef {
            entity_attribute: Some(attribute),
            ..self
        }
    }

    /// Sets the billing mode.
    pub const fn with_billing_mode(self, billing_mode: BillingMode) -> Self {
        TableDef {
            billing_mode,
            ..self
        }
    }

    /// Turns point-in-time recovery on or off.
    pub const fn with_point_in_time_recovery(self, enabled: bool) -> Self {
        TableDef {
            point_in_time_recovery: enabled,
            ..self
        }
    }

    /// Turns server-side encryption with an AWS managed key on or off.
    pub const fn with_server_side_encryption(self, enabled: bool) -> Self {
        TableDef {
            server_side_encryption: enabled,
            ..self
        }
    }

    /// Turns deletion protection on or off.
    pub const fn with_deletion_protection(self, enabled: bool) -> Self {
        TableDef {
            deletion_protection: enabled,
            ..self
        }
    }

    /// The same table, warm for `throughput`: DynamoDB keeps it ready to serve that much at
    /// once (pre-warming before an on-sale, instead of scaling during it). The exports write
    /// it (`WarmThroughput`); DynamoDB's per-table quota (40,000 units a second by default)
    /// bounds it.
    pub const fn with_warm_throughput(mut self, throughput: Throughput) -> Self {
        self.warm_throughput = Some(throughput);
        self
    }

    /// The same table, on demand up to `throughput` (`OnDemandThroughput`: a cost ceiling;
    /// more is throttled).
    pub const fn with_max_on_demand(mut self, throughput: Throughput) -> Self {
        self.max_on_demand = Some(throughput);
        self
    }

    /// The same table with a stream of `view` records.
    pub const fn with_stream(mut self, view: StreamView) -> Self {
        self.stream = Some(view);
        self
    }

    /// The index with this name.
    pub const fn index(&self, name: &str) -> Option<&IndexDef> {
        let mut i = 0;
        while i < self.indexes.len() {
            if str_eq(self.indexes[i].name, name) {
                return Some(&self.indexes[i]);
            }
            i += 1;
        }
        None
    }

    /// The key attributes of the table and its indexes, each once, in declaration order:
    /// the attributes CreateTable and CloudFormation declare in `AttributeDefinitions`.
    pub fn key_attributes(&self) -> Vec<KeyDef> {
        let mut out: Vec<KeyDef> = Vec::new();
        let keys = std::iter::once(self.partition_key)
            .chain(self.sort_key)
            .chain(
                self.indexes
                    .iter()
                    .flat_map(|i| std::iter::once(i.partition_key).chain(i.sort_key)),
            );
        for key in keys {
            if !out.iter().any(|k| k.name == key.name) {
                out.push(key);
            }
        }
        out
    }
}

/// String equality in constant evaluation.
pub(crate) const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
