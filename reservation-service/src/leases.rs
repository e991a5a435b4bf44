//! Work shards shared among the replicas that run the workers.
//!
//! The relay's index (`PENDING#<shard>`, 256 shards) and the sweeper's (`HOLD#<shard>`, 100)
//! are spread over shards so that no partition key takes more than its share of writes. If
//! every replica read every shard, they would read the same oldest entries and race to claim
//! them, and every lost race is a conditional write DynamoDB bills. Instead each replica reads
//! the shards it owns:
//!
//! - every replica writes a heartbeat ([`WorkerMember`]) to the outbox table's heartbeat
//!   partition every [`HEARTBEAT`], valid for three heartbeats, and reads the others';
//! - a shard belongs to the live member with the highest score for it (rendezvous hashing:
//!   [`owner_of`]), so every replica computes the same assignment from the same members, and a
//!   replica that joins or leaves moves only its own share;
//! - a replica that stops deletes its heartbeat, and its shards move at the next heartbeat of
//!   the others; one that dies is dropped (and its item deleted) when its heartbeat expires.
//!
//! While members change, two replicas may both read a shard for a heartbeat, or nobody may
//! for up to three: the claims (conditional writes) keep that correct, and the work waits at
//! most that long.

use crate::clock::SharedClock;
use crate::store::{WorkerMember, WorkerMemberKey, WorkerMemberPartition};
use dynamo_core::keys::shard_of;
use dynamo_core::{Entity, Error, Table};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How often a replica renews its heartbeat and reads the others'.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// How many heartbeats a replica may miss before the others take its shards.
const MISSED_HEARTBEATS: u32 = 3;

/// The order in which a worker reads `shards` (its own): at random, so that workers sharing
/// shards while members change claim in different orders; and whether it also reads the work
/// keys an earlier version wrote (the owner of shard 0 does).
pub fn work_order(mut shards: Vec<u32>) -> (Vec<u32>, bool) {
    let legacy_too = shards.contains(&0);
    fastrand::shuffle(&mut shards);
    (shards, legacy_too)
}

/// The shard of `count` that `members` give `shard`: the member with the highest score for
/// it (ties, which the hash makes rare, go to the smaller id). `None` without members.
///
/// ```
/// use reservation_service::workers::owner_of;
/// let members = ["wrk_a".to_owned(), "wrk_b".to_owned()];
/// let owner = owner_of(7, &members).unwrap();
/// assert!(members.iter().any(|m| m == owner));
/// // The same members in another order give the same owner.
/// let reversed = ["wrk_b".to_owned(), "wrk_a".to_owned()];
/// assert_eq!(owner_of(7, &reversed), Some(owner));
/// ```
pub fn owner_of(shard: u32, members: &[String]) -> Option<&str> {
    members
        .iter()
        .map(|member| {
            // The key's shard function is stable across platforms and releases: replicas of
            // two versions during a deployment agree.
            let score = shard_of(&format!("{member}#{shard}"), u32::MAX);
            (score, std::cmp::Reverse(member.as_str()))
        })
        .max()
        .map(|(_, std::cmp::Reverse(member))| member)
}

/// This replica's membership among the replicas that share the work shards.
#[derive(Debug)]
pub struct ShardLeases {
    members: Table<WorkerMember>,
    owner: String,
    clock: SharedClock,
    view: Mutex<View>,
}

/// The members as the last heartbeat read them.
#[derive(Debug, Default)]
struct View {
    members: Vec<String>,
    read_at: Option<Instant>,
}

impl ShardLeases {
    /// A new member (with a new id) of the replicas whose heartbeats are in `members`.
    pub fn new(members: Table<WorkerMember>, clock: SharedClock) -> Self {
        ShardLeases {
            members,
            owner: crate::domain::request::new_id("wrk"),
            clock,
            view: Mutex::new(View::default()),
        }
    }

    /// This replica's id.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The shards among `0..count` this replica reads now. Renews the heartbeat and reads the
    /// members first when the last heartbeat is older than [`HEARTBEAT`].
    ///
    /// # Errors
    ///
    /// When the heartbeat cannot be written or the members cannot be read: the pass is
    /// retried later, as for any other DynamoDB error.
    pub async fn owned(&self, count: u32) -> Result<Vec<u32>, Error> {
        let mut view = self.view.lock().await;
        let now = self.clock.instant();
        if view
            .read_at
            .is_none_or(|at| now.saturating_duration_since(at) >= HEARTBEAT)
        {
            view.members = self.heartbeat().await?;
            view.read_at = Some(now);
        }
        Ok((0..count)
            .filter(|&shard| owner_of(shard, &view.members) == Some(self.owner.as_str()))
            .collect())
    }

    /// Writes this replica's heartbeat and reads every live member's (this one among them);
    /// deletes the heartbeats that expired.
    async fn heartbeat(&self) -> Result<Vec<String>, Error> {
        let now = self.clock.now();
        let valid = HEARTBEAT.saturating_mul(MISSED_HEARTBEATS).as_secs();
        self.members
            .put(WorkerMember {
                owner: self.owner.clone(),
                expires_at: now.unix_timestamp() + i64::try_from(valid).unwrap_or(15),
                seen_at: now,
            })
            .send()
            .await?;
        let stored = self
            .members
            .query(WorkerMemberPartition::new())
            .consistent_read()
            .all()
            .await?;
        let (live, expired): (Vec<WorkerMember>, Vec<WorkerMember>) = stored
            .into_iter()
            .partition(|m| m.expires_at >= now.unix_timestamp());
        for member in expired {
            let f = WorkerMember::fields();
            // Unless it came back meanwhile.
            let deleted = self
                .members
                .delete(member.key())
                .condition(f.expires_at.eq(member.expires_at))
                .send()
                .await;
            if let Err(e) = deleted
                && !e.is_condition_failed()
            {
                tracing::debug!(owner = member.owner, error = %e, "an expired heartbeat stays");
            }
        }
        let mut members: Vec<String> = live.into_iter().map(|m| m.owner).collect();
        if !members.contains(&self.owner) {
            members.push(self.owner.clone());
        }
        Ok(members)
    }

    /// Deletes this replica's heartbeat: the others take its shards at their next heartbeat.
    ///
    /// # Errors
    ///
    /// When DynamoDB does not answer; the heartbeat then expires by itself.
    pub async fn leave(&self) -> Result<(), Error> {
        let mut view = self.view.lock().await;
        view.members.clear();
        view.read_at = None;
        self.members
            .delete(WorkerMemberKey::new(self.owner.clone()))
            .send()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("wrk_{i:032x}")).collect()
    }

    #[test]
    fn the_owner_of_shard_zero_reads_the_earlier_keys_too() {
        let (mut order, legacy) = work_order(vec![5, 0, 9]);
        assert!(legacy);
        order.sort_unstable();
        assert_eq!(order, [0, 5, 9], "every shard once");
        assert!(!work_order(vec![3, 1]).1);
    }

    #[test]
    fn every_shard_has_one_owner_and_the_shares_are_even() {
        let members = members(4);
        let mut shares = vec![0u32; members.len()];
        for shard in 0..1024 {
            let owner = owner_of(shard, &members).expect("an owner");
            let i = members.iter().position(|m| m == owner).expect("a member");
            shares[i] += 1;
        }
        // 256 each on average; rendezvous hashing keeps each within a third of it.
        assert!(
            shares.iter().all(|&n| (170..=342).contains(&n)),
            "{shares:?}"
        );
    }

    #[test]
    fn a_member_leaving_moves_only_its_own_shards() {
        let all = members(5);
        let fewer: Vec<String> = all[..4].to_vec();
        let gone = all[4].as_str();
        for shard in 0..512 {
            let before = owner_of(shard, &all).expect("an owner");
            let after = owner_of(shard, &fewer).expect("an owner");
            if before != gone {
                assert_eq!(before, after, "shard {shard} moved between staying members");
            }
        }
    }

    #[test]
    fn nobody_owns_without_members() {
        assert_eq!(owner_of(3, &[]), None);
    }
}
