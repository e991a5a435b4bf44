use dynamo_core::{DynamoEntity, Put};

#[derive(DynamoEntity)]
#[dynamo(
    table_name = "users",
    unique(email),
    unique(handle, scope = tenant_id),
    unique(fields(tenant_id, external_id)),
    unique(phone, optional)
)]
pub struct User {
    #[pk]
    user_id: String,
    #[sk]
    kind: String,
    tenant_id: String,
    #[dynamo(rename = "mail")]
    email: String,
    handle: String,
    external_id: u64,
    phone: Option<String>,
}

// Written by each `find_by_..`; how many actions a put takes is known at compile time.
#[allow(dead_code)]
async fn finds(users: dynamo_core::Table<User>) -> Result<(), dynamo_core::Error> {
    let _: Option<User> = users.find_by_email("a@example.com".into()).await?;
    let _: Option<User> = users.find_by_handle("t1".into(), "ada".into()).await?;
    let _: Option<User> = users.find_by_tenant_id_and_external_id("t1".into(), 7).await?;
    let _: Option<User> = users.find_by_phone("+1".into()).await?;
    Ok(())
}

const _: () = assert!(Put::<User>::ACTIONS == 5);

fn main() {}
