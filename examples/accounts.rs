//! Accounts that live for years: a unique email and a handle unique per tenant, kept by guard
//! items in the same table; managed timestamps. Against the emulator by default:
//! `DYNAMODB_ENDPOINT=http://localhost:8000 cargo run -p dynamo-examples --example accounts`

use dynamo_core::{DynamoEntity, ErrorKind, KeyDef, Table, TableDef};
use time::OffsetDateTime;

const ACCOUNTS: TableDef =
    TableDef::new("example-accounts", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity, Debug, Clone)]
#[dynamo(
    table = ACCOUNTS,
    pk = "USER#{user_id}",
    sk = "PROFILE",
    unique(email),
    unique(handle, scope = tenant_id)
)]
struct User {
    user_id: String,
    tenant_id: String,
    email: String,
    handle: String,
    #[dynamo(created_at)]
    created_at: OffsetDateTime,
    #[dynamo(updated_at)]
    updated_at: OffsetDateTime,
}

fn user(user_id: &str, tenant_id: &str, email: &str, handle: &str) -> User {
    User {
        user_id: user_id.into(),
        tenant_id: tenant_id.into(),
        email: email.into(),
        handle: handle.into(),
        // Set by every write: these values are replaced.
        created_at: OffsetDateTime::UNIX_EPOCH,
        updated_at: OffsetDateTime::UNIX_EPOCH,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = dynamo_core::client_from_env().await?;
    dynamo_core::client::check_connection(&client).await?;
    dynamo_core::schema::ensure_table(&client, &ACCOUNTS, ACCOUNTS.name).await?;
    let users = Table::<User>::new(&client);
    // Each run starts from no accounts.
    for id in ["ada", "bob"] {
        users.delete(UserKey::new(id)).send().await?;
    }

    users
        .put(user("ada", "acme", "ada@example.com", "ada"))
        .send()
        .await?;
    // The same handle in another tenant is fine; the same email anywhere is not.
    let taken = users
        .put(user("bob", "globex", "ada@example.com", "ada"))
        .send()
        .await
        .expect_err("the email is Ada's");
    assert_eq!(taken.kind(), ErrorKind::UniqueViolation);
    println!("refused: {taken}");

    users
        .put(user("bob", "globex", "bob@example.com", "ada"))
        .send()
        .await?;
    // Ada changes her email: the guard moves, the old address is free.
    users
        .update(UserKey::new("ada"))
        .set(User::fields().email, "ada@lovelace.org")
        .send()
        .await?;
    let ada = users
        .find_by_email("ada@lovelace.org".into())
        .await?
        .ok_or("Ada is found by her new email")?;
    assert!(ada.updated_at > ada.created_at);
    println!(
        "{} <{}> since {}, changed {}",
        ada.user_id, ada.email, ada.created_at, ada.updated_at
    );
    assert!(
        users
            .find_by_email("ada@example.com".into())
            .await?
            .is_none()
    );
    let bob = users.find_by_handle("globex".into(), "ada".into()).await?;
    println!("@ada in globex is {:?}", bob.map(|u| u.user_id));
    Ok(())
}
