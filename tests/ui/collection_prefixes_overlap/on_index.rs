use dynamo_core::{DynamoCollection, DynamoEntity, IndexDef, KeyDef, TableDef};

const REPOS: TableDef = TableDef::new("repos", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))])
    .with_entity_attribute("entity");

#[derive(DynamoEntity)]
#[dynamo(table = REPOS, pk = "ISSUE#{repo}#{number}", sk = "ISSUE", gsi(GSI1, pk = "REPO#{repo}", sk = "{number}"))]
struct Issue {
    repo: String,
    number: u32,
}

#[derive(DynamoEntity)]
#[dynamo(table = REPOS, pk = "PR#{repo}#{number}", sk = "PR", gsi(GSI1, pk = "REPO#{repo}", sk = "PR#{number}"))]
struct PullRequest {
    repo: String,
    number: u32,
}

#[derive(DynamoCollection)]
#[dynamo(index = GSI1)]
enum RepoWork {
    Issue(Issue),
    PullRequest(PullRequest),
}

fn main() {}
