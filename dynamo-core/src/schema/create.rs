//! Creating tables from their `TableDef`.

use crate::def::ScalarType;
use crate::error::{Error, Operation};

use crate::def::{BillingMode, IndexKind, KeyDef, Projection, TableDef, Throughput};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode as SdkBillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, LocalSecondaryIndex, OnDemandThroughput, Projection as SdkProjection, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, StreamSpecification, TableStatus,
    TimeToLiveSpecification, WarmThroughput,
};
use std::time::Duration;

pub(super) fn scalar(s: ScalarType) -> ScalarAttributeType {
    match s {
        ScalarType::S => ScalarAttributeType::S,
        ScalarType::N => ScalarAttributeType::N,
        ScalarType::B => ScalarAttributeType::B,
    }
}

/// The attribute definition of a key attribute.
pub(super) fn attribute_definition(
    name: &str,
    op: Operation,
    key: &KeyDef,
) -> Result<AttributeDefinition, Error> {
    AttributeDefinition::builder()
        .attribute_name(key.name)
        .attribute_type(scalar(key.scalar))
        .build()
        .map_err(|e| Error::validation(name, op, e.to_string()))
}

pub(super) fn key_schema(
    name: &str,
    op: Operation,
    pk: &KeyDef,
    sk: Option<&KeyDef>,
) -> Result<Vec<KeySchemaElement>, Error> {
    let element = |k: &KeyDef, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(k.name)
            .key_type(t)
            .build()
            .map_err(|e| Error::validation(name, op, e.to_string()))
    };
    let mut out = vec![element(pk, KeyType::Hash)?];
    if let Some(sk) = sk {
        out.push(element(sk, KeyType::Range)?);
    }
    Ok(out)
}

pub(super) fn projection(p: &Projection) -> SdkProjection {
    match p {
        Projection::All => SdkProjection::builder()
            .projection_type(ProjectionType::All)
            .build(),
        Projection::KeysOnly => SdkProjection::builder()
            .projection_type(ProjectionType::KeysOnly)
            .build(),
        Projection::Include(attrs) => SdkProjection::builder()
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(attrs.iter().map(|a| (*a).to_owned()).collect()))
            .build(),
    }
}

/// DynamoDB's form of a warm throughput.
pub(super) fn warm(t: Throughput) -> WarmThroughput {
    WarmThroughput::builder()
        .read_units_per_second(i64::try_from(t.read_units).unwrap_or(i64::MAX))
        .write_units_per_second(i64::try_from(t.write_units).unwrap_or(i64::MAX))
        .build()
}

/// DynamoDB's form of an on-demand maximum.
pub(super) fn on_demand(t: Throughput) -> OnDemandThroughput {
    OnDemandThroughput::builder()
        .max_read_request_units(i64::try_from(t.read_units).unwrap_or(i64::MAX))
        .max_write_request_units(i64::try_from(t.write_units).unwrap_or(i64::MAX))
        .build()
}

/// Creates the table `name` as `def` declares it (with its stream, warm throughput and
/// on-demand maximum), waits until it is `ACTIVE`, then enables TTL.
pub async fn create_table(client: &Client, def: &TableDef, name: &str) -> Result<(), Error> {
    let op = Operation::CreateTable;
    let invalid =
        |e: aws_sdk_dynamodb::error::BuildError| Error::validation(name, op, e.to_string());
    let throughput = match def.billing_mode {
        BillingMode::PayPerRequest => None,
        BillingMode::Provisioned { read, write } => Some(
            ProvisionedThroughput::builder()
                .read_capacity_units(i64::try_from(read).unwrap_or(i64::MAX))
                .write_capacity_units(i64::try_from(write).unwrap_or(i64::MAX))
                .build()
                .map_err(invalid)?,
        ),
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .set_key_schema(Some(key_schema(
            name,
            op,
            &def.partition_key,
            def.sort_key.as_ref(),
        )?))
        .billing_mode(match def.billing_mode {
            BillingMode::PayPerRequest => SdkBillingMode::PayPerRequest,
            BillingMode::Provisioned { .. } => SdkBillingMode::Provisioned,
        })
        .set_provisioned_throughput(throughput.clone())
        .set_warm_throughput(def.warm_throughput.map(warm))
        .set_on_demand_throughput(def.max_on_demand.map(on_demand));
    if let Some(view) = def.stream {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(view.as_str().into())
                .build()
                .map_err(invalid)?,
        );
    }
    for key in def.key_attributes() {
        request = request.attribute_definitions(attribute_definition(name, op, &key)?);
    }
    for index in def.indexes {
        let keys = key_schema(name, op, &index.partition_key, index.sort_key.as_ref())?;
        request = match index.kind {
            IndexKind::Global => request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(keys))
                    .projection(projection(&index.projection))
                    .set_provisioned_throughput(throughput.clone())
                    .set_warm_throughput(index.warm_throughput.map(warm))
                    .set_on_demand_throughput(index.max_on_demand.map(on_demand))
                    .build()
                    .map_err(invalid)?,
            ),
            IndexKind::Local => request.local_secondary_indexes(
                LocalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(keys))
                    .projection(projection(&index.projection))
                    .build()
                    .map_err(invalid)?,
            ),
        };
    }
    request
        .send()
        .await
        .map_err(|e| Error::from_sdk(name, op, e))?;
    wait_until_active(client, name).await?;
    if let Some(ttl) = def.ttl_attribute {
        enable_ttl(client, name, ttl).await?;
    }
    Ok(())
}

/// Enables TTL on `attribute` of table `name`.
pub(super) async fn enable_ttl(client: &Client, name: &str, attribute: &str) -> Result<(), Error> {
    let op = Operation::UpdateTimeToLive;
    let spec = TimeToLiveSpecification::builder()
        .attribute_name(attribute)
        .enabled(true)
        .build()
        .map_err(|e| Error::validation(name, op, e.to_string()))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(spec)
        .send()
        .await
        .map_err(|e| Error::from_sdk(name, op, e))?;
    Ok(())
}

/// Polls DescribeTable until the table and its indexes are `ACTIVE` (up to five minutes).
pub async fn wait_until_active(client: &Client, name: &str) -> Result<(), Error> {
    let op = Operation::DescribeTable;
    let mut delay = Duration::from_millis(50);
    for _ in 0..300 {
        let output = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| Error::from_sdk(name, op, e))?;
        let table = output.table;
        let active = table.as_ref().and_then(|t| t.table_status()) == Some(&TableStatus::Active)
            && table
                .as_ref()
                .map(|t| t.global_secondary_indexes())
                .unwrap_or_default()
                .iter()
                .all(|i| i.index_status().is_none_or(|s| s.as_str() == "ACTIVE"));
        if active {
            return Ok(());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(1));
    }
    Err(Error::validation(
        name,
        op,
        "the table did not become ACTIVE within five minutes",
    ))
}
