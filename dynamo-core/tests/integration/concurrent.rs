//! Concurrent writers, checked invariants: Jepsen's approach at small scale. Several writers put,
//! update, delete and transact on accounts with a unique email, a schema version, a previous
//! key and a TTL, while the rekey runner moves and upgrades the accounts written by the release
//! before, with several segments, and `testing::Faults` throttles, cancels on conflicts and
//! loses answers after the write. Each writer records what it was told; at the end a checker
//! compares what is stored with that history:
//!
//! - every stored email has exactly one guard, every guard's owner exists, holds its value and
//!   has its TTL;
//! - no acknowledged write is lost: each account is as the last acknowledged write of its
//!   writer left it, or as a later write whose answer was an error left it (an error may come
//!   after the write was applied: a lost answer);
//! - no account lives under both its old and its new key, and nothing is left under an old key;
//! - every item reads.
//!
//! Seeded: a failure prints its seed. `DYNAMO_CONCURRENT_SEEDS=1-200` runs more seeds (CI runs
//! the default few).

use dynamo_core::error::Operation;
use dynamo_core::testing::{Emulator, Fault, Faults, Rule};
use dynamo_core::{
    AttributeValue, DynamoEntity, Entity, Item, KeyDef, Table, TableDef, TransactWrite,
    client::ClientBuilder,
};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

const LEDGER: TableDef = TableDef::new("ledger", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_entity_attribute("entity")
    .with_ttl_attribute("expires_at");

/// An account as the release before wrote it: under `ACCT#{id}`, without a version (version 1),
/// without a plan.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = LEDGER, entity = "Account", pk = "ACCT#{id}", sk = "ACCOUNT", unique(email))]
struct AccountBefore {
    id: String,
    email: String,
    #[ttl]
    expires_at: Option<i64>,
}

/// Version 1, as the current release reads it.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = LEDGER, pk = "A#{id}", sk = "ACCOUNT", version_of = Account, schema_version = 1)]
struct AccountV1 {
    id: String,
    email: String,
    #[ttl]
    expires_at: Option<i64>,
}

/// An account now: a shorter key, a plan and credits (version 2).
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = LEDGER,
    pk = "A#{id}",
    sk = "ACCOUNT",
    previous(pk = "ACCT#{id}"),
    unique(email),
    schema_version = 2,
    upgrade(from = 1, via = AccountV1, with = upgrade)
)]
struct Account {
    id: String,
    email: String,
    plan: String,
    credits: u32,
    #[ttl]
    expires_at: Option<i64>,
}

fn upgrade(v1: AccountV1) -> Account {
    Account {
        id: v1.id,
        email: v1.email,
        plan: "free".into(),
        credits: 0,
        expires_at: v1.expires_at,
    }
}

const WRITERS: usize = 4;
const IDS_PER_WRITER: usize = 3;
const OPS_PER_WRITER: usize = 40;
const EMAILS: usize = 8;
/// A TTL far in the future (2033): nothing expires during the test.
const TTL: i64 = 2_000_000_000;

/// What an account holds, as the checker models it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct State {
    email: String,
    plan: String,
    credits: u32,
    expires_at: Option<i64>,
}

impl From<&Account> for State {
    fn from(a: &Account) -> Self {
        State {
            email: a.email.clone(),
            plan: a.plan.clone(),
            credits: a.credits,
            expires_at: a.expires_at,
        }
    }
}

/// One write of a writer to one of its accounts.
#[derive(Debug, Clone)]
enum Op {
    Put(State),
    SetPlan(String),
    SetEmail(String),
    ExtendTtl(i64),
    Delete,
}

impl Op {
    /// The account after this write, from the account before it; `Err(())` where the write
    /// cannot apply (an update of a missing account).
    fn apply(&self, before: &Option<State>) -> Result<Option<State>, ()> {
        match (self, before) {
            (Op::Put(state), _) => Ok(Some(state.clone())),
            (Op::Delete, _) => Ok(None),
            (_, None) => Err(()),
            (Op::SetPlan(plan), Some(s)) => Ok(Some(State {
                plan: plan.clone(),
                ..s.clone()
            })),
            (Op::SetEmail(email), Some(s)) => Ok(Some(State {
                email: email.clone(),
                ..s.clone()
            })),
            (Op::ExtendTtl(by), Some(s)) => Ok(Some(State {
                expires_at: Some(s.expires_at.unwrap_or(0) + by),
                ..s.clone()
            })),
        }
    }
}

/// What a writer was told about one write (of one account, or two in a transaction).
#[derive(Debug, Clone)]
struct Record {
    writes: Vec<(String, Op)>,
    acknowledged: bool,
}

fn id(writer: usize, n: usize) -> String {
    format!("w{writer}-{n}")
}

fn email(n: usize) -> String {
    format!("user{n}@example.com")
}

fn seeds() -> Vec<u64> {
    let Ok(spec) = std::env::var("DYNAMO_CONCURRENT_SEEDS") else {
        return vec![1, 2, 3];
    };
    spec.split(',')
        .flat_map(|part| match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (a.trim().parse().unwrap_or(1), b.trim().parse().unwrap_or(1));
                (a..=b).collect::<Vec<u64>>()
            }
            None => part.trim().parse().into_iter().collect(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_under_faults_lose_nothing_and_keep_every_invariant() {
    for seed in seeds() {
        tokio::time::timeout(Duration::from_secs(120), run(seed))
            .await
            .unwrap_or_else(|_| panic!("seed {seed}: did not finish within 120 s"));
    }
}

async fn run(seed: u64) {
    let db = Emulator::start().await.expect("the emulator starts");
    db.create_tables(&[LEDGER]).await.expect("created");
    let before = db.table::<AccountBefore>();
    let mut rng = fastrand::Rng::with_seed(seed);

    // The release before wrote each writer's first account, with a distinct email each.
    let mut initial: HashMap<String, Option<State>> = HashMap::new();
    for w in 0..WRITERS {
        for n in 0..IDS_PER_WRITER {
            initial.insert(id(w, n), None);
        }
        let email = format!("before{w}@example.com");
        before
            .put(AccountBefore {
                id: id(w, 0),
                email: email.clone(),
                expires_at: Some(TTL),
            })
            .send()
            .await
            .expect("seeded");
        initial.insert(
            id(w, 0),
            Some(State {
                email,
                plan: "free".into(),
                credits: 0,
                expires_at: Some(TTL),
            }),
        );
    }

    let faults = Faults::seeded(seed)
        .rule(Rule::new(Fault::Throttling).rate(0.04))
        .rule(
            Rule::new(Fault::TransactionConflict)
                .operation(Operation::TransactWriteItems)
                .rate(0.04),
        )
        .rule(Rule::new(Fault::LostAnswer).rate(0.04))
        .rule(
            Rule::new(Fault::Unprocessed)
                .operation(Operation::BatchGetItem)
                .rate(0.1),
        );
    let client = ClientBuilder::default()
        .endpoint(db.endpoint())
        .region("us-east-1")
        .max_attempts(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(20))
        .build()
        .await
        .expect("client");
    let faulty = Emulator::attach(db.endpoint(), client, db.prefix()).with_faults(&faults);
    let accounts: Table<Account> = faulty.table::<Account>();

    // The runner moves and upgrades while the writers write, again and again.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = {
        let accounts = accounts.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let mut runs = 0;
            while !*stopped.borrow() {
                let _ = accounts.rekey().segments(3).page_size(2).run().await;
                runs += 1;
                let _ = tokio::time::timeout(Duration::from_millis(20), stopped.changed()).await;
            }
            runs
        })
    };

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let accounts = accounts.clone();
        let mut rng = fastrand::Rng::with_seed(rng.u64(..));
        writers.push(tokio::spawn(async move {
            let mut history = Vec::with_capacity(OPS_PER_WRITER);
            for _ in 0..OPS_PER_WRITER {
                history.push(step(&accounts, w, &mut rng).await);
            }
            history
        }));
    }
    let mut history: Vec<Record> = Vec::new();
    for writer in writers {
        history.extend(writer.await.expect("the writer runs"));
    }
    stop.send(true).expect("the runner listens");
    let runs = runner.await.expect("the runner runs");
    let injected = faults.injected();
    faults.clear();
    // A last run without faults moves what is left.
    let last = accounts.rekey().segments(3).run().await.expect("last run");
    assert!(
        last.complete && last.unreadable.is_empty(),
        "seed {seed}: {last:?}"
    );

    check(seed, &db, &initial, &history).await;
    let acknowledged = history.iter().filter(|r| r.acknowledged).count();
    println!(
        "seed {seed}: {} writes ({acknowledged} acknowledged), {runs} runner passes, {} faults injected ({} lost answers)",
        history.len(),
        injected.len(),
        injected
            .iter()
            .filter(|i| i.fault == Fault::LostAnswer)
            .count()
    );
}

/// One write of writer `w`, recorded with what it was told.
async fn step(accounts: &Table<Account>, w: usize, rng: &mut fastrand::Rng) -> Record {
    let n = rng.usize(..IDS_PER_WRITER);
    let key = AccountKey::new(id(w, n));
    // The documented protocol: an item still under its previous key is moved before a write.
    let _ = accounts.rekey().move_key(&key).await;
    let f = Account::fields();
    let roll = rng.u32(..100);
    let me = id(w, n);
    let (writes, sent) = if roll < 30 {
        let state = State {
            email: email(rng.usize(..EMAILS)),
            plan: ["free", "pro", "team"][rng.usize(..3)].into(),
            credits: rng.u32(..1000),
            // Always a TTL: extended by `add`, never one in the past (an expired account is
            // deleted as far as DynamoDB is concerned, and its email free).
            expires_at: Some(TTL + i64::from(rng.u32(..1000))),
        };
        let sent = accounts
            .put(Account {
                id: id(w, n),
                email: state.email.clone(),
                plan: state.plan.clone(),
                credits: state.credits,
                expires_at: state.expires_at,
            })
            .send()
            .await;
        (vec![(me, Op::Put(state))], sent)
    } else if roll < 50 {
        let plan = format!("plan-{}", rng.u32(..100));
        let sent = accounts.update(key).set(f.plan, plan.clone()).send().await;
        (vec![(me, Op::SetPlan(plan))], sent)
    } else if roll < 65 {
        let email = email(rng.usize(..EMAILS));
        let sent = accounts
            .update(key)
            .set(f.email, email.clone())
            .send()
            .await;
        (vec![(me, Op::SetEmail(email))], sent)
    } else if roll < 75 {
        let by = i64::from(rng.u32(1..1000));
        let sent = accounts
            .update(key)
            .add(f.expires_at, Some(by))
            .send()
            .await;
        (vec![(me, Op::ExtendTtl(by))], sent)
    } else if roll < 85 {
        let sent = accounts.delete(key).send().await;
        (vec![(me, Op::Delete)], sent)
    } else {
        // Two of the writer's accounts in one transaction.
        let other = (n + 1) % IDS_PER_WRITER;
        let (a, b) = (
            format!("tx-{}", rng.u32(..100)),
            format!("tx-{}", rng.u32(..100)),
        );
        let mut tx = TransactWrite::new(accounts.client());
        tx.add(accounts.update(key).set(f.plan, a.clone()));
        tx.add(
            accounts
                .update(AccountKey::new(id(w, other)))
                .set(f.plan, b.clone()),
        );
        let sent = tx.send().await;
        (
            vec![(me, Op::SetPlan(a)), (id(w, other), Op::SetPlan(b))],
            sent,
        )
    };
    Record {
        writes,
        acknowledged: sent.is_ok(),
    }
}

/// The states an account may be in after its history: after an acknowledged write, what it
/// made; after a write answered with an error, either.
fn possible(initial: &Option<State>, history: &[(Op, bool)]) -> Vec<Option<State>> {
    let mut states = vec![initial.clone()];
    for (op, acknowledged) in history {
        let applied: Vec<Option<State>> = states.iter().filter_map(|s| op.apply(s).ok()).collect();
        if *acknowledged {
            states = applied;
        } else {
            states.extend(applied);
        }
        states.sort();
        states.dedup();
    }
    states
}

async fn check(
    seed: u64,
    db: &Emulator,
    initial: &HashMap<String, Option<State>>,
    history: &[Record],
) {
    let client = db.client();
    let table = db.table::<Account>();
    let items: Vec<Item> = client
        .scan()
        .table_name(table.name())
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default();
    let s = |item: &Item, name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        other => panic!("seed {seed}: {name} is {other:?} in {item:?}"),
    };

    let mut accounts: BTreeMap<String, Account> = BTreeMap::new();
    let mut guards: BTreeMap<String, Item> = BTreeMap::new();
    for item in &items {
        let pk = s(item, "pk");
        if pk.starts_with("UNIQUE#") {
            guards.insert(pk, item.clone());
        } else {
            assert!(
                pk.starts_with("A#"),
                "seed {seed}: an item is left under its old key: {item:?}"
            );
            let account = Account::from_item(item.clone())
                .unwrap_or_else(|e| panic!("seed {seed}: an item does not read: {e}: {item:?}"));
            assert!(
                accounts.insert(account.id.clone(), account).is_none(),
                "seed {seed}: {pk} twice"
            );
        }
    }

    // Unique emails: one guard each, owned by the account that holds it, with its TTL.
    for account in accounts.values() {
        let guard_pk = format!("UNIQUE#Account#email#{}", account.email);
        let guard = guards
            .get(&guard_pk)
            .unwrap_or_else(|| panic!("seed {seed}: no guard for {account:?}"));
        assert_eq!(
            s(guard, "owner_pk"),
            format!("A#{}", account.id),
            "seed {seed}: the guard of {} names another owner",
            account.email
        );
        let ttl = guard.get("expires_at").and_then(|v| match v {
            AttributeValue::N(n) => n.parse::<i64>().ok(),
            _ => None,
        });
        assert_eq!(
            ttl, account.expires_at,
            "seed {seed}: the guard of {} has another TTL",
            account.email
        );
    }
    for (pk, guard) in &guards {
        let owner = s(guard, "owner_pk");
        let id = owner.trim_start_matches("A#");
        let held = accounts
            .get(id)
            .is_some_and(|a| format!("UNIQUE#Account#email#{}", a.email) == *pk);
        assert!(
            held,
            "seed {seed}: guard {pk} names {owner}, which does not hold it"
        );
    }

    // No acknowledged write lost: each account's history, in its writer's order.
    let mut per_account: HashMap<String, Vec<(Op, bool)>> = HashMap::new();
    for record in history {
        for (id, op) in &record.writes {
            per_account
                .entry(id.clone())
                .or_default()
                .push((op.clone(), record.acknowledged));
        }
    }
    for (id, first) in initial {
        let ops = per_account.remove(id).unwrap_or_default();
        let stored = accounts.get(id).map(State::from);
        let states = possible(first, &ops);
        assert!(
            states.contains(&stored),
            "seed {seed}: {id} is {stored:?}, which its history cannot give: {states:?} after {ops:?}"
        );
    }
}
