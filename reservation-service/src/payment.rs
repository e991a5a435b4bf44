//! Payment approval.

use crate::error::ApiError;
use std::future::Future;
use std::pin::Pin;

/// Whether a payment intent is approved.
pub trait PaymentGateway: Send + Sync {
    /// `Ok` when `payment_intent_id` is approved.
    fn approve<'a>(
        &'a self,
        payment_intent_id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + 'a>>;
}

/// The simulated gateway: approves every id except those starting with `pay_declined`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SimulatedPayments;

impl PaymentGateway for SimulatedPayments {
    fn approve<'a>(
        &'a self,
        payment_intent_id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + 'a>> {
        Box::pin(async move {
            if payment_intent_id.starts_with("pay_declined") {
                Err(ApiError::PaymentNotApproved(payment_intent_id.to_owned()))
            } else {
                Ok(())
            }
        })
    }
}
