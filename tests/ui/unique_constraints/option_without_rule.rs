use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "users", unique(phone))]
struct User {
    #[pk]
    user_id: String,
    #[sk]
    kind: String,
    phone: Option<String>,
}

// `optional` says what an item without the value means; on a field that always has one it is
// a mistake too.
#[derive(DynamoEntity)]
#[dynamo(table_name = "accounts", unique(email, optional))]
struct Account {
    #[pk]
    account_id: String,
    #[sk]
    kind: String,
    email: String,
}

fn main() {}
