//! The ticket Reservation API on dynamo-core: holds, confirm, cancel, idempotency and an
//! outbox, with every table access through typed, compile-time checked entities.
//!
//! Layers, each depending only on the ones below it:
//!
//! | layer | modules |
//! |---|---|
//! | process | [`cli`], [`startup`], [`state`], [`configuration`], [`telemetry`], [`workers`] |
//! | HTTP | `routes` (handlers, extractors, middleware, OpenAPI, errors): used by `startup` only |
//! | services | [`services`] (reservations, idempotency, payments), [`outbox`] (relay, sinks) |
//! | domain and storage | [`domain`] (requests, states, errors; no HTTP), [`store`] (tables, entities, keys) |
//! | support | [`auth`], [`limits`], [`metrics`], [`clock`], [`iam`], [`setting`] (how every part declares and reads its variables) |
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod auth;
pub mod cli;
pub mod clock;
pub mod configuration;
pub mod domain;
pub mod iam;
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
