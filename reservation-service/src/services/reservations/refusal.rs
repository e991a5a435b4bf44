//! What a canceled transaction that makes or ends a hold means: read from the handles of its
//! writes, most specific first; each operation decides what it tells its caller.

use crate::domain::Error;
use crate::services::inventory::InventoryWrites;
use crate::store::{IdempotencyRecord, Reservation};
use dynamo_core::table::{Cancellation, CancellationCode, Handle};

/// Why DynamoDB canceled a transaction that makes or ends a hold, read from the handles of its
/// writes: each transition decides what it means for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// These seats' conditions failed: taken by someone else, or no longer held by the
    /// reservation.
    SeatsLost(Vec<String>),
    /// A relay claimed the remote inventory's compensation: the hold outlived its grace.
    CompensationClaimed,
    /// DynamoDB throttled a write (its partition or index was over its throughput).
    Throttled,
    /// The reservation's condition failed: it changed state meanwhile.
    ReservationChanged,
    /// The `Idempotency-Key`'s record was taken over by another request.
    LockLost,
    /// Other transactions were changing the same items.
    Conflict,
    /// Anything else, in DynamoDB's words.
    Other(String),
}

impl Refusal {
    /// The refusal `canceled` says, most specific first.
    pub(super) fn of(
        canceled: &Cancellation,
        seats: &InventoryWrites,
        reservation: Option<Handle<Reservation>>,
        record: Option<Handle<IdempotencyRecord>>,
    ) -> Self {
        let lost = seats.lost(canceled);
        if !lost.is_empty() {
            return Refusal::SeatsLost(lost);
        }
        if seats.compensation_claimed(canceled) {
            return Refusal::CompensationClaimed;
        }
        let reasons = canceled.reasons();
        if reasons.iter().any(|r| r.code.is_throttling()) {
            return Refusal::Throttled;
        }
        if reservation.is_some_and(|r| canceled.condition_failed(r)) {
            return Refusal::ReservationChanged;
        }
        if record.is_some_and(|r| canceled.reason(r).is_some()) {
            return Refusal::LockLost;
        }
        if reasons
            .iter()
            .any(|r| r.code == CancellationCode::TransactionConflict)
        {
            return Refusal::Conflict;
        }
        Refusal::Other(canceled.to_string())
    }

    /// What the caller is told when the transition has nothing more specific to say.
    pub(super) fn into_error(self) -> Error {
        match self {
            Refusal::SeatsLost(seats) => Error::SeatsTaken(seats),
            Refusal::CompensationClaimed => Error::Timeout {
                dependency: "the inventory",
                detail: "the hold took longer than its compensation's grace; its seats are released"
                    .into(),
            },
            Refusal::Throttled => Error::Unavailable {
                dependency: "DynamoDB",
                detail: "DynamoDB throttled the transaction; retry shortly".into(),
            },
            Refusal::ReservationChanged | Refusal::Conflict => Error::Contended(
                "the reservation is being changed by another request; retry".into(),
            ),
            Refusal::LockLost => Error::IdempotencyConflict {
                message: "the request took too long and another request with this Idempotency-Key took over; retry".into(),
                retry_after: Some(1),
            },
            Refusal::Other(why) => Error::Internal(format!("transaction canceled: {why}")),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The failure handling of the transitions, on transactions built offline and canceled as
    //! DynamoDB cancels them: no DynamoDB needed.

    use super::*;
    use crate::domain::ReservationStatus;
    use crate::services::inventory::RELEASE_TASK;
    use crate::store::Tables;
    use crate::store::{IdempotencyRecordKey, OutboxEventKey, ReservationKey, SeatKey, TableNames};
    use dynamo_core::TransactWrite;
    use dynamo_core::table::CancellationCode::{
        ConditionalCheckFailed, ProvisionedThroughputExceeded, TransactionConflict, ValidationError,
    };

    /// A transaction like a confirmation's: two seats, the reservation, the key's record, and
    /// (for remote inventories) a compensation.
    struct Confirmation {
        tx: TransactWrite,
        seats: InventoryWrites,
        reservation: Handle<Reservation>,
        record: Handle<IdempotencyRecord>,
    }

    fn confirmation(with_compensation: bool) -> Confirmation {
        let client = dynamo_core::testing::offline_client();
        let tables = Tables::new(&client, &TableNames::prefixed(""));
        let (s, r, i) = (
            crate::store::Seat::fields(),
            Reservation::fields(),
            IdempotencyRecord::fields(),
        );
        let mut tx = TransactWrite::new(&client);
        let mut seats = InventoryWrites::default();
        for seat in ["A-1", "A-2"] {
            let update = tables
                .seats
                .update(SeatKey::new("evt_1", seat))
                .set(s.holder, None);
            seats.seats.push((seat.to_owned(), tx.add(update)));
        }
        if with_compensation {
            let delete = tables
                .outbox
                .delete(OutboxEventKey::new("obx_1", RELEASE_TASK));
            seats.compensation = Some(tx.add(delete));
        }
        let reservation = tx.add(
            tables
                .reservations
                .update(ReservationKey::new("rsv_1", "evt_1"))
                .set(r.status, ReservationStatus::Confirmed),
        );
        let record = tx.add(
            tables
                .idempotency
                .update(IdempotencyRecordKey::new("u1", "k1"))
                .set(i.status, crate::store::IdempotencyStatus::Completed),
        );
        Confirmation {
            tx,
            seats,
            reservation,
            record,
        }
    }

    /// The refusal of `c` canceled with `failures`.
    fn refusal(c: &Confirmation, failures: &[(usize, CancellationCode)]) -> Refusal {
        let error = c.tx.canceled_with(failures.iter().cloned());
        let canceled = error.cancellation().expect("canceled");
        Refusal::of(canceled, &c.seats, Some(c.reservation), Some(c.record))
    }

    #[test]
    fn lost_seats_are_named_before_anything_else() {
        let c = confirmation(false);
        let seat = c.seats.seats[1].1.index();
        assert_eq!(
            refusal(
                &c,
                &[
                    (seat, ConditionalCheckFailed),
                    (c.reservation.index(), ConditionalCheckFailed)
                ]
            ),
            Refusal::SeatsLost(vec!["A-2".to_owned()])
        );
        assert!(matches!(
            Refusal::SeatsLost(vec!["A-2".into()]).into_error(),
            Error::SeatsTaken(seats) if seats == ["A-2"]
        ));
    }

    #[test]
    fn a_changed_reservation_a_lost_lock_and_conflicts_are_told_apart() {
        let c = confirmation(false);
        assert_eq!(
            refusal(&c, &[(c.reservation.index(), ConditionalCheckFailed)]),
            Refusal::ReservationChanged
        );
        assert_eq!(
            refusal(&c, &[(c.record.index(), ConditionalCheckFailed)]),
            Refusal::LockLost
        );
        assert!(matches!(
            Refusal::LockLost.into_error(),
            Error::IdempotencyConflict {
                retry_after: Some(1),
                ..
            }
        ));
        let seat = c.seats.seats[0].1.index();
        assert_eq!(
            refusal(
                &c,
                &[
                    (seat, TransactionConflict),
                    (c.record.index(), TransactionConflict)
                ]
            ),
            Refusal::LockLost,
            "the record's own reason says the lock is at stake"
        );
        assert_eq!(
            refusal(&c, &[(seat, TransactionConflict)]),
            Refusal::Conflict
        );
        assert!(matches!(
            Refusal::Conflict.into_error(),
            Error::Contended(_)
        ));
    }

    #[test]
    fn throttling_is_unavailable_never_a_business_error() {
        let c = confirmation(false);
        let refused = refusal(
            &c,
            &[
                (c.reservation.index(), ProvisionedThroughputExceeded),
                (c.record.index(), TransactionConflict),
            ],
        );
        assert_eq!(refused, Refusal::Throttled);
        assert!(matches!(
            refused.into_error(),
            Error::Unavailable {
                dependency: "DynamoDB",
                ..
            }
        ));
    }

    #[test]
    fn a_claimed_compensation_is_a_timeout_and_the_unexpected_is_internal() {
        let c = confirmation(true);
        let compensation = c.seats.compensation.expect("compensation").index();
        assert_eq!(
            refusal(&c, &[(compensation, ConditionalCheckFailed)]),
            Refusal::CompensationClaimed
        );
        assert!(matches!(
            Refusal::CompensationClaimed.into_error(),
            Error::Timeout {
                dependency: "the inventory",
                ..
            }
        ));
        let other = refusal(&c, &[(c.reservation.index(), ValidationError)]);
        assert!(matches!(&other, Refusal::Other(why) if why.contains("ValidationError")));
        assert!(matches!(other.into_error(), Error::Internal(_)));
    }
}
