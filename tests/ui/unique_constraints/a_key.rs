use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const USERS: TableDef = TableDef::new("users", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

// The key is unique already: a constraint on it, or on a field of its template, is a mistake.
#[derive(DynamoEntity)]
#[dynamo(table = USERS, pk = "USER#{user_id}", sk = "PROFILE", unique(user_id))]
struct User {
    user_id: String,
    email: String,
}

#[derive(DynamoEntity)]
#[dynamo(table_name = "accounts", unique(account_id))]
struct Account {
    #[pk]
    account_id: String,
    #[sk]
    kind: String,
}

fn main() {}
