use dynamo_core::{DynamoEntity, DynamoValue};

#[derive(DynamoValue, PartialEq, Eq, Hash)]
struct Tag {
    name: String,
}

#[derive(DynamoEntity)]
#[dynamo(table_name = "things")]
struct Thing {
    #[pk]
    id: String,
    tags: std::collections::HashSet<Tag>,
}

fn main() {}
