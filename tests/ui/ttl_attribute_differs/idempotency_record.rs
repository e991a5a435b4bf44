use dynamo_core::{DynamoEntity, KeyDef, TableDef};

const IDEMPOTENCY: TableDef =
    TableDef::new("ticket-reservation-idempotency", KeyDef::string("pk")).with_ttl_attribute("ttl");

#[derive(DynamoEntity)]
#[dynamo(table = IDEMPOTENCY)]
struct IdempotencyRecord {
    #[pk]
    #[dynamo(rename = "pk")]
    key: String,
    #[ttl]
    expires_at: i64,
}

fn main() {}
