//! The library's own cost per call: `Table<E>` against the same raw `aws-sdk-dynamodb` call with
//! hand-built items, both on an SDK client whose HTTP client answers in process with canned
//! responses. No network and no DynamoDB: what is measured is CPU time per call, request
//! building, signing, serialization, response parsing and mapping, for GetItem, PutItem, Query
//! (10 items), UpdateItem and TransactWriteItems (4 puts). `overhead_instructions` counts the
//! same calls' instructions.
//!
//! `cargo bench -p dynamo-core --bench overhead`

#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

#[path = "common/items.rs"]
mod items;

#[path = "common/calls.rs"]
mod calls;

use calls::*;

fn bench(c: &mut Criterion) {
    let (rt, client, table) = setup();
    let mut group = c.benchmark_group("overhead");
    macro_rules! compare {
        ($($name:literal => $raw:ident, $typed:ident;)*) => {$(
            group.bench_function(concat!($name, "/raw"), |b| {
                b.iter(|| rt.block_on(async { black_box($raw(&client, &table).await) }))
            });
            group.bench_function(concat!($name, "/typed"), |b| {
                b.iter(|| rt.block_on(async { black_box($typed(&client, &table).await) }))
            });
        )*};
    }
    compare! {
        "GetItem" => get_raw, get_typed;
        "PutItem" => put_raw, put_typed;
        "Query10" => query_raw, query_typed;
        "UpdateItem" => update_raw, update_typed;
        "TransactWriteItems4" => transact_raw, transact_typed;
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
