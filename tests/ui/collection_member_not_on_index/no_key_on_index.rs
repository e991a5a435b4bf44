use dynamo_core::{DynamoCollection, DynamoEntity, IndexDef, KeyDef, TableDef};

const REPOS: TableDef = TableDef::new("repos", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))])
    .with_entity_attribute("entity");

#[derive(DynamoEntity)]
#[dynamo(table = REPOS, pk = "ISSUE#{repo}#{number}", sk = "ISSUE", gsi(GSI1, pk = "REPO#{repo}", sk = "ISSUE#{number}"))]
struct Issue {
    repo: String,
    number: u32,
}

#[derive(DynamoEntity)]
#[dynamo(table = REPOS, pk = "REPO#{repo}", sk = "LABEL#{label}")]
struct Label {
    repo: String,
    label: String,
}

#[derive(DynamoCollection)]
#[dynamo(index = GSI1)]
enum RepoWork {
    Issue(Issue),
    Label(Label),
}

fn main() {}
