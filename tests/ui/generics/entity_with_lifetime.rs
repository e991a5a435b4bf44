use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing<'a> {
    #[pk]
    id: &'a str,
}

fn main() {}
