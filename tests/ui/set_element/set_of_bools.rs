use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    #[dynamo(set)]
    flags: Vec<bool>,
}

fn main() {}
