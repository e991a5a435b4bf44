//! Payment approval: the [`PaymentGateway`] the confirmation asks before it sells the seats.

use std::future::Future;
use std::pin::Pin;

/// Why a payment was not approved.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The payment intent is not approved.
    #[error("the payment was declined")]
    Declined,
    /// The gateway cannot be reached or failed.
    #[error("the payment gateway is unavailable: {0}")]
    Unavailable(String),
    /// The gateway did not answer in time.
    #[error("the payment gateway timed out: {0}")]
    Timeout(String),
}

/// Whether a payment intent is approved.
pub trait PaymentGateway: Send + Sync {
    /// `Ok` when `payment_intent_id` is approved.
    fn approve<'a>(
        &'a self,
        payment_intent_id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), PaymentError>> + Send + 'a>>;
}

/// The simulated gateway: approves every id except those starting with `pay_declined`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SimulatedPayments;

impl PaymentGateway for SimulatedPayments {
    fn approve<'a>(
        &'a self,
        payment_intent_id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), PaymentError>> + Send + 'a>> {
        Box::pin(async move {
            if payment_intent_id.starts_with("pay_declined") {
                Err(PaymentError::Declined)
            } else {
                Ok(())
            }
        })
    }
}
