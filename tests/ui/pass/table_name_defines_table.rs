//! With `table_name`, the entity is the table's definition: keys, indexes and TTL come from
//! its fields.

use dynamo_core::{DynamoEntity, Entity, def::{IndexKind, ScalarType}};

#[derive(DynamoEntity)]
#[dynamo(table_name = "ticket-reservation-idempotency")]
struct IdempotencyRecord {
    #[pk]
    #[dynamo(rename = "pk")]
    key: String,
    request_hash: String,
    #[gsi(ByUser, pk)]
    user_id: Option<String>,
    #[gsi(ByUser, sk)]
    created_at: Option<u64>,
    #[ttl]
    ttl: i64,
}

fn main() {
    let table = IdempotencyRecord::TABLE;
    assert_eq!(table.name, "ticket-reservation-idempotency");
    assert_eq!(table.partition_key.name, "pk");
    assert_eq!(table.partition_key.scalar, ScalarType::S);
    assert_eq!(table.sort_key, None);
    assert_eq!(table.ttl_attribute, Some("ttl"));
    let index = table.index("ByUser").expect("declared by the fields");
    assert_eq!(index.kind, IndexKind::Global);
    assert_eq!(index.partition_key.name, "user_id");
    assert_eq!(index.sort_key.map(|k| k.scalar), Some(ScalarType::N));
}
