//! The seven tables of the infrastructure's DynamoDB module (its Terraform spec), as
//! `TableDef` consts: the ticket service's tables and the reservation service's.
#![allow(dead_code)]

use dynamo_core::{IndexDef, KeyDef, TableDef};

/// `ticket-tickets`: `ticket_id`, GSIs `user-index` (user_id) and `status-index` (status).
pub const TICKETS: TableDef = TableDef::new("ticket-tickets", KeyDef::string("ticket_id"))
    .with_indexes(&[
        IndexDef::global("user-index", KeyDef::string("user_id"), None),
        IndexDef::global("status-index", KeyDef::string("status"), None),
    ]);

/// `ticket-users`: `user_id`, GSI `email-index` (email).
pub const USERS: TableDef =
    TableDef::new("ticket-users", KeyDef::string("user_id")).with_indexes(&[IndexDef::global(
        "email-index",
        KeyDef::string("email"),
        None,
    )]);

/// `ticket-ticket-events`: `pk`/`sk`.
pub const TICKET_EVENTS: TableDef =
    TableDef::new("ticket-ticket-events", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

/// `ticket-reservation-reservations`: `pk`/`sk`, GSI `GSI1` (gsi1pk/gsi1sk).
pub const RESERVATIONS: TableDef =
    TableDef::new("ticket-reservation-reservations", KeyDef::string("pk"))
        .with_sort_key(KeyDef::string("sk"))
        .with_indexes(&[IndexDef::global(
            "GSI1",
            KeyDef::string("gsi1pk"),
            Some(KeyDef::string("gsi1sk")),
        )]);

/// `ticket-reservation-orders`: `pk`/`sk`, GSI `GSI1` (gsi1pk/gsi1sk) for orders by status.
pub const ORDERS: TableDef = TableDef::new("ticket-reservation-orders", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )]);

/// `ticket-reservation-idempotency`: `pk`, TTL on `ttl`.
pub const IDEMPOTENCY: TableDef =
    TableDef::new("ticket-reservation-idempotency", KeyDef::string("pk")).with_ttl_attribute("ttl");

/// `ticket-reservation-outbox`: `pk`/`sk`.
pub const OUTBOX: TableDef = TableDef::new("ticket-reservation-outbox", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"));

/// All seven.
pub const ALL: [TableDef; 7] = [
    TICKETS,
    USERS,
    TICKET_EVENTS,
    RESERVATIONS,
    ORDERS,
    IDEMPOTENCY,
    OUTBOX,
];
