//! Tracing: every operation's span records the capacity it consumed, when asked for.

use dynamo_core::testing::Emulator;
use dynamo_core::{DynamoEntity, KeyDef, TableDef};
use std::sync::{Arc, Mutex, OnceLock};
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::span;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::{self, LookupSpan};

const REPLIES: TableDef =
    TableDef::new("replies", KeyDef::string("thread")).with_sort_key(KeyDef::string("posted_at"));

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = REPLIES)]
struct Reply {
    #[pk]
    thread: String,
    #[sk]
    posted_at: OffsetDateTime,
    message: String,
}

/// The capacity recorded on spans, as `(table, units)`: by a layer of the binary's global
/// subscriber, set once. (A subscriber set for one test's thread would miss the callsites other
/// tests' threads registered first; the global one sees them all, and each test keeps the
/// records of its own tables.)
#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<(String, f64)>>>);

/// The table a span names.
struct SpanTable(String);

struct Fields<'a> {
    table: &'a mut Option<String>,
    units: &'a mut Option<f64>,
}

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "consumed_capacity" {
            *self.units = Some(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "table" {
            *self.table = Some(format!("{value:?}"));
        }
    }
}

impl<S> Layer<S> for Recorded
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let (mut table, mut units) = (None, None);
        attrs.record(&mut Fields {
            table: &mut table,
            units: &mut units,
        });
        if let (Some(table), Some(span)) = (table, ctx.span(id)) {
            span.extensions_mut().insert(SpanTable(table));
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let (mut table, mut units) = (None, None);
        values.record(&mut Fields {
            table: &mut table,
            units: &mut units,
        });
        let table = ctx
            .span(id)
            .and_then(|span| span.extensions().get::<SpanTable>().map(|t| t.0.clone()));
        if let (Some(table), Some(units)) = (table, units) {
            self.0.lock().expect("lock").push((table, units));
        }
    }
}

fn recorded() -> &'static Recorded {
    static RECORDED: OnceLock<Recorded> = OnceLock::new();
    RECORDED.get_or_init(|| {
        let recorded = Recorded::default();
        tracing::subscriber::set_global_default(
            registry::Registry::default().with(recorded.clone()),
        )
        .expect("only this module sets the global subscriber");
        recorded
    })
}

/// Every operation's span records the capacity it consumed, when asked for.
#[tokio::test]
async fn spans_record_consumed_capacity() {
    let recorded = recorded();
    let db = Emulator::start().await.expect("the emulator starts");
    let replies = db.create::<Reply>().await.expect("created");
    let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    replies
        .put(Reply {
            thread: "t1".into(),
            posted_at: t0,
            message: "hello".into(),
        })
        .return_consumed_capacity()
        .send()
        .await
        .expect("put");
    replies
        .query(ReplyPartition::new("t1"))
        .return_consumed_capacity()
        .send()
        .await
        .expect("query");
    replies
        .query(ReplyPartition::new("t1"))
        .send()
        .await
        .expect("unasked");
    let spans: Vec<(String, f64)> = recorded
        .0
        .lock()
        .expect("lock")
        .iter()
        .filter(|(table, _)| table == replies.name())
        .cloned()
        .collect();
    assert_eq!(
        spans.len(),
        2,
        "the put and the query that asked: {spans:?}"
    );
    assert!(spans.iter().all(|(_, units)| *units > 0.0), "{spans:?}");
}
