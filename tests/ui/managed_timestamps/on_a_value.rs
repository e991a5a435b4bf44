use dynamo_core::DynamoValue;
use time::OffsetDateTime;

#[derive(DynamoValue)]
struct Audit {
    #[dynamo(updated_at)]
    at: OffsetDateTime,
}

fn main() {}
