use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const APP: TableDef = TableDef::new("app", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));
const ARCHIVE: TableDef = TableDef::new("archive", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity)]
#[dynamo(table = ARCHIVE, pk = "USER#{id}", sk = "USER", version_of = User, schema_version = 1)]
struct UserV1 {
    id: String,
}

fn up(v: UserV1) -> User {
    User { id: v.id }
}

// The frozen version is of another table: it never read this entity's items.
#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 2, upgrade(from = 1, via = UserV1, with = up))]
struct User {
    id: String,
}

fn main() {}
