use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things", rename = "x")]
struct Thing {
    #[pk]
    id: String,
}

fn main() {}
