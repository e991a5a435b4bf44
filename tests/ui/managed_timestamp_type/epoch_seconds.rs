use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "docs")]
struct Doc {
    #[pk]
    id: String,
    #[dynamo(updated_at)]
    updated_at: i64,
}

fn main() {}
