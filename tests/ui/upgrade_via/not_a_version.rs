use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const APP: TableDef = TableDef::new("app", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

// An entity of the same table that is not declared a frozen version of User.
#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 1)]
struct Legacy {
    id: String,
}

fn up(v: Legacy) -> User {
    User { id: v.id }
}

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 2, upgrade(from = 1, via = Legacy, with = up))]
struct User {
    id: String,
}

fn main() {}
