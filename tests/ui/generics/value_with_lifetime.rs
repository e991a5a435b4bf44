use dynamo_core::DynamoValue;

#[derive(DynamoValue)]
struct Name<'a> {
    first: &'a str,
}

fn main() {}
