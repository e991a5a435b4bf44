//! What the API does, on the domain's values and the store's tables: holds, confirmations,
//! cancellations and expiry ([`reservations`]), exactly once per `Idempotency-Key`
//! ([`idempotency`]), with seats held in an [`Inventory`] and payments approved by a
//! [`PaymentGateway`].

pub mod idempotency;
pub mod inventory;
pub mod payment;
pub mod reservations;

pub use idempotency::{Idempotency, IdempotentRequest, Outcome, StoredResponse, request_hash};
pub use inventory::{GrpcInventory, Inventory, SeatsTable};
pub use payment::{
    Approval, Declined, HttpPayments, NoPayments, PaymentError, PaymentFuture, PaymentGateway,
    PaymentSettings, SimulatedPayments,
};
pub use reservations::{ReservationSettings, Reservations, ReservationsConfig};
