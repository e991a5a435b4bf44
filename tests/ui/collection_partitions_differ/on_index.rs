// On the index the collection reads, the members' partition templates differ.
use dynamo_core::{DynamoCollection, DynamoEntity, IndexDef, KeyDef, TableDef};

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
#[dynamo(table = REPOS, pk = "REPO#{repo}", sk = "PR#{number}", gsi(GSI1, pk = "REVIEWER#{reviewer}", sk = "PR#{number}"))]
struct PullRequest {
    repo: String,
    number: u32,
    reviewer: String,
}

#[derive(DynamoCollection)]
#[dynamo(index = GSI1)]
enum ByPerson {
    Issue(Issue),
    PullRequest(PullRequest),
}

fn main() {}
