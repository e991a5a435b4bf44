//! The settings of reservations: hold length and grace, seats per reservation and per user,
//! and how long an `Idempotency-Key` replays.

use crate::setting::{Env, Number, Var};
use std::time::Duration;

const HOLD_TTL: Number = Number::seconds(
    "HOLD_TTL_SECONDS",
    300,
    1,
    86_400,
    "how long a hold keeps its seats",
);
const HOLD_GRACE: Number = Number::seconds(
    "HOLD_GRACE_SECONDS",
    5,
    0,
    60,
    "after a hold's end, how long a confirmation that started before it may still commit; nobody else can take the seats meanwhile (at most the payment call's two attempts plus a second)",
);
const MAX_SEATS_PER_RESERVATION: Number = Number::count(
    "MAX_SEATS_PER_RESERVATION",
    10,
    1,
    95,
    "seats per reservation; a confirmation writes each seat and five items more in one transaction, whose limit is 100",
);
const MAX_SEATS_PER_USER_PER_EVENT: Number = Number::count(
    "MAX_SEATS_PER_USER_PER_EVENT",
    10,
    1,
    100_000,
    "seats one user may hold or have bought of one event (open holds and confirmed seats count; 409 SEAT_LIMIT_EXCEEDED beyond)",
);
const IDEMPOTENCY_TTL: Number = Number::seconds(
    "IDEMPOTENCY_TTL_SECONDS",
    300,
    10,
    86_400,
    "how long an Idempotency-Key replays",
);

/// The variables of reservations.
pub const VARIABLES: [Var; 5] = [
    HOLD_TTL.var(),
    HOLD_GRACE.var(),
    MAX_SEATS_PER_RESERVATION.var(),
    MAX_SEATS_PER_USER_PER_EVENT.var(),
    IDEMPOTENCY_TTL.var(),
];

/// How long holds and `Idempotency-Key`s last, and how many seats a reservation holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationSettings {
    /// `HOLD_TTL_SECONDS`: how long a hold keeps its seats.
    pub hold_ttl: Duration,
    /// `HOLD_GRACE_SECONDS`: after a hold's end, how long a confirmation that started before
    /// it may still commit (its payment call may be slow); nobody else can take the seats
    /// meanwhile, and afterwards they are free at once.
    pub hold_grace: Duration,
    /// `IDEMPOTENCY_TTL_SECONDS`: how long an `Idempotency-Key` replays.
    pub idempotency_ttl: Duration,
    /// `MAX_SEATS_PER_RESERVATION` (at most 95: a confirmation's transaction writes each seat,
    /// the reservation, the order, the payment's use, the outbox event and the idempotency
    /// record, and DynamoDB takes at most 100 writes in one).
    pub max_seats: usize,
    /// `MAX_SEATS_PER_USER_PER_EVENT`: how many seats of one event one user may hold or have
    /// bought at once.
    pub max_seats_per_user: u32,
}

impl Default for ReservationSettings {
    fn default() -> Self {
        ReservationSettings {
            hold_ttl: HOLD_TTL.default_duration(),
            hold_grace: HOLD_GRACE.default_duration(),
            idempotency_ttl: IDEMPOTENCY_TTL.default_duration(),
            max_seats: usize::try_from(MAX_SEATS_PER_RESERVATION.default_value()).unwrap_or(10),
            max_seats_per_user: u32::try_from(MAX_SEATS_PER_USER_PER_EVENT.default_value())
                .unwrap_or(10),
        }
    }
}

impl ReservationSettings {
    /// Reads them.
    pub fn read(env: &mut Env<'_>) -> Self {
        ReservationSettings {
            hold_ttl: env.duration(&HOLD_TTL),
            hold_grace: env.duration(&HOLD_GRACE),
            idempotency_ttl: env.duration(&IDEMPOTENCY_TTL),
            max_seats: env.count(&MAX_SEATS_PER_RESERVATION),
            max_seats_per_user: env.count(&MAX_SEATS_PER_USER_PER_EVENT),
        }
    }
}
