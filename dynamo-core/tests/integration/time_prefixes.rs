//! Sort key conditions on part of a component against the emulator: a timestamp's day, hour
//! or month (of a template's component or of a `#[sk]` field), and the start of a text.

use dynamo_core::keys::TimePrefix;
use dynamo_core::testing::Emulator;
use dynamo_core::{DynamoEntity, KeyDef, TableDef};
use time::OffsetDateTime;
use time::macros::{date, datetime};

const FORUM: TableDef =
    TableDef::new("forum", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = FORUM, pk = "THREAD#{thread}", sk = "REPLY#{author}#{created_at}")]
struct Reply {
    thread: String,
    author: String,
    created_at: OffsetDateTime,
}

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table_name = "visits")]
struct Visit {
    #[pk]
    page: String,
    #[sk]
    at: OffsetDateTime,
}

#[tokio::test]
async fn a_time_prefix_reads_the_span_a_whole_timestamp_misses() {
    let db = Emulator::start().await.expect("the emulator starts");
    let replies = db.create::<Reply>().await.expect("created");
    let times = [
        datetime!(2015-09-14 23:59:59.999 UTC),
        datetime!(2015-09-15 00:00 UTC),
        datetime!(2015-09-15 10:30 UTC),
        datetime!(2015-09-15 23:59:59.5 UTC),
        datetime!(2015-09-16 00:00 UTC),
    ];
    for created_at in times {
        replies
            .put(Reply {
                thread: "t1".into(),
                author: "amy".into(),
                created_at,
            })
            .send()
            .await
            .expect("put");
    }
    let day = replies
        .query(ReplyPartition::new("t1"))
        .sk_begins_with(ReplySortKey::created_at_within(
            "amy",
            TimePrefix::day(date!(2015 - 09 - 15)),
        ))
        .all()
        .await
        .expect("the day's replies");
    assert_eq!(
        day.iter().map(|r| r.created_at).collect::<Vec<_>>(),
        times[1..4]
    );
    // A whole timestamp is one instant.
    let instant = replies
        .query(ReplyPartition::new("t1"))
        .sk_begins_with(ReplySortKey::new(
            "amy",
            date!(2015 - 09 - 15).midnight().assume_utc(),
        ))
        .all()
        .await
        .expect("one instant");
    assert_eq!(instant.len(), 1);
    let hour = replies
        .query(ReplyPartition::new("t1"))
        .sk_between(
            ReplySortKey::created_at_within("amy", TimePrefix::hour(times[2])),
            ReplySortKey::created_at_within("amy", TimePrefix::hour(times[3])),
        )
        .all()
        .await
        .expect("hours 10 to 23, both whole");
    assert_eq!(hour.len(), 2);

    // The start of a text component.
    replies
        .put(Reply {
            thread: "t1".into(),
            author: "bob".into(),
            created_at: times[0],
        })
        .send()
        .await
        .expect("put");
    let a_authors = replies
        .query(ReplyPartition::new("t1"))
        .sk_begins_with(ReplySortKey::author_starting("a"))
        .count()
        .await
        .expect("authors starting with a");
    assert_eq!(a_authors, 5);
    let err = replies
        .query(ReplyPartition::new("t1"))
        .sk_begins_with(ReplySortKey::author_starting("amy#2015"))
        .all()
        .await
        .expect_err("the delimiter is not part of a component");
    assert!(err.to_string().contains("delimiter"), "{err}");

    let visits = db.create::<Visit>().await.expect("created");
    for at in times {
        visits
            .put(Visit {
                page: "/".into(),
                at,
            })
            .send()
            .await
            .expect("put");
    }
    let september = visits
        .query(VisitPartition::new("/"))
        .sk_begins_with(TimePrefix::month(times[0]))
        .count()
        .await
        .expect("the month");
    assert_eq!(september, 5);
    let sixteenth = visits
        .query(VisitPartition::new("/"))
        .sk_begins_with(TimePrefix::day(date!(2015 - 09 - 16)))
        .all()
        .await
        .expect("the 16th");
    assert_eq!(sixteenth.len(), 1);

    // A year no stored timestamp can have fails the query, before it is sent.
    let err = visits
        .query(VisitPartition::new("/"))
        .sk_begins_with(TimePrefix::year(datetime!(-0001-01-01 0:00 UTC)))
        .all()
        .await
        .expect_err("year -1");
    assert_eq!(err.kind(), dynamo_core::ErrorKind::Validation, "{err}");
}
