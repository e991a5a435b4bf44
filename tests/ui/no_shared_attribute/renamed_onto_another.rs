use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    #[dynamo(rename = "name")]
    display_name: String,
    name: String,
}

fn main() {}
