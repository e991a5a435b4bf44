//! Bringing an existing table to its definition with the changes DynamoDB makes in place:
//! creating a missing table, adding global secondary indexes, enabling TTL and a stream, raising
//! warm throughput, setting on-demand maximums, and, only when asked
//! ([`MigrationPlan::dropping_undeclared_indexes`]), deleting the global indexes the definition
//! no longer has. What cannot change in place (a table's key, a local index, an index declared
//! differently, a stream's view) is reported, never attempted.
//!
//! ```no_run
//! # async fn run(client: &dynamo_core::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use dynamo_core::{KeyDef, IndexDef, TableDef};
//! use dynamo_core::schema::{migrate, plan_migration};
//!
//! const ORDERS: TableDef = TableDef::new("orders", KeyDef::string("pk"))
//!     .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), None)]);
//!
//! let plan = plan_migration(client, &ORDERS, "orders").await?;
//! println!("{plan}"); // the dry run: "orders: add global index GSI1 (...)"
//! migrate(client, &plan).await?; // each step, waiting until the table is ACTIVE again
//! # Ok(()) }
//! ```

use super::compare::{CapacityShape, Key, TableShape};
use super::create::{
    attribute_definition, create_table, enable_ttl, key_schema, projection, wait_until_active,
};
use super::live::{SchemaError, describe};
use crate::def::{IndexDef, IndexKind, StreamView, TableDef, Throughput};
use crate::error::{Error, ErrorKind, Operation};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction,
    DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, ProvisionedThroughput,
    StreamSpecification, UpdateGlobalSecondaryIndexAction,
};
use std::fmt;

/// One change [`migrate`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MigrationStep {
    /// The table does not exist: create it as declared.
    CreateTable,
    /// Add this global secondary index (DynamoDB backfills it from the items).
    AddIndex(&'static IndexDef),
    /// Enable TTL on this attribute.
    EnableTtl(&'static str),
    /// Enable a stream of these records.
    EnableStream(StreamView),
    /// Raise the warm throughput of the table (`index` `None`) or a global index.
    WarmThroughput {
        /// The index, or `None` for the table.
        index: Option<&'static str>,
        /// The declared throughput.
        throughput: Throughput,
    },
    /// Set the on-demand maximum of the table (`index` `None`) or a global index.
    OnDemandMaximum {
        /// The index, or `None` for the table.
        index: Option<&'static str>,
        /// The declared maximum.
        throughput: Throughput,
    },
    /// Delete this global index, which the definition no longer has (planned only by
    /// [`MigrationPlan::dropping_undeclared_indexes`]).
    DropIndex(String),
}

impl fmt::Display for MigrationStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrationStep::CreateTable => f.write_str("create the table as declared"),
            MigrationStep::AddIndex(index) => {
                write!(
                    f,
                    "add global index {} (partition key {}",
                    index.name,
                    Key::from(&index.partition_key)
                )?;
                if let Some(sk) = &index.sort_key {
                    write!(f, ", sort key {}", Key::from(sk))?;
                }
                f.write_str(")")
            }
            MigrationStep::EnableTtl(attribute) => write!(f, "enable TTL on \"{attribute}\""),
            MigrationStep::EnableStream(view) => {
                write!(f, "enable a stream of {} records", view.as_str())
            }
            MigrationStep::WarmThroughput { index, throughput } => write!(
                f,
                "raise {}'s warm throughput to {} reads and {} writes a second",
                index.map_or("the table".to_owned(), |i| format!("index {i}")),
                throughput.read_units,
                throughput.write_units
            ),
            MigrationStep::OnDemandMaximum { index, throughput } => write!(
                f,
                "set {}'s on-demand maximum to {} reads and {} writes a second",
                index.map_or("the table".to_owned(), |i| format!("index {i}")),
                throughput.read_units,
                throughput.write_units
            ),
            MigrationStep::DropIndex(index) => write!(
                f,
                "delete global index {index}, which the definition does not declare"
            ),
        }
    }
}

/// What [`migrate`] would do to one table: its steps, or why it cannot.
#[derive(Debug, Clone)]
pub struct MigrationPlan {
    /// The table's name.
    pub table: String,
    /// The definition it is brought to.
    pub def: TableDef,
    /// The changes, in order.
    pub steps: Vec<MigrationStep>,
    /// Differences no in-place change can fix; while there are any, [`migrate`] does nothing.
    pub blockers: Vec<String>,
    /// Indexes the table has and the definition does not. They are kept (something may still
    /// read them, and an index costs a write only for items with its key attributes) unless
    /// the plan is [`dropping_undeclared_indexes`](Self::dropping_undeclared_indexes).
    pub undeclared_indexes: Vec<String>,
    /// Which of them are local.
    local_indexes: Vec<String>,
}

impl MigrationPlan {
    /// No change needed and nothing blocking.
    pub fn is_up_to_date(&self) -> bool {
        self.steps.is_empty() && self.blockers.is_empty()
    }

    /// The same plan, deleting the global indexes the definition no longer has (a local index
    /// cannot be deleted: it blocks the plan). Deleting an index cannot be undone: recreating
    /// it backfills it from every item.
    #[must_use]
    pub fn dropping_undeclared_indexes(mut self) -> Self {
        for index in std::mem::take(&mut self.undeclared_indexes) {
            if self.local_indexes.contains(&index) {
                self.blockers.push(format!(
                    "local index {index} is not declared, and a local index lives as long as its table"
                ));
            } else {
                self.steps.push(MigrationStep::DropIndex(index));
            }
        }
        self
    }
}

impl fmt::Display for MigrationPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_up_to_date() && self.undeclared_indexes.is_empty() {
            return write!(f, "{}: up to date", self.table);
        }
        write!(f, "{}:", self.table)?;
        for step in &self.steps {
            write!(f, "\n  - {step}")?;
        }
        for blocker in &self.blockers {
            write!(f, "\n  ! cannot migrate: {blocker}")?;
        }
        for index in &self.undeclared_indexes {
            write!(
                f,
                "\n  = kept: index {index}, which the definition does not declare (drop it only when asked)"
            )?;
        }
        Ok(())
    }
}

/// Compares the table `name` with `def` and plans the changes that bring it there.
pub async fn plan_migration(
    client: &Client,
    def: &TableDef,
    name: &str,
) -> Result<MigrationPlan, SchemaError> {
    let mut plan = MigrationPlan {
        table: name.to_owned(),
        def: *def,
        steps: Vec::new(),
        blockers: Vec::new(),
        undeclared_indexes: Vec::new(),
        local_indexes: Vec::new(),
    };
    let live = match describe(client, name).await {
        Ok(shape) => shape,
        Err(SchemaError::Request(e)) if e.kind() == ErrorKind::TableNotFound => {
            plan.steps.push(MigrationStep::CreateTable);
            return Ok(plan);
        }
        Err(e) => return Err(e),
    };
    plan_changes(def, &live, &mut plan);
    Ok(plan)
}

fn plan_changes(def: &TableDef, live: &TableShape, plan: &mut MigrationPlan) {
    let declared = TableShape::from_def(def, &live.name);
    let key = |pk: &Key, sk: Option<&Key>| match sk {
        Some(sk) => format!("{pk} and {sk}"),
        None => pk.to_string(),
    };
    if declared.partition_key != live.partition_key || declared.sort_key != live.sort_key {
        plan.blockers.push(format!(
            "its key is {}, the definition's is {}: DynamoDB cannot change a table's key; create a new table and copy the items",
            key(&live.partition_key, live.sort_key.as_ref()),
            key(&declared.partition_key, declared.sort_key.as_ref()),
        ));
    }
    for (index, shape) in def.indexes.iter().zip(&declared.indexes) {
        match live.indexes.iter().find(|i| i.name == index.name) {
            Some(existing) if existing.same_layout(shape) => {
                if live.reports_capacity && index.kind == IndexKind::Global {
                    plan_capacity(plan, Some(index.name), shape.capacity, existing.capacity);
                }
            }
            Some(_) => plan.blockers.push(format!(
                "index {} exists with another key or projection: delete it (UpdateTable) and migrate again",
                index.name
            )),
            None if index.kind == IndexKind::Local => plan.blockers.push(format!(
                "local index {} can only be created with the table",
                index.name
            )),
            None => plan.steps.push(MigrationStep::AddIndex(index)),
        }
    }
    for existing in &live.indexes {
        if !def.indexes.iter().any(|i| i.name == existing.name) {
            plan.undeclared_indexes.push(existing.name.clone());
            if existing.kind == IndexKind::Local {
                plan.local_indexes.push(existing.name.clone());
            }
        }
    }
    match (def.stream, live.stream) {
        (Some(view), None) => plan.steps.push(MigrationStep::EnableStream(view)),
        (Some(view), Some(other)) if view != other => plan.blockers.push(format!(
            "its stream carries {} records, the definition's {}: a stream's view changes only by disabling it (its readers lose their place) and enabling a new one",
            other.as_str(),
            view.as_str()
        )),
        _ => {}
    }
    if live.reports_capacity {
        plan_capacity(plan, None, declared.capacity, live.capacity);
    }
    if let Some(ttl) = def.ttl_attribute {
        match live.ttl_attribute.as_deref() {
            Some(existing) if existing == ttl => {}
            Some(other) => plan.blockers.push(format!(
                "TTL is enabled on \"{other}\": a table has one TTL attribute; disable it, then migrate to enable \"{ttl}\""
            )),
            None => plan.steps.push(MigrationStep::EnableTtl(ttl)),
        }
    }
}

/// The throughput steps of the table (`index` `None`) or one of its global indexes.
fn plan_capacity(
    plan: &mut MigrationPlan,
    index: Option<&'static str>,
    declared: CapacityShape,
    live: CapacityShape,
) {
    let (warm, max) = declared.shortfall(&live);
    if let Some(throughput) = warm {
        plan.steps
            .push(MigrationStep::WarmThroughput { index, throughput });
    }
    if let Some(throughput) = max {
        plan.steps
            .push(MigrationStep::OnDemandMaximum { index, throughput });
    }
}

/// Applies `plan`: each step, waiting until the table and its indexes are `ACTIVE` after
/// each index (DynamoDB adds one index per UpdateTable). Refuses a plan with blockers. Running
/// a plan again after it was applied fails on its first step; plan again instead (a new plan
/// of a migrated table is empty).
pub async fn migrate(client: &Client, plan: &MigrationPlan) -> Result<(), Error> {
    let name = plan.table.as_str();
    if !plan.blockers.is_empty() {
        return Err(Error::validation(
            name,
            Operation::UpdateTable,
            format!("the table cannot be migrated: {}", plan.blockers.join("; ")),
        ));
    }
    for step in &plan.steps {
        match step {
            MigrationStep::CreateTable => create_table(client, &plan.def, name).await?,
            MigrationStep::AddIndex(index) => add_index(client, name, index).await?,
            MigrationStep::EnableTtl(attribute) => enable_ttl(client, name, attribute).await?,
            MigrationStep::EnableStream(view) => {
                let spec = StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(view.as_str().into())
                    .build()
                    .map_err(|e| Error::validation(name, Operation::UpdateTable, e.to_string()))?;
                update(client, name, |r| r.stream_specification(spec)).await?;
            }
            MigrationStep::WarmThroughput { index, throughput } => {
                let warm = super::create::warm(*throughput);
                let table = warm.clone();
                let capacity = Capacity {
                    table: Box::new(|r| r.warm_throughput(table)),
                    index: Box::new(|a| a.warm_throughput(warm)),
                };
                set_capacity(client, name, *index, capacity).await?;
            }
            MigrationStep::OnDemandMaximum { index, throughput } => {
                let max = super::create::on_demand(*throughput);
                let table = max.clone();
                let capacity = Capacity {
                    table: Box::new(|r| r.on_demand_throughput(table)),
                    index: Box::new(|a| a.on_demand_throughput(max)),
                };
                set_capacity(client, name, *index, capacity).await?;
            }
            MigrationStep::DropIndex(index) => {
                let action = DeleteGlobalSecondaryIndexAction::builder()
                    .index_name(index)
                    .build()
                    .map_err(|e| Error::validation(name, Operation::UpdateTable, e.to_string()))?;
                update(client, name, |r| {
                    r.global_secondary_index_updates(
                        GlobalSecondaryIndexUpdate::builder().delete(action).build(),
                    )
                })
                .await?;
            }
        }
        wait_until_active(client, name).await?;
        tracing::info!(table = name, step = %step, "migrated");
    }
    Ok(())
}

/// Sends one UpdateTable that `build` fills in.
async fn update(
    client: &Client,
    name: &str,
    build: impl FnOnce(TableUpdate) -> TableUpdate,
) -> Result<(), Error> {
    build(client.update_table().table_name(name))
        .send()
        .await
        .map_err(|e| Error::from_sdk(name, Operation::UpdateTable, e))?;
    Ok(())
}

type TableUpdate = aws_sdk_dynamodb::operation::update_table::builders::UpdateTableFluentBuilder;
type IndexUpdate = aws_sdk_dynamodb::types::builders::UpdateGlobalSecondaryIndexActionBuilder;

/// A throughput setting, as an UpdateTable of the table and as an update of a global index.
struct Capacity {
    table: Box<dyn FnOnce(TableUpdate) -> TableUpdate + Send>,
    index: Box<dyn FnOnce(IndexUpdate) -> IndexUpdate + Send>,
}

/// Applies `capacity` to the table (`index` `None`) or one of its global indexes.
async fn set_capacity(
    client: &Client,
    name: &str,
    index: Option<&str>,
    capacity: Capacity,
) -> Result<(), Error> {
    let Some(index) = index else {
        return update(client, name, capacity.table).await;
    };
    let action = (capacity.index)(UpdateGlobalSecondaryIndexAction::builder().index_name(index))
        .build()
        .map_err(|e| Error::validation(name, Operation::UpdateTable, e.to_string()))?;
    update(client, name, |r| {
        r.global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().update(action).build(),
        )
    })
    .await
}

async fn add_index(client: &Client, name: &str, index: &IndexDef) -> Result<(), Error> {
    let op = Operation::UpdateTable;
    let invalid =
        |e: aws_sdk_dynamodb::error::BuildError| Error::validation(name, op, e.to_string());
    // A provisioned table's new index needs its own throughput: the table's.
    let table = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| Error::from_sdk(name, Operation::DescribeTable, e))?
        .table;
    let on_demand = table
        .as_ref()
        .and_then(|t| t.billing_mode_summary())
        .and_then(|b| b.billing_mode())
        == Some(&BillingMode::PayPerRequest);
    let throughput = match table.as_ref().and_then(|t| t.provisioned_throughput()) {
        Some(p) if !on_demand => Some(
            ProvisionedThroughput::builder()
                .read_capacity_units(p.read_capacity_units().unwrap_or(1).max(1))
                .write_capacity_units(p.write_capacity_units().unwrap_or(1).max(1))
                .build()
                .map_err(invalid)?,
        ),
        _ => None,
    };
    // The table's definitions and the new index's: DynamoDB needs only the latter, but an
    // endpoint that replaces the table's list with the request's (moto) then still knows the
    // other keys' types.
    let mut definitions: Vec<AttributeDefinition> = table
        .as_ref()
        .map(|t| t.attribute_definitions().to_vec())
        .unwrap_or_default();
    for key in std::iter::once(&index.partition_key).chain(index.sort_key.as_ref()) {
        let definition = attribute_definition(name, op, key)?;
        definitions.retain(|d| d.attribute_name() != definition.attribute_name());
        definitions.push(definition);
    }
    let request = client
        .update_table()
        .table_name(name)
        .set_attribute_definitions(Some(definitions));
    let create = CreateGlobalSecondaryIndexAction::builder()
        .index_name(index.name)
        .set_key_schema(Some(key_schema(
            name,
            op,
            &index.partition_key,
            index.sort_key.as_ref(),
        )?))
        .projection(projection(&index.projection))
        .set_provisioned_throughput(throughput)
        .set_warm_throughput(index.warm_throughput.map(super::create::warm))
        .set_on_demand_throughput(index.max_on_demand.map(super::create::on_demand))
        .build()
        .map_err(invalid)?;
    request
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().create(create).build(),
        )
        .send()
        .await
        .map_err(|e| Error::from_sdk(name, op, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::def::KeyDef;

    const DECLARED: TableDef = TableDef::new("t", KeyDef::string("pk"))
        .with_sort_key(KeyDef::string("sk"))
        .with_indexes(&[
            IndexDef::global(
                "GSI1",
                KeyDef::string("gsi1pk"),
                Some(KeyDef::string("gsi1sk")),
            ),
            IndexDef::global(
                "GSI2",
                KeyDef::string("gsi2pk"),
                Some(KeyDef::number("gsi2sk")),
            ),
        ])
        .with_ttl_attribute("ttl");

    fn plan_for(live: &TableDef) -> MigrationPlan {
        let mut plan = MigrationPlan {
            table: "t".into(),
            def: DECLARED,
            steps: Vec::new(),
            blockers: Vec::new(),
            undeclared_indexes: Vec::new(),
            local_indexes: Vec::new(),
        };
        plan_changes(&DECLARED, &TableShape::from_def(live, "t"), &mut plan);
        plan
    }

    #[test]
    fn missing_indexes_and_ttl_are_added() {
        const LIVE: TableDef = TableDef::new("t", KeyDef::string("pk"))
            .with_sort_key(KeyDef::string("sk"))
            .with_indexes(&[IndexDef::global(
                "GSI1",
                KeyDef::string("gsi1pk"),
                Some(KeyDef::string("gsi1sk")),
            )]);
        let plan = plan_for(&LIVE);
        assert_eq!(
            plan.steps,
            [
                MigrationStep::AddIndex(&DECLARED.indexes[1]),
                MigrationStep::EnableTtl("ttl")
            ]
        );
        assert!(plan.blockers.is_empty());
        assert_eq!(
            plan.to_string(),
            "t:\n  - add global index GSI2 (partition key \"gsi2pk\" (S), sort key \"gsi2sk\" (N))\n  - enable TTL on \"ttl\""
        );
        assert!(plan_for(&DECLARED).is_up_to_date());
        assert_eq!(plan_for(&DECLARED).to_string(), "t: up to date");
    }

    #[test]
    fn throughput_below_the_declared_is_raised_where_the_table_states_it() {
        use crate::def::Throughput;
        const WARM: TableDef = TableDef::new("t", KeyDef::string("pk"))
            .with_sort_key(KeyDef::string("sk"))
            .with_indexes(&[
                IndexDef::global(
                    "GSI1",
                    KeyDef::string("gsi1pk"),
                    Some(KeyDef::string("gsi1sk")),
                )
                .with_warm_throughput(Throughput::new(10, 20)),
                IndexDef::global(
                    "GSI2",
                    KeyDef::string("gsi2pk"),
                    Some(KeyDef::number("gsi2sk")),
                ),
            ])
            .with_ttl_attribute("ttl")
            .with_warm_throughput(Throughput::new(100, 200))
            .with_max_on_demand(Throughput::new(1_000, 2_000));
        let mut live = TableShape::from_def(&DECLARED, "t");
        live.capacity.warm = Some(Throughput::new(100, 150));
        live.indexes[0].capacity.warm = Some(Throughput::new(12_000, 4_000));
        let mut plan = MigrationPlan {
            table: "t".into(),
            def: WARM,
            steps: Vec::new(),
            blockers: Vec::new(),
            undeclared_indexes: Vec::new(),
            local_indexes: Vec::new(),
        };
        plan_changes(&WARM, &live, &mut plan);
        assert_eq!(
            plan.steps,
            [
                MigrationStep::WarmThroughput {
                    index: None,
                    throughput: Throughput::new(100, 200)
                },
                MigrationStep::OnDemandMaximum {
                    index: None,
                    throughput: Throughput::new(1_000, 2_000)
                },
            ],
            "GSI1 is warmer than declared already"
        );
        assert_eq!(
            plan.steps[0].to_string(),
            "raise the table's warm throughput to 100 reads and 200 writes a second"
        );
        // Without stated throughput (DynamoDB Local), nothing is planned.
        live.reports_capacity = false;
        plan.steps.clear();
        plan_changes(&WARM, &live, &mut plan);
        assert!(plan.steps.is_empty(), "{plan}");
    }

    #[test]
    fn what_cannot_change_in_place_blocks() {
        const LIVE: TableDef = TableDef::new("t", KeyDef::string("id"))
            .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), None)])
            .with_ttl_attribute("expires");
        let plan = plan_for(&LIVE);
        assert_eq!(plan.steps, [MigrationStep::AddIndex(&DECLARED.indexes[1])]);
        let text = plan.to_string();
        for expected in [
            "its key is \"id\" (S), the definition's is \"pk\" (S) and \"sk\" (S)",
            "index GSI1 exists with another key or projection",
            "TTL is enabled on \"expires\"",
        ] {
            assert!(text.contains(expected), "{expected} missing from {text}");
        }
    }
}
