use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
enum Status {
    Hold,
    Confirmed,
}

fn main() {}
