// A field that alone makes an index's keys (with the table key's fields) is set like any
// other, in an update alone or in a transaction; conditions and projections read it.
use dynamo_core::{DynamoEntity, IndexDef, KeyDef, Table, TableDef, TransactWrite, expr::Path};

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
    sk = "TICKET#{number}",
    gsi(GSI1, pk = "REPO#{repo}#STATUS#{status}", sk = "{number}"),
    gsi(GSI2, pk = "USER#{assignee}", sk = "{repo}#{number}")
)]
struct Ticket {
    repo: String,
    number: u32,
    status: String,
    assignee: Option<String>,
}

#[allow(dead_code)]
fn close(tickets: &Table<Ticket>, tx: &mut TransactWrite) {
    let f = Ticket::fields();
    let _ = tickets
        .update(TicketKey::new("r1", 7u32))
        .set(f.status, "closed")
        .set(f.assignee, None)
        .condition(f.status.eq("open").and(f.assignee.exists()));
    let _ = tx.add(tickets.update(TicketKey::new("r1", 8u32)).set(f.status, "closed"));
    let _: Path = f.status.into();
    let _ = f.status.name();
}

fn main() {}
