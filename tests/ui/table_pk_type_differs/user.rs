use dynamo_core::{DynamoEntity, IndexDef, KeyDef, TableDef};

const USERS: TableDef = TableDef::new("ticket-users", KeyDef::string("user_id"))
    .with_indexes(&[IndexDef::global("email-index", KeyDef::string("email"), None)]);

#[derive(DynamoEntity)]
#[dynamo(table = USERS)]
struct User {
    #[pk]
    user_id: u64,
}

fn main() {}
