use dynamo_core::DynamoValue;

#[derive(DynamoValue)]
#[dynamo(tag = "type")]
enum Shape {
    Circle { r: u32 },
    Labelled { r#type: String },
}

#[derive(DynamoValue)]
#[dynamo(content = "data")]
enum Orphan {
    A,
}

#[derive(DynamoValue)]
#[dynamo(tag = "type")]
enum Pair {
    Two(u32, u32),
}

fn main() {}
