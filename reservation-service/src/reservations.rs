//! The reservation domain: requests parsed into valid values, and the transactions that hold,
//! confirm and cancel. Every write is one `TransactWriteItems`: seats, reservation, order,
//! outbox event and idempotency completion commit together or not at all.

use crate::api::{
    CancelReservationResponse, ConfirmReservationResponse, CreateReservationResponse,
};
use crate::error::ApiError;
use crate::idempotency::{Idempotency, Lock, StoredResponse};
use crate::metrics::Metrics;
use crate::payment::PaymentGateway;
use crate::tables::*;
use dynamo_core::{Entity, Error, Table, TransactWrite};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A valid `POST /v1/reservations` body.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateReservation {
    /// The event.
    pub event_id: String,
    /// The seats, unique, in request order.
    pub seat_ids: Vec<String>,
    /// The user the request is for (must be the token's subject).
    pub user_id: String,
    /// The admission token.
    pub reservation_token: String,
}

fn field<'a>(body: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.get(name).filter(|v| !v.is_null())
}

fn text(body: &serde_json::Map<String, Value>, name: &str, max: usize) -> Result<String, ApiError> {
    match field(body, name) {
        None => Err(ApiError::Validation(format!("{name} is required"))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(ApiError::Validation(format!("{name} must not be empty")))
        }
        Some(Value::String(s)) if s.chars().count() > max => Err(ApiError::Validation(format!(
            "{name} must be at most {max} characters"
        ))),
        Some(Value::String(s)) if s.chars().any(char::is_control) => Err(ApiError::Validation(
            format!("{name} must not contain control characters"),
        )),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::Validation(format!("{name} must be a string"))),
    }
}

fn count(body: &serde_json::Map<String, Value>, name: &str) -> Result<Option<u64>, ApiError> {
    match field(body, name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| ApiError::Validation(format!("{name} must be a positive integer"))),
    }
}

/// Parses the body of `POST /v1/reservations`; `max_seats` bounds the seat list.
pub fn parse_create(body: &Value, max_seats: usize) -> Result<CreateReservation, ApiError> {
    let body = body
        .as_object()
        .ok_or_else(|| ApiError::Validation("the body must be a JSON object".into()))?;
    let event_id = text(body, "event_id", 128)?;
    let seats = match field(body, "seat_ids") {
        None => return Err(ApiError::Validation("seat_ids is required".into())),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::Validation(
                "seat_ids must be an array of strings".into(),
            ));
        }
    };
    if seats.is_empty() {
        return Err(ApiError::Validation(
            "seat_ids must hold at least one seat".into(),
        ));
    }
    if seats.len() > max_seats {
        return Err(ApiError::Validation(format!(
            "seat_ids holds {} seats; at most {max_seats} per reservation",
            seats.len()
        )));
    }
    let mut seat_ids = Vec::with_capacity(seats.len());
    let mut seen = HashSet::new();
    for (i, seat) in seats.iter().enumerate() {
        let seat = match seat {
            Value::String(s)
                if !s.trim().is_empty() && s.len() <= 64 && !s.chars().any(char::is_control) =>
            {
                s.clone()
            }
            Value::String(_) => {
                return Err(ApiError::Validation(format!(
                    "seat_ids[{i}] must be 1 to 64 characters without control characters"
                )));
            }
            _ => {
                return Err(ApiError::Validation(format!(
                    "seat_ids[{i}] must be a string"
                )));
            }
        };
        if !seen.insert(seat.clone()) {
            return Err(ApiError::Validation(format!(
                "seat_ids[{i}] repeats seat {seat}"
            )));
        }
        seat_ids.push(seat);
    }
    let n = seat_ids.len() as u64;
    for name in ["qty", "quantity"] {
        if let Some(q) = count(body, name)?
            && q != n
        {
            return Err(ApiError::Validation(format!(
                "{name} is {q} but seat_ids holds {n} seats"
            )));
        }
    }
    Ok(CreateReservation {
        event_id,
        seat_ids,
        user_id: text(body, "user_id", 128)?,
        reservation_token: text(body, "reservation_token", 2048)?,
    })
}

/// Parses the body of `POST /v1/reservations/{id}/confirm`: the payment intent.
pub fn parse_confirm(body: &Value) -> Result<String, ApiError> {
    let body = body
        .as_object()
        .ok_or_else(|| ApiError::Validation("the body must be a JSON object".into()))?;
    text(body, "payment_intent_id", 128)
}

/// How an idempotent request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Executed now.
    Executed(StoredResponse),
    /// An earlier request with the same key and body: its stored response.
    Replayed(StoredResponse),
}

pub(crate) struct HoldResponse {
    reservation_id: String,
    stored: StoredResponse,
}

/// A reservation as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReservationView {
    /// Id.
    pub reservation_id: String,
    /// `HOLD`, `CONFIRMED`, `CANCELLED` or `EXPIRED` (a hold past its end).
    pub status: ReservationStatus,
    /// End of the hold, RFC 3339.
    #[schema(format = DateTime)]
    pub hold_expires_at: String,
    /// The event.
    pub event_id: String,
    /// The seats.
    pub seat_ids: Vec<String>,
    /// Number of seats.
    pub quantity: u32,
    /// The order, once confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

/// RFC 3339 in UTC, seconds precision.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// The reservation service: tables, payments and hold length.
#[derive(Clone)]
pub struct Reservations {
    client: dynamo_core::Client,
    reservations: Table<Reservation>,
    seats: Table<Seat>,
    orders: Table<Order>,
    outbox: Table<OutboxEvent>,
    payments: Arc<dyn PaymentGateway>,
    hold_ttl: Duration,
    metrics: Metrics,
    outbox_written: Arc<tokio::sync::Notify>,
}

impl Reservations {
    /// The service on the tables named with `prefix`.
    pub fn new(
        client: &dynamo_core::Client,
        prefix: &str,
        payments: Arc<dyn PaymentGateway>,
        hold_ttl: Duration,
        metrics: Metrics,
    ) -> Self {
        Reservations {
            client: client.clone(),
            reservations: Table::new(client).with_prefix(prefix),
            seats: Table::new(client).with_prefix(prefix),
            orders: Table::new(client).with_prefix(prefix),
            outbox: Table::new(client).with_prefix(prefix),
            payments,
            hold_ttl,
            metrics,
            outbox_written: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Notified after every committed change (each writes an outbox event): wakes the relay.
    pub fn outbox_written(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_written.clone()
    }

    /// After a change committed: counts it and wakes the relay.
    fn committed(&self, status: ReservationStatus) {
        self.metrics.reservation_status(status);
        self.outbox_written.notify_one();
    }

    /// The seats table, for seeding events.
    pub fn seats(&self) -> &Table<Seat> {
        &self.seats
    }

    fn outbox_event(
        &self,
        event_type: &str,
        aggregate_id: &str,
        payload: Value,
        now: OffsetDateTime,
    ) -> OutboxEvent {
        let outbox_id = new_id("obx");
        OutboxEvent {
            gsi1pk: Some(pending_shard(fastrand::u8(..WORK_SHARDS))),
            gsi1sk: Some(crate::outbox::due_key(now.unix_timestamp(), &outbox_id)),
            outbox_id,
            event_type: event_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            payload: payload.to_string(),
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
    pub async fn create(
        &self,
        user: &str,
        request: CreateReservation,
        idempotency: &Idempotency,
        key: &str,
        hash: &str,
    ) -> Result<Outcome, ApiError> {
        for attempt in 1..=4u32 {
            let (tx, response) = self.hold_transaction(user, &request, idempotency, key, hash);
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
                Err(Error::TransactionCanceled { reasons, .. }) => reasons,
                Err(Error::TransactionConflict { .. }) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            if let Some(stored) = idempotency.lookup(user, key, hash).await? {
                return Ok(Outcome::Replayed(stored));
            }
            let taken: Vec<String> = reasons
                .iter()
                .filter(|r| r.index < request.seat_ids.len() && r.code == "ConditionalCheckFailed")
                .map(|r| request.seat_ids[r.index].clone())
                .collect();
            if !taken.is_empty() {
                return Err(ApiError::InventoryConflict(taken));
            }
            if !reasons.iter().all(|r| r.code == "TransactionConflict") {
                return Err(lock_lost_or_internal(idempotency, &reasons));
            }
            // Another transaction on these seats or this key is committing: look again shortly.
            tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 20)).await;
        }
        Err(ApiError::IdempotencyConflict {
            message: "the seats or this Idempotency-Key are being changed by other requests; retry"
                .into(),
            retry_after: Some(1),
        })
    }

    /// The transaction of a hold, and its response (also what the load tool measures raw).
    pub(crate) fn hold_transaction(
        &self,
        user: &str,
        request: &CreateReservation,
        idempotency: &Idempotency,
        key: &str,
        hash: &str,
    ) -> (TransactWrite, HoldResponse) {
        let now = OffsetDateTime::now_utc();
        let hold_until = now + self.hold_ttl;
        let reservation_id = new_id("rsv");
        let stored = StoredResponse::json(
            201,
            &CreateReservationResponse {
                reservation_id: reservation_id.clone(),
                hold_expires_at: rfc3339(hold_until),
            },
        );
        let s = Seat::fields();
        let mut tx = TransactWrite::new(&self.client);
        for seat in &request.seat_ids {
            let free = s.state.eq(SeatState::Available).or(s
                .state
                .eq(SeatState::Held)
                .and(s.hold_expires_at.lt(now.unix_timestamp())));
            tx = tx.update(
                &self.seats,
                SeatKey::new(request.event_id.clone(), seat.clone()),
                |u| {
                    u.set(s.state, SeatState::Held)
                        .set(s.holder, Some(reservation_id.clone()))
                        .set(s.hold_expires_at, Some(hold_until.unix_timestamp()))
                        .set(s.updated_at, now)
                },
                s.seat_id.exists().and(free),
            );
        }
        let quantity = u32::try_from(request.seat_ids.len()).unwrap_or(u32::MAX);
        let payload = json!({
            "reservation_id": reservation_id, "event_id": request.event_id, "user_id": user,
            "seat_ids": request.seat_ids, "quantity": quantity, "hold_expires_at": rfc3339(hold_until),
        });
        let event = self.outbox_event("reservation.hold.created", &reservation_id, payload, now);
        let reservation = Reservation {
            gsi1pk: format!("USER#{user}"),
            gsi1sk: format!("{}#{reservation_id}", rfc3339(now)),
            reservation_id: reservation_id.clone(),
            event_id: request.event_id.clone(),
            user_id: user.to_owned(),
            status: ReservationStatus::Hold,
            seat_ids: request.seat_ids.clone(),
            quantity,
            hold_expires_at: hold_until,
            idempotency_key: key.to_owned(),
            order_id: None,
            created_at: now,
            updated_at: now,
            gsi2pk: Some(hold_shard(fastrand::u8(..WORK_SHARDS))),
            gsi2sk: Some(hold_until.unix_timestamp()),
        };
        let tx = tx
            .put_new(&self.reservations, reservation)
            .put_new(&self.outbox, event);
        let tx = idempotency.record(tx, user, key, hash, &stored);
        (
            tx,
            HoldResponse {
                reservation_id,
                stored,
            },
        )
    }

    /// A reservation by id, checked to belong to `user`.
    pub async fn find(&self, user: &str, reservation_id: &str) -> Result<Reservation, ApiError> {
        let not_found =
            || ApiError::NotFound(format!("reservation {reservation_id} does not exist"));
        if !valid_id(reservation_id, "rsv_") {
            return Err(not_found());
        }
        let page = self
            .reservations
            .query(reservation_id)
            .limit(1)
            .consistent_read()
            .send()
            .await?;
        let reservation = page.items.into_iter().next().ok_or_else(not_found)?;
        if reservation.user_id != user {
            return Err(ApiError::Forbidden(format!(
                "reservation {reservation_id} belongs to another user"
            )));
        }
        Ok(reservation)
    }

    /// The API view; a hold past its end shows as `EXPIRED`.
    pub fn view(reservation: Reservation) -> ReservationView {
        let status = match reservation.status {
            ReservationStatus::Hold if reservation.hold_expires_at < OffsetDateTime::now_utc() => {
                ReservationStatus::Expired
            }
            s => s,
        };
        ReservationView {
            reservation_id: reservation.reservation_id,
            status,
            hold_expires_at: rfc3339(reservation.hold_expires_at),
            event_id: reservation.event_id,
            seat_ids: reservation.seat_ids,
            quantity: reservation.quantity,
            order_id: reservation.order_id,
        }
    }

    /// Confirms a hold after payment: 200 `{order_id, status: "CONFIRMED"}`.
    pub async fn confirm(
        &self,
        user: &str,
        reservation_id: &str,
        payment_intent_id: &str,
        idempotency: &Idempotency,
        lock: &Lock,
    ) -> Result<StoredResponse, ApiError> {
        let reservation = self.find(user, reservation_id).await?;
        let now = OffsetDateTime::now_utc();
        check_transition(&reservation, "confirm")?;
        if reservation.hold_expires_at <= now {
            return Err(ApiError::ReservationExpired(reservation_id.to_owned()));
        }
        self.payments.approve(payment_intent_id).await?;

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
                &self.seats,
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
            &self.reservations,
            reservation.key(),
            |u| {
                u.set(r.status, ReservationStatus::Confirmed)
                    .set(r.order_id, Some(order_id.clone()))
                    .set(r.updated_at, now)
                    .remove(r.gsi2pk)
                    .remove(r.gsi2sk)
            },
            r.status.eq(ReservationStatus::Hold),
        );
        let payload = json!({
            "reservation_id": reservation_id, "order_id": order_id, "event_id": reservation.event_id,
            "user_id": user, "seat_ids": reservation.seat_ids, "payment_intent_id": payment_intent_id,
        });
        let order = Order {
            gsi1pk: "STATUS#CONFIRMED".into(),
            gsi1sk: format!("{}#{order_id}", rfc3339(now)),
            order_id: order_id.clone(),
            reservation_id: reservation_id.to_owned(),
            event_id: reservation.event_id.clone(),
            user_id: user.to_owned(),
            seat_ids: reservation.seat_ids.clone(),
            status: OrderStatus::Confirmed,
            payment_intent_id: payment_intent_id.to_owned(),
            created_at: now,
        };
        tx = tx.put_new(&self.orders, order).put_new(
            &self.outbox,
            self.outbox_event("reservation.confirmed", reservation_id, payload, now),
        );
        tx = idempotency.complete(tx, lock, &response);
        match tx.send().await {
            Ok(()) => {
                tracing::info!(reservation_id, order_id, "reservation confirmed");
                self.committed(ReservationStatus::Confirmed);
                Ok(response)
            }
            Err(Error::TransactionCanceled { reasons, .. }) => {
                if reasons.iter().any(|r| r.index < seats) {
                    return Err(ApiError::ReservationExpired(reservation_id.to_owned()));
                }
                if reasons.iter().any(|r| r.index == seats) {
                    return Err(self.state_changed(user, reservation_id, "confirm").await);
                }
                Err(lock_lost_or_internal(idempotency, &reasons))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Cancels a hold and releases its seats: 200 `{status: "CANCELLED"}`.
    pub async fn cancel(
        &self,
        user: &str,
        reservation_id: &str,
        idempotency: &Idempotency,
        lock: &Lock,
    ) -> Result<StoredResponse, ApiError> {
        let reservation = self.find(user, reservation_id).await?;
        check_transition(&reservation, "cancel")?;
        let now = OffsetDateTime::now_utc();
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
        let payload = json!({ "reservation_id": reservation_id, "event_id": reservation.event_id, "user_id": user, "seat_ids": reservation.seat_ids });
        tx = tx
            .update(
                &self.reservations,
                reservation.key(),
                |u| {
                    u.set(r.status, ReservationStatus::Cancelled)
                        .set(r.updated_at, now)
                        .remove(r.gsi2pk)
                        .remove(r.gsi2sk)
                },
                r.status.eq(ReservationStatus::Hold),
            )
            .put_new(
                &self.outbox,
                self.outbox_event("reservation.cancelled", reservation_id, payload, now),
            );
        let tx = idempotency.complete(tx, lock, &response);
        match tx.send().await {
            Ok(()) => {
                tracing::info!(reservation_id, "reservation cancelled");
                self.committed(ReservationStatus::Cancelled);
                Ok(response)
            }
            Err(Error::TransactionCanceled { reasons, .. }) => {
                if reasons
                    .iter()
                    .any(|r| r.table == self.reservations.name() || r.table == self.seats.name())
                {
                    return Err(self.state_changed(user, reservation_id, "cancel").await);
                }
                Err(lock_lost_or_internal(idempotency, &reasons))
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
    ) -> Result<TransactWrite, ApiError> {
        let s = Seat::fields();
        let id = reservation.reservation_id.as_str();
        let keys = reservation
            .seat_ids
            .iter()
            .map(|seat| SeatKey::new(reservation.event_id.clone(), seat.clone()));
        let held = self.seats.batch_get(keys).consistent_read().send().await?;
        if !held.unprocessed.is_empty() {
            return Err(ApiError::Unavailable);
        }
        for seat in held
            .items
            .into_iter()
            .filter(|seat| seat.holder.as_deref() == Some(id) && seat.state == SeatState::Held)
        {
            tx = tx.update(
                &self.seats,
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
    ) -> Result<Vec<Reservation>, dynamo_core::Error> {
        let page = self
            .reservations
            .query(hold_shard(shard))
            .index("GSI2")
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
    ) -> Result<bool, ApiError> {
        let r = Reservation::fields();
        let id = reservation.reservation_id.as_str();
        let tx = self
            .release_seats(TransactWrite::new(&self.client), reservation, now)
            .await?;
        let payload = json!({
            "reservation_id": id, "event_id": reservation.event_id, "user_id": reservation.user_id,
            "seat_ids": reservation.seat_ids, "hold_expires_at": rfc3339(reservation.hold_expires_at),
        });
        let tx = tx
            .update(
                &self.reservations,
                reservation.key(),
                |u| {
                    u.set(r.status, ReservationStatus::Expired)
                        .set(r.updated_at, now)
                        .remove(r.gsi2pk)
                        .remove(r.gsi2sk)
                },
                r.status
                    .eq(ReservationStatus::Hold)
                    .and(r.gsi2sk.lt(Some(now.unix_timestamp()))),
            )
            .put_new(
                &self.outbox,
                self.outbox_event("reservation.expired", id, payload, now),
            );
        match tx.send().await {
            Ok(()) => {
                tracing::info!(reservation_id = id, "hold expired");
                self.committed(ReservationStatus::Expired);
                Ok(true)
            }
            // Confirmed, cancelled or expired meanwhile, or a seat changed hands: the next pass
            // looks again.
            Err(Error::TransactionCanceled { .. } | Error::TransactionConflict { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// One sweep over every shard: expires up to `limit` holds per shard; returns how many.
    pub async fn sweep(&self, limit: i32) -> Result<usize, ApiError> {
        let now = OffsetDateTime::now_utc();
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
    async fn state_changed(&self, user: &str, reservation_id: &str, action: &str) -> ApiError {
        match self.find(user, reservation_id).await {
            Ok(r) => match check_transition(&r, action) {
                Err(e) => e,
                Ok(()) => ApiError::InvalidState(format!(
                    "reservation {reservation_id} changed concurrently; retry"
                )),
            },
            Err(e) => e,
        }
    }
}

/// The GSI1 partition of pending outbox events in `shard`.
pub fn pending_shard(shard: u8) -> String {
    format!("PENDING#{shard}")
}

/// The GSI2 partition of open holds in `shard`.
pub fn hold_shard(shard: u8) -> String {
    format!("HOLD#{shard}")
}

fn valid_id(id: &str, prefix: &str) -> bool {
    id.starts_with(prefix)
        && id.len() <= 64
        && id[prefix.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric())
        && id.len() > prefix.len()
}

/// Confirm and cancel need a hold.
fn check_transition(reservation: &Reservation, action: &str) -> Result<(), ApiError> {
    let id = &reservation.reservation_id;
    match reservation.status {
        ReservationStatus::Hold => Ok(()),
        ReservationStatus::Expired => Err(ApiError::ReservationExpired(id.clone())),
        status => Err(ApiError::InvalidState(format!(
            "cannot {action} reservation {id}: it is {}",
            status.as_str()
        ))),
    }
}

fn lock_lost_or_internal(
    idempotency: &Idempotency,
    reasons: &[dynamo_core::CancellationReason],
) -> ApiError {
    if reasons.iter().any(|r| idempotency.is_lock_item(&r.table)) {
        return ApiError::IdempotencyConflict {
            message: "the request took too long and another request with this Idempotency-Key took over; retry".into(),
            retry_after: Some(1),
        };
    }
    if reasons.iter().any(|r| r.code == "TransactionConflict") {
        return ApiError::InvalidState(
            "the reservation is being changed by another request; retry".into(),
        );
    }
    ApiError::Internal(format!(
        "transaction canceled: {}",
        reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &str) -> Value {
        serde_json::from_str(s).expect("json")
    }

    #[test]
    fn accepts_qty_or_quantity() {
        let ok = r#"{"event_id":"evt_1","qty":2,"seat_ids":["A-1","A-2"],"user_id":"u1","reservation_token":"t"}"#;
        assert_eq!(
            parse_create(&body(ok), 10).expect("valid").seat_ids,
            ["A-1", "A-2"]
        );
        let ok = r#"{"event_id":"evt_1","quantity":1,"seat_ids":["A-1"],"user_id":"u1","reservation_token":"t"}"#;
        assert!(parse_create(&body(ok), 10).is_ok());
    }

    #[test]
    fn messages_name_the_field() {
        let cases = [
            (r#"[]"#, "the body must be a JSON object"),
            (
                r#"{"seat_ids":["A-1"],"user_id":"u","reservation_token":"t"}"#,
                "event_id is required",
            ),
            (
                r#"{"event_id":1,"seat_ids":["A-1"],"user_id":"u","reservation_token":"t"}"#,
                "event_id must be a string",
            ),
            (
                r#"{"event_id":"e","seat_ids":[],"user_id":"u","reservation_token":"t"}"#,
                "seat_ids must hold at least one seat",
            ),
            (
                r#"{"event_id":"e","seat_ids":"A-1","user_id":"u","reservation_token":"t"}"#,
                "seat_ids must be an array of strings",
            ),
            (
                r#"{"event_id":"e","seat_ids":["A-1",2],"user_id":"u","reservation_token":"t"}"#,
                "seat_ids[1] must be a string",
            ),
            (
                r#"{"event_id":"e","seat_ids":["A-1","A-1"],"user_id":"u","reservation_token":"t"}"#,
                "seat_ids[1] repeats seat A-1",
            ),
            (
                r#"{"event_id":"e","qty":3,"seat_ids":["A-1"],"user_id":"u","reservation_token":"t"}"#,
                "qty is 3 but seat_ids holds 1 seats",
            ),
            (
                r#"{"event_id":"e","quantity":-1,"seat_ids":["A-1"],"user_id":"u","reservation_token":"t"}"#,
                "quantity must be a positive integer",
            ),
            (
                r#"{"event_id":"e","seat_ids":["A-1"],"reservation_token":"t"}"#,
                "user_id is required",
            ),
            (
                r#"{"event_id":"e","seat_ids":["A-1"],"user_id":"u"}"#,
                "reservation_token is required",
            ),
        ];
        for (input, expected) in cases {
            match parse_create(&body(input), 10) {
                Err(ApiError::Validation(message)) => assert_eq!(message, expected, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
        let many = format!(
            r#"{{"event_id":"e","seat_ids":[{}],"user_id":"u","reservation_token":"t"}}"#,
            (0..11)
                .map(|i| format!("\"S-{i}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(
            matches!(parse_create(&body(&many), 10), Err(ApiError::Validation(m)) if m.contains("at most 10"))
        );
    }

    #[test]
    fn ids() {
        assert!(valid_id("rsv_0192abc", "rsv_"));
        assert!(!valid_id("rsv_", "rsv_"));
        assert!(!valid_id("rsv_../x", "rsv_"));
        assert!(!valid_id("ord_1", "rsv_"));
    }
}
