//! The shape of a table, and the differences between a `TableDef` (with the entity that maps
//! it) and a table as it exists.

use super::rules::{self, Side, TableRef};
use crate::def::{IndexDef, IndexKind, KeyDef, Projection, TableDef};
use crate::def::{ScalarType, StreamView, Throughput};
use crate::mapping::entity::{EntitySchema, KeyRole};
use std::fmt;

/// A key attribute of an existing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Attribute name.
    pub name: String,
    /// Scalar type.
    pub scalar: ScalarType,
}

impl From<&KeyDef> for Key {
    fn from(k: &KeyDef) -> Self {
        Key {
            name: k.name.to_owned(),
            scalar: k.scalar,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\" ({})", self.name, self.scalar)
    }
}

/// The projection of an existing index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectionShape {
    /// All attributes.
    All,
    /// Keys only.
    KeysOnly,
    /// Keys and these attributes.
    Include(Vec<String>),
}

/// The throughput a table or global index declares, or reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapacityShape {
    /// Warm throughput: what it can serve at once.
    pub warm: Option<Throughput>,
    /// The on-demand maximum (`u64::MAX` for a side without one).
    pub max_on_demand: Option<Throughput>,
}

impl CapacityShape {
    /// What `self` (declared) asks of `actual` that it lacks: the warm throughput, when
    /// `actual`'s is below it in reads or writes; the on-demand maximum, when `actual`'s is
    /// another. What the schema checks report and what a migration sets.
    ///
    /// ```
    /// use dynamo_core::def::Throughput;
    /// use dynamo_core::schema::CapacityShape;
    /// let declared = CapacityShape {
    ///     warm: Some(Throughput::new(12_000, 40_000)),
    ///     max_on_demand: None,
    /// };
    /// let live = CapacityShape {
    ///     warm: Some(Throughput::new(12_000, 4_000)),
    ///     max_on_demand: Some(Throughput::new(50_000, 50_000)),
    /// };
    /// assert_eq!(declared.shortfall(&live), (declared.warm, None));
    /// assert_eq!(declared.shortfall(&declared), (None, None));
    /// ```
    pub fn shortfall(&self, actual: &CapacityShape) -> (Option<Throughput>, Option<Throughput>) {
        let warm = self.warm.filter(|warm| {
            !actual.warm.is_some_and(|a| {
                a.read_units >= warm.read_units && a.write_units >= warm.write_units
            })
        });
        let max = self
            .max_on_demand
            .filter(|max| actual.max_on_demand != Some(*max));
        (warm, max)
    }
}

/// A secondary index of an existing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexShape {
    /// Index name.
    pub name: String,
    /// Global or local.
    pub kind: IndexKind,
    /// Partition key.
    pub partition_key: Key,
    /// Sort key.
    pub sort_key: Option<Key>,
    /// Projected attributes.
    pub projection: ProjectionShape,
    /// Its throughput (global indexes).
    pub capacity: CapacityShape,
}

impl IndexShape {
    /// Whether `other` has the same kind, keys and projection (what a change in place cannot
    /// alter), whatever its throughput.
    pub fn same_layout(&self, other: &IndexShape) -> bool {
        self.name == other.name
            && self.kind == other.kind
            && self.partition_key == other.partition_key
            && self.sort_key == other.sort_key
            && self.projection == other.projection
    }
}

/// A table as it exists (DescribeTable, a CloudFormation template) or as a `TableDef` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableShape {
    /// Table name.
    pub name: String,
    /// Partition key.
    pub partition_key: Key,
    /// Sort key.
    pub sort_key: Option<Key>,
    /// Secondary indexes.
    pub indexes: Vec<IndexShape>,
    /// The TTL attribute, when TTL is enabled.
    pub ttl_attribute: Option<String>,
    /// `ACTIVE`, `CREATING`, ... (`None` for templates).
    pub status: Option<String>,
    /// The stream's view, when the table has a stream enabled.
    pub stream: Option<StreamView>,
    /// Its throughput.
    pub capacity: CapacityShape,
    /// Whether the source states throughput at all. A template does; DescribeTable does on
    /// DynamoDB, where every table reports its warm throughput, and not on DynamoDB Local,
    /// whose shapes are then not compared on throughput.
    pub reports_capacity: bool,
}

impl TableShape {
    /// The shape `def` declares, under `name`.
    pub fn from_def(def: &TableDef, name: &str) -> Self {
        TableShape {
            name: name.to_owned(),
            partition_key: (&def.partition_key).into(),
            sort_key: def.sort_key.as_ref().map(Key::from),
            indexes: def
                .indexes
                .iter()
                .map(|i| IndexShape {
                    name: i.name.to_owned(),
                    kind: i.kind,
                    partition_key: (&i.partition_key).into(),
                    sort_key: i.sort_key.as_ref().map(Key::from),
                    projection: match i.projection {
                        Projection::All => ProjectionShape::All,
                        Projection::KeysOnly => ProjectionShape::KeysOnly,
                        Projection::Include(a) => {
                            ProjectionShape::Include(a.iter().map(|s| (*s).to_owned()).collect())
                        }
                    },
                    capacity: CapacityShape::of_index(i),
                })
                .collect(),
            ttl_attribute: def.ttl_attribute.map(str::to_owned),
            status: None,
            stream: def.stream,
            capacity: CapacityShape {
                warm: def.warm_throughput,
                max_on_demand: def.max_on_demand,
            },
            reports_capacity: true,
        }
    }
}

impl CapacityShape {
    /// What `index` declares.
    pub fn of_index(index: &IndexDef) -> Self {
        CapacityShape {
            warm: index.warm_throughput,
            max_on_demand: index.max_on_demand,
        }
    }
}

/// One difference between the definition (and entity) and the table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mismatch {
    /// The table does not exist.
    TableMissing {
        /// Where it was looked for (region or endpoint, or the template path).
        location: String,
    },
    /// The table exists but is not `ACTIVE`.
    NotActive {
        /// Its status.
        status: String,
    },
    /// A key attribute has another name.
    KeyName {
        /// Partition or sort key.
        role: KeyRole,
        /// The attribute the definition (entity) uses.
        expected: String,
        /// The table's.
        found: String,
    },
    /// A key attribute has another type.
    KeyType {
        /// Partition or sort key.
        role: KeyRole,
        /// The attribute.
        attribute: String,
        /// The definition's type.
        expected: ScalarType,
        /// The table's.
        found: ScalarType,
    },
    /// The definition has a sort key, the table has none.
    SortKeyMissing {
        /// The definition's sort key.
        expected: Key,
    },
    /// The table has a sort key, the definition has none.
    SortKeyExtra {
        /// The table's sort key.
        found: Key,
    },
    /// The definition's index does not exist on the table.
    IndexMissing {
        /// Index name.
        index: String,
    },
    /// The index is global on one side and local on the other.
    IndexKind {
        /// Index name.
        index: String,
        /// The definition's kind.
        expected: IndexKind,
    },
    /// An index key differs (name, type, or present on one side only).
    IndexKey {
        /// Index name.
        index: String,
        /// Partition or sort key of the index.
        role: KeyRole,
        /// The definition's key.
        expected: Option<Key>,
        /// The table's key.
        found: Option<Key>,
    },
    /// The index does not project attributes the entity reads.
    ProjectionLacks {
        /// Index name.
        index: String,
        /// Attributes the entity maps that the index does not hold.
        missing: Vec<String>,
    },
    /// The definition expects TTL on an attribute; the table has TTL disabled.
    TtlDisabled {
        /// The definition's TTL attribute.
        expected: String,
    },
    /// TTL is enabled on another attribute.
    TtlAttribute {
        /// The definition's TTL attribute (`None`: the definition has no TTL).
        expected: Option<String>,
        /// The table's.
        found: String,
    },
    /// The definition declares a stream; the table has none, or one of another view.
    Stream {
        /// The declared view.
        expected: StreamView,
        /// The table's stream, if any.
        found: Option<StreamView>,
    },
    /// The table's (or a global index's) warm throughput is below the declared.
    WarmThroughput {
        /// The index, or `None` for the table.
        index: Option<String>,
        /// Declared.
        expected: Throughput,
        /// What it has (`None`: not stated).
        found: Option<Throughput>,
    },
    /// The table's (or a global index's) on-demand maximum is not the declared.
    OnDemandMaximum {
        /// The index, or `None` for the table.
        index: Option<String>,
        /// Declared.
        expected: Throughput,
        /// What it has (`None`: no maximum).
        found: Option<Throughput>,
    },
}

/// Every difference found for one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaMismatch {
    /// The table checked.
    pub table: String,
    /// The entity mapping it, when the check was for an entity.
    pub entity: Option<Box<EntitySchema>>,
    /// The differences.
    pub mismatches: Vec<Mismatch>,
}

impl SchemaMismatch {
    /// One line per difference, each with a fix.
    pub fn lines(&self) -> Vec<String> {
        self.mismatches
            .iter()
            .map(|m| describe(m, &self.table, self.entity.as_deref()))
            .collect()
    }
}

impl fmt::Display for SchemaMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.lines();
        match &self.entity {
            Some(e) => write!(
                f,
                "table \"{}\" does not match entity {}",
                self.table, e.name
            )?,
            None => write!(f, "table \"{}\" does not match its definition", self.table)?,
        }
        write!(
            f,
            " ({} difference{}):",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" }
        )?;
        for line in lines {
            write!(f, "\n  - {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SchemaMismatch {}

/// The entity field holding the table key of `role`, as the side a message speaks for.
fn key_side(entity: Option<&EntitySchema>, role: KeyRole) -> Side<'_> {
    // A template takes the definition's attribute: the fix is in the definition.
    let field = entity.and_then(|e| match role {
        KeyRole::Partition => Some(e.partition_key),
        KeyRole::Sort => e.sort_key,
    });
    let field = field.filter(|k| k.template.is_none()).map(|k| k.field);
    match (entity, field) {
        (Some(e), Some(field)) => Side::Field {
            entity: e.name,
            field,
        },
        _ => Side::Definition,
    }
}

/// The entity field holding key `role` of `index`.
fn index_side<'e>(entity: Option<&'e EntitySchema>, index: &str, role: KeyRole) -> Side<'e> {
    entity
        .and_then(|e| {
            let k = e
                .index_keys
                .iter()
                .find(|k| k.index == index && k.role == role && k.key.template.is_none())?;
            Some(Side::Field {
                entity: e.name,
                field: k.key.field,
            })
        })
        .unwrap_or(Side::Definition)
}

/// The message of one difference: the rule's, from [`rules`](super::rules).
fn describe(m: &Mismatch, table: &str, entity: Option<&EntitySchema>) -> String {
    let live = TableRef::Live { name: table };
    let msg = match m {
        Mismatch::TableMissing { location } => return rules::table_missing(table, location),
        Mismatch::NotActive { status } => return rules::table_not_active(table, status),
        Mismatch::KeyName {
            role,
            expected,
            found,
        } => rules::key_attribute_differs(
            key_side(entity, *role),
            *role,
            None,
            expected,
            live,
            found,
        ),
        Mismatch::KeyType {
            role,
            attribute,
            expected,
            found,
        } => rules::key_type_differs(
            key_side(entity, *role),
            *role,
            None,
            *expected,
            live,
            attribute,
            *found,
        ),
        Mismatch::SortKeyMissing { expected } => {
            rules::table_has_no_sort_key(key_side(entity, KeyRole::Sort), &expected.name, live)
        }
        Mismatch::SortKeyExtra { found } => {
            rules::entity_has_no_sort_key(entity.map(|e| e.name), live, &found.name)
        }
        Mismatch::IndexMissing { index } => rules::index_missing(index, live),
        Mismatch::IndexKind { index, expected } => {
            return rules::index_kind_differs(index, table, *expected == IndexKind::Global);
        }
        Mismatch::IndexKey {
            index,
            role,
            expected,
            found,
        } => {
            let side = index_side(entity, index, *role);
            match (expected, found) {
                (Some(e), Some(f)) if e.name != f.name => {
                    rules::key_attribute_differs(side, *role, Some(index), &e.name, live, &f.name)
                }
                (Some(e), Some(f)) => rules::key_type_differs(
                    side,
                    *role,
                    Some(index),
                    e.scalar,
                    live,
                    &e.name,
                    f.scalar,
                ),
                (Some(_), None) => rules::index_has_no_sort_key(side, index, live),
                (None, Some(f)) => rules::index_sort_key_undeclared(index, live, &f.name),
                (None, None) => return format!("index \"{index}\" of table \"{table}\" differs"),
            }
        }
        Mismatch::ProjectionLacks { index, missing } => {
            let who = entity.map_or("the definition", |e| e.name);
            return rules::index_projection_lacks(index, table, who, missing);
        }
        Mismatch::TtlDisabled { expected } => {
            rules::table_has_no_ttl(ttl_side(entity), expected, live)
        }
        Mismatch::TtlAttribute {
            expected: Some(expected),
            found,
        } => rules::ttl_attribute_differs(ttl_side(entity), expected, live, found),
        Mismatch::TtlAttribute {
            expected: None,
            found,
        } => rules::ttl_undeclared(live, found),
        Mismatch::Stream { expected, found } => {
            let has = match found {
                Some(view) => format!("a stream of {} records", view.as_str()),
                None => "no stream".to_owned(),
            };
            return format!(
                "table \"{table}\" has {has}, the definition declares one of {} records: enable it (UpdateTable StreamSpecification, or `migrate`; a stream's view changes only by disabling it first)",
                expected.as_str()
            );
        }
        Mismatch::WarmThroughput {
            index,
            expected,
            found,
        } => {
            let found = found.map_or_else(|| "none stated".to_owned(), units);
            return format!(
                "{} has warm throughput {found}, below the declared {}: raise it before the traffic comes (UpdateTable WarmThroughput, or `migrate`)",
                subject(table, index.as_deref()),
                units(*expected)
            );
        }
        Mismatch::OnDemandMaximum {
            index,
            expected,
            found,
        } => {
            let has = match found {
                Some(found) => format!("has on-demand maximum {}", units(*found)),
                None => "has no on-demand maximum".to_owned(),
            };
            return format!(
                "{} {has}, the definition declares {}: set it (UpdateTable OnDemandThroughput, or `migrate`)",
                subject(table, index.as_deref()),
                units(*expected)
            );
        }
    };
    msg.as_str().to_owned()
}

/// "table \"t\"" or "index \"i\" of table \"t\"".
fn subject(table: &str, index: Option<&str>) -> String {
    match index {
        Some(index) => format!("index \"{index}\" of table \"{table}\""),
        None => format!("table \"{table}\""),
    }
}

/// "1,000 reads and 500 writes a second".
fn units(t: Throughput) -> String {
    let side = |n: u64| {
        if n == u64::MAX {
            "unlimited".to_owned()
        } else {
            n.to_string()
        }
    };
    format!(
        "{} reads and {} writes a second",
        side(t.read_units),
        side(t.write_units)
    )
}

/// The throughput differences of the table (`index` `None`) or one of its global indexes.
fn compare_capacity(
    out: &mut Vec<Mismatch>,
    index: Option<&str>,
    expected: CapacityShape,
    actual: CapacityShape,
) {
    let (warm, max) = expected.shortfall(&actual);
    if let Some(warm) = warm {
        out.push(Mismatch::WarmThroughput {
            index: index.map(str::to_owned),
            expected: warm,
            found: actual.warm,
        });
    }
    if let Some(max) = max {
        out.push(Mismatch::OnDemandMaximum {
            index: index.map(str::to_owned),
            expected: max,
            found: actual.max_on_demand,
        });
    }
}

/// The entity's `#[ttl]` field.
fn ttl_side(entity: Option<&EntitySchema>) -> Side<'_> {
    entity
        .and_then(|e| {
            let attribute = e.ttl_attribute?;
            let field = e.attributes.iter().find(|a| a.attribute == attribute)?;
            Some(Side::Field {
                entity: e.name,
                field: field.field,
            })
        })
        .unwrap_or(Side::Definition)
}

/// Every difference between `expected` (with the entity mapping it, if any) and `actual`.
/// Billing, point-in-time recovery and encryption are not compared: they do not break reads
/// and writes. Declared capacity is: a stream the definition declares must exist with its
/// view; warm throughput must be at least the declared, and an on-demand maximum the
/// declared one (where `actual` states throughput: DynamoDB Local does not).
pub fn compare(
    expected: &TableDef,
    entity: Option<&EntitySchema>,
    actual: &TableShape,
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if let Some(status) = actual
        .status
        .as_deref()
        .filter(|s| *s != "ACTIVE" && *s != "UPDATING")
    {
        out.push(Mismatch::NotActive {
            status: status.to_owned(),
        });
    }
    compare_key(
        &mut out,
        KeyRole::Partition,
        &(&expected.partition_key).into(),
        &actual.partition_key,
    );
    match (&expected.sort_key, &actual.sort_key) {
        (Some(e), Some(a)) => compare_key(&mut out, KeyRole::Sort, &e.into(), a),
        (Some(e), None) => out.push(Mismatch::SortKeyMissing { expected: e.into() }),
        (None, Some(a)) => out.push(Mismatch::SortKeyExtra { found: a.clone() }),
        (None, None) => {}
    }
    for index in expected.indexes {
        let Some(live) = actual.indexes.iter().find(|i| i.name == index.name) else {
            out.push(Mismatch::IndexMissing {
                index: index.name.to_owned(),
            });
            continue;
        };
        if live.kind != index.kind {
            out.push(Mismatch::IndexKind {
                index: index.name.to_owned(),
                expected: index.kind,
            });
        }
        let keys = [
            (
                KeyRole::Partition,
                Some(Key::from(&index.partition_key)),
                Some(live.partition_key.clone()),
            ),
            (
                KeyRole::Sort,
                index.sort_key.as_ref().map(Key::from),
                live.sort_key.clone(),
            ),
        ];
        for (role, e, a) in keys {
            if e != a {
                out.push(Mismatch::IndexKey {
                    index: index.name.to_owned(),
                    role,
                    expected: e,
                    found: a,
                });
            }
        }
        if actual.reports_capacity && index.kind == IndexKind::Global {
            compare_capacity(
                &mut out,
                Some(index.name),
                CapacityShape::of_index(index),
                live.capacity,
            );
        }
        if let Some(entity) = entity {
            let missing = projection_lacks(expected, entity, live);
            if !missing.is_empty() {
                out.push(Mismatch::ProjectionLacks {
                    index: index.name.to_owned(),
                    missing,
                });
            }
        }
    }
    match (expected.ttl_attribute, &actual.ttl_attribute) {
        (Some(e), None) => out.push(Mismatch::TtlDisabled {
            expected: e.to_owned(),
        }),
        (Some(e), Some(a)) if e != a => out.push(Mismatch::TtlAttribute {
            expected: Some(e.to_owned()),
            found: a.clone(),
        }),
        (None, Some(a)) => out.push(Mismatch::TtlAttribute {
            expected: None,
            found: a.clone(),
        }),
        _ => {}
    }
    // A stream the definition does not declare is left alone: something else may read it.
    if let Some(view) = expected.stream
        && actual.stream != Some(view)
    {
        out.push(Mismatch::Stream {
            expected: view,
            found: actual.stream,
        });
    }
    if actual.reports_capacity {
        compare_capacity(
            &mut out,
            None,
            CapacityShape {
                warm: expected.warm_throughput,
                max_on_demand: expected.max_on_demand,
            },
            actual.capacity,
        );
    }
    out
}

fn compare_key(out: &mut Vec<Mismatch>, role: KeyRole, expected: &Key, actual: &Key) {
    if expected.name != actual.name {
        out.push(Mismatch::KeyName {
            role,
            expected: expected.name.clone(),
            found: actual.name.clone(),
        });
    } else if expected.scalar != actual.scalar {
        out.push(Mismatch::KeyType {
            role,
            attribute: expected.name.clone(),
            expected: expected.scalar,
            found: actual.scalar,
        });
    }
}

/// Attributes the entity reads that a live index with a partial projection does not hold.
fn projection_lacks(def: &TableDef, entity: &EntitySchema, live: &IndexShape) -> Vec<String> {
    let projected: Vec<&str> = match &live.projection {
        ProjectionShape::All => return Vec::new(),
        ProjectionShape::KeysOnly => Vec::new(),
        ProjectionShape::Include(attrs) => attrs.iter().map(String::as_str).collect(),
    };
    let keys: Vec<&str> = std::iter::once(def.partition_key.name)
        .chain(def.sort_key.map(|k| k.name))
        .chain([live.partition_key.name.as_str()])
        .chain(live.sort_key.as_ref().map(|k| k.name.as_str()))
        .collect();
    // The entity type is read too: reading checks it. So is the schema version: without it,
    // an item would read as version 1.
    let entity_type = entity.entity_type.and(def.entity_attribute);
    let version = entity.schema_version_attribute();
    entity
        .attributes
        .iter()
        .map(|a| a.attribute)
        .chain(entity_type)
        .chain(version)
        .filter(|a| !keys.contains(a) && !projected.contains(a))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::def::{IndexDef, KeyDef};
    use crate::mapping::entity::{FieldAttribute, KeyField};

    const ORDERS: TableDef = TableDef::new("orders", KeyDef::string("pk"))
        .with_sort_key(KeyDef::string("sk"))
        .with_indexes(&[IndexDef::global(
            "GSI1",
            KeyDef::string("gsi1pk"),
            Some(KeyDef::string("gsi1sk")),
        )]);

    fn lines(def: &TableDef, entity: Option<&EntitySchema>, actual: &TableShape) -> Vec<String> {
        SchemaMismatch {
            table: actual.name.clone(),
            entity: entity.map(|e| Box::new(*e)),
            mismatches: compare(def, entity, actual),
        }
        .lines()
    }

    #[test]
    fn declared_capacity_is_compared_where_the_table_states_it() {
        use crate::def::Throughput;
        const WARM: TableDef = TableDef::new("orders", KeyDef::string("pk"))
            .with_sort_key(KeyDef::string("sk"))
            .with_indexes(&[IndexDef::global(
                "GSI1",
                KeyDef::string("gsi1pk"),
                Some(KeyDef::string("gsi1sk")),
            )
            .with_warm_throughput(Throughput::new(3_000, 45_000))])
            .with_warm_throughput(Throughput::new(12_000, 60_000))
            .with_max_on_demand(Throughput::new(40_000, 80_000));
        let mut live = TableShape::from_def(&ORDERS, "orders");
        live.capacity.warm = Some(Throughput::new(12_000, 4_000));
        live.indexes[0].capacity.warm = Some(Throughput::new(12_000, 45_000));
        assert_eq!(
            lines(&WARM, None, &live),
            [
                "table \"orders\" has warm throughput 12000 reads and 4000 writes a second, below the declared 12000 reads and 60000 writes a second: raise it before the traffic comes (UpdateTable WarmThroughput, or `migrate`)",
                "table \"orders\" has no on-demand maximum, the definition declares 40000 reads and 80000 writes a second: set it (UpdateTable OnDemandThroughput, or `migrate`)",
            ]
        );
        // Warmer than declared, and the maximum declared: nothing to say.
        live.capacity.warm = Some(Throughput::new(20_000, 60_000));
        live.capacity.max_on_demand = Some(Throughput::new(40_000, 80_000));
        assert!(lines(&WARM, None, &live).is_empty());
        // An index colder than declared.
        live.indexes[0].capacity.warm = Some(Throughput::new(12_000, 4_000));
        assert_eq!(
            compare(&WARM, None, &live),
            [Mismatch::WarmThroughput {
                index: Some("GSI1".into()),
                expected: Throughput::new(3_000, 45_000),
                found: Some(Throughput::new(12_000, 4_000)),
            }]
        );
        // A table that states no throughput (DynamoDB Local) is not compared on it.
        live.reports_capacity = false;
        live.capacity = CapacityShape::default();
        assert!(compare(&WARM, None, &live).is_empty());
    }

    #[test]
    fn index_keys_and_kinds() {
        let mut live = TableShape::from_def(&ORDERS, "orders");
        live.indexes[0].sort_key = Some(Key {
            name: "gsi1sk".into(),
            scalar: ScalarType::N,
        });
        assert_eq!(
            lines(&ORDERS, None, &live),
            [
                "the definition declares index sort key \"gsi1sk\" as S, but index \"GSI1\" of table \"orders\" declares \"gsi1sk\" as N; declare it as N in the TableDef"
            ]
        );
        let mut live = TableShape::from_def(&ORDERS, "orders");
        live.indexes[0].sort_key = None;
        assert_eq!(
            lines(&ORDERS, None, &live),
            [
                "the definition declares a sort key on index \"GSI1\", but that index of table \"orders\" has no sort key; make the TableDef and the table agree"
            ]
        );
        let mut live = TableShape::from_def(&ORDERS, "orders");
        live.indexes[0].kind = IndexKind::Local;
        assert_eq!(
            lines(&ORDERS, None, &live),
            [
                "the definition declares index \"GSI1\" global, but on table \"orders\" it is local; make the TableDef and the table agree"
            ]
        );
        const NO_SK: TableDef = TableDef::new("orders", KeyDef::string("pk"))
            .with_sort_key(KeyDef::string("sk"))
            .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), None)]);
        let live = TableShape::from_def(&ORDERS, "orders");
        assert_eq!(
            lines(&NO_SK, None, &live),
            [
                "index \"GSI1\" of table \"orders\" has sort key \"gsi1sk\", but the definition declares none; make the TableDef and the table agree"
            ]
        );
    }

    #[test]
    fn ttl_the_definition_does_not_declare_and_tables_not_active() {
        let mut live = TableShape::from_def(&ORDERS, "orders");
        live.ttl_attribute = Some("expires_at".into());
        live.status = Some("CREATING".into());
        assert_eq!(
            lines(&ORDERS, None, &live),
            [
                "table \"orders\" is CREATING, not ACTIVE: wait for it, or check the console for a failed update",
                "table \"orders\" expires items by \"expires_at\", but the definition declares no TTL; add .with_ttl_attribute(\"expires_at\") and a #[ttl] field, or items may be deleted unexpectedly",
            ]
        );
    }

    /// The derive's constant check and the start-up check word a rule with the same function:
    /// only the reference to the table differs (a declared constant, or the live table).
    #[test]
    fn compile_time_and_start_up_messages_agree() {
        use super::super::rules::{self, Side, TableRef};
        let field = Side::Field {
            entity: "Order",
            field: "order_id",
        };
        let declared = TableRef::Declared {
            path: "ORDERS",
            name: "orders",
        };
        let live = TableRef::Live { name: "orders" };
        let pairs = [
            (
                rules::key_attribute_differs(
                    field,
                    KeyRole::Partition,
                    None,
                    "orderId",
                    declared,
                    "pk",
                ),
                rules::key_attribute_differs(
                    field,
                    KeyRole::Partition,
                    None,
                    "orderId",
                    live,
                    "pk",
                ),
            ),
            (
                rules::key_type_differs(
                    field,
                    KeyRole::Sort,
                    None,
                    ScalarType::N,
                    declared,
                    "sk",
                    ScalarType::S,
                ),
                rules::key_type_differs(
                    field,
                    KeyRole::Sort,
                    None,
                    ScalarType::N,
                    live,
                    "sk",
                    ScalarType::S,
                ),
            ),
            (
                rules::table_has_no_sort_key(field, "sk", declared),
                rules::table_has_no_sort_key(field, "sk", live),
            ),
            (
                rules::entity_has_no_sort_key(Some("Order"), declared, "sk"),
                rules::entity_has_no_sort_key(Some("Order"), live, "sk"),
            ),
            (
                rules::ttl_attribute_differs(field, "expires", declared, "ttl"),
                rules::ttl_attribute_differs(field, "expires", live, "ttl"),
            ),
        ];
        let normalize = |m: &str| {
            m.replace("table ORDERS (\"orders\")", "table \"orders\"")
                .replace(" declares ", " has ")
        };
        for (compiled, started) in pairs {
            assert_eq!(normalize(compiled.as_str()), normalize(started.as_str()));
        }

        // An entity's fields name the fix on both sides.
        let entity = EntitySchema {
            name: "Order",
            partition_key: KeyField {
                field: "order_id",
                attribute: "orderId",
                scalar: ScalarType::S,
                template: None,
            },
            sort_key: None,
            attributes: &[FieldAttribute {
                field: "order_id",
                attribute: "orderId",
                ty: "String",
            }],
            index_keys: &[],
            ttl_attribute: None,
            version_attribute: None,
            entity_type: None,
            lowercase_keys: false,
            created_at_attribute: None,
            updated_at_attribute: None,
            schema_version: None,
            upgrades_from: &[],
            version_of: None,
            unique: &[],
        };
        const DECLARED: TableDef = TableDef::new("orders", KeyDef::string("orderId"));
        let live = TableShape::from_def(&TableDef::new("orders", KeyDef::string("pk")), "orders");
        let started = lines(&DECLARED, Some(&entity), &live);
        let compiled = crate::__private::check_partition_key(
            &entity,
            &TableDef::new("orders", KeyDef::string("pk")),
            "ORDERS",
        )
        .expect("the key differs");
        let fix = |m: &str| m.rsplit("; ").next().unwrap_or_default().to_owned();
        assert_eq!(fix(&started[0]), fix(compiled.as_str()));
        assert_eq!(
            fix(&started[0]),
            "add #[dynamo(rename = \"pk\")] to field `order_id`"
        );
    }

    /// A template key takes the definition's attribute: a difference with the table is worded
    /// for the definition, and the entity type is among the attributes an index must project.
    #[test]
    fn template_keys_and_the_entity_attribute() {
        use crate::mapping::entity::KeyTemplate;
        const TEMPLATE: KeyTemplate = KeyTemplate {
            text: "SEAT#{section}",
            prefix: "SEAT#",
            shape: "SEAT#{}",
            components: &["section"],
        };
        const DEF: TableDef = ORDERS.with_entity_attribute("entity");
        let entity = EntitySchema {
            name: "Seat",
            partition_key: KeyField {
                field: "event_id",
                attribute: "pk",
                scalar: ScalarType::S,
                template: None,
            },
            sort_key: Some(KeyField {
                field: TEMPLATE.text,
                attribute: "sk",
                scalar: ScalarType::S,
                template: Some(TEMPLATE),
            }),
            attributes: &[FieldAttribute {
                field: "section",
                attribute: "section",
                ty: "String",
            }],
            index_keys: &[],
            ttl_attribute: None,
            version_attribute: None,
            entity_type: Some("Seat"),
            lowercase_keys: false,
            created_at_attribute: None,
            updated_at_attribute: None,
            schema_version: None,
            upgrades_from: &[],
            version_of: None,
            unique: &[],
        };
        let mut live = TableShape::from_def(&DEF, "orders");
        live.sort_key = Some(Key {
            name: "SK".into(),
            scalar: ScalarType::S,
        });
        let message = lines(&DEF, Some(&entity), &live).join("\n");
        assert!(
            message.contains("the definition declares sort key \"sk\"")
                && !message.contains("field `"),
            "{message}"
        );

        let mut live = TableShape::from_def(&DEF, "orders");
        live.indexes[0].projection = ProjectionShape::Include(vec!["section".into()]);
        assert_eq!(
            projection_lacks(&DEF, &entity, &live.indexes[0]),
            ["entity"],
            "reading checks the entity type"
        );
        let versioned = EntitySchema {
            schema_version: Some(2),
            ..entity
        };
        assert_eq!(
            projection_lacks(&DEF, &versioned, &live.indexes[0]),
            ["entity", "_v"],
            "reading dispatches on the schema version"
        );
    }
}
