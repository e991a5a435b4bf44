//! The seats table: seats change in the reservation's own transaction.

use super::{Inventory, InventoryFuture, InventoryWrites, NewHold, Offer, Release};
use crate::domain::Error;
use crate::store::{Reservation, Seat, SeatKey, SeatState};
use dynamo_core::table::{BatchGetOutput, Moved};
use dynamo_core::{Entity, Table, TransactWrite};
use std::collections::HashMap;
use time::OffsetDateTime;

/// Seats as items of the service's seats table (the default inventory).
#[derive(Debug, Clone)]
pub struct SeatsTable {
    seats: Table<Seat>,
}

impl SeatsTable {
    /// The inventory in `seats`.
    pub fn new(seats: Table<Seat>) -> Self {
        SeatsTable { seats }
    }

    /// The seats of `keys`, those still under their key from before the seats were sharded
    /// included; `Unavailable` when DynamoDB left some unread.
    async fn read(
        &self,
        keys: Vec<SeatKey>,
        consistent: bool,
    ) -> Result<BatchGetOutput<Seat>, Error> {
        let mut get = self.seats.batch_get(keys);
        if consistent {
            get = get.consistent_read();
        }
        let read = get.send().await?;
        if !read.unprocessed.is_empty() {
            return Err(Error::Unavailable {
                dependency: "DynamoDB",
                detail: "BatchGetItem left seats unread after its retries".into(),
            });
        }
        Ok(read)
    }

    /// The seats of `keys`, after moving those still stored under their key from before the
    /// seats were sharded (while `migrate` has not moved them all, a seat is moved when it is
    /// touched, so that the hold's transaction finds it under its key).
    async fn read_moving(&self, keys: Vec<SeatKey>, consistent: bool) -> Result<Vec<Seat>, Error> {
        let read = self.read(keys.clone(), consistent).await?;
        if read.under_previous_key.is_empty() {
            return Ok(read.items);
        }
        if self.move_previous(&read.under_previous_key).await? {
            Ok(self.read(keys, consistent).await?.items)
        } else {
            Ok(read.items)
        }
    }

    /// Moves the seats of `keys` still stored under their key from before sharding to their
    /// key now; whether any moved.
    async fn move_previous(&self, keys: &[SeatKey]) -> Result<bool, Error> {
        let rekey = self.seats.rekey();
        let mut moved = false;
        for key in keys {
            let outcome = rekey.move_key(key).await?;
            moved |= matches!(outcome, Moved::Moved | Moved::Superseded);
        }
        Ok(moved)
    }
}

impl Inventory for SeatsTable {
    fn describe(&self) -> String {
        format!("the table {}", self.seats.name())
    }

    fn offer<'a>(
        &'a self,
        event_id: &'a str,
        seat_ids: &'a [String],
        now: OffsetDateTime,
    ) -> InventoryFuture<'a, Result<Vec<Offer>, Error>> {
        Box::pin(async move {
            let keys = seat_ids
                .iter()
                .map(|seat| SeatKey::new(event_id.to_owned(), seat.clone()))
                .collect();
            let mut found: HashMap<String, Seat> = self
                .read_moving(keys, false)
                .await?
                .into_iter()
                .map(|seat| (seat.seat_id.clone(), seat))
                .collect();
            // Seats missing, or taken as this read sees them, are refused before the
            // transaction: in a busy sale most holds lose the race, and each lost race would
            // otherwise cost a transaction canceled by the seat's condition. The read may be
            // stale; the transaction's conditions stay the guarantee for the seats it finds
            // free. One answer names every seat that cannot be had.
            let now = now.unix_timestamp();
            let unavailable: Vec<String> = seat_ids
                .iter()
                .filter(|id| found.get(*id).is_none_or(|seat| !seat.is_free(now)))
                .cloned()
                .collect();
            if !unavailable.is_empty() {
                return Err(Error::SeatsTaken(unavailable));
            }
            Ok(seat_ids
                .iter()
                .filter_map(|id| found.remove(id))
                .map(|seat| Offer {
                    seat_id: seat.seat_id,
                    price: seat.price,
                    currency: seat.currency,
                })
                .collect())
        })
    }

    fn take<'a>(
        &'a self,
        tx: &'a mut TransactWrite,
        hold: &'a NewHold<'a>,
        offers: &'a [Offer],
    ) -> InventoryFuture<'a, Result<InventoryWrites, Error>> {
        let s = Seat::fields();
        let now = hold.now.unix_timestamp();
        let mut writes = InventoryWrites::default();
        for offer in offers {
            let free = s
                .state
                .eq(SeatState::Available)
                .or(s.state.eq(SeatState::Held).and(s.hold_expires_at.lt(now)));
            // A price changed since it was read fails the hold like a taken seat: the total
            // recorded is always the one the seats had when they were held.
            let priced = s
                .price
                .eq(offer.price)
                .and(s.currency.eq(offer.currency.clone()));
            let seat = tx.add(
                self.seats
                    .update(SeatKey::new(
                        hold.event_id.to_owned(),
                        offer.seat_id.clone(),
                    ))
                    .set(s.state, SeatState::Held)
                    .set(s.holder, Some(hold.reservation_id.to_owned()))
                    .set(s.hold_expires_at, Some(hold.kept_until.unix_timestamp()))
                    .set(s.updated_at, hold.now)
                    .condition(s.seat_id.exists().and(free).and(priced)),
            );
            writes.seats.push((offer.seat_id.clone(), seat));
        }
        Box::pin(std::future::ready(Ok(writes)))
    }

    fn abandon<'a>(&'a self, _hold: &'a NewHold<'a>) -> InventoryFuture<'a, ()> {
        // Nothing was taken outside the transaction.
        Box::pin(std::future::ready(()))
    }

    fn sell(
        &self,
        tx: &mut TransactWrite,
        reservation: &Reservation,
        now: OffsetDateTime,
    ) -> InventoryWrites {
        let s = Seat::fields();
        let mut writes = InventoryWrites::default();
        for seat in &reservation.seat_ids {
            let sold = tx.add(
                self.seats
                    .update(SeatKey::new(reservation.event_id.clone(), seat.clone()))
                    .set(s.state, SeatState::Sold)
                    .set(s.hold_expires_at, None)
                    .set(s.updated_at, now)
                    .condition(
                        s.holder
                            .eq(Some(reservation.reservation_id.clone()))
                            .and(s.state.eq(SeatState::Held))
                            .and(s.hold_expires_at.ge(now.unix_timestamp())),
                    ),
            );
            writes.seats.push((seat.clone(), sold));
        }
        writes
    }

    fn release<'a>(
        &'a self,
        tx: &'a mut TransactWrite,
        reservation: &'a Reservation,
        now: OffsetDateTime,
    ) -> InventoryFuture<'a, Result<InventoryWrites, Error>> {
        Box::pin(async move {
            // After the hold ended, another reservation may have taken some seats: those are
            // left alone.
            let s = Seat::fields();
            let id = reservation.reservation_id.as_str();
            let mut writes = InventoryWrites::default();
            let keys = reservation
                .seat_ids
                .iter()
                .map(|seat| SeatKey::new(reservation.event_id.clone(), seat.clone()))
                .collect();
            for seat in self
                .read_moving(keys, true)
                .await?
                .into_iter()
                .filter(|seat| seat.holder.as_deref() == Some(id) && seat.state == SeatState::Held)
            {
                let released = tx.add(
                    self.seats
                        .update(seat.key())
                        .set(s.state, SeatState::Available)
                        .set(s.holder, None)
                        .set(s.hold_expires_at, None)
                        .set(s.updated_at, now)
                        .condition(
                            s.holder
                                .eq(Some(id.to_owned()))
                                .and(s.state.eq(SeatState::Held)),
                        ),
                );
                writes.seats.push((seat.seat_id, released));
            }
            Ok(writes)
        })
    }

    fn give_back<'a>(&'a self, _release: &'a Release) -> InventoryFuture<'a, Result<(), String>> {
        // Seats of this table are released in the transaction that ends the hold.
        Box::pin(std::future::ready(Ok(())))
    }

    fn recover<'a>(
        &'a self,
        reservation: &'a Reservation,
    ) -> InventoryFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            let keys: Vec<SeatKey> = reservation
                .seat_ids
                .iter()
                .map(|seat| SeatKey::new(reservation.event_id.clone(), seat.clone()))
                .collect();
            self.move_previous(&keys).await
        })
    }
}
