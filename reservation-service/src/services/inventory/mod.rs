//! Where seats are held and sold: the [`Inventory`].
//!
//! Two implementations:
//!
//! - [`SeatsTable`] (the default): the seats are items of the service's seats table, and every
//!   change to them is part of the reservation's own transaction: seats and reservation commit
//!   together or not at all.
//! - [`GrpcInventory`] (with a gRPC address): the ticketing platform's inventory-api over gRPC
//!   (`proto/inventory/v1/inventory.proto`). A remote call cannot join a DynamoDB transaction,
//!   so the service keeps the two consistent with a compensation written to the outbox
//!   *before* the seats are committed remotely: an `inventory.release` task, due only after a
//!   grace period, that the hold's transaction deletes when it commits. Whatever fails (the
//!   call, its answer, the transaction, the process), either the reservation committed and the
//!   task is gone, or the task remains and the relay releases the seats. Cancellation and
//!   expiry write the same task, due at once, in their transaction. See
//!   `docs/operations.md`, "Inventory over gRPC".

mod grpc;
mod seats;
mod settings;

pub use grpc::GrpcInventory;
pub use seats::SeatsTable;
pub use settings::{InventorySettings, InventoryVariables};

use crate::domain::{Error, Money};
use crate::store::{OutboxEvent, Reservation, Seat};
use dynamo_core::{
    TransactWrite,
    table::{Cancellation, Handle},
};
use std::future::Future;
use std::pin::Pin;
use time::OffsetDateTime;

/// The messages, client and server generated from `proto/inventory/v1/inventory.proto`.
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    unreachable_pub,
    rust_2018_idioms
)]
pub mod proto {
    include!("inventory.v1.rs");
}

/// The outbox type of a compensation: seats to release in the remote inventory. The relay
/// executes these instead of publishing them.
pub const RELEASE_TASK: &str = "inventory.release";

/// A boxed future of an inventory operation.
pub type InventoryFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A seat that can be held, with its price as the inventory states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The seat.
    pub seat_id: String,
    /// In minor units; `None` when the seat is not for sale.
    pub price: Option<u64>,
    /// ISO 4217.
    pub currency: Option<String>,
}

impl Offer {
    /// The price, when the seat has one.
    pub fn price(&self) -> Option<Money> {
        Some(Money {
            amount: self.price?,
            currency: self.currency.clone()?,
        })
    }
}

/// A hold being made.
#[derive(Debug, Clone)]
pub struct NewHold<'a> {
    /// The new reservation.
    pub reservation_id: &'a str,
    /// The event.
    pub event_id: &'a str,
    /// Who holds.
    pub user_id: &'a str,
    /// The seats, in request order.
    pub seat_ids: &'a [String],
    /// The time of the hold.
    pub now: OffsetDateTime,
    /// When the hold ends.
    pub until: OffsetDateTime,
    /// Until when the inventory keeps the seats for the holder: the hold's end plus the grace
    /// a confirmation that started before the end has to commit (the grace).
    pub kept_until: OffsetDateTime,
    /// The outbox id of the hold's compensation, when the inventory needs one.
    pub compensation_id: &'a str,
}

/// Seats to give back to the remote inventory: the payload of a [`RELEASE_TASK`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Release {
    /// The reservation the seats were committed to.
    pub reservation_id: String,
    /// The event.
    pub event_id: String,
    /// The seats.
    pub seat_ids: Vec<String>,
}

/// What an [`Inventory`] added to a reservation's transaction: the writes whose failure means
/// the seats are lost, or that the hold took too long.
#[derive(Debug, Default)]
pub struct InventoryWrites {
    /// One write per seat changed in the transaction, with the seat's id.
    pub seats: Vec<(String, Handle<Seat>)>,
    /// The deletion of a hold's compensation (remote inventories): its condition fails when a
    /// relay claimed the compensation, because the hold outlived its grace.
    pub compensation: Option<Handle<OutboxEvent>>,
    /// Other writes it added, whose failure says nothing of the seats (a remote inventory's
    /// release task).
    pub others: usize,
}

impl InventoryWrites {
    /// How many writes the inventory added to the transaction.
    pub fn len(&self) -> usize {
        self.seats.len() + usize::from(self.compensation.is_some()) + self.others
    }

    /// Whether it added none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The seats whose condition failed: taken by someone else, changed, or no longer held.
    pub fn lost(&self, canceled: &Cancellation) -> Vec<String> {
        self.seats
            .iter()
            .filter(|(_, seat)| canceled.condition_failed(*seat))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Whether a relay claimed the hold's compensation before the transaction committed.
    pub fn compensation_claimed(&self, canceled: &Cancellation) -> bool {
        self.compensation
            .is_some_and(|task| canceled.condition_failed(task))
    }
}

/// Where seats are held and sold. The methods that take a [`TransactWrite`] add to it what
/// must commit with the reservation's change, and return the handles of what they added; the
/// caller sends it.
pub trait Inventory: Send + Sync {
    /// For logs: where seats are.
    fn describe(&self) -> String;

    /// The requested seats with their prices, in request order. Seats that do not exist or
    /// are taken are [`Error::SeatsTaken`], all of them named. The answer may be stale: taking
    /// the seats decides.
    fn offer<'a>(
        &'a self,
        event_id: &'a str,
        seat_ids: &'a [String],
        now: OffsetDateTime,
    ) -> InventoryFuture<'a, Result<Vec<Offer>, Error>>;

    /// Takes the offered seats for `hold`, adding to `tx` what must commit with the
    /// reservation: for the seats table, the seats' conditional updates.
    fn take<'a>(
        &'a self,
        tx: &'a mut TransactWrite,
        hold: &'a NewHold<'a>,
        offers: &'a [Offer],
    ) -> InventoryFuture<'a, Result<InventoryWrites, Error>>;

    /// The hold's transaction did not commit: gives back what [`Inventory::take`] took
    /// outside it (never fails: what it cannot do now, the outbox does later).
    fn abandon<'a>(&'a self, hold: &'a NewHold<'a>) -> InventoryFuture<'a, ()>;

    /// Adds the sale of a held reservation's seats to `tx`: a seat's condition fails when the
    /// hold ended.
    fn sell(
        &self,
        tx: &mut TransactWrite,
        reservation: &Reservation,
        now: OffsetDateTime,
    ) -> InventoryWrites;

    /// Adds the release of the seats the reservation still holds to `tx`.
    fn release<'a>(
        &'a self,
        tx: &'a mut TransactWrite,
        reservation: &'a Reservation,
        now: OffsetDateTime,
    ) -> InventoryFuture<'a, Result<InventoryWrites, Error>>;

    /// Gives seats back now: the relay's execution of a [`RELEASE_TASK`]. `Err` is retried.
    fn give_back<'a>(&'a self, release: &'a Release) -> InventoryFuture<'a, Result<(), String>>;

    /// A sale found a seat of `reservation` missing: whether the inventory found it stored the
    /// way an earlier version stored it and brought it up to date (the sale may then be tried
    /// once more).
    fn recover<'a>(
        &'a self,
        reservation: &'a Reservation,
    ) -> InventoryFuture<'a, Result<bool, Error>> {
        let _ = reservation;
        Box::pin(std::future::ready(Ok(false)))
    }
}
