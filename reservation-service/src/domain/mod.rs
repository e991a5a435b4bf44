//! The reservation domain, free of HTTP and storage: requests parsed into valid values
//! ([`request`]), the API's bodies ([`bodies`]), the reservation's states and the transitions between them
//! ([`reservation`]), and what can go wrong ([`Error`]). Services act on these; routes turn
//! them into responses.

pub mod bodies;
mod error;
pub mod events;
pub mod money;
pub mod request;
pub mod reservation;

pub use error::{Error, to_json};
pub use money::Money;
pub use request::{CreateReservation, PaymentIntentId, ReservationId, mask_intent};
pub use reservation::{Action, ReservationStatus};
