//! Write sharding: one logical partition spread over `N` partition key values, so its writes
//! are not capped by one partition's 1,000 write units per second.
//!
//! Two ways to pick the shard, both in a key template:
//!
//! - **Computed from a field**, `pk = "EVENT#{event_id}#{shard(seat_id):16}"`: the shard is
//!   [`shard_of`] the field's key text, so every write and read of one item lands on the same
//!   shard, and the key struct (`SeatKey`) computes it: point reads and writes take the same
//!   arguments as without sharding. A query of the whole logical partition reads every shard
//!   (`SeatPartition::all(event_id)`); a worker can read one (`SeatPartition::shard(event_id, n)`).
//! - **Chosen by the writer**, a [`Shard<N>`] field, `pk = "HOLD#{hold_shard}"`: for work
//!   queues and time-ordered indexes whose items no reader looks up by key, the writer picks any
//!   shard (at random, round-robin) and each worker queries the shards it owns.
//!
//! A shard is written zero-padded to the digits of `N - 1` (`Shard<64>`: `00`..`63`), so the
//! key's width does not depend on the value.

use super::template::{DIGITS, KeyComponent, pad};
use crate::mapping::error::ValueError;
use crate::mapping::value::DynamoValue;
use aws_sdk_dynamodb::types::AttributeValue;
use std::fmt;

/// The shard of a key text among `shards`: a stable hash of `text`'s UTF-8 bytes, modulo
/// `shards` (`0` when `shards` is `0` or `1`).
///
/// The hash is 64-bit FNV-1a (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`)
/// finished with MurmurHash3's 64-bit finalizer (`fmix64`), so that its low bits, which the
/// modulo keeps, depend on every byte. It is part of the stored format: the same text gives the
/// same shard on every platform, in every release, and the tests pin it with fixed vectors.
/// Changing it would move every sharded item, which takes a re-keying migration.
///
/// ```
/// use dynamo_core::keys::shard_of;
///
/// assert_eq!(shard_of("A-12", 16), shard_of("A-12", 16));
/// assert!(shard_of("A-12", 16) < 16);
/// assert_eq!(shard_of("A-12", 1), 0);
/// ```
#[must_use]
pub fn shard_of(text: &str, shards: u32) -> u32 {
    if shards <= 1 {
        return 0;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.as_bytes() {
        h ^= u64::from(*byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    // The remainder is below `shards`, a u32.
    u32::try_from(h % u64::from(shards)).unwrap_or(0)
}

/// The digits a shard number of `shards` shards is written with: those of `shards - 1`.
#[must_use]
pub const fn shard_width(shards: u32) -> usize {
    let mut n = shards.saturating_sub(1);
    let mut width = 1;
    while n >= 10 {
        n /= 10;
        width += 1;
    }
    width
}

/// One of `N` shards, chosen by the writer: a key component written with a fixed width (the
/// digits of `N - 1`) and stored as a number.
///
/// ```
/// use dynamo_core::keys::Shard;
///
/// let shard = Shard::<64>::try_from(7)?;
/// assert_eq!(shard.get(), 7);
/// assert_eq!(shard.to_string(), "07");
/// assert!(Shard::<64>::try_from(64).is_err());
/// assert_eq!(Shard::<64>::all().count(), 64);
/// # Ok::<(), dynamo_core::keys::ShardOutOfRange>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard<const N: u32>(u32);

impl<const N: u32> Shard<N> {
    /// How many shards there are.
    pub const COUNT: u32 = {
        assert!(N >= 1, "Shard<N> needs at least one shard");
        N
    };

    /// The shard number, below `N`.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The shard of `text` ([`shard_of`]): the same text always gives the same shard.
    #[must_use]
    pub fn of(text: &str) -> Self {
        Shard(shard_of(text, Self::COUNT))
    }

    /// Every shard, `0` to `N - 1`.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..Self::COUNT).map(Shard)
    }
}

impl<const N: u32> TryFrom<u32> for Shard<N> {
    type Error = ShardOutOfRange;

    fn try_from(n: u32) -> Result<Self, ShardOutOfRange> {
        if n < Self::COUNT {
            Ok(Shard(n))
        } else {
            Err(ShardOutOfRange {
                shard: u64::from(n),
                shards: N,
            })
        }
    }
}

impl<const N: u32> From<Shard<N>> for u32 {
    fn from(shard: Shard<N>) -> u32 {
        shard.0
    }
}

impl<const N: u32> fmt::Display for Shard<N> {
    /// The shard as it is written in a key: zero-padded to the digits of `N - 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$}", self.0, width = shard_width(N))
    }
}

/// A shard number that is not below the number of shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("shard {shard} is out of range: there are {shards} shards, numbered 0 to {}", shards.saturating_sub(1))]
pub struct ShardOutOfRange {
    /// The number asked for.
    pub shard: u64,
    /// How many shards there are.
    pub shards: u32,
}

impl<const N: u32> KeyComponent for Shard<N> {
    const CHARSET: &'static str = DIGITS;
    const CARDINALITY: u64 = N as u64;

    #[inline]
    fn write_component(&self, out: &mut String, _width: usize) -> Result<(), ValueError> {
        pad(out, itoa::Buffer::new().format(self.0), shard_width(N))
    }

    fn read_component(text: &str, _width: usize) -> Option<AttributeValue> {
        let shard = Shard::<N>::try_from(text.parse::<u32>().ok()?).ok()?;
        Some(AttributeValue::N(shard.0.to_string()))
    }
}

impl<const N: u32> DynamoValue for Shard<N> {
    #[inline]
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        self.0.into_attribute()
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        let n = u32::from_attribute(value)?;
        Shard::try_from(n).map_err(|e| {
            ValueError::new(
                format!("a shard below {}", e.shards),
                itoa::Buffer::new().format(n).to_owned(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored format: these must never change (a change moves every sharded item).
    #[test]
    fn shards_are_the_same_everywhere_and_forever() {
        // Computed independently (Python, from the definition above).
        let vectors: [(&str, u32, u32); 8] = [
            ("", 256, 38),
            ("A-12", 16, 4),
            ("A-12", 256, 164),
            ("seat-0001", 256, 119),
            ("seat-0002", 256, 6),
            ("usr_1", 64, 49),
            ("가나다", 100, 16),
            ("evt_0", 4_096, 2_233),
        ];
        let got: Vec<_> = vectors
            .iter()
            .map(|(text, n, _)| (*text, *n, shard_of(text, *n)))
            .collect();
        assert_eq!(got, vectors);
    }

    #[test]
    fn shards_spread_evenly() {
        let shards = 64u32;
        let mut counts = vec![0u32; shards as usize];
        let items = 64_000u32;
        for i in 0..items {
            counts[shard_of(&format!("A-{i}"), shards) as usize] += 1;
        }
        let expected = f64::from(items) / f64::from(shards);
        let chi2: f64 = counts
            .iter()
            .map(|c| (f64::from(*c) - expected).powi(2) / expected)
            .sum();
        // 63 degrees of freedom: the 99.9th percentile of χ² is about 103.
        assert!(chi2 < 103.0, "χ² = {chi2}, counts {counts:?}");
    }

    #[test]
    fn widths_follow_the_count() {
        assert_eq!(shard_width(1), 1);
        assert_eq!(shard_width(10), 1);
        assert_eq!(shard_width(11), 2);
        assert_eq!(shard_width(100), 2);
        assert_eq!(shard_width(256), 3);
        assert_eq!(
            Shard::<256>::try_from(7).expect("in range").to_string(),
            "007"
        );
        let mut out = String::new();
        Shard::<16>::try_from(3)
            .expect("in range")
            .write_component(&mut out, 0)
            .expect("fits");
        assert_eq!(out, "03");
    }

    #[test]
    fn out_of_range_is_an_error() {
        let err = Shard::<8>::try_from(8).expect_err("out of range");
        assert_eq!(
            err.to_string(),
            "shard 8 is out of range: there are 8 shards, numbered 0 to 7"
        );
        assert!(Shard::<8>::from_attribute(AttributeValue::N("9".into())).is_err());
        assert_eq!(
            Shard::<8>::from_attribute(AttributeValue::N("5".into())).expect("in range"),
            Shard::<8>::try_from(5).expect("in range")
        );
    }
}
