//! Schema versions against the emulator: writes stamp the version, reads upgrade every
//! version the entity knows (items written before it had one are version 1) and refuse the
//! others with a clear error, updates apply to the current version only, and the backfill
//! rewrites older items in place, once.

use dynamo_core::table::Moved;
use dynamo_core::testing::Emulator;
use dynamo_core::{
    AttributeValue, DynamoEntity, ErrorKind, Item, KeyDef, MappingError, Table, TableDef,
};

const APP: TableDef = TableDef::new("versioned", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_entity_attribute("entity");

/// The profile as the code writes it now: one name, a list of emails.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "PROFILE", schema_version = 3)]
#[dynamo(upgrade(from = 1, via = UserV1, with = v1_to_v3))]
#[dynamo(upgrade(from = 2, via = UserV2, with = v2_to_v3))]
struct User {
    id: String,
    name: String,
    emails: Vec<String>,
}

/// Version 1: first and last name, no email (written before the entity had a version).
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "PROFILE", version_of = User, schema_version = 1)]
struct UserV1 {
    id: String,
    first: String,
    last: String,
}

/// Version 2: one name, at most one email.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "PROFILE", version_of = User, schema_version = 2)]
struct UserV2 {
    id: String,
    name: String,
    email: Option<String>,
}

fn v1_to_v3(v1: UserV1) -> User {
    User {
        id: v1.id,
        name: format!("{} {}", v1.first, v1.last),
        emails: Vec::new(),
    }
}

/// Fallible: an upgrade may refuse an item it cannot make sense of.
fn v2_to_v3(v2: UserV2) -> Result<User, MappingError> {
    if v2.email.as_deref() == Some("") {
        return Err(MappingError {
            entity: "User",
            field: "emails",
            attribute: "email",
            direction: dynamo_core::mapping::Direction::Read,
            source: dynamo_core::mapping::ValueError::new("an email", "an empty string"),
            key: None,
        });
    }
    Ok(User {
        id: v2.id,
        name: v2.name,
        emails: v2.email.into_iter().collect(),
    })
}

/// Another entity in the same table: the backfill leaves it alone.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = APP, pk = "USER#{id}", sk = "SETTINGS")]
struct Settings {
    id: String,
    theme: String,
}

/// A version 1 item as the code before versions wrote it: no version attribute.
fn unversioned(id: &str, first: &str, last: &str) -> Item {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    Item::from([
        ("pk".to_owned(), s(&format!("USER#{id}"))),
        ("sk".to_owned(), s("PROFILE")),
        ("entity".to_owned(), s("User")),
        ("id".to_owned(), s(id)),
        ("first".to_owned(), s(first)),
        ("last".to_owned(), s(last)),
    ])
}

async fn put_raw(users: &Table<User>, item: Item) {
    users
        .client()
        .put_item()
        .table_name(users.name())
        .set_item(Some(item))
        .send()
        .await
        .expect("raw put");
}

async fn raw(users: &Table<User>, id: &str) -> Item {
    users
        .client()
        .get_item()
        .table_name(users.name())
        .key("pk", AttributeValue::S(format!("USER#{id}")))
        .key("sk", AttributeValue::S("PROFILE".into()))
        .send()
        .await
        .expect("raw get")
        .item
        .expect("stored")
}

fn user(id: &str, name: &str, emails: &[&str]) -> User {
    User {
        id: id.into(),
        name: name.into(),
        emails: emails.iter().map(|e| (*e).to_owned()).collect(),
    }
}

#[tokio::test]
async fn reads_upgrade_every_known_version_and_refuse_the_others() {
    let db = Emulator::start().await.expect("the emulator starts");
    let users = db.create::<User>().await.expect("created");
    let v2: Table<UserV2> = db.table::<UserV2>();

    // Written now: stamped with version 3.
    users
        .put(user("u3", "Grace Hopper", &["grace@example.com"]))
        .send()
        .await
        .expect("put");
    assert_eq!(raw(&users, "u3").await["_v"], AttributeValue::N("3".into()));
    // Written by the release of version 2 (its frozen struct writes as it did).
    v2.put(UserV2 {
        id: "u2".into(),
        name: "Alan Turing".into(),
        email: Some("alan@example.com".into()),
    })
    .send()
    .await
    .expect("put v2");
    assert_eq!(raw(&users, "u2").await["_v"], AttributeValue::N("2".into()));
    assert_eq!(
        raw(&users, "u2").await["entity"],
        AttributeValue::S("User".into())
    );
    // Written before the entity had a version.
    put_raw(&users, unversioned("u1", "Ada", "Lovelace")).await;

    let get = |id: &'static str| {
        let users = users.clone();
        async move { users.get(UserKey::new(id)).send().await }
    };
    assert_eq!(
        get("u1").await.expect("v1 read"),
        Some(user("u1", "Ada Lovelace", &[]))
    );
    assert_eq!(
        get("u2").await.expect("v2 read"),
        Some(user("u2", "Alan Turing", &["alan@example.com"]))
    );
    assert_eq!(
        get("u3").await.expect("v3 read"),
        Some(user("u3", "Grace Hopper", &["grace@example.com"]))
    );
    // A query reads every version the same way.
    let all = users.scan().all().await.expect("scan reads every version");
    assert_eq!(all.len(), 3);

    // A version this code does not know: written by a newer release.
    let mut newer = raw(&users, "u3").await;
    newer.insert("pk".into(), AttributeValue::S("USER#u9".into()));
    newer.insert("_v".into(), AttributeValue::N("4".into()));
    put_raw(&users, newer).await;
    let err = get("u9").await.expect_err("unknown version");
    assert_eq!(err.kind(), ErrorKind::Mapping, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("expected schema version 3 (or 1, 2, upgraded), found 4, written by a newer release of User: finish deploying it")
            && text.contains("pk = \"USER#u9\""),
        "{text}"
    );
    // A version that is no number.
    let mut garbled = raw(&users, "u3").await;
    garbled.insert("pk".into(), AttributeValue::S("USER#u8".into()));
    garbled.insert("_v".into(), AttributeValue::S("3".into()));
    put_raw(&users, garbled).await;
    let err = get("u8").await.expect_err("garbled version");
    assert!(err.to_string().contains("N (a schema version)"), "{err}");

    // The frozen struct reads its own version only.
    let err = v2
        .get(UserV2Key::new("u3"))
        .send()
        .await
        .expect_err("a version 3 item is not UserV2's");
    assert!(
        err.to_string()
            .contains("UserV2 reads User's items of version 2 only; read the item as User"),
        "{err}"
    );

    // An upgrade that fails names the item.
    v2.put(UserV2 {
        id: "u7".into(),
        name: "Empty".into(),
        email: Some(String::new()),
    })
    .send()
    .await
    .expect("put v2");
    let err = get("u7").await.expect_err("the upgrade refuses it");
    assert!(
        err.to_string().contains("an empty string") && err.to_string().contains("pk = \"USER#u7\""),
        "{err}"
    );
}

#[tokio::test]
async fn updates_apply_to_items_of_the_current_version_only() {
    let db = Emulator::start().await.expect("the emulator starts");
    let users = db.create::<User>().await.expect("created");
    let f = User::fields();
    users
        .put(user("u3", "Grace", &[]))
        .send()
        .await
        .expect("put");
    put_raw(&users, unversioned("u1", "Ada", "Lovelace")).await;

    users
        .update(UserKey::new("u3"))
        .set(f.name, "Grace Hopper".to_owned())
        .send()
        .await
        .expect("a current item updates");
    assert_eq!(raw(&users, "u3").await["_v"], AttributeValue::N("3".into()));

    // Version 1's item has no `name`: setting it would make an item of neither version.
    let err = users
        .update(UserKey::new("u1"))
        .set(f.name, "Ada Lovelace".to_owned())
        .send()
        .await
        .expect_err("an older item is not updated");
    assert!(err.is_condition_failed(), "{err}");
    assert!(
        err.to_string().contains("the item is of schema version 1 (no version attribute), and the write applies to items of version 3 only: put the item whole"),
        "{err}"
    );
    assert!(!raw(&users, "u1").await.contains_key("name"));

    // An upsert that creates the item stamps the version.
    users
        .update(UserKey::new("u4"))
        .set(f.name, "New".to_owned())
        .set(f.emails, Vec::<String>::new())
        .upsert()
        .send()
        .await
        .expect("upsert creates");
    assert_eq!(raw(&users, "u4").await["_v"], AttributeValue::N("3".into()));
    assert_eq!(
        users.get(UserKey::new("u4")).send().await.expect("get"),
        Some(user("u4", "New", &[]))
    );
}

#[tokio::test]
async fn the_backfill_rewrites_older_items_in_place_once() {
    let db = Emulator::start().await.expect("the emulator starts");
    let users = db.create::<User>().await.expect("created");
    let v2: Table<UserV2> = db.table::<UserV2>();
    let settings: Table<Settings> = db.table::<Settings>();
    for n in 0..20 {
        put_raw(&users, unversioned(&format!("a{n}"), "Ada", &n.to_string())).await;
        v2.put(UserV2 {
            id: format!("b{n}"),
            name: format!("Alan {n}"),
            email: Some(format!("alan{n}@example.com")),
        })
        .send()
        .await
        .expect("put v2");
        users
            .put(user(&format!("c{n}"), "Grace", &[]))
            .send()
            .await
            .expect("put v3");
        settings
            .put(Settings {
                id: format!("a{n}"),
                theme: "dark".into(),
            })
            .send()
            .await
            .expect("put settings");
    }

    let dry = users.backfill().dry_run().run().await.expect("dry run");
    assert_eq!((dry.scanned, dry.upgraded, dry.moved), (80, 40, 0));
    assert!(
        !raw(&users, "a0").await.contains_key("_v"),
        "a dry run writes nothing"
    );

    let checkpoint =
        std::env::temp_dir().join(format!("users-v3-{}.checkpoint", std::process::id()));
    let report = users
        .backfill()
        .segments(3)
        .page_size(7)
        .write_units_per_second(10_000)
        .checkpoint(&checkpoint)
        .run()
        .await
        .expect("backfill");
    assert!(report.complete);
    assert_eq!((report.scanned, report.upgraded, report.moved), (80, 40, 0));
    assert_eq!(report.unchanged, 40, "the current users and the settings");
    assert!(report.write_units >= 40);
    assert!(
        !checkpoint.exists(),
        "a finished run removes its checkpoint"
    );

    for n in 0..20 {
        let a = raw(&users, &format!("a{n}")).await;
        assert_eq!(a["_v"], AttributeValue::N("3".into()));
        assert_eq!(a["name"], AttributeValue::S(format!("Ada {n}")));
        assert!(!a.contains_key("first"), "the old shape is gone: {a:?}");
        let b = raw(&users, &format!("b{n}")).await;
        assert_eq!(b["_v"], AttributeValue::N("3".into()));
        assert!(!b.contains_key("email"), "{b:?}");
        assert_eq!(
            b["emails"],
            AttributeValue::L(vec![AttributeValue::S(format!("alan{n}@example.com"))])
        );
    }
    assert_eq!(
        settings
            .get(SettingsKey::new("a0"))
            .send()
            .await
            .expect("get")
            .map(|s| s.theme),
        Some("dark".into())
    );

    let again = users.backfill().run().await.expect("second run");
    assert_eq!(
        (again.scanned, again.upgraded),
        (80, 0),
        "nothing left to do"
    );

    // An item of a version this code does not know is reported, not skipped as another
    // entity's, and left as it is.
    let mut newer = raw(&users, "c0").await;
    newer.insert("_v".into(), AttributeValue::N("4".into()));
    put_raw(&users, newer.clone()).await;
    let report = users.backfill().run().await.expect("third run");
    assert_eq!(report.unreadable.len(), 1, "{report:?}");
    assert!(
        report.unreadable[0].contains("found 4, written by a newer release of User"),
        "{report:?}"
    );
    assert_eq!(raw(&users, "c0").await, newer);
}

/// The stored-shape snapshot: missing is a failure (recorded on request), a change that older
/// items cannot be read with fails and is not recorded until the version is bumped, a bump or
/// a compatible change is recorded on request.
#[test]
fn stored_shape_snapshots_demand_a_version_bump_for_breaking_changes() {
    use dynamo_core::schema::{StoredShape, check_stored_shape};
    let dir = std::env::temp_dir().join(format!("shapes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("User.shape");

    let err = check_stored_shape::<User>(&dir, false).expect_err("no snapshot yet");
    assert!(
        err.to_string().contains("no recorded stored shape of User"),
        "{err}"
    );
    check_stored_shape::<User>(&dir, true).expect("recorded");
    let text = std::fs::read_to_string(&file).expect("written");
    assert_eq!(text, StoredShape::of::<User>().text());
    for line in [
        "schema_version 3",
        "key pk = \"USER#{id}\"",
        "attribute emails: Vec<String>",
        "entity_type User",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    check_stored_shape::<User>(&dir, false).expect("unchanged");

    // Recorded as version 3 was before: `email` where `emails` is now. Same version: refused,
    // even when asked to record.
    let before = text.replace(
        "attribute emails: Vec<String>",
        "attribute email: Option<String>",
    );
    std::fs::write(&file, &before).expect("write");
    for update in [false, true] {
        let err = check_stored_shape::<User>(&dir, update).expect_err("breaking, same version");
        let err = err.to_string();
        assert!(
            err.contains("items written before cannot be read with, at the same schema version 3")
                && err.contains("- attribute email: Option<String>")
                && err.contains("+ attribute emails: Vec<String>")
                && err.contains("bump #[dynamo(schema_version = 4)]"),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        before,
        "not recorded"
    );

    // Recorded at version 2: the bump is there, so recording is allowed.
    std::fs::write(
        &file,
        before.replace("schema_version 3", "schema_version 2"),
    )
    .expect("write");
    let err = check_stored_shape::<User>(&dir, false).expect_err("changed");
    assert!(
        err.to_string().contains("schema version 2 to 3: record it"),
        "{err}"
    );
    check_stored_shape::<User>(&dir, true).expect("recorded after the bump");
    check_stored_shape::<User>(&dir, false).expect("matches");

    // A required attribute added breaks older items (they lack it)...
    let without = |text: &str, line: &str| {
        text.lines()
            .filter(|l| *l != line)
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    std::fs::write(&file, without(&text, "attribute emails: Vec<String>")).expect("write");
    let err = check_stored_shape::<User>(&dir, true).expect_err("required attribute added");
    assert!(
        err.to_string().contains("at the same schema version"),
        "{err}"
    );
    // ...an optional one does not: recorded on request, without a bump.
    check_stored_shape::<UserV2>(&dir, true).expect("recorded");
    let v2 = dir.join("UserV2.shape");
    let text = std::fs::read_to_string(&v2).expect("written");
    std::fs::write(&v2, without(&text, "attribute email: Option<String>")).expect("write");
    let err = check_stored_shape::<UserV2>(&dir, false).expect_err("changed");
    assert!(
        err.to_string()
            .contains("items written before still read with it: record it"),
        "{err}"
    );
    check_stored_shape::<UserV2>(&dir, true).expect("a compatible change is recorded");
    assert_eq!(std::fs::read_to_string(&v2).expect("read"), text);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An account as the code writes it now: a plan added at version 2.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = APP, pk = "ACCOUNT#{id}", sk = "ACCOUNT", schema_version = 2)]
#[dynamo(upgrade(from = 1, via = AccountV1, with = account_v1_to_v2))]
struct Account {
    id: String,
    name: String,
    plan: String,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = APP, pk = "ACCOUNT#{id}", sk = "ACCOUNT", version_of = Account, schema_version = 1)]
struct AccountV1 {
    id: String,
    name: String,
}

fn account_v1_to_v2(v1: AccountV1) -> Account {
    Account {
        id: v1.id,
        name: v1.name,
        plan: "free".into(),
    }
}

/// The backfill read a version 1 item; before it writes, the application puts the item at
/// version 2 with the same name and a plan. The backfill's "unchanged since read" must see the
/// plan and the version it did not read, and leave the application's write alone.
#[tokio::test]
async fn the_backfill_never_overwrites_a_write_made_after_its_read() {
    let db = Emulator::start().await.expect("the emulator starts");
    db.create_tables(&[APP]).await.expect("created");
    let accounts = db.table::<Account>();
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let v1 = Item::from([
        ("pk".to_owned(), s("ACCOUNT#a1")),
        ("sk".to_owned(), s("ACCOUNT")),
        ("entity".to_owned(), s("Account")),
        ("id".to_owned(), s("a1")),
        ("name".to_owned(), s("Ada")),
    ]);
    accounts
        .client()
        .put_item()
        .table_name(accounts.name())
        .set_item(Some(v1.clone()))
        .send()
        .await
        .expect("raw put");
    let read_by_the_backfill = v1;
    let written = Account {
        id: "a1".into(),
        name: "Ada".into(),
        plan: "pro".into(),
    };
    accounts.put(written.clone()).send().await.expect("v2 put");

    let moved = accounts
        .backfill()
        .move_item(read_by_the_backfill)
        .await
        .expect("backfill");
    assert_eq!(moved, Moved::Unchanged, "read again: already version 2");
    let stored = accounts
        .get(AccountKey::new("a1"))
        .consistent_read()
        .send()
        .await
        .expect("get");
    assert_eq!(stored, Some(written), "the application's write stands");
}

/// A member whose email is stored lower-cased since version 2.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = APP, pk = "MEMBER#{id}", sk = "MEMBER", schema_version = 2, unique(email))]
#[dynamo(upgrade(from = 1, via = MemberV1, with = member_v1_to_v2))]
struct Member {
    id: String,
    email: String,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = APP, pk = "MEMBER#{id}", sk = "MEMBER", version_of = Member, schema_version = 1, unique(email))]
struct MemberV1 {
    id: String,
    email: String,
}

fn member_v1_to_v2(v1: MemberV1) -> Member {
    Member {
        id: v1.id,
        email: v1.email.to_lowercase(),
    }
}

/// An upgrade that changes a unique value moves its guard: the old value is freed, the new one
/// held, in the transaction that rewrites the item.
#[tokio::test]
async fn the_backfill_moves_the_guard_of_a_unique_value_its_upgrade_changes() {
    let db = Emulator::start().await.expect("the emulator starts");
    db.create_tables(&[APP]).await.expect("created");
    let members = db.table::<Member>();
    db.table::<MemberV1>()
        .put(MemberV1 {
            id: "m1".into(),
            email: "Ada@Example.com".into(),
        })
        .send()
        .await
        .expect("written by the release before");
    let report = members.backfill().run().await.expect("backfill");
    assert_eq!(report.upgraded, 1, "{report:?}");
    assert!(report.unreadable.is_empty(), "{report:?}");
    let found = members
        .find_by_email("ada@example.com".to_owned())
        .await
        .expect("find");
    assert_eq!(found.map(|m| m.email).as_deref(), Some("ada@example.com"));
    let guards: Vec<String> = members
        .client()
        .scan()
        .table_name(members.name())
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| match i.get("pk") {
            Some(AttributeValue::S(pk)) if pk.starts_with("UNIQUE#") => Some(pk.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        guards,
        vec!["UNIQUE#Member#email#ada@example.com".to_owned()]
    );
}
