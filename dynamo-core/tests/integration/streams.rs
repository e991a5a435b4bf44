//! DynamoDB Streams records decoded into typed changes: a recorded Lambda event, a recorded
//! `GetRecords` response, and the Streams SDK's record type.

use dynamo_core::streams::{Change, ChangeKind, StreamError, lambda_changes};
use dynamo_core::{DynamoEntity, DynamoValue};

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
#[dynamo(rename_all = "SCREAMING_SNAKE_CASE")]
enum Status {
    Hold,
    Confirmed,
    Cancelled,
    Expired,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table_name = "ticket-reservation-reservations")]
struct Reservation {
    #[pk]
    #[dynamo(rename = "pk")]
    reservation_id: String,
    #[sk]
    #[dynamo(rename = "sk")]
    event_id: String,
    status: Status,
    seat_ids: Vec<String>,
    quantity: u32,
    hold_expires_at: time::OffsetDateTime,
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/streams/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

#[test]
fn a_lambda_event_decodes_record_by_record() {
    let event: aws_lambda_events::event::dynamodb::Event =
        serde_json::from_str(&fixture("lambda_event.json")).expect("a Lambda event");
    let changes = lambda_changes::<Reservation>(&event);
    assert_eq!(changes.len(), 4);

    let insert = changes[0].as_ref().expect("insert");
    assert_eq!(insert.kind, ChangeKind::Insert);
    assert!(insert.old.is_none());
    let new = insert.new.as_ref().expect("new image");
    assert_eq!((new.status, new.quantity), (Status::Hold, 2));
    assert_eq!(new.seat_ids, ["A-12", "A-13"]);
    assert_eq!(
        insert.keys["pk"].as_s().ok().map(String::as_str),
        Some("rsv_1")
    );
    assert_eq!(
        insert.sequence_number.as_deref(),
        Some("4421584500000000017450439091")
    );
    assert_eq!(
        insert.event_id.as_deref(),
        Some("c4ca4238a0b923820dcc509a6f75849b")
    );

    let modify = changes[1].as_ref().expect("modify");
    assert_eq!(modify.kind, ChangeKind::Modify);
    assert_eq!(modify.old.as_ref().map(|r| r.status), Some(Status::Hold));
    assert_eq!(
        modify.new.as_ref().map(|r| r.status),
        Some(Status::Confirmed)
    );
    assert_eq!(
        modify.old.as_ref().map(|r| r.hold_expires_at),
        modify.new.as_ref().map(|r| r.hold_expires_at),
        "older timestamp forms read as the same instant"
    );

    let remove = changes[2].as_ref().expect("remove");
    assert_eq!(remove.kind, ChangeKind::Remove);
    assert_eq!(remove.old.as_ref().map(|r| r.status), Some(Status::Expired));
    assert!(remove.new.is_none());

    // One bad record does not hide the others, and says which record and image it was.
    let Err(StreamError::Mapping {
        event_id,
        image,
        source,
    }) = &changes[3]
    else {
        panic!("{:?}", changes[3])
    };
    assert_eq!(
        event_id.as_deref(),
        Some("a87ff679a2f3e71d9181a67b7542122c")
    );
    assert_eq!(*image, "new");
    assert_eq!(source.field, "status");
}

#[test]
fn get_records_json_and_the_streams_sdk_record_decode_alike() {
    let response: serde_json::Value =
        serde_json::from_str(&fixture("get_records.json")).expect("json");
    let record = &response["Records"][0];
    let from_json = Change::<Reservation>::from_json(record).expect("decodes");
    assert_eq!(from_json.kind, ChangeKind::Modify);
    assert_eq!(
        from_json.new.as_ref().map(|r| r.status),
        Some(Status::Cancelled)
    );

    use aws_sdk_dynamodbstreams::types::{
        AttributeValue as V, OperationType, Record, StreamRecord,
    };
    let image = [
        ("pk", V::S("rsv_1".into())),
        ("sk", V::S("evt_2025_1001".into())),
        ("status", V::S("CANCELLED".into())),
        ("seat_ids", V::L(vec![V::S("A-12".into())])),
        ("quantity", V::N("1".into())),
        ("hold_expires_at", V::S("2025-10-09T10:35:00Z".into())),
    ];
    let sdk = Record::builder()
        .event_id("e4da3b7fbbce2345d7772b0674a318d5")
        .event_name(OperationType::Modify)
        .dynamodb(
            StreamRecord::builder()
                .keys("pk", V::S("rsv_1".into()))
                .keys("sk", V::S("evt_2025_1001".into()))
                .set_new_image(Some(
                    image.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                ))
                .sequence_number("4421584500000000017450439095")
                .build(),
        )
        .build();
    let from_sdk = Change::<Reservation>::from_streams(&sdk).expect("decodes");
    assert_eq!(from_sdk.kind, from_json.kind);
    assert_eq!(from_sdk.new, from_json.new);
    assert_eq!(from_sdk.keys, from_json.keys);
    assert_eq!(from_sdk.sequence_number, from_json.sequence_number);

    let unknown = serde_json::json!({"eventName": "TRUNCATE", "dynamodb": {}});
    assert!(matches!(
        Change::<Reservation>::from_json(&unknown),
        Err(StreamError::UnknownEventName { .. })
    ));
    let not_a_record = serde_json::json!({"eventName": "INSERT"});
    assert!(matches!(
        Change::<Reservation>::from_json(&not_a_record),
        Err(StreamError::Malformed(_))
    ));
}

const TICKETING: dynamo_core::TableDef =
    dynamo_core::TableDef::new("ticketing", dynamo_core::KeyDef::string("pk"))
        .with_sort_key(dynamo_core::KeyDef::string("sk"))
        .with_entity_attribute("entity");

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "EVENT")]
struct Event {
    event_id: String,
    name: String,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "SEAT#{seat}")]
struct Seat {
    event_id: String,
    seat: String,
    held: bool,
}

#[derive(dynamo_core::DynamoCollection, Debug, PartialEq)]
enum EventItems {
    Event(Event),
    Seat(Seat),
}

/// On a table several entities share, a stream carries them all: decoded as a collection, each
/// image is the member its entity type names, and a type the collection does not know is an
/// error of that record only.
#[test]
fn records_of_a_shared_table_decode_as_a_collection() {
    let record = |sk: &str, image: serde_json::Value| {
        serde_json::json!({
            "eventID": format!("id-{sk}"),
            "eventName": "INSERT",
            "dynamodb": {
                "Keys": {"pk": {"S": "EVENT#e1"}, "sk": {"S": sk}},
                "NewImage": image,
                "SequenceNumber": "1"
            }
        })
    };
    let event = record(
        "EVENT",
        serde_json::json!({
            "pk": {"S": "EVENT#e1"}, "sk": {"S": "EVENT"}, "entity": {"S": "Event"},
            "event_id": {"S": "e1"}, "name": {"S": "Opening night"}
        }),
    );
    let seat = record(
        "SEAT#A-7",
        serde_json::json!({
            "pk": {"S": "EVENT#e1"}, "sk": {"S": "SEAT#A-7"}, "entity": {"S": "Seat"},
            "event_id": {"S": "e1"}, "seat": {"S": "A-7"}, "held": {"BOOL": true}
        }),
    );
    let other = record(
        "PRICE#A",
        serde_json::json!({
            "pk": {"S": "EVENT#e1"}, "sk": {"S": "PRICE#A"}, "entity": {"S": "Price"}
        }),
    );
    let event = Change::<EventItems>::from_json(&event).expect("an event");
    assert!(matches!(event.new, Some(EventItems::Event(ref e)) if e.name == "Opening night"));
    let seat = Change::<EventItems>::from_json(&seat).expect("a seat");
    assert!(matches!(seat.new, Some(EventItems::Seat(ref s)) if s.held));
    let err = Change::<EventItems>::from_json(&other).expect_err("no member is a Price");
    assert!(
        matches!(&err, StreamError::Mapping { image: "new", .. })
            && err.to_string().contains("entity type \"Price\""),
        "{err}"
    );
}
