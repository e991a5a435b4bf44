//! Holds, confirmations, cancellations and expiry. Every change is one `TransactWriteItems`:
//! seats, reservation, order, outbox event and idempotency record commit together or not at
//! all. With a remote [`Inventory`], the seats change outside the transaction and an outbox
//! task compensates what the transaction did not commit (`services::inventory`).

use super::idempotency::{Idempotency, IdempotentRequest, Lock, Outcome, StoredResponse};
use super::inventory::{Inventory, InventoryWrites, NewHold, Offer};
use super::payment::{PaymentError, PaymentGateway};
use crate::clock::SharedClock;
use crate::domain::bodies::{
    CancelReservationResponse, ConfirmReservationResponse, CreateReservationResponse,
    ReservationView,
};
use crate::domain::events::{
    Cancelled, Confirmed, DomainEvent, Expired, HoldCreated, PaymentVoidRequested,
};
use crate::domain::request::new_id;
use crate::domain::reservation::check_transition;
use crate::domain::{
    Action, CreateReservation, Error, Money, PaymentIntentId, ReservationId, ReservationStatus,
};
use crate::metrics::Metrics;
use crate::setting::{Env, Number, Var};
use crate::store::{
    HoldShard, IdempotencyRecord, Order, OrderStatus, OutboxEvent, PaymentClaim, PaymentClaimKey,
    PaymentUse, Reservation, ReservationGsi2Keys, ReservationGsi2Partition, ReservationPartition,
    Tables, UserSeats, UserSeatsKey, hold_shard, rfc3339,
};
use dynamo_core::{
    Entity, ErrorKind, TransactWrite, Update,
    table::{Cancellation, CancellationCode, Handle},
};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tracing::Instrument;

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

/// The reservation service: tables, inventory, payments, hold length and the idempotency
/// store.
#[derive(Clone)]
pub struct Reservations {
    client: dynamo_core::Client,
    tables: Tables,
    idempotency: Idempotency,
    inventory: Arc<dyn Inventory>,
    payments: Arc<dyn PaymentGateway>,
    hold_ttl: Duration,
    hold_grace: Duration,
    max_seats_per_user: u32,
    clock: SharedClock,
    metrics: Metrics,
    outbox_written: Arc<tokio::sync::Notify>,
}

/// What [`Reservations::new`] needs besides the client and tables.
pub struct ReservationsConfig {
    /// How long a hold keeps its seats.
    pub hold_ttl: Duration,
    /// After a hold's end, how long a confirmation that started before it may commit.
    pub hold_grace: Duration,
    /// How long an `Idempotency-Key` replays.
    pub idempotency_ttl: Duration,
    /// How many seats of one event one user may hold or have bought.
    pub max_seats_per_user: u32,
    /// Where seats are held ([`SeatsTable`](super::SeatsTable) on `tables.seats` by default).
    pub inventory: Arc<dyn Inventory>,
    /// Payment approval.
    pub payments: Arc<dyn PaymentGateway>,
    /// The time.
    pub clock: SharedClock,
    /// Metrics.
    pub metrics: Metrics,
}

impl Reservations {
    /// The service on `tables`.
    pub fn new(client: &dynamo_core::Client, tables: Tables, config: ReservationsConfig) -> Self {
        Reservations {
            client: client.clone(),
            idempotency: Idempotency::new(
                tables.idempotency.clone(),
                config.idempotency_ttl,
                config.clock.clone(),
                config.metrics.clone(),
            ),
            tables,
            inventory: config.inventory,
            payments: config.payments,
            hold_ttl: config.hold_ttl,
            hold_grace: config.hold_grace,
            max_seats_per_user: config.max_seats_per_user,
            clock: config.clock,
            metrics: config.metrics,
            outbox_written: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Notified after every committed change (each writes an outbox event): wakes the relay.
    pub fn outbox_written(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_written.clone()
    }

    /// The tables.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// The time the service acts on.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Where seats are held.
    pub fn inventory(&self) -> &Arc<dyn Inventory> {
        &self.inventory
    }

    /// Runs a service method, timed in `service_method_duration_seconds`.
    async fn timed<T>(
        &self,
        method: &'static str,
        run: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let started = Instant::now();
        let result = run.await;
        self.metrics
            .service_method("Reservations", method, result.is_ok(), started.elapsed());
        result
    }

    /// After a change committed: counts it and wakes the relay.
    fn committed(&self, status: ReservationStatus) {
        self.metrics.reservation_status(status);
        self.outbox_written.notify_one();
    }

    fn outbox_event<E: DomainEvent>(
        &self,
        aggregate_id: &str,
        event: &E,
        now: OffsetDateTime,
    ) -> Result<OutboxEvent, Error> {
        Ok(OutboxEvent::pending(
            E::TYPE,
            aggregate_id,
            crate::domain::to_json(event, E::TYPE)?,
            now,
            now.unix_timestamp(),
        ))
    }

    /// Holds the seats: 201 `{reservation_id, hold_expires_at}`, once per user and
    /// `Idempotency-Key`.
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
            let HoldTransaction {
                tx,
                inventory,
                key: record,
                user_seats,
                reservation_id,
                stored,
            } = self.hold_transaction(hold, request, offers).await?;
            *taken = true;
            let error = match tx.send().await {
                Ok(()) => {
                    tracing::info!(
                        reservation_id,
                        event_id = hold.event_id,
                        seats = hold.seat_ids.len(),
                        "seats held"
                    );
                    self.committed(ReservationStatus::Hold);
                    return Ok(Outcome::Executed(stored));
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
                match Refusal::of(canceled, &inventory, None, Some(record)) {
                    Refusal::SeatsLost(lost) => return Err(Error::SeatsTaken(lost)),
                    // The user holds or bought too many seats of the event already.
                    _ if canceled.condition_failed(user_seats) => {
                        let asked = u32::try_from(hold.seat_ids.len()).unwrap_or(u32::MAX);
                        return Err(self.seat_limit(hold.event_id, asked));
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
        HoldIds {
            reservation_id: ReservationId::new().to_string(),
            compensation_id: new_id("obx"),
            now,
            until: now + self.hold_ttl,
            kept_until: now + self.hold_ttl + self.hold_grace,
        }
    }

    /// The transaction a hold commits, and its response; the load tool sends it raw to measure
    /// DynamoDB's capacity for exactly this shape. `offers` are the requested seats as the
    /// inventory offered them, in request order: the hold records the sum of their prices (with
    /// the seats table, on the condition that each price is still the one read). With a remote
    /// inventory, this takes the seats there: send the transaction, or
    /// [`Inventory::abandon`] the hold.
    pub async fn hold_transaction(
        &self,
        hold: &NewHold<'_>,
        request: &IdempotentRequest,
        offers: &[Offer],
    ) -> Result<HoldTransaction, Error> {
        let (user, event_id, seat_ids) = (hold.user_id, hold.event_id, hold.seat_ids);
        let prices: Vec<Option<Money>> = offers.iter().map(Offer::price).collect();
        let total = crate::domain::money::total(
            offers
                .iter()
                .zip(&prices)
                .map(|(offer, price)| (offer.seat_id.as_str(), price.as_ref())),
        )
        .map_err(|e| Error::NotForSale(format!("event {event_id}: {e}")))?;
        let (now, hold_until) = (hold.now, hold.until);
        let reservation_id = hold.reservation_id.to_owned();
        let stored = StoredResponse::json(
            201,
            &CreateReservationResponse {
                reservation_id: reservation_id.clone(),
                hold_expires_at: rfc3339(hold_until),
            },
        )?;
        let mut tx = TransactWrite::new(&self.client);
        // Counted first: a hold over the cap takes nothing, not even from a remote inventory.
        let user_seats = self.count_seats(&mut tx, user, event_id, seat_ids.len())?;
        let inventory = self.inventory.take(&mut tx, hold, offers).await?;
        let quantity = u32::try_from(seat_ids.len()).unwrap_or(u32::MAX);
        let event = self.outbox_event(
            &reservation_id,
            &HoldCreated {
                reservation_id: reservation_id.clone(),
                event_id: event_id.to_owned(),
                user_id: user.to_owned(),
                seat_ids: seat_ids.to_vec(),
                quantity,
                hold_expires_at: rfc3339(hold_until),
                total_price: total.amount,
                currency: total.currency.clone(),
            },
            now,
        )?;
        let reservation = Reservation {
            reservation_id: reservation_id.clone(),
            event_id: event_id.to_owned(),
            user_id: user.to_owned(),
            status: ReservationStatus::Hold,
            seat_ids: seat_ids.to_vec(),
            quantity,
            total_price: Some(total.amount),
            currency: Some(total.currency),
            hold_expires_at: hold_until,
            idempotency_key: request.key.clone(),
            order_id: None,
            created_at: now,
            updated_at: now,
            hold_shard: Some(hold_shard()),
            // The sweeper ends it after the grace too.
            gsi2sk: Some(hold.kept_until.unix_timestamp()),
            counted: true,
        };
        tx.add(self.tables.reservations.put(reservation).create_only());
        tx.add(self.tables.outbox.put(event).create_only());
        let key = self.idempotency.record(&mut tx, request, &stored);
        Ok(HoldTransaction {
            tx,
            inventory,
            key,
            user_seats,
            reservation_id,
            stored,
        })
    }

    /// Adds `seats` to `user`'s seats of `event_id` in `tx`, on the condition that they stay
    /// within `MAX_SEATS_PER_USER_PER_EVENT` (a hold that alone asks for more is refused here).
    fn count_seats(
        &self,
        tx: &mut TransactWrite,
        user: &str,
        event_id: &str,
        seats: usize,
    ) -> Result<Handle<UserSeats>, Error> {
        let cap = self.max_seats_per_user;
        let asked = u32::try_from(seats).unwrap_or(u32::MAX);
        if asked > cap {
            return Err(self.seat_limit(event_id, asked));
        }
        let f = UserSeats::fields();
        let room = i64::from(cap - asked);
        let count = self
            .seat_count(user, event_id, i64::from(asked))
            .condition(f.seats.not_exists().or(f.seats.le(room)));
        Ok(tx.add(count))
    }

    /// Adds `seats` (taken off when negative) to `user`'s count of `event_id`.
    fn seat_count(&self, user: &str, event_id: &str, seats: i64) -> Update<UserSeats> {
        self.tables
            .user_seats
            .update(UserSeatsKey::new(user, event_id))
            .add(UserSeats::fields().seats, seats)
            .upsert()
    }

    /// The refusal of a hold of `asked` seats that would take its user past the cap.
    fn seat_limit(&self, event_id: &str, asked: u32) -> Error {
        Error::SeatLimit(format!(
            "a user may hold or buy at most {} seats of event {event_id} (open holds and confirmed seats count); this hold asks for {asked} more",
            self.max_seats_per_user
        ))
    }

    /// A reservation by id, checked to belong to `user`.
    pub async fn find(&self, user: &str, id: &ReservationId) -> Result<Reservation, Error> {
        let not_found = || Error::NotFound(format!("reservation {id} does not exist"));
        let page = self
            .tables
            .reservations
            .query(ReservationPartition::new(id.as_str()))
            .limit(1)
            .consistent_read()
            .send()
            .await?;
        let reservation = page.items.into_iter().next().ok_or_else(not_found)?;
        if reservation.user_id != user {
            return Err(Error::NotOwner(format!(
                "reservation {id} belongs to another user"
            )));
        }
        Ok(reservation)
    }

    /// The API view of `user`'s reservation; a hold past its end shows as `EXPIRED`.
    pub async fn view(&self, user: &str, id: &ReservationId) -> Result<ReservationView, Error> {
        let reservation = self.timed("get", self.find(user, id)).await?;
        Ok(ReservationView {
            status: reservation
                .status
                .at(reservation.hold_expires_at, self.clock.now()),
            reservation_id: reservation.reservation_id,
            hold_expires_at: rfc3339(reservation.hold_expires_at),
            event_id: reservation.event_id,
            seat_ids: reservation.seat_ids,
            quantity: reservation.quantity,
            total_price: reservation.total_price,
            currency: reservation.currency,
            order_id: reservation.order_id,
        })
    }

    /// Confirms a hold after payment: 200 `{order_id, status: "CONFIRMED"}`, once per user and
    /// `Idempotency-Key`. The payment has an effect outside DynamoDB, so the key is locked
    /// while it runs; and once the payment API is asked, the confirmation runs to its end (an
    /// order, or the payment handed back) even when the caller stops waiting: it runs as a task
    /// of its own, which dropping this future does not cancel.
    pub async fn confirm(
        &self,
        request: &IdempotentRequest,
        reservation_id: &ReservationId,
        payment: &PaymentIntentId,
    ) -> Result<Outcome, Error> {
        let this = self.clone();
        let (request, id, payment) = (request.clone(), reservation_id.clone(), payment.clone());
        let detached = tokio::spawn(
            async move { this.confirm_to_end(&request, &id, &payment).await }
                .instrument(tracing::Span::current()),
        );
        detached
            .await
            .unwrap_or_else(|e| Err(Error::Internal(format!("the confirmation failed: {e}"))))
    }

    async fn confirm_to_end(
        &self,
        request: &IdempotentRequest,
        reservation_id: &ReservationId,
        payment: &PaymentIntentId,
    ) -> Result<Outcome, Error> {
        let run = async {
            // Only a reservation that exists and is the caller's claims the Idempotency-Key:
            // confirmations of unknown ids cost no writes.
            let reservation = self.find(&request.user, reservation_id).await?;
            let confirmed = self.idempotency.run(request, |lock| async {
                let result = self
                    .confirm_locked(&request.user, reservation_id, reservation, payment, &lock)
                    .await;
                (lock, result)
            });
            confirmed.await
        };
        self.timed("confirm", run).await
    }

    /// Confirms `reservation` (read before the lock was taken: the transaction's conditions
    /// decide whether it is still open).
    async fn confirm_locked(
        &self,
        user: &str,
        id: &ReservationId,
        reservation: Reservation,
        payment: &PaymentIntentId,
        lock: &Lock,
    ) -> Result<StoredResponse, Error> {
        let reservation_id = id.as_str();
        let amount = reservation.total().ok_or_else(|| {
            Error::NotForSale(format!(
                "reservation {reservation_id} was made before seats had prices; cancel it and hold the seats again"
            ))
        })?;
        // A confirmation must start before the hold ends; one that comes too late, or for a
        // reservation closed otherwise, hands back the payment it brings (if it was approved).
        let status = reservation
            .status
            .at(reservation.hold_expires_at, self.clock.now());
        if status != ReservationStatus::Hold {
            return Err(self
                .hand_back(&reservation, payment, &amount, status, false)
                .await);
        }
        // An intent pays for one reservation: one used before is refused without asking.
        if let Some(claim) = self.claim_of(payment).await? {
            return Err(used(user, payment, &claim));
        }
        // The intent as the payment API names it is the one claimed.
        let payment = &self.approve(reservation_id, payment, &amount).await?;
        let payment_intent_id = payment.as_str();
        // ... and commit, by the clock after the payment call, before its seats stop being kept
        // (`HOLD_GRACE_SECONDS` after the end): the conditions below compare with this time.
        let now = self.clock.now();

        let order_id = new_id("ord");
        let response = StoredResponse::json(
            200,
            &ConfirmReservationResponse {
                order_id: order_id.clone(),
                status: ReservationStatus::Confirmed.as_str().to_owned(),
            },
        )?;
        let event = Confirmed {
            reservation_id: reservation_id.to_owned(),
            order_id: order_id.clone(),
            event_id: reservation.event_id.clone(),
            user_id: user.to_owned(),
            seat_ids: reservation.seat_ids.clone(),
            payment_intent_id: payment_intent_id.to_owned(),
            total_amount: amount.amount,
            currency: amount.currency.clone(),
        };
        let order = Order {
            order_id: order_id.clone(),
            reservation_id: reservation_id.to_owned(),
            event_id: reservation.event_id.clone(),
            user_id: user.to_owned(),
            seat_ids: reservation.seat_ids.clone(),
            status: OrderStatus::Confirmed,
            payment_intent_id: payment_intent_id.to_owned(),
            total_amount: Some(amount.amount),
            currency: Some(amount.currency.clone()),
            created_at: now,
        };
        let r = Reservation::fields();
        let event = self.outbox_event(reservation_id, &event, now)?;
        // Still held, and its seats still kept (`gsi2sk` is the hold's end plus the grace, epoch
        // seconds; the seats table's conditions check it too, for holds written without it).
        let ended = r
            .gsi2sk
            .not_exists()
            .or(r.gsi2sk.ge(Some(now.unix_timestamp())));
        let Closing {
            mut tx,
            seats,
            reservation: held,
        } = self
            .close_hold(
                &reservation,
                ReservationStatus::Confirmed,
                event,
                now,
                |u| u.set(r.order_id, Some(order_id.clone())).condition(ended),
            )
            .await?;
        tx.add(self.tables.orders.put(order).create_only());
        let claim = payment_claim(
            payment,
            &reservation,
            &amount,
            PaymentUse::Paid,
            Some(order_id.clone()),
            now,
        );
        let claim = tx.add(self.tables.payments.put(claim).create_only());
        let record = self.idempotency.complete(&mut tx, lock, &response);
        let error = match tx.send().await {
            Ok(()) => {
                tracing::info!(reservation_id, order_id, "reservation confirmed");
                self.committed(ReservationStatus::Confirmed);
                return Ok(response);
            }
            Err(e) => e,
        };
        let Some(canceled) = error.cancellation() else {
            return Err(error.into());
        };
        // Another confirmation used the intent meanwhile.
        if canceled.condition_failed(claim) {
            return Err(match self.claim_of(payment).await? {
                Some(claim) => used(user, payment, &claim),
                None => Refusal::Conflict.into_error(),
            });
        }
        match Refusal::of(canceled, &seats, Some(held), Some(record)) {
            // A seat still stored as an earlier version stored it: brought up to date, the sale
            // is tried once more.
            Refusal::SeatsLost(_) if self.inventory.recover(&reservation).await? => {
                let again = self.find(user, id).await?;
                Box::pin(self.confirm_locked(user, id, again, payment, lock)).await
            }
            // A seat no longer held by the reservation: its hold ended.
            Refusal::SeatsLost(_) => {
                let status = ReservationStatus::Expired;
                Err(self
                    .hand_back(&reservation, payment, &amount, status, true)
                    .await)
            }
            Refusal::ReservationChanged => {
                let now = self.clock.now();
                let changed = self.find(user, id).await?;
                match changed.status.at(changed.hold_expires_at, now) {
                    ReservationStatus::Hold => Err(Refusal::ReservationChanged.into_error()),
                    status => Err(self
                        .hand_back(&changed, payment, &amount, status, true)
                        .await),
                }
            }
            other => Err(other.into_error()),
        }
    }

    /// Asks the gateway whether `payment` pays `amount` for the reservation: the intent as the
    /// payment API names it, which must be `payment` as sent (an API that resolves `PAY_X` or
    /// `pay_X ` to `pay_X` approves nothing: `pay_X` may be claimed already). A declined intent
    /// is explained only when the payment API ties it to this reservation: anyone's intent id
    /// can be sent, and its state is its owner's business.
    async fn approve(
        &self,
        reservation_id: &str,
        payment: &PaymentIntentId,
        amount: &Money,
    ) -> Result<PaymentIntentId, Error> {
        let intent = payment.masked();
        let approval = self
            .payments
            .approve(payment.as_str(), reservation_id, amount)
            .await
            .map_err(|e| match e {
                PaymentError::Declined(declined) if declined.theirs => Error::PaymentNotApproved(
                    format!("payment {intent} was not approved: {declined}"),
                ),
                PaymentError::Declined(declined) => {
                    tracing::info!(reservation_id, why = %declined, "payment declined");
                    not_approved(&intent)
                }
                PaymentError::Unavailable(detail) => Error::Unavailable {
                    dependency: "the payment gateway",
                    detail,
                },
                PaymentError::Timeout(detail) => Error::Timeout {
                    dependency: "the payment gateway",
                    detail,
                },
            })?;
        if approval.payment_intent_id != payment.as_str() {
            tracing::warn!(
                reservation_id,
                "the payment API approved the intent under another id: refused"
            );
            return Err(not_approved(&intent));
        }
        Ok(payment.clone())
    }

    /// The use recorded for `payment`, if any.
    async fn claim_of(&self, payment: &PaymentIntentId) -> Result<Option<PaymentClaim>, Error> {
        let key = PaymentClaimKey::new(payment.as_str());
        Ok(self
            .tables
            .payments
            .get(key)
            .consistent_read()
            .send()
            .await?)
    }

    /// A confirmation of `reservation` with `payment` that cannot apply it, because the
    /// reservation is `status` (not `HOLD`): when the payment was approved (`approved`, or the
    /// gateway says so now) and never used, it is handed back, by the transaction that records
    /// the intent as used (`VOID_REQUESTED`) and writes `payment.void_requested`. Returns what
    /// the caller is told: why the reservation cannot be confirmed, unless the hand-back could
    /// not be recorded (then the error, so that a retry records it).
    async fn hand_back(
        &self,
        reservation: &Reservation,
        payment: &PaymentIntentId,
        amount: &Money,
        status: ReservationStatus,
        approved: bool,
    ) -> Error {
        let reservation_id = reservation.reservation_id.as_str();
        let refused = check_transition(reservation_id, status, Action::Confirm)
            .err()
            .unwrap_or_else(|| Refusal::ReservationChanged.into_error());
        match self.claim_of(payment).await {
            // Used already (by this reservation's order, or handed back before): nothing to do.
            Ok(Some(_)) => return refused,
            Ok(None) => {}
            Err(e) => return e,
        }
        if !approved {
            match self.approve(reservation_id, payment, amount).await {
                Ok(_) => {}
                // Not paid: nothing to hand back.
                Err(Error::PaymentNotApproved(_)) => return refused,
                Err(e) => return e,
            }
        }
        let now = self.clock.now();
        let reason = match status {
            ReservationStatus::Confirmed => "RESERVATION_CONFIRMED",
            ReservationStatus::Cancelled => "RESERVATION_CANCELLED",
            _ => "RESERVATION_EXPIRED",
        };
        let void = PaymentVoidRequested {
            payment_intent_id: payment.as_str().to_owned(),
            reservation_id: reservation_id.to_owned(),
            user_id: reservation.user_id.clone(),
            amount: amount.amount,
            currency: amount.currency.clone(),
            reason: reason.to_owned(),
        };
        let event = match self.outbox_event(reservation_id, &void, now) {
            Ok(event) => event,
            Err(e) => return e,
        };
        let claim = payment_claim(
            payment,
            reservation,
            amount,
            PaymentUse::VoidRequested,
            None,
            now,
        );
        let mut tx = TransactWrite::new(&self.client);
        let claimed = tx.add(self.tables.payments.put(claim).create_only());
        tx.add(self.tables.outbox.put(event).create_only());
        match tx.send().await {
            Ok(()) => {
                tracing::warn!(reservation_id, reason, "payment to be handed back");
                self.outbox_written.notify_one();
                refused
            }
            // Used meanwhile, by another confirmation or hand-back: not ours to hand back.
            Err(e)
                if e.cancellation()
                    .is_some_and(|c| c.condition_failed(claimed)) =>
            {
                refused
            }
            Err(e) => e.into(),
        }
    }

    /// Cancels a hold and releases its seats: 200 `{status: "CANCELLED"}`, once per user and
    /// `Idempotency-Key`.
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
        let reservation_id = id.as_str();
        let now = self.clock.now();
        let status = reservation.status.at(reservation.hold_expires_at, now);
        check_transition(reservation_id, status, Action::Cancel)?;
        let response = StoredResponse::json(
            200,
            &CancelReservationResponse {
                status: ReservationStatus::Cancelled.as_str().to_owned(),
            },
        )?;
        let event = Cancelled {
            reservation_id: reservation_id.to_owned(),
            event_id: reservation.event_id.clone(),
            user_id: user.to_owned(),
            seat_ids: reservation.seat_ids.clone(),
        };
        let event = self.outbox_event(reservation_id, &event, now)?;
        let Closing {
            mut tx,
            seats,
            reservation: held,
        } = self
            .close_hold(
                &reservation,
                ReservationStatus::Cancelled,
                event,
                now,
                |u| u,
            )
            .await?;
        let lock = self.idempotency.complete(&mut tx, lock, &response);
        match tx.send().await {
            Ok(()) => {
                tracing::info!(reservation_id, "reservation cancelled");
                self.committed(ReservationStatus::Cancelled);
                Ok(response)
            }
            Err(e) => match e.cancellation() {
                Some(canceled) => match Refusal::of(canceled, &seats, Some(held), Some(lock)) {
                    Refusal::SeatsLost(_) | Refusal::ReservationChanged => {
                        Err(self.state_changed(user, id, Action::Cancel).await)
                    }
                    other => Err(other.into_error()),
                },
                None => Err(e.into()),
            },
        }
    }

    /// Open holds in one shard whose end is before `now`, oldest first.
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
        let r = Reservation::fields();
        let id = reservation.reservation_id.as_str();
        let event = Expired {
            reservation_id: id.to_owned(),
            event_id: reservation.event_id.clone(),
            user_id: reservation.user_id.clone(),
            seat_ids: reservation.seat_ids.clone(),
            hold_expires_at: rfc3339(reservation.hold_expires_at),
        };
        let event = self.outbox_event(id, &event, now)?;
        let ended = r.gsi2sk.lt(Some(now.unix_timestamp()));
        let closing = self
            .close_hold(reservation, ReservationStatus::Expired, event, now, |u| {
                u.condition(ended)
            })
            .await?;
        match closing.tx.send().await {
            Ok(()) => {
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

    /// The transaction that ends an open hold as `to` (confirmed, cancelled or expired): the
    /// inventory sells the seats or releases them, the reservation leaves the hold index on the
    /// condition that it is still held (and whatever `condition` adds), and the change's
    /// outbox `event` is written.
    async fn close_hold(
        &self,
        reservation: &Reservation,
        to: ReservationStatus,
        event: OutboxEvent,
        now: OffsetDateTime,
        update: impl FnOnce(Update<Reservation>) -> Update<Reservation>,
    ) -> Result<Closing, Error> {
        let mut tx = TransactWrite::new(&self.client);
        let seats = match to {
            ReservationStatus::Confirmed => self.inventory.sell(&mut tx, reservation, now),
            _ => self.inventory.release(&mut tx, reservation, now).await?,
        };
        let r = Reservation::fields();
        let closed = self
            .tables
            .reservations
            .update(reservation.key())
            .set(r.status, to)
            .set(r.updated_at, now)
            .set_index_keys(ReservationGsi2Keys { hold_shard: None })
            .remove(r.gsi2sk)
            .condition(r.status.eq(ReservationStatus::Hold));
        let held = tx.add(update(closed));
        if to != ReservationStatus::Confirmed && reservation.counted {
            // Released seats no longer count towards the user's cap (sold ones still do).
            let seats = i64::try_from(reservation.seat_ids.len()).unwrap_or(i64::MAX);
            tx.add(self.seat_count(&reservation.user_id, &reservation.event_id, -seats));
        }
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
    /// [`ShardLeases`](crate::workers::ShardLeases)), up to `limit` per shard; the owner of
    /// shard 0 sweeps the keys of the earlier version too.
    ///
    /// # Errors
    ///
    /// As [`Reservations::sweep`].
    pub async fn sweep_shards(&self, shards: Vec<u32>, limit: i32) -> Result<usize, Error> {
        let now = self.clock.now();
        let mut expired = 0;
        let (shards, legacy_too) = crate::workers::work_order(shards);
        for n in shards {
            let Ok(shard) = HoldShard::try_from(n) else {
                continue;
            };
            for reservation in self.expired_holds(shard, now, limit).await? {
                if self.expire(&reservation, now).await? {
                    expired += 1;
                }
            }
        }
        if !legacy_too {
            return Ok(expired);
        }
        // Holds an earlier version indexed under one-digit keys (`HOLD#3`).
        let legacy = crate::store::legacy_work_entries(
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
        })?;
        for reservation in legacy {
            if self.expire(&reservation, now).await? {
                expired += 1;
            }
        }
        Ok(expired)
    }

    /// The error for a reservation whose state changed under a transaction.
    async fn state_changed(&self, user: &str, id: &ReservationId, action: Action) -> Error {
        let reservation_id = id.as_str();
        match self.find(user, id).await {
            Ok(r) => {
                let status = r.status.at(r.hold_expires_at, self.clock.now());
                match check_transition(reservation_id, status, action) {
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

/// The use of `payment` for `reservation`, as its confirmation or hand-back records it.
fn payment_claim(
    payment: &PaymentIntentId,
    reservation: &Reservation,
    amount: &Money,
    used_for: PaymentUse,
    order_id: Option<String>,
    now: OffsetDateTime,
) -> PaymentClaim {
    PaymentClaim {
        payment_intent_id: payment.as_str().to_owned(),
        used_for,
        reservation_id: reservation.reservation_id.clone(),
        order_id,
        user_id: reservation.user_id.clone(),
        amount: amount.amount,
        currency: amount.currency.clone(),
        used_at: now,
    }
}

/// The one answer to an intent that does not pay for the reservation, whatever the reason:
/// unknown, not approved, or somebody else's.
fn not_approved(intent: &str) -> Error {
    Error::PaymentNotApproved(format!(
        "payment {intent} is not approved for this reservation"
    ))
}

/// The answer to an intent used before: its use is told only to the user who used it.
fn used(user: &str, payment: &PaymentIntentId, claim: &PaymentClaim) -> Error {
    let intent = payment.masked();
    if claim.user_id != user {
        return not_approved(&intent);
    }
    let reservation = &claim.reservation_id;
    Error::PaymentNotApproved(match claim.used_for {
        PaymentUse::Paid => {
            format!("payment {intent} has already been used: it paid for reservation {reservation}")
        }
        PaymentUse::VoidRequested => format!(
            "payment {intent} has already been used: it is being handed back, as reservation {reservation} could not be confirmed with it"
        ),
    })
}

/// Why DynamoDB canceled a transaction that makes or ends a hold, read from the handles of its
/// writes: each transition decides what it means for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
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
    fn of(
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
    fn into_error(self) -> Error {
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

/// A transaction that ends a hold, before the transition adds its own writes.
struct Closing {
    tx: TransactWrite,
    /// What the inventory added: seats sold or released.
    seats: InventoryWrites,
    /// The reservation's update, conditional on the hold.
    reservation: Handle<Reservation>,
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

#[cfg(test)]
mod tests {
    //! The failure handling of the transitions, on transactions built offline and canceled as
    //! DynamoDB cancels them: no DynamoDB needed.

    use super::*;
    use crate::services::inventory::RELEASE_TASK;
    use crate::store::{IdempotencyRecordKey, OutboxEventKey, ReservationKey, SeatKey, TableNames};
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
