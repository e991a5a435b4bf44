use dynamo_core::{DynamoEntity, Table};

#[derive(DynamoEntity)]
#[dynamo(table_name = "forums")]
struct Forum {
    #[pk]
    name: String,
    views: u64,
}

async fn bump(forums: Table<Forum>) -> Result<(), dynamo_core::Error> {
    let f = Forum::fields();
    forums
        .update(ForumKey::new("Rust"))
        .add(f.views, 1)
        .expect_version(3)
        .send()
        .await?;
    Ok(())
}

fn main() {
    let _ = bump;
}
