//! Rate limiting: a token bucket per user and one for the whole instance, in memory, and one per
//! client address for requests without a valid token. Over the limit a request gets 429
//! `RATE_LIMITED` with `Retry-After`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Over a limit: retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many requests; retry after {retry_after_secs} s")]
pub struct RateLimited {
    /// When a token will be there, rounded up to whole seconds.
    pub retry_after_secs: u64,
}

/// Requests per second and burst size; a rate of 0 turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests allowed at once.
    pub burst: f64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Bucket {
            tokens: rate.burst,
            last: now,
        }
    }

    /// Takes a token, or says how long until one is there.
    fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        self.has_one(rate, now)?;
        self.tokens -= 1.0;
        Ok(())
    }

    /// Whether a token is there (refilled up to `now`), or how long until one is.
    fn has_one(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / rate.per_second,
            ))
        }
    }
}

/// The limiter of one instance (each replica limits on its own).
#[derive(Debug)]
pub struct RateLimiter {
    user: Rate,
    global: Rate,
    address: Rate,
    users: Mutex<HashMap<String, Bucket>>,
    instance: Mutex<Bucket>,
    addresses: Mutex<HashMap<IpAddr, Bucket>>,
}

/// Forgets the keys whose bucket has refilled (they are back to a full burst anyway) once
/// there are more than 10,000.
fn forget_refilled<K>(buckets: &mut HashMap<K, Bucket>, rate: Rate, now: Instant) {
    if buckets.len() > 10_000 {
        let refill = Duration::from_secs_f64(rate.burst / rate.per_second);
        buckets.retain(|_, b| now.saturating_duration_since(b.last) < refill);
    }
}

impl RateLimiter {
    /// A limiter with these rates.
    pub fn new(user: Rate, global: Rate) -> Self {
        let now = Instant::now();
        RateLimiter {
            user,
            global,
            address: Rate {
                per_second: 0.0,
                burst: 0.0,
            },
            users: Mutex::new(HashMap::new()),
            instance: Mutex::new(Bucket::full(global, now)),
            addresses: Mutex::new(HashMap::new()),
        }
    }

    /// Also limits requests without a valid token per client address, at `rate`.
    #[must_use]
    pub fn per_address(self, rate: Rate) -> Self {
        RateLimiter {
            address: rate,
            ..self
        }
    }

    /// Whether a request from `address` may have its token verified: `RATE_LIMITED` once the
    /// address has spent its budget on missing or invalid tokens. Takes nothing: only a
    /// refused token is [`charged`](Self::charge_address).
    pub fn check_address(&self, address: IpAddr) -> Result<(), RateLimited> {
        if self.address.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut addresses = self.addresses();
        match addresses.get_mut(&address) {
            None => Ok(()),
            Some(bucket) => bucket
                .has_one(self.address, now)
                .map_err(|wait| RateLimited {
                    retry_after_secs: wait.as_secs().max(1),
                }),
        }
    }

    /// Counts a request from `address` whose token was missing or invalid.
    pub fn charge_address(&self, address: IpAddr) {
        if self.address.per_second <= 0.0 {
            return;
        }
        let now = Instant::now();
        let mut addresses = self.addresses();
        forget_refilled(&mut addresses, self.address, now);
        let bucket = addresses
            .entry(address)
            .or_insert_with(|| Bucket::full(self.address, now));
        // Already empty: it stays empty, and check_address refuses.
        let _ = bucket.take(self.address, now);
    }

    fn addresses(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Bucket>> {
        self.addresses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a request of `user`; `RATE_LIMITED` when over either limit. The user's bucket
    /// is charged first, and the instance's only for a request the user's admits: a user over
    /// their own limit spends nothing of the budget the other users share.
    pub fn check(&self, user: &str) -> Result<(), RateLimited> {
        let now = Instant::now();
        let limited = |wait: Duration| RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        };
        if self.user.per_second > 0.0 {
            let mut users = self.users();
            forget_refilled(&mut users, self.user, now);
            let bucket = users
                .entry(user.to_owned())
                .or_insert_with(|| Bucket::full(self.user, now));
            bucket.take(self.user, now).map_err(limited)?;
        }
        if self.global.per_second > 0.0 {
            let mut bucket = self
                .instance
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Err(wait) = bucket.take(self.global, now) {
                drop(bucket);
                // Refused all the same: the user's token goes back.
                if let Some(bucket) = self.users().get_mut(user) {
                    bucket.tokens = (bucket.tokens + 1.0).min(self.user.burst);
                }
                return Err(limited(wait));
            }
        }
        Ok(())
    }

    fn users(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bucket>> {
        self.users
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refills() {
        let rate = Rate {
            per_second: 10.0,
            burst: 2.0,
        };
        let start = Instant::now();
        let mut bucket = Bucket::full(rate, start);
        assert!(bucket.take(rate, start).is_ok());
        assert!(bucket.take(rate, start).is_ok());
        let wait = bucket.take(rate, start).expect_err("empty");
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        assert!(
            bucket
                .take(rate, start + Duration::from_millis(100))
                .is_ok(),
            "one token after 1/rate seconds"
        );
    }

    #[test]
    fn users_are_limited_separately_and_zero_disables() {
        let limiter = RateLimiter::new(
            Rate {
                per_second: 0.001,
                burst: 1.0,
            },
            Rate {
                per_second: 0.0,
                burst: 0.0,
            },
        );
        assert!(limiter.check("a").is_ok());
        assert!(matches!(
            limiter.check("a"),
            Err(RateLimited { retry_after_secs }) if retry_after_secs >= 1
        ));
        assert!(limiter.check("b").is_ok());
    }

    #[test]
    fn an_address_is_refused_once_its_invalid_tokens_spent_its_budget() {
        let off = Rate {
            per_second: 0.0,
            burst: 0.0,
        };
        let limiter = RateLimiter::new(off, off).per_address(Rate {
            per_second: 1.0,
            burst: 2.0,
        });
        let (a, b): (IpAddr, IpAddr) = ("203.0.113.7".parse().unwrap(), "::1".parse().unwrap());
        for _ in 0..2 {
            assert!(limiter.check_address(a).is_ok());
            limiter.charge_address(a);
        }
        assert!(
            limiter.check_address(a).is_err(),
            "two invalid tokens spent the burst"
        );
        assert!(limiter.check_address(b).is_ok(), "per address");
        // Disabled: never refused.
        let open = RateLimiter::new(off, off);
        open.charge_address(a);
        assert!(open.check_address(a).is_ok());
    }

    #[test]
    fn a_user_over_their_limit_spends_nothing_of_the_shared_budget() {
        let slow = |burst: f64| Rate {
            per_second: 0.001,
            burst,
        };
        let limiter = RateLimiter::new(slow(1.0), slow(2.0));
        assert!(limiter.check("flood").is_ok());
        for _ in 0..50 {
            assert!(limiter.check("flood").is_err(), "over their own limit");
        }
        // One token of the instance's two is left for everybody else.
        assert!(limiter.check("alice").is_ok());
        // The instance's budget is spent: bob is refused, and keeps his own token for later.
        assert!(limiter.check("bob").is_err());
        assert!(
            limiter.users().get("bob").is_some_and(|b| b.tokens >= 1.0),
            "bob's token goes back"
        );
    }
}
