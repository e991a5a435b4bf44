//! Prometheus metrics, served at `GET /metrics` in the text exposition format.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `http_requests_total` | counter | `method`, `route`, `status` |
//! | `http_request_duration_seconds` | histogram | `method`, `route`, `status` |
//! | `reservation_status_total` | counter | `status` (`HOLD`, `CONFIRMED`, `CANCELLED`, `EXPIRED`) |
//! | `idempotency_requests_total` | counter | `outcome` (`executed`, `replayed`, `conflict`) |
//! | `outbox_events_published_total` | counter | `type` |
//! | `outbox_events_failed_total` | counter | `type` (gave up after the last attempt) |
//! | `outbox_publish_retries_total` | counter | |
//! | `outbox_lag_seconds` | gauge | age of the oldest due event at the relay's last pass |
//! | `dynamodb_request_duration_seconds` | histogram | `operation`, `outcome` (`ok`, `error`) |
//! | `dynamodb_throttles_total` | counter | `operation` (every throttled attempt, retried or not) |
//!
//! The families the original Spring service exported (Micrometer names) are there too, so its
//! dashboards keep working:
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `http_server_requests_seconds` | histogram | `uri`, `method`, `status`, `outcome` (`SUCCESS`, `CLIENT_ERROR`, `SERVER_ERROR`, ...) |
//! | `service_method_duration_seconds` | histogram | `class`, `method`, `outcome` (`ok`, `error`) |
//! | `grpc_client_duration_seconds` | histogram | `service`, `method`, `code` (the gRPC status) |
//! | `resilience4j_circuitbreaker_state` | gauge | `name`, `state` (`closed`, `open`, `half_open`): 1 for the current state |
//! | `resilience4j_circuitbreaker_not_permitted_calls_total` | counter | `name` (calls refused while open) |
//! | `resilience4j_bulkhead_available_concurrent_calls` | gauge | `name` |
//! | `resilience4j_bulkhead_max_allowed_concurrent_calls` | gauge | `name` |
//! | `resilience4j_bulkhead_rejected_calls_total` | counter | `name` (calls refused while full) |

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

/// Labels of an HTTP request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The route template, e.g. `/v1/reservations/{id}`; `unmatched` for unknown paths.
    pub route: String,
    /// The status code.
    pub status: u16,
}

/// Micrometer's `http.server.requests` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServerRequestLabels {
    uri: String,
    method: String,
    status: u16,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    class: &'static str,
    method: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrpcLabels {
    service: &'static str,
    method: &'static str,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BreakerLabels {
    name: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NameLabel {
    name: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabel {
    r#type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabel {
    operation: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 4 s.
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ])
}

/// An idempotent request's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdempotencyOutcome {
    /// First time: executed.
    Executed,
    /// A stored response was replayed.
    Replayed,
    /// The key is in use by a running request, or was used for another request (409).
    Conflict,
}

/// The service's metrics; cheap to clone (shared).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

/// Declares each metric once, as `field: type = initial value, "name", "help";`: the shared
/// state holds them, and [`Metrics::new`] registers each under its name.
macro_rules! metrics {
    ($($field:ident: $ty:ty = $init:expr, $name:literal, $help:literal;)*) => {
        struct Inner {
            registry: Registry,
            $($field: $ty,)*
        }

        impl Metrics {
            /// Every metric registered, at zero.
            pub fn new() -> Self {
                let mut registry = Registry::default();
                $(
                    let $field: $ty = $init;
                    registry.register($name, $help, $field.clone());
                )*
                Metrics(Arc::new(Inner { registry, $($field,)* }))
            }
        }
    };
}

metrics! {
    http_requests: Family<HttpLabels, Counter> = Family::default(),
        "http_requests", "HTTP requests by method, route and status";
    http_duration: HistogramFamily<HttpLabels> = Family::new_with_constructor(latency_histogram),
        "http_request_duration_seconds", "HTTP request latency by method, route and status";
    reservation_status: Family<StatusLabel, Counter> = Family::default(),
        "reservation_status", "Reservations that entered a status";
    idempotency: Family<OutcomeLabel, Counter> = Family::default(),
        "idempotency_requests", "Idempotent requests by outcome";
    outbox_published: Family<TypeLabel, Counter> = Family::default(),
        "outbox_events_published", "Outbox events published, by type";
    outbox_failed: Family<TypeLabel, Counter> = Family::default(),
        "outbox_events_failed", "Outbox events given up after the last attempt, by type";
    outbox_retries: Counter = Counter::default(),
        "outbox_publish_retries", "Failed publish attempts that will be retried";
    outbox_lag: Gauge<f64, AtomicU64> = Gauge::default(),
        "outbox_lag_seconds", "Age of the oldest due outbox event at the relay's last pass";
    dynamodb_duration: HistogramFamily<OperationLabels> = Family::new_with_constructor(latency_histogram),
        "dynamodb_request_duration_seconds", "DynamoDB operation latency, retries included";
    dynamodb_throttles: Family<OperationLabel, Counter> = Family::default(),
        "dynamodb_throttles", "Throttled DynamoDB attempts by operation";
    server_requests: HistogramFamily<ServerRequestLabels> = Family::new_with_constructor(latency_histogram),
        "http_server_requests_seconds",
        "HTTP request latency by uri, method, status and outcome (Micrometer's http.server.requests)";
    method_duration: HistogramFamily<MethodLabels> = Family::new_with_constructor(latency_histogram),
        "service_method_duration_seconds",
        "Latency of the reservation service's methods (Micrometer's service.method.duration)";
    grpc_duration: HistogramFamily<GrpcLabels> = Family::new_with_constructor(latency_histogram),
        "grpc_client_duration_seconds",
        "gRPC call latency by service, method and status code (grpc.client.duration)";
    breaker_state: Family<BreakerLabels, Gauge> = Family::default(),
        "resilience4j_circuitbreaker_state", "1 for each circuit breaker's current state";
    breaker_rejected: Family<NameLabel, Counter> = Family::default(),
        "resilience4j_circuitbreaker_not_permitted_calls", "Calls refused by an open circuit breaker";
    bulkhead_available: Family<NameLabel, Gauge> = Family::default(),
        "resilience4j_bulkhead_available_concurrent_calls", "Calls a bulkhead would let through now";
    bulkhead_max: Family<NameLabel, Gauge> = Family::default(),
        "resilience4j_bulkhead_max_allowed_concurrent_calls", "A bulkhead's concurrency limit";
    bulkhead_rejected: Family<NameLabel, Counter> = Family::default(),
        "resilience4j_bulkhead_rejected_calls", "Calls refused by a full bulkhead";
}

/// The states of a circuit breaker, as `resilience4j_circuitbreaker_state` names them.
pub const BREAKER_STATES: [&str; 3] = ["closed", "open", "half_open"];

/// Micrometer's `outcome` of an HTTP status.
fn outcome(status: u16) -> &'static str {
    match status {
        100..=199 => "INFORMATIONAL",
        200..=299 => "SUCCESS",
        300..=399 => "REDIRECTION",
        400..=499 => "CLIENT_ERROR",
        500..=599 => "SERVER_ERROR",
        _ => "UNKNOWN",
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.0.registry);
        out
    }

    /// One HTTP request, in both the service's families and Micrometer's.
    pub fn http_request(&self, labels: HttpLabels, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        self.0
            .server_requests
            .get_or_create(&ServerRequestLabels {
                uri: if labels.route == "unmatched" {
                    // Micrometer's name for requests no route matched.
                    "UNKNOWN".to_owned()
                } else {
                    labels.route.clone()
                },
                method: labels.method.clone(),
                status: labels.status,
                outcome: outcome(labels.status),
            })
            .observe(seconds);
        self.0.http_duration.get_or_create(&labels).observe(seconds);
        self.0.http_requests.get_or_create(&labels).inc();
    }

    /// One call of a service method (`class` `Reservations`, `method` `hold`, ...).
    pub fn service_method(
        &self,
        class: &'static str,
        method: &'static str,
        ok: bool,
        elapsed: Duration,
    ) {
        self.0
            .method_duration
            .get_or_create(&MethodLabels {
                class,
                method,
                outcome: if ok { "ok" } else { "error" },
            })
            .observe(elapsed.as_secs_f64());
    }

    /// One gRPC call and its status code (`OK`, `UNAVAILABLE`, `DEADLINE_EXCEEDED`, ...).
    pub fn grpc_call(
        &self,
        service: &'static str,
        method: &'static str,
        code: &str,
        elapsed: Duration,
    ) {
        self.0
            .grpc_duration
            .get_or_create(&GrpcLabels {
                service,
                method,
                code: code.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// A circuit breaker entered `state` (one of [`BREAKER_STATES`]).
    pub fn breaker_state(&self, name: &'static str, state: &'static str) {
        for s in BREAKER_STATES {
            self.0
                .breaker_state
                .get_or_create(&BreakerLabels { name, state: s })
                .set(i64::from(s == state));
        }
    }

    /// An open circuit breaker refused a call.
    pub fn breaker_rejected(&self, name: &'static str) {
        self.0
            .breaker_rejected
            .get_or_create(&NameLabel { name })
            .inc();
    }

    /// A bulkhead's limit (set once, when it is made).
    pub fn bulkhead_limit(&self, name: &'static str, max: usize) {
        self.0
            .bulkhead_max
            .get_or_create(&NameLabel { name })
            .set(i64::try_from(max).unwrap_or(i64::MAX));
    }

    /// How many calls a bulkhead would let through now.
    pub fn bulkhead_available(&self, name: &'static str, available: usize) {
        self.0
            .bulkhead_available
            .get_or_create(&NameLabel { name })
            .set(i64::try_from(available).unwrap_or(i64::MAX));
    }

    /// A full bulkhead refused a call.
    pub fn bulkhead_rejected(&self, name: &'static str) {
        self.0
            .bulkhead_rejected
            .get_or_create(&NameLabel { name })
            .inc();
    }

    /// The names of the metric families recorded so far (as Spring Boot lists its meters), for
    /// `/actuator/metrics`.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .render()
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// A reservation entered `status`.
    pub fn reservation_status(&self, status: crate::domain::ReservationStatus) {
        self.0
            .reservation_status
            .get_or_create(&StatusLabel {
                status: status.as_str(),
            })
            .inc();
    }

    /// An idempotent request's outcome.
    pub fn idempotency(&self, outcome: IdempotencyOutcome) {
        let outcome = match outcome {
            IdempotencyOutcome::Executed => "executed",
            IdempotencyOutcome::Replayed => "replayed",
            IdempotencyOutcome::Conflict => "conflict",
        };
        self.0
            .idempotency
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
    }

    /// An outbox event was published.
    pub fn outbox_published(&self, event_type: &str) {
        self.0
            .outbox_published
            .get_or_create(&TypeLabel {
                r#type: event_type.to_owned(),
            })
            .inc();
    }

    /// An outbox event was given up.
    pub fn outbox_failed(&self, event_type: &str) {
        self.0
            .outbox_failed
            .get_or_create(&TypeLabel {
                r#type: event_type.to_owned(),
            })
            .inc();
    }

    /// A publish attempt failed and will be retried.
    pub fn outbox_retry(&self) {
        self.0.outbox_retries.inc();
    }

    /// The age of the oldest due event.
    pub fn outbox_lag(&self, lag: Duration) {
        self.0.outbox_lag.set(lag.as_secs_f64());
    }

    /// An interceptor for the DynamoDB client recording operation latency and throttles.
    pub fn dynamodb_interceptor(&self) -> DynamoDbMetrics {
        DynamoDbMetrics(self.clone())
    }
}

/// Records every DynamoDB operation's latency and every throttled attempt; install it with
/// [`instrument`].
#[derive(Debug, Clone)]
pub struct DynamoDbMetrics(Metrics);

#[derive(Debug, Clone, Copy)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

fn operation(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>()
        .map(|m| m.name().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// Whether a response body is a throttling error (`__type` of the AWS JSON protocol).
pub fn is_throttle(status: u16, body: &[u8]) -> bool {
    if status != 400 {
        return false;
    }
    const CODES: [&[u8]; 3] = [
        b"ThrottlingException",
        b"ProvisionedThroughputExceededException",
        b"RequestLimitExceeded",
    ];
    CODES
        .iter()
        .any(|code| body.windows(code.len()).any(|w| w == *code))
}

impl Intercept for DynamoDbMetrics {
    fn name(&self) -> &'static str {
        "DynamoDbMetrics"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(response) = context.response()
            && is_throttle(
                response.status().as_u16(),
                response.body().bytes().unwrap_or_default(),
            )
        {
            self.0
                .0
                .dynamodb_throttles
                .get_or_create(&OperationLabel {
                    operation: operation(cfg),
                })
                .inc();
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Started(started)) = cfg.load::<Started>().copied() {
            let outcome = match context.output_or_error() {
                Some(Ok(_)) => "ok",
                _ => "error",
            };
            self.0
                .0
                .dynamodb_duration
                .get_or_create(&OperationLabels {
                    operation: operation(cfg),
                    outcome,
                })
                .observe(started.elapsed().as_secs_f64());
        }
        Ok(())
    }
}

/// The client with the metrics interceptor installed.
pub fn instrument(client: &dynamo_core::Client, metrics: &Metrics) -> dynamo_core::Client {
    let config = client
        .config()
        .to_builder()
        .interceptor(metrics.dynamodb_interceptor())
        .build();
    dynamo_core::Client::from_conf(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family() {
        let metrics = Metrics::new();
        metrics.http_request(
            HttpLabels {
                method: "POST".into(),
                route: "/v1/reservations".into(),
                status: 201,
            },
            Duration::from_millis(3),
        );
        metrics.reservation_status(crate::domain::ReservationStatus::Hold);
        metrics.idempotency(IdempotencyOutcome::Replayed);
        metrics.outbox_published("reservation.confirmed");
        metrics.outbox_lag(Duration::from_secs(2));
        let text = metrics.render();
        for line in [
            r#"http_requests_total{method="POST",route="/v1/reservations",status="201"} 1"#,
            r#"http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/reservations",status="201"} 1"#,
            r#"reservation_status_total{status="HOLD"} 1"#,
            r#"idempotency_requests_total{outcome="replayed"} 1"#,
            r#"outbox_events_published_total{type="reservation.confirmed"} 1"#,
            "outbox_lag_seconds 2.0",
            r#"http_server_requests_seconds_count{uri="/v1/reservations",method="POST",status="201",outcome="SUCCESS"} 1"#,
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn throttles_are_recognised_by_code() {
        let body = br#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#;
        assert!(is_throttle(400, body));
        assert!(is_throttle(400, br#"{"__type":"ThrottlingException"}"#));
        assert!(!is_throttle(
            400,
            br#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"}"#
        ));
        assert!(!is_throttle(500, body));
    }
}
