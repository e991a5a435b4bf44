//! The service over real HTTP against the emulator: one test binary, one module per topic,
//! every test on a [`helpers::TestApp`] of its own (own port, own table prefix, own clock).
//! `TEST_LOG=1` shows the service's logs.

mod auth;
mod dynamodb_metrics;
mod fairness;
mod faults;
mod helpers;
mod iam;
mod integrations;
mod inventory;
mod load;
mod operations;
mod outage;
mod payments;
mod requests;
mod reservations;
mod scale;
mod shutdown;
mod startup;
mod stubs;
mod workers;
