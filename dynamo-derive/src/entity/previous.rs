//! `previous(pk = "..", sk = "..")`: the table keys an earlier version wrote, computed from the
//! key (`EntityKey::previous_key_item`) and read back into the components an item stored under
//! them lacks (`Entity::read_previous_key`).

use super::context::Gen;
use crate::internals::ast::PreviousKey;
use crate::internals::attr::IndexRole;
use crate::internals::template::Part;
use proc_macro2::TokenStream;
use quote::quote;

/// The table's key attribute `role` names, as a constant expression.
fn key_attribute(g: &Gen<'_, '_>, role: IndexRole) -> TokenStream {
    let (p, krate, ident) = (&g.p, &g.krate, g.c.ident);
    let table = quote!(<#ident as #krate::__private::Entity>::TABLE);
    match role {
        IndexRole::Partition => quote!(#table.partition_key.name),
        IndexRole::Sort => quote!(match #table.sort_key {
            #p::Some(key) => key.name,
            #p::None => "",
        }),
    }
}

/// Statements appending `previous`'s key, formatted from the key struct (`self`), to `out`.
fn format_previous(g: &Gen<'_, '_>, previous: &PreviousKey) -> TokenStream {
    let (p, krate, name) = (&g.p, &g.krate, &g.name);
    let attribute = key_attribute(g, previous.role);
    let delimiters = previous.template.delimiters();
    let mut out = TokenStream::new();
    let mut k = 0;
    for part in &previous.template.parts {
        let (field_name, shards, width) = match part {
            Part::Literal(text) => {
                out.extend(quote!(out.push_str(#text);));
                continue;
            }
            Part::Field { name, width } => (name, None, *width),
            Part::Shard { name, shards } => (name, Some(*shards), 0),
        };
        let delimiter = delimiters
            .get(k)
            .copied()
            .flatten()
            .filter(|_| shards.is_none())
            .map(String::from)
            .unwrap_or_default();
        k += 1;
        // The check makes every placeholder a field of the key.
        let Some(field) = g.field(field_name) else {
            continue;
        };
        let (member, ty) = (field.ident, field.ty);
        let of = quote!(&#p::ComponentOf {
            entity: #name,
            field: #field_name,
            attribute: #attribute,
            delimiters: #delimiter,
            // As an earlier version wrote it: a previous template written before
            // `key_case = "lower"` reads the keys of that time.
            lowercase: false,
        });
        let write = quote!(<#ty as #krate::__private::KeyComponent>::write_component);
        out.extend(match shards {
            Some(shards) => {
                quote!(#p::write_shard(&mut out, &self.#member, #shards, #of, #write)?;)
            }
            None => {
                quote!(#p::write_component(&mut out, &self.#member, #width, #of, #write)?;)
            }
        });
    }
    out
}

/// `EntityKey::previous_key_item`, in the key struct's impl: the key now with each previous
/// template's attribute formatted from the key's fields.
pub(super) fn previous_key_item(g: &Gen<'_, '_>) -> TokenStream {
    if g.c.previous.is_empty() {
        return TokenStream::new();
    }
    let (p, krate) = (&g.p, &g.krate);
    let keys = g.c.previous.iter().map(|previous| {
        let attribute = key_attribute(g, previous.role);
        let format = format_previous(g, previous);
        quote! {
            let mut out = #p::String::new();
            #format
            item.insert(#p::String::from(#attribute), #p::key_text(out));
        }
    });
    quote! {
        fn previous_key_item(&self) -> #p::Result<#p::Option<#p::Item>, #p::MappingError> {
            let mut item = #krate::__private::EntityKey::to_key_item(self)?;
            #({ #keys })*
            #p::Ok(#p::Some(item))
        }
    }
}

/// `Entity::read_previous_key`: each previous template read back into the components an item
/// lacks.
pub(super) fn read_previous_key(g: &Gen<'_, '_>) -> TokenStream {
    if g.c.previous.is_empty() {
        return TokenStream::new();
    }
    let (p, krate, name) = (&g.p, &g.krate, &g.name);
    let reads = g.c.previous.iter().map(|previous| {
        let attribute = key_attribute(g, previous.role);
        let text = &previous.template.text;
        let parts = previous.template.parts.iter().map(|part| match part {
            Part::Literal(text) => quote!(#p::PreviousPart::Literal(#text)),
            Part::Field { name, width } => match g.field(name) {
                Some(field) => {
                    let (attribute, ty) = (field.attribute.as_str(), field.ty);
                    quote!(#p::PreviousPart::Component {
                        attribute: #attribute,
                        width: #width,
                        read: <#ty as #krate::__private::KeyComponent>::read_component,
                    })
                }
                // The check makes every placeholder a field of the key.
                None => quote!(#p::PreviousPart::Literal("")),
            },
            Part::Shard { shards, .. } => {
                let width = shards.saturating_sub(1).to_string().len();
                quote!(#p::PreviousPart::Shard { width: #width })
            }
        });
        quote!(#p::read_previous_key(item, #name, #attribute, #text, &[#(#parts),*])?;)
    });
    quote! {
        fn read_previous_key(item: &mut #p::Item) -> #p::Result<(), #p::MappingError> {
            #(#reads)*
            #p::Ok(())
        }
    }
}
