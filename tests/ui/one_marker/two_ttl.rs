use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    #[ttl]
    a: i64,
    #[ttl]
    b: i64,
}

fn main() {}
