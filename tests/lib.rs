//! The repository's own tests, beside the crates' unit and integration tests:
//!
//! - `compile_fail.rs`: the compile-time rules, one folder per rule under `ui/`;
//! - `incident.rs`: the incident this project exists for, replayed end to end;
//! - this file: every Rust block of the README and of `docs/*.md` compiles (and runs, unless
//!   marked `no_run`) as a doctest: `cargo test -p dynamo-tests --doc`.

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}

#[cfg(doctest)]
#[doc = include_str!("../CONTRIBUTING.md")]
mod contributing {}

#[cfg(doctest)]
#[doc = include_str!("../docs/attributes.md")]
mod attributes {}

#[cfg(doctest)]
#[doc = include_str!("../docs/benchmarks.md")]
mod benchmarks {}

#[cfg(doctest)]
#[doc = include_str!("../docs/migrations.md")]
mod migrations {}

#[cfg(doctest)]
#[doc = include_str!("../docs/operations.md")]
mod operations {}

#[cfg(doctest)]
#[doc = include_str!("../docs/performance.md")]
mod performance {}

#[cfg(doctest)]
#[doc = include_str!("../docs/rules.md")]
mod rules {}

#[cfg(doctest)]
#[doc = include_str!("../docs/schema-checks.md")]
mod schema_checks {}

#[cfg(doctest)]
#[doc = include_str!("../docs/single-table.md")]
mod single_table {}

#[cfg(doctest)]
#[doc = include_str!("../docs/testing.md")]
mod testing {}
