//! Key templates in every form: components of every kind, widths, constant and single
//! partitions, index templates beside index key fields, sparse indexes, collections with an
//! `other` variant, and the typed queries and updates they generate.

use dynamo_core::{Condition, DynamoCollection, DynamoEntity, DynamoValue, IndexDef, KeyDef, Table, TableDef, TransactWrite, keys::{Partition, SortScope}};
use time::OffsetDateTime;
use uuid::Uuid;

const APP: TableDef = TableDef::new("app", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[
        IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk"))),
        IndexDef::global("by-score", KeyDef::string("score_pk"), Some(KeyDef::number("score"))),
    ])
    .with_entity_attribute("type");

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq)]
#[dynamo(rename_all = "lowercase")]
enum Tier {
    Gold,
    Silver,
}

#[derive(DynamoValue, Debug, Clone, PartialEq)]
struct AccountId(String);

/// Every kind of component: a newtype, a unit enum, a Uuid, padded and signed integers, a
/// timestamp; a sparse index from a template beside one from a field.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = APP,
    pk = "ACCOUNT#{account}",
    sk = "ENTRY#{tier}#{day:3}#{delta}#{id}",
    gsi(GSI1, pk = "OPEN#{open_shard:2}", sk = "{at}"),
    gsi("by-score", pk = "BOARD#{tier}"),
    hot_partition_ok = "a leaderboard per tier: two keys, written a few times a minute"
)]
struct Entry {
    account: AccountId,
    tier: Tier,
    day: u16,
    delta: i32,
    id: Uuid,
    at: OffsetDateTime,
    open_shard: Option<u8>,
    #[gsi("by-score", sk)]
    score: Option<i64>,
}

/// A few rarely written items in one partition, on purpose; its sort key is constant.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = APP, pk = "SETTINGS", sk = "GLOBAL", single_partition, entity = "Settings")]
struct GlobalSettings {
    maintenance: bool,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = APP, pk = "ACCOUNT#{account}", sk = "PROFILE")]
struct Profile {
    account: AccountId,
    name: String,
}

#[derive(DynamoCollection, Debug, PartialEq)]
enum AccountItems {
    Profile(Profile),
    Entry(Entry),
    #[dynamo(other)]
    Unknown,
}

#[allow(dead_code)]
async fn use_them(
    client: dynamo_core::Client,
    entries: Table<Entry>,
    profiles: Table<Profile>,
    settings: Table<GlobalSettings>,
) -> Result<(), dynamo_core::Error> {
    let account = AccountId("a1".into());
    let gold_day_3 = entries
        .query(EntryPartition::new(account.clone()))
        .sk_begins_with(EntrySortKey::day(Tier::Gold, 3u16))
        .all()
        .await?;
    let _: Vec<Entry> = gold_day_3;
    let _ = entries
        .query(EntryPartition::new(account.clone()))
        .sk_between(EntrySortKey::tier(Tier::Gold), EntrySortKey::delta(Tier::Silver, 9u16, -5))
        .count()
        .await?;
    let _ = entries
        .query(EntryGsi1Partition::new(3u8))
        .sk_lt(EntryGsi1SortKey::new(OffsetDateTime::now_utc()))
        .send()
        .await?;
    let _ = entries
        .query(EntryByScorePartition::new(Tier::Gold))
        .sk_ge(100)
        .descending()
        .all()
        .await?;
    let _ = entries.scan().index::<EntryGsi1Partition>().count().await?;
    let _ = settings
        .get(GlobalSettingsKey::new())
        .send()
        .await?
        .map(|s| s.maintenance);
    let _ = settings.query(GlobalSettingsPartition::new()).all().await?;
    let _: Vec<AccountItems> = profiles
        .query(ProfilePartition::new(account.clone()))
        .collection::<AccountItems>()
        .all()
        .await?;

    let f = Entry::fields();
    let key = EntryKey::new(account.clone(), Tier::Gold, 3u16, -5, Uuid::nil());
    entries
        .update(key.clone())
        .set(f.score, 10)
        .set_index_keys(EntryGsi1Keys {
            at: OffsetDateTime::now_utc(),
            open_shard: None,
        })
        .condition(f.tier.eq(Tier::Gold).and(Condition::item_exists::<Entry>()))
        .send()
        .await?;
    let mut tx = TransactWrite::new(&client);
    tx.add(entries.update(key).set_index_keys(EntryGsi1Keys {
        at: OffsetDateTime::now_utc(),
        open_shard: Some(1),
    }));
    tx.send().await?;
    let _ = AccountItems::from(Profile {
        account,
        name: "n".into(),
    });
    Ok(())
}

fn main() {
    assert_eq!(EntryPartition::SORT, SortScope::Prefix("ENTRY#"));
    assert_eq!(ProfilePartition::SORT, SortScope::Exact("PROFILE"));
    assert_eq!(EntryGsi1Partition::SORT, SortScope::Any);
    assert_eq!(EntryByScorePartition::INDEX, Some("by-score"));
}
