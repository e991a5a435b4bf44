use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    #[dynamo(rename = "")]
    id: String,
}

fn main() {}
