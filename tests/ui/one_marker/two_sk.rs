use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    #[sk]
    a: String,
    #[sk]
    b: String,
}

fn main() {}
