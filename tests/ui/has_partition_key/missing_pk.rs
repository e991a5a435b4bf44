use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    id: String,
    name: String,
}

fn main() {}
