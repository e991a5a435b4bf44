use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
struct Thing {
    #[pk]
    id: String,
}

fn main() {}
