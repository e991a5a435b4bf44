//! Mapping speed: `#[derive(DynamoEntity)]` against hand-written `AttributeValue` code and
//! `serde_dynamo`, on the same 11-field reservation, in one run; and an entity with two key
//! templates against hand-written code that formats the same keys.
//!
//! `cargo bench -p dynamo-core --bench mapping`

#![allow(missing_docs)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dynamo_core::{Entity, Item};
use std::hint::black_box;

#[path = "common/reservation.rs"]
mod reservation;

use reservation::{Reservation, hand, hand_seat, sample, seat};

fn bench(c: &mut Criterion) {
    let r = sample();
    let item = r.clone().into_item().expect("maps");
    assert_eq!(
        hand::to_item(r.clone()).expect("maps"),
        item,
        "same item from both"
    );
    let serde_item: Item = serde_dynamo::to_item(&r).expect("maps");
    assert_eq!(serde_item, item, "same item from serde_dynamo");

    let mut g = c.benchmark_group("to_item");
    g.bench_function("derive", |b| {
        b.iter_batched(
            || r.clone(),
            |r| black_box(r.into_item()),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("hand_written", |b| {
        b.iter_batched(
            || r.clone(),
            |r| black_box(hand::to_item(r)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("serde_dynamo", |b| {
        b.iter_batched(
            || r.clone(),
            |r| black_box(serde_dynamo::to_item::<_, Item>(r)),
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("from_item");
    g.bench_function("derive", |b| {
        b.iter_batched(
            || item.clone(),
            |i| black_box(Reservation::from_item(i)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("hand_written", |b| {
        b.iter_batched(
            || item.clone(),
            |i| black_box(hand::from_item(i)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("serde_dynamo", |b| {
        b.iter_batched(
            || item.clone(),
            |i| black_box(serde_dynamo::from_item::<_, Reservation>(i)),
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // Key templates: the same item from both.
    let s = seat();
    assert_eq!(
        s.clone().into_item().expect("maps"),
        hand_seat(s.clone()).expect("maps"),
        "same keys and attributes"
    );
    let mut g = c.benchmark_group("to_item_with_templates");
    g.bench_function("derive", |b| {
        b.iter_batched(
            || s.clone(),
            |s| black_box(s.into_item()),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("hand_written", |b| {
        b.iter_batched(
            || s.clone(),
            |s| black_box(hand_seat(s)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
