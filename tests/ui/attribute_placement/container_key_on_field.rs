use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    #[dynamo(table_name = "x")]
    id: String,
}

fn main() {}
