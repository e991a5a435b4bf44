use dynamo_core::DynamoEntity;

// Guard items are keyed by text (`UNIQUE#User#email#..`, sort key `UNIQUE`).
#[derive(DynamoEntity)]
#[dynamo(table_name = "users", unique(email))]
struct User {
    #[pk]
    user_id: String,
    #[sk]
    version: u64,
    email: String,
}

fn main() {}
