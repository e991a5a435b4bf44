// Collections on an index (the members' table partitions differ) and on the table, side by
// side, each queried with a partition of what it reads.
use dynamo_core::{DynamoCollection, DynamoEntity, IndexDef, KeyDef, Table, TableDef};

const REPOS: TableDef = TableDef::new("repos", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[
        IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk"))),
        IndexDef::global("by-author", KeyDef::string("gsi2pk"), Some(KeyDef::string("gsi2sk"))),
        IndexDef::global("gsi3pk-gsi3sk-index", KeyDef::string("gsi3pk"), Some(KeyDef::string("gsi3sk"))),
    ])
    .with_entity_attribute("entity");

#[derive(DynamoEntity)]
#[dynamo(
    table = REPOS,
    pk = "ISSUE#{repo}#{number}",
    sk = "ISSUE",
    gsi(GSI1, pk = "REPO#{repo}", sk = "ISSUE#{number}"),
    gsi("by-author", pk = "USER#{author}", sk = "ISSUE#{repo}#{number}")
)]
struct Issue {
    repo: String,
    number: u32,
    author: String,
}

#[derive(DynamoEntity)]
#[dynamo(
    table = REPOS,
    pk = "ISSUE#{repo}#{number}",
    sk = "COMMENT#{comment_id}",
    gsi("by-author", pk = "USER#{author}", sk = "COMMENT#{comment_id}")
)]
struct Comment {
    repo: String,
    number: u32,
    comment_id: String,
    author: String,
}

#[derive(DynamoEntity)]
#[dynamo(
    table = REPOS,
    pk = "PR#{repo}#{number}",
    sk = "PR",
    gsi(GSI1, pk = "REPO#{repo}", sk = "PR#{number}")
)]
struct PullRequest {
    repo: String,
    number: u32,
}

/// `alias` names the generated types of an index with a long name: `LabelByNamePartition`.
#[derive(DynamoEntity)]
#[dynamo(
    table = REPOS,
    pk = "REPO#{repo}",
    sk = "LABEL#{name}",
    gsi("gsi3pk-gsi3sk-index", alias = ByName, pk = "LABEL#{name}", sk = "{repo}")
)]
struct Label {
    repo: String,
    name: String,
}

#[derive(DynamoCollection)]
#[dynamo(index = GSI1)]
enum RepoWork {
    Issue(Issue),
    PullRequest(PullRequest),
}

#[derive(DynamoCollection)]
#[dynamo(index = "by-author")]
enum AuthorActivity {
    Issue(Issue),
    Comment(Comment),
}

#[derive(DynamoCollection)]
enum Thread {
    Issue(Issue),
    Comment(Comment),
}

#[allow(dead_code, unreachable_code, clippy::diverging_sub_expression)]
fn queries(issues: Table<Issue>, prs: Table<PullRequest>, comments: Table<Comment>, labels: Table<Label>) {
    let _ = labels.query(LabelByNamePartition::new("bug")).sk_ge(LabelByNameSortKey::new("r1"));
    let _ = issues.query(IssueGsi1Partition::new("r1")).collection::<RepoWork>();
    let _ = prs.query(PullRequestGsi1Partition::new("r1")).collection::<RepoWork>();
    let _ = issues.query(IssueByAuthorPartition::new("alice")).collection::<AuthorActivity>();
    let _ = comments.query(CommentByAuthorPartition::new("alice")).collection::<AuthorActivity>();
    let _ = issues.query(IssuePartition::new("r1", 7u32)).collection::<Thread>();
}

fn main() {}
