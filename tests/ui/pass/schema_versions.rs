use dynamo_core::{DynamoEntity, KeyDef, MappingError, TableDef};

const APP: TableDef = TableDef::new("app", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_entity_attribute("entity");

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", version_of = User, schema_version = 1)]
struct UserV1 {
    id: String,
    first: String,
}

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", version_of = User, schema_version = 2)]
struct UserV2 {
    id: String,
    name: String,
}

#[derive(DynamoEntity)]
#[dynamo(
    table = APP,
    pk = "USER#{id}",
    sk = "USER",
    schema_version = 3,
    upgrade(from = 1, via = UserV1, with = from_v1),
    upgrade(from = 2, via = UserV2, with = from_v2)
)]
struct User {
    id: String,
    name: String,
    nickname: Option<String>,
}

fn from_v1(v1: UserV1) -> User {
    User { id: v1.id, name: v1.first, nickname: None }
}

// Fallible upgrades return a Result.
fn from_v2(v2: UserV2) -> Result<User, MappingError> {
    Ok(User { id: v2.id, name: v2.name, nickname: None })
}

fn main() {
    use dynamo_core::Entity;
    assert_eq!(User::SCHEMA.schema_version, Some(3));
    assert_eq!(User::SCHEMA.upgrades_from, &[1, 2]);
    assert_eq!(UserV2::SCHEMA.entity_type, Some("User"));
    assert_eq!(UserV2::SCHEMA.version_of, Some("User"));
}
