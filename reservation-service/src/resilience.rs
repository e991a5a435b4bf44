//! Calls to the systems around the service (payment API, inventory, EventBridge, waiting room)
//! go through a [`Guard`]: a circuit breaker that stops calling a dependency after consecutive
//! failures, and a bulkhead that bounds how many calls to it are in flight. Both answer at once
//! when they refuse, so a failing dependency costs a request microseconds instead of its
//! timeout, and cannot take every connection and task of the service with it.
//!
//! The breaker is closed until `failures` calls in a row fail, then open for `open_for` on the
//! service's [`Clock`] (every call refused), then half-open: calls are let through, and the
//! first outcome closes or reopens it. States and refusals are exported with Resilience4j's
//! metric names (see [`crate::metrics`]).

use crate::clock::SharedClock;
use crate::metrics::Metrics;
use crate::setting::settings;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[cfg(doc)]
use crate::clock::Clock;

settings! {
    /// How guards behave: the same for every dependency.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ResilienceSettings {
        /// consecutive failures of a dependency (payment, inventory, EventBridge, waiting room)
        /// that open its circuit breaker
        failures: u32 = count("CIRCUIT_BREAKER_FAILURES", 5, 1, 1000),
        /// how long an open circuit breaker answers 503 at once before it lets a call through
        open_for: Duration = millis("CIRCUIT_BREAKER_OPEN_MS", 10_000, 100, 600_000),
        /// calls in flight per dependency and replica; more are answered 503 at once
        max_concurrent: usize = count("BULKHEAD_MAX_CONCURRENT", 64, 1, 10_000),
    }
}

/// Why a guarded call did not give its own result.
#[derive(Debug)]
pub enum Guarded<E> {
    /// The guard refused the call without making it: the message says why.
    Refused(String),
    /// The call was made and failed.
    Failed(E),
}

/// Where a breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Calls go through; `failures` in a row failed so far.
    Closed { failures: u32 },
    /// Calls are refused until `until`.
    Open { until: Instant },
    /// Calls go through; the first outcome decides.
    HalfOpen,
}

/// A circuit breaker on the service's clock, reporting its transitions to the metrics and the
/// log.
struct Breaker {
    name: &'static str,
    state: Mutex<State>,
    failures: u32,
    open_for: Duration,
    clock: SharedClock,
    metrics: Metrics,
}

impl Breaker {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a call may go through now; an open breaker past its wait turns half-open.
    fn is_call_permitted(&self) -> bool {
        let mut state = self.state();
        match *state {
            State::Closed { .. } | State::HalfOpen => true,
            State::Open { until } if self.clock.instant() >= until => {
                *state = State::HalfOpen;
                tracing::info!(dependency = self.name, "circuit breaker half-open");
                self.metrics.breaker_state(self.name, "half_open");
                true
            }
            State::Open { .. } => {
                self.metrics.breaker_rejected(self.name);
                false
            }
        }
    }

    fn on_success(&self) {
        let mut state = self.state();
        if *state != (State::Closed { failures: 0 }) {
            let was_closed = matches!(*state, State::Closed { .. });
            *state = State::Closed { failures: 0 };
            if !was_closed {
                self.metrics.breaker_state(self.name, "closed");
            }
        }
    }

    fn on_failure(&self) {
        let mut state = self.state();
        let open = match *state {
            State::Closed { failures } if failures + 1 < self.failures => {
                *state = State::Closed {
                    failures: failures + 1,
                };
                false
            }
            State::Closed { .. } | State::HalfOpen => true,
            State::Open { .. } => false,
        };
        if open {
            *state = State::Open {
                until: self.clock.instant() + self.open_for,
            };
            tracing::warn!(dependency = self.name, "circuit breaker opened");
            self.metrics.breaker_state(self.name, "open");
        }
    }
}

/// A circuit breaker and a bulkhead for one dependency; cheap to clone (shared).
#[derive(Clone)]
pub struct Guard {
    name: &'static str,
    breaker: Arc<Breaker>,
    permits: Arc<Semaphore>,
    settings: ResilienceSettings,
    metrics: Metrics,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("name", &self.name)
            .field("breaker", &*self.breaker.state())
            .finish_non_exhaustive()
    }
}

impl Guard {
    /// A closed breaker on `clock` and an empty bulkhead for the dependency `name` (`payment`,
    /// `inventory`, `eventbridge`, `waiting-room`).
    pub fn new(
        name: &'static str,
        settings: ResilienceSettings,
        metrics: &Metrics,
        clock: &SharedClock,
    ) -> Self {
        let breaker = Breaker {
            name,
            state: Mutex::new(State::Closed { failures: 0 }),
            failures: settings.failures.max(1),
            open_for: settings.open_for,
            clock: clock.clone(),
            metrics: metrics.clone(),
        };
        let max = settings.max_concurrent.max(1);
        metrics.bulkhead_limit(name, max);
        metrics.bulkhead_available(name, max);
        Guard {
            name,
            breaker: Arc::new(breaker),
            permits: Arc::new(Semaphore::new(max)),
            settings,
            metrics: metrics.clone(),
        }
    }

    /// The dependency's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether a call would be let through now (the breaker is not open). An open breaker past
    /// its wait turns half-open here.
    pub fn is_call_permitted(&self) -> bool {
        self.breaker.is_call_permitted()
    }

    /// Makes the call unless the breaker is open or the bulkhead full. `is_failure` says which
    /// errors are the dependency failing (unreachable, timed out, 5xx), as opposed to answers
    /// (declined, conflict) that count as successes.
    pub async fn call<T, E>(
        &self,
        call: impl Future<Output = Result<T, E>>,
        is_failure: impl FnOnce(&E) -> bool,
    ) -> Result<T, Guarded<E>> {
        if !self.breaker.is_call_permitted() {
            return Err(Guarded::Refused(format!(
                "its circuit breaker is open after {} consecutive failures; calls resume within {} ms",
                self.settings.failures,
                self.settings.open_for.as_millis()
            )));
        }
        let Ok(permit) = self.permits.try_acquire() else {
            self.metrics.bulkhead_rejected(self.name);
            return Err(Guarded::Refused(format!(
                "{} calls are already in flight ({})",
                self.settings.max_concurrent,
                ResilienceSettings::max_concurrent.name()
            )));
        };
        self.report_bulkhead();
        let result = call.await;
        drop(permit);
        self.report_bulkhead();
        match result {
            Ok(value) => {
                self.breaker.on_success();
                Ok(value)
            }
            Err(e) => {
                if is_failure(&e) {
                    self.breaker.on_failure();
                } else {
                    self.breaker.on_success();
                }
                Err(Guarded::Failed(e))
            }
        }
    }

    fn report_bulkhead(&self) {
        self.metrics
            .bulkhead_available(self.name, self.permits.available_permits());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn guard(failures: u32, open_ms: u64, max_concurrent: usize) -> (Guard, Metrics, ManualClock) {
        let metrics = Metrics::new();
        let settings = ResilienceSettings {
            failures,
            open_for: Duration::from_millis(open_ms),
            max_concurrent,
        };
        let clock = ManualClock::starting_now();
        let shared: SharedClock = Arc::new(clock.clone());
        (
            Guard::new("payment", settings, &metrics, &shared),
            metrics,
            clock,
        )
    }

    async fn fail(guard: &Guard) -> Result<(), Guarded<&'static str>> {
        guard.call(async { Err("down") }, |_| true).await
    }

    #[tokio::test]
    async fn opens_after_consecutive_failures_and_recovers_through_half_open() {
        let (guard, metrics, clock) = guard(3, 50, 8);
        for _ in 0..3 {
            assert!(matches!(fail(&guard).await, Err(Guarded::Failed("down"))));
        }
        // Open: refused without calling.
        let called = std::sync::atomic::AtomicBool::new(false);
        let refused = guard
            .call(
                async {
                    called.store(true, std::sync::atomic::Ordering::SeqCst);
                    Ok::<_, &str>(())
                },
                |_| true,
            )
            .await;
        assert!(
            matches!(refused, Err(Guarded::Refused(ref m)) if m.contains("circuit breaker is open"))
        );
        assert!(!called.load(std::sync::atomic::Ordering::SeqCst));
        let text = metrics.render();
        assert!(
            text.contains(r#"resilience4j_circuitbreaker_state{name="payment",state="open"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"resilience4j_circuitbreaker_not_permitted_calls_total{name="payment"} 1"#
            ),
            "{text}"
        );

        // Still open just before the wait ends; half-open after it: a failure reopens at once.
        clock.advance(Duration::from_millis(49));
        assert!(matches!(fail(&guard).await, Err(Guarded::Refused(_))));
        clock.advance(Duration::from_millis(1));
        assert!(matches!(fail(&guard).await, Err(Guarded::Failed(_))));
        assert!(matches!(fail(&guard).await, Err(Guarded::Refused(_))));

        // Half-open again: a success closes it.
        clock.advance(Duration::from_millis(50));
        assert!(
            guard
                .call(async { Ok::<_, &str>(7) }, |_| true)
                .await
                .is_ok()
        );
        assert!(
            metrics
                .render()
                .contains(r#"resilience4j_circuitbreaker_state{name="payment",state="closed"} 1"#)
        );
        assert!(matches!(fail(&guard).await, Err(Guarded::Failed(_))));
    }

    #[tokio::test]
    async fn answers_that_are_not_failures_keep_it_closed() {
        let (guard, _, _) = guard(2, 10_000, 8);
        for _ in 0..5 {
            let declined = guard
                .call(async { Err::<(), _>("declined") }, |_| false)
                .await;
            assert!(matches!(declined, Err(Guarded::Failed("declined"))));
        }
        assert!(guard.is_call_permitted());
        // Failures must be consecutive: a success in between resets the count.
        assert!(matches!(fail(&guard).await, Err(Guarded::Failed(_))));
        assert!(
            guard
                .call(async { Ok::<_, &str>(()) }, |_| true)
                .await
                .is_ok()
        );
        assert!(matches!(fail(&guard).await, Err(Guarded::Failed(_))));
        assert!(guard.is_call_permitted());
    }

    #[tokio::test]
    async fn a_full_bulkhead_refuses_at_once() {
        let (guard, metrics, _) = guard(5, 10_000, 2);
        let (release, wait) = tokio::sync::watch::channel(false);
        let (started, mut running) = tokio::sync::mpsc::unbounded_channel();
        let slow = || {
            let mut wait = wait.clone();
            let started = started.clone();
            let guard = guard.clone();
            tokio::spawn(async move {
                guard
                    .call(
                        async move {
                            let _ = started.send(());
                            let _ = wait.wait_for(|go| *go).await;
                            Ok::<_, &str>(())
                        },
                        |_| true,
                    )
                    .await
                    .is_ok()
            })
        };
        let (a, b) = (slow(), slow());
        // Both calls hold their permits once they run.
        for _ in 0..2 {
            running.recv().await.expect("a call started");
        }
        assert_eq!(guard.permits.available_permits(), 0);
        let refused = guard.call(async { Ok::<_, &str>(()) }, |_| true).await;
        assert!(matches!(refused, Err(Guarded::Refused(ref m)) if m.contains("in flight")));
        let text = metrics.render();
        assert!(
            text.contains(r#"resilience4j_bulkhead_available_concurrent_calls{name="payment"} 0"#),
            "{text}"
        );
        assert!(
            text.contains(r#"resilience4j_bulkhead_rejected_calls_total{name="payment"} 1"#),
            "{text}"
        );
        release.send(true).expect("waiters");
        assert!(a.await.expect("task") && b.await.expect("task"));
        assert!(
            guard
                .call(async { Ok::<_, &str>(()) }, |_| true)
                .await
                .is_ok()
        );
        // A refusal by the bulkhead is not a failure of the dependency.
        assert!(guard.is_call_permitted());
    }
}
