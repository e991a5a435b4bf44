//! Holds, confirmations, cancellations and expiry: the I/O around the decisions of
//! [`crate::domain::lifecycle`]. Each operation reads what the rules need, asks them, and sends
//! their plan as one `TransactWriteItems`: seats, reservation, order, outbox event and
//! idempotency record commit together or not at all. With a remote [`Inventory`], the seats
//! change outside the transaction and an outbox task compensates what the transaction did not
//! commit (`services::inventory`).
//!
//! | file | what |
//! |---|---|
//! | `hold.rs` | a new hold |
//! | `confirm.rs` | confirmation after payment, and the payment's hand-back |
//! | `close.rs` | cancellation, expiry and the sweeper; the transaction that ends a hold |
//! | `refusal.rs` | what a canceled transaction means |

mod close;
mod confirm;
mod hold;
mod refusal;
mod settings;

pub use hold::{HoldIds, HoldTransaction};
pub use settings::ReservationSettings;

use super::idempotency::Idempotency;
use super::inventory::Inventory;
use super::payment::PaymentGateway;
use crate::clock::SharedClock;
use crate::domain::bodies::ReservationView;
use crate::domain::lifecycle::Event;
use crate::domain::{Error, ReservationId, ReservationStatus, rfc3339};
use crate::metrics::Metrics;
use crate::store::{OutboxEvent, Reservation, ReservationPartition, Tables};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use time::OffsetDateTime;

/// The reservation service: tables, inventory, payments, its settings and the idempotency
/// store.
#[derive(Clone)]
pub struct Reservations {
    client: dynamo_core::Client,
    tables: Tables,
    idempotency: Idempotency,
    inventory: Arc<dyn Inventory>,
    payments: Arc<dyn PaymentGateway>,
    settings: ReservationSettings,
    clock: SharedClock,
    metrics: Metrics,
    outbox_written: Arc<tokio::sync::Notify>,
}

/// What [`Reservations::new`] needs besides the client and tables.
pub struct ReservationsConfig {
    /// Hold length, grace, cap and idempotency.
    pub settings: ReservationSettings,
    /// Where seats are held ([`SeatsTable`](super::SeatsTable) on `tables.seats` by default).
    pub inventory: Arc<dyn Inventory>,
    /// Payment approval.
    pub payments: Arc<dyn PaymentGateway>,
    /// The time.
    pub clock: SharedClock,
    /// Metrics.
    pub metrics: Metrics,
}

impl Reservations {
    /// The service on `tables`.
    pub fn new(client: &dynamo_core::Client, tables: Tables, config: ReservationsConfig) -> Self {
        Reservations {
            client: client.clone(),
            idempotency: Idempotency::new(
                tables.idempotency.clone(),
                config.settings.idempotency_ttl,
                config.clock.clone(),
                config.metrics.clone(),
            ),
            tables,
            inventory: config.inventory,
            payments: config.payments,
            settings: config.settings,
            clock: config.clock,
            metrics: config.metrics,
            outbox_written: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Notified after every committed change (each writes an outbox event): wakes the relay.
    pub fn outbox_written(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_written.clone()
    }

    /// The tables.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// The time the service acts on.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Where seats are held.
    pub fn inventory(&self) -> &Arc<dyn Inventory> {
        &self.inventory
    }

    /// Runs a service method, timed in `service_method_duration_seconds`.
    async fn timed<T>(
        &self,
        method: &'static str,
        run: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let started = Instant::now();
        let result = run.await;
        self.metrics
            .service_method("Reservations", method, result.is_ok(), started.elapsed());
        result
    }

    /// After a change committed: counts it and wakes the relay.
    fn committed(&self, status: ReservationStatus) {
        self.metrics.reservation_status(status);
        self.outbox_written.notify_one();
    }

    /// A reservation by id, checked to belong to `user`.
    pub async fn find(&self, user: &str, id: &ReservationId) -> Result<Reservation, Error> {
        let not_found = || Error::NotFound(format!("reservation {id} does not exist"));
        let page = self
            .tables
            .reservations
            .query(ReservationPartition::new(id.as_str()))
            .limit(1)
            .consistent_read()
            .send()
            .await?;
        let reservation = page.items.into_iter().next().ok_or_else(not_found)?;
        if reservation.user_id != user {
            return Err(Error::NotOwner(format!(
                "reservation {id} belongs to another user"
            )));
        }
        Ok(reservation)
    }

    /// The API view of `user`'s reservation; a hold past its end shows as `EXPIRED`.
    pub async fn view(&self, user: &str, id: &ReservationId) -> Result<ReservationView, Error> {
        let reservation = self.timed("get", self.find(user, id)).await?;
        Ok(ReservationView {
            status: reservation.booking().status_at(self.clock.now()),
            reservation_id: reservation.reservation_id,
            hold_expires_at: rfc3339(reservation.hold_expires_at),
            event_id: reservation.event_id,
            seat_ids: reservation.seat_ids,
            quantity: reservation.quantity,
            total_price: reservation.total_price,
            currency: reservation.currency,
            order_id: reservation.order_id,
        })
    }
}

/// The outbox item of a plan's `event` about `aggregate_id`, pending from `now`.
fn outbox_event(
    aggregate_id: &str,
    event: &Event,
    now: OffsetDateTime,
) -> Result<OutboxEvent, Error> {
    let (kind, payload) = event.to_json()?;
    Ok(OutboxEvent::pending(
        kind,
        aggregate_id,
        payload,
        now,
        now.unix_timestamp(),
    ))
}
