//! [`Faults`]: DynamoDB's failures on demand, in front of a real server.
//!
//! The emulator answers every request as DynamoDB does on a good day. DynamoDB also throttles,
//! cancels transactions on conflicts, leaves batch items unprocessed, fails with 500 and 503,
//! and sometimes applies a write whose answer never arrives. [`Faults`] sits in the SDK client's
//! HTTP connection ([`Faults::wrap`]) and makes the requests its [`Rule`]s choose fail in those
//! ways: the answer is DynamoDB's own wire format (error types, `ThrottlingReasons`,
//! `CancellationReasons`, `UnprocessedItems`), so the SDK's retries and the library's
//! classification run exactly as they would in production. Every other request reaches the
//! server untouched.
//!
//! Rules are scripted ("the 3rd PutItem on table `seats`", "the first two BatchWriteItem") or
//! random at a rate, reproducible by the seed ([`Faults::seeded`]). [`Faults::injected`] says
//! what was injected, so a test can assert that the path it means to test was taken.
//!
//! Faults that answer in place of the server need nothing of it. [`Fault::Unprocessed`]
//! rewrites the request it forwards (some items taken out) and [`Fault::LostAnswer`] forwards
//! the request whole; the rewritten request keeps its signature, so it needs a server that does
//! not verify signatures (moto and DynamoDB Local do not).

use super::wire::{self, ConnectorResult};
use crate::error::Operation;
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use serde_json::{Map, Value, json};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// A way DynamoDB fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// `ProvisionedThroughputExceededException` (400) with its `ThrottlingReasons`
    /// (`TableReadProvisionedThroughputExceeded` or `TableWriteProvisionedThroughputExceeded`
    /// and the table's ARN). Not applied.
    ProvisionedThroughputExceeded,
    /// `ThrottlingException` (400) with its `throttlingReasons` (a key range of the table over
    /// its read or write limit: `TableReadKeyRangeThroughputExceeded`,
    /// `TableWriteKeyRangeThroughputExceeded`). In a transaction: `TransactionCanceledException`
    /// with a `ThrottlingError` reason for one item. Not applied.
    Throttling,
    /// A transaction canceled with a `TransactionConflict` reason for one item (another
    /// transaction holds it); a single-item write answered `TransactionConflictException`. Not
    /// applied.
    TransactionConflict,
    /// BatchGetItem and BatchWriteItem: half of each table's items (the later half, at least
    /// one) is taken out of the request and handed back as `UnprocessedKeys`/`UnprocessedItems`;
    /// the rest is applied. Other operations are not touched.
    Unprocessed,
    /// `InternalServerError` (500). Not applied.
    InternalServerError,
    /// 503 Service Unavailable. Not applied.
    ServiceUnavailable,
    /// The request is applied by the server and its answer is lost: the client sees a timeout
    /// (and, with retries, sends it again). The worst one for a write: it happened, and the
    /// caller does not know.
    LostAnswer,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::ProvisionedThroughputExceeded => "ProvisionedThroughputExceeded",
            Fault::Throttling => "Throttling",
            Fault::TransactionConflict => "TransactionConflict",
            Fault::Unprocessed => "Unprocessed",
            Fault::InternalServerError => "InternalServerError",
            Fault::ServiceUnavailable => "ServiceUnavailable",
            Fault::LostAnswer => "LostAnswer",
        })
    }
}

/// Which requests a [`Fault`] is injected into: those of some operations, on some tables, the
/// nth of them, the first few, or at random at a rate.
///
/// ```
/// use dynamo_core::error::Operation;
/// use dynamo_core::testing::{Fault, Rule};
///
/// // The 3rd PutItem on a table whose name ends in "seats".
/// let third = Rule::new(Fault::Throttling).operation(Operation::PutItem).table("seats").nth(3);
/// // One TransactWriteItems in ten, at most 5 times, answered late: applied, answer lost.
/// let lost = Rule::new(Fault::LostAnswer).operation(Operation::TransactWriteItems).rate(0.1).limit(5);
/// ```
#[derive(Debug, Clone)]
pub struct Rule {
    fault: Fault,
    operations: Vec<Operation>,
    table: Option<String>,
    mentioning: Option<String>,
    when: When,
    limit: Option<usize>,
    /// Requests this rule matched so far, and faults it injected.
    matched: usize,
    injected: usize,
}

#[derive(Debug, Clone, Copy)]
enum When {
    Always,
    Nth(usize),
    First(usize),
    Rate(f64),
}

impl Rule {
    /// Injects `fault` into every request of every operation, until narrowed.
    pub fn new(fault: Fault) -> Self {
        Rule {
            fault,
            operations: Vec::new(),
            table: None,
            mentioning: None,
            when: When::Always,
            limit: None,
            matched: 0,
            injected: 0,
        }
    }

    /// Only requests of `operation` (call again to add more operations).
    pub fn operation(mut self, operation: Operation) -> Self {
        self.operations.push(operation);
        self
    }

    /// Only requests that touch a table whose name ends with `name` (so a test's prefix does not
    /// matter); in a transaction, the first item on that table is the one that fails.
    pub fn table(mut self, name: impl Into<String>) -> Self {
        self.table = Some(name.into());
        self
    }

    /// Only requests whose body mentions `text` (a key value, an id): the requests about one
    /// item, however often they are retried.
    pub fn mentioning(mut self, text: impl Into<String>) -> Self {
        self.mentioning = Some(text.into());
        self
    }

    /// Only the `n`th matching request (counted from 1).
    pub fn nth(mut self, n: usize) -> Self {
        self.when = When::Nth(n);
        self
    }

    /// Only the first `n` matching requests.
    pub fn first(mut self, n: usize) -> Self {
        self.when = When::First(n);
        self
    }

    /// Each matching request with probability `rate` (0 to 1), drawn from the seed of the
    /// [`Faults`] it is added to.
    pub fn rate(mut self, rate: f64) -> Self {
        self.when = When::Rate(rate.clamp(0.0, 1.0));
        self
    }

    /// At most `n` injections by this rule.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    fn matches(&self, request: &Request) -> bool {
        (self.operations.is_empty()
            || self
                .operations
                .iter()
                .any(|o| o.as_str() == request.operation))
            && self
                .table
                .as_ref()
                .is_none_or(|t| request.tables.iter().any(|name| name.ends_with(t.as_str())))
            && self
                .mentioning
                .as_ref()
                .is_none_or(|text| request.text.contains(text.as_str()))
            && (self.fault != Fault::Unprocessed
                || matches!(
                    request.operation.as_str(),
                    "BatchGetItem" | "BatchWriteItem"
                ))
    }

    /// Counts a matching request and says whether this one fails.
    fn fires(&mut self, rng: &mut fastrand::Rng) -> bool {
        self.matched += 1;
        if self.limit.is_some_and(|l| self.injected >= l) {
            return false;
        }
        let fire = match self.when {
            When::Always => true,
            When::Nth(n) => self.matched == n,
            When::First(n) => self.matched <= n,
            When::Rate(rate) => rng.f64() < rate,
        };
        self.injected += usize::from(fire);
        fire
    }
}

/// A fault that was injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    /// The fault.
    pub fault: Fault,
    /// The operation, e.g. `"PutItem"`.
    pub operation: String,
    /// The tables the request touched.
    pub tables: Vec<String>,
}

/// DynamoDB's failures, injected into chosen requests of the clients it [wraps](Faults::wrap).
///
/// ```
/// use dynamo_core::error::{ErrorKind, Operation};
/// use dynamo_core::testing::{Emulator, Fault, Faults, Rule};
/// # use dynamo_core::DynamoEntity;
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "users")] struct User { #[pk] id: String }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = Emulator::start().await?;
/// db.create::<User>().await?;
/// let faults = Faults::seeded(7)
///     // Every PutItem throttled: more than the client's three attempts.
///     .rule(Rule::new(Fault::Throttling).operation(Operation::PutItem))
///     // The first GetItem's answer lost: the SDK's retry reads it again.
///     .rule(Rule::new(Fault::LostAnswer).operation(Operation::GetItem).first(1));
/// let users = db.with_faults(&faults).table::<User>();
///
/// let err = users.put(User { id: "u1".into() }).send().await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Throttled);
/// assert_eq!(users.get(UserKey::new("u1")).send().await?.map(|u| u.id), None);
/// assert_eq!(faults.injected_of(Fault::Throttling), 3);
/// assert_eq!(faults.injected_of(Fault::LostAnswer), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Faults {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    rng: fastrand::Rng,
    seed: u64,
    rules: Vec<Rule>,
    injected: Vec<Injected>,
}

impl Faults {
    /// Faults whose random draws follow `seed`: the same seed and the same requests inject the
    /// same faults.
    pub fn seeded(seed: u64) -> Self {
        Faults {
            state: Arc::new(Mutex::new(State {
                rng: fastrand::Rng::with_seed(seed),
                seed,
                rules: Vec::new(),
                injected: Vec::new(),
            })),
        }
    }

    /// Adds a rule. A request is failed by the first rule that fires for it.
    pub fn rule(self, rule: Rule) -> Self {
        self.add(rule);
        self
    }

    /// Adds a rule to faults already in use (e.g. once a test's set-up is done).
    pub fn add(&self, rule: Rule) {
        self.with_state(|s| s.rules.push(rule));
    }

    /// Removes every rule: requests reach the server untouched from now on.
    pub fn clear(&self) {
        self.with_state(|s| s.rules.clear());
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.with_state(|s| s.seed)
    }

    /// Every fault injected so far, in order.
    pub fn injected(&self) -> Vec<Injected> {
        self.with_state(|s| s.injected.clone())
    }

    /// How many times `fault` was injected.
    pub fn injected_of(&self, fault: Fault) -> usize {
        self.with_state(|s| s.injected.iter().filter(|i| i.fault == fault).count())
    }

    /// `client` with these faults in its HTTP connection.
    pub fn wrap(&self, client: &Client) -> Client {
        let http = FaultyClient {
            inner: wire::http_client_of(client),
            faults: self.clone(),
        };
        wire::with_http_client(client, http)
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The fault for this request and the table its rule names, if a rule fires.
    fn choose(&self, request: &Request) -> Option<(Fault, Option<String>)> {
        self.with_state(|s| {
            let State {
                rng,
                rules,
                injected,
                ..
            } = s;
            let (fault, table) = rules
                .iter_mut()
                .filter(|r| r.matches(request))
                .find_map(|r| r.fires(rng).then(|| (r.fault, r.table.clone())))?;
            injected.push(Injected {
                fault,
                operation: request.operation.clone(),
                tables: request.tables.clone(),
            });
            Some((fault, table))
        })
    }
}

/// What a request is: its operation, its tables, and the table of the item a transaction
/// fault names.
struct Request {
    operation: String,
    tables: Vec<String>,
    body: Value,
    text: String,
}

impl Request {
    fn read(request: &HttpRequest) -> Option<Self> {
        let operation = request
            .headers()
            .get("x-amz-target")?
            .strip_prefix("DynamoDB_20120810.")?
            .to_owned();
        let text = String::from_utf8(request.body().bytes()?.to_vec()).ok()?;
        let body: Value = serde_json::from_str(&text).ok()?;
        let mut tables = Vec::new();
        if let Some(name) = body.get("TableName").and_then(Value::as_str) {
            tables.push(name.to_owned());
        }
        if let Some(items) = body.get("RequestItems").and_then(Value::as_object) {
            tables.extend(items.keys().cloned());
        }
        for item in transact_items(&body) {
            if let Some(name) = item_table(item)
                && !tables.iter().any(|t| t == name)
            {
                tables.push(name.to_owned());
            }
        }
        Some(Request {
            operation,
            tables,
            body,
            text,
        })
    }

    fn is_read(&self) -> bool {
        matches!(
            self.operation.as_str(),
            "GetItem" | "Query" | "Scan" | "BatchGetItem" | "TransactGetItems"
        )
    }

    fn is_transaction(&self) -> bool {
        matches!(
            self.operation.as_str(),
            "TransactWriteItems" | "TransactGetItems"
        )
    }
}

fn transact_items(body: &Value) -> impl Iterator<Item = &Value> {
    body.get("TransactItems")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn item_table(item: &Value) -> Option<&str> {
    item.as_object()?
        .values()
        .find_map(|action| action.get("TableName")?.as_str())
}

#[derive(Debug, Clone)]
struct FaultyClient {
    inner: SharedHttpClient,
    faults: Faults,
}

impl HttpClient for FaultyClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            faults: self.faults.clone(),
        })
    }
}

#[derive(Debug, Clone)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    faults: Faults,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let this = self.clone();
        HttpConnectorFuture::new(async move { this.send(request).await })
    }
}

impl FaultyConnector {
    async fn send(self, mut request: HttpRequest) -> ConnectorResult {
        let Some(parsed) = Request::read(&request) else {
            return self.inner.call(request).await;
        };
        let Some((fault, table)) = self.faults.choose(&parsed) else {
            return self.inner.call(request).await;
        };
        match fault {
            Fault::LostAnswer => {
                // Applied, then lost: the answer is read whole before it is dropped.
                let response = self.inner.call(request).await?;
                let _ = wire::read_body(response).await;
                Err(ConnectorError::timeout(
                    "injected fault: the request was applied and its answer lost".into(),
                ))
            }
            Fault::Unprocessed => {
                let (forwarded, unprocessed) = split_batch(&parsed);
                let unprocessed_field = if parsed.operation == "BatchGetItem" {
                    "UnprocessedKeys"
                } else {
                    "UnprocessedItems"
                };
                let mut answer = if forwarded.as_object().is_some_and(Map::is_empty) {
                    // Nothing left to apply: the answer DynamoDB gives to an empty remainder.
                    if parsed.operation == "BatchGetItem" {
                        json!({"Responses": {}})
                    } else {
                        json!({})
                    }
                } else {
                    let mut body = parsed.body.clone();
                    body["RequestItems"] = forwarded;
                    let bytes = body.to_string().into_bytes();
                    request
                        .headers_mut()
                        .insert("content-length", bytes.len().to_string());
                    *request.body_mut() = SdkBody::from(bytes);
                    let response = self.inner.call(request).await?;
                    let (status, _, bytes) = wire::read_body(response).await;
                    if !status.is_success() {
                        return wire::respond(status.as_u16(), bytes);
                    }
                    serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({}))
                };
                merge_unprocessed(&mut answer, unprocessed_field, unprocessed);
                wire::respond(200, answer.to_string())
            }
            _ => respond_with(fault, &parsed, table.as_deref()),
        }
    }
}

/// The request items split in two: those forwarded (each table's earlier half) and those
/// handed back (its later half, at least one).
fn split_batch(request: &Request) -> (Value, Map<String, Value>) {
    let mut forwarded = Map::new();
    let mut unprocessed = Map::new();
    let Some(items) = request.body.get("RequestItems").and_then(Value::as_object) else {
        return (Value::Object(forwarded), unprocessed);
    };
    for (table, entry) in items {
        // BatchWriteItem: a list of requests; BatchGetItem: KeysAndAttributes with `Keys`.
        let (list, rebuild): (&[Value], &dyn Fn(Vec<Value>) -> Value) = match entry {
            Value::Array(list) => (list, &Value::Array),
            Value::Object(keys) => {
                let list = keys.get("Keys").and_then(Value::as_array);
                (list.map_or(&[][..], Vec::as_slice), &|ks: Vec<Value>| {
                    let mut with = entry.clone();
                    with["Keys"] = Value::Array(ks);
                    with
                })
            }
            _ => continue,
        };
        let keep = list.len() / 2;
        if keep > 0 {
            forwarded.insert(table.clone(), rebuild(list[..keep].to_vec()));
        }
        if keep < list.len() {
            unprocessed.insert(table.clone(), rebuild(list[keep..].to_vec()));
        }
    }
    (Value::Object(forwarded), unprocessed)
}

fn merge_unprocessed(answer: &mut Value, field: &str, unprocessed: Map<String, Value>) {
    let Some(answer) = answer.as_object_mut() else {
        return;
    };
    let target = answer
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Some(target) = target.as_object_mut() else {
        return;
    };
    for (table, entry) in unprocessed {
        match (target.get_mut(&table), entry) {
            (Some(Value::Array(have)), Value::Array(more)) => have.extend(more),
            (Some(Value::Object(have)), Value::Object(more)) => {
                if let (Some(Value::Array(keys)), Some(Value::Array(more))) =
                    (have.get_mut("Keys"), more.get("Keys"))
                {
                    keys.extend(more.iter().cloned());
                }
            }
            (_, entry) => {
                target.insert(table, entry);
            }
        }
    }
}

/// DynamoDB's answer for a fault that is not applied.
fn respond_with(fault: Fault, request: &Request, table: Option<&str>) -> ConnectorResult {
    let throttled = request.tables.first().map_or("unknown", String::as_str);
    let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{throttled}");
    let read_or_write = if request.is_read() { "Read" } else { "Write" };
    let (status, body) = match fault {
        Fault::Throttling | Fault::TransactionConflict if request.is_transaction() => {
            let (code, message) = if fault == Fault::Throttling {
                ("ThrottlingError", wire::THROTTLED_IN_TRANSACTION)
            } else {
                ("TransactionConflict", "Transaction is ongoing for the item")
            };
            (400, canceled(request, table, code, message))
        }
        Fault::Throttling => (
            400,
            wire::throttling_exception(
                &format!("Table{read_or_write}KeyRangeThroughputExceeded"),
                &arn,
            ),
        ),
        Fault::ProvisionedThroughputExceeded => (
            400,
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
                "ThrottlingReasons": [{"reason": format!("Table{read_or_write}ProvisionedThroughputExceeded"), "resource": arn}],
            }),
        ),
        Fault::TransactionConflict => (
            400,
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionConflictException",
                "message": "Transaction is ongoing for the item",
            }),
        ),
        Fault::InternalServerError => (
            500,
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                "message": "Internal server error",
            }),
        ),
        Fault::ServiceUnavailable | Fault::Unprocessed | Fault::LostAnswer => (
            503,
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#ServiceUnavailable",
                "message": "Service unavailable",
            }),
        ),
    };
    wire::respond(status, body.to_string())
}

/// `TransactionCanceledException` with `code` for the first item on the rule's table (the
/// first item when the rule names none) and `None` for the others.
fn canceled(request: &Request, table: Option<&str>, code: &str, message: &str) -> Value {
    let items: Vec<&Value> = transact_items(&request.body).collect();
    let failing = table
        .and_then(|t| {
            items
                .iter()
                .position(|item| item_table(item).is_some_and(|name| name.ends_with(t)))
        })
        .unwrap_or(0);
    wire::canceled(items.len().max(1), Some(failing), code, message)
}
