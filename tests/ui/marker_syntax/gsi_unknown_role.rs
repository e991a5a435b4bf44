use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    #[gsi(GSI1, hash)]
    owner: String,
}

fn main() {}
