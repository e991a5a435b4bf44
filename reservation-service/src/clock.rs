//! The time the service acts on. Hold expiry, idempotency windows and outbox backoff all compare
//! stored epoch seconds with "now"; taking now from a [`Clock`] lets tests move time instead of
//! waiting for it.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

/// Where the service reads the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;

    /// Now, in epoch seconds.
    fn now_secs(&self) -> i64 {
        self.now().unix_timestamp()
    }
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
}

/// A clock that stands still until moved: for tests of expiry and backoff.
///
/// ```
/// use reservation_service::clock::{Clock, ManualClock};
/// let clock = ManualClock::starting_now();
/// let before = clock.now();
/// clock.advance(std::time::Duration::from_secs(301));
/// assert_eq!((clock.now() - before).whole_seconds(), 301);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    /// A clock at the system's current time.
    pub fn starting_now() -> Self {
        ManualClock(Arc::new(Mutex::new(OffsetDateTime::now_utc())))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
