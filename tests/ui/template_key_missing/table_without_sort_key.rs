use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const USERS: TableDef = TableDef::new("users", KeyDef::string("pk"));

#[derive(DynamoEntity)]
#[dynamo(table = USERS, pk = "USER#{user_id}", sk = "PROFILE")]
struct User {
    user_id: String,
}

fn main() {}
