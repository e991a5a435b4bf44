//! The ticket Reservation API on dynamo-core: holds, confirm, cancel, idempotency and an
//! outbox, with every table access through typed, compile-time checked entities.
//!
//! Layers, each using only its own and the ones below it (`tests/layers.rs` checks the
//! imports):
//!
//! | layer | modules |
//! |---|---|
//! | process | [`cli`], [`startup`] (the server) |
//! | HTTP | `routes` (handlers, extractors, middleware, OpenAPI, errors): the only place that knows status codes |
//! | application | [`configuration`] (every setting, read at once), [`state`] (what the handlers share, built from the settings) |
//! | workers | [`workers`] (the sweeper and the relay, run on a schedule) |
//! | services | [`services`] (reservations, idempotency, payments, inventory), [`outbox`] (relay, sinks): the I/O around the domain's decisions |
//! | coordination | [`leases`] (work shards shared among replicas) |
//! | storage | [`store`] (tables, entities, keys), [`iam`] (the policy the tables need) |
//! | support | [`auth`], [`limits`], [`metrics`], [`resilience`], [`telemetry`], `upstream` |
//! | domain | [`domain`] (requests, states, the reservation's life as pure decisions, events, errors), [`clock`], [`setting`] (how every part declares and reads its variables) |
#![warn(missing_docs, unreachable_pub, clippy::too_many_lines)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod auth;
pub mod cli;
pub mod clock;
pub mod configuration;
pub mod domain;
pub mod iam;
pub mod leases;
pub mod limits;
pub mod metrics;
pub mod outbox;
pub mod resilience;
mod routes;
pub mod services;
pub mod setting;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
mod upstream;
pub mod workers;
