//! Runnable examples of `dynamo-core`; see the `[[example]]` targets in `Cargo.toml`. Each one
//! runs against `DYNAMODB_ENDPOINT` (the emulator `make run` starts, or any endpoint) and creates the tables it needs.
