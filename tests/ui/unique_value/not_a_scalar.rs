use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "users", unique(tags))]
struct User {
    #[pk]
    user_id: String,
    #[sk]
    kind: String,
    tags: Vec<String>,
}

fn main() {}
