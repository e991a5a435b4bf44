//! Confirmation after payment: the steps [`lifecycle::confirm`] decides (ask the payment API,
//! commit, hand the payment back, refuse), each carried out here, until one ends it.

use super::close::Closing;
use super::refusal::Refusal;
use super::{Reservations, outbox_event};
use crate::domain::lifecycle::{self, Close, Confirmation, HandBack, Payment, Times, Use};
use crate::domain::request::new_id;
use crate::domain::{Error, Money, PaymentIntentId, ReservationId, ReservationStatus};
use crate::services::idempotency::{IdempotentRequest, Lock, Outcome, StoredResponse};
use crate::services::payment::PaymentError;
use crate::store::{Order, OrderStatus, PaymentClaim, PaymentClaimKey, PaymentUse, Reservation};
use dynamo_core::TransactWrite;
use time::OffsetDateTime;
use tracing::Instrument;

/// How many steps a confirmation may take: asking the payment API, then committing, once more
/// after a seat was brought up to date or the reservation changed, then handing back.
const STEPS: usize = 6;

/// What a confirmation's transaction came to.
enum Committed {
    /// Confirmed: the answer.
    Done(StoredResponse),
    /// Canceled by what changed meanwhile: decide again on this.
    Again {
        reservation: Box<Reservation>,
        payment: Payment,
        /// The hold's seats are no longer kept for it: its hold ended.
        seats_lost: bool,
    },
}

impl Committed {
    fn again(reservation: Reservation, payment: Payment, seats_lost: bool) -> Self {
        Committed::Again {
            reservation: Box::new(reservation),
            payment,
            seats_lost,
        }
    }
}

impl Reservations {
    /// Confirms a hold after payment, once per user and `Idempotency-Key`; answers the order.
    /// The payment has an effect outside DynamoDB, so the key is locked while it runs; and once
    /// the payment API is asked, the confirmation runs to its end (an order, or the payment
    /// handed back) even when the caller stops waiting: it runs as a task of its own, which
    /// dropping this future does not cancel.
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
                let result = self.confirm_locked(reservation, payment, &lock).await;
                (lock, result)
            });
            confirmed.await
        };
        self.timed("confirm", run).await
    }

    /// Confirms `reservation` (read before the lock was taken: the transaction's conditions
    /// decide whether it is still open), step by step as the rules say.
    async fn confirm_locked(
        &self,
        mut reservation: Reservation,
        intent: &PaymentIntentId,
        lock: &Lock,
    ) -> Result<StoredResponse, Error> {
        let order_id = new_id("ord");
        // An intent pays for one reservation: one used before is refused without asking.
        let mut payment = self.payment_use(intent).await?;
        let mut seats_lost = false;
        let started = self.clock.now();
        for _ in 0..STEPS {
            // The clock after the payment call: the commit's conditions compare with it.
            let now = self.clock.now();
            let mut booking = reservation.booking();
            if seats_lost {
                booking.status = ReservationStatus::Expired;
            }
            let times = Times { started, now };
            match lifecycle::confirm(&booking, intent, payment, &order_id, times) {
                Confirmation::Ask(amount) => {
                    payment = self
                        .ask(&reservation.reservation_id, intent, &amount)
                        .await?;
                }
                Confirmation::Refuse(e) => return Err(e),
                Confirmation::HandBack(back, refused) => {
                    return Err(self.hand_back(&reservation, intent, back, refused).await);
                }
                Confirmation::Commit(close) => {
                    match self.commit(&reservation, intent, &close, lock, now).await? {
                        Committed::Done(response) => return Ok(response),
                        Committed::Again {
                            reservation: changed,
                            payment: known,
                            seats_lost: lost,
                        } => (reservation, payment, seats_lost) = (*changed, known, lost),
                    }
                }
            }
        }
        Err(Refusal::Conflict.into_error())
    }

    /// Sends the confirmation `close`; when DynamoDB cancels it, reads what changed.
    async fn commit(
        &self,
        reservation: &Reservation,
        intent: &PaymentIntentId,
        close: &Close,
        lock: &Lock,
        now: OffsetDateTime,
    ) -> Result<Committed, Error> {
        let order = close
            .order
            .as_ref()
            .ok_or_else(|| Error::Internal("a confirmation without an order".into()))?;
        let response = StoredResponse::answering(close)?;
        let Closing {
            mut tx,
            seats,
            reservation: held,
        } = self.closing(reservation, close, now).await?;
        tx.add(
            self.tables
                .orders
                .put(new_order(reservation, order, now))
                .create_only(),
        );
        let claim = payment_claim(
            intent,
            reservation,
            &order.amount,
            Some(order.order_id.clone()),
            now,
        );
        let claim = tx.add(self.tables.payments.put(claim).create_only());
        let record = self.idempotency.complete(&mut tx, lock, &response);
        super::close::priced(&tx, &seats, &close.writes());
        let Err(error) = tx.send().await else {
            let (reservation_id, order_id) = (&reservation.reservation_id, &order.order_id);
            tracing::info!(reservation_id, order_id, "reservation confirmed");
            self.committed(ReservationStatus::Confirmed);
            return Ok(Committed::Done(response));
        };
        let Some(canceled) = error.cancellation() else {
            return Err(error.into());
        };
        // Another confirmation used the intent meanwhile.
        if canceled.condition_failed(claim) {
            return match self.payment_use(intent).await? {
                used @ Payment::Used(_) => Ok(Committed::again(reservation.clone(), used, false)),
                _ => Err(Refusal::Conflict.into_error()),
            };
        }
        let refusal = Refusal::of(canceled, &seats, Some(held), Some(record));
        self.changed_meanwhile(reservation, refusal).await
    }

    /// What a confirmation of `reservation`, approved and canceled by `refusal`, does next.
    async fn changed_meanwhile(
        &self,
        reservation: &Reservation,
        refusal: Refusal,
    ) -> Result<Committed, Error> {
        let (user, id) = (&reservation.user_id, reservation.reservation_id.as_str());
        let reread = || async {
            let id = ReservationId::parse_existing(id)?;
            self.find(user, &id).await
        };
        match refusal {
            // A seat still stored as an earlier version stored it: brought up to date, the sale
            // is tried once more.
            Refusal::SeatsLost(_) if self.inventory.recover(reservation).await? => {
                Ok(Committed::again(reread().await?, Payment::Approved, false))
            }
            // A seat no longer held by the reservation: its hold ended.
            Refusal::SeatsLost(_) => Ok(Committed::again(
                reservation.clone(),
                Payment::Approved,
                true,
            )),
            Refusal::ReservationChanged => {
                let changed = reread().await?;
                match changed.booking().status_at(self.clock.now()) {
                    ReservationStatus::Hold => Err(Refusal::ReservationChanged.into_error()),
                    _ => Ok(Committed::again(changed, Payment::Approved, false)),
                }
            }
            other => Err(other.into_error()),
        }
    }

    /// Asks the payment API whether `intent` pays `amount` for the reservation.
    async fn ask(
        &self,
        reservation_id: &str,
        intent: &PaymentIntentId,
        amount: &Money,
    ) -> Result<Payment, Error> {
        match self.approve(reservation_id, intent, amount).await {
            Ok(()) => Ok(Payment::Approved),
            Err(declined @ Error::PaymentNotApproved(_)) => Ok(Payment::Declined(declined)),
            Err(e) => Err(e),
        }
    }

    /// Asks the gateway whether `payment` pays `amount` for the reservation, under the id as
    /// the payment API names it, which must be `payment` as sent (an API that resolves `PAY_X`
    /// or `pay_X ` to `pay_X` approves nothing: `pay_X` may be claimed already). A declined
    /// intent is explained only when the payment API ties it to this reservation: anyone's
    /// intent id can be sent, and its state is its owner's business.
    async fn approve(
        &self,
        reservation_id: &str,
        payment: &PaymentIntentId,
        amount: &Money,
    ) -> Result<(), Error> {
        let dependency = "the payment gateway";
        let approval = self
            .payments
            .approve(payment.as_str(), reservation_id, amount)
            .await
            .map_err(|e| match e {
                PaymentError::Declined(declined) if declined.theirs => Error::PaymentNotApproved(
                    format!("payment {payment} was not approved: {declined}"),
                ),
                PaymentError::Declined(declined) => {
                    tracing::info!(reservation_id, why = %declined, "payment declined");
                    lifecycle::not_approved(payment)
                }
                PaymentError::Unavailable(detail) => Error::Unavailable { dependency, detail },
                PaymentError::Timeout(detail) => Error::Timeout { dependency, detail },
            })?;
        if approval.payment_intent_id != payment.as_str() {
            tracing::warn!(
                reservation_id,
                "the payment API approved the intent under another id: refused"
            );
            return Err(lifecycle::not_approved(payment));
        }
        Ok(())
    }

    /// The use recorded for `intent`: [`Payment::Used`], or [`Payment::Unasked`] when none.
    async fn payment_use(&self, intent: &PaymentIntentId) -> Result<Payment, Error> {
        let key = PaymentClaimKey::new(intent.as_str());
        let claim = self
            .tables
            .payments
            .get(key)
            .consistent_read()
            .send()
            .await?;
        Ok(match claim {
            Some(claim) => Payment::Used(Use {
                user_id: claim.user_id,
                reservation_id: claim.reservation_id,
                paid: claim.used_for == PaymentUse::Paid,
            }),
            None => Payment::Unasked,
        })
    }

    /// Records `back`, an approved payment that `reservation` cannot use, as used
    /// (`VOID_REQUESTED`) with `payment.void_requested`, and answers `refused`; or, when that
    /// could not be recorded, the error (so that a retry records it).
    async fn hand_back(
        &self,
        reservation: &Reservation,
        intent: &PaymentIntentId,
        back: HandBack,
        refused: Error,
    ) -> Error {
        let now = self.clock.now();
        let event = match outbox_event(&reservation.reservation_id, &back.event, now) {
            Ok(event) => event,
            Err(e) => return e,
        };
        let claim = payment_claim(intent, reservation, &back.amount, None, now);
        let mut tx = TransactWrite::new(&self.client);
        let claimed = tx.add(self.tables.payments.put(claim).create_only());
        tx.add(self.tables.outbox.put(event).create_only());
        match tx.send().await {
            Ok(()) => {
                let (reservation_id, reason) = (&reservation.reservation_id, back.reason);
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
}

/// The order a confirmation of `reservation` writes.
fn new_order(reservation: &Reservation, order: &lifecycle::NewOrder, now: OffsetDateTime) -> Order {
    Order {
        order_id: order.order_id.clone(),
        reservation_id: reservation.reservation_id.clone(),
        event_id: reservation.event_id.clone(),
        user_id: reservation.user_id.clone(),
        seat_ids: reservation.seat_ids.clone(),
        status: OrderStatus::Confirmed,
        payment_intent_id: order.payment_intent_id.clone(),
        total_amount: Some(order.amount.amount),
        currency: Some(order.amount.currency.clone()),
        created_at: now,
    }
}

/// The use of `payment` for `reservation` (paying `order_id`, or handed back without one).
fn payment_claim(
    payment: &PaymentIntentId,
    reservation: &Reservation,
    amount: &Money,
    order_id: Option<String>,
    now: OffsetDateTime,
) -> PaymentClaim {
    PaymentClaim {
        payment_intent_id: payment.as_str().to_owned(),
        used_for: match order_id {
            Some(_) => PaymentUse::Paid,
            None => PaymentUse::VoidRequested,
        },
        reservation_id: reservation.reservation_id.clone(),
        order_id,
        user_id: reservation.user_id.clone(),
        amount: amount.amount,
        currency: amount.currency.clone(),
        used_at: now,
    }
}
