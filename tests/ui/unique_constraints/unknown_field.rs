use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "users", unique(emial))]
struct User {
    #[pk]
    user_id: String,
    #[sk]
    kind: String,
    email: String,
}

fn main() {}
