//! `#[derive(DynamoEntity)]`: the parsed model ([`model`]) and one module per generated
//! artefact: the field constants and `Entity::SCHEMA` ([`schema`]), the key templates
//! ([`template`]), `{Entity}Key` ([`key`]), `{Entity}Fields` ([`fields`]), the mapping
//! ([`item`]), the partition and sort key types ([`partition`]), the index keys of updates
//! ([`index_keys`]), the keys an earlier version wrote ([`previous`]) and the table with its
//! compile-time checks ([`table`]), the unique constraints ([`unique`]) and the schema versions
//! ([`versions`]).

pub(crate) mod context;
mod fields;
mod index_keys;
mod item;
mod key;
mod model;
mod partition;
mod previous;
mod schema;
mod table;
mod template;
mod unique;
mod versions;

use crate::codec::krate;
use crate::internals::ast::{Container, Derive};
use crate::internals::check::check;
use crate::internals::ctxt::Ctxt;
use context::{Gen, Generated};
use model::EntityModel;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::DeriveInput;

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let container = Container::from_ast(&mut cx, input, Derive::Entity);
    // Generated even after an error (when the shape allows it), so one mistake does not
    // cascade into errors about missing impls.
    let generated = match check(&mut cx, &container, Derive::Entity) {
        true => EntityModel::of(&container)
            .map_or_else(TokenStream::new, |model| generate(&container, &model)),
        false => TokenStream::new(),
    };
    let errors = cx.into_compile_errors();
    quote!(#errors #generated)
}

/// Every artefact of the entity: the types at the derive's place (so they can be named), their
/// impls and the constants inside one `const _: () = { .. };`.
fn generate(c: &Container<'_>, m: &EntityModel<'_, '_>) -> TokenStream {
    let krate = krate(c);
    let g = Gen {
        c,
        p: quote!(#krate::__private),
        krate,
        name: c.ident.to_string(),
    };
    let mut types = Generated::default();
    types.extend(key::key_struct(&g, m));
    let (fields, fields_value) = fields::fields_struct(&g, m);
    types.extend(fields);
    types.extend(partition::partitions(&g, m));
    types.extend(unique::finders(&g));
    let Generated { defs, impls } = types;

    let field_consts = schema::field_consts(&g);
    let templates = template::templates(&g);
    let (version_items, version_methods) = schema::version(&g, m);
    let (table, checks) = table::table_and_checks(&g, m);
    let schema = schema::schema(&g, m);
    let key = key::key_of_entity(&g, m);
    let into_item = item::into_item(&g, m);
    let from_item = item::from_item(&g, m);
    let read_previous_key = previous::read_previous_key(&g);
    let versions = versions::impls_and_checks(&g);
    let (ident, krate) = (c.ident, &g.krate);
    let key_ident = format_ident!("{}Key", g.stem());
    let fields_ident = format_ident!("{}Fields", g.stem());
    quote! {
        #defs

        #[allow(non_upper_case_globals, clippy::all)]
        const _: () = {
            #field_consts
            #version_items
            #templates
            #impls

            #[automatically_derived]
            impl #krate::__private::Entity for #ident {
                type Key = #key_ident;
                type Fields = #fields_ident;

                const TABLE: #krate::__private::TableDef = #table;
                const SCHEMA: #krate::__private::EntitySchema = #schema;
                const FIELDS: #fields_ident = #fields_value;

                #key
                #into_item
                #from_item
                #read_previous_key
                #version_methods
            }

            #checks
            #versions
        };
    }
}
