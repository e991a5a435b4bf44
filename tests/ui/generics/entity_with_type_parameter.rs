use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing<T> {
    #[pk]
    id: String,
    payload: T,
}

fn main() {}
