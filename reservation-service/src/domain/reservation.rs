//! A reservation's states and the transitions between them:
//!
//! ```text
//! HOLD ──confirm (paid, before hold_expires_at)──▶ CONFIRMED
//!   │ ──cancel─────────────────────────────────▶ CANCELLED
//!   └──the hold runs out (sweeper)─────────────▶ EXPIRED
//! ```
//!
//! A hold past its end is expired for every purpose (shown as `EXPIRED`, cannot be confirmed)
//! even before the sweeper records it. What may happen to a reservation in which state is
//! decided in [`super::lifecycle`].

use dynamo_core::DynamoValue;
use time::OffsetDateTime;

/// The state of a reservation.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReservationStatus {
    /// Seats held until `hold_expires_at`.
    Hold,
    /// Paid; seats sold.
    Confirmed,
    /// Cancelled by the user; seats released.
    Cancelled,
    /// The hold ran out; seats released.
    Expired,
}

impl ReservationStatus {
    /// The stored and shown string.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Hold => "HOLD",
            ReservationStatus::Confirmed => "CONFIRMED",
            ReservationStatus::Cancelled => "CANCELLED",
            ReservationStatus::Expired => "EXPIRED",
        }
    }

    /// The status as of `now`: a hold past its end is expired.
    pub fn at(self, hold_expires_at: OffsetDateTime, now: OffsetDateTime) -> Self {
        match self {
            ReservationStatus::Hold if hold_expires_at <= now => ReservationStatus::Expired,
            status => status,
        }
    }
}

/// What a user asks of a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Pay and keep the seats.
    Confirm,
    /// Release the seats.
    Cancel,
}

impl Action {
    /// `confirm` or `cancel`, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Error;
    use crate::domain::lifecycle::check_transition;
    use std::time::Duration;

    #[test]
    fn only_open_holds_move_on() {
        let now = OffsetDateTime::now_utc();
        let later = now + Duration::from_secs(60);
        let hold = ReservationStatus::Hold;
        assert!(check_transition("rsv_1", hold.at(later, now), Action::Confirm).is_ok());
        assert!(matches!(
            check_transition("rsv_1", hold.at(now, now), Action::Confirm),
            Err(Error::Expired(_))
        ));
        assert!(matches!(
            check_transition("rsv_1", ReservationStatus::Confirmed, Action::Cancel),
            Err(Error::InvalidState(m)) if m == "cannot cancel reservation rsv_1: it is CONFIRMED"
        ));
        assert_eq!(
            ReservationStatus::Cancelled.at(now, later),
            ReservationStatus::Cancelled
        );
    }
}
