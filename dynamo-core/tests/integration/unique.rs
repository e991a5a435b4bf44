//! Unique constraints against the emulator: guard items written, moved and deleted with
//! their item, a taken value refused with its owner named, `find_by_..`, scoped and composite
//! constraints, TTL copied to the guards, and 50 concurrent writers of one value.

use dynamo_core::testing::Emulator;
use dynamo_core::{
    AttributeValue, DynamoEntity, ErrorKind, Item, KeyDef, Put, Table, TableDef, TransactWrite,
};

const ACCOUNTS: TableDef = TableDef::new("accounts", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_ttl_attribute("expires_at");

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = ACCOUNTS,
    pk = "USER#{user_id}",
    sk = "PROFILE",
    unique(email),
    unique(handle, scope = tenant_id),
    unique(fields(tenant_id, external_id)),
    unique(phone, optional)
)]
struct User {
    user_id: String,
    tenant_id: String,
    email: String,
    handle: String,
    external_id: u64,
    phone: Option<String>,
    #[ttl]
    expires_at: Option<i64>,
}

fn user(id: &str, email: &str) -> User {
    User {
        user_id: id.into(),
        tenant_id: "t1".into(),
        email: email.into(),
        handle: id.into(),
        external_id: id.len() as u64 * 1000 + id.bytes().map(u64::from).sum::<u64>(),
        phone: None,
        expires_at: None,
    }
}

/// Every item in the table, guards included, as stored.
async fn stored(users: &Table<User>) -> Vec<Item> {
    users
        .client()
        .scan()
        .table_name(users.name())
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default()
}

/// Every guard item in the table, by partition key.
async fn guards(users: &Table<User>) -> Vec<Item> {
    let mut guards: Vec<Item> = stored(users)
        .await
        .into_iter()
        .filter(|i| matches!(i.get("sk"), Some(AttributeValue::S(sk)) if sk == "UNIQUE"))
        .collect();
    guards.sort_by_key(|g| format!("{:?}", g["pk"]));
    guards
}

fn pks(guards: &[Item]) -> Vec<String> {
    guards
        .iter()
        .map(|g| match &g["pk"] {
            AttributeValue::S(s) => s.clone(),
            other => panic!("guard pk {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn guards_follow_their_item_through_put_update_and_delete() {
    let db = Emulator::start().await.expect("the emulator starts");
    let users = db.create::<User>().await.expect("created");
    users
        .put(user("u1", "ada@example.com"))
        .send()
        .await
        .expect("put");
    assert_eq!(
        pks(&guards(&users).await),
        [
            "UNIQUE#User#email#ada@example.com",
            "UNIQUE#User#handle#t1#u1",
            "UNIQUE#User#tenant_id_and_external_id#t1#2166",
        ],
        "one guard per constraint with a value; no phone, no guard"
    );
    let guard = &guards(&users).await[0];
    assert_eq!(guard["owner_pk"], AttributeValue::S("USER#u1".into()));
    assert_eq!(guard["owner_sk"], AttributeValue::S("PROFILE".into()));

    // Putting the same item again keeps its guards: the values are its own.
    users
        .put(user("u1", "ada@example.com"))
        .send()
        .await
        .expect("put again");

    // Another user with the same email is refused, naming the owner; nothing of it is written.
    let err = users
        .put(user("u2", "ada@example.com"))
        .send()
        .await
        .expect_err("email taken");
    assert_eq!(err.kind(), ErrorKind::UniqueViolation, "{err}");
    let violation = err.unique_violation().expect("violation");
    assert_eq!(violation.constraint, "email");
    assert_eq!(violation.values, ["ada@example.com"]);
    let owner = violation.owner.as_ref().expect("owner");
    assert_eq!(owner["pk"], AttributeValue::S("USER#u1".into()));
    assert!(
        err.to_string()
            .contains("User's unique email \"ada@example.com\" is taken by the item pk=USER#u1"),
        "{err}"
    );
    assert!(
        users
            .get(UserKey::new("u2"))
            .send()
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(guards(&users).await.len(), 3);

    // A scoped value is unique within its scope only.
    let mut other_tenant = user("u3", "bob@example.com");
    (other_tenant.tenant_id, other_tenant.handle) = ("t2".into(), "u1".into());
    users
        .put(other_tenant)
        .send()
        .await
        .expect("same handle, other tenant");
    let mut same_tenant = user("u4", "cy@example.com");
    same_tenant.handle = "u1".into();
    let err = users
        .put(same_tenant)
        .send()
        .await
        .expect_err("handle taken in t1");
    assert_eq!(
        err.unique_violation().expect("violation").constraint,
        "handle"
    );

    // A scan of the entity reads its items, not their guards.
    let scanned = users.scan().send().await.expect("scan");
    assert_eq!(scanned.items.len(), 2, "u1 and u3");

    // find_by_.. reads the owner by each constraint.
    let found = users
        .find_by_email("ada@example.com".into())
        .await
        .expect("find");
    assert_eq!(found.map(|u| u.user_id), Some("u1".into()));
    let found = users
        .find_by_handle("t2".into(), "u1".into())
        .await
        .expect("find");
    assert_eq!(found.map(|u| u.user_id), Some("u3".into()));
    let found = users
        .find_by_tenant_id_and_external_id("t1".into(), 2166)
        .await
        .expect("find");
    assert_eq!(found.map(|u| u.user_id), Some("u1".into()));
    assert!(
        users
            .find_by_email("nobody@example.com".into())
            .await
            .expect("find")
            .is_none()
    );

    // An update that changes the email moves its guard: the old value is free again.
    let f = User::fields();
    users
        .update(UserKey::new("u1"))
        .set(f.email, "ada@lovelace.org")
        .send()
        .await
        .expect("update email");
    assert!(
        users
            .find_by_email("ada@example.com".into())
            .await
            .expect("find")
            .is_none()
    );
    assert_eq!(
        users
            .find_by_email("ada@lovelace.org".into())
            .await
            .expect("find")
            .map(|u| u.user_id),
        Some("u1".into())
    );
    users
        .put(user("u2", "ada@example.com"))
        .send()
        .await
        .expect("the old email is free");
    // Updating to a taken value is refused and changes nothing.
    let err = users
        .update(UserKey::new("u1"))
        .set(f.email, "ada@example.com")
        .send()
        .await
        .expect_err("taken by u2");
    assert_eq!(err.kind(), ErrorKind::UniqueViolation);
    let u1 = users
        .get(UserKey::new("u1"))
        .send()
        .await
        .expect("get")
        .expect("u1");
    assert_eq!(u1.email, "ada@lovelace.org");

    // An optional value: set, it is guarded; removed, its guard goes.
    users
        .update(UserKey::new("u1"))
        .set(f.phone, Some("+100".to_owned()))
        .send()
        .await
        .expect("set phone");
    let err = users
        .update(UserKey::new("u2"))
        .set(f.phone, Some("+100".to_owned()))
        .send()
        .await
        .expect_err("phone taken");
    assert_eq!(
        err.unique_violation().expect("violation").constraint,
        "phone"
    );
    users
        .update(UserKey::new("u1"))
        .set(f.phone, None)
        .send()
        .await
        .expect("remove phone");
    users
        .update(UserKey::new("u2"))
        .set(f.phone, Some("+100".to_owned()))
        .send()
        .await
        .expect("phone free");

    // A put that replaces an item with other unique values moves their guards.
    let mut replaced = user("u1", "ada@new.org");
    replaced.handle = "ada".into();
    users.put(replaced).send().await.expect("replace u1");
    assert!(
        users
            .find_by_email("ada@lovelace.org".into())
            .await
            .expect("find")
            .is_none()
    );
    assert!(
        users
            .find_by_handle("t1".into(), "u1".into())
            .await
            .expect("find")
            .is_none()
    );
    assert_eq!(
        users
            .find_by_handle("t1".into(), "ada".into())
            .await
            .expect("find")
            .map(|u| u.user_id),
        Some("u1".into())
    );

    // A delete removes the item's guards with it.
    let before = guards(&users).await.len();
    let gone = users
        .delete(UserKey::new("u1"))
        .returning_old()
        .send()
        .await
        .expect("delete");
    assert_eq!(gone.map(|u| u.email), Some("ada@new.org".into()));
    assert_eq!(guards(&users).await.len(), before - 3);
    assert!(
        users
            .find_by_email("ada@new.org".into())
            .await
            .expect("find")
            .is_none()
    );
    users
        .put(user("u9", "ada@new.org"))
        .send()
        .await
        .expect("free after the delete");
}

#[tokio::test]
async fn guards_copy_the_ttl_of_their_item() {
    let db = Emulator::start().await.expect("the emulator starts");
    let users = db.create::<User>().await.expect("created");
    let mut u = user("u1", "ttl@example.com");
    u.expires_at = Some(1_900_000_000);
    users.put(u).send().await.expect("put");
    let ttl = |g: &Item| g.get("expires_at").cloned();
    for guard in guards(&users).await {
        assert_eq!(ttl(&guard), Some(AttributeValue::N("1900000000".into())));
    }
    // An update of the TTL alone carries it to every guard.
    users
        .update(UserKey::new("u1"))
        .set(User::fields().expires_at, Some(1_950_000_000))
        .send()
        .await
        .expect("extend");
    let guards = guards(&users).await;
    assert_eq!(guards.len(), 3);
    for guard in guards {
        assert_eq!(ttl(&guard), Some(AttributeValue::N("1950000000".into())));
    }
}

/// A TTL changed by `add` or `set_if_not_exists` reaches the guards as it is stored, never as
/// it was: a guard that expired before its item would let a duplicate in.
#[tokio::test]
async fn guards_follow_a_ttl_changed_by_add_or_if_not_exists() {
    let db = Emulator::start().await.expect("the emulator starts");
    let users = db.create::<User>().await.expect("created");
    let f = User::fields();
    let ttls = |items: &[Item]| -> Vec<Option<AttributeValue>> {
        items.iter().map(|g| g.get("expires_at").cloned()).collect()
    };
    let n = |v: &str| Some(AttributeValue::N(v.into()));

    let mut u = user("u1", "drift@example.com");
    u.expires_at = Some(1_900_000_000);
    users.put(u).send().await.expect("put");
    users
        .update(UserKey::new("u1"))
        .add(f.expires_at, Some(86_400))
        .send()
        .await
        .expect("extended by a day");
    assert_eq!(ttls(&guards(&users).await), vec![n("1900086400"); 3]);

    users
        .put(user("u2", "none@example.com"))
        .send()
        .await
        .expect("put");
    users
        .update(UserKey::new("u2"))
        .set_if_not_exists(f.expires_at, Some(1_800_000_000))
        .send()
        .await
        .expect("a TTL where none was");
    let of_u2: Vec<Item> = guards(&users)
        .await
        .into_iter()
        .filter(|g| g.get("owner_pk") == Some(&AttributeValue::S("USER#u2".into())))
        .collect();
    assert_eq!(ttls(&of_u2), vec![n("1800000000"); 3]);
    let stored = users
        .get(UserKey::new("u2"))
        .consistent_read()
        .send()
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(stored.expires_at, Some(1_800_000_000));
}

/// An expired item is gone as far as DynamoDB is concerned, however long it takes to delete
/// it: its values are free, and `find_by_..` does not return it.
#[tokio::test]
async fn an_expired_owner_holds_nothing() {
    let db = Emulator::start().await.expect("the emulator starts");
    let users = db.create::<User>().await.expect("created");
    let mut gone = user("u1", "reused@example.com");
    gone.expires_at = Some(1_000_000_000); // 2001: expired, not yet deleted
    users.put(gone).send().await.expect("put");
    assert_eq!(
        users
            .find_by_email("reused@example.com".to_owned())
            .await
            .expect("find"),
        None,
        "an expired owner is not found"
    );
    let mut next = user("u2", "reused@example.com");
    next.handle = "u1".into(); // the expired item's handle too
    users
        .put(next.clone())
        .send()
        .await
        .expect("the value is free");
    assert_eq!(
        users
            .find_by_email("reused@example.com".to_owned())
            .await
            .expect("find"),
        Some(next)
    );
}

#[tokio::test]
async fn one_of_fifty_concurrent_writers_of_a_value_wins() {
    let db = Emulator::start().await.expect("the emulator starts");
    let users = db.create::<User>().await.expect("created");
    let writers = (0..50).map(|i| {
        let users = users.clone();
        tokio::spawn(async move {
            let mut u = user(&format!("w{i}"), "same@example.com");
            u.external_id = i;
            users.put(u).send().await
        })
    });
    let mut won = Vec::new();
    for (i, writer) in writers.enumerate() {
        match writer.await.expect("joined") {
            Ok(()) => won.push(i),
            Err(e) => assert!(
                matches!(
                    e.kind(),
                    ErrorKind::UniqueViolation | ErrorKind::TransactionCanceled
                ),
                "a loser is refused, not failed otherwise: {e}"
            ),
        }
    }
    assert_eq!(won.len(), 1, "exactly one writer wins: {won:?}");
    let winner = format!("w{}", won[0]);
    let owner = users
        .find_by_email("same@example.com".into())
        .await
        .expect("find")
        .expect("held");
    assert_eq!(owner.user_id, winner);
    let stored = stored(&users).await;
    let profiles = stored
        .iter()
        .filter(|i| i.get("sk") == Some(&AttributeValue::S("PROFILE".into())))
        .count();
    assert_eq!(profiles, 1, "no loser's item was written");
    let email_guards = stored
        .iter()
        .filter(
            |i| matches!(&i["pk"], AttributeValue::S(pk) if pk.starts_with("UNIQUE#User#email#")),
        )
        .count();
    assert_eq!(email_guards, 1);
}

#[tokio::test]
async fn writes_that_cannot_keep_guards_are_refused_before_sending() {
    let client = dynamo_core::testing::offline_client();
    let users = Table::<User>::new(&client);

    // A put of User takes at most 5 actions (the item and 4 guards); without a phone, 4: a
    // transaction counts each put's guards, and 26 such puts are 104 actions.
    const _: () = assert!(Put::<User>::ACTIONS == 5);
    let mut tx = TransactWrite::new(&client);
    for i in 0..26 {
        tx.add(users.put(user(&format!("u{i}"), &format!("{i}@example.com"))));
    }
    let err = tx.send().await.expect_err("too many");
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(
        err.to_string().contains(
            "104 actions (26 × Put of User with 3 unique guards = 4 actions each); a transaction holds at most 100"
        ),
        "{err}"
    );

    // An update of a unique value, or a delete, reads the item first: not in a transaction.
    let mut tx = TransactWrite::new(&client);
    tx.add(
        users
            .update(UserKey::new("u1"))
            .set(User::fields().email, "x@example.com"),
    );
    let err = tx.send().await.expect_err("refused");
    assert!(err.to_string().contains("send it alone"), "{err}");
    let mut tx = TransactWrite::new(&client);
    tx.add(users.delete(UserKey::new("u1")));
    let err = tx.send().await.expect_err("refused");
    assert!(err.to_string().contains("send it alone"), "{err}");

    // A batch write takes no conditions, so it cannot keep guards.
    let err = users
        .batch_write()
        .put(user("u1", "a@example.com"))
        .send()
        .await
        .expect_err("refused");
    assert!(
        err.to_string().contains("a batch write cannot keep"),
        "{err}"
    );
}

#[tokio::test]
async fn composite_values_cannot_run_into_each_other() {
    let db = Emulator::start().await.expect("the emulator starts");
    let users = db.create::<User>().await.expect("created");
    // ("t#1", "x") and ("t", "1#x") would both read t#1#x unescaped.
    let mut a = user("a1", "a@example.com");
    (a.tenant_id, a.handle) = ("t#1".into(), "x".into());
    let mut b = user("b1", "b@example.com");
    (b.tenant_id, b.handle) = ("t".into(), "1#x".into());
    users.put(a).send().await.expect("put a");
    users.put(b).send().await.expect("put b: another value");
    let found = users
        .find_by_handle("t".into(), "1#x".into())
        .await
        .expect("find");
    assert_eq!(found.map(|u| u.user_id), Some("b1".into()));
    let found = users
        .find_by_handle("t#1".into(), "x".into())
        .await
        .expect("find");
    assert_eq!(found.map(|u| u.user_id), Some("a1".into()));
}

const PEOPLE: TableDef = TableDef::new("people", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_entity_attribute("entity");

/// People as they were keyed before.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = PEOPLE, entity = "Person", pk = "PERSON#{id}", sk = "PERSON", unique(email))]
struct PersonBefore {
    id: String,
    email: String,
}

/// People as they are keyed now: a shorter prefix, their previous key declared.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = PEOPLE,
    pk = "P#{id}",
    sk = "PERSON",
    unique(email),
    previous(pk = "PERSON#{id}")
)]
struct Person {
    id: String,
    email: String,
}

/// A moved item takes its guards along: they name its new key, so `find_by_..` finds it and
/// its delete (which deletes the guards it owns) goes through.
#[tokio::test]
async fn a_moved_item_owns_its_guards_at_its_new_key() {
    let db = Emulator::start().await.expect("the emulator starts");
    db.create_tables(&[PEOPLE]).await.expect("created");
    let before = db.table::<PersonBefore>();
    let people = db.table::<Person>();
    for (id, email) in [("p1", "ada@example.com"), ("p2", "bob@example.com")] {
        before
            .put(PersonBefore {
                id: id.into(),
                email: email.into(),
            })
            .send()
            .await
            .expect("put");
    }
    let report = people.rekey().run().await.expect("moves");
    assert_eq!(report.moved, 2, "{report:?}");
    assert!(report.unreadable.is_empty(), "{report:?}");

    let ada = people
        .find_by_email("ada@example.com".to_owned())
        .await
        .expect("find");
    assert_eq!(ada.map(|p| p.id).as_deref(), Some("p1"));
    let owners: Vec<AttributeValue> = stored_items(&people)
        .await
        .into_iter()
        .filter(|i| i.get("sk") == Some(&AttributeValue::S("UNIQUE".into())))
        .filter_map(|g| g.get("owner_pk").cloned())
        .collect();
    assert_eq!(owners.len(), 2);
    for owner in &owners {
        let AttributeValue::S(pk) = owner else {
            panic!("{owner:?}")
        };
        assert!(pk.starts_with("P#"), "the new key: {pk}");
    }
    people
        .delete(PersonKey::new("p1"))
        .send()
        .await
        .expect("deleted with its guard");
    people
        .put(Person {
            id: "p3".into(),
            email: "ada@example.com".into(),
        })
        .send()
        .await
        .expect("the value is free again");
    people
        .put(Person {
            id: "p4".into(),
            email: "bob@example.com".into(),
        })
        .send()
        .await
        .expect_err("still bob's");
}

async fn stored_items<E: dynamo_core::Entity>(table: &Table<E>) -> Vec<Item> {
    table
        .client()
        .scan()
        .table_name(table.name())
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default()
}
