use dynamo_core::{DynamoEntity, IndexDef, KeyDef, TableDef};

const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))])
    .with_entity_attribute("entity");
use dynamo_core::DynamoValue;

#[derive(DynamoValue, Clone, Debug, PartialEq)]
enum Tier {
    #[dynamo(rename = "VIP#1")]
    Vip,
    Standard,
}

#[derive(DynamoEntity)]
#[dynamo(table = TICKETING, pk = "EVENT#{event_id}", sk = "TIER#{tier}#{n}")]
struct Ticket {
    event_id: String,
    tier: Tier,
    n: u32,
}

fn main() {}
