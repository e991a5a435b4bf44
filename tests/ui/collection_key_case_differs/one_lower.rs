use dynamo_core::{DynamoCollection, DynamoEntity, KeyDef, TableDef};

const PEOPLE: TableDef = TableDef::new("people", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_entity_attribute("entity");

#[derive(DynamoEntity)]
#[dynamo(table = PEOPLE, key_case = "lower", pk = "USER#{login}", sk = "PROFILE")]
struct Profile {
    login: String,
}

#[derive(DynamoEntity)]
#[dynamo(table = PEOPLE, pk = "USER#{login}", sk = "POST#{n}")]
struct Post {
    login: String,
    n: u32,
}

#[derive(DynamoCollection)]
enum UserItems {
    Profile(Profile),
    Post(Post),
}

fn main() {}
