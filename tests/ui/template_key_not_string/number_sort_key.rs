use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const READINGS: TableDef = TableDef::new("readings", KeyDef::string("pk"))
    .with_sort_key(KeyDef::number("sk"));

#[derive(DynamoEntity)]
#[dynamo(table = READINGS, pk = "SENSOR#{sensor}", sk = "{at}")]
struct Reading {
    sensor: String,
    at: i64,
}

fn main() {}
