use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things", rename_all = "camelcase")]
struct Thing {
    #[pk]
    id: String,
}

fn main() {}
