use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const APP: TableDef = TableDef::new("app", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", version_of = User, schema_version = 2)]
struct UserV2 {
    id: String,
}

fn up(v: UserV2) -> User {
    User { id: v.id }
}

// UserV2 reads version 2, not version 1.
#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 3, upgrade(from = 1, via = UserV2, with = up))]
struct User {
    id: String,
}

fn main() {}
