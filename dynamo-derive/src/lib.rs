//! Derive macros for [`dynamo-core`](https://docs.rs/dynamo-core).
//!
//! Use them through `dynamo_core` (`use dynamo_core::{DynamoEntity, DynamoValue};`): the generated
//! code refers to `::dynamo_core::__private`, which this crate does not link.
//!
//! - `#[derive(DynamoEntity)]` maps a struct with named fields to an item of a table and checks,
//!   at compile time, its key mapping against itself and against the table's `TableDef`.
//! - `#[derive(DynamoValue)]` maps a unit enum to `S`, a newtype to its inner value and a struct
//!   with named fields to `M`.
//!
//! The attributes are documented in `dynamo_core`'s crate docs and in `docs/attributes.md`.
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod codec;
mod collection;
mod entity;
mod internals;
mod value;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `dynamo_core::Entity` for a struct with named fields.
///
/// See the `dynamo_core` crate documentation for the attributes.
#[proc_macro_derive(DynamoEntity, attributes(dynamo, pk, sk, gsi, ttl, version))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    entity::expand(&input).into()
}

/// Derives `dynamo_core::DynamoValue` for a unit enum (`S`), a newtype (transparent) or a struct
/// with named fields (`M`).
///
/// See the `dynamo_core` crate documentation for the attributes.
#[proc_macro_derive(DynamoValue, attributes(dynamo))]
pub fn derive_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    value::expand(&input).into()
}

/// Derives `dynamo_core::Collection` for an enum of entities that share a partition of the
/// table, or of one index (`#[dynamo(index = GSI1)]`): one query reads them all, each item
/// decoded as its entity.
///
/// See the `dynamo_core` crate documentation.
#[proc_macro_derive(DynamoCollection, attributes(dynamo))]
pub fn derive_collection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    collection::expand(&input).into()
}
