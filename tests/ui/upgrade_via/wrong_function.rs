use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const APP: TableDef = TableDef::new("app", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", version_of = User, schema_version = 1)]
struct UserV1 {
    id: String,
}

// The function must take the frozen version and return the entity.
fn to_name(v: UserV1) -> String {
    v.id
}

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 2, upgrade(from = 1, via = UserV1, with = to_name))]
struct User {
    id: String,
}

fn main() {}
