use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    #[gsi(GSI1, pk)]
    owner: String,
    #[gsi(GSI1, pk)]
    group: String,
}

fn main() {}
