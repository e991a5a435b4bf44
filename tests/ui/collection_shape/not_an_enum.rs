use dynamo_core::DynamoCollection;

#[derive(DynamoCollection)]
struct EventItems {
    items: Vec<String>,
}

fn main() {}
