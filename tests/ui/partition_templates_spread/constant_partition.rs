use dynamo_core::{DynamoEntity, IndexDef, KeyDef, TableDef};

const TICKETING: TableDef = TableDef::new("ticketing", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))])
    .with_entity_attribute("entity");

#[derive(DynamoEntity)]
#[dynamo(table = TICKETING, pk = "CONFIG", sk = "FLAG#{name}")]
struct Flag {
    name: String,
    enabled: bool,
}

fn main() {}
