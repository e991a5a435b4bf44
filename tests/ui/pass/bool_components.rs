//! `bool` key components: written `true` / `false`, so a sort key prefix selects either.

use dynamo_core::{DynamoEntity, Entity, IndexDef, KeyDef, TableDef, mapping::EntityKey};

const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

#[derive(DynamoEntity)]
#[dynamo(
    table = TICKETING,
    pk = "EVENT#{event_id}",
    sk = "FLAG#{enabled}#{name}",
    gsi(GSI1, pk = "EVENT#{event_id}", sk = "ENABLED#{enabled}#{name}")
)]
struct Flag {
    event_id: String,
    enabled: bool,
    name: String,
}

fn main() {
    let key = FlagKey::new("evt_1", true, "presale").into_key_item().expect("maps");
    assert_eq!(key["sk"].as_s().expect("S"), "FLAG#true#presale");
    let item = Flag { event_id: "evt_1".into(), enabled: false, name: "resale".into() }
        .into_item()
        .expect("maps");
    assert_eq!(item["gsi1sk"].as_s().expect("S"), "ENABLED#false#resale");
    assert_eq!(item["enabled"].as_bool().copied(), Ok(false));
}
