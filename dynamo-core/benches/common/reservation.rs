//! The entities the mapping benchmarks convert, and what they are compared with: the same
//! item written by hand against the SDK, and through serde_dynamo.

use aws_sdk_dynamodb::types::AttributeValue;
use dynamo_core::{DynamoEntity, DynamoValue, Item, KeyDef, TableDef};
use std::collections::HashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(DynamoValue, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Hold,
    Confirmed,
    Cancelled,
}

#[derive(DynamoEntity, serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
#[dynamo(table_name = "reservations")]
pub struct Reservation {
    #[pk]
    #[dynamo(rename = "pk")]
    #[serde(rename = "pk")]
    pub reservation_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    #[serde(rename = "sk")]
    pub event_id: String,
    pub user_id: String,
    pub status: Status,
    pub seat_ids: Vec<String>,
    pub quantity: u32,
    pub total_price: i64,
    #[serde(with = "fixed_width_serde")]
    pub hold_expires_at: OffsetDateTime,
    pub idempotency_key: String,
    #[serde(with = "fixed_width_serde")]
    pub created_at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

pub fn sample() -> Reservation {
    let at = OffsetDateTime::from_unix_timestamp(1_760_000_000).expect("valid");
    Reservation {
        reservation_id: "rsv_01JAB3C4D5E6F7G8H9J0K1M2N3".into(),
        event_id: "evt_2025_1001".into(),
        user_id: "user_1760001329804".into(),
        status: Status::Hold,
        seat_ids: vec!["VIP-9-17".into(), "VIP-9-18".into(), "VIP-9-19".into()],
        quantity: 3,
        total_price: 150_000,
        hold_expires_at: at,
        idempotency_key: "9d97a952-b1cb-41c4-91b4-4de0548f3045".into(),
        created_at: at,
        note: Some("aisle".into()),
    }
}

/// RFC 3339 in UTC with nine fraction digits, as one would write it with `time`: the fixed-width
/// form the derive writes (string order is time order).
pub fn fixed_width(t: OffsetDateTime) -> Result<String, String> {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .map_err(|e| e.to_string())
}

/// The same timestamp format for serde_dynamo.
pub mod fixed_width_serde {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub(crate) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::fixed_width(*t).map_err(serde::ser::Error::custom)?)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(d)?;
        OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .map_err(serde::de::Error::custom)
    }
}

/// What one would write by hand against the SDK, with the same formats and checks.
pub mod hand {
    use super::*;

    fn status_str(s: Status) -> &'static str {
        match s {
            Status::Hold => "HOLD",
            Status::Confirmed => "CONFIRMED",
            Status::Cancelled => "CANCELLED",
        }
    }

    pub fn to_item(r: Reservation) -> Result<Item, String> {
        let mut item = HashMap::with_capacity(11);
        item.insert("pk".to_owned(), AttributeValue::S(r.reservation_id));
        item.insert("sk".to_owned(), AttributeValue::S(r.event_id));
        item.insert("user_id".to_owned(), AttributeValue::S(r.user_id));
        item.insert(
            "status".to_owned(),
            AttributeValue::S(status_str(r.status).to_owned()),
        );
        item.insert(
            "seat_ids".to_owned(),
            AttributeValue::L(r.seat_ids.into_iter().map(AttributeValue::S).collect()),
        );
        item.insert(
            "quantity".to_owned(),
            AttributeValue::N(itoa::Buffer::new().format(r.quantity).to_owned()),
        );
        item.insert(
            "total_price".to_owned(),
            AttributeValue::N(itoa::Buffer::new().format(r.total_price).to_owned()),
        );
        let fmt = |t: OffsetDateTime| fixed_width(t);
        item.insert(
            "hold_expires_at".to_owned(),
            AttributeValue::S(fmt(r.hold_expires_at)?),
        );
        item.insert(
            "idempotency_key".to_owned(),
            AttributeValue::S(r.idempotency_key),
        );
        item.insert(
            "created_at".to_owned(),
            AttributeValue::S(fmt(r.created_at)?),
        );
        if let Some(note) = r.note {
            item.insert("note".to_owned(), AttributeValue::S(note));
        }
        Ok(item)
    }

    fn take_s(item: &mut Item, name: &str) -> Result<String, String> {
        match item.remove(name) {
            Some(AttributeValue::S(s)) => Ok(s),
            other => Err(format!("{name}: expected S, found {other:?}")),
        }
    }

    fn take_n<T: std::str::FromStr>(item: &mut Item, name: &str) -> Result<T, String> {
        match item.remove(name) {
            Some(AttributeValue::N(n)) => n.parse().map_err(|_| format!("{name}: bad number")),
            other => Err(format!("{name}: expected N, found {other:?}")),
        }
    }

    fn take_time(item: &mut Item, name: &str) -> Result<OffsetDateTime, String> {
        OffsetDateTime::parse(&take_s(item, name)?, &Rfc3339).map_err(|e| e.to_string())
    }

    pub fn from_item(mut item: Item) -> Result<Reservation, String> {
        Ok(Reservation {
            reservation_id: take_s(&mut item, "pk")?,
            event_id: take_s(&mut item, "sk")?,
            user_id: take_s(&mut item, "user_id")?,
            status: match take_s(&mut item, "status")?.as_str() {
                "HOLD" => Status::Hold,
                "CONFIRMED" => Status::Confirmed,
                "CANCELLED" => Status::Cancelled,
                other => return Err(format!("status: unknown {other}")),
            },
            seat_ids: match item.remove("seat_ids") {
                Some(AttributeValue::L(list)) => list
                    .into_iter()
                    .map(|v| match v {
                        AttributeValue::S(s) => Ok(s),
                        other => Err(format!("seat_ids: expected S, found {other:?}")),
                    })
                    .collect::<Result<_, _>>()?,
                other => return Err(format!("seat_ids: expected L, found {other:?}")),
            },
            quantity: take_n(&mut item, "quantity")?,
            total_price: take_n(&mut item, "total_price")?,
            hold_expires_at: take_time(&mut item, "hold_expires_at")?,
            idempotency_key: take_s(&mut item, "idempotency_key")?,
            created_at: take_time(&mut item, "created_at")?,
            note: match item.remove("note") {
                Some(AttributeValue::S(s)) => Some(s),
                None | Some(AttributeValue::Null(_)) => None,
                other => return Err(format!("note: expected S, found {other:?}")),
            },
        })
    }
}

pub const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_entity_attribute("entity");

/// A seat of a single-table design: two key templates and the entity type.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "SEAT#{section}#{seat_no:4}")]
pub struct Seat {
    pub event_id: String,
    pub section: String,
    pub seat_no: u32,
    pub status: Status,
    pub price: u32,
    pub holder: Option<String>,
}

pub fn seat() -> Seat {
    Seat {
        event_id: "evt_2025_1001".into(),
        section: "VIP".into(),
        seat_no: 17,
        status: Status::Hold,
        price: 150_000,
        holder: Some("rsv_01JAB3C4D5E6F7G8H9J0K1M2N3".into()),
    }
}

/// The same item by hand: the keys formatted with `format!`, the rest as `hand::to_item`. No
/// timestamp: the keys' cost is not hidden behind `time`'s formatter.
pub fn hand_seat(s: Seat) -> Result<Item, String> {
    let mut item = HashMap::with_capacity(9);
    item.insert(
        "pk".to_owned(),
        AttributeValue::S(format!("EVENT#{}", s.event_id)),
    );
    item.insert(
        "sk".to_owned(),
        AttributeValue::S(format!("SEAT#{}#{:04}", s.section, s.seat_no)),
    );
    item.insert("entity".to_owned(), AttributeValue::S("Seat".to_owned()));
    item.insert("event_id".to_owned(), AttributeValue::S(s.event_id));
    item.insert("section".to_owned(), AttributeValue::S(s.section));
    item.insert(
        "seat_no".to_owned(),
        AttributeValue::N(itoa::Buffer::new().format(s.seat_no).to_owned()),
    );
    item.insert("status".to_owned(), AttributeValue::S("HOLD".to_owned()));
    item.insert(
        "price".to_owned(),
        AttributeValue::N(itoa::Buffer::new().format(s.price).to_owned()),
    );
    if let Some(holder) = s.holder {
        item.insert("holder".to_owned(), AttributeValue::S(holder));
    }
    Ok(item)
}
