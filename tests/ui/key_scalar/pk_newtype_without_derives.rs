use dynamo_core::{DynamoEntity, DynamoValue};

#[derive(DynamoValue)]
struct UserId(String);

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: UserId,
}

fn main() {}
