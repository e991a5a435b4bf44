use dynamo_core::{DynamoEntity, KeyDef, TableDef};
use time::OffsetDateTime;

const LOG: TableDef = TableDef::new("log", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity)]
#[dynamo(table = LOG, pk = "STREAM#{stream}", sk = "{at}")]
struct Entry {
    stream: String,
    #[dynamo(created_at)]
    at: OffsetDateTime,
    #[dynamo(updated_at, created_at)]
    touched: OffsetDateTime,
    #[dynamo(updated_at)]
    #[dynamo(skip)]
    ignored: Option<OffsetDateTime>,
}

fn main() {}
