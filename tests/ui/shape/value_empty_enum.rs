use dynamo_core::DynamoValue;

#[derive(DynamoValue)]
enum Never {}

fn main() {}
