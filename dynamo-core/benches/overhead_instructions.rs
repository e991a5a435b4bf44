//! The library's own cost per call in instructions, which do not move with the machine's load:
//! the calls of `benches/overhead.rs` (`Table<E>` against the bare SDK, on canned responses), each
//! run 1,000 times in a child process under valgrind's callgrind after a warm-up, counting only
//! the calls. Most of a call is the SDK's (signing, serialization, parsing), the same on both
//! sides; what differs is what the typed layer adds.
//!
//! `cargo bench -p dynamo-core --bench overhead_instructions` (needs `valgrind`; without it,
//! the benchmark says so and measures nothing).

#![allow(missing_docs)]

use dynamo_core::{Client, Table};
use std::hint::black_box;

#[path = "common/callgrind.rs"]
mod callgrind;
#[path = "common/calls.rs"]
mod calls;
#[path = "common/items.rs"]
mod items;

use items::Item;

const CALLS: u64 = 1_000;

macro_rules! measured {
    ($($op:literal => $raw:ident, $typed:ident;)*) => {
        /// The measured loops, which callgrind counts (`measured_::<name>`).
        mod measured_ {
            use super::*;
            $(
                #[inline(never)]
                pub(super) fn $raw(rt: &tokio::runtime::Runtime, client: &Client, table: &Table<Item>) {
                    for _ in 0..CALLS {
                        let out = rt.block_on(calls::$raw(client, table));
                        black_box(&out);
                    }
                }

                #[inline(never)]
                pub(super) fn $typed(rt: &tokio::runtime::Runtime, client: &Client, table: &Table<Item>) {
                    for _ in 0..CALLS {
                        let out = rt.block_on(calls::$typed(client, table));
                        black_box(&out);
                    }
                }
            )*
        }

        /// Runs the loop `name` (in the child process), after a few uncounted calls.
        fn run(name: &str) -> bool {
            let (rt, client, table) = calls::setup();
            match name {
                $(
                    stringify!($raw) => {
                        for _ in 0..5 {
                            black_box(&rt.block_on(calls::$raw(&client, &table)));
                        }
                        measured_::$raw(&rt, &client, &table);
                        true
                    }
                    stringify!($typed) => {
                        for _ in 0..5 {
                            black_box(&rt.block_on(calls::$typed(&client, &table)));
                        }
                        measured_::$typed(&rt, &client, &table);
                        true
                    }
                )*
                _ => false,
            }
        }

        const OPERATIONS: &[(&str, &str, &str)] = &[$(($op, stringify!($raw), stringify!($typed))),*];
    };
}

measured! {
    "GetItem" => get_raw, get_typed;
    "PutItem" => put_raw, put_typed;
    "Query, 10 items" => query_raw, query_typed;
    "UpdateItem" => update_raw, update_typed;
    "TransactWriteItems, 4 puts" => transact_raw, transact_typed;
}

fn main() {
    if let Some(name) = callgrind::child_name() {
        if !run(&name) {
            eprintln!("unknown operation {name}");
            std::process::exit(2);
        }
        return;
    }
    if !callgrind::available() {
        println!("overhead_instructions: valgrind is not installed; nothing measured");
        return;
    }
    let measure = |name: &str| callgrind::per_call(name, CALLS).unwrap_or_else(|e| panic!("{e}"));
    println!("| operation | raw | typed | typed / raw |");
    println!("|---|---|---|---|");
    for (op, raw, typed) in OPERATIONS {
        let (raw, typed) = (measure(raw), measure(typed));
        println!(
            "| {op} | {raw} | {typed} | {:.3}× |",
            typed as f64 / raw as f64
        );
    }
}
