//! Checking live tables: DescribeTable and DescribeTimeToLive compared with the definitions.

use super::compare::{
    CapacityShape, IndexShape, Key, Mismatch, ProjectionShape, SchemaMismatch, TableShape, compare,
};
use super::create::create_table;
use crate::def::{IndexKind, TableDef};
use crate::def::{ScalarType, StreamView, Throughput};
use crate::error::{Error, ErrorKind, Operation};
use crate::mapping::entity::{Entity, EntitySchema};
use crate::table::Table;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, KeySchemaElement, KeyType, OnDemandThroughput, Projection, ProjectionType,
    StreamViewType, TableDescription, TimeToLiveStatus,
};
use std::fmt;

/// A schema check could not pass.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The table differs from the definition.
    #[error(transparent)]
    Mismatch(#[from] SchemaMismatch),
    /// The credentials may not describe the table.
    #[error(
        "access denied to {action} on table \"{table}\": the role needs dynamodb:DescribeTable and dynamodb:DescribeTimeToLive on it (arn:aws:dynamodb:REGION:ACCOUNT:table/{table})"
    )]
    AccessDenied {
        /// The table.
        table: String,
        /// The action refused.
        action: &'static str,
        /// The SDK error.
        #[source]
        source: Error,
    },
    /// The request failed (unreachable, timeout, ...).
    #[error(transparent)]
    Request(#[from] Error),
}

impl SchemaError {
    /// The table checked.
    pub fn table(&self) -> &str {
        match self {
            SchemaError::Mismatch(m) => &m.table,
            SchemaError::AccessDenied { table, .. } => table,
            SchemaError::Request(e) => e.table().unwrap_or_default(),
        }
    }
}

/// The failures of [`assert_schemas`], one per table that did not pass.
#[derive(Debug)]
pub struct SchemaReport {
    /// The failures.
    pub failures: Vec<SchemaError>,
}

impl fmt::Display for SchemaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} table{} failed the schema check",
            self.failures.len(),
            if self.failures.len() == 1 { "" } else { "s" }
        )?;
        for failure in &self.failures {
            write!(f, "\n{failure}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SchemaReport {}

/// A table to check: its name, definition and the entity that maps it.
#[derive(Debug, Clone)]
pub struct SchemaTarget {
    /// The table name (with any prefix).
    pub name: String,
    /// The definition.
    pub def: TableDef,
    /// The entity, for messages that name its fields.
    pub entity: Option<EntitySchema>,
}

impl SchemaTarget {
    /// The target of a table handle.
    pub fn of<E: Entity>(table: &Table<E>) -> Self {
        SchemaTarget {
            name: table.name().to_owned(),
            def: E::TABLE,
            entity: Some(E::SCHEMA),
        }
    }

    /// A table without an entity.
    pub fn def(def: TableDef, name: impl Into<String>) -> Self {
        SchemaTarget {
            name: name.into(),
            def,
            entity: None,
        }
    }

    /// Describes the table and compares.
    pub async fn check(&self, client: &Client) -> Result<(), SchemaError> {
        let shape = match describe(client, &self.name).await {
            Ok(shape) => shape,
            Err(SchemaError::Request(e)) if e.kind() == ErrorKind::TableNotFound => {
                let location = location(client);
                return Err(SchemaMismatch {
                    table: self.name.clone(),
                    entity: self.entity.map(Box::new),
                    mismatches: vec![Mismatch::TableMissing { location }],
                }
                .into());
            }
            Err(e) => return Err(e),
        };
        let mismatches = compare(&self.def, self.entity.as_ref(), &shape);
        if mismatches.is_empty() {
            Ok(())
        } else {
            Err(SchemaMismatch {
                table: self.name.clone(),
                entity: self.entity.map(Box::new),
                mismatches,
            }
            .into())
        }
    }
}

fn location(client: &Client) -> String {
    let region = client
        .config()
        .region()
        .map_or("no region", |r| r.as_ref())
        .to_owned();
    match std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
    {
        Some(endpoint) => format!("region {region}, endpoint {endpoint}"),
        None => format!("region {region}"),
    }
}

impl<E: Entity> Table<E> {
    /// Checks the live table against `E`'s definition and field mapping: every difference is
    /// in the [`SchemaMismatch`], each with a fix.
    pub async fn assert_schema(&self) -> Result<(), SchemaError> {
        SchemaTarget::of(self).check(self.client()).await
    }
}

/// Checks many tables concurrently and reports every failure together.
pub async fn assert_schemas(
    client: &Client,
    targets: impl IntoIterator<Item = SchemaTarget>,
) -> Result<(), SchemaReport> {
    let targets: Vec<SchemaTarget> = targets.into_iter().collect();
    let results = futures_util::future::join_all(targets.iter().map(|t| t.check(client))).await;
    let failures: Vec<SchemaError> = results.into_iter().filter_map(Result::err).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(SchemaReport { failures })
    }
}

fn denied_or(table: &str, action: &'static str, code: Option<&str>, err: Error) -> SchemaError {
    match code {
        Some("AccessDeniedException" | "UnrecognizedClientException") => {
            SchemaError::AccessDenied {
                table: table.to_owned(),
                action,
                source: err,
            }
        }
        _ => SchemaError::Request(err),
    }
}

/// The shape of a live table (DescribeTable and DescribeTimeToLive).
pub async fn describe(client: &Client, name: &str) -> Result<TableShape, SchemaError> {
    let op = Operation::DescribeTable;
    let output = match client.describe_table().table_name(name).send().await {
        Ok(o) => o,
        Err(e) => {
            let code = e.code().map(str::to_owned);
            return Err(denied_or(
                name,
                "dynamodb:DescribeTable",
                code.as_deref(),
                Error::from_sdk(name, op, e),
            ));
        }
    };
    let table = output
        .table
        .ok_or_else(|| Error::validation(name, op, "DescribeTable returned no table"))?;
    let mut shape = shape_of(name, &table).map_err(|m| Error::validation(name, op, m))?;
    let op = Operation::DescribeTimeToLive;
    let ttl = match client.describe_time_to_live().table_name(name).send().await {
        Ok(o) => o,
        Err(e) => {
            let code = e.code().map(str::to_owned);
            return Err(denied_or(
                name,
                "dynamodb:DescribeTimeToLive",
                code.as_deref(),
                Error::from_sdk(name, op, e),
            ));
        }
    };
    shape.ttl_attribute = ttl
        .time_to_live_description
        .and_then(|d| match d.time_to_live_status {
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling) => d.attribute_name,
            _ => None,
        });
    Ok(shape)
}

fn shape_of(name: &str, t: &TableDescription) -> Result<TableShape, String> {
    let types = t.attribute_definitions();
    let (partition_key, sort_key) = keys(t.key_schema(), types)?;
    let mut indexes = Vec::new();
    for i in t.global_secondary_indexes() {
        let (pk, sk) = keys(i.key_schema(), types)?;
        indexes.push(IndexShape {
            name: i.index_name().unwrap_or_default().to_owned(),
            kind: IndexKind::Global,
            partition_key: pk,
            sort_key: sk,
            projection: projection(i.projection()),
            capacity: CapacityShape {
                warm: i.warm_throughput().and_then(|w| {
                    throughput(w.read_units_per_second(), w.write_units_per_second())
                }),
                max_on_demand: i.on_demand_throughput().and_then(max_on_demand),
            },
        });
    }
    for i in t.local_secondary_indexes() {
        let (pk, sk) = keys(i.key_schema(), types)?;
        indexes.push(IndexShape {
            name: i.index_name().unwrap_or_default().to_owned(),
            kind: IndexKind::Local,
            partition_key: pk,
            sort_key: sk,
            projection: projection(i.projection()),
            capacity: CapacityShape::default(),
        });
    }
    let warm = t
        .warm_throughput()
        .and_then(|w| throughput(w.read_units_per_second(), w.write_units_per_second()));
    Ok(TableShape {
        name: name.to_owned(),
        partition_key,
        sort_key,
        indexes,
        ttl_attribute: None,
        status: t.table_status().map(|s| s.as_str().to_owned()),
        stream: t
            .stream_specification()
            .filter(|s| s.stream_enabled())
            .and_then(|s| s.stream_view_type())
            .and_then(stream_view),
        // DynamoDB reports every table's warm throughput; DynamoDB Local none.
        reports_capacity: warm.is_some(),
        capacity: CapacityShape {
            warm,
            max_on_demand: t.on_demand_throughput().and_then(max_on_demand),
        },
    })
}

/// Reads and writes per second as DynamoDB states them; `None` unless both are stated.
fn throughput(read: Option<i64>, write: Option<i64>) -> Option<Throughput> {
    let units = |n: i64| u64::try_from(n).unwrap_or(u64::MAX);
    Some(Throughput::new(units(read?), units(write?)))
}

/// An on-demand maximum; `-1` (no maximum) on a side is `u64::MAX`, and no maximum on either
/// side is `None`.
fn max_on_demand(t: &OnDemandThroughput) -> Option<Throughput> {
    let max = throughput(
        t.max_read_request_units().or(Some(-1)),
        t.max_write_request_units().or(Some(-1)),
    )?;
    (max != Throughput::new(u64::MAX, u64::MAX)).then_some(max)
}

fn stream_view(view: &StreamViewType) -> Option<StreamView> {
    Some(match view {
        StreamViewType::KeysOnly => StreamView::KeysOnly,
        StreamViewType::NewImage => StreamView::NewImage,
        StreamViewType::OldImage => StreamView::OldImage,
        StreamViewType::NewAndOldImages => StreamView::NewAndOldImages,
        _ => return None,
    })
}

fn keys(
    schema: &[KeySchemaElement],
    types: &[AttributeDefinition],
) -> Result<(Key, Option<Key>), String> {
    let key = |kind: KeyType| -> Result<Option<Key>, String> {
        let Some(element) = schema.iter().find(|e| e.key_type == kind) else {
            return Ok(None);
        };
        let name = element.attribute_name.clone();
        let scalar = types
            .iter()
            .find(|d| d.attribute_name == name)
            .and_then(|d| ScalarType::parse(d.attribute_type.as_str()))
            .ok_or_else(|| format!("no attribute definition for key \"{name}\""))?;
        Ok(Some(Key { name, scalar }))
    };
    let pk = key(KeyType::Hash)?.ok_or("the key schema has no HASH key")?;
    Ok((pk, key(KeyType::Range)?))
}

fn projection(p: Option<&Projection>) -> ProjectionShape {
    match p.and_then(|p| p.projection_type()) {
        Some(ProjectionType::KeysOnly) => ProjectionShape::KeysOnly,
        Some(ProjectionType::Include) => ProjectionShape::Include(
            p.map(|p| p.non_key_attributes().to_vec())
                .unwrap_or_default(),
        ),
        _ => ProjectionShape::All,
    }
}

/// What [`ensure_table`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnsureOutcome {
    /// The table was created.
    Created,
    /// The table existed with the same schema.
    Existed,
}

/// Creates the table `name` from `def` unless it exists; an existing table must match `def`.
pub async fn ensure_table(
    client: &Client,
    def: &TableDef,
    name: &str,
) -> Result<EnsureOutcome, SchemaError> {
    match SchemaTarget::def(*def, name).check(client).await {
        Ok(()) => Ok(EnsureOutcome::Existed),
        Err(SchemaError::Mismatch(m))
            if m.mismatches
                .iter()
                .all(|m| matches!(m, Mismatch::TableMissing { .. })) =>
        {
            match create_table(client, def, name).await {
                Ok(()) => Ok(EnsureOutcome::Created),
                // Created concurrently by someone else: check it like an existing one.
                Err(e)
                    if e.message()
                        .is_some_and(|m| m.starts_with("ResourceInUseException")) =>
                {
                    SchemaTarget::def(*def, name)
                        .check(client)
                        .await
                        .map(|()| EnsureOutcome::Existed)
                }
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e),
    }
}
