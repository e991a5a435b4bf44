use dynamo_core::DynamoEntity;

#[derive(DynamoEntity)]
#[dynamo(
    table_name = "users",
    unique(fields(tenant_id, email)),
    unique(email, scope = tenant_id),
    unique(cache)
)]
struct User {
    #[pk]
    user_id: String,
    #[sk]
    kind: String,
    tenant_id: String,
    email: String,
    #[dynamo(skip)]
    cache: String,
}

fn main() {}
