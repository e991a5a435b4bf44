//! Collections against the emulator: on an index partition the members share while their
//! table partitions differ, sub-collections over one partition that read their own items only,
//! and items no member knows on a table without an entity attribute.

use dynamo_core::testing::Emulator;
use dynamo_core::{
    AttributeValue, DynamoCollection, DynamoEntity, ErrorKind, IndexDef, Item, KeyDef, Table,
    TableDef,
};

const REPOS: TableDef = TableDef::new("repos", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )])
    .with_entity_attribute("entity");

/// Each issue is its own partition of the table; on GSI1, a repository's issues and pull
/// requests share one partition.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = REPOS,
    pk = "ISSUE#{repo}#{number}",
    sk = "ISSUE",
    gsi(GSI1, pk = "REPO#{repo}", sk = "ISSUE#{number:6}")
)]
struct Issue {
    repo: String,
    number: u32,
    title: String,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = REPOS,
    pk = "PR#{repo}#{number}",
    sk = "PR",
    gsi(GSI1, pk = "REPO#{repo}", sk = "PR#{number:6}")
)]
struct PullRequest {
    repo: String,
    number: u32,
    merged: bool,
}

/// A third entity in the repository's GSI1 partition, read by neither sub-collection below.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = REPOS,
    pk = "RELEASE#{repo}#{tag}",
    sk = "RELEASE",
    gsi(GSI1, pk = "REPO#{repo}", sk = "RELEASE#{tag}")
)]
struct Release {
    repo: String,
    tag: String,
}

/// A repository's issues and pull requests: one query of its GSI1 partition.
#[derive(DynamoCollection, Debug, PartialEq)]
#[dynamo(index = GSI1)]
enum RepoWork {
    Issue(Issue),
    PullRequest(PullRequest),
}

/// Everything of a repository on GSI1.
#[derive(DynamoCollection, Debug, PartialEq)]
#[dynamo(index = "GSI1")]
enum RepoItems {
    Issue(Issue),
    PullRequest(PullRequest),
    Release(Release),
}

/// Issues and releases: their sort keys are not adjacent (pull requests sort between them).
#[derive(DynamoCollection, Debug, PartialEq)]
#[dynamo(index = GSI1)]
enum IssuesAndReleases {
    Issue(Issue),
    Release(Release),
}

struct Repos {
    _db: Emulator,
    issues: Table<Issue>,
    pull_requests: Table<PullRequest>,
}

/// Repository `r1` with 3 issues, 4 pull requests and 4 releases; repository `r2` with one
/// issue.
async fn repos() -> Repos {
    let db = Emulator::start().await.expect("the emulator starts");
    let issues = db.create::<Issue>().await.expect("created");
    let pull_requests: Table<PullRequest> = db.table();
    let releases: Table<Release> = db.table();
    for number in 1..=3 {
        issues
            .put(Issue {
                repo: "r1".into(),
                number,
                title: format!("issue {number}"),
            })
            .send()
            .await
            .expect("issue");
    }
    for number in 4..=7 {
        pull_requests
            .put(PullRequest {
                repo: "r1".into(),
                number,
                merged: number % 2 == 0,
            })
            .send()
            .await
            .expect("pull request");
    }
    for tag in ["v1", "v2", "v3", "v4"] {
        releases
            .put(Release {
                repo: "r1".into(),
                tag: tag.into(),
            })
            .send()
            .await
            .expect("release");
    }
    issues
        .put(Issue {
            repo: "r2".into(),
            number: 1,
            title: "elsewhere".into(),
        })
        .send()
        .await
        .expect("another repository's issue");
    Repos {
        _db: db,
        issues,
        pull_requests,
    }
}

fn numbers(work: &[RepoWork]) -> Vec<String> {
    work.iter()
        .map(|w| match w {
            RepoWork::Issue(i) => format!("issue {}", i.number),
            RepoWork::PullRequest(p) => format!("pr {}", p.number),
        })
        .collect()
}

#[tokio::test]
async fn an_index_partition_reads_as_a_collection_of_entities_from_several_table_partitions() {
    let r = repos().await;
    let work = r
        .issues
        .query(IssueGsi1Partition::new("r1"))
        .collection::<RepoWork>()
        .all()
        .await
        .expect("collection");
    assert_eq!(
        numbers(&work),
        [
            "issue 1", "issue 2", "issue 3", "pr 4", "pr 5", "pr 6", "pr 7"
        ]
    );
    assert_eq!(
        work[3],
        RepoWork::PullRequest(PullRequest {
            repo: "r1".into(),
            number: 4,
            merged: true
        })
    );

    // Through the other member's partition type of the same index, with a sort key condition.
    let prs = r
        .pull_requests
        .query(PullRequestGsi1Partition::new("r1"))
        .sk_ge(PullRequestGsi1SortKey::new(6u32))
        .collection::<RepoWork>()
        .all()
        .await
        .expect("collection from pr 6");
    assert_eq!(numbers(&prs), ["pr 6", "pr 7"]);

    let everything = r
        .issues
        .query(IssueGsi1Partition::new("r1"))
        .collection::<RepoItems>()
        .all()
        .await
        .expect("collection");
    assert_eq!(everything.len(), 11);
    assert!(matches!(&everything[10], RepoItems::Release(rel) if rel.tag == "v4"));
}

#[tokio::test]
async fn a_sub_collection_reads_its_own_items_only() {
    let r = repos().await;
    // Issues and pull requests sort next to each other: the query's key condition spans them
    // and nothing else, so DynamoDB reads the 7 items it returns, not the partition's 11.
    let page = r
        .issues
        .query(IssueGsi1Partition::new("r1"))
        .collection::<RepoWork>()
        .send()
        .await
        .expect("one page");
    assert_eq!((page.items.len(), page.scanned_count), (7, 7));

    // Members whose sort keys are not adjacent: the range between them is read, and the
    // entity type keeps the members' items only.
    let page = r
        .issues
        .query(IssueGsi1Partition::new("r1"))
        .collection::<IssuesAndReleases>()
        .send()
        .await
        .expect("one page");
    assert_eq!((page.items.len(), page.scanned_count), (7, 11));
    assert!(page.items.iter().all(|i| matches!(
        i,
        IssuesAndReleases::Issue(_) | IssuesAndReleases::Release(_)
    )));
}

const PLAIN: TableDef =
    TableDef::new("plain", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = PLAIN, pk = "LIST#{list}", sk = "A#{n}")]
struct First {
    list: String,
    n: u32,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = PLAIN, pk = "LIST#{list}", sk = "C#{n}")]
struct Third {
    list: String,
    n: u32,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = PLAIN, pk = "LIST#{list}", sk = "B#{n}")]
struct Second {
    list: String,
    n: u32,
}

#[derive(DynamoCollection, Debug, PartialEq)]
enum FirstAndThird {
    First(First),
    Third(Third),
}

#[derive(DynamoCollection, Debug, PartialEq)]
enum FirstAndOthers {
    First(First),
    #[dynamo(other)]
    Other(Item),
}

/// Without an entity attribute, an item inside the members' range that no member's prefix
/// claims is an error naming it; a `#[dynamo(other)]` variant takes the whole partition.
#[tokio::test]
async fn items_no_member_claims_are_an_error_or_the_other_variant() {
    let db = Emulator::start().await.expect("the emulator starts");
    let first = db.create::<First>().await.expect("created");
    let (second, third): (Table<Second>, Table<Third>) = (db.table(), db.table());
    let list = || "l1".to_owned();
    first
        .put(First { list: list(), n: 1 })
        .send()
        .await
        .expect("first");
    second
        .put(Second { list: list(), n: 1 })
        .send()
        .await
        .expect("second");
    third
        .put(Third { list: list(), n: 1 })
        .send()
        .await
        .expect("third");

    let err = first
        .query(FirstPartition::new("l1"))
        .collection::<FirstAndThird>()
        .all()
        .await
        .expect_err("B#.. sorts between the members");
    let message = err.to_string();
    assert!(
        err.kind() == ErrorKind::Mapping
            && message.contains("FirstAndThird")
            && message.contains("sk = \"B#0000000001\""),
        "{message}"
    );

    let all = first
        .query(FirstPartition::new("l1"))
        .collection::<FirstAndOthers>()
        .all()
        .await
        .expect("others are kept raw");
    let others: Vec<&AttributeValue> = all
        .iter()
        .filter_map(|i| match i {
            FirstAndOthers::Other(item) => item.get("sk"),
            FirstAndOthers::First(_) => None,
        })
        .collect();
    assert_eq!(
        others,
        [
            &AttributeValue::S("B#0000000001".into()),
            &AttributeValue::S("C#0000000001".into())
        ]
    );
}

const PEOPLE: TableDef = TableDef::new("people", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )]);

/// Keys written lower-cased: "Alice" and "alice" are one user; the fields keep their case.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = PEOPLE,
    key_case = "lower",
    pk = "USER#{login}",
    sk = "PROFILE",
    gsi(GSI1, pk = "ORG#{org}", sk = "{login}")
)]
struct Person {
    login: String,
    org: String,
    age: u32,
}

#[tokio::test]
async fn lowercase_keys_make_one_item_of_values_that_differ_in_case() {
    let db = Emulator::start().await.expect("the emulator starts");
    let people = db.create::<Person>().await.expect("created");
    people
        .put(Person {
            login: "Alice".into(),
            org: "Acme".into(),
            age: 30,
        })
        .send()
        .await
        .expect("put");
    let found = people
        .get(PersonKey::new("ALICE"))
        .send()
        .await
        .expect("get")
        .expect("one key whatever the case");
    assert_eq!(found.login, "Alice", "the field keeps its case");
    let stored = people
        .get(PersonKey::new("alice"))
        .project::<Item>(["pk", "gsi1pk", "gsi1sk"])
        .send()
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored["pk"], AttributeValue::S("USER#alice".into()));
    assert_eq!(stored["gsi1pk"], AttributeValue::S("ORG#acme".into()));
    assert_eq!(stored["gsi1sk"], AttributeValue::S("alice".into()));
    let acme = people
        .query(PersonGsi1Partition::new("ACME"))
        .all()
        .await
        .expect("index");
    assert_eq!(acme.len(), 1);
}
