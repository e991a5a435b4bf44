//! `Table<E>` against the same raw `aws-sdk-dynamodb` calls with hand-built items, in one run
//! on DynamoDB Local: p50/p99 latency of sequential calls and throughput at 32 concurrent
//! requests, for GetItem, PutItem, Query and TransactWriteItems. Rounds alternate raw and typed
//! so drift of the shared machine hits both alike.
//!
//! `cargo bench -p dynamo-core --features testing --bench operations`

#![allow(missing_docs)]

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use dynamo_core::testing::Emulator;
use dynamo_core::{Client, Table, TransactWrite};
use std::future::Future;
use std::time::{Duration, Instant};

#[path = "common/items.rs"]
mod items;

use items::{Item, ItemKey, ItemPartition, item, parse, raw_item, raw_key};

#[derive(Default)]
struct Stats {
    latencies: Vec<Duration>,
    throughput: Vec<f64>,
}

impl Stats {
    fn percentile(&mut self, p: f64) -> Duration {
        self.latencies.sort_unstable();
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i]
    }

    fn median_throughput(&mut self) -> f64 {
        self.throughput.sort_by(f64::total_cmp);
        self.throughput[self.throughput.len() / 2]
    }
}

async fn sequential<F, Fut>(stats: &mut Stats, calls: usize, f: &F)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    for n in 0..calls {
        let started = Instant::now();
        f(n).await;
        stats.latencies.push(started.elapsed());
    }
}

async fn concurrent<F, Fut>(stats: &mut Stats, per_task: usize, f: F)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..32)
        .map(|t| {
            let f = f.clone();
            tokio::spawn(async move {
                for n in 0..per_task {
                    f(t * per_task + n).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    stats
        .throughput
        .push((32 * per_task) as f64 / started.elapsed().as_secs_f64());
}

macro_rules! compare {
    ($name:expr, $rows:expr, $raw:expr, $typed:expr) => {{
        let (mut raw, mut typed) = (Stats::default(), Stats::default());
        for _ in 0..5 {
            sequential(&mut raw, 300, &$raw).await;
            sequential(&mut typed, 300, &$typed).await;
            concurrent(&mut raw, 40, $raw.clone()).await;
            concurrent(&mut typed, 40, $typed.clone()).await;
        }
        $rows.push(format!(
            "| {} | {:.2} | {:.2} | {:+.1}% | {:.2} | {:.2} | {:.0} | {:.0} | {:+.1}% |",
            $name,
            raw.percentile(0.5).as_secs_f64() * 1e3,
            typed.percentile(0.5).as_secs_f64() * 1e3,
            (typed.percentile(0.5).as_secs_f64() / raw.percentile(0.5).as_secs_f64() - 1.0) * 100.0,
            raw.percentile(0.99).as_secs_f64() * 1e3,
            typed.percentile(0.99).as_secs_f64() * 1e3,
            raw.median_throughput(),
            typed.median_throughput(),
            (typed.median_throughput() / raw.median_throughput() - 1.0) * 100.0,
        ));
    }};
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let started = Instant::now();
    let db = Emulator::start().await.expect("the emulator starts");
    eprintln!(
        "DynamoDB Local ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let table: Table<Item> = db.create().await.expect("table");
    let name = table.name().to_owned();
    let client: Client = db.client().clone();
    assert!(
        table
            .batch_write()
            .put_all((0..2000).map(item))
            .send()
            .await
            .expect("seeds")
            .is_complete()
    );

    let mut rows = Vec::new();
    {
        let (c, n, t) = (client.clone(), name.clone(), table.clone());
        let raw = move |i: usize| {
            let (c, n) = (c.clone(), n.clone());
            async move {
                let out = c
                    .get_item()
                    .table_name(n)
                    .set_key(Some(raw_key(i % 2000)))
                    .send()
                    .await
                    .expect("get");
                assert!(parse(out.item.expect("found")).is_some());
            }
        };
        let typed = move |i: usize| {
            let t = t.clone();
            async move {
                let key = ItemKey::new(format!("p{}", i % 2000 % 10), format!("i{:05}", i % 2000));
                assert!(t.get(key).send().await.expect("get").is_some());
            }
        };
        compare!("GetItem", rows, raw, typed);
    }
    {
        let (c, n, t) = (client.clone(), name.clone(), table.clone());
        let raw = move |i: usize| {
            let (c, n) = (c.clone(), n.clone());
            async move {
                c.put_item()
                    .table_name(n)
                    .set_item(Some(raw_item(i % 2000)))
                    .send()
                    .await
                    .expect("put");
            }
        };
        let typed = move |i: usize| {
            let t = t.clone();
            async move {
                t.put(item(i % 2000)).send().await.expect("put");
            }
        };
        compare!("PutItem", rows, raw, typed);
    }
    {
        let (c, n, t) = (client.clone(), name.clone(), table.clone());
        let raw = move |i: usize| {
            let (c, n) = (c.clone(), n.clone());
            async move {
                let out = c
                    .query()
                    .table_name(n)
                    .key_condition_expression("#p = :p AND begins_with(#s, :s)")
                    .expression_attribute_names("#p", "pk")
                    .expression_attribute_names("#s", "sk")
                    .expression_attribute_values(":p", AttributeValue::S(format!("p{}", i % 10)))
                    .expression_attribute_values(":s", AttributeValue::S("i001".into()))
                    .send()
                    .await
                    .expect("query");
                assert!(out.items().iter().cloned().filter_map(parse).count() > 0);
            }
        };
        let typed = move |i: usize| {
            let t = t.clone();
            async move {
                let page = t
                    .query(ItemPartition::new(format!("p{}", i % 10)))
                    .sk_begins_with("i001")
                    .send()
                    .await
                    .expect("query");
                assert!(!page.items.is_empty());
            }
        };
        compare!("Query (10 items)", rows, raw, typed);
    }
    {
        let (c, n, t, c2) = (client.clone(), name.clone(), table.clone(), client.clone());
        let raw = move |i: usize| {
            let (c, n) = (c.clone(), n.clone());
            async move {
                let items = (0..2)
                    .map(|k| {
                        let put = Put::builder()
                            .table_name(n.clone())
                            .set_item(Some(raw_item((i * 2 + k) % 2000)))
                            .build()
                            .expect("put");
                        TransactWriteItem::builder().put(put).build()
                    })
                    .collect();
                c.transact_write_items()
                    .set_transact_items(Some(items))
                    .send()
                    .await
                    .expect("transact");
            }
        };
        let typed = move |i: usize| {
            let (t, c) = (t.clone(), c2.clone());
            async move {
                let mut tx = TransactWrite::new(&c);
                tx.add(t.put(item((i * 2) % 2000)));
                tx.add(t.put(item((i * 2 + 1) % 2000)));
                tx.send().await.expect("transact");
            }
        };
        compare!("TransactWriteItems (2 puts)", rows, raw, typed);
    }
    println!(
        "| operation | raw p50 ms | typed p50 ms | p50 | raw p99 ms | typed p99 ms | raw ops/s @32 | typed ops/s @32 | throughput |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
}
