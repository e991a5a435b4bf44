use dynamo_core::{DynamoEntity, DynamoValue};

#[derive(DynamoValue, Clone, Debug, PartialEq)]
struct Address {
    city: String,
}

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    address: Address,
}

fn main() {}
