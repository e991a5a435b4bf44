use dynamo_core::DynamoValue;

#[derive(DynamoValue)]
struct Digits<const N: usize> {
    digits: [u8; N],
}

fn main() {}
