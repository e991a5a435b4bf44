use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    #[ttl]
    #[dynamo(json)]
    expires_at: i64,
}

fn main() {}
