// `status` is part of GSI2's sort key with `due`: setting it alone cannot make GSI2's keys.
use dynamo_core::{DynamoEntity, IndexDef, KeyDef, Table, TableDef};

const TRACKER: TableDef = TableDef::new("tracker", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[
        IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk"))),
        IndexDef::global("GSI2", KeyDef::string("gsi2pk"), Some(KeyDef::string("gsi2sk"))),
    ]);

#[derive(DynamoEntity)]
#[dynamo(
    table = TRACKER,
    pk = "REPO#{repo}",
    sk = "TASK#{number}",
    gsi(GSI1, pk = "REPO#{repo}#STATUS#{status}", sk = "{number}"),
    gsi(GSI2, pk = "USER#{owner}", sk = "{status}#{due}")
)]
struct Task {
    repo: String,
    number: u32,
    status: String,
    owner: String,
    due: u32,
}

fn close(tasks: &Table<Task>) {
    let f = Task::fields();
    let _ = tasks.update(TaskKey::new("r1", 7u32)).set(f.status, "closed");
}

fn main() {}
