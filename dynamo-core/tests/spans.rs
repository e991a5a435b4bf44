//! Tracing: every operation's span records the capacity it consumed, when asked for. Alone in
//! its binary: a subscriber set for one test does not see spans whose callsites other tests'
//! threads registered first.

use dynamo_core::testing::DynamoLocal;
use dynamo_core::{DynamoEntity, KeyDef, TableDef};
use time::OffsetDateTime;

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

/// Every operation's span records the capacity it consumed, when asked for.
#[tokio::test]
async fn spans_record_consumed_capacity() {
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::{Context, SubscriberExt};

    #[derive(Clone, Default)]
    struct Recorded(Arc<Mutex<Vec<(String, f64)>>>);
    struct Units<'a>(&'a mut Option<f64>);
    impl Visit for Units<'_> {
        fn record_f64(&mut self, field: &Field, value: f64) {
            if field.name() == "consumed_capacity" {
                *self.0 = Some(value);
            }
        }
        fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
    }
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recorded {
        fn on_record(
            &self,
            id: &tracing::span::Id,
            values: &tracing::span::Record<'_>,
            _: Context<'_, S>,
        ) {
            let mut units = None;
            values.record(&mut Units(&mut units));
            if let Some(units) = units {
                self.0
                    .lock()
                    .expect("lock")
                    .push((format!("{id:?}"), units));
            }
        }
    }

    let recorded = Recorded::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(recorded.clone()));
    let db = DynamoLocal::start().await.expect("DynamoDB Local starts");
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
    let spans = recorded.0.lock().expect("lock").clone();
    assert_eq!(
        spans.len(),
        2,
        "the put and the query that asked: {spans:?}"
    );
    assert!(spans.iter().all(|(_, units)| *units > 0.0), "{spans:?}");
}
