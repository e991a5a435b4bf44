//! Storage: the tables, their entities and the formats of derived keys. Only services use it.

pub mod settings;
pub mod tables;
mod work;

pub use settings::{DEFAULT_RESOURCE_NAME, StoreSettings};
pub use tables::*;
pub use work::*;

/// The CloudFormation template of every table (`export-cloudformation`;
/// `deploy/cloudformation/tables.yaml` holds it).
pub fn cloudformation_template() -> serde_json::Value {
    cloudformation_template_named(&TableNames::prefixed(""))
}

/// The CloudFormation template of every table, named by `names`.
pub fn cloudformation_template_named(names: &TableNames) -> serde_json::Value {
    dynamo_core::schema::cloudformation::template("Reservation service tables", &defs_named(names))
}

/// The definitions under the names `names` gives, for the exports. A `TableDef`'s name is
/// `'static`: the few other names are leaked, once per export command.
pub fn defs_named(names: &TableNames) -> Vec<dynamo_core::TableDef> {
    ALL.iter()
        .map(|def| {
            let name = names.of(def);
            if name == def.name {
                *def
            } else {
                def.with_name(Box::leak(name.into_boxed_str()))
            }
        })
        .collect()
}

/// The changes that bring the service's tables, as they exist, to its definitions (the
/// `migrate` command): tables created by the infrastructure module lack the work indexes and
/// the seats table.
pub async fn plan_migrations(
    client: &dynamo_core::Client,
    names: &TableNames,
) -> Result<Vec<dynamo_core::schema::MigrationPlan>, dynamo_core::schema::SchemaError> {
    let plans = ALL.iter().map(|def| async move {
        dynamo_core::schema::plan_migration(client, def, &names.of(def)).await
    });
    futures_util::future::try_join_all(plans).await
}
