use dynamo_core::DynamoEntity;

struct Address {
    city: String,
}

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    address: Address,
}

fn main() {}
