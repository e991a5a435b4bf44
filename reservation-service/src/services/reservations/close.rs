//! What ends a hold: cancellation, expiry (the sweeper) and the transaction every closing plan
//! ([`lifecycle::Close`]) is sent as, confirmation's included.

use super::refusal::Refusal;
use super::{Reservations, outbox_event};
use crate::domain::cost::{Item, Write};
use crate::domain::lifecycle::{self, Close, Kept};
use crate::domain::{Action, Error, ReservationId, ReservationStatus};
use crate::services::idempotency::{IdempotentRequest, Lock, Outcome, StoredResponse};
use crate::services::inventory::InventoryWrites;
use crate::store::{HoldShard, Reservation, ReservationGsi2Keys, ReservationGsi2Partition};
use dynamo_core::{Entity, ErrorKind, TransactWrite, table::Handle};
use time::OffsetDateTime;

/// Checks, in debug builds (every test), that `tx` sends the writes its plan was priced by
/// (`writes`, [`crate::domain::cost`]): the inventory's own (`seats`) aside, which depend on
/// where seats are held.
pub(super) fn priced(tx: &TransactWrite, seats: &InventoryWrites, writes: &[Write]) {
    let planned = writes.iter().filter(|w| w.item != Item::Seat).count();
    debug_assert_eq!(
        tx.len() - seats.len(),
        planned,
        "the transaction does not write what its plan prices: {writes:?}"
    );
}

/// A closing plan as a transaction, before the operation adds its own writes.
pub(super) struct Closing {
    pub(super) tx: TransactWrite,
    /// What the inventory added: seats sold or released.
    pub(super) seats: InventoryWrites,
    /// The reservation's update, conditional on the hold.
    pub(super) reservation: Handle<Reservation>,
}

impl Reservations {
    /// Cancels a hold and releases its seats, once per user and `Idempotency-Key`.
    pub async fn cancel(
        &self,
        request: &IdempotentRequest,
        reservation_id: &ReservationId,
    ) -> Result<Outcome, Error> {
        let run = async {
            // Unknown ids and other users' reservations claim no Idempotency-Key.
            let reservation = self.find(&request.user, reservation_id).await?;
            let cancelled = self.idempotency.run(request, |lock| async {
                let result = self
                    .cancel_locked(&request.user, reservation_id, reservation, &lock)
                    .await;
                (lock, result)
            });
            cancelled.await
        };
        self.timed("cancel", run).await
    }

    /// Cancels `reservation` (read before the lock was taken: the transaction's conditions
    /// decide whether it is still open).
    async fn cancel_locked(
        &self,
        user: &str,
        id: &ReservationId,
        reservation: Reservation,
        lock: &Lock,
    ) -> Result<StoredResponse, Error> {
        let now = self.clock.now();
        let close = lifecycle::cancel(&reservation.booking(), now)?;
        let response = StoredResponse::answering(&close)?;
        let closing = self.closing(&reservation, &close, now).await?;
        let Closing {
            mut tx,
            seats,
            reservation: held,
        } = closing;
        let lock = self.idempotency.complete(&mut tx, lock, &response);
        priced(&tx, &seats, &close.writes());
        let Err(e) = tx.send().await else {
            tracing::info!(reservation_id = id.as_str(), "reservation cancelled");
            self.committed(ReservationStatus::Cancelled);
            return Ok(response);
        };
        let Some(canceled) = e.cancellation() else {
            return Err(e.into());
        };
        match Refusal::of(canceled, &seats, Some(held), Some(lock)) {
            Refusal::SeatsLost(_) | Refusal::ReservationChanged => {
                Err(self.state_changed(user, id, Action::Cancel).await)
            }
            other => Err(other.into_error()),
        }
    }

    /// Open holds in one shard whose seats' keeping ended before `now`, oldest first.
    pub async fn expired_holds(
        &self,
        shard: HoldShard,
        now: OffsetDateTime,
        limit: i32,
    ) -> Result<Vec<Reservation>, Error> {
        let page = self
            .tables
            .reservations
            .query(ReservationGsi2Partition::new(shard))
            .sk_lt(now.unix_timestamp())
            .limit(limit)
            .send()
            .await?;
        Ok(page.items)
    }

    /// Ends an open hold past its end: seats released, status `EXPIRED`, a
    /// `reservation.expired` event, in one transaction. `Ok(false)` when the reservation is no
    /// longer an expired hold (confirmed, cancelled or expired by another instance meanwhile).
    pub async fn expire(
        &self,
        reservation: &Reservation,
        now: OffsetDateTime,
    ) -> Result<bool, Error> {
        let Some(close) = lifecycle::expire(&reservation.booking(), now) else {
            return Ok(false);
        };
        let closing = self.closing(reservation, &close, now).await?;
        priced(&closing.tx, &closing.seats, &close.writes());
        match closing.tx.send().await {
            Ok(()) => {
                let id = reservation.reservation_id.as_str();
                tracing::info!(reservation_id = id, "hold expired");
                self.committed(ReservationStatus::Expired);
                Ok(true)
            }
            // Confirmed, cancelled or expired meanwhile, or a seat changed hands: the next pass
            // looks again.
            Err(e)
                if e.kind() == ErrorKind::TransactionCanceled
                    || e.kind() == ErrorKind::TransactionConflict =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The transaction of `close`, which ends `reservation`'s hold: the inventory sells the
    /// seats or releases them, the reservation leaves the hold index on the condition that it
    /// is still held (and its seats still kept, or no longer, as the plan says), released seats
    /// leave the user's count, and the plan's event is written.
    pub(super) async fn closing(
        &self,
        reservation: &Reservation,
        close: &Close,
        now: OffsetDateTime,
    ) -> Result<Closing, Error> {
        let mut tx = TransactWrite::new(&self.client);
        let seats = match close.to {
            ReservationStatus::Confirmed => self.inventory.sell(&mut tx, reservation, now),
            _ => self.inventory.release(&mut tx, reservation, now).await?,
        };
        let r = Reservation::fields();
        let mut update = self
            .tables
            .reservations
            .update(reservation.key())
            .set(r.status, close.to)
            .set(r.updated_at, now)
            .set_index_keys(ReservationGsi2Keys { hold_shard: None })
            .remove(r.gsi2sk)
            .condition(r.status.eq(ReservationStatus::Hold));
        // `gsi2sk` is the end of the seats' keeping (the hold's end plus the grace), epoch
        // seconds; the seats' own conditions check it too, for holds written without it.
        update = match close.kept {
            Kept::Still(at) => {
                let kept = Some(at.unix_timestamp());
                update.condition(r.gsi2sk.not_exists().or(r.gsi2sk.ge(kept)))
            }
            Kept::Over(at) => update.condition(r.gsi2sk.lt(Some(at.unix_timestamp()))),
            Kept::Any => update,
        };
        if let Some(order) = &close.order {
            update = update.set(r.order_id, Some(order.order_id.clone()));
        }
        let held = tx.add(update);
        if close.uncount > 0 {
            let (user, event) = (&reservation.user_id, &reservation.event_id);
            tx.add(self.seat_count(user, event, -i64::from(close.uncount)));
        }
        let event = outbox_event(&reservation.reservation_id, &close.event, now)?;
        tx.add(self.tables.outbox.put(event).create_only());
        Ok(Closing {
            tx,
            seats,
            reservation: held,
        })
    }

    /// One sweep over every shard: expires up to `limit` holds per shard; returns how many.
    pub async fn sweep(&self, limit: i32) -> Result<usize, Error> {
        self.sweep_shards((0..HoldShard::COUNT).collect(), limit)
            .await
    }

    /// Ends the expired holds of the sweeper's shards among `shards` (the ones a replica owns:
    /// [`ShardLeases`](crate::leases::ShardLeases)), up to `limit` per shard; the owner of
    /// shard 0 sweeps the keys of the earlier version too.
    ///
    /// # Errors
    ///
    /// As [`Reservations::sweep`].
    pub async fn sweep_shards(&self, shards: Vec<u32>, limit: i32) -> Result<usize, Error> {
        let now = self.clock.now();
        let mut expired = 0;
        let (shards, legacy_too) = crate::leases::work_order(shards);
        for n in shards {
            let Ok(shard) = HoldShard::try_from(n) else {
                continue;
            };
            for reservation in self.expired_holds(shard, now, limit).await? {
                expired += usize::from(self.expire(&reservation, now).await?);
            }
        }
        if legacy_too {
            for reservation in self.legacy_expired_holds(now, limit).await? {
                expired += usize::from(self.expire(&reservation, now).await?);
            }
        }
        Ok(expired)
    }

    /// Holds an earlier version indexed under one-digit keys (`HOLD#3`) whose keeping ended.
    async fn legacy_expired_holds(
        &self,
        now: OffsetDateTime,
        limit: i32,
    ) -> Result<Vec<Reservation>, Error> {
        crate::store::legacy_work_entries(
            &self.tables.reservations,
            "GSI2",
            ("gsi2pk", "gsi2sk"),
            "HOLD#",
            dynamo_core::AttributeValue::N(now.unix_timestamp().to_string()),
            limit,
        )
        .await
        .map_err(|detail| Error::Unavailable {
            dependency: "DynamoDB",
            detail,
        })
    }

    /// The error for a reservation whose state changed under a transaction.
    pub(super) async fn state_changed(
        &self,
        user: &str,
        id: &ReservationId,
        action: Action,
    ) -> Error {
        let reservation_id = id.as_str();
        match self.find(user, id).await {
            Ok(r) => {
                let status = r.booking().status_at(self.clock.now());
                match lifecycle::check_transition(reservation_id, status, action) {
                    Err(e) => e,
                    Ok(()) => Error::Contended(format!(
                        "reservation {reservation_id} changed concurrently; retry"
                    )),
                }
            }
            Err(e) => e,
        }
    }
}
