use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things", rename_all = "camelCase")]
struct Thing {
    #[pk]
    id: String,
    user_id: String,
    #[dynamo(rename = "userId")]
    legacy_user: String,
}

fn main() {}
