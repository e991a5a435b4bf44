//! The IAM policy the service needs: each table gets exactly the actions the code performs on
//! it, and indexes only where the code queries them.
//!
//! `reservation-service export-iam-policy` prints it; `deploy/iam-policy.json` is that output
//! for the default table names, kept in sync by a test. Another test (`tests/api/iam.rs`) runs
//! every inventory mode against DynamoDB Local, records the actions and resources each request
//! needs, and fails when this policy lacks one or grants one no mode used.

use crate::store::{IDEMPOTENCY, ORDERS, OUTBOX, RESERVATIONS, SEATS, TableNames};
use dynamo_core::TableDef;
use serde_json::{Value, json};

/// Actions every table needs for the start-up and readiness schema checks.
const SCHEMA_CHECK: [&str; 2] = ["dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive"];

/// What the service does to one table. Writes inside `TransactWriteItems` are authorized as
/// the item actions they contain (`PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`).
struct Access {
    table: TableDef,
    actions: &'static [&'static str],
    /// Indexes the service queries.
    indexes: &'static [&'static str],
}

const ACCESS: [Access; 5] = [
    // find: Query by id; create: Put; confirm, cancel, expire: Update; sweeper: Query GSI2.
    Access {
        table: RESERVATIONS,
        actions: &["dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        indexes: &["GSI2"],
    },
    // create, confirm, cancel, expire: Update; create (for prices), cancel and expire read the
    // seats first; a seat still under its key from before sharding is read (Get) and moved
    // (Put under its key now, Delete the old one).
    Access {
        table: SEATS,
        actions: &[
            "dynamodb:UpdateItem",
            "dynamodb:BatchGetItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:DeleteItem",
        ],
        indexes: &[],
    },
    // confirm: Put (the order, the payment intent's use), Get (whether the intent was used);
    // hold, cancel, expire: Update (the user's seat count).
    Access {
        table: ORDERS,
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
        ],
        indexes: &[],
    },
    // claim: Put; complete: Update; release: Delete; replay lookup: Get.
    Access {
        table: IDEMPOTENCY,
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        ],
        indexes: &[],
    },
    // every change: Put; relay: Query GSI1, Update (claim, mark); the workers' heartbeats: Put,
    // Query, Delete.
    Access {
        table: OUTBOX,
        actions: &[
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:Query",
            "dynamodb:DeleteItem",
        ],
        indexes: &["GSI1"],
    },
];

/// Where the relay publishes: the bus and the `source` of every event it puts there.
#[derive(Debug, Clone, Copy)]
pub struct Publishing<'a> {
    /// The event bus.
    pub bus: &'a str,
    /// The events' `source`: the policy allows `PutEvents` only for events of this source.
    pub source: &'a str,
}

/// The policy document for the tables `names` names in `region` and `account` (`*` for any),
/// publishing as `events` says (none: no EventBridge statement).
pub fn policy(
    names: &TableNames,
    region: &str,
    account: &str,
    events: Option<Publishing<'_>>,
) -> Value {
    let mut statements: Vec<Value> = ACCESS
        .iter()
        .map(|access| {
            let arn = format!(
                "arn:aws:dynamodb:{region}:{account}:table/{}",
                names.of(&access.table)
            );
            let mut resources = vec![Value::String(arn.clone())];
            resources.extend(
                access
                    .indexes
                    .iter()
                    .map(|index| Value::String(format!("{arn}/index/{index}"))),
            );
            let mut actions: Vec<&str> = access.actions.to_vec();
            actions.extend(SCHEMA_CHECK);
            json!({
                "Sid": sid(access.table.name),
                "Effect": "Allow",
                "Action": actions,
                "Resource": resources,
            })
        })
        .collect();
    if let Some(Publishing { bus, source }) = events {
        statements.push(json!({
            "Sid": "PublishOutboxEvents",
            "Effect": "Allow",
            "Action": ["events:PutEvents"],
            "Resource": [format!("arn:aws:events:{region}:{account}:event-bus/{bus}")],
            "Condition": { "StringEquals": { "events:source": source } },
        }));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// `ticket-reservation-seats` → `TicketReservationSeats`.
fn sid(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_covered_once() {
        let names: Vec<&str> = ACCESS.iter().map(|a| a.table.name).collect();
        for table in crate::store::ALL {
            assert_eq!(
                names.iter().filter(|n| **n == table.name).count(),
                1,
                "{}",
                table.name
            );
        }
        for access in &ACCESS {
            for index in access.indexes {
                assert!(
                    access.table.index(index).is_some(),
                    "{} has no index {index}",
                    access.table.name
                );
            }
        }
    }

    #[test]
    fn no_wildcard_actions_and_no_scans() {
        let events = Publishing {
            bus: "tickets",
            source: "ticket.reservation",
        };
        let policy = policy(&TableNames::prefixed(""), "*", "*", Some(events));
        let statements = policy["Statement"].as_array().expect("statements");
        assert_eq!(statements.len(), 6);
        for statement in statements {
            for action in statement["Action"].as_array().expect("actions") {
                let action = action.as_str().expect("string");
                assert!(
                    !action.contains('*') && !action.contains("Scan"),
                    "{action}"
                );
            }
        }
        assert!(policy.to_string().contains("event-bus/tickets"));
        assert_eq!(
            statements[5]["Condition"]["StringEquals"]["events:source"],
            "ticket.reservation"
        );
        assert_eq!(sid("ticket-reservation-seats"), "TicketReservationSeats");
    }
}
