use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(tabel_name = "things")]
struct Thing {
    #[pk]
    id: String,
}

fn main() {}
