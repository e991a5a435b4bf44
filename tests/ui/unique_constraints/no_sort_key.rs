use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "users", unique(email))]
struct User {
    #[pk]
    user_id: String,
    email: String,
}

fn main() {}
