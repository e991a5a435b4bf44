use dynamo_core::DynamoValue;

#[derive(DynamoValue)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
