use dynamo_core::DynamoValue;

#[derive(DynamoValue)]
enum Payment {
    Card { last4: String },
    Cash,
}

fn main() {}
