// A collection of the table's partitions queried with an index partition, and the reverse.
use dynamo_core::{DynamoCollection, DynamoEntity, IndexDef, KeyDef, Table, TableDef};

const REPOS: TableDef = TableDef::new("repos", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))])
    .with_entity_attribute("entity");

#[derive(DynamoEntity)]
#[dynamo(table = REPOS, pk = "REPO#{repo}", sk = "ISSUE#{number}", gsi(GSI1, pk = "USER#{author}", sk = "ISSUE#{number}"))]
struct Issue {
    repo: String,
    number: u32,
    author: String,
}

#[derive(DynamoEntity)]
#[dynamo(table = REPOS, pk = "REPO#{repo}", sk = "PR#{number}", gsi(GSI1, pk = "USER#{author}", sk = "PR#{number}"))]
struct PullRequest {
    repo: String,
    number: u32,
    author: String,
}

#[derive(DynamoCollection)]
enum RepoWork {
    Issue(Issue),
    PullRequest(PullRequest),
}

#[derive(DynamoCollection)]
#[dynamo(index = GSI1)]
enum AuthorWork {
    Issue(Issue),
    PullRequest(PullRequest),
}

fn queries(issues: Table<Issue>) {
    let _ = issues.query(IssueGsi1Partition::new("alice")).collection::<RepoWork>();
    let _ = issues.query(IssuePartition::new("r1")).collection::<AuthorWork>();
}

fn main() {}
