use dynamo_core::DynamoValue;

#[derive(DynamoValue)]
enum Status {
    #[dynamo(rename = "")]
    Hold,
    Confirmed,
}

fn main() {}
