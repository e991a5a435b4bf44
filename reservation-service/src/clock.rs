//! The time the service acts on. Hold expiry, idempotency windows and outbox backoff compare
//! stored epoch seconds with "now"; caches and circuit breakers measure intervals. Taking both
//! from a [`Clock`] lets tests move time instead of waiting for it.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Where the service reads the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;

    /// Now, in epoch seconds.
    fn now_secs(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// Now, on a clock that never goes back: for intervals (how old a cache entry is, how long
    /// a breaker has been open).
    fn instant(&self) -> Instant;
}

/// A shared clock.
pub type SharedClock = Arc<dyn Clock>;

/// The system's clock: what the service runs on.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that stands still until moved: for tests of expiry, backoff, caches and breakers.
///
/// ```
/// use reservation_service::clock::{Clock, ManualClock};
/// let clock = ManualClock::starting_now();
/// let before = clock.now();
/// clock.advance(std::time::Duration::from_secs(301));
/// assert_eq!((clock.now() - before).whole_seconds(), 301);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<(OffsetDateTime, Instant)>>);

impl ManualClock {
    /// A clock at the system's current time.
    pub fn starting_now() -> Self {
        ManualClock(Arc::new(Mutex::new((
            OffsetDateTime::now_utc(),
            Instant::now(),
        ))))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        now.0 += by;
        now.1 += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    fn instant(&self) -> Instant {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).1
    }
}
