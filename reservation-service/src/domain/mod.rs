//! The reservation domain, free of HTTP and storage: requests parsed into valid values
//! ([`request`]), the API's bodies ([`bodies`]), the reservation's states and the transitions between them
//! ([`reservation`]), and what can go wrong ([`Error`]). Services act on these; routes turn
//! them into responses.

pub mod bodies;
pub mod cost;
mod error;
pub mod events;
pub mod lifecycle;
pub mod money;
pub mod request;
pub mod reservation;

pub use error::{Error, to_json};
pub use money::Money;
pub use request::{CreateReservation, PaymentIntentId, ReservationId, mask_intent};
pub use reservation::{Action, ReservationStatus};

/// RFC 3339 in UTC, seconds precision: what the API shows.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
