use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const USERS: TableDef = TableDef::new("users", KeyDef::string("pk"));

// The table has no sort key, so no earlier version wrote one.
#[derive(DynamoEntity)]
#[dynamo(table = USERS, pk = "USER#{user_id}", previous(sk = "{user_id}"))]
struct User {
    user_id: String,
}

// And previous(..) names a key.
#[derive(DynamoEntity)]
#[dynamo(table = USERS, pk = "ACCOUNT#{user_id}", previous())]
struct Account {
    user_id: String,
}

fn main() {}
