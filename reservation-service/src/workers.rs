//! Background work: the outbox relay and the sweeper of expired holds. Both are safe to run in
//! every replica (claims and conditional transactions); the replicas share the work shards
//! ([`ShardLeases`]) so that they do not race for the same entries. Both stop at a shutdown
//! signal after finishing the pass in progress.

pub use crate::leases::{HEARTBEAT, ShardLeases, owner_of, work_order};

use crate::outbox::Relay;
use crate::services::Reservations;
use crate::setting::settings;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

settings! {
    /// Whether this process runs the workers, and how often the sweeper looks.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct WorkerSettings {
        /// run the outbox relay and the hold sweeper in this process
        run: bool = flag("WORKERS", true),
        /// between sweeps for expired holds
        sweep_interval: Duration = seconds("SWEEP_INTERVAL_SECONDS", 5, 1, 3600),
    }
}

/// How often the workers look for work.
#[derive(Debug, Clone, Copy)]
pub struct Intervals {
    /// Between relay passes that found nothing to do; a change committed by this process wakes
    /// the relay at once, so this bounds the delay of events written by other replicas.
    pub relay: Duration,
    /// Between sweeps.
    pub sweep: Duration,
}

/// The running workers.
pub struct Workers {
    stop: watch::Sender<bool>,
    relay_passes: watch::Receiver<u64>,
    tasks: Vec<JoinHandle<()>>,
    leases: Arc<ShardLeases>,
}

/// Sleeps `delay`, or less when `stop` turns true or `wake` is notified; returns whether to
/// stop.
async fn pause(stop: &mut watch::Receiver<bool>, wake: Option<&Notify>, delay: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    let woken = async {
        match wake {
            Some(wake) => wake.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = tokio::time::sleep(delay) => *stop.borrow(),
        () = woken => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

/// Runs `pass` until stopped: again at once while it finds work (`Ok(true)`), after `idle` or
/// when `wake` is notified otherwise, and after a growing delay (up to 30 s) on errors.
async fn repeat<F, Fut>(
    name: &'static str,
    mut stop: watch::Receiver<bool>,
    wake: Option<Arc<Notify>>,
    idle: Duration,
    passes: watch::Sender<u64>,
    pass: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<bool, String>>,
{
    let mut failures = 0u32;
    loop {
        let outcome = pass().await;
        passes.send_modify(|n| *n += 1);
        let delay = match outcome {
            Ok(true) => {
                failures = 0;
                Duration::ZERO
            }
            Ok(false) => {
                failures = 0;
                idle
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let delay = idle
                    .saturating_mul(1 << failures.min(5))
                    .min(Duration::from_secs(30));
                tracing::warn!(
                    worker = name,
                    error,
                    retry_in_ms = delay.as_millis() as u64,
                    "pass failed"
                );
                delay
            }
        };
        if pause(&mut stop, wake.as_deref(), delay).await {
            tracing::info!(worker = name, "stopped");
            return;
        }
    }
}

impl Workers {
    /// Starts the relay and the sweeper, on the shards `leases` gives this replica.
    pub fn spawn(
        relay: Relay,
        reservations: Reservations,
        leases: Arc<ShardLeases>,
        intervals: Intervals,
    ) -> Self {
        let relay = relay.with_leases(leases.clone());
        let sweeper_leases = leases.clone();
        let (stop, watch) = watch::channel(false);
        let (relay_passed, relay_passes) = watch::channel(0);
        tracing::info!(sink = relay.sink().describe(), "outbox relay started");
        let relay_task = tokio::spawn(repeat(
            "outbox-relay",
            watch.clone(),
            Some(reservations.outbox_written()),
            intervals.relay,
            relay_passed,
            move || {
                let relay = relay.clone();
                async move {
                    let pass = relay.pass().await.map_err(|e| e.to_string())?;
                    if pass.published + pass.retried + pass.failed > 0 {
                        tracing::debug!(?pass, "relay pass");
                    }
                    // More may be waiting when a shard gave a full page.
                    Ok(pass.published + pass.retried + pass.failed > 0)
                }
            },
        ));
        let sweep_task = tokio::spawn(repeat(
            "hold-sweeper",
            watch,
            None,
            intervals.sweep,
            watch::channel(0).0,
            move || {
                let reservations = reservations.clone();
                let leases = sweeper_leases.clone();
                async move {
                    let shards = leases
                        .owned(crate::store::HoldShard::COUNT)
                        .await
                        .map_err(|e| e.to_string())?;
                    let expired = reservations
                        .sweep_shards(shards, 100)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(expired > 0)
                }
            },
        ));
        Workers {
            stop,
            relay_passes,
            tasks: vec![relay_task, sweep_task],
            leases,
        }
    }

    /// How many relay passes have finished: lets a caller wait for the relay to go idle.
    pub fn relay_passes(&self) -> watch::Receiver<u64> {
        self.relay_passes.clone()
    }

    /// Stops after the passes in progress, waits for them and hands this replica's shards to
    /// the others.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        if let Err(e) = self.leases.leave().await {
            tracing::warn!(error = %e, "the workers' heartbeat stays until it expires");
        }
    }
}
