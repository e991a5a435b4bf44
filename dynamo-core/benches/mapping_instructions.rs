//! Mapping cost in instructions, which do not move with the machine's load: the conversions of
//! `benches/mapping.rs` (derive, hand-written, serde_dynamo), each run 20,000 times in a child
//! process under valgrind's callgrind, counting only the instructions of the conversion loop
//! (inputs are built before it, outputs dropped after it). Ratios of these counts are stable
//! from run to run, where the times of `benches/mapping.rs` move by ±30% on a shared machine.
//!
//! `cargo bench -p dynamo-core --bench mapping_instructions` (needs `valgrind`; without it, the
//! benchmark says so and measures nothing).

#![allow(missing_docs)]

use dynamo_core::{Entity, Item, MappingError};
use std::hint::black_box;

#[path = "common/callgrind.rs"]
mod callgrind;
#[path = "common/reservation.rs"]
mod reservation;

use reservation::{Reservation, Seat, hand, hand_seat, sample, seat};

const CALLS: usize = 20_000;

/// The sample reservation as an item.
fn item() -> Item {
    sample().into_item().expect("the sample maps")
}

/// Each conversion, as a function valgrind can be told to count: it takes its inputs and
/// returns its outputs, so building and dropping them is not counted.
macro_rules! conversions {
    ($($name:ident($input:ty = $sample:expr) -> $output:ty = $call:expr;)*) => {
        /// The measured functions, which callgrind counts (`measured_::<name>`).
        mod measured_ {
            use super::*;
            $(
                #[inline(never)]
                pub(super) fn $name(inputs: Vec<$input>) -> Vec<$output> {
                    inputs.into_iter().map($call).collect()
                }
            )*
        }

        /// Runs the conversion `name` on `CALLS` inputs (in the child process).
        fn run(name: &str) -> bool {
            match name {
                $(stringify!($name) => {
                    let sample: $input = $sample;
                    let inputs: Vec<$input> = (0..CALLS).map(|_| sample.clone()).collect();
                    let outputs = measured_::$name(inputs);
                    assert!(outputs.iter().all(Result::is_ok), "every conversion succeeds");
                    black_box(outputs);
                    true
                })*
                _ => false,
            }
        }
    };
}

conversions! {
    into_item_derive(Reservation = sample()) -> Result<Item, MappingError> = |r| r.into_item();
    into_item_hand_written(Reservation = sample()) -> Result<Item, String> = hand::to_item;
    into_item_serde_dynamo(Reservation = sample()) -> Result<Item, serde_dynamo::Error> = serde_dynamo::to_item;
    from_item_derive(Item = item()) -> Result<Reservation, MappingError> = Reservation::from_item;
    from_item_hand_written(Item = item()) -> Result<Reservation, String> = hand::from_item;
    from_item_serde_dynamo(Item = item()) -> Result<Reservation, serde_dynamo::Error> = serde_dynamo::from_item;
    templates_derive(Seat = seat()) -> Result<Item, MappingError> = |s| s.into_item();
    templates_hand_written(Seat = seat()) -> Result<Item, String> = hand_seat;
}

fn main() {
    if let Some(name) = callgrind::child_name() {
        if !run(&name) {
            eprintln!("unknown conversion {name}");
            std::process::exit(2);
        }
        return;
    }
    if !callgrind::available() {
        println!("mapping_instructions: valgrind is not installed; nothing measured");
        return;
    }
    let measure =
        |name: &str| callgrind::per_call(name, CALLS as u64).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "| conversion | derive | hand-written | serde_dynamo | derive / hand | serde_dynamo / derive |"
    );
    println!("|---|---|---|---|---|---|");
    for group in ["into_item", "from_item", "templates"] {
        let derive = measure(&format!("{group}_derive"));
        let hand = measure(&format!("{group}_hand_written"));
        let serde = (group != "templates").then(|| measure(&format!("{group}_serde_dynamo")));
        println!(
            "| `{group}` | {derive} | {hand} | {} | {:.2}× | {} |",
            serde.map_or("—".to_owned(), |s| s.to_string()),
            derive as f64 / hand as f64,
            serde.map_or("—".to_owned(), |s| format!(
                "{:.2}×",
                s as f64 / derive as f64
            )),
        );
    }
}
