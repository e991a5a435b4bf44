//! Runtime mapping: round trips, and `from_item` errors that name entity, field, attribute,
//! expected and found, without ever panicking.

use crate::module_tables::RESERVATIONS;
use dynamo_core::{
    AttributeValue, DynamoEntity, DynamoValue, Entity, Item, Json,
    def::ScalarType,
    mapping::{Direction, EntityKey},
};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
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

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).expect("in range")
}

fn reservation() -> Reservation {
    Reservation {
        reservation_id: "rsv_1".into(),
        event_id: "evt_1".into(),
        user_id: "u1".into(),
        status: ReservationStatus::Hold,
        seat_ids: vec!["A-1".into(), "A-2".into()],
        quantity: 2,
        hold_expires_at: at(1_700_000_000),
        note: None,
        gsi1pk: Some("USER#u1".into()),
        version: 1,
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

#[test]
fn entity_round_trip_and_layout() {
    let r = reservation();
    let item = r.clone().into_item().expect("maps");
    assert_eq!(item["pk"], s("rsv_1"));
    assert_eq!(item["sk"], s("evt_1"));
    assert_eq!(item["status"], s("HOLD"));
    assert_eq!(
        item["seat_ids"],
        AttributeValue::L(vec![s("A-1"), s("A-2")])
    );
    assert_eq!(item["quantity"], n("2"));
    assert_eq!(item["hold_expires_at"], s("2023-11-14T22:13:20.000000000Z"));
    assert!(!item.contains_key("note"), "None is no attribute");
    assert_eq!(item.len(), 9);
    assert_eq!(Reservation::from_item(item).expect("reads"), r);

    let key = r.key();
    assert_eq!(key, ReservationKey::new("rsv_1", "evt_1"));
    let key = key.into_key_item().expect("maps");
    assert_eq!(key.len(), 2);
    assert_eq!(key["pk"], s("rsv_1"));
    assert_eq!(Reservation::SCHEMA.partition_key.scalar, ScalarType::S);
    assert_eq!(Reservation::fields().status.name(), "status");
    assert_eq!(Reservation::fields().reservation_id.name(), "pk");
}

fn read_error(mutate: impl FnOnce(&mut Item)) -> dynamo_core::MappingError {
    let mut item = reservation().into_item().expect("maps");
    mutate(&mut item);
    Reservation::from_item(item).expect_err("the item is broken")
}

#[test]
fn missing_required_attribute() {
    let err = read_error(|i| {
        i.remove("user_id");
    });
    assert_eq!(
        (err.entity, err.field, err.attribute),
        ("Reservation", "user_id", "user_id")
    );
    assert_eq!(err.direction, Direction::Read);
    assert_eq!(err.found(), "no attribute");
    assert_eq!(
        err.to_string(),
        "cannot read Reservation.user_id from attribute \"user_id\": expected a value of type String (the attribute is required), found no attribute (item pk = \"rsv_1\", sk = \"evt_1\")"
    );
}

#[test]
fn missing_partition_key_is_named() {
    let err = read_error(|i| {
        i.remove("pk");
    });
    assert_eq!((err.field, err.attribute), ("reservation_id", "pk"));
}

#[test]
fn null_for_required_attribute() {
    let err = read_error(|i| {
        i.insert("user_id".into(), AttributeValue::Null(true));
    });
    assert_eq!(err.found(), "NULL");
}

#[test]
fn null_and_absent_read_as_none() {
    let mut item = reservation().into_item().expect("maps");
    item.insert("note".into(), AttributeValue::Null(true));
    item.remove("gsi1pk");
    let r = Reservation::from_item(item).expect("reads");
    assert_eq!((r.note, r.gsi1pk), (None, None));
}

#[test]
fn wrong_type() {
    let err = read_error(|i| {
        i.insert("user_id".into(), n("7"));
    });
    assert_eq!((err.expected(), err.found()), ("S", "N 7"));
}

#[test]
fn number_out_of_range() {
    let err = read_error(|i| {
        i.insert("quantity".into(), n("-3"));
    });
    assert_eq!(err.field, "quantity");
    assert_eq!(
        (err.expected(), err.found()),
        ("N in the range of u32", "N -3")
    );
    let err = read_error(|i| {
        i.insert("quantity".into(), n("99999999999999999999999999"));
    });
    assert_eq!(err.expected(), "N in the range of u32");
}

#[test]
fn number_not_an_integer() {
    let err = read_error(|i| {
        i.insert("quantity".into(), n("2.5"));
    });
    assert_eq!(
        (err.expected(), err.found()),
        ("N holding an integer (u32)", "N 2.5")
    );
    let err = read_error(|i| {
        i.insert("quantity".into(), n("two"));
    });
    assert_eq!(err.found(), "N two");
}

#[test]
fn integral_numbers_in_other_forms_are_accepted() {
    for form in ["5.0", "5E0", "0.5E1"] {
        let mut item = reservation().into_item().expect("maps");
        item.insert("quantity".into(), n(form));
        assert_eq!(Reservation::from_item(item).expect(form).quantity, 5);
    }
}

#[test]
fn invalid_date() {
    let err = read_error(|i| {
        i.insert("hold_expires_at".into(), s("yesterday"));
    });
    assert_eq!(err.field, "hold_expires_at");
    assert_eq!(err.expected(), "S holding an RFC 3339 date-time");
}

#[test]
fn dates_with_offsets_and_epoch_seconds_are_read() {
    let mut item = reservation().into_item().expect("maps");
    item.insert("hold_expires_at".into(), s("2023-11-15T07:13:20+09:00"));
    assert_eq!(
        Reservation::from_item(item).expect("reads").hold_expires_at,
        at(1_700_000_000)
    );
    let mut item = reservation().into_item().expect("maps");
    item.insert("hold_expires_at".into(), n("1700000000"));
    assert_eq!(
        Reservation::from_item(item).expect("reads").hold_expires_at,
        at(1_700_000_000)
    );
}

#[test]
fn unknown_enum_variant() {
    let err = read_error(|i| {
        i.insert("status".into(), s("EXPIRED"));
    });
    assert_eq!(err.field, "status");
    assert_eq!(
        err.expected(),
        "one of \"HOLD\", \"CONFIRMED\", \"CANCELLED\""
    );
    assert_eq!(err.found(), "S \"EXPIRED\"");
}

#[test]
fn nested_errors_carry_the_path() {
    let err = read_error(|i| {
        i.insert("seat_ids".into(), AttributeValue::L(vec![s("A-1"), n("2")]));
    });
    assert_eq!(err.source.path(), "[1]");
    assert_eq!(
        err.to_string(),
        "cannot read Reservation.seat_ids from attribute \"seat_ids\": at [1]: expected S, found N 2 (item pk = \"rsv_1\", sk = \"evt_1\")"
    );
}

#[test]
fn empty_key_is_refused_on_write() {
    let mut r = reservation();
    r.reservation_id.clear();
    let err = r.into_item().expect_err("empty key");
    assert_eq!(
        (err.direction, err.field),
        (Direction::Write, "reservation_id")
    );
    assert!(
        err.to_string()
            .contains("DynamoDB rejects empty key attributes"),
        "{err}"
    );
    assert!(ReservationKey::new("", "evt").into_key_item().is_err());
}

#[derive(DynamoValue, Debug, Clone, PartialEq)]
struct Address {
    city: String,
    zip: Option<u32>,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table_name = "everything")]
struct Everything {
    #[pk]
    id: String,
    flag: bool,
    tiny: i8,
    small: u16,
    big: i128,
    huge: u128,
    size: usize,
    ratio: f64,
    ratio32: f32,
    bytes: Vec<u8>,
    list: Vec<Option<u32>>,
    deque: VecDeque<String>,
    tags: HashSet<String>,
    numbers: BTreeSet<i64>,
    #[dynamo(set)]
    blobs: Vec<Vec<u8>>,
    map: HashMap<String, Address>,
    sorted: BTreeMap<String, Vec<String>>,
    address: Option<Address>,
    document: Json<Vec<u32>>,
    #[dynamo(json)]
    extra: BTreeMap<String, i32>,
    native: serde_json::Value,
    raw: AttributeValue,
    boxed: Box<u32>,
    when: OffsetDateTime,
    #[ttl]
    expires: Option<OffsetDateTime>,
}

fn everything() -> Everything {
    Everything {
        id: "e1".into(),
        flag: true,
        tiny: -5,
        small: 65_535,
        big: i128::MIN,
        huge: u128::MAX,
        size: 7,
        ratio: 0.1,
        ratio32: -2.5,
        bytes: vec![0, 1, 255],
        list: vec![Some(1), None, Some(3)],
        deque: VecDeque::from(vec!["a".to_string()]),
        tags: HashSet::from(["x".to_string(), "y".to_string()]),
        numbers: BTreeSet::from([3, -1]),
        blobs: vec![vec![1], vec![2]],
        map: HashMap::from([(
            "home".to_string(),
            Address {
                city: "Seoul".into(),
                zip: None,
            },
        )]),
        sorted: BTreeMap::from([("k".to_string(), vec![])]),
        address: Some(Address {
            city: "Busan".into(),
            zip: Some(48_000),
        }),
        document: Json(vec![1, 2]),
        extra: BTreeMap::from([("a".to_string(), 1)]),
        native: serde_json::json!({"a": [1, "two", null, true], "b": {"c": 1.5}}),
        raw: AttributeValue::Ns(vec!["1".into()]),
        boxed: Box::new(7),
        when: at(0),
        expires: Some(at(1_800_000_000)),
    }
}

#[test]
fn every_supported_type_round_trips() {
    let e = everything();
    let item = e.clone().into_item().expect("maps");
    assert_eq!(item["bytes"], AttributeValue::B(vec![0, 1, 255].into()));
    assert_eq!(
        item["list"],
        AttributeValue::L(vec![n("1"), AttributeValue::Null(true), n("3")])
    );
    assert!(matches!(&item["tags"], AttributeValue::Ss(v) if v.len() == 2));
    assert_eq!(
        item["numbers"],
        AttributeValue::Ns(vec!["-1".into(), "3".into()])
    );
    assert!(matches!(&item["blobs"], AttributeValue::Bs(v) if v.len() == 2));
    assert_eq!(item["document"], s("[1,2]"));
    assert_eq!(item["extra"], s(r#"{"a":1}"#));
    assert!(matches!(&item["native"], AttributeValue::M(_)));
    assert_eq!(item["expires"], n("1800000000"));
    assert_eq!(item["huge"], n("340282366920938463463374607431768211455"));
    assert_eq!(Everything::from_item(item).expect("reads"), e);
}

#[test]
fn empty_sets_are_omitted_and_read_back_empty() {
    let mut e = everything();
    e.tags.clear();
    e.numbers.clear();
    e.blobs.clear();
    let item = e.clone().into_item().expect("maps");
    assert!(
        !item.contains_key("tags") && !item.contains_key("numbers") && !item.contains_key("blobs")
    );
    assert_eq!(Everything::from_item(item).expect("reads"), e);
}

#[test]
fn duplicate_set_members_are_refused() {
    let mut e = everything();
    e.blobs = vec![vec![1], vec![1]];
    let err = e.into_item().expect_err("duplicates");
    assert_eq!(err.field, "blobs");
    assert_eq!(err.source.path(), "[1]");
}

#[test]
fn non_finite_floats_are_refused() {
    let mut e = everything();
    e.ratio = f64::NAN;
    let err = e.into_item().expect_err("NaN");
    assert_eq!((err.direction, err.field), (Direction::Write, "ratio"));
    assert_eq!(err.found(), "NaN");
}

#[test]
fn nested_map_errors_carry_the_path() {
    let mut item = everything().into_item().expect("maps");
    let mut address = HashMap::new();
    address.insert("city".to_string(), n("1"));
    let mut map = HashMap::new();
    map.insert("home".to_string(), AttributeValue::M(address));
    item.insert("map".into(), AttributeValue::M(map));
    let err = Everything::from_item(item).expect_err("city is a number");
    assert_eq!(err.source.path(), ".home.city");
}

#[test]
fn json_errors_name_the_type() {
    let mut item = everything().into_item().expect("maps");
    item.insert("document".into(), s("{not json"));
    let err = Everything::from_item(item).expect_err("bad json");
    assert_eq!(err.field, "document");
    assert!(
        err.expected().starts_with("S holding JSON for Vec<u32>"),
        "{}",
        err.expected()
    );
}

#[test]
fn ttl_reads_epoch_seconds_only() {
    let mut item = everything().into_item().expect("maps");
    item.insert("expires".into(), s("2024-01-01T00:00:00Z"));
    let err = Everything::from_item(item).expect_err("TTL must be N");
    assert_eq!((err.field, err.expected()), ("expires", "N"));
}

// Property tests.

fn attribute_value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        any::<String>().prop_map(AttributeValue::S),
        any::<i64>().prop_map(|v| AttributeValue::N(v.to_string())),
        "[-+]?[0-9]{0,40}(\\.[0-9]{0,5})?(E[-+]?[0-9]{1,3})?".prop_map(AttributeValue::N),
        any::<String>().prop_map(AttributeValue::N),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null(true)),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| AttributeValue::B(b.into())),
        proptest::collection::vec(any::<String>(), 0..3).prop_map(AttributeValue::Ss),
        proptest::collection::vec("[0-9]{1,5}", 0..3).prop_map(AttributeValue::Ns),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
            proptest::collection::hash_map("[a-z_]{1,8}", inner, 0..4).prop_map(AttributeValue::M),
        ]
    })
}

const NAMES: &[&str] = &[
    "id", "flag", "tiny", "small", "big", "huge", "size", "ratio", "ratio32", "bytes", "list",
    "deque", "tags", "numbers", "blobs", "map", "sorted", "address", "document", "extra", "native",
    "raw", "boxed", "when", "expires",
];

fn arbitrary_item() -> impl Strategy<Value = Item> {
    proptest::collection::vec((proptest::sample::select(NAMES), attribute_value()), 0..30)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn finite_f64() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |f| f.is_finite())
}

/// An instant anywhere in years 0000 to 9999, to the nanosecond.
fn instant() -> impl Strategy<Value = OffsetDateTime> {
    (-62_167_219_200i64..253_402_300_799, 0u32..1_000_000_000).prop_map(|(secs, nanos)| {
        OffsetDateTime::from_unix_timestamp(secs)
            .expect("in range")
            .replace_nanosecond(nanos)
            .expect("valid")
    })
}

fn stored(t: OffsetDateTime) -> String {
    match t.into_attribute() {
        Ok(Some(AttributeValue::S(s))) => s,
        other => panic!("a timestamp is stored as S: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Stored timestamps compare as strings the way the instants compare: as sort keys and in
    /// conditions, DynamoDB's byte order is time order.
    #[test]
    fn stored_timestamps_sort_in_time_order(a in instant(), b in instant()) {
        let (sa, sb) = (stored(a), stored(b));
        prop_assert_eq!(a.cmp(&b), sa.as_bytes().cmp(sb.as_bytes()), "{} vs {}", sa, sb);
        prop_assert_eq!(OffsetDateTime::from_attribute(AttributeValue::S(sa)).expect("reads"), a);
    }

    #[test]
    fn close_instants_sort_too(a in instant(), delta in 0u64..2_000_000_000) {
        let b = a + std::time::Duration::from_nanos(delta);
        prop_assert!(stored(a) <= stored(b));
    }

    #[test]
    fn arbitrary_items_never_panic(item in arbitrary_item()) {
        let _ = Everything::from_item(item.clone());
        let _ = Reservation::from_item(item);
    }

    #[test]
    fn corrupting_one_attribute_never_panics(name in proptest::sample::select(NAMES), value in attribute_value()) {
        let mut item = everything().into_item().expect("maps");
        item.insert(name.to_string(), value);
        let _ = Everything::from_item(item);
    }

    #[test]
    fn integers_round_trip(a in any::<i8>(), b in any::<u16>(), c in any::<i128>(), d in any::<u128>(), e in any::<usize>()) {
        let mut x = everything();
        (x.tiny, x.small, x.big, x.huge, x.size) = (a, b, c, d, e);
        prop_assert_eq!(Everything::from_item(x.clone().into_item().expect("maps")).expect("reads"), x);
    }

    #[test]
    fn floats_round_trip(a in finite_f64(), b in any::<f32>().prop_filter("finite", |f| f.is_finite())) {
        let mut x = everything();
        (x.ratio, x.ratio32) = (a, b);
        prop_assert_eq!(Everything::from_item(x.clone().into_item().expect("maps")).expect("reads"), x);
    }

    #[test]
    fn strings_and_collections_round_trip(
        id in ".+",
        tags in proptest::collection::hash_set(any::<String>(), 0..5),
        numbers in proptest::collection::btree_set(any::<i64>(), 0..5),
        bytes in proptest::collection::vec(any::<u8>(), 0..32),
        list in proptest::collection::vec(proptest::option::of(any::<u32>()), 0..5),
        map in proptest::collection::hash_map(any::<String>(), (any::<String>(), proptest::option::of(any::<u32>())), 0..4),
        blobs in proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 1..4), 0..4),
    ) {
        let mut x = everything();
        x.id = id;
        x.tags = tags;
        x.numbers = numbers;
        x.bytes = bytes;
        x.list = list;
        x.map = map.into_iter().map(|(k, (city, zip))| (k, Address { city, zip })).collect();
        x.blobs = blobs.into_iter().collect();
        prop_assert_eq!(Everything::from_item(x.clone().into_item().expect("maps")).expect("reads"), x);
    }

    #[test]
    fn dates_round_trip(secs in -62_135_596_800i64..253_402_300_799, nanos in 0u32..1_000_000_000) {
        let when = at(secs).replace_nanosecond(nanos).expect("valid nanos");
        let mut x = everything();
        x.when = when;
        x.expires = Some(at(secs));
        prop_assert_eq!(Everything::from_item(x.clone().into_item().expect("maps")).expect("reads"), x);
    }
}
