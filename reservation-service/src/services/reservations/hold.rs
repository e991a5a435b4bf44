//! A new hold: the inventory's offer, the rules' plan ([`lifecycle::hold`]), one transaction.

use super::refusal::Refusal;
use super::{Reservations, outbox_event};
use crate::domain::lifecycle::{self, HoldPlan, HoldRequest};
use crate::domain::request::new_id;
use crate::domain::{CreateReservation, Error, Money, ReservationId, ReservationStatus};
use crate::services::idempotency::{IdempotentRequest, Outcome, StoredResponse};
use crate::services::inventory::{InventoryWrites, NewHold, Offer};
use crate::store::{IdempotencyRecord, Reservation, UserSeats, UserSeatsKey, hold_shard};
use dynamo_core::{ErrorKind, TransactWrite, Update, table::Handle};
use std::time::Duration;
use time::OffsetDateTime;

impl Reservations {
    /// Holds the seats, once per user and `Idempotency-Key`; answers the new reservation's id
    /// and end.
    ///
    /// With the seats table, a hold has no effect outside DynamoDB, so it needs no idempotency
    /// lock: the seats, the reservation, its event and the key's record with the response
    /// commit in one transaction, on the condition that the key is free. When the inventory
    /// reports a seat taken, or the transaction is canceled, the key's record decides: an
    /// earlier request with the key is replayed; otherwise the seats were taken. (A remote
    /// inventory's commit is made idempotent by the reservation id and undone by the outbox:
    /// `services::inventory`.)
    pub async fn hold(
        &self,
        request: &IdempotentRequest,
        hold: CreateReservation,
    ) -> Result<Outcome, Error> {
        let outcome = self.timed("hold", self.try_hold(request, &hold)).await;
        self.idempotency.count(&outcome);
        outcome
    }

    async fn try_hold(
        &self,
        request: &IdempotentRequest,
        create: &CreateReservation,
    ) -> Result<Outcome, Error> {
        let offers = match self
            .inventory
            .offer(&create.event_id, &create.seat_ids, self.clock.now())
            .await
        {
            Ok(offers) => offers,
            // Taken, perhaps by this very request's first attempt: a replay answers as the
            // first answered.
            Err(taken @ Error::SeatsTaken(_)) => {
                return match self.idempotency.lookup(request).await? {
                    Some(stored) => Ok(Outcome::Replayed(stored)),
                    None => Err(taken),
                };
            }
            Err(e) => return Err(e),
        };
        // One reservation id for every attempt: a remote inventory's commit of it is
        // idempotent, so a retry after a transaction conflict reuses the seats it took.
        let ids = self.new_hold_ids();
        let hold = ids.hold(&request.user, create);
        let mut taken = false;
        let result = self
            .hold_attempts(&hold, request, &offers, &mut taken)
            .await;
        if taken && !matches!(result, Ok(Outcome::Executed(_))) {
            // Taken outside the transaction but not committed: give back (the relay executes
            // the inventory's compensation, if any).
            self.inventory.abandon(&hold).await;
            self.outbox_written.notify_one();
        }
        result
    }

    /// Sends the hold's transaction, again while only other transactions' conflicts refuse it.
    /// `taken` tells whether the inventory took the seats at least once.
    async fn hold_attempts(
        &self,
        hold: &NewHold<'_>,
        request: &IdempotentRequest,
        offers: &[Offer],
        taken: &mut bool,
    ) -> Result<Outcome, Error> {
        for attempt in 1..=4u32 {
            let built = self.hold_transaction(hold, request, offers).await?;
            *taken = true;
            let error = match built.tx.send().await {
                Ok(()) => {
                    tracing::info!(
                        reservation_id = built.reservation_id,
                        event_id = hold.event_id,
                        seats = hold.seat_ids.len(),
                        "seats held"
                    );
                    self.committed(ReservationStatus::Hold);
                    return Ok(Outcome::Executed(built.stored));
                }
                Err(e) => e,
            };
            let canceled = match error.cancellation() {
                Some(canceled) => Some(canceled),
                None if error.kind() == ErrorKind::TransactionConflict => None,
                None => return Err(error.into()),
            };
            if let Some(stored) = self.idempotency.lookup(request).await? {
                return Ok(Outcome::Replayed(stored));
            }
            if let Some(canceled) = canceled {
                match Refusal::of(canceled, &built.inventory, None, Some(built.key)) {
                    Refusal::SeatsLost(lost) => return Err(Error::SeatsTaken(lost)),
                    // The user holds or bought too many seats of the event already.
                    _ if canceled.condition_failed(built.user_seats) => {
                        let asked = u32::try_from(hold.seat_ids.len()).unwrap_or(u32::MAX);
                        let cap = self.settings.max_seats_per_user;
                        return Err(lifecycle::seat_limit(cap, hold.event_id, asked));
                    }
                    // Another transaction on these seats or this key is committing.
                    Refusal::Conflict => {}
                    other => return Err(other.into_error()),
                }
            }
            // Another transaction on these seats or this key is committing: look again shortly.
            tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 20)).await;
        }
        Err(Error::IdempotencyConflict {
            message: "the seats or this Idempotency-Key are being changed by other requests; retry"
                .into(),
            retry_after: Some(1),
        })
    }

    /// The identity and times of a new hold.
    pub fn new_hold_ids(&self) -> HoldIds {
        let now = self.clock.now();
        let (ttl, grace) = (self.settings.hold_ttl, self.settings.hold_grace);
        HoldIds {
            reservation_id: ReservationId::new().to_string(),
            compensation_id: new_id("obx"),
            now,
            until: now + ttl,
            kept_until: now + ttl + grace,
        }
    }

    /// The transaction a hold commits, and its response; the load tool sends it raw to measure
    /// DynamoDB's capacity for exactly this shape. `offers` are the requested seats as the
    /// inventory offered them, in request order: the hold records the sum of their prices (with
    /// the seats table, on the condition that each price is still the one read). With a remote
    /// inventory, this takes the seats there: send the transaction, or
    /// [`Inventory::abandon`](crate::services::Inventory::abandon) the hold.
    pub async fn hold_transaction(
        &self,
        hold: &NewHold<'_>,
        request: &IdempotentRequest,
        offers: &[Offer],
    ) -> Result<HoldTransaction, Error> {
        let prices: Vec<Option<Money>> = offers.iter().map(Offer::price).collect();
        let priced: Vec<(&str, Option<&Money>)> = offers
            .iter()
            .zip(&prices)
            .map(|(offer, price)| (offer.seat_id.as_str(), price.as_ref()))
            .collect();
        let asked = HoldRequest {
            reservation_id: hold.reservation_id,
            user_id: hold.user_id,
            event_id: hold.event_id,
            seat_ids: hold.seat_ids,
            until: hold.until,
        };
        let plan = lifecycle::hold(&asked, &priced, self.settings.max_seats_per_user)?;
        let stored = StoredResponse::of(&plan.answer)?;
        let writes = plan.writes();
        let mut tx = TransactWrite::new(&self.client);
        // Counted first: a hold over the cap takes nothing from the seats table.
        let f = UserSeats::fields();
        let within_cap = f.seats.not_exists().or(f.seats.le(i64::from(plan.room)));
        let count = self.seat_count(hold.user_id, hold.event_id, i64::from(plan.seats));
        let user_seats = tx.add(count.condition(within_cap));
        let inventory = self.inventory.take(&mut tx, hold, offers).await?;
        let event = outbox_event(hold.reservation_id, &plan.event, hold.now)?;
        let reservation = new_reservation(hold, request, plan);
        tx.add(self.tables.reservations.put(reservation).create_only());
        tx.add(self.tables.outbox.put(event).create_only());
        let key = self.idempotency.record(&mut tx, request, &stored);
        super::close::priced(&tx, &inventory, &writes);
        Ok(HoldTransaction {
            tx,
            inventory,
            key,
            user_seats,
            reservation_id: hold.reservation_id.to_owned(),
            stored,
        })
    }

    /// Adds `seats` (taken off when negative) to `user`'s count of `event_id`.
    pub(super) fn seat_count(&self, user: &str, event_id: &str, seats: i64) -> Update<UserSeats> {
        self.tables
            .user_seats
            .update(UserSeatsKey::new(user, event_id))
            .add(UserSeats::fields().seats, seats)
            .upsert()
    }
}

/// The reservation `hold` makes, as `plan` prices it.
fn new_reservation(hold: &NewHold<'_>, request: &IdempotentRequest, plan: HoldPlan) -> Reservation {
    Reservation {
        reservation_id: hold.reservation_id.to_owned(),
        event_id: hold.event_id.to_owned(),
        user_id: hold.user_id.to_owned(),
        status: ReservationStatus::Hold,
        seat_ids: hold.seat_ids.to_vec(),
        quantity: plan.seats,
        total_price: Some(plan.total.amount),
        currency: Some(plan.total.currency),
        hold_expires_at: hold.until,
        idempotency_key: request.key.clone(),
        order_id: None,
        created_at: hold.now,
        updated_at: hold.now,
        hold_shard: Some(hold_shard()),
        // The sweeper ends it after the grace too.
        gsi2sk: Some(hold.kept_until.unix_timestamp()),
        counted: true,
    }
}

/// What identifies a new hold and when it starts and ends: see [`HoldIds::hold`].
#[derive(Debug, Clone)]
pub struct HoldIds {
    /// The new reservation's id.
    pub reservation_id: String,
    /// The outbox id of its compensation (remote inventories).
    pub compensation_id: String,
    /// When it is made.
    pub now: OffsetDateTime,
    /// When it ends.
    pub until: OffsetDateTime,
    /// Until when its seats stay kept: its end plus the confirmation's grace.
    pub kept_until: OffsetDateTime,
}

impl HoldIds {
    /// The hold of `request` by `user` with these ids.
    pub fn hold<'a>(&'a self, user: &'a str, request: &'a CreateReservation) -> NewHold<'a> {
        NewHold {
            reservation_id: &self.reservation_id,
            event_id: &request.event_id,
            user_id: user,
            seat_ids: &request.seat_ids,
            now: self.now,
            until: self.until,
            kept_until: self.kept_until,
            compensation_id: &self.compensation_id,
        }
    }
}

/// A hold's transaction, ready to send, as [`Reservations::hold_transaction`] builds it.
pub struct HoldTransaction {
    /// The transaction.
    pub tx: TransactWrite,
    /// What the inventory added to it.
    pub inventory: InventoryWrites,
    /// The `Idempotency-Key`'s completed record, on the condition that the key is free.
    pub key: Handle<IdempotencyRecord>,
    /// The user's seats of the event, on the condition that they stay within the cap.
    pub user_seats: Handle<UserSeats>,
    /// The new reservation's id.
    pub reservation_id: String,
    /// The response body stored with the idempotency record.
    pub stored: StoredResponse,
}
