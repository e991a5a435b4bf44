//! Integer literals take the attribute's type wherever a typed attribute takes a value.

use dynamo_core::{DynamoEntity, Table, TransactWrite};

#[derive(DynamoEntity)]
#[dynamo(table_name = "forums")]
struct Forum {
    #[pk]
    name: String,
    views: u64,
    threads: u32,
    last_post: Option<i64>,
    moderator: Option<String>,
    #[version]
    version: u64,
}

#[allow(dead_code)]
async fn writes(client: dynamo_core::Client, forums: Table<Forum>) -> Result<(), dynamo_core::Error> {
    let f = Forum::fields();
    forums
        .update(ForumKey::new("Rust"))
        .add(f.views, 1)
        .set(f.threads, 2)
        .set(f.last_post, 1_760_000_000)
        .set(f.moderator, "ferris")
        .condition(f.views.lt(100).and(f.threads.between(0, 10)))
        .expect_version(3)
        .send()
        .await?;
    let mut tx = TransactWrite::new(&client);
    tx.add(forums.update(ForumKey::new("Rust")).add(f.views, 1).set(f.last_post, None).condition(f.views.ge(1)));
    tx.send().await?;
    Ok(())
}

fn main() {}
