use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    #[sk]
    #[dynamo(default)]
    sort: String,
}

fn main() {}
