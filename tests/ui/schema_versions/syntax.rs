use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const APP: TableDef = TableDef::new("app", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

// A version is a number from 1; an upgrade names its version, frozen struct and function.
#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 0)]
struct Zero {
    id: String,
}

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 2, upgrade(from = 1, via = ZeroV1))]
struct NoFunction {
    id: String,
}

#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "USER", schema_version = 2, upgrade(from = 1, via = ZeroV1, with = f, since = 3))]
struct Unknown {
    id: String,
}

fn main() {}
