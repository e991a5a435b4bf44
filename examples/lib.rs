//! Runnable examples of `dynamo-core`; see the `[[example]]` targets in `Cargo.toml`. Each one
//! runs against `DYNAMODB_ENDPOINT` (DynamoDB Local) and creates the tables it needs.
