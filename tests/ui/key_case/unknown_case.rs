use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const PEOPLE: TableDef = TableDef::new("people", KeyDef::string("pk"));

#[derive(DynamoEntity)]
#[dynamo(table = PEOPLE, key_case = "lowercase", pk = "USER#{login}")]
struct Person {
    login: String,
}

fn main() {}
