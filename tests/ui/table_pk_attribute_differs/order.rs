use dynamo_core::{DynamoEntity, IndexDef, KeyDef, TableDef};

const ORDERS: TableDef = TableDef::new("ticket-reservation-orders", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);

#[derive(DynamoEntity)]
#[dynamo(table = ORDERS, rename_all = "camelCase")]
struct Order {
    #[pk]
    order_id: String,
    #[sk]
    reservation_id: String,
    event_id: String,
}

fn main() {}
