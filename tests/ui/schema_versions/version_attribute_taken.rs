use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const APP: TableDef = TableDef::new("app", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

// A versioned entity's items hold their version in `_v`: no field may map to it.
#[derive(DynamoEntity)]
#[dynamo(table = APP, pk = "DOC#{id}", sk = "DOC", schema_version = 1)]
struct Doc {
    id: String,
    #[dynamo(rename = "_v")]
    variant: String,
}

fn main() {}
