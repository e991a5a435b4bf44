//! What handlers and workers share: the [`AppState`] built from settings and dependencies.

use crate::auth::AdmissionSettings;
use crate::auth::{
    AdmissionVerifier, AnyTokenAdmission, JwtVerifier, NoAdmission, RemoteAdmission,
    SignedAdmission,
};
use crate::clock::{SharedClock, SystemClock};
use crate::configuration::Settings;
use crate::leases::ShardLeases;
use crate::limits::{Rate, RateLimiter};
use crate::metrics::Metrics;
use crate::outbox::EventSettings;
use crate::outbox::{EventBridgeSink, EventSink, LogSink, Relay, RelayConfig};
use crate::resilience::Guard;
use crate::services::PaymentSettings;
use crate::services::inventory::InventorySettings;
use crate::services::{
    GrpcInventory, HttpPayments, Inventory, NoPayments, PaymentGateway, Reservations,
    ReservationsConfig, SeatsTable, SimulatedPayments,
};
use crate::store::Tables;
use crate::workers::{Intervals, Workers};
use dynamo_core::schema::SchemaReport;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The answer of [`AppState::readiness`]: the tables match, or the failing ones.
pub type Readiness = Result<(), Arc<SchemaReport>>;

/// Everything handlers share.
pub struct AppState {
    /// Settings.
    pub settings: Settings,
    /// The DynamoDB client (instrumented for the metrics).
    pub client: dynamo_core::Client,
    /// Token verification.
    pub jwt: JwtVerifier,
    /// Admission tokens.
    pub admission: Arc<dyn AdmissionVerifier>,
    /// The reservation service.
    pub reservations: Reservations,
    /// Per-user and per-instance request limits.
    pub limiter: RateLimiter,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The last readiness check, and when: probes from every replica, or the public, would
    /// otherwise add up to DynamoDB's DescribeTable limits.
    last_ready: tokio::sync::Mutex<Option<(Instant, Readiness)>>,
}

/// Builds an [`AppState`]: the dependencies not given are the ones `settings` configure.
#[must_use = "call build()"]
pub struct AppStateBuilder {
    settings: Settings,
    client: dynamo_core::Client,
    payments: Option<Arc<dyn PaymentGateway>>,
    admission: Option<Arc<dyn AdmissionVerifier>>,
    clock: Option<SharedClock>,
}

impl AppStateBuilder {
    /// Approves payments with `payments`.
    pub fn payments(mut self, payments: Arc<dyn PaymentGateway>) -> Self {
        self.payments = Some(payments);
        self
    }

    /// Verifies admission tokens with `admission`.
    pub fn admission(mut self, admission: Arc<dyn AdmissionVerifier>) -> Self {
        self.admission = Some(admission);
        self
    }

    /// Reads the time from `clock`.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The state.
    pub fn build(self) -> AppState {
        let settings = self.settings;
        let metrics = Metrics::new();
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let guard = |name| Guard::new(name, settings.resilience, &metrics, &clock);
        let client = crate::metrics::instrument(&self.client, &metrics);
        let admission = self
            .admission
            .unwrap_or_else(|| admission(&settings.admission, || guard("waiting-room"), &clock));
        let payments = self
            .payments
            .unwrap_or_else(|| payments(&settings.payment, || guard("payment")));
        let tables = Tables::new(&client, &settings.table_names());
        let inventory = inventory(&settings, &tables, || guard("inventory"), &metrics);
        let reservations = Reservations::new(
            &client,
            tables,
            ReservationsConfig {
                settings: settings.reservations,
                inventory,
                payments,
                clock: clock.clone(),
                metrics: metrics.clone(),
            },
        );
        let rate = |per_second: f64| Rate {
            per_second,
            burst: per_second * 2.0,
        };
        AppState {
            jwt: JwtVerifier::from_settings(&settings.jwt, clock),
            limiter: RateLimiter::new(
                rate(settings.server.rate_per_user),
                rate(settings.server.rate_global),
            )
            .per_address(rate(settings.server.rate_per_ip)),
            admission,
            reservations,
            metrics,
            client,
            settings,
            last_ready: tokio::sync::Mutex::new(None),
        }
    }
}

/// How `reservation_token`s are checked, as configured.
fn admission(
    settings: &AdmissionSettings,
    guard: impl FnOnce() -> Guard,
    clock: &SharedClock,
) -> Arc<dyn AdmissionVerifier> {
    match settings {
        AdmissionSettings::AnyToken => Arc::new(AnyTokenAdmission),
        AdmissionSettings::Signed { secret } => {
            Arc::new(SignedAdmission::hs256(secret.expose_secret()))
        }
        AdmissionSettings::Remote { url } => Arc::new(RemoteAdmission::new(
            url,
            Duration::from_secs(1),
            guard(),
            clock.clone(),
        )),
        AdmissionSettings::Unconfigured => Arc::new(NoAdmission),
    }
}

/// How payments are approved, as configured.
fn payments(settings: &PaymentSettings, guard: impl FnOnce() -> Guard) -> Arc<dyn PaymentGateway> {
    match settings {
        PaymentSettings::Simulated => Arc::new(SimulatedPayments),
        PaymentSettings::Http { url, timeout } => {
            Arc::new(HttpPayments::new(url, *timeout, guard()))
        }
        PaymentSettings::Unconfigured => Arc::new(NoPayments),
    }
}

/// Where seats are held, as configured.
fn inventory(
    settings: &Settings,
    tables: &Tables,
    guard: impl FnOnce() -> Guard,
    metrics: &Metrics,
) -> Arc<dyn Inventory> {
    match &settings.inventory {
        InventorySettings::Seats => Arc::new(SeatsTable::new(tables.seats.clone())),
        InventorySettings::Grpc { address, timeout } => Arc::new(GrpcInventory::new(
            address.clone(),
            *timeout,
            guard(),
            metrics.clone(),
            tables.outbox.clone(),
            // Longer than any hold can take: only an abandoned hold's release comes due.
            (settings.server.request_timeout * 2).max(Duration::from_secs(30)),
        )),
    }
}

impl AppState {
    /// The state as `settings` configure it.
    pub fn new(settings: Settings, client: dynamo_core::Client) -> Self {
        Self::builder(settings, client).build()
    }

    /// A builder, to replace some dependencies.
    pub fn builder(settings: Settings, client: dynamo_core::Client) -> AppStateBuilder {
        AppStateBuilder {
            settings,
            client,
            payments: None,
            admission: None,
            clock: None,
        }
    }

    /// The schema check of every table, its answer cached whatever it says: 10 s when it
    /// passed, 2 s when it failed (so a `/ready` polled by the public or a prober costs one
    /// `DescribeTable` per table every 2 s at most, however often it is asked, and a fixed table
    /// shows within 2 s).
    pub async fn readiness(&self) -> Readiness {
        const PASSED_FOR: Duration = Duration::from_secs(10);
        const FAILED_FOR: Duration = Duration::from_secs(2);
        let clock = self.reservations.clock();
        let mut last_ready = self.last_ready.lock().await;
        if let Some((at, answer)) = &*last_ready {
            let fresh = if answer.is_ok() {
                PASSED_FOR
            } else {
                FAILED_FOR
            };
            if clock.instant() < *at + fresh {
                return answer.clone();
            }
        }
        let targets = self.reservations.tables().schema_targets();
        let answer = dynamo_core::schema::assert_schemas(&self.client, targets)
            .await
            .map_err(Arc::new);
        *last_ready = Some((clock.instant(), answer.clone()));
        answer
    }

    /// The sink the settings configure: EventBridge, or the log (when asked for, or local
    /// without a bus).
    pub async fn event_sink(&self) -> Arc<dyn EventSink> {
        match &self.settings.outbox.events {
            EventSettings::EventBridge { bus, endpoint } => {
                let client = EventBridgeSink::client_from_env(endpoint.as_deref()).await;
                Arc::new(EventBridgeSink::new(
                    client,
                    bus,
                    &self.settings.outbox.source,
                    Guard::new(
                        "eventbridge",
                        self.settings.resilience,
                        &self.metrics,
                        self.reservations.clock(),
                    ),
                ))
            }
            EventSettings::Log => Arc::new(LogSink),
        }
    }

    /// The outbox relay publishing to `sink`, with `config` (the settings' attempts by
    /// default).
    pub fn relay_with(&self, sink: Arc<dyn EventSink>, config: RelayConfig) -> Relay {
        Relay::new(
            self.reservations.tables().outbox.clone(),
            sink,
            config,
            self.metrics.clone(),
            self.reservations.clock().clone(),
        )
        .with_inventory(self.reservations.inventory().clone())
    }

    /// The outbox relay publishing to `sink`.
    pub fn relay(&self, sink: Arc<dyn EventSink>) -> Relay {
        self.relay_with(
            sink,
            RelayConfig {
                max_attempts: self.settings.outbox.max_attempts,
                ..RelayConfig::default()
            },
        )
    }

    /// Starts the relay (to `sink`) and the sweeper.
    pub fn spawn_workers(&self, sink: Arc<dyn EventSink>) -> Workers {
        let leases = ShardLeases::new(
            self.reservations.tables().workers.clone(),
            self.reservations.clock().clone(),
        );
        Workers::spawn(
            self.relay(sink),
            self.reservations.clone(),
            Arc::new(leases),
            Intervals {
                relay: self.settings.outbox.relay_interval,
                sweep: self.settings.workers.sweep_interval,
            },
        )
    }
}
