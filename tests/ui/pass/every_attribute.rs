//! Every container and field attribute in one entity.

use dynamo_core::{AttributeValue, DynamoEntity, DynamoValue, Entity, IndexDef, KeyDef, TableDef, mapping::ValueError};
use std::collections::{BTreeSet, HashMap};
use time::OffsetDateTime;

const SESSIONS: TableDef = TableDef::new("sessions", KeyDef::string("PK"))
    .with_sort_key(KeyDef::number("SK"))
    .with_indexes(&[IndexDef::global("by-user", KeyDef::string("userId"), Some(KeyDef::string("createdAt")))])
    .with_ttl_attribute("expiresAt");

/// Stores a `u16` port as a string, to show `with`.
mod port_as_string {
    use super::{AttributeValue, ValueError};

    pub fn into_attribute(port: u16) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(port.to_string())))
    }

    pub fn from_attribute(value: AttributeValue) -> Result<u16, ValueError> {
        match value {
            AttributeValue::S(s) => s.parse().map_err(|_| ValueError::new("S holding a port", "S")),
            other => Err(ValueError::type_mismatch("S", &other)),
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
struct Device {
    os: String,
    version: u32,
}

fn default_region() -> String {
    "ap-northeast-2".into()
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = SESSIONS, rename_all = "camelCase", crate = ::dynamo_core)]
struct Session {
    #[pk]
    #[dynamo(rename = "PK")]
    session_id: String,
    #[sk]
    #[dynamo(rename = "SK")]
    seq: u64,
    #[gsi("by-user", pk)]
    user_id: String,
    #[gsi("by-user", sk)]
    created_at: String,
    #[dynamo(set)]
    roles: Vec<String>,
    scopes: BTreeSet<String>,
    #[dynamo(json)]
    device: Device,
    #[dynamo(with = port_as_string)]
    port: u16,
    #[dynamo(default)]
    visits: u32,
    #[dynamo(default = default_region)]
    region: String,
    #[dynamo(skip)]
    cache: HashMap<String, String>,
    #[ttl]
    expires_at: OffsetDateTime,
    #[version]
    version: u64,
}

fn main() {
    let session = Session {
        session_id: "s1".into(),
        seq: 7,
        user_id: "u1".into(),
        created_at: "2025-10-09T10:29:49Z".into(),
        roles: vec!["admin".into(), "ops".into()],
        scopes: BTreeSet::new(),
        device: Device { os: "linux".into(), version: 6 },
        port: 8080,
        visits: 3,
        region: "us-east-1".into(),
        cache: HashMap::new(),
        expires_at: OffsetDateTime::from_unix_timestamp(1_760_000_000).expect("valid"),
        version: 1,
    };
    let mut item = session.clone().into_item().expect("maps");
    assert_eq!(item["PK"], AttributeValue::S("s1".into()));
    assert_eq!(item["SK"], AttributeValue::N("7".into()));
    assert_eq!(item["userId"], AttributeValue::S("u1".into()));
    assert_eq!(item["roles"], AttributeValue::Ss(vec!["admin".into(), "ops".into()]));
    assert!(!item.contains_key("scopes"), "an empty set is no attribute");
    assert_eq!(item["device"], AttributeValue::S(r#"{"os":"linux","version":6}"#.into()));
    assert_eq!(item["port"], AttributeValue::S("8080".into()));
    assert_eq!(item["expiresAt"], AttributeValue::N("1760000000".into()));
    assert!(!item.contains_key("cache"));
    item.remove("visits");
    item.remove("region");
    let back = Session::from_item(item).expect("reads");
    assert_eq!(back.visits, 0);
    assert_eq!(back.region, "ap-northeast-2");
    assert_eq!(back.roles, session.roles);
    assert_eq!(Session::SCHEMA.version_attribute, Some("version"));
    assert_eq!(Session::SCHEMA.ttl_attribute, Some("expiresAt"));
    assert_eq!(Session::fields().user_id.name(), "userId");
    let mut session = session;
    session.set_version(2).expect("fits");
    assert_eq!(session.version(), Some(2));
}

#[derive(DynamoValue, Debug)]
struct Unused {
    #[dynamo(rename = "n")]
    name: String,
}

/// Managed timestamps: set by the library's writes.
#[derive(dynamo_core::DynamoEntity)]
#[dynamo(table_name = "audited")]
pub struct Audited {
    #[pk]
    pub id: String,
    #[dynamo(created_at)]
    pub created_at: time::OffsetDateTime,
    #[dynamo(updated_at, rename = "modifiedAt")]
    pub updated_at: Option<time::OffsetDateTime>,
}
