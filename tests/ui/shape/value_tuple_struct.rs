use dynamo_core::DynamoValue;

#[derive(DynamoValue)]
struct Pair(String, String);

fn main() {}
