//! `Entity::into_item` and `Entity::from_item`: the mapping between the struct and its item.

use super::context::{Gen, const_name};
use super::index_keys::sparse_index_keys;
use super::model::{EntityModel, Key};
use super::template::template_call;
use crate::codec::skipped_value;
use crate::internals::ast::Field;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The template keys an item gets: computed from borrowed fields before they move into the
/// item, then inserted. An index key template with an absent (`None`) component leaves the
/// item out of that index: none of the index's template keys is written.
pub(super) fn item_keys(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> (TokenStream, TokenStream) {
    let p = &g.p;
    let source = quote!(self);
    let mut values = TokenStream::new();
    let mut inserts = TokenStream::new();
    for key in [Some(m.pk), m.sk].into_iter().flatten() {
        if let Key::Template(n) = key {
            let (attr, call) = (g.template_attr(n), template_call(g, n, &source));
            let local = format_ident!("__dynamo_key_{}", n);
            values.extend(quote!(let #local = #call;));
            inserts.extend(quote!(item.insert(#p::String::from(#attr), #p::key_text(#local));));
        }
    }
    for (i, index) in m.indexes.iter().enumerate() {
        let templates = index.templates();
        if templates.is_empty() {
            continue;
        }
        let local = format_ident!("__dynamo_index_{}", i);
        let (computed, names) = sparse_index_keys(g, &templates, &|f| {
            let member = f.ident;
            quote!(self.#member)
        });
        values.extend(quote!(let #local = #computed;));
        let attrs = templates.iter().map(|n| g.template_attr(*n));
        inserts.extend(quote! {
            if let #p::Some((#(#names,)*)) = #local {
                #(item.insert(#p::String::from(#attrs), #p::key_text(#names));)*
            }
        });
    }
    (values, inserts)
}

/// `Entity::into_item`: template keys from borrowed fields first, then every field moved into
/// the item, the template keys and the entity type.
pub(super) fn into_item(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> TokenStream {
    let (p, krate) = (&g.p, &g.krate);
    let ident = g.c.ident;
    let fields = g.c.fields();
    let (key_values, key_inserts) = item_keys(g, m);
    let encode = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.is_stored())
        .map(|(i, f)| {
            let (cname, member) = (const_name(i), f.ident);
            quote!(#cname.encode(&mut item, self.#member)?;)
        });
    let stored = fields.iter().filter(|f| f.attrs.is_stored()).count();
    let capacity = stored + g.c.templates.len() + 1;
    let entity = quote!(<#ident as #krate::__private::Entity>);
    quote! {
        fn into_item(self) -> #p::Result<#p::Item, #p::MappingError> {
            #key_values
            let mut item = #p::item_with_capacity(#capacity);
            #(#encode)*
            #key_inserts
            #p::write_entity_type(&mut item, &#entity::TABLE, #entity::SCHEMA.entity_type);
            #p::Ok(item)
        }
    }
}

/// `Entity::from_item`: the entity type checked, key fields first; the other fields in a
/// closure, so an error in one of them can name the item by its key, at no cost when nothing
/// fails. Locals are named after the field's position, never its name, so no field shadows
/// them.
pub(super) fn from_item(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> TokenStream {
    let (p, krate) = (&g.p, &g.krate);
    let ident = g.c.ident;
    let fields = g.c.fields();
    let marker_keys: Vec<&Field<'_>> = [Some(m.pk), m.sk]
        .into_iter()
        .flatten()
        .filter_map(|k| match k {
            Key::Field(f) => Some(f),
            Key::Template(_) => None,
        })
        .collect();
    let local = |i: usize| format_ident!("__dynamo_field_{}", i);
    let decode_keys = marker_keys.iter().map(|f| {
        let i = g.index_of(f);
        let (value, cname) = (local(i), const_name(i));
        quote!(let #value = #cname.decode(&mut __dynamo_item)?;)
    });
    let key_on_error = marker_keys.iter().map(|f| {
        let i = g.index_of(f);
        let (value, cname) = (local(i), const_name(i));
        quote!(let _ = #cname.encode(&mut __dynamo_key, #p::Clone::clone(&#value));)
    });
    let rest: Vec<(usize, &Field<'_>)> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.is_stored() && !f.is_key())
        .collect();
    let rest_values: Vec<_> = rest.iter().map(|(i, _)| local(*i)).collect();
    let rest_types: Vec<_> = rest.iter().map(|(_, f)| f.ty).collect();
    let rest_decode = rest.iter().map(|(i, _)| {
        let cname = const_name(*i);
        quote!(#cname.decode(&mut __dynamo_item)?)
    });
    let construct = fields.iter().enumerate().map(|(i, f)| {
        let member = f.ident;
        let value = if f.attrs.is_stored() {
            let value = local(i);
            quote!(#value)
        } else {
            skipped_value(p, f)
        };
        quote!(#member: #value)
    });
    let entity = quote!(<#ident as #krate::__private::Entity>);
    quote! {
        fn from_item(mut __dynamo_item: #p::Item) -> #p::Result<Self, #p::MappingError> {
            #p::read_entity_type(&__dynamo_item, &#entity::TABLE, &#entity::SCHEMA)?;
            #(#decode_keys)*
            let __dynamo_rest = (|| -> #p::Result<(#(#rest_types,)*), #p::MappingError> {
                #p::Ok((#(#rest_decode,)*))
            })();
            match __dynamo_rest {
                #p::Ok((#(#rest_values,)*)) => #p::Ok(#ident { #(#construct,)* }),
                #p::Err(__dynamo_error) => {
                    let mut __dynamo_key = #p::key_attributes(&#entity::TABLE, &__dynamo_item);
                    #(#key_on_error)*
                    #p::Err(__dynamo_error.with_key(__dynamo_key))
                }
            }
        }
    }
}
