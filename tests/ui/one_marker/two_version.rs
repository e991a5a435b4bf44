use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    #[version]
    a: u64,
    #[version]
    b: u64,
}

fn main() {}
