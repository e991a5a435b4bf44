use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "t")]
struct Thing {
    #[pk]
    id: String,
}

fn main() {}
