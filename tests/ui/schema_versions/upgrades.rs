use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const APP: TableDef = TableDef::new("app", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", version_of = User, schema_version = 1)]
struct UserV1 {
    id: String,
}

fn up(v1: UserV1) -> User {
    User { id: v1.id }
}

// An upgrade reads an earlier version of an entity that states its own, once per version.
#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", upgrade(from = 1, via = UserV1, with = up))]
struct Unversioned {
    id: String,
}

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 2)]
#[dynamo(upgrade(from = 2, via = UserV1, with = up), upgrade(from = 1, via = UserV1, with = up))]
#[dynamo(upgrade(from = 1, via = UserV1, with = up))]
struct User {
    id: String,
}

fn main() {}
