//! Payment approval: the [`PaymentGateway`] the confirmation asks before it sells the seats.
//!
//! Production asks the payment API over HTTP ([`HttpPayments`]); [`SimulatedPayments`] is for
//! development and tests only (local development, or the `simulated` mode).

use crate::domain::{Money, PaymentIntentId, mask_intent};
use crate::resilience::Guard;
use crate::setting::{Env, settings};
use crate::upstream::{ReadError, send_read};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Why a payment was not approved.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The payment intent does not pay for the reservation (412 `PAYMENT_NOT_APPROVED`).
    #[error("the payment was not approved: {0}")]
    Declined(Declined),
    /// The gateway cannot be reached or failed (503).
    #[error("the payment gateway is unavailable: {0}")]
    Unavailable(String),
    /// The gateway did not answer in time (504).
    #[error("the payment gateway timed out: {0}")]
    Timeout(String),
}

/// A declined payment intent: why, and whether the payment API states that the intent was made
/// for the reservation being confirmed. Only then may the caller be told why; otherwise the
/// intent may be somebody else's, and the caller learns nothing about it (not even whether it
/// exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declined {
    /// Why, for the logs (and for the caller when [`Declined::theirs`]).
    pub why: String,
    /// The payment API names this reservation as the intent's.
    pub theirs: bool,
}

impl Declined {
    /// Declined for `why`, by an answer that does not tie the intent to the reservation.
    pub fn unproven(why: impl Into<String>) -> Self {
        Declined {
            why: why.into(),
            theirs: false,
        }
    }
}

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

/// An approved payment intent, as the payment API names it: the confirmation claims this id
/// (not the text the client sent), and refuses when the two differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The intent's id as the payment API spells it.
    pub payment_intent_id: String,
}

/// A boxed future of a payment decision.
pub type PaymentFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Approval, PaymentError>> + Send + 'a>>;

/// Whether a payment intent pays for a reservation.
pub trait PaymentGateway: Send + Sync {
    /// The approval of `payment_intent_id` when the payment API states that it was made for
    /// `reservation_id` and pays `amount` with it; otherwise why not.
    fn approve<'a>(
        &'a self,
        payment_intent_id: &'a str,
        reservation_id: &'a str,
        amount: &'a Money,
    ) -> PaymentFuture<'a>;
}

/// The simulated gateway: approves every id except those starting with `pay_declined`, for any
/// amount. Only in local development or the `simulated` mode.
#[derive(Debug, Default, Clone, Copy)]
pub struct SimulatedPayments;

impl PaymentGateway for SimulatedPayments {
    fn approve<'a>(
        &'a self,
        payment_intent_id: &'a str,
        _reservation_id: &'a str,
        _amount: &'a Money,
    ) -> PaymentFuture<'a> {
        let result = if payment_intent_id.starts_with("pay_declined") {
            Err(PaymentError::Declined(Declined::unproven(
                "the simulated gateway declines ids starting with pay_declined",
            )))
        } else {
            Ok(Approval {
                payment_intent_id: payment_intent_id.to_owned(),
            })
        };
        Box::pin(std::future::ready(result))
    }
}

/// No payment approval configured (commands that do not serve): every payment is unavailable.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoPayments;

impl PaymentGateway for NoPayments {
    fn approve<'a>(
        &'a self,
        _payment_intent_id: &'a str,
        _reservation_id: &'a str,
        _amount: &'a Money,
    ) -> PaymentFuture<'a> {
        Box::pin(std::future::ready(Err(PaymentError::Unavailable(
            "no payment API is configured".into(),
        ))))
    }
}

/// The payment API over HTTP: `GET {base}/v1/payments/{payment_intent_id}` answers
///
/// ```json
/// {"payment_intent_id": "pay_xyz789", "status": "APPROVED", "amount": 50000, "currency": "KRW",
///  "reservation_id": "rsv_abc123"}
/// ```
///
/// The intent pays for the reservation when the answer names it (`payment_intent_id`, or
/// `id`), its status is `APPROVED` (or `SUCCEEDED`), its amount and currency are the
/// reservation's total, and it names this reservation as the one the intent was made for
/// (`reservation_id`, `order_reference`, or either inside `metadata`, where Stripe's intents
/// carry it). An answer without any of these approves nothing: an intent that does not name its
/// reservation could be anybody's. A 404 is an intent that does not exist (not approved).
/// The request only reads, so a lost connection or a 5xx is tried once more; a timeout is not
/// (the deadline is spent).
#[derive(Debug, Clone)]
pub struct HttpPayments {
    base: String,
    http: reqwest::Client,
    guard: Guard,
}

/// The payment API's answer, the part read.
#[derive(Debug, serde::Deserialize)]
struct PaymentIntent {
    /// The intent's id as the API spells it.
    #[serde(default, alias = "id")]
    payment_intent_id: Option<String>,
    status: String,
    #[serde(default)]
    amount: Option<u64>,
    #[serde(default)]
    currency: Option<String>,
    /// The reservation (or order reference) the intent was created for.
    #[serde(default, alias = "order_reference")]
    reservation_id: Option<String>,
    /// Where Stripe-like APIs carry the reference.
    #[serde(default)]
    metadata: Option<Reference>,
}

/// The reservation an intent's `metadata` names.
#[derive(Debug, serde::Deserialize)]
struct Reference {
    #[serde(default, alias = "order_reference")]
    reservation_id: Option<String>,
}

impl PaymentIntent {
    /// Its approval for `amount` of `reservation_id`, or why not. Only an intent that names
    /// this reservation is explained to the caller ([`Declined::theirs`]).
    fn pays(self, reservation_id: &str, amount: &Money) -> Result<Approval, Declined> {
        let made_for = self
            .reservation_id
            .or_else(|| self.metadata.and_then(|m| m.reservation_id));
        match made_for {
            None => {
                return Err(Declined::unproven(
                    "the payment API names no reservation the intent was made for",
                ));
            }
            Some(made_for) if made_for != reservation_id => {
                return Err(Declined::unproven(
                    "the payment intent was made for another reservation",
                ));
            }
            Some(_) => {}
        }
        let declined = |why: String| Err(Declined { why, theirs: true });
        if !matches!(self.status.as_str(), "APPROVED" | "SUCCEEDED") {
            return declined(format!("the payment intent is {}", self.status));
        }
        let (Some(paid), Some(currency)) = (self.amount, &self.currency) else {
            return declined("the payment API states no amount and currency for it".into());
        };
        if paid != amount.amount || !currency.eq_ignore_ascii_case(&amount.currency) {
            return declined(format!(
                "the payment intent is for {paid} {currency}, the reservation costs {} {}",
                amount.amount, amount.currency
            ));
        }
        match self.payment_intent_id {
            Some(id) => Ok(Approval {
                payment_intent_id: id,
            }),
            None => declined("the payment API's answer names no payment intent".into()),
        }
    }
}

impl HttpPayments {
    /// The API at `base` (e.g. `http://payment-sim-api:8031`), `timeout` per attempt, called
    /// through `guard`.
    pub fn new(base: &str, timeout: Duration, guard: Guard) -> Self {
        HttpPayments {
            guard,
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout)
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
        }
    }

    async fn intent(&self, id: &str) -> Result<Option<PaymentIntent>, PaymentError> {
        let url = format!("{}/v1/payments/{}", self.base, path_segment(id));
        // What errors (and so the logs) show: the intent id masked.
        let shown = format!("{}/v1/payments/{}", self.base, mask_intent(id));
        let response = send_read(&self.guard, || self.http.get(&url))
            .await
            .map_err(|e| match e {
                ReadError::Timeout => {
                    PaymentError::Timeout(format!("no answer from {shown} in time"))
                }
                ReadError::Failed(what) => {
                    PaymentError::Unavailable(format!("{shown} {}", what.replace(&url, &shown)))
                }
                ReadError::Refused(why) => PaymentError::Unavailable(why),
            })?;
        match response.status() {
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => response.json().await.map(Some).map_err(|e| {
                PaymentError::Unavailable(format!("its answer is not understood: {e}"))
            }),
            status => Err(PaymentError::Unavailable(format!(
                "{shown} answered {status}"
            ))),
        }
    }
}

impl PaymentGateway for HttpPayments {
    fn approve<'a>(
        &'a self,
        payment_intent_id: &'a str,
        reservation_id: &'a str,
        amount: &'a Money,
    ) -> PaymentFuture<'a> {
        Box::pin(async move {
            if PaymentIntentId::parse(payment_intent_id).is_none() {
                // Not the API's id pattern (and never `.` or `..`, which a URL reads as steps).
                return Err(PaymentError::Declined(Declined::unproven(
                    "it is not a payment intent id",
                )));
            }
            let intent = self.intent(payment_intent_id).await?.ok_or_else(|| {
                PaymentError::Declined(Declined::unproven("the payment intent does not exist"))
            })?;
            intent
                .pays(reservation_id, amount)
                .map_err(PaymentError::Declined)
        })
    }
}

/// `s` percent-encoded for one URL path segment.
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

settings! {
    /// How payments are approved, as set: [`PaymentSettings::read`] makes one way of them.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct PaymentVariables {
        /// `http`: ask the payment API; `simulated`: approve every id not starting with
        /// `pay_declined`
        mode: Option<String> = raw("PAYMENT_MODE", "http (simulated when local)"),
        /// base URL of the payment API, e.g. `http://payment-sim-api:8031`
        api_url: Option<String> = url("PAYMENT_API_URL", "(required for http)"),
        /// per-attempt payment API timeout
        timeout: Duration = millis("PAYMENT_TIMEOUT_MS", 2000, 100, 30_000),
    }
}

/// How payments are approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentSettings {
    /// Every id not starting with `pay_declined` is approved (the `simulated` mode, or local
    /// development without a payment API).
    Simulated,
    /// The payment API.
    Http {
        /// Base URL.
        url: String,
        /// Per-attempt timeout.
        timeout: Duration,
    },
    /// None configured (commands that do not serve): no payment is approved.
    Unconfigured,
}

impl PaymentSettings {
    /// An HTTP payment API at `url`, with the default timeout.
    pub fn http(url: &str) -> Self {
        PaymentSettings::Http {
            url: url.to_owned(),
            timeout: PaymentVariables::timeout.default_duration(),
        }
    }

    /// Reads them: the payment API, the simulation when asked or local, or in production a
    /// missing setting.
    pub fn read(env: &mut Env<'_>) -> Self {
        let PaymentVariables {
            mode,
            api_url,
            timeout,
        } = PaymentVariables::read(env);
        let (mode_name, url_name) = (
            PaymentVariables::mode.name(),
            PaymentVariables::api_url.name(),
        );
        let local = env.local();
        match (mode.as_deref(), api_url) {
            (Some("simulated"), _) => {
                if !env.is_local() {
                    env.missing(format!(
                        "{mode_name}=simulated approves every payment: refused outside {local}"
                    ));
                }
                PaymentSettings::Simulated
            }
            (Some("http") | None, Some(url)) => PaymentSettings::Http { url, timeout },
            (None, None) if env.is_local() => PaymentSettings::Simulated,
            (Some("http") | None, None) => {
                if !env.reported(url_name) {
                    env.missing(format!("{url_name} is required to approve payments ({mode_name}=simulated approves every payment: for tests only)"));
                }
                PaymentSettings::Unconfigured
            }
            (Some(other), _) => {
                env.problem(format!(
                    "{mode_name}={other:?} is not valid: http or simulated"
                ));
                PaymentSettings::Unconfigured
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(json: serde_json::Value) -> PaymentIntent {
        serde_json::from_value(json).expect("an answer")
    }

    /// Whether `answer` pays 50,000 KRW for `rsv_1`.
    fn pays(answer: serde_json::Value) -> Result<Approval, Declined> {
        let krw = Money {
            amount: 50_000,
            currency: "KRW".into(),
        };
        intent(answer).pays("rsv_1", &krw)
    }

    /// The payment API's approval of `pay_1` for `rsv_1`, 50,000 KRW.
    fn approved() -> serde_json::Value {
        serde_json::json!({"payment_intent_id": "pay_1", "status": "APPROVED",
            "amount": 50000, "currency": "krw", "reservation_id": "rsv_1"})
    }

    #[test]
    fn an_approval_names_its_intent_reservation_amount_and_currency() {
        let approved = approved();
        let approval = |id: &str| {
            Ok(Approval {
                payment_intent_id: id.into(),
            })
        };
        assert_eq!(pays(approved.clone()), approval("pay_1"));
        // The id as the API spells it, whatever was asked; Stripe's names.
        let stripe = serde_json::json!({"id": "pi_3Mtw", "status": "SUCCEEDED", "amount": 50000,
            "currency": "KRW", "metadata": {"order_reference": "rsv_1"}});
        assert_eq!(pays(stripe), approval("pi_3Mtw"));

        // An approval that names no reservation could be anybody's: declined, nothing told.
        let mut silent = approved.clone();
        silent
            .as_object_mut()
            .expect("object")
            .remove("reservation_id");
        assert_eq!(
            pays(silent),
            Err(Declined::unproven(
                "the payment API names no reservation the intent was made for"
            ))
        );
        // Another reservation's intent: declined, and nothing of it told.
        let mut other = approved.clone();
        other["reservation_id"] = "rsv_2".into();
        assert_eq!(
            pays(other),
            Err(Declined::unproven(
                "the payment intent was made for another reservation"
            ))
        );
    }

    #[test]
    fn a_declined_intent_of_this_reservation_is_explained() {
        let approved = approved();
        // This reservation's, but not an approval of its total: told why.
        let theirs = |why: &str| {
            Err(Declined {
                why: why.into(),
                theirs: true,
            })
        };
        let mut no_amount = approved.clone();
        no_amount.as_object_mut().expect("object").remove("amount");
        assert_eq!(
            pays(no_amount),
            theirs("the payment API states no amount and currency for it")
        );
        let mut pending = approved.clone();
        pending["status"] = "PENDING".into();
        assert_eq!(pays(pending), theirs("the payment intent is PENDING"));
        let mut cheaper = approved.clone();
        cheaper["amount"] = 1000.into();
        assert_eq!(
            pays(cheaper),
            theirs("the payment intent is for 1000 krw, the reservation costs 50000 KRW")
        );
        let mut nameless = approved;
        nameless
            .as_object_mut()
            .expect("object")
            .remove("payment_intent_id");
        assert_eq!(
            pays(nameless),
            theirs("the payment API's answer names no payment intent")
        );
    }

    #[test]
    fn intent_ids_stay_one_path_segment() {
        assert_eq!(path_segment("pay_xyz-789.~"), "pay_xyz-789.~");
        assert_eq!(path_segment("../admin?x=1"), "..%2Fadmin%3Fx%3D1");
    }
}
