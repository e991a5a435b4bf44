use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const APP: TableDef = TableDef::new("app", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_entity_attribute("entity");

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 2)]
struct User {
    id: String,
}

// A frozen version states its version, takes the entity type of its entity and has no upgrades.
#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", version_of = User)]
struct NoVersion {
    id: String,
}

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", version_of = User, schema_version = 1, entity = "UserV1")]
struct OwnType {
    id: String,
}

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", version_of = User, schema_version = 1)]
#[dynamo(upgrade(from = 1, via = OwnType, with = f))]
struct Upgrading {
    id: String,
}

fn main() {}
