//! Requests parsed into valid values: what passes here can be acted on, and every mistake is
//! reported with the field it concerns.

use super::Error;
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;

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

/// The rule [`parse_create`] and [`parse_confirm`] apply to text, as a pattern (ECMA 262, for
/// the OpenAPI document): at least one character that is not white space, and no control
/// characters. Each field has its own length.
pub const TEXT_PATTERN: &str =
    r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";

/// The longest seat id, in characters.
pub const MAX_SEAT_ID: usize = 64;

fn field<'a>(body: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.get(name).filter(|v| !v.is_null())
}

fn text(body: &serde_json::Map<String, Value>, name: &str, max: usize) -> Result<String, Error> {
    match field(body, name) {
        None => Err(Error::Invalid(format!("{name} is required"))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(Error::Invalid(format!("{name} must not be empty")))
        }
        Some(Value::String(s)) if s.chars().count() > max => Err(Error::Invalid(format!(
            "{name} must be at most {max} characters"
        ))),
        Some(Value::String(s)) if s.chars().any(char::is_control) => Err(Error::Invalid(format!(
            "{name} must not contain control characters"
        ))),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Error::Invalid(format!("{name} must be a string"))),
    }
}

fn count(body: &serde_json::Map<String, Value>, name: &str) -> Result<Option<u64>, Error> {
    match field(body, name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| Error::Invalid(format!("{name} must be a positive integer"))),
    }
}

/// Parses the body of `POST /v1/reservations`; `max_seats` bounds the seat list.
pub fn parse_create(body: &Value, max_seats: usize) -> Result<CreateReservation, Error> {
    let body = body
        .as_object()
        .ok_or_else(|| Error::Invalid("the body must be a JSON object".into()))?;
    let event_id = text(body, "event_id", 128)?;
    let seat_ids = seat_ids(body, max_seats)?;
    let n = seat_ids.len() as u64;
    for name in ["qty", "quantity"] {
        if let Some(q) = count(body, name)?
            && q != n
        {
            return Err(Error::Invalid(format!(
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

/// `seat_ids`: 1 to `max_seats` seat ids, each valid, none repeated.
fn seat_ids(body: &serde_json::Map<String, Value>, max_seats: usize) -> Result<Vec<String>, Error> {
    let invalid = |message: String| Err(Error::Invalid(message));
    let seats = match field(body, "seat_ids") {
        None => return invalid("seat_ids is required".into()),
        Some(Value::Array(items)) => items,
        Some(_) => return invalid("seat_ids must be an array of strings".into()),
    };
    if seats.is_empty() {
        return invalid("seat_ids must hold at least one seat".into());
    }
    if seats.len() > max_seats {
        let n = seats.len();
        return invalid(format!(
            "seat_ids holds {n} seats; at most {max_seats} per reservation"
        ));
    }
    let mut seat_ids = Vec::with_capacity(seats.len());
    let mut seen = HashSet::new();
    for (i, seat) in seats.iter().enumerate() {
        let seat = match seat {
            Value::String(s)
                if !s.trim().is_empty()
                    && s.chars().count() <= MAX_SEAT_ID
                    && !s.chars().any(char::is_control) =>
            {
                s.clone()
            }
            Value::String(_) => {
                return invalid(format!(
                    "seat_ids[{i}] must be 1 to {MAX_SEAT_ID} characters, not blank, without control characters"
                ));
            }
            _ => return invalid(format!("seat_ids[{i}] must be a string")),
        };
        if !seen.insert(seat.clone()) {
            return invalid(format!("seat_ids[{i}] repeats seat {seat}"));
        }
        seat_ids.push(seat);
    }
    Ok(seat_ids)
}

/// Parses the body of `POST /v1/reservations/{id}/confirm`: the payment intent.
pub fn parse_confirm(body: &Value) -> Result<PaymentIntentId, Error> {
    let body = body
        .as_object()
        .ok_or_else(|| Error::Invalid("the body must be a JSON object".into()))?;
    let id = text(body, "payment_intent_id", 128)?;
    PaymentIntentId::parse(&id).ok_or_else(|| {
        Error::Invalid(
            "payment_intent_id must be the payment API's id as it gives it: 1 to 128 letters, digits, _ or -, starting with a letter or digit (e.g. pay_xyz789)".into(),
        )
    })
}

/// The payment API's ids ([`PaymentIntentId`]), as a pattern (ECMA 262, for the OpenAPI
/// document).
pub const PAYMENT_INTENT_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$";

/// The payment API's id of a payment (`payment_intent_id`), as the API spells it: 1 to 128
/// ASCII letters, digits, `_` and `-`, starting with a letter or digit
/// ([`PAYMENT_INTENT_PATTERN`]). Nothing is trimmed or folded: `pay_X ` and `PAY_X` are not
/// `pay_X`, and a payment API that answers for them with another id approves nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaymentIntentId(String);

impl PaymentIntentId {
    /// The id in `s`, if it has the payment API's pattern.
    pub fn parse(s: &str) -> Option<Self> {
        let mut bytes = s.bytes();
        let first = bytes.next()?;
        (s.len() <= 128
            && first.is_ascii_alphanumeric()
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        .then(|| PaymentIntentId(s.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as logs and messages show it ([`mask_intent`]).
    pub fn masked(&self) -> String {
        mask_intent(&self.0)
    }
}

/// Masked ([`mask_intent`]): an intent id is as good as a receipt, so it is never shown whole.
impl fmt::Display for PaymentIntentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A payment intent id as logs, messages and error details show it: its prefix up to the first
/// `_` (when it is at most 8 characters), `…`, and its last two characters (`pay_…89` for
/// `pay_xyz789`); an id too short to hide anything shows only its prefix.
pub fn mask_intent(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let prefix = chars
        .iter()
        .position(|c| *c == '_')
        .map(|i| i + 1)
        .filter(|n| *n <= 8)
        .unwrap_or(0);
    let head: String = chars[..prefix].iter().collect();
    if chars.len() < prefix + 6 {
        return format!("{head}…");
    }
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}…{tail}")
}

/// A reservation id: `rsv_` and up to 60 ASCII letters and digits (a UUIDv7 when the service
/// makes one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReservationId(String);

impl ReservationId {
    /// A new, time-ordered id.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        ReservationId(new_id("rsv"))
    }

    /// The id in `s`, or "not found": anything else cannot name a reservation.
    pub fn parse_existing(s: &str) -> Result<Self, Error> {
        Self::parse(s).ok_or_else(|| Error::NotFound(format!("reservation {s} does not exist")))
    }

    /// The id in `s`, if it is one (anything else cannot name a reservation).
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("rsv_")?;
        (!rest.is_empty() && s.len() <= 64 && rest.chars().all(|c| c.is_ascii_alphanumeric()))
            .then(|| ReservationId(s.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReservationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `{prefix}_{UUIDv7}`: unique and sorted by creation time.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
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
                Err(Error::Invalid(message)) => assert_eq!(message, expected, "{input}"),
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
            matches!(parse_create(&body(&many), 10), Err(Error::Invalid(m)) if m.contains("at most 10"))
        );
    }

    #[test]
    fn intent_ids_are_masked() {
        assert_eq!(mask_intent("pay_xyz789"), "pay_…89");
        assert_eq!(mask_intent("pay_3MtwBwLkdIwHu7ix28a3tqPa"), "pay_…Pa");
        assert_eq!(mask_intent("pay_1"), "pay_…");
        assert_eq!(mask_intent("abcdefgh"), "…gh");
        assert_eq!(mask_intent("verylongprefix_123456"), "…56");
        assert_eq!(mask_intent(""), "…");
        let id = PaymentIntentId("pay_secret42".into());
        assert_eq!(id.to_string(), "pay_…42");
    }

    #[test]
    fn intent_ids_are_taken_as_the_payment_api_spells_them() {
        let pattern = regex_lite::Regex::new(PAYMENT_INTENT_PATTERN).expect("a pattern");
        let long = "p".repeat(128);
        for good in [
            "pay_xyz789",
            "PAY_X",
            "pi_3MtwBwLkdIwHu7ix28a3tqPa",
            "a-b",
            long.as_str(),
        ] {
            assert!(PaymentIntentId::parse(good).is_some(), "{good}");
            assert!(pattern.is_match(good), "{good}");
            let confirm = serde_json::json!({ "payment_intent_id": good });
            assert_eq!(parse_confirm(&confirm).expect("valid").as_str(), good);
        }
        let longer = "p".repeat(129);
        for bad in [
            "pay_x ",
            " pay_x",
            "pay x",
            "_pay",
            "..",
            "pay/x",
            "pay_é",
            "",
            longer.as_str(),
        ] {
            assert!(PaymentIntentId::parse(bad).is_none(), "{bad:?}");
            assert!(!pattern.is_match(bad), "{bad:?}");
            let confirm = serde_json::json!({ "payment_intent_id": bad });
            assert!(
                matches!(parse_confirm(&confirm), Err(Error::Invalid(m)) if m.starts_with("payment_intent_id ")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn reservation_ids() {
        assert!(ReservationId::parse("rsv_0192abc").is_some());
        for bad in [
            "rsv_",
            "rsv_../x",
            "ord_1",
            &format!("rsv_{}", "a".repeat(61)),
        ] {
            assert!(ReservationId::parse(bad).is_none(), "{bad}");
        }
        assert!(ReservationId::new().as_str().starts_with("rsv_"));
    }
}
