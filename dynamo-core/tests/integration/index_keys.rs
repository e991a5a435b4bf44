//! Index keys that follow their fields, against the emulator: `set` of a field that alone
//! makes index keys rewrites them in the same request (in every index it is part of, sparse
//! ones included), and two `set_index_keys` of indexes that share a field are one request.

use dynamo_core::testing::Emulator;
use dynamo_core::{
    AttributeValue, DynamoEntity, DynamoValue, ErrorKind, IndexDef, KeyDef, Table, TableDef,
};

const TRACKER: TableDef = TableDef::new("tracker", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[
        IndexDef::global(
            "GSI1",
            KeyDef::string("gsi1pk"),
            Some(KeyDef::string("gsi1sk")),
        ),
        IndexDef::global(
            "GSI2",
            KeyDef::string("gsi2pk"),
            Some(KeyDef::string("gsi2sk")),
        ),
        IndexDef::global(
            "GSI3",
            KeyDef::string("gsi3pk"),
            Some(KeyDef::string("gsi3sk")),
        ),
    ])
    .with_entity_attribute("entity");

#[derive(DynamoValue, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamo(rename_all = "lowercase")]
enum Status {
    Open,
    Closed,
}

/// `status` alone (with the table key's fields) makes the keys of GSI1 and GSI3; `assignee`
/// alone those of the sparse GSI2.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = TRACKER,
    pk = "REPO#{repo}",
    sk = "TICKET#{number:6}",
    gsi(GSI1, pk = "REPO#{repo}#STATUS#{status}", sk = "{number:6}"),
    gsi(GSI2, pk = "USER#{assignee}", sk = "TICKET#{repo}#{number:6}"),
    gsi(GSI3, pk = "STATUS#{status}#{repo}", sk = "{number:6}")
)]
struct Ticket {
    repo: String,
    number: u32,
    status: Status,
    assignee: Option<String>,
    title: String,
}

/// `status` is part of GSI1 alone and of GSI2 with `owner` and `due`.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = TRACKER,
    pk = "REPO#{repo}",
    sk = "TASK#{number:6}",
    gsi(GSI1, pk = "REPO#{repo}#STATUS#{status}", sk = "T{number:6}"),
    gsi(GSI2, pk = "USER#{owner}", sk = "{status}#{due:4}")
)]
struct Task {
    repo: String,
    number: u32,
    status: Status,
    owner: String,
    due: u32,
}

fn ticket(number: u32) -> Ticket {
    Ticket {
        repo: "r1".into(),
        number,
        status: Status::Open,
        assignee: None,
        title: format!("ticket {number}"),
    }
}

async fn numbers_by_status(tickets: &Table<Ticket>, status: Status) -> (Vec<u32>, Vec<u32>) {
    let gsi1 = tickets
        .query(TicketGsi1Partition::new("r1", status))
        .all()
        .await
        .expect("GSI1");
    let gsi3 = tickets
        .query(TicketGsi3Partition::new(status, "r1"))
        .all()
        .await
        .expect("GSI3");
    (
        gsi1.iter().map(|t| t.number).collect(),
        gsi3.iter().map(|t| t.number).collect(),
    )
}

#[tokio::test]
async fn setting_a_field_rewrites_the_keys_of_every_index_it_alone_makes() {
    let db = Emulator::start().await.expect("the emulator starts");
    let tickets = db.create::<Ticket>().await.expect("created");
    for number in [1, 2] {
        tickets.put(ticket(number)).send().await.expect("put");
    }
    let f = Ticket::fields();
    let closed: Ticket = tickets
        .update(TicketKey::new("r1", 1u32))
        .set(f.status, Status::Closed)
        .set(f.title, "done")
        .returning_new()
        .send()
        .await
        .expect("closed");
    assert_eq!(closed.status, Status::Closed);
    assert_eq!(
        numbers_by_status(&tickets, Status::Closed).await,
        (vec![1], vec![1])
    );
    assert_eq!(
        numbers_by_status(&tickets, Status::Open).await,
        (vec![2], vec![2]),
        "the old keys are gone from both indexes"
    );
    let stored = tickets
        .get(TicketKey::new("r1", 1u32))
        .project::<dynamo_core::Item>(["gsi1pk", "gsi3pk"])
        .send()
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        stored["gsi1pk"],
        AttributeValue::S("REPO#r1#STATUS#closed".into())
    );
    assert_eq!(
        stored["gsi3pk"],
        AttributeValue::S("STATUS#closed#r1".into())
    );

    // A sparse index: Some puts the item in, None takes it out.
    tickets
        .update(TicketKey::new("r1", 2u32))
        .set(f.assignee, Some("alice".to_owned()))
        .send()
        .await
        .expect("assigned");
    let alice = tickets
        .query(TicketGsi2Partition::new("alice"))
        .all()
        .await
        .expect("GSI2");
    assert_eq!(alice.len(), 1);
    assert_eq!(alice[0].assignee.as_deref(), Some("alice"));
    tickets
        .update(TicketKey::new("r1", 2u32))
        .set(f.assignee, None)
        .send()
        .await
        .expect("unassigned");
    let alice = tickets
        .query(TicketGsi2Partition::new("alice"))
        .all()
        .await
        .expect("GSI2");
    assert!(alice.is_empty(), "out of the sparse index");

    // Conditions read the field as any other.
    let err = tickets
        .update(TicketKey::new("r1", 2u32))
        .set(f.status, Status::Closed)
        .condition(f.status.eq(Status::Closed))
        .send()
        .await
        .expect_err("ticket 2 is open");
    assert_eq!(err.kind(), ErrorKind::ConditionFailed);
}

#[tokio::test]
async fn two_indexes_sharing_a_field_change_in_one_request() {
    let db = Emulator::start().await.expect("the emulator starts");
    let tasks = db.create::<Task>().await.expect("created");
    tasks
        .put(Task {
            repo: "r1".into(),
            number: 7,
            status: Status::Open,
            owner: "bob".into(),
            due: 12,
        })
        .send()
        .await
        .expect("put");
    let key = || TaskKey::new("r1", 7u32);
    tasks
        .update(key())
        .set_index_keys(TaskGsi1Keys {
            status: Status::Closed,
        })
        .set_index_keys(TaskGsi2Keys {
            owner: "bob".into(),
            status: Status::Closed,
            due: 12,
        })
        .send()
        .await
        .expect("one update, both indexes");
    let closed = tasks
        .query(TaskGsi1Partition::new("r1", Status::Closed))
        .all()
        .await
        .expect("GSI1");
    assert_eq!(closed.len(), 1);
    let bobs = tasks
        .query(TaskGsi2Partition::new("bob"))
        .sk_begins_with(TaskGsi2SortKey::status(Status::Closed))
        .all()
        .await
        .expect("GSI2");
    assert_eq!(bobs.len(), 1);

    // Two values for the one field: refused before anything is sent or written.
    let err = tasks
        .update(key())
        .set_index_keys(TaskGsi1Keys {
            status: Status::Open,
        })
        .set_index_keys(TaskGsi2Keys {
            owner: "bob".into(),
            status: Status::Closed,
            due: 12,
        })
        .send()
        .await
        .expect_err("status twice, differently");
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(
        err.to_string().contains("status twice"),
        "{}",
        err.to_string()
    );
    let task = tasks.get(key()).send().await.expect("get").expect("exists");
    assert_eq!(task.status, Status::Closed, "nothing written");
}
