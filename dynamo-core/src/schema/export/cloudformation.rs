//! CloudFormation (feature `cloudformation`): export `AWS::DynamoDB::Table` resources, and check
//! a template against the definitions, so an infrastructure change that breaks an entity fails
//! a unit test without AWS.

use crate::def::{BillingMode, IndexKind, Projection, TableDef, Throughput};
use crate::def::{ScalarType, StreamView};
use crate::schema::compare::{
    CapacityShape, IndexShape, Key, Mismatch, ProjectionShape, SchemaMismatch, TableShape, compare,
};
use serde_json::{Map, Value, json};
use std::path::Path;

/// A template could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Neither JSON nor YAML.
    #[error("{path} is not a CloudFormation template: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What the parser said.
        message: String,
    },
    /// A table resource is malformed.
    #[error("{path}: resource {resource}: {message}")]
    Resource {
        /// The file.
        path: String,
        /// The logical id.
        resource: String,
        /// What is wrong.
        message: String,
    },
    /// The template differs from the definition.
    #[error(transparent)]
    Mismatch(#[from] SchemaMismatch),
}

/// The logical id of a table's resource: `ticket-reservation-orders` becomes
/// `TicketReservationOrdersTable`.
pub fn logical_id(name: &str) -> String {
    let mut out = String::new();
    for part in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out.push_str("Table");
    out
}

fn key_schema(pk: &str, sk: Option<&str>) -> Value {
    let mut keys = vec![json!({"AttributeName": pk, "KeyType": "HASH"})];
    if let Some(sk) = sk {
        keys.push(json!({"AttributeName": sk, "KeyType": "RANGE"}));
    }
    Value::Array(keys)
}

fn warm(t: Throughput) -> Value {
    json!({"ReadUnitsPerSecond": t.read_units, "WriteUnitsPerSecond": t.write_units})
}

fn on_demand(t: Throughput) -> Value {
    json!({"MaxReadRequestUnits": t.read_units, "MaxWriteRequestUnits": t.write_units})
}

fn projection(p: &Projection) -> Value {
    match p {
        Projection::All => json!({"ProjectionType": "ALL"}),
        Projection::KeysOnly => json!({"ProjectionType": "KEYS_ONLY"}),
        Projection::Include(attrs) => {
            json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": attrs})
        }
    }
}

impl TableDef {
    /// The table as an `AWS::DynamoDB::Table` resource: key schema, attribute definitions of the
    /// key attributes only, indexes, TTL, point-in-time recovery, encryption, billing, and
    /// `DeletionPolicy: Retain`.
    ///
    /// ```
    /// use dynamo_core::{KeyDef, TableDef};
    /// const T: TableDef = TableDef::new("ticket-reservation-outbox", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));
    /// let resource = T.to_cloudformation();
    /// assert_eq!(resource["Type"], "AWS::DynamoDB::Table");
    /// assert_eq!(resource["Properties"]["KeySchema"][1]["AttributeName"], "sk");
    /// ```
    pub fn to_cloudformation(&self) -> Value {
        let mut p = Map::new();
        p.insert("TableName".into(), json!(self.name));
        match self.billing_mode {
            BillingMode::PayPerRequest => {
                p.insert("BillingMode".into(), json!("PAY_PER_REQUEST"));
            }
            BillingMode::Provisioned { read, write } => {
                p.insert("BillingMode".into(), json!("PROVISIONED"));
                p.insert(
                    "ProvisionedThroughput".into(),
                    json!({"ReadCapacityUnits": read, "WriteCapacityUnits": write}),
                );
            }
        }
        p.insert(
            "AttributeDefinitions".into(),
            Value::Array(
                self.key_attributes()
                    .iter()
                    .map(|k| json!({"AttributeName": k.name, "AttributeType": k.scalar.as_str()}))
                    .collect(),
            ),
        );
        p.insert(
            "KeySchema".into(),
            key_schema(self.partition_key.name, self.sort_key.map(|k| k.name)),
        );
        for (kind, property) in [
            (IndexKind::Global, "GlobalSecondaryIndexes"),
            (IndexKind::Local, "LocalSecondaryIndexes"),
        ] {
            let indexes: Vec<Value> = self
                .indexes
                .iter()
                .filter(|i| i.kind == kind)
                .map(|i| {
                    let mut index = json!({
                        "IndexName": i.name,
                        "KeySchema": key_schema(i.partition_key.name, i.sort_key.map(|k| k.name)),
                        "Projection": projection(&i.projection),
                    });
                    if let (BillingMode::Provisioned { read, write }, IndexKind::Global) =
                        (self.billing_mode, kind)
                    {
                        index["ProvisionedThroughput"] =
                            json!({"ReadCapacityUnits": read, "WriteCapacityUnits": write});
                    }
                    if kind == IndexKind::Global {
                        if let Some(t) = i.warm_throughput {
                            index["WarmThroughput"] = warm(t);
                        }
                        if let Some(t) = i.max_on_demand {
                            index["OnDemandThroughput"] = on_demand(t);
                        }
                    }
                    index
                })
                .collect();
            if !indexes.is_empty() {
                p.insert(property.into(), Value::Array(indexes));
            }
        }
        if let Some(ttl) = self.ttl_attribute {
            p.insert(
                "TimeToLiveSpecification".into(),
                json!({"AttributeName": ttl, "Enabled": true}),
            );
        }
        p.insert(
            "PointInTimeRecoverySpecification".into(),
            json!({"PointInTimeRecoveryEnabled": self.point_in_time_recovery}),
        );
        p.insert(
            "SSESpecification".into(),
            json!({"SSEEnabled": self.server_side_encryption}),
        );
        if self.deletion_protection {
            p.insert("DeletionProtectionEnabled".into(), json!(true));
        }
        if let Some(t) = self.warm_throughput {
            p.insert("WarmThroughput".into(), warm(t));
        }
        if let Some(t) = self.max_on_demand {
            p.insert("OnDemandThroughput".into(), on_demand(t));
        }
        if let Some(view) = self.stream {
            p.insert(
                "StreamSpecification".into(),
                json!({"StreamViewType": view.as_str()}),
            );
        }
        json!({
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": Value::Object(p),
        })
    }

    /// Checks the table resource of this definition in a CloudFormation template (YAML or JSON;
    /// `!Sub`, `!Ref` and other intrinsic functions are tolerated): the same differences as the
    /// live check, or an error when the template has no such table.
    pub fn check_cloudformation(&self, path: impl AsRef<Path>) -> Result<(), TemplateError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let template = parse_template(&text).map_err(|message| TemplateError::Parse {
            path: path.display().to_string(),
            message,
        })?;
        let tables =
            tables_of(&template).map_err(|(resource, message)| TemplateError::Resource {
                path: path.display().to_string(),
                resource,
                message,
            })?;
        let Some(shape) = tables
            .into_iter()
            .find(|t| name_matches(&t.name, self.name))
        else {
            return Err(SchemaMismatch {
                table: self.name.to_owned(),
                entity: None,
                mismatches: vec![Mismatch::TableMissing {
                    location: format!("no AWS::DynamoDB::Table named so in {}", path.display()),
                }],
            }
            .into());
        };
        let mismatches = compare(self, None, &shape);
        if mismatches.is_empty() {
            Ok(())
        } else {
            Err(SchemaMismatch {
                table: self.name.to_owned(),
                entity: None,
                mismatches,
            }
            .into())
        }
    }
}

/// A whole template with one table resource per definition, as JSON.
pub fn template(description: &str, tables: &[TableDef]) -> Value {
    let mut resources = Map::new();
    let mut outputs = Map::new();
    for t in tables {
        let id = logical_id(t.name);
        resources.insert(id.clone(), t.to_cloudformation());
        outputs.insert(format!("{id}Arn"), json!({"Description": format!("ARN of {}", t.name), "Value": {"Fn::GetAtt": [id, "Arn"]}}));
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description,
        "Resources": Value::Object(resources),
        "Outputs": Value::Object(outputs),
    })
}

/// A template as YAML, as CloudFormation reads it.
pub fn to_yaml(template: &Value) -> String {
    let mut out = String::new();
    write_yaml(&mut out, template, 0, false);
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let plain = !s.is_empty()
                && !s.starts_with(|c: char| c.is_ascii_digit())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
                && s.parse::<f64>().is_err()
                && !matches!(
                    s.as_str(),
                    "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
                );
            if plain {
                s.clone()
            } else {
                format!("'{}'", s.replace('\'', "''"))
            }
        }
        other => other.to_string(),
    }
}

fn write_yaml(out: &mut String, v: &Value, indent: usize, in_list: bool) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (i, (k, v)) in map.iter().enumerate() {
                let lead = if in_list && i == 0 {
                    String::new()
                } else {
                    pad.clone()
                };
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{lead}{k}:\n"));
                        write_yaml(out, v, indent + 2, false);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{lead}{k}:\n"));
                        write_yaml(out, v, indent + 2, false);
                    }
                    _ => out.push_str(&format!("{lead}{k}: {}\n", scalar_or_empty(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(_) => {
                        out.push_str(&format!("{pad}- "));
                        write_yaml(out, item, indent + 2, true);
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

fn scalar_or_empty(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => scalar(other),
    }
}

/// Parses JSON or YAML; YAML tags of intrinsic functions become their JSON form
/// (`!Sub x` is `{"Fn::Sub": x}`, `!Ref x` is `{"Ref": x}`).
fn parse_template(text: &str) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    let yaml: serde_norway::Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    Ok(yaml_to_json(yaml))
}

fn yaml_to_json(v: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::from_str(&n.to_string()).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        other => serde_norway::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let key = if name == "Ref" || name == "Condition" {
                name.to_owned()
            } else {
                format!("Fn::{name}")
            };
            let mut map = Map::new();
            map.insert(key, yaml_to_json(tagged.value));
            Value::Object(map)
        }
    }
}

/// A table name in a template: a string, or `Fn::Sub` whose `${..}` parts match anything.
fn name_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(m) => match m.get("Fn::Sub") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => parts
                .first()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            _ => "${}".into(),
        },
        _ => String::new(),
    }
}

/// Whether a template name can be `name`: `${..}` placeholders (an environment prefix such as
/// `${Env}-`) are dropped with one separator next to them before comparing.
fn name_matches(pattern: &str, name: &str) -> bool {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        rest = &rest[end..];
        if rest.starts_with(['-', '_', '.']) {
            rest = &rest[1..];
        } else if out.ends_with(['-', '_', '.']) {
            out.pop();
        }
    }
    out.push_str(rest);
    out == name
}

fn tables_of(template: &Value) -> Result<Vec<TableShape>, (String, String)> {
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (id, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::DynamoDB::Table") {
            continue;
        }
        let props = resource.get("Properties").cloned().unwrap_or(Value::Null);
        out.push(shape_of(&props).map_err(|m| (id.clone(), m))?);
    }
    Ok(out)
}

fn shape_of(props: &Value) -> Result<TableShape, String> {
    let types: Vec<(String, ScalarType)> = props
        .get("AttributeDefinitions")
        .and_then(Value::as_array)
        .map(|defs| {
            defs.iter()
                .filter_map(|d| {
                    let name = d.get("AttributeName")?.as_str()?.to_owned();
                    let t = ScalarType::parse(d.get("AttributeType")?.as_str()?)?;
                    Some((name, t))
                })
                .collect()
        })
        .unwrap_or_default();
    let keys = |schema: Option<&Value>| -> Result<(Key, Option<Key>), String> {
        let schema = schema
            .and_then(Value::as_array)
            .ok_or("KeySchema is missing")?;
        let find = |kind: &str| -> Result<Option<Key>, String> {
            let Some(e) = schema
                .iter()
                .find(|e| e.get("KeyType").and_then(Value::as_str) == Some(kind))
            else {
                return Ok(None);
            };
            let name = e
                .get("AttributeName")
                .and_then(Value::as_str)
                .ok_or("a key without AttributeName")?
                .to_owned();
            let scalar = types
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| *t)
                .ok_or_else(|| format!("key \"{name}\" has no AttributeDefinitions entry"))?;
            Ok(Some(Key { name, scalar }))
        };
        Ok((
            find("HASH")?.ok_or("KeySchema has no HASH key")?,
            find("RANGE")?,
        ))
    };
    let (partition_key, sort_key) = keys(props.get("KeySchema"))?;
    let mut indexes = Vec::new();
    for (property, kind) in [
        ("GlobalSecondaryIndexes", IndexKind::Global),
        ("LocalSecondaryIndexes", IndexKind::Local),
    ] {
        for i in props
            .get(property)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (pk, sk) = keys(i.get("KeySchema"))?;
            let p = i.get("Projection");
            let projection = match p
                .and_then(|p| p.get("ProjectionType"))
                .and_then(Value::as_str)
            {
                Some("KEYS_ONLY") => ProjectionShape::KeysOnly,
                Some("INCLUDE") => ProjectionShape::Include(
                    p.and_then(|p| p.get("NonKeyAttributes"))
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                _ => ProjectionShape::All,
            };
            indexes.push(IndexShape {
                name: i.get("IndexName").map(name_of).unwrap_or_default(),
                kind,
                partition_key: pk,
                sort_key: sk,
                projection,
                capacity: capacity_of(i),
            });
        }
    }
    let ttl = props.get("TimeToLiveSpecification");
    let enabled = ttl
        .and_then(|t| t.get("Enabled"))
        .is_none_or(|e| e.as_bool().unwrap_or(true));
    let ttl_attribute = ttl
        .filter(|_| enabled)
        .and_then(|t| t.get("AttributeName"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let stream = props
        .get("StreamSpecification")
        .and_then(|s| s.get("StreamViewType"))
        .and_then(Value::as_str)
        .map(|view| {
            [
                StreamView::KeysOnly,
                StreamView::NewImage,
                StreamView::OldImage,
                StreamView::NewAndOldImages,
            ]
            .into_iter()
            .find(|v| v.as_str() == view)
            .ok_or_else(|| format!("StreamViewType {view} is not one of DynamoDB's"))
        })
        .transpose()?;
    Ok(TableShape {
        name: props.get("TableName").map(name_of).unwrap_or_default(),
        partition_key,
        sort_key,
        indexes,
        ttl_attribute,
        status: None,
        stream,
        capacity: capacity_of(props),
        reports_capacity: true,
    })
}

/// The `WarmThroughput` and `OnDemandThroughput` of a table's or an index's properties.
fn capacity_of(props: &Value) -> CapacityShape {
    let pair = |key: &str, read: &str, write: &str| {
        let t = props.get(key)?;
        let units = |name: &str| match t.get(name).and_then(Value::as_i64) {
            Some(n) => u64::try_from(n).unwrap_or(u64::MAX),
            None => u64::MAX,
        };
        Some(Throughput::new(units(read), units(write)))
    };
    CapacityShape {
        warm: pair(
            "WarmThroughput",
            "ReadUnitsPerSecond",
            "WriteUnitsPerSecond",
        ),
        max_on_demand: pair(
            "OnDemandThroughput",
            "MaxReadRequestUnits",
            "MaxWriteRequestUnits",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_names_match_with_placeholders() {
        assert!(name_matches(
            "${Env}-ticket-reservation-orders",
            "ticket-reservation-orders"
        ));
        assert!(name_matches(
            "ticket-reservation-orders",
            "ticket-reservation-orders"
        ));
        assert!(name_matches(
            "ticket-reservation-orders-${Stage}",
            "ticket-reservation-orders"
        ));
        assert!(!name_matches(
            "ticket-reservation-outbox",
            "ticket-reservation-orders"
        ));
        assert!(!name_matches("${Env}-outbox", "ticket-reservation-orders"));
    }

    #[test]
    fn logical_ids() {
        assert_eq!(
            logical_id("ticket-reservation-orders"),
            "TicketReservationOrdersTable"
        );
    }
}
