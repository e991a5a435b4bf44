//! Holds, confirmations, cancellations and expiry. Every change is one `TransactWriteItems`:
//! seats, reservation, order, outbox event and idempotency record commit together or not at
//! all.

use super::idempotency::{Idempotency, Lock, Outcome, StoredResponse};
use super::payment::{PaymentError, PaymentGateway};
use crate::clock::SharedClock;
use crate::domain::bodies::{
    CancelReservationResponse, ConfirmReservationResponse, CreateReservationResponse,
    ReservationView,
};
use crate::domain::events::{Cancelled, Confirmed, DomainEvent, Expired, HoldCreated};
use crate::domain::request::new_id;
use crate::domain::reservation::check_transition;
use crate::domain::{Action, CreateReservation, Error, Money, ReservationId, ReservationStatus};
use crate::metrics::Metrics;
use crate::store::{
    Order, OrderStatus, OutboxEvent, OutboxStatus, Reservation, ReservationGsi2Keys,
    ReservationGsi2Partition, ReservationPartition, Seat, SeatKey, SeatState, Tables, WORK_SHARDS,
    rfc3339, work_shard,
};
use dynamo_core::{CancellationReason, Entity, TransactWrite};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The reservation service: tables, payments, hold length and the idempotency store.
#[derive(Clone)]
pub struct Reservations {
    client: dynamo_core::Client,
    tables: Tables,
    idempotency: Idempotency,
    payments: Arc<dyn PaymentGateway>,
    hold_ttl: Duration,
    clock: SharedClock,
    metrics: Metrics,
    outbox_written: Arc<tokio::sync::Notify>,
}

/// What [`Reservations::new`] needs besides the client and tables.
pub struct ReservationsConfig {
    /// How long a hold keeps its seats.
    pub hold_ttl: Duration,
    /// How long an `Idempotency-Key` replays.
    pub idempotency_ttl: Duration,
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
            payments: config.payments,
            hold_ttl: config.hold_ttl,
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
    ) -> OutboxEvent {
        let outbox_id = new_id("obx");
        OutboxEvent {
            pending_shard: Some(work_shard()),
            outbox_id,
            event_type: E::TYPE.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            payload: serde_json::to_string(event).unwrap_or_default(),
            status: OutboxStatus::Pending,
            attempts: 0,
            next_retry_at: now.unix_timestamp(),
            created_at: now,
            lease_owner: None,
            lease_until: None,
            published_at: None,
            last_error: None,
        }
    }

    /// Holds the seats: 201 `{reservation_id, hold_expires_at}`, once per user and
    /// `Idempotency-Key`.
    ///
    /// A hold has no effect outside DynamoDB, so it needs no idempotency lock: the seats, the
    /// reservation, its event and the key's record with the response commit in one transaction,
    /// on the condition that the key is free. When it is canceled, the key's record decides: an
    /// earlier request with the key is replayed; otherwise the seats were taken.
    pub async fn hold(
        &self,
        user: &str,
        request: CreateReservation,
        key: &str,
        hash: &str,
    ) -> Result<Outcome, Error> {
        let outcome = self.try_hold(user, &request, key, hash).await;
        self.idempotency.count(&outcome);
        outcome
    }

    async fn try_hold(
        &self,
        user: &str,
        request: &CreateReservation,
        key: &str,
        hash: &str,
    ) -> Result<Outcome, Error> {
        let seats = self.seats_to_hold(request).await?;
        for attempt in 1..=4u32 {
            let (tx, response) = self.hold_transaction(user, request, key, hash, &seats)?;
            let reasons = match tx.send().await {
                Ok(()) => {
                    tracing::info!(
                        reservation_id = response.reservation_id,
                        event_id = request.event_id,
                        seats = request.seat_ids.len(),
                        "seats held"
                    );
                    self.committed(ReservationStatus::Hold);
                    return Ok(Outcome::Executed(response.stored));
                }
                Err(dynamo_core::Error::TransactionCanceled { reasons, .. }) => reasons,
                Err(dynamo_core::Error::TransactionConflict { .. }) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            if let Some(stored) = self.idempotency.lookup(user, key, hash).await? {
                return Ok(Outcome::Replayed(stored));
            }
            let taken: Vec<String> = reasons
                .iter()
                .filter(|r| r.index < request.seat_ids.len() && r.is_condition_failed())
                .map(|r| request.seat_ids[r.index].clone())
                .collect();
            if !taken.is_empty() {
                return Err(Error::SeatsTaken(taken));
            }
            if !reasons.iter().all(|r| r.code == "TransactionConflict") {
                return Err(self.lock_lost_or_internal(&reasons));
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

    /// The requested seats as stored, in request order, for their prices. Seats that do not
    /// exist are refused here; whether the others are free is the transaction's condition (this
    /// read may be stale).
    async fn seats_to_hold(&self, request: &CreateReservation) -> Result<Vec<Seat>, Error> {
        let keys = request
            .seat_ids
            .iter()
            .map(|seat| SeatKey::new(request.event_id.clone(), seat.clone()));
        let read = self.tables.seats.batch_get(keys).send().await?;
        if !read.unprocessed.is_empty() {
            return Err(Error::Unavailable {
                dependency: "DynamoDB",
                detail: "BatchGetItem left seats unread after its retries".into(),
            });
        }
        let mut found: std::collections::HashMap<String, Seat> = read
            .items
            .into_iter()
            .map(|seat| (seat.seat_id.clone(), seat))
            .collect();
        if request.seat_ids.iter().any(|id| !found.contains_key(id)) {
            // Refused anyway: name every seat that cannot be had, the missing ones and those
            // this read found taken, so one answer tells the whole story.
            let now = self.clock.now().unix_timestamp();
            let unavailable = request
                .seat_ids
                .iter()
                .filter(|id| found.get(*id).is_none_or(|seat| !seat.is_free(now)))
                .cloned()
                .collect();
            return Err(Error::SeatsTaken(unavailable));
        }
        Ok(request
            .seat_ids
            .iter()
            .filter_map(|id| found.remove(id))
            .collect())
    }

    /// The transaction a hold commits, and its response; the load tool sends it raw to measure
    /// DynamoDB's capacity for exactly this shape. `seats` are the requested seats as read,
    /// in request order: the hold records the sum of their prices, on the condition that each
    /// price is still the one read.
    pub fn hold_transaction(
        &self,
        user: &str,
        request: &CreateReservation,
        key: &str,
        hash: &str,
        seats: &[Seat],
    ) -> Result<(TransactWrite, HoldResponse), Error> {
        let prices: Vec<Option<Money>> = seats.iter().map(Seat::price).collect();
        let total = crate::domain::money::total(
            seats
                .iter()
                .zip(&prices)
                .map(|(seat, price)| (seat.seat_id.as_str(), price.as_ref())),
        )
        .map_err(|e| Error::NotForSale(format!("event {}: {e}", request.event_id)))?;
        let now = self.clock.now();
        let hold_until = now + self.hold_ttl;
        let reservation_id = ReservationId::new().to_string();
        let stored = StoredResponse::json(
            201,
            &CreateReservationResponse {
                reservation_id: reservation_id.clone(),
                hold_expires_at: rfc3339(hold_until),
            },
        );
        let s = Seat::fields();
        let mut tx = TransactWrite::new(&self.client);
        for seat in seats {
            let free = s.state.eq(SeatState::Available).or(s
                .state
                .eq(SeatState::Held)
                .and(s.hold_expires_at.lt(now.unix_timestamp())));
            // A price changed since it was read fails the hold like a taken seat: the total
            // recorded is always the one the seats had when they were held.
            let priced = s
                .price
                .eq(seat.price)
                .and(s.currency.eq(seat.currency.clone()));
            tx = tx.update(
                &self.tables.seats,
                SeatKey::new(request.event_id.clone(), seat.seat_id.clone()),
                |u| {
                    u.set(s.state, SeatState::Held)
                        .set(s.holder, Some(reservation_id.clone()))
                        .set(s.hold_expires_at, Some(hold_until.unix_timestamp()))
                        .set(s.updated_at, now)
                },
                s.seat_id.exists().and(free).and(priced),
            );
        }
        let quantity = u32::try_from(request.seat_ids.len()).unwrap_or(u32::MAX);
        let event = self.outbox_event(
            &reservation_id,
            &HoldCreated {
                reservation_id: reservation_id.clone(),
                event_id: request.event_id.clone(),
                user_id: user.to_owned(),
                seat_ids: request.seat_ids.clone(),
                quantity,
                hold_expires_at: rfc3339(hold_until),
                total_price: total.amount,
                currency: total.currency.clone(),
            },
            now,
        );
        let reservation = Reservation {
            reservation_id: reservation_id.clone(),
            event_id: request.event_id.clone(),
            user_id: user.to_owned(),
            status: ReservationStatus::Hold,
            seat_ids: request.seat_ids.clone(),
            quantity,
            total_price: Some(total.amount),
            currency: Some(total.currency),
            hold_expires_at: hold_until,
            idempotency_key: key.to_owned(),
            order_id: None,
            created_at: now,
            updated_at: now,
            hold_shard: Some(work_shard()),
            gsi2sk: Some(hold_until.unix_timestamp()),
        };
        let tx = tx
            .put_new(&self.tables.reservations, reservation)
            .put_new(&self.tables.outbox, event);
        let tx = self.idempotency.record(tx, user, key, hash, &stored);
        Ok((
            tx,
            HoldResponse {
                reservation_id,
                stored,
            },
        ))
    }

    /// A reservation by id, checked to belong to `user`.
    pub async fn find(&self, user: &str, reservation_id: &str) -> Result<Reservation, Error> {
        let not_found = || Error::NotFound(format!("reservation {reservation_id} does not exist"));
        let id = ReservationId::parse(reservation_id).ok_or_else(not_found)?;
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
                "reservation {reservation_id} belongs to another user"
            )));
        }
        Ok(reservation)
    }

    /// The API view of `user`'s reservation; a hold past its end shows as `EXPIRED`.
    pub async fn view(&self, user: &str, reservation_id: &str) -> Result<ReservationView, Error> {
        let reservation = self.find(user, reservation_id).await?;
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
    /// while it runs.
    pub async fn confirm(
        &self,
        user: &str,
        reservation_id: &str,
        payment_intent_id: &str,
        key: &str,
        hash: &str,
    ) -> Result<Outcome, Error> {
        self.idempotency
            .run(user, key, hash, |lock| async {
                let result = self
                    .confirm_locked(user, reservation_id, payment_intent_id, &lock)
                    .await;
                (lock, result)
            })
            .await
    }

    async fn confirm_locked(
        &self,
        user: &str,
        reservation_id: &str,
        payment_intent_id: &str,
        lock: &Lock,
    ) -> Result<StoredResponse, Error> {
        let reservation = self.find(user, reservation_id).await?;
        let now = self.clock.now();
        let status = reservation.status.at(reservation.hold_expires_at, now);
        check_transition(reservation_id, status, Action::Confirm)?;
        let amount = reservation.total().ok_or_else(|| {
            Error::NotForSale(format!(
                "reservation {reservation_id} was made before seats had prices; cancel it and hold the seats again"
            ))
        })?;
        self.payments
            .approve(payment_intent_id, &amount)
            .await
            .map_err(|e| match e {
                PaymentError::Declined(why) => Error::PaymentNotApproved(format!(
                    "payment {payment_intent_id} was not approved: {why}"
                )),
                PaymentError::Unavailable(detail) => Error::Unavailable {
                    dependency: "the payment gateway",
                    detail,
                },
                PaymentError::Timeout(detail) => Error::Timeout {
                    dependency: "the payment gateway",
                    detail,
                },
            })?;

        let order_id = new_id("ord");
        let response = StoredResponse::json(
            200,
            &ConfirmReservationResponse {
                order_id: order_id.clone(),
                status: ReservationStatus::Confirmed.as_str().to_owned(),
            },
        );
        let (s, r) = (Seat::fields(), Reservation::fields());
        let mut tx = TransactWrite::new(&self.client);
        for seat in &reservation.seat_ids {
            tx = tx.update(
                &self.tables.seats,
                SeatKey::new(reservation.event_id.clone(), seat.clone()),
                |u| {
                    u.set(s.state, SeatState::Sold)
                        .set(s.hold_expires_at, None)
                        .set(s.updated_at, now)
                },
                s.holder
                    .eq(Some(reservation_id.to_owned()))
                    .and(s.state.eq(SeatState::Held))
                    .and(s.hold_expires_at.ge(now.unix_timestamp())),
            );
        }
        let seats = reservation.seat_ids.len();
        tx = tx.update(
            &self.tables.reservations,
            reservation.key(),
            |u| {
                u.set(r.status, ReservationStatus::Confirmed)
                    .set(r.order_id, Some(order_id.clone()))
                    .set(r.updated_at, now)
                    .set_index_keys(ReservationGsi2Keys { hold_shard: None })
                    .remove(r.gsi2sk)
            },
            r.status.eq(ReservationStatus::Hold),
        );
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
        tx = tx.put_new(&self.tables.orders, order).put_new(
            &self.tables.outbox,
            self.outbox_event(reservation_id, &event, now),
        );
        tx = self.idempotency.complete(tx, lock, &response);
        match tx.send().await {
            Ok(()) => {
                tracing::info!(reservation_id, order_id, "reservation confirmed");
                self.committed(ReservationStatus::Confirmed);
                Ok(response)
            }
            Err(dynamo_core::Error::TransactionCanceled { reasons, .. }) => {
                if reasons.iter().any(|r| r.index < seats) {
                    return Err(Error::Expired(reservation_id.to_owned()));
                }
                if reasons.iter().any(|r| r.index == seats) {
                    return Err(self
                        .state_changed(user, reservation_id, Action::Confirm)
                        .await);
                }
                Err(self.lock_lost_or_internal(&reasons))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Cancels a hold and releases its seats: 200 `{status: "CANCELLED"}`, once per user and
    /// `Idempotency-Key`.
    pub async fn cancel(
        &self,
        user: &str,
        reservation_id: &str,
        key: &str,
        hash: &str,
    ) -> Result<Outcome, Error> {
        self.idempotency
            .run(user, key, hash, |lock| async {
                let result = self.cancel_locked(user, reservation_id, &lock).await;
                (lock, result)
            })
            .await
    }

    async fn cancel_locked(
        &self,
        user: &str,
        reservation_id: &str,
        lock: &Lock,
    ) -> Result<StoredResponse, Error> {
        let reservation = self.find(user, reservation_id).await?;
        let now = self.clock.now();
        let status = reservation.status.at(reservation.hold_expires_at, now);
        check_transition(reservation_id, status, Action::Cancel)?;
        let response = StoredResponse::json(
            200,
            &CancelReservationResponse {
                status: ReservationStatus::Cancelled.as_str().to_owned(),
            },
        );
        let r = Reservation::fields();
        let mut tx = self
            .release_seats(TransactWrite::new(&self.client), &reservation, now)
            .await?;
        let event = Cancelled {
            reservation_id: reservation_id.to_owned(),
            event_id: reservation.event_id.clone(),
            user_id: user.to_owned(),
            seat_ids: reservation.seat_ids.clone(),
        };
        tx = tx
            .update(
                &self.tables.reservations,
                reservation.key(),
                |u| {
                    u.set(r.status, ReservationStatus::Cancelled)
                        .set(r.updated_at, now)
                        .set_index_keys(ReservationGsi2Keys { hold_shard: None })
                        .remove(r.gsi2sk)
                },
                r.status.eq(ReservationStatus::Hold),
            )
            .put_new(
                &self.tables.outbox,
                self.outbox_event(reservation_id, &event, now),
            );
        let tx = self.idempotency.complete(tx, lock, &response);
        match tx.send().await {
            Ok(()) => {
                tracing::info!(reservation_id, "reservation cancelled");
                self.committed(ReservationStatus::Cancelled);
                Ok(response)
            }
            Err(dynamo_core::Error::TransactionCanceled { reasons, .. }) => {
                let (reservations, seats) =
                    (self.tables.reservations.name(), self.tables.seats.name());
                if reasons
                    .iter()
                    .any(|r| r.table == reservations || r.table == seats)
                {
                    return Err(self
                        .state_changed(user, reservation_id, Action::Cancel)
                        .await);
                }
                Err(self.lock_lost_or_internal(&reasons))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Adds to `tx` the release of the reservation's seats that it still holds: after the hold
    /// ended, another reservation may have taken some, and those are left alone.
    async fn release_seats(
        &self,
        mut tx: TransactWrite,
        reservation: &Reservation,
        now: OffsetDateTime,
    ) -> Result<TransactWrite, Error> {
        let s = Seat::fields();
        let id = reservation.reservation_id.as_str();
        let keys = reservation
            .seat_ids
            .iter()
            .map(|seat| SeatKey::new(reservation.event_id.clone(), seat.clone()));
        let held = self
            .tables
            .seats
            .batch_get(keys)
            .consistent_read()
            .send()
            .await?;
        if !held.unprocessed.is_empty() {
            return Err(Error::Unavailable {
                dependency: "DynamoDB",
                detail: "BatchGetItem left seats unread after its retries".into(),
            });
        }
        for seat in held
            .items
            .into_iter()
            .filter(|seat| seat.holder.as_deref() == Some(id) && seat.state == SeatState::Held)
        {
            tx = tx.update(
                &self.tables.seats,
                SeatKey::new(seat.event_id, seat.seat_id),
                |u| {
                    u.set(s.state, SeatState::Available)
                        .set(s.holder, None)
                        .set(s.hold_expires_at, None)
                        .set(s.updated_at, now)
                },
                s.holder
                    .eq(Some(id.to_owned()))
                    .and(s.state.eq(SeatState::Held)),
            );
        }
        Ok(tx)
    }

    /// Open holds in one shard whose end is before `now`, oldest first.
    pub async fn expired_holds(
        &self,
        shard: u8,
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
        let tx = self
            .release_seats(TransactWrite::new(&self.client), reservation, now)
            .await?;
        let event = Expired {
            reservation_id: id.to_owned(),
            event_id: reservation.event_id.clone(),
            user_id: reservation.user_id.clone(),
            seat_ids: reservation.seat_ids.clone(),
            hold_expires_at: rfc3339(reservation.hold_expires_at),
        };
        let tx = tx
            .update(
                &self.tables.reservations,
                reservation.key(),
                |u| {
                    u.set(r.status, ReservationStatus::Expired)
                        .set(r.updated_at, now)
                        .set_index_keys(ReservationGsi2Keys { hold_shard: None })
                        .remove(r.gsi2sk)
                },
                r.status
                    .eq(ReservationStatus::Hold)
                    .and(r.gsi2sk.lt(Some(now.unix_timestamp()))),
            )
            .put_new(&self.tables.outbox, self.outbox_event(id, &event, now));
        match tx.send().await {
            Ok(()) => {
                tracing::info!(reservation_id = id, "hold expired");
                self.committed(ReservationStatus::Expired);
                Ok(true)
            }
            // Confirmed, cancelled or expired meanwhile, or a seat changed hands: the next pass
            // looks again.
            Err(
                dynamo_core::Error::TransactionCanceled { .. }
                | dynamo_core::Error::TransactionConflict { .. },
            ) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// One sweep over every shard: expires up to `limit` holds per shard; returns how many.
    pub async fn sweep(&self, limit: i32) -> Result<usize, Error> {
        let now = self.clock.now();
        let mut expired = 0;
        // Start at a random shard so replicas sweeping together spread out.
        let start = fastrand::u8(..WORK_SHARDS);
        for i in 0..WORK_SHARDS {
            let shard = (start + i) % WORK_SHARDS;
            for reservation in self.expired_holds(shard, now, limit).await? {
                if self.expire(&reservation, now).await? {
                    expired += 1;
                }
            }
        }
        Ok(expired)
    }

    /// The error for a reservation whose state changed under a transaction.
    async fn state_changed(&self, user: &str, reservation_id: &str, action: Action) -> Error {
        match self.find(user, reservation_id).await {
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

    /// Why a transaction holding an idempotency lock was canceled, when no seat or reservation
    /// condition explains it.
    fn lock_lost_or_internal(&self, reasons: &[CancellationReason]) -> Error {
        if reasons
            .iter()
            .any(|r| r.table == self.tables.idempotency.name())
        {
            return Error::IdempotencyConflict {
                message: "the request took too long and another request with this Idempotency-Key took over; retry".into(),
                retry_after: Some(1),
            };
        }
        if reasons.iter().any(|r| r.code == "TransactionConflict") {
            return Error::Contended(
                "the reservation is being changed by another request; retry".into(),
            );
        }
        Error::Internal(format!(
            "transaction canceled: {}",
            reasons
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    }
}

/// The response of a hold, as [`Reservations::hold_transaction`] stores it.
pub struct HoldResponse {
    /// The new reservation's id.
    pub reservation_id: String,
    /// The response body stored with the idempotency record.
    pub stored: StoredResponse,
}
