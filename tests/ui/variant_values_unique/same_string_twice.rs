use dynamo_core::DynamoValue;

#[derive(DynamoValue)]
enum Status {
    Hold,
    #[dynamo(rename = "Hold")]
    OnHold,
}

fn main() {}
