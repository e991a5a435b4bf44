//! The settings of reservations: hold length and grace, seats per reservation and per user,
//! and how long an `Idempotency-Key` replays.

use crate::setting::settings;
use std::time::Duration;

settings! {
    /// How long holds and `Idempotency-Key`s last, and how many seats a reservation holds.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ReservationSettings {
        /// how long a hold keeps its seats
        hold_ttl: Duration = seconds("HOLD_TTL_SECONDS", 300, 1, 86_400),
        /// after a hold's end, how long a confirmation that started before it may still
        /// commit; nobody else can take the seats meanwhile (at most the payment call's two
        /// attempts plus a second)
        hold_grace: Duration = seconds("HOLD_GRACE_SECONDS", 5, 0, 60),
        /// seats per reservation; a confirmation writes each seat and five items more in one
        /// transaction, whose limit is 100
        max_seats: usize = count("MAX_SEATS_PER_RESERVATION", 10, 1, 95),
        /// seats one user may hold or have bought of one event (open holds and confirmed seats
        /// count; 409 SEAT_LIMIT_EXCEEDED beyond)
        max_seats_per_user: u32 = count("MAX_SEATS_PER_USER_PER_EVENT", 10, 1, 100_000),
        /// how long an Idempotency-Key replays
        idempotency_ttl: Duration = seconds("IDEMPOTENCY_TTL_SECONDS", 300, 10, 86_400),
    }
}
