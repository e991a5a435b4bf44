//! Building the application: state, router, and the start-up schema check.

use crate::auth::{AdmissionVerifier, AnyTokenAdmission, JwtVerifier, SignedAdmission};
use crate::config::Settings;
use crate::idempotency::Idempotency;
use crate::metrics::Metrics;
use crate::outbox::{EventBridgeSink, EventSink, LogSink, Relay, RelayConfig};
use crate::payment::{PaymentGateway, SimulatedPayments};
use crate::reservations::Reservations;
use crate::routes;
use crate::tables::OutboxEvent;
use crate::tables::{ALL, IdempotencyRecord};
use crate::workers::{Intervals, Workers};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use dynamo_core::Table;
use dynamo_core::schema::{SchemaReport, SchemaTarget};
use std::sync::Arc;
use tokio::net::TcpListener;

/// Everything handlers share.
pub struct AppState {
    /// Settings.
    pub settings: Settings,
    /// The DynamoDB client.
    pub client: dynamo_core::Client,
    /// Token verification.
    pub jwt: JwtVerifier,
    /// Admission tokens.
    pub admission: Arc<dyn AdmissionVerifier>,
    /// Idempotency store.
    pub idempotency: Idempotency,
    /// The domain.
    pub reservations: Reservations,
    /// Per-user and per-instance request limits.
    pub limiter: crate::limits::RateLimiter,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The last readiness check: probes from every replica would otherwise add up to
    /// DynamoDB's DescribeTable limits.
    last_ready: tokio::sync::Mutex<Option<std::time::Instant>>,
}

impl AppState {
    /// The state with the simulated payment gateway, and signed admission tokens when an
    /// admission secret is configured (any non-empty token otherwise).
    pub fn new(settings: Settings, client: dynamo_core::Client) -> Self {
        let admission: Arc<dyn AdmissionVerifier> = match &settings.admission_secret {
            Some(secret) => Arc::new(SignedAdmission::hs256(secret)),
            None => Arc::new(AnyTokenAdmission),
        };
        Self::with(settings, client, Arc::new(SimulatedPayments), admission)
    }

    /// The state with other payment and admission implementations.
    pub fn with(
        settings: Settings,
        client: dynamo_core::Client,
        payments: Arc<dyn PaymentGateway>,
        admission: Arc<dyn AdmissionVerifier>,
    ) -> Self {
        let prefix = settings.table_prefix.clone();
        let metrics = Metrics::new();
        let client = crate::metrics::instrument(&client, &metrics);
        AppState {
            jwt: match &settings.jwks_url {
                Some(url) => JwtVerifier::jwks(url, settings.jwt_issuer.as_deref()),
                None => JwtVerifier::hs256(&settings.jwt_secret, settings.jwt_issuer.as_deref()),
            },
            idempotency: Idempotency::new(
                Table::<IdempotencyRecord>::new(&client).with_prefix(&prefix),
                settings.idempotency_ttl,
            ),
            reservations: Reservations::new(
                &client,
                &prefix,
                payments,
                settings.hold_ttl,
                metrics.clone(),
            ),
            metrics,
            last_ready: tokio::sync::Mutex::new(None),
            admission,
            client,
            limiter: crate::limits::RateLimiter::new(
                crate::limits::Rate {
                    per_second: settings.rate_per_user,
                    burst: settings.rate_per_user * 2.0,
                },
                crate::limits::Rate {
                    per_second: settings.rate_global,
                    burst: settings.rate_global * 2.0,
                },
            ),
            settings,
        }
    }
}

impl AppState {
    /// The schema check of every table, cached for 10 s when it passed (a failure is checked
    /// again at once, so readiness returns as soon as the tables are fixed).
    pub async fn readiness(&self) -> Result<(), SchemaReport> {
        let mut last_ready = self.last_ready.lock().await;
        if last_ready.is_some_and(|at| at.elapsed() < std::time::Duration::from_secs(10)) {
            return Ok(());
        }
        let result = check_schemas(&self.client, &self.settings.table_prefix).await;
        *last_ready = result.is_ok().then(std::time::Instant::now);
        result
    }

    /// The sink configured by `EVENT_BUS_NAME`: EventBridge, or the log when unset.
    pub async fn event_sink(&self) -> Arc<dyn EventSink> {
        match &self.settings.event_bus {
            Some(bus) => {
                let client =
                    EventBridgeSink::client_from_env(self.settings.eventbridge_endpoint.as_deref())
                        .await;
                Arc::new(EventBridgeSink::new(
                    client,
                    bus,
                    &self.settings.event_source,
                ))
            }
            None => Arc::new(LogSink),
        }
    }

    /// The outbox relay publishing to `sink`.
    pub fn relay(&self, sink: Arc<dyn EventSink>) -> Relay {
        Relay::new(
            Table::<OutboxEvent>::new(&self.client).with_prefix(&self.settings.table_prefix),
            sink,
            RelayConfig {
                max_attempts: self.settings.outbox_max_attempts,
                ..RelayConfig::default()
            },
            self.metrics.clone(),
        )
    }

    /// Starts the relay (to `sink`) and the sweeper.
    pub fn spawn_workers(&self, sink: Arc<dyn EventSink>) -> Workers {
        Workers::spawn(
            self.relay(sink),
            self.reservations.clone(),
            Intervals {
                relay: self.settings.relay_interval,
                sweep: self.settings.sweep_interval,
            },
        )
    }
}

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    let timeout = state.settings.request_timeout;
    Router::new()
        .route("/v1/reservations", post(routes::create))
        .route("/v1/reservations/{id}", get(routes::get))
        .route("/v1/reservations/{id}/confirm", post(routes::confirm))
        .route("/v1/reservations/{id}/cancel", post(routes::cancel))
        .route("/health", get(routes::health))
        .route("/ready", get(routes::ready))
        .route("/metrics", get(routes::metrics))
        .route("/v3/api-docs", get(routes::api_docs))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(move |req, next| {
            deadline(req, next, timeout)
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            routes::trace,
        ))
        .with_state(state)
}

/// Answers 504 when a request takes longer than the configured timeout, or 408 when it was
/// still waiting for the client's body.
async fn deadline(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
    timeout: std::time::Duration,
) -> axum::response::Response {
    use crate::error::ApiError;
    use axum::response::IntoResponse;
    let pending = routes::BodyPending::default();
    req.extensions_mut().insert(pending.clone());
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) if pending.0.load(std::sync::atomic::Ordering::Relaxed) => {
            ApiError::RequestTimeout.into_response()
        }
        Err(_) => ApiError::UpstreamTimeout.into_response(),
    }
}

/// Every table of the service checked against its definition, concurrently.
pub async fn check_schemas(client: &dynamo_core::Client, prefix: &str) -> Result<(), SchemaReport> {
    let targets = ALL
        .iter()
        .map(|def| SchemaTarget::def(*def, format!("{prefix}{}", def.name)));
    let mut targets: Vec<SchemaTarget> = targets.collect();
    // With the entities, messages name the fields to fix.
    for (target, schema) in targets.iter_mut().zip(entity_schemas()) {
        target.entity = Some(schema);
    }
    dynamo_core::schema::assert_schemas(client, targets).await
}

fn entity_schemas() -> [dynamo_core::EntitySchema; 5] {
    use crate::tables::*;
    use dynamo_core::Entity;
    [
        Reservation::SCHEMA,
        Order::SCHEMA,
        IdempotencyRecord::SCHEMA,
        OutboxEvent::SCHEMA,
        Seat::SCHEMA,
    ]
}

/// A bound server.
pub struct Server {
    listener: TcpListener,
    router: Router,
}

impl Server {
    /// Binds `port` (0 for any free port) on all interfaces.
    pub async fn bind(state: Arc<AppState>, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("0.0.0.0", port)).await?;
        Ok(Server {
            listener,
            router: router(state),
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
