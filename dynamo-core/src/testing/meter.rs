//! [`PartitionMeter`]: what every partition key value takes, billed the way DynamoDB bills it,
//! and in limiter mode throttled the way DynamoDB throttles it: the hot keys of a design, found
//! in a test instead of in production.
//!
//! The meter is a layer on the SDK client's HTTP connection ([`PartitionMeter::wrap`]): it
//! reads every request and response, looks up the items a write changes (before and after,
//! through the unmetered client) and bills:
//!
//! - a write: 1 write unit per KB of the item (the larger of before and after), per item; twice
//!   in a transaction; again on each global index whose key the item has, on the old index key
//!   too when it changes (an index entry moved is a delete and a put);
//! - a read: 1 read unit per 4 KB of the item read (strongly consistent), half of it
//!   (eventually consistent), twice in a transaction; a query per 4 KB of the items it returns.
//!
//! Items are sized by DynamoDB's rules (attribute names plus values: strings and binaries by
//! their bytes, numbers by one byte per two significant digits plus one, lists and maps 3 bytes
//! plus one per element plus their elements). Indexes are billed as if they projected every
//! attribute, and a query as if its filter kept every item it read: the meter errs on the hot
//! side.
//!
//! Time is real, or virtual: [`PartitionMeter::virtual_time`] declares a request rate and the
//! driver calls [`tick`](PartitionMeter::tick) once per request of the load it replays, so a
//! 2-core machine replays 30,000 requests per second exactly, only slower. Load is counted per
//! key and (virtual) second; the report gives each key's peak second against DynamoDB's limits
//! of 1,000 write units and 3,000 read units per partition key value and second.
//!
//! In limiter mode ([`PartitionMeter::limit`]) a request that would take a key over its limit in
//! the current second is answered as DynamoDB answers it, without reaching the table: a
//! `ThrottlingException` with its throttling reason, or, in a transaction, a
//! `TransactionCanceledException` with a `ThrottlingError` reason for that item.

use super::wire::{self, ConnectorResult};
use crate::mapping::size::number_size;
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// DynamoDB's limits per partition key value and second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Write units per second (DynamoDB: 1,000).
    pub write_units: f64,
    /// Read units per second (DynamoDB: 3,000).
    pub read_units: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            write_units: 1_000.0,
            read_units: 3_000.0,
        }
    }
}

/// Where load lands: a partition key value of a table or of one of its indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    /// The table's name.
    pub table: String,
    /// The index, or `None` for the table.
    pub index: Option<String>,
    /// The partition key value, as text (numbers as written, binaries base64).
    pub value: String,
}

impl fmt::Display for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.index {
            Some(index) => write!(f, "{} {} {}", self.table, index, self.value),
            None => write!(f, "{} {}", self.table, self.value),
        }
    }
}

/// What one partition key value took.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyLoad {
    /// The key.
    pub key: PartitionKey,
    /// Write units in all.
    pub write_units: f64,
    /// Read units in all.
    pub read_units: f64,
    /// Write units in its busiest second.
    pub peak_write_units: f64,
    /// Read units in its busiest second.
    pub peak_read_units: f64,
    /// Requests throttled on it (limiter mode).
    pub throttled: u64,
}

impl KeyLoad {
    /// The busiest second as a share of `limits`: the larger of writes and reads, 1.0 at the
    /// limit.
    pub fn peak_share(&self, limits: &Limits) -> f64 {
        (self.peak_write_units / limits.write_units).max(self.peak_read_units / limits.read_units)
    }
}

/// Every key's load, busiest first.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterReport {
    /// One entry per partition key value, by [`KeyLoad::peak_share`], busiest first.
    pub keys: Vec<KeyLoad>,
    /// The limits shares are measured against.
    pub limits: Limits,
    /// Seconds of (virtual or real) time the load spans.
    pub seconds: f64,
    /// Requests the meter saw.
    pub requests: u64,
    /// Requests it throttled.
    pub throttled: u64,
}

impl MeterReport {
    /// The busiest key, if any load was seen.
    pub fn hottest(&self) -> Option<&KeyLoad> {
        self.keys.first()
    }

    /// The busiest key of `table` (and `index`, `None` for the table itself).
    pub fn hottest_of(&self, table: &str, index: Option<&str>) -> Option<&KeyLoad> {
        self.keys
            .iter()
            .find(|k| k.key.table.ends_with(table) && k.key.index.as_deref() == index)
    }

    /// Write units on all keys.
    pub fn write_units(&self) -> f64 {
        self.keys.iter().map(|k| k.write_units).sum()
    }
}

impl fmt::Display for MeterReport {
    /// The `n` busiest keys as a Markdown table (`{:n}`; 10 without a width).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = f.width().unwrap_or(10);
        writeln!(
            f,
            "| table | index | partition key | peak WCU/s | peak RCU/s | of the limit |"
        )?;
        writeln!(f, "|---|---|---|---:|---:|---:|")?;
        for k in self.keys.iter().take(n) {
            writeln!(
                f,
                "| {} | {} | `{}` | {:.0} | {:.0} | {:.0} % |",
                k.key.table,
                k.key.index.as_deref().unwrap_or("-"),
                k.key.value,
                k.peak_write_units,
                k.peak_read_units,
                100.0 * k.peak_share(&self.limits)
            )?;
        }
        Ok(())
    }
}

/// A table's keys as DescribeTable gives them.
#[derive(Debug, Clone)]
struct Schema {
    partition: String,
    sort: Option<String>,
    /// Global indexes: name, partition key, sort key.
    indexes: Vec<(String, String, Option<String>)>,
}

/// Per key: units per second (index: the second), totals, throttles.
#[derive(Debug, Default)]
struct Tally {
    seconds: HashMap<u64, (f64, f64)>,
    write_units: f64,
    read_units: f64,
    throttled: u64,
}

#[derive(Debug)]
struct State {
    keys: HashMap<PartitionKey, Tally>,
    schemas: HashMap<String, Arc<Schema>>,
    started: Instant,
    /// Virtual time: ticks so far and ticks per second.
    ticks: u64,
    rate: Option<f64>,
    limits: Limits,
    limiting: bool,
    requests: u64,
    throttled: u64,
}

impl State {
    /// The (virtual or real) second load is counted in now.
    fn second(&self) -> u64 {
        self.now() as u64
    }

    fn now(&self) -> f64 {
        match self.rate {
            Some(rate) => self.ticks as f64 / rate,
            None => self.started.elapsed().as_secs_f64(),
        }
    }

    /// Whether `charges` fit every key's limit in the current second.
    fn fits(&self, charges: &[Charge]) -> Option<usize> {
        let second = self.second();
        let mut pending: HashMap<&PartitionKey, (f64, f64)> = HashMap::new();
        for (i, c) in charges.iter().enumerate() {
            let used = self
                .keys
                .get(&c.key)
                .and_then(|t| t.seconds.get(&second))
                .copied()
                .unwrap_or_default();
            let extra = pending.entry(&c.key).or_default();
            extra.0 += c.write_units;
            extra.1 += c.read_units;
            if used.0 + extra.0 > self.limits.write_units
                || used.1 + extra.1 > self.limits.read_units
            {
                return Some(i);
            }
        }
        None
    }

    fn bill(&mut self, charges: Vec<Charge>) {
        let second = self.second();
        for c in charges {
            let tally = self.keys.entry(c.key).or_default();
            let slot = tally.seconds.entry(second).or_default();
            slot.0 += c.write_units;
            slot.1 += c.read_units;
            tally.write_units += c.write_units;
            tally.read_units += c.read_units;
        }
    }
}

/// Units on one key, and which item of the request they belong to (a transaction's action).
#[derive(Debug, Clone)]
struct Charge {
    key: PartitionKey,
    write_units: f64,
    read_units: f64,
    /// The request's item (transaction action) the charge is for.
    action: usize,
}

/// The meter: clone it freely, every clone counts into the same tallies.
///
/// ```no_run
/// use dynamo_core::testing::{Emulator, PartitionMeter};
/// # use dynamo_core::{DynamoEntity, Table};
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "users")] struct User { #[pk] id: String }
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let db = Emulator::start().await?;
/// let name = db.create::<User>().await?.name().to_owned();
/// let meter = PartitionMeter::new();
/// let users = Table::<User>::new(&meter.wrap(db.client())).named(name);
/// users.put(User { id: "u1".into() }).send().await?;
/// let report = meter.report();
/// assert_eq!(report.hottest().map(|k| k.write_units), Some(1.0));
/// println!("{report:5}"); // the 5 busiest keys
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PartitionMeter {
    state: Arc<Mutex<State>>,
}

impl Default for PartitionMeter {
    fn default() -> Self {
        Self::new()
    }
}

impl PartitionMeter {
    /// A meter in real time, billing only.
    pub fn new() -> Self {
        PartitionMeter {
            state: Arc::new(Mutex::new(State {
                keys: HashMap::new(),
                schemas: HashMap::new(),
                started: Instant::now(),
                ticks: 0,
                rate: None,
                limits: Limits::default(),
                limiting: false,
                requests: 0,
                throttled: 0,
            })),
        }
    }

    /// Virtual time at `requests_per_second`: each [`tick`](Self::tick) is one request of the
    /// load replayed, and time is ticks divided by the rate.
    #[must_use]
    pub fn virtual_time(self, requests_per_second: f64) -> Self {
        self.with_state(|s| s.rate = Some(requests_per_second.max(f64::MIN_POSITIVE)));
        self
    }

    /// Limiter mode: requests over `limits` on a key in the current second are throttled.
    #[must_use]
    pub fn limit(self, limits: Limits) -> Self {
        self.with_state(|s| {
            s.limits = limits;
            s.limiting = true;
        });
        self
    }

    /// One request of the replayed load happened (virtual time).
    pub fn tick(&self) {
        self.with_state(|s| s.ticks += 1);
    }

    /// Forgets the load seen so far (the schemas learnt stay).
    pub fn reset(&self) {
        self.with_state(|s| {
            s.keys.clear();
            s.ticks = 0;
            s.requests = 0;
            s.throttled = 0;
            s.started = Instant::now();
        });
    }

    /// What every key took, busiest first.
    pub fn report(&self) -> MeterReport {
        self.with_state(|s| {
            let limits = s.limits;
            let mut keys: Vec<KeyLoad> = s
                .keys
                .iter()
                .map(|(key, t)| KeyLoad {
                    key: key.clone(),
                    write_units: t.write_units,
                    read_units: t.read_units,
                    peak_write_units: t.seconds.values().map(|v| v.0).fold(0.0, f64::max),
                    peak_read_units: t.seconds.values().map(|v| v.1).fold(0.0, f64::max),
                    throttled: t.throttled,
                })
                .collect();
            keys.sort_by(|a, b| {
                b.peak_share(&limits)
                    .total_cmp(&a.peak_share(&limits))
                    .then_with(|| a.key.cmp(&b.key))
            });
            MeterReport {
                keys,
                limits,
                seconds: s.now(),
                requests: s.requests,
                throttled: s.throttled,
            }
        })
    }

    /// `client` with the meter in its HTTP connection. Lookups (the items before and after a
    /// write, DescribeTable) go through `client` itself, unmetered.
    pub fn wrap(&self, client: &Client) -> Client {
        let http = MeteredClient {
            inner: wire::http_client_of(client),
            meter: self.clone(),
            lookup: client.clone(),
        };
        wire::with_http_client(client, http)
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state)
    }
}

#[derive(Debug, Clone)]
struct MeteredClient {
    inner: SharedHttpClient,
    meter: PartitionMeter,
    lookup: Client,
}

impl HttpClient for MeteredClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(MeteredConnector {
            inner: self.inner.http_connector(settings, components),
            meter: self.meter.clone(),
            lookup: self.lookup.clone(),
        })
    }
}

#[derive(Debug, Clone)]
struct MeteredConnector {
    inner: SharedHttpConnector,
    meter: PartitionMeter,
    lookup: Client,
}

impl HttpConnector for MeteredConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let this = self.clone();
        HttpConnectorFuture::new(async move { this.meter_call(request).await })
    }
}

impl MeteredConnector {
    async fn meter_call(self, request: HttpRequest) -> ConnectorResult {
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.strip_prefix("DynamoDB_20120810."))
            .map(str::to_owned);
        let body: Option<Value> = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok());
        let (Some(operation), Some(body)) = (operation, body) else {
            return self.inner.call(request).await;
        };
        let plan = Plan::of(&operation, &body);
        // The items a write changes, before it.
        let mut before = Vec::with_capacity(plan.writes.len());
        for w in &plan.writes {
            before.push(self.item(&w.table, &w.key).await);
        }
        // Limiter: predicted with what the items are now and what the request writes.
        let predicted = self.charges(&plan, &before, &plan.new_items(), None).await;
        let throttle = self.meter.with_state(|s| {
            s.requests += 1;
            if !s.limiting {
                return None;
            }
            let over = s.fits(&predicted)?;
            s.throttled += 1;
            let charge = &predicted[over];
            s.keys.entry(charge.key.clone()).or_default().throttled += 1;
            Some(charge.clone())
        });
        if let Some(charge) = throttle {
            return throttled(&operation, &plan, &charge);
        }
        let response = self.inner.call(request).await?;
        let (response, answer) = read_json(response).await;
        if !response.status().is_success() {
            return Ok(response);
        }
        let after = if plan.writes.is_empty() {
            Vec::new()
        } else {
            let mut after = Vec::with_capacity(plan.writes.len());
            for w in &plan.writes {
                after.push(self.item(&w.table, &w.key).await);
            }
            after
        };
        let charges = self.charges(&plan, &before, &after, answer.as_ref()).await;
        self.meter.with_state(|s| s.bill(charges));
        Ok(response)
    }

    /// The item at `key` now (consistent read through the unmetered client); `key` may be a
    /// whole item (a put's).
    async fn item(&self, table: &str, key: &Map<String, Value>) -> Option<Map<String, Value>> {
        let schema = self.schema(table).await?;
        let key = [Some(&schema.partition), schema.sort.as_ref()]
            .into_iter()
            .flatten()
            .map(|k| Some((k.clone(), to_attribute(key.get(k)?)?)))
            .collect::<Option<HashMap<_, _>>>()?;
        let out = self
            .lookup
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .ok()?;
        out.item.map(|item| {
            item.iter()
                .map(|(k, v)| (k.clone(), from_attribute(v)))
                .collect()
        })
    }

    async fn schema(&self, table: &str) -> Option<Arc<Schema>> {
        if let Some(s) = self.meter.with_state(|s| s.schemas.get(table).cloned()) {
            return Some(s);
        }
        let described = self
            .lookup
            .describe_table()
            .table_name(table)
            .send()
            .await
            .ok()?
            .table?;
        let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
            let name = |t: aws_sdk_dynamodb::types::KeyType| {
                schema
                    .iter()
                    .find(|k| k.key_type == t)
                    .map(|k| k.attribute_name.clone())
            };
            (
                name(aws_sdk_dynamodb::types::KeyType::Hash),
                name(aws_sdk_dynamodb::types::KeyType::Range),
            )
        };
        let (partition, sort) = keys(described.key_schema());
        let indexes = described
            .global_secondary_indexes()
            .iter()
            .filter_map(|i| {
                let (p, s) = keys(i.key_schema());
                Some((i.index_name()?.to_owned(), p?, s))
            })
            .collect();
        let schema = Arc::new(Schema {
            partition: partition?,
            sort,
            indexes,
        });
        self.meter.with_state(|s| {
            s.schemas.insert(table.to_owned(), schema.clone());
        });
        Some(schema)
    }

    /// What the request costs on which keys.
    async fn charges(
        &self,
        plan: &Plan,
        before: &[Option<Map<String, Value>>],
        after: &[Option<Map<String, Value>>],
        answer: Option<&Value>,
    ) -> Vec<Charge> {
        let mut out = Vec::new();
        for (i, w) in plan.writes.iter().enumerate() {
            let Some(schema) = self.schema(&w.table).await else {
                continue;
            };
            let (old, new) = (
                before.get(i).and_then(Option::as_ref),
                after.get(i).and_then(Option::as_ref),
            );
            let size = old.map_or(0, item_size).max(new.map_or(0, item_size));
            let units = write_units(size) * plan.factor;
            let Some(pk) = w.key.get(&schema.partition) else {
                continue;
            };
            out.push(Charge {
                key: key(&w.table, None, pk),
                write_units: units,
                read_units: 0.0,
                action: w.action,
            });
            for (index, ipk, isk) in &schema.indexes {
                fn index_key<'i>(
                    item: Option<&'i Map<String, Value>>,
                    pk: &str,
                    sk: Option<&String>,
                ) -> Option<(&'i Value, Option<&'i Value>)> {
                    let item = item?;
                    let p = item.get(pk)?;
                    let s = match sk {
                        Some(sk) => Some(item.get(sk)?),
                        None => None,
                    };
                    Some((p, s))
                }
                let (was, is) = (
                    index_key(old, ipk, isk.as_ref()),
                    index_key(new, ipk, isk.as_ref()),
                );
                let mut bill = |p: &Value, units: f64| {
                    out.push(Charge {
                        key: key(&w.table, Some(index), p),
                        write_units: units,
                        read_units: 0.0,
                        action: w.action,
                    });
                };
                match (was, is) {
                    (Some(a), Some(b)) if a == b => {
                        bill(b.0, write_units(new.map_or(0, item_size)))
                    }
                    (was, is) => {
                        if let Some((p, _)) = was {
                            bill(p, write_units(old.map_or(0, item_size)));
                        }
                        if let Some((p, _)) = is {
                            bill(p, write_units(new.map_or(0, item_size)));
                        }
                    }
                }
            }
        }
        for r in &plan.reads {
            let Some(schema) = self.schema(&r.table).await else {
                continue;
            };
            let partition = match &r.index {
                None => Some(schema.partition.as_str()),
                Some(index) => schema
                    .indexes
                    .iter()
                    .find(|(name, _, _)| name == index)
                    .map(|(_, p, _)| p.as_str()),
            };
            let Some(pk) = partition.and_then(|p| r.key.get(p)) else {
                continue;
            };
            let bytes: usize = match (answer, r.kind) {
                (Some(answer), ReadKind::Get) => answer
                    .get("Item")
                    .and_then(Value::as_object)
                    .map_or(0, item_size),
                (Some(answer), ReadKind::Query) => answer
                    .get("Items")
                    .and_then(Value::as_array)
                    .map_or(0, |items| {
                        items
                            .iter()
                            .filter_map(Value::as_object)
                            .map(item_size)
                            .sum()
                    }),
                (Some(answer), ReadKind::BatchGet) => batch_item_size(answer, &r.table, &r.key),
                // Before the request (the limiter's prediction): one unit.
                (None, _) => 1,
            };
            let units = read_units(bytes) * if r.consistent { 1.0 } else { 0.5 } * plan.factor;
            out.push(Charge {
                key: key(&r.table, r.index.as_deref(), pk),
                write_units: 0.0,
                read_units: units,
                action: r.action,
            });
        }
        out
    }
}

/// A write's table and key, and its place in the request.
#[derive(Debug)]
struct WriteOf {
    table: String,
    key: Map<String, Value>,
    /// The whole new item, for a put.
    item: Option<Map<String, Value>>,
    action: usize,
}

#[derive(Debug, Clone, Copy)]
enum ReadKind {
    Get,
    Query,
    BatchGet,
}

#[derive(Debug)]
struct ReadOf {
    table: String,
    index: Option<String>,
    /// The key (a get) or the key condition's values by attribute (a query).
    key: Map<String, Value>,
    consistent: bool,
    kind: ReadKind,
    action: usize,
}

/// What a request reads and writes.
#[derive(Debug, Default)]
struct Plan {
    writes: Vec<WriteOf>,
    reads: Vec<ReadOf>,
    /// 2 in a transaction.
    factor: f64,
    transaction: bool,
}

impl Plan {
    fn of(operation: &str, body: &Value) -> Self {
        let mut plan = Plan {
            factor: 1.0,
            ..Plan::default()
        };
        let table = |v: &Value| {
            v.get("TableName")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let object = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_default();
        let consistent = |v: &Value| v.get("ConsistentRead").and_then(Value::as_bool) == Some(true);
        match operation {
            "PutItem" | "UpdateItem" | "DeleteItem" => {
                plan.writes.push(write_of(operation, body, 0))
            }
            "GetItem" => plan.reads.push(ReadOf {
                table: table(body),
                index: None,
                key: object(body.get("Key")),
                consistent: consistent(body),
                kind: ReadKind::Get,
                action: 0,
            }),
            "Query" => plan.reads.push(ReadOf {
                table: table(body),
                index: body
                    .get("IndexName")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                key: query_key(body),
                consistent: consistent(body),
                kind: ReadKind::Query,
                action: 0,
            }),
            "TransactWriteItems" => {
                plan.factor = 2.0;
                plan.transaction = true;
                let items = body.get("TransactItems").and_then(Value::as_array);
                for (i, action) in items.into_iter().flatten().enumerate() {
                    let Some((kind, inner)) = action.as_object().and_then(|o| o.iter().next())
                    else {
                        continue;
                    };
                    let operation = match kind.as_str() {
                        "Put" => "PutItem",
                        "Update" => "UpdateItem",
                        "Delete" => "DeleteItem",
                        _ => "ConditionCheck",
                    };
                    plan.writes.push(write_of(operation, inner, i));
                }
            }
            "BatchWriteItem" => {
                let tables = body.get("RequestItems").and_then(Value::as_object);
                let mut i = 0;
                for (name, requests) in tables.into_iter().flatten() {
                    for request in requests.as_array().into_iter().flatten() {
                        let (operation, inner) =
                            match (request.get("PutRequest"), request.get("DeleteRequest")) {
                                (Some(put), _) => ("PutItem", put),
                                (_, Some(delete)) => ("DeleteItem", delete),
                                _ => continue,
                            };
                        let mut w = write_of(operation, inner, i);
                        w.table = name.clone();
                        plan.writes.push(w);
                        i += 1;
                    }
                }
            }
            "BatchGetItem" => {
                let tables = body.get("RequestItems").and_then(Value::as_object);
                let mut i = 0;
                for (name, request) in tables.into_iter().flatten() {
                    for key in request
                        .get("Keys")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        plan.reads.push(ReadOf {
                            table: name.clone(),
                            index: None,
                            key: object(Some(key)),
                            consistent: consistent(request),
                            kind: ReadKind::BatchGet,
                            action: i,
                        });
                        i += 1;
                    }
                }
            }
            _ => {}
        }
        plan
    }

    /// The items the writes leave, as far as the request says (puts whole, others unknown).
    fn new_items(&self) -> Vec<Option<Map<String, Value>>> {
        self.writes.iter().map(|w| w.item.clone()).collect()
    }
}

fn write_of(operation: &str, body: &Value, action: usize) -> WriteOf {
    let table = body
        .get("TableName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let item = body.get("Item").and_then(Value::as_object).cloned();
    let key = match (operation, &item) {
        // A put's key is in its item: the whole item, trimmed to the key when the schema is known.
        ("PutItem", Some(item)) => item.clone(),
        _ => body
            .get("Key")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    };
    WriteOf {
        table,
        key,
        item: if operation == "PutItem" { item } else { None },
        action,
    }
}

/// A query's key condition values, by attribute: `#pk = :pk` read through the placeholders.
fn query_key(body: &Value) -> Map<String, Value> {
    let condition = body
        .get("KeyConditionExpression")
        .and_then(Value::as_str)
        .unwrap_or("");
    let names = body
        .get("ExpressionAttributeNames")
        .and_then(Value::as_object);
    let values = body
        .get("ExpressionAttributeValues")
        .and_then(Value::as_object);
    let mut out = Map::new();
    // The partition key's clause is `name = :value`, always an equality, first or after AND.
    for clause in condition.split(" AND ").chain(condition.split(" and ")) {
        let Some((name, value)) = clause.split_once('=') else {
            continue;
        };
        let (name, value) = (
            name.trim().trim_start_matches('('),
            value.trim().trim_end_matches(')'),
        );
        if name.contains(['<', '>']) || value.starts_with('=') {
            continue;
        }
        let name = match name.strip_prefix('#') {
            Some(_) => names
                .and_then(|n| n.get(name))
                .and_then(Value::as_str)
                .unwrap_or(name),
            None => name,
        };
        if let Some(v) = values.and_then(|v| v.get(value)) {
            out.insert(name.to_owned(), v.clone());
        }
    }
    out
}

/// The size of the item a batch get returned for `key`.
fn batch_item_size(answer: &Value, table: &str, key: &Map<String, Value>) -> usize {
    answer
        .get("Responses")
        .and_then(|r| r.get(table))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .find(|item| key.iter().all(|(k, v)| item.get(k) == Some(v)))
        .map_or(0, item_size)
}

fn key(table: &str, index: Option<&str>, value: &Value) -> PartitionKey {
    let text = value
        .as_object()
        .and_then(|o| o.values().next())
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    PartitionKey {
        table: table.to_owned(),
        index: index.map(str::to_owned),
        value: text,
    }
}

/// Write units of an item of `bytes`: 1 per KB, at least 1.
fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Read units of `bytes` read strongly consistently: 1 per 4 KB, at least 1.
fn read_units(bytes: usize) -> f64 {
    bytes.div_ceil(4096).max(1) as f64
}

/// An item's size by DynamoDB's rules: attribute names plus values.
fn item_size(item: &Map<String, Value>) -> usize {
    item.iter()
        .map(|(name, v)| name.len() + value_size(v))
        .sum()
}

fn value_size(value: &Value) -> usize {
    let Some((kind, v)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    match (kind.as_str(), v) {
        ("S", Value::String(s)) => s.len(),
        ("B", Value::String(b)) => raw_len(b),
        ("N", Value::String(n)) => number_size(n),
        ("BOOL" | "NULL", _) => 1,
        ("SS", Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::len).sum(),
        ("BS", Value::Array(items)) => items.iter().filter_map(Value::as_str).map(raw_len).sum(),
        ("NS", Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(number_size)
            .sum(),
        ("L", Value::Array(items)) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        ("M", Value::Object(map)) => {
            3 + map
                .iter()
                .map(|(name, v)| 1 + name.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// The raw length of a binary the wire carries in base64: DynamoDB counts its bytes.
fn raw_len(base64: &str) -> usize {
    let padding = base64.bytes().rev().take_while(|b| *b == b'=').count();
    (base64.len() / 4 * 3).saturating_sub(padding)
}

/// The response's body, read into memory, and the response rebuilt around it.
async fn read_json(response: HttpResponse) -> (HttpResponse, Option<Value>) {
    let (status, headers, bytes) = wire::read_body(response).await;
    let json = serde_json::from_slice(&bytes).ok();
    let mut rebuilt = HttpResponse::new(status, SdkBody::from(bytes));
    *rebuilt.headers_mut() = headers;
    (rebuilt, json)
}

/// DynamoDB's answer to a request over a key's limit.
fn throttled(operation: &str, plan: &Plan, charge: &Charge) -> ConnectorResult {
    let write = charge.write_units > 0.0;
    let resource = match &charge.key.index {
        Some(index) => format!(
            "arn:aws:dynamodb:local:000000000000:table/{}/index/{index}",
            charge.key.table
        ),
        None => format!(
            "arn:aws:dynamodb:local:000000000000:table/{}",
            charge.key.table
        ),
    };
    let reason = format!(
        "{}{}KeyRangeThroughputExceeded",
        if charge.key.index.is_some() {
            "Index"
        } else {
            "Table"
        },
        if write { "Write" } else { "Read" }
    );
    let body = if plan.transaction && operation == "TransactWriteItems" {
        let failing = plan.writes.iter().position(|w| w.action == charge.action);
        wire::canceled(
            plan.writes.len(),
            failing,
            "ThrottlingError",
            wire::THROTTLED_IN_TRANSACTION,
        )
    } else {
        wire::throttling_exception(&reason, &resource)
    };
    wire::respond(400, body.to_string())
}

fn to_attribute(value: &Value) -> Option<aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let (kind, v) = value.as_object()?.iter().next()?;
    Some(match (kind.as_str(), v) {
        ("S", Value::String(s)) => A::S(s.clone()),
        ("N", Value::String(n)) => A::N(n.clone()),
        ("B", Value::String(b)) => {
            use base64::Engine as _;
            A::B(aws_sdk_dynamodb::primitives::Blob::new(
                base64::engine::general_purpose::STANDARD.decode(b).ok()?,
            ))
        }
        _ => return None,
    })
}

fn from_attribute(value: &aws_sdk_dynamodb::types::AttributeValue) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    use serde_json::json;
    match value {
        A::S(s) => json!({"S": s}),
        A::N(n) => json!({"N": n}),
        A::B(b) => {
            use base64::Engine as _;
            json!({"B": base64::engine::general_purpose::STANDARD.encode(b.as_ref())})
        }
        A::Bool(b) => json!({"BOOL": b}),
        A::Null(_) => json!({"NULL": true}),
        A::Ss(v) => json!({"SS": v}),
        A::Ns(v) => json!({"NS": v}),
        A::Bs(v) => {
            use base64::Engine as _;
            let v: Vec<String> = v
                .iter()
                .map(|b| base64::engine::general_purpose::STANDARD.encode(b.as_ref()))
                .collect();
            json!({"BS": v})
        }
        A::L(items) => json!({"L": items.iter().map(from_attribute).collect::<Vec<_>>()}),
        A::M(map) => {
            let map: Map<String, Value> = map
                .iter()
                .map(|(k, v)| (k.clone(), from_attribute(v)))
                .collect();
            json!({"M": map})
        }
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_count_their_raw_bytes_not_their_base64() {
        assert_eq!(raw_len("AAAA"), 3);
        assert_eq!(raw_len("AAA="), 2);
        assert_eq!(raw_len("AA=="), 1);
        assert_eq!(raw_len(""), 0);
    }
    use serde_json::json;

    #[test]
    fn items_are_sized_by_dynamodb_rules() {
        let item = json!({
            "pk": {"S": "EVENT#e1"},
            "n": {"N": "12300"},
            "ok": {"BOOL": true},
            "tags": {"L": [{"S": "a"}, {"S": "bc"}]},
        });
        let item = item.as_object().expect("an object");
        // pk 2+8, n 1+(3 digits: 2+1), ok 2+1, tags 4+3+(1+1)+(1+2)
        assert_eq!(item_size(item), 10 + 4 + 3 + 12);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(read_units(0), 1.0);
        assert_eq!(read_units(4097), 2.0);
    }

    #[test]
    fn a_query_names_its_partition() {
        let body = json!({
            "KeyConditionExpression": "#k0 = :v0 AND begins_with(#k1, :v1)",
            "ExpressionAttributeNames": {"#k0": "pk", "#k1": "sk"},
            "ExpressionAttributeValues": {":v0": {"S": "EVENT#e1"}, ":v1": {"S": "SEAT#"}},
        });
        let key = query_key(&body);
        assert_eq!(key.get("pk"), Some(&json!({"S": "EVENT#e1"})));
    }
}
