//! The reservation's life, decided. Pure functions from what a service read (the reservation,
//! the seats' prices, the payment's use and answer, the time) to what it is to do: a plan of
//! writes and events, or a refusal. No I/O, no clock, no HTTP: a service reads, asks here,
//! and sends the plan as one transaction (`services::reservations`).
//!
//! ```text
//! hold ─▶ HOLD ──confirm (paid, before the end)──▶ CONFIRMED
//!           │ ──cancel──────────────────────────▶ CANCELLED
//!           └──expire (the sweeper, after the grace)▶ EXPIRED
//! ```
//!
//! A confirmation of a reservation that is no longer an open hold hands its payment back when
//! the payment API approved it ([`HandBack`]); a hold past its end is expired for every purpose
//! even before the sweeper records it.

use super::bodies::{
    CancelReservationResponse, ConfirmReservationResponse, CreateReservationResponse,
};
use super::cost::{Index, Item, Write};
use super::events::{
    Cancelled, Confirmed, DomainEvent, Expired, HoldCreated, PaymentVoidRequested,
};
use super::reservation::{Action, ReservationStatus};
use super::{Error, Money, PaymentIntentId, rfc3339};
use dynamo_core::DynamoValue;
use time::OffsetDateTime;

/// A reservation as the rules read it.
#[derive(Debug, Clone)]
pub struct Booking<'a> {
    /// `rsv_...`.
    pub id: &'a str,
    /// Its user.
    pub user_id: &'a str,
    /// The event.
    pub event_id: &'a str,
    /// The seats, in request order.
    pub seat_ids: &'a [String],
    /// Its state as stored (see [`Booking::status_at`]).
    pub status: ReservationStatus,
    /// When the hold ends.
    pub hold_expires_at: OffsetDateTime,
    /// The seats' total when they were held (absent for holds made before seats had prices).
    pub total: Option<Money>,
    /// Whether its seats count towards the user's cap (holds made before the cap did not).
    pub counted: bool,
}

impl Booking<'_> {
    /// Its state as of `now`: a hold past its end is expired.
    pub fn status_at(&self, now: OffsetDateTime) -> ReservationStatus {
        self.status.at(self.hold_expires_at, now)
    }

    fn seats(&self) -> u32 {
        u32::try_from(self.seat_ids.len()).unwrap_or(u32::MAX)
    }
}

/// Whether `action` may happen to reservation `id` in `status` (as of now, see
/// [`ReservationStatus::at`]): both need an open hold.
pub fn check_transition(id: &str, status: ReservationStatus, action: Action) -> Result<(), Error> {
    match status {
        ReservationStatus::Hold => Ok(()),
        ReservationStatus::Expired => Err(Error::Expired(id.to_owned())),
        status => Err(Error::InvalidState(format!(
            "cannot {} reservation {id}: it is {}",
            action.as_str(),
            status.as_str()
        ))),
    }
}

/// An outbox event of a plan.
#[derive(Debug, Clone)]
pub enum Event {
    /// `reservation.hold.created`.
    HoldCreated(HoldCreated),
    /// `reservation.confirmed`.
    Confirmed(Confirmed),
    /// `reservation.cancelled`.
    Cancelled(Cancelled),
    /// `reservation.expired`.
    Expired(Expired),
    /// `payment.void_requested`.
    PaymentVoidRequested(PaymentVoidRequested),
}

impl Event {
    /// Its type and payload (JSON text).
    pub fn to_json(&self) -> Result<(&'static str, String), Error> {
        fn json<E: DomainEvent>(e: &E) -> Result<(&'static str, String), Error> {
            Ok((E::TYPE, super::to_json(e, E::TYPE)?))
        }
        match self {
            Event::HoldCreated(e) => json(e),
            Event::Confirmed(e) => json(e),
            Event::Cancelled(e) => json(e),
            Event::Expired(e) => json(e),
            Event::PaymentVoidRequested(e) => json(e),
        }
    }
}

/// What a request that changed something answers; routes give it its status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A hold was made.
    Created(CreateReservationResponse),
    /// A hold was confirmed.
    Confirmed(ConfirmReservationResponse),
    /// A hold was cancelled.
    Cancelled(CancelReservationResponse),
}

impl Answer {
    /// What kind of answer it is.
    pub fn reply(&self) -> Reply {
        match self {
            Answer::Created(_) => Reply::Created,
            Answer::Confirmed(_) | Answer::Cancelled(_) => Reply::Done,
        }
    }

    /// Its body, as JSON text.
    pub fn to_json(&self) -> Result<String, Error> {
        let what = "the response";
        match self {
            Answer::Created(body) => super::to_json(body, what),
            Answer::Confirmed(body) => super::to_json(body, what),
            Answer::Cancelled(body) => super::to_json(body, what),
        }
    }
}

/// Whether a change made something new or changed what existed: the one thing a route needs
/// to choose an answer's status code. Idempotency records keep it for replays.
#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reply {
    /// Something new was made (a hold).
    Created,
    /// An existing reservation changed.
    Done,
}

/// A new hold, as asked.
#[derive(Debug, Clone, Copy)]
pub struct HoldRequest<'a> {
    /// The new reservation's id.
    pub reservation_id: &'a str,
    /// Who holds.
    pub user_id: &'a str,
    /// The event.
    pub event_id: &'a str,
    /// The seats, in request order.
    pub seat_ids: &'a [String],
    /// When the hold ends.
    pub until: OffsetDateTime,
}

/// What a hold commits.
#[derive(Debug, Clone)]
pub struct HoldPlan {
    /// The seats' total.
    pub total: Money,
    /// Seats added to the user's count of the event ...
    pub seats: u32,
    /// ... on the condition that the count is at most this before.
    pub room: u32,
    /// `reservation.hold.created`.
    pub event: Event,
    /// The answer.
    pub answer: Answer,
}

/// The refusal of a hold of `asked` seats that would take its user past `cap` seats of
/// `event_id`.
pub fn seat_limit(cap: u32, event_id: &str, asked: u32) -> Error {
    Error::SeatLimit(format!(
        "a user may hold or buy at most {cap} seats of event {event_id} (open holds and confirmed seats count); this hold asks for {asked} more"
    ))
}

/// The hold of `request`, with the seats priced as `prices` (seat id, price, in request order)
/// and `cap` seats per user and event: the plan, or why not.
pub fn hold(
    request: &HoldRequest<'_>,
    prices: &[(&str, Option<&Money>)],
    cap: u32,
) -> Result<HoldPlan, Error> {
    let asked = u32::try_from(request.seat_ids.len()).unwrap_or(u32::MAX);
    if asked > cap {
        return Err(seat_limit(cap, request.event_id, asked));
    }
    let total = super::money::total(prices.iter().copied())
        .map_err(|e| Error::NotForSale(format!("event {}: {e}", request.event_id)))?;
    let event = Event::HoldCreated(HoldCreated {
        reservation_id: request.reservation_id.to_owned(),
        event_id: request.event_id.to_owned(),
        user_id: request.user_id.to_owned(),
        seat_ids: request.seat_ids.to_vec(),
        quantity: asked,
        hold_expires_at: rfc3339(request.until),
        total_price: total.amount,
        currency: total.currency.clone(),
    });
    Ok(HoldPlan {
        total,
        seats: asked,
        room: cap - asked,
        event,
        answer: Answer::Created(CreateReservationResponse {
            reservation_id: request.reservation_id.to_owned(),
            hold_expires_at: rfc3339(request.until),
        }),
    })
}

/// Whether a closing transaction asks that the hold's seats are still kept for it (a
/// confirmation), that their keeping is over (an expiry), or neither (a cancellation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Kept until `now` or later: the confirmation commits within the grace.
    Still(OffsetDateTime),
    /// Kept until before `now`: the grace is over.
    Over(OffsetDateTime),
    /// Either.
    Any,
}

/// The order a confirmation writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// `ord_...`.
    pub order_id: String,
    /// The payment, as the payment API names it; recorded as used (`PAID`).
    pub payment_intent_id: String,
    /// What was paid.
    pub amount: Money,
}

/// What ends an open hold, in one transaction: the reservation leaves `HOLD` (on the condition
/// that it is still in it, and as [`Kept`] says), its seats are sold or released, the user's
/// count loses released seats, and the event is written.
#[derive(Debug, Clone)]
pub struct Close {
    /// The new state.
    pub to: ReservationStatus,
    /// The condition on the seats' keeping.
    pub kept: Kept,
    /// Seats taken off the user's count (released seats of a counted hold).
    pub uncount: u32,
    /// The order and payment of a confirmation.
    pub order: Option<NewOrder>,
    /// The event.
    pub event: Event,
    /// The answer, for a caller's request (none for an expiry).
    pub answer: Option<Answer>,
    /// The hold's seats, sold or released.
    pub seats: u32,
}

impl Close {
    fn new(b: &Booking<'_>, to: ReservationStatus, kept: Kept, event: Event) -> Self {
        let released = to != ReservationStatus::Confirmed && b.counted;
        Close {
            to,
            kept,
            uncount: if released { b.seats() } else { 0 },
            order: None,
            event,
            answer: None,
            seats: b.seats(),
        }
    }

    /// Its writes, in one transaction: the seats, the reservation (leaving the hold index),
    /// the order and the payment's use of a confirmation, the user's count of released seats,
    /// the event (entering the relay's index) and the request's `Idempotency-Key` record.
    pub fn writes(&self) -> Vec<Write> {
        closing_writes(
            self.seats,
            self.order.is_some(),
            self.uncount > 0,
            self.answer.is_some(),
        )
    }
}

/// The writes of a closing of `seats` seats: with an order (a confirmation), with the user's
/// count lowered (released seats of a counted hold), answering a request.
fn closing_writes(seats: u32, ordered: bool, uncounted: bool, answered: bool) -> Vec<Write> {
    let mut writes = vec![Write::in_transaction(Item::Seat); seats as usize];
    writes.push(Write::in_transaction(Item::Reservation).index(Index::Leaves));
    if ordered {
        writes.push(Write::in_transaction(Item::Order));
        writes.push(Write::in_transaction(Item::PaymentUse));
    }
    if uncounted {
        writes.push(Write::in_transaction(Item::UserSeats));
    }
    writes.push(Write::in_transaction(Item::OutboxEvent).index(Index::Enters));
    if answered {
        writes.push(Write::in_transaction(Item::IdempotencyRecord));
    }
    writes
}

/// How a hold ends, for pricing: [`Close::writes`] of a counted hold of `seats` seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Confirmed.
    Confirm,
    /// Cancelled.
    Cancel,
    /// Expired.
    Expire,
}

impl Closing {
    /// The writes of this closing of a counted hold of `seats` seats.
    pub fn writes(self, seats: u32) -> Vec<Write> {
        let confirm = self == Closing::Confirm;
        closing_writes(seats, confirm, !confirm, self != Closing::Expire)
    }
}

/// The writes of a hold of `seats` seats, in one transaction: the user's count, the seats, the
/// reservation (entering the hold index), its event (entering the relay's) and the
/// `Idempotency-Key`'s record.
pub fn hold_writes(seats: u32) -> Vec<Write> {
    let mut writes = vec![Write::in_transaction(Item::UserSeats)];
    writes.extend(vec![Write::in_transaction(Item::Seat); seats as usize]);
    writes.push(Write::in_transaction(Item::Reservation).index(Index::Enters));
    writes.push(Write::in_transaction(Item::OutboxEvent).index(Index::Enters));
    writes.push(Write::in_transaction(Item::IdempotencyRecord));
    writes
}

impl HoldPlan {
    /// Its writes ([`hold_writes`]).
    pub fn writes(&self) -> Vec<Write> {
        hold_writes(self.seats)
    }
}

/// The cancellation of `b` at `now`.
pub fn cancel(b: &Booking<'_>, now: OffsetDateTime) -> Result<Close, Error> {
    check_transition(b.id, b.status_at(now), Action::Cancel)?;
    let event = Event::Cancelled(Cancelled {
        reservation_id: b.id.to_owned(),
        event_id: b.event_id.to_owned(),
        user_id: b.user_id.to_owned(),
        seat_ids: b.seat_ids.to_vec(),
    });
    let mut close = Close::new(b, ReservationStatus::Cancelled, Kept::Any, event);
    close.answer = Some(Answer::Cancelled(CancelReservationResponse {
        status: ReservationStatus::Cancelled.as_str().to_owned(),
    }));
    Ok(close)
}

/// The expiry of `b` by the sweeper at `now`: only a hold whose seats are no longer kept (its
/// end plus the grace passed); `None` for anything else.
pub fn expire(b: &Booking<'_>, now: OffsetDateTime) -> Option<Close> {
    if b.status != ReservationStatus::Hold || b.hold_expires_at > now {
        return None;
    }
    let event = Event::Expired(Expired {
        reservation_id: b.id.to_owned(),
        event_id: b.event_id.to_owned(),
        user_id: b.user_id.to_owned(),
        seat_ids: b.seat_ids.to_vec(),
        hold_expires_at: rfc3339(b.hold_expires_at),
    });
    Some(Close::new(
        b,
        ReservationStatus::Expired,
        Kept::Over(now),
        event,
    ))
}

/// A payment intent's use, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    /// Who sent it.
    pub user_id: String,
    /// The reservation it paid, or could not be applied to.
    pub reservation_id: String,
    /// Whether it paid (`false`: it is being handed back).
    pub paid: bool,
}

/// What a confirmation knows of its payment.
#[derive(Debug)]
pub enum Payment {
    /// Never used; the payment API not asked yet.
    Unasked,
    /// Used before.
    Used(Use),
    /// The payment API approved it for this reservation and its total.
    Approved,
    /// The payment API did not: what the caller is told.
    Declined(Error),
}

/// A payment to hand back: it was approved, but its reservation cannot be confirmed. Recorded
/// as used (`VOID_REQUESTED`) with `payment.void_requested`.
#[derive(Debug, Clone)]
pub struct HandBack {
    /// Why, as the event says it.
    pub reason: &'static str,
    /// What was approved.
    pub amount: Money,
    /// `payment.void_requested`.
    pub event: Event,
}

/// What a confirmation does next.
#[derive(Debug)]
pub enum Confirmation {
    /// Ask the payment API whether the intent pays this amount for the reservation, then
    /// decide again with its answer (and the time after it).
    Ask(Money),
    /// Commit.
    Commit(Close),
    /// Record the hand-back, then refuse.
    HandBack(HandBack, Error),
    /// Refuse.
    Refuse(Error),
}

/// When a confirmation started, and the time now (after its payment call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    /// When it started: a confirmation must start before the hold ends ...
    pub started: OffsetDateTime,
    /// ... and commit while its seats are kept (the end plus the grace), by the time now.
    pub now: OffsetDateTime,
}

/// The next step of confirming `b` with `intent`, knowing `payment`; `order_id` names the
/// order it would make.
pub fn confirm(
    b: &Booking<'_>,
    intent: &PaymentIntentId,
    payment: Payment,
    order_id: &str,
    times: Times,
) -> Confirmation {
    let Some(amount) = &b.total else {
        return Confirmation::Refuse(Error::NotForSale(format!(
            "reservation {} was made before seats had prices; cancel it and hold the seats again",
            b.id
        )));
    };
    let status = b.status_at(times.started);
    if status != ReservationStatus::Hold {
        // Too late, or closed otherwise: an approved payment it brings is handed back.
        let refused = check_transition(b.id, status, Action::Confirm)
            .err()
            .unwrap_or_else(|| {
                Error::Contended(
                    "the reservation is being changed by another request; retry".into(),
                )
            });
        return match payment {
            Payment::Unasked => Confirmation::Ask(amount.clone()),
            Payment::Approved => {
                Confirmation::HandBack(hand_back(b, intent, amount, status), refused)
            }
            Payment::Used(_) | Payment::Declined(_) => Confirmation::Refuse(refused),
        };
    }
    match payment {
        Payment::Unasked => Confirmation::Ask(amount.clone()),
        Payment::Used(used) => Confirmation::Refuse(used_before(b.user_id, intent, &used)),
        Payment::Declined(why) => Confirmation::Refuse(why),
        Payment::Approved => {
            Confirmation::Commit(confirmed(b, intent, amount, order_id, times.now))
        }
    }
}

fn confirmed(
    b: &Booking<'_>,
    intent: &PaymentIntentId,
    amount: &Money,
    order_id: &str,
    now: OffsetDateTime,
) -> Close {
    let event = Event::Confirmed(Confirmed {
        reservation_id: b.id.to_owned(),
        order_id: order_id.to_owned(),
        event_id: b.event_id.to_owned(),
        user_id: b.user_id.to_owned(),
        seat_ids: b.seat_ids.to_vec(),
        payment_intent_id: intent.as_str().to_owned(),
        total_amount: amount.amount,
        currency: amount.currency.clone(),
    });
    let mut close = Close::new(b, ReservationStatus::Confirmed, Kept::Still(now), event);
    close.order = Some(NewOrder {
        order_id: order_id.to_owned(),
        payment_intent_id: intent.as_str().to_owned(),
        amount: amount.clone(),
    });
    close.answer = Some(Answer::Confirmed(ConfirmReservationResponse {
        order_id: order_id.to_owned(),
        status: ReservationStatus::Confirmed.as_str().to_owned(),
    }));
    close
}

/// The hand-back of `intent`, approved for `b` which is `status`.
fn hand_back(
    b: &Booking<'_>,
    intent: &PaymentIntentId,
    amount: &Money,
    status: ReservationStatus,
) -> HandBack {
    let reason = match status {
        ReservationStatus::Confirmed => "RESERVATION_CONFIRMED",
        ReservationStatus::Cancelled => "RESERVATION_CANCELLED",
        _ => "RESERVATION_EXPIRED",
    };
    HandBack {
        reason,
        amount: amount.clone(),
        event: Event::PaymentVoidRequested(PaymentVoidRequested {
            payment_intent_id: intent.as_str().to_owned(),
            reservation_id: b.id.to_owned(),
            user_id: b.user_id.to_owned(),
            amount: amount.amount,
            currency: amount.currency.clone(),
            reason: reason.to_owned(),
        }),
    }
}

/// The one answer to an intent that does not pay for the reservation, whatever the reason:
/// unknown, not approved, or somebody else's.
pub fn not_approved(intent: &PaymentIntentId) -> Error {
    Error::PaymentNotApproved(format!(
        "payment {} is not approved for this reservation",
        intent.masked()
    ))
}

/// The answer to `user` for an intent used before: its use is told only to the user who used
/// it.
pub fn used_before(user: &str, intent: &PaymentIntentId, used: &Use) -> Error {
    if used.user_id != user {
        return not_approved(intent);
    }
    let (intent, reservation) = (intent.masked(), &used.reservation_id);
    Error::PaymentNotApproved(if used.paid {
        format!("payment {intent} has already been used: it paid for reservation {reservation}")
    } else {
        format!(
            "payment {intent} has already been used: it is being handed back, as reservation {reservation} could not be confirmed with it"
        )
    })
}

#[cfg(test)]
mod tests;
