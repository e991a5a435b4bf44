//! Every kind of key scalar: strings, integers, binary, dates, newtypes and unit enums.

use dynamo_core::{DynamoEntity, DynamoValue, Entity, mapping::EntityKey, def::ScalarType};
use time::OffsetDateTime;

#[derive(DynamoValue, Clone, Debug, PartialEq)]
struct EventId(String);

#[derive(DynamoValue, Clone, Debug, PartialEq)]
struct Seq(u64);

#[derive(DynamoValue, Clone, Copy, Debug, PartialEq)]
enum Region {
    Seoul,
    Tokyo,
}

#[derive(DynamoEntity)]
#[dynamo(table_name = "by-newtype")]
struct ByNewtype {
    #[pk]
    event: EventId,
    #[sk]
    seq: Seq,
}

#[derive(DynamoEntity)]
#[dynamo(table_name = "by-enum")]
struct ByEnum {
    #[pk]
    region: Region,
    #[sk]
    at: OffsetDateTime,
}

#[derive(DynamoEntity)]
#[dynamo(table_name = "by-bytes")]
struct ByBytes {
    #[pk]
    digest: Vec<u8>,
    #[sk]
    n: i32,
}

fn main() {
    assert_eq!(ByNewtype::SCHEMA.partition_key.scalar, ScalarType::S);
    assert_eq!(ByNewtype::SCHEMA.sort_key.map(|k| k.scalar), Some(ScalarType::N));
    assert_eq!(ByEnum::SCHEMA.partition_key.scalar, ScalarType::S);
    assert_eq!(ByBytes::SCHEMA.partition_key.scalar, ScalarType::B);
    let key = ByNewtypeKey::new(EventId("evt_1".into()), Seq(3)).into_key_item().expect("maps");
    assert_eq!(key["seq"].as_n().expect("N"), "3");
    let key = ByEnumKey::new(Region::Tokyo, OffsetDateTime::UNIX_EPOCH).into_key_item().expect("maps");
    assert_eq!(key["region"].as_s().expect("S"), "Tokyo");
    assert!(ByBytesKey::new(Vec::new(), 1).into_key_item().is_err(), "empty binary keys are refused");
    let _ = Region::Seoul;
}
