use dynamo_core::DynamoEntity;

const USERS: &str = "ticket-users";

#[derive(DynamoEntity)]
#[dynamo(table = USERS)]
struct User {
    #[pk]
    user_id: String,
}

fn main() {}
