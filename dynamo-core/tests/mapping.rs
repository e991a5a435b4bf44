#[path = "support/seed_tables.rs"]
mod seed_tables;

use dynamo_core::{AttributeValue, DynamoEntity, DynamoValue, Entity, EntityKey, Item, ScalarType};
use seed_tables::RESERVATIONS;
use time::OffsetDateTime;

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
enum ReservationStatus {
    Hold,
    Confirmed,
    Cancelled,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = RESERVATIONS)]
struct Reservation {
    #[pk]
    #[dynamo(rename = "pk")]
    reservation_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    event_id: String,
    user_id: String,
    status: ReservationStatus,
    seat_ids: Vec<String>,
    quantity: u32,
    hold_expires_at: OffsetDateTime,
    note: Option<String>,
    #[gsi(GSI1, pk)]
    gsi1pk: Option<String>,
    #[version]
    version: u64,
}

#[test]
fn round_trip() {
    let r = Reservation {
        reservation_id: "rsv_1".into(),
        event_id: "evt_1".into(),
        user_id: "u1".into(),
        status: ReservationStatus::Hold,
        seat_ids: vec!["A-1".into()],
        quantity: 1,
        hold_expires_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
        note: None,
        gsi1pk: Some("USER#u1".into()),
        version: 1,
    };
    let item = r.clone().into_item().unwrap();
    assert_eq!(item.get("pk"), Some(&AttributeValue::S("rsv_1".into())));
    assert_eq!(item.get("status"), Some(&AttributeValue::S("HOLD".into())));
    assert!(!item.contains_key("note"));
    assert_eq!(Reservation::from_item(item).unwrap(), r);
    let key = r.key().into_key_item().unwrap();
    assert_eq!(key.len(), 2);
    assert_eq!(Reservation::SCHEMA.partition_key.scalar, ScalarType::S);
    assert_eq!(Reservation::fields().status.name(), "status");
    let _: Item = key;
}
