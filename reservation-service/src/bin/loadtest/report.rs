//! What a run measured: each phase's latencies and errors, and the hot event's outcome, as
//! Markdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Latencies and errors of one phase.
#[derive(Debug, Clone)]
pub(crate) struct PhaseReport {
    /// The phase.
    pub(crate) name: &'static str,
    /// Successful operations.
    pub(crate) ok: usize,
    /// Failed operations, by status and error code (`0` for transport errors).
    pub(crate) errors: Vec<(String, usize)>,
    /// Wall time of the phase.
    pub(crate) elapsed: Duration,
    /// Sorted latencies of the successful operations.
    pub(crate) latencies: Vec<Duration>,
}

impl PhaseReport {
    /// Successful operations per second.
    pub(crate) fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile (0..=1) of the latencies.
    /// Failures whose label starts with `prefix`.
    pub(crate) fn failures(&self, prefix: &str) -> usize {
        self.errors
            .iter()
            .filter(|(label, _)| label.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    pub(crate) fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (q * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)]
    }

    pub(crate) fn row(&self) -> String {
        let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
        let errors = if self.errors.is_empty() {
            "0".to_owned()
        } else {
            self.errors
                .iter()
                .map(|(status, n)| format!("{n}×{status}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "| {} | {} | {} | {:.0} | {} | {} | {} |",
            self.name,
            self.ok,
            errors,
            self.throughput(),
            ms(self.quantile(0.50)),
            ms(self.quantile(0.95)),
            ms(self.quantile(0.99)),
        )
    }
}

/// The whole run.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// raw, hold, get, confirm.
    pub(crate) phases: Vec<PhaseReport>,
    /// Concurrency used.
    pub(crate) concurrency: usize,
    /// The hot event's outcome, in that mode.
    pub(crate) hot: Option<HotEvent>,
}

/// What became of the holds on the hot event.
#[derive(Debug, Clone)]
pub(crate) struct HotEvent {
    /// The seats contended for.
    pub(crate) seats: usize,
    /// Holds asked.
    pub(crate) holds: usize,
    /// Holds won.
    pub(crate) won: usize,
    /// 409 `INVENTORY_CONFLICT`: the seat was taken.
    pub(crate) conflicts: usize,
    /// 503 naming DynamoDB's throttling, in any phase.
    pub(crate) throttled: usize,
    /// Won seats not held (or sold) by the hold that won them, read back after the run.
    pub(crate) oversold: usize,
}

impl HotEvent {
    /// The outcome of `holds`' phase and its followers (`phases`: hold, get, confirm) on `seats`
    /// contended seats.
    pub(crate) fn of(seats: usize, phases: [&PhaseReport; 3], won: usize, oversold: usize) -> Self {
        let [hold, ..] = phases;
        HotEvent {
            seats,
            holds: hold.ok + hold.errors.iter().map(|(_, n)| n).sum::<usize>(),
            won,
            conflicts: hold.failures("409 INVENTORY_CONFLICT"),
            throttled: phases.iter().map(|p| p.failures("503 throttled")).sum(),
            oversold,
        }
    }
}

impl Report {
    /// A Markdown table and the ratio of service to raw throughput.
    pub(crate) fn markdown(&self) -> String {
        let mut out = String::from(
            "| phase | ok | errors | ops/s | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|---:|\n",
        );
        for phase in &self.phases {
            out.push_str(&phase.row());
            out.push('\n');
        }
        if let Some(hot) = &self.hot {
            out.push_str(&format!(
                "\nhot event: {} holds for {} seats: {} won, {} seat conflicts (409), {} throttled (503), {} oversold\n",
                hot.holds, hot.seats, hot.won, hot.conflicts, hot.throttled, hot.oversold,
            ));
        }
        if let (Some(raw), Some(hold)) = (
            self.phase("raw TransactWriteItems"),
            self.phase("POST hold"),
        ) {
            out.push_str(&format!(
                "\nconcurrency {}: hold throughput is {:.0}% of raw TransactWriteItems capacity; hold p95 {:.1} ms\n",
                self.concurrency,
                100.0 * hold.throughput() / raw.throughput().max(1e-9),
                hold.quantile(0.95).as_secs_f64() * 1000.0,
            ));
        }
        out
    }

    fn phase(&self, name: &str) -> Option<&PhaseReport> {
        self.phases.iter().find(|p| p.name == name)
    }
}

/// Runs `requests` operations from `concurrency` workers; `op(i)` gives `Ok` or the status.
pub(crate) async fn phase<F, Fut>(
    name: &'static str,
    requests: usize,
    concurrency: usize,
    op: F,
) -> PhaseReport
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers = (0..concurrency.max(1)).map(|_| {
        let (op, next) = (op.clone(), next.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let t = Instant::now();
                match op(i).await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(status) => errors.push(status),
                }
            }
            (latencies, errors)
        })
    });
    let results = futures_util::future::join_all(workers).await;
    let elapsed = started.elapsed();
    let mut latencies = Vec::with_capacity(requests);
    let mut errors = std::collections::BTreeMap::new();
    for (l, e) in results.into_iter().flatten() {
        latencies.extend(l);
        for status in e {
            *errors.entry(status).or_insert(0) += 1;
        }
    }
    latencies.sort_unstable();
    PhaseReport {
        name,
        ok: latencies.len(),
        errors: errors.into_iter().collect(),
        elapsed,
        latencies,
    }
}
