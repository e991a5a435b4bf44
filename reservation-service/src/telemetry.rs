//! Logs and traces.
//!
//! Logs: JSON on stderr (or for humans), filtered (default `info`): [`TelemetryVariables`].
//! Every request logs one line with its trace id (`routes::middleware`).
//!
//! Traces: with a collector's endpoint (the standard variable or the Spring service's), spans are
//! exported over OTLP/HTTP to `<endpoint>/v1/traces`. A request continues the W3C
//! `traceparent` it brings; its DynamoDB operations, inventory calls (gRPC), payment and
//! waiting-room calls are child spans, and the calls carry `traceparent` on to those systems.
//! Outbox events record the trace id. Unset, nothing is exported and nothing waits for a
//! collector: export runs on its own thread and drops spans it cannot send.

use crate::setting::{Env, settings};
use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The traces' default `service.name`.
pub const DEFAULT_SERVICE_NAME: &str = "reservation-service";

settings! {
    /// Trace export and logs, as set: [`TelemetrySettings::read`] makes them one collector.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TelemetryVariables {
        /// OTLP/HTTP collector, e.g. `http://otel-collector:4318`: traces are exported to
        /// `<endpoint>/v1/traces`
        otlp_endpoint: Option<String> =
            [shared] url("OTEL_EXPORTER_OTLP_ENDPOINT", "(unset: no traces)"),
        /// the collector's metrics URL as the Spring service named it
        /// (`http://otel-collector:4318/v1/metrics`): its base is used when the standard
        /// endpoint is unset
        metrics_endpoint: Option<String> = url("OTLP_ENDPOINT", "(unset)"),
        /// the traces' `service.name`
        service_name: String = [shared] text("OTEL_SERVICE_NAME", DEFAULT_SERVICE_NAME),
        /// `pretty` for humans
        log_format: Option<String> = raw("LOG_FORMAT", "json"),
        /// log filter, e.g. `info,reservation_service=debug`
        log_filter: Option<String> = [shared] raw("RUST_LOG", "info"),
    }
}

/// Trace export over OTLP, and the logs' format and filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetrySettings {
    /// The collector's base URL (the standard endpoint, or the Spring service's metrics URL
    /// without its `/v1/<signal>` path); `None` exports nothing.
    pub otlp_endpoint: Option<String>,
    /// The traces' `service.name` (`reservation-service`).
    pub service_name: String,
    /// Logs for humans instead of JSON.
    pub pretty_logs: bool,
    /// The log filter (`info` unless set).
    pub log_filter: Option<String>,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        TelemetrySettings {
            otlp_endpoint: None,
            service_name: DEFAULT_SERVICE_NAME.to_owned(),
            pretty_logs: false,
            log_filter: None,
        }
    }
}

impl TelemetrySettings {
    /// Reads them.
    pub fn read(env: &mut Env<'_>) -> Self {
        let v = TelemetryVariables::read(env);
        // The Spring service's variable names the metrics path of the collector's OTLP/HTTP
        // port; traces go to the same collector.
        let otlp_endpoint = v.otlp_endpoint.or_else(|| {
            v.metrics_endpoint.map(|url| match url.find("/v1/") {
                Some(at) => url[..at].to_owned(),
                None => url,
            })
        });
        TelemetrySettings {
            otlp_endpoint,
            service_name: v.service_name,
            pretty_logs: v.log_format.as_deref() == Some("pretty"),
            log_filter: v.log_filter,
        }
    }

    /// Reads them alone, before the other settings (so start-up problems are traced): invalid
    /// values are ignored here and reported with the others.
    pub fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Self {
        Self::read(&mut Env::new(get, false))
    }
}

tokio::task_local! {
    /// The trace id of the request being handled.
    pub(crate) static TRACE_ID: String;
}

/// The trace id of the request being handled, if any: outbox events carry it so consumers can
/// join them to the request's trace.
pub fn current_trace_id() -> Option<String> {
    TRACE_ID
        .try_with(Clone::clone)
        .ok()
        .filter(|id| !id.is_empty())
}

/// The span exporter's pipeline; flushes what is left when dropped (at exit).
#[must_use = "dropping it stops the trace export"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("trace export did not shut down cleanly: {error}");
        }
    }
}

/// Which spans traces get: every request and what it calls, including dynamo-core's
/// operations (debug level), whatever the log filter says about logs.
fn trace_filter() -> tracing_subscriber::filter::Targets {
    tracing_subscriber::filter::Targets::new()
        .with_default(tracing::Level::INFO)
        .with_target("dynamo_core", tracing::Level::DEBUG)
}

/// The tracing layer that turns spans into OpenTelemetry spans of `provider`.
pub fn otel_layer<S>(provider: &SdkTracerProvider) -> impl Layer<S> + use<S>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    use opentelemetry::trace::TracerProvider as _;
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("reservation-service"))
        .with_filter(trace_filter())
}

/// The tracer provider exporting to `settings`' collector, if one is configured.
fn provider(settings: &TelemetrySettings) -> Option<SdkTracerProvider> {
    use opentelemetry_otlp::WithExportConfig;
    let endpoint = settings.otlp_endpoint.as_ref()?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{endpoint}/v1/traces"))
        .with_timeout(std::time::Duration::from_secs(5))
        .build();
    match exporter {
        Ok(exporter) => Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name(settings.service_name.clone())
                        .build(),
                )
                .build(),
        ),
        Err(error) => {
            eprintln!("traces are not exported: {error}");
            None
        }
    }
}

/// Installs the subscriber (logs, and traces when `settings` name a collector) and the W3C
/// trace-context propagator; safe to call more than once (the first call wins).
pub fn init(settings: &TelemetrySettings) -> Telemetry {
    use tracing_subscriber::EnvFilter;
    use_w3c_trace_context();
    let filter = || {
        let given = settings.log_filter.as_deref();
        given
            .and_then(|f| EnvFilter::try_new(f).ok())
            .unwrap_or_else(|| EnvFilter::new("info"))
    };
    let provider = provider(settings);
    let otel = provider.as_ref().map(otel_layer);
    let pretty = settings.pretty_logs;
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = if pretty {
        fmt.with_filter(filter()).boxed()
    } else {
        fmt.json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter())
            .boxed()
    };
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(otel)
        .try_init();
    if let Some(endpoint) = &settings.otlp_endpoint {
        tracing::info!(endpoint, "exporting traces over OTLP/HTTP");
    }
    Telemetry { provider }
}

/// Reads and writes W3C `traceparent` (and `tracestate`) headers: [`init`] installs it.
pub fn use_w3c_trace_context() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
}

/// Installs the log subscriber alone (no trace export): tools and tests.
pub fn init_tracing() {
    // Without an exporter there is nothing to flush: the handle can go at once.
    let _ = init(&TelemetrySettings::default());
}

/// Continues the trace of an incoming request's `traceparent` in `span`.
pub(crate) fn continue_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    struct Headers<'a>(&'a axum::http::HeaderMap);
    impl Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(axum::http::HeaderName::as_str).collect()
        }
    }
    if headers.contains_key("traceparent") {
        let parent =
            opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
    }
}

/// The trace id of `span` when it is traced (a collector is configured).
pub(crate) fn trace_id_of(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

fn inject(inject: &mut dyn Injector) {
    let context = tracing::Span::current().context();
    if context.span().span_context().is_valid() {
        opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&context, inject));
    }
}

/// Adds the current span's `traceparent` to a gRPC request's metadata.
pub(crate) fn inject_context(metadata: &mut tonic::metadata::MetadataMap) {
    struct Metadata<'a>(&'a mut tonic::metadata::MetadataMap);
    impl Injector for Metadata<'_> {
        fn set(&mut self, key: &str, value: String) {
            if let (Ok(key), Ok(value)) = (
                tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
                value.parse(),
            ) {
                self.0.insert(key, value);
            }
        }
    }
    inject(&mut Metadata(metadata));
}

/// Adds the current span's `traceparent` to an HTTP request's headers.
pub(crate) fn inject_headers(headers: &mut reqwest::header::HeaderMap) {
    struct Headers<'a>(&'a mut reqwest::header::HeaderMap);
    impl Injector for Headers<'_> {
        fn set(&mut self, key: &str, value: String) {
            if let (Ok(key), Ok(value)) = (
                reqwest::header::HeaderName::from_bytes(key.as_bytes()),
                reqwest::header::HeaderValue::from_str(&value),
            ) {
                self.0.insert(key, value);
            }
        }
    }
    inject(&mut Headers(headers));
}
