//! `Entity::into_item` and `Entity::from_item`: the mapping between the struct and its item.

use super::context::{Gen, const_name};
use super::index_keys::sparse_index_keys;
use super::model::{EntityModel, Key};
use super::template::template_call;
use crate::codec::skipped_value;
use crate::internals::ast::Field;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The template keys an item gets: statements computing them from borrowed fields (before the
/// fields move into the item), and per key attribute its value. An index key template with an
/// absent (`None`) component leaves the item out of that index: none of the index's template
/// keys is written.
fn item_keys(
    g: &Gen<'_, '_>,
    m: &EntityModel<'_, '_>,
) -> (TokenStream, Vec<(syn::Ident, TokenStream)>) {
    let p = &g.p;
    let source = quote!(self);
    let mut computed = TokenStream::new();
    let mut values = Vec::new();
    for key in [Some(m.pk), m.sk].into_iter().flatten() {
        if let Key::Template(n) = key {
            let call = template_call(g, n, &source);
            let local = format_ident!("__dynamo_key_{}", n);
            computed.extend(quote!(let #local = #p::Some(#p::key_text(#call));));
            values.push((g.template_attr(n), quote!(#local)));
        }
    }
    for (i, index) in m.indexes.iter().enumerate() {
        let templates = index.templates();
        if templates.is_empty() {
            continue;
        }
        let (keys, names) = sparse_index_keys(g, &templates, &|f| {
            let member = f.ident;
            quote!(self.#member)
        });
        let locals: Vec<_> = (0..names.len())
            .map(|k| format_ident!("__dynamo_index_{}_{}", i, k))
            .collect();
        let nones = locals.iter().map(|_| quote!(#p::None));
        computed.extend(quote! {
            let (#(#locals,)*) = match #keys {
                #p::Some((#(#names,)*)) => (#(#p::Some(#p::key_text(#names)),)*),
                #p::None => (#(#nones,)*),
            };
        });
        for (n, local) in templates.iter().zip(&locals) {
            values.push((g.template_attr(*n), quote!(#local)));
        }
    }
    (computed, values)
}

/// `Entity::into_item`: template keys from borrowed fields first, then every field moved into
/// its attribute's slot, and the item built from the entity's [`ItemShape`] (its attribute
/// names hashed once per process), with the entity type.
///
/// [`ItemShape`]: https://docs.rs/dynamo-core
pub(super) fn into_item(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> TokenStream {
    let (p, krate) = (&g.p, &g.krate);
    let ident = g.c.ident;
    let entity = quote!(<#ident as #krate::__private::Entity>);
    let stored: Vec<(usize, &Field<'_>)> =
        g.c.fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.attrs.is_stored())
            .collect();
    let (computed, keys) = item_keys(g, m);
    let mut names: Vec<TokenStream> = stored
        .iter()
        .map(|(_, f)| {
            let attribute = &f.attribute;
            quote!(#attribute)
        })
        .collect();
    let mut values: Vec<TokenStream> = stored
        .iter()
        .map(|(i, f)| {
            let (cname, member) = (const_name(*i), f.ident);
            quote!(#cname.to_attribute(self.#member)?)
        })
        .collect();
    for (attr, value) in keys {
        names.push(quote!(#attr));
        values.push(value);
    }
    if let Some((name, value)) = super::versions::stamp(g) {
        names.push(name);
        values.push(value);
    }
    names.push(quote!(#p::table_attributes(&#entity::TABLE)[2]));
    values.push(quote!(#p::entity_type_value(&#entity::TABLE, #entity::SCHEMA.entity_type)));
    let count = names.len();
    quote! {
        fn into_item(self) -> #p::Result<#p::Item, #p::MappingError> {
            static __SHAPE: #p::ItemShape = #p::ItemShape::new();
            const __NAMES: [&'static str; #count] = [#(#names),*];
            #computed
            let __values: [#p::Option<#p::AttributeValue>; #count] = [#(#values),*];
            #p::Ok(__SHAPE.item(&__NAMES, __values))
        }
    }
}

/// `Entity::from_item`: every attribute it reads moved into a slot in one pass over the item
/// (no name is hashed), the entity type checked, key fields first; the other fields in a
/// closure, so an error in one of them can name the item by its key, at no cost when nothing
/// fails. Locals are named after the field's position, never its name, so no field shadows
/// them.
pub(super) fn from_item(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> TokenStream {
    let (p, krate) = (&g.p, &g.krate);
    let ident = g.c.ident;
    let fields = g.c.fields();
    let entity = quote!(<#ident as #krate::__private::Entity>);
    // Slot `k` holds the attribute of the `k`-th stored field; then the table's key attributes
    // and entity attribute, which the error and the type check read.
    let stored: Vec<(usize, &Field<'_>)> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.is_stored())
        .collect();
    let slot_of = |i: usize| stored.iter().position(|(j, _)| *j == i);
    let attributes = stored.iter().map(|(_, f)| &f.attribute);
    let count = stored.len() + 3;
    let entity_slot = stored.len() + 2;
    let marker_keys: Vec<&Field<'_>> = [Some(m.pk), m.sk]
        .into_iter()
        .flatten()
        .filter_map(|k| match k {
            Key::Field(f) => Some(f),
            Key::Template(_) => None,
        })
        .collect();
    let local = |i: usize| format_ident!("__dynamo_field_{}", i);
    let decode = |i: usize| {
        let cname = const_name(i);
        // A key field that is not stored (an error reported already) reads no attribute.
        let value = match slot_of(i) {
            Some(slot) => quote!(__dynamo_slots[#slot].take()),
            None => quote!(#p::None),
        };
        quote!(#cname.decode(#value)?)
    };
    let decode_keys = marker_keys.iter().map(|f| {
        let i = g.index_of(f);
        let (value, read) = (local(i), decode(i));
        quote!(let #value = #read;)
    });
    let key_on_error = marker_keys.iter().map(|f| {
        let i = g.index_of(f);
        let (value, cname) = (local(i), const_name(i));
        quote!(let _ = #cname.encode(&mut __dynamo_key, #p::Clone::clone(&#value));)
    });
    let rest: Vec<usize> = stored
        .iter()
        .filter(|(_, f)| !f.is_key())
        .map(|(i, _)| *i)
        .collect();
    let rest_values: Vec<_> = rest.iter().map(|i| local(*i)).collect();
    let rest_types = rest.iter().map(|i| fields[*i].ty);
    let rest_decode = rest.iter().map(|i| decode(*i));
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
    let dispatch = super::versions::dispatch(g);
    quote! {
        fn from_item(__dynamo_item: #p::Item) -> #p::Result<Self, #p::MappingError> {
            #dispatch
            const __NAMES: [&'static str; #count] = {
                let [pk, sk, entity] = #p::table_attributes(&#entity::TABLE);
                [#(#attributes,)* pk, sk, entity]
            };
            let mut __dynamo_slots = #p::take_attributes(__dynamo_item, &__NAMES);
            if let #p::Err(__dynamo_error) = #p::read_entity_type(
                __dynamo_slots[#entity_slot].as_ref(),
                &#entity::TABLE,
                &#entity::SCHEMA,
            ) {
                let __dynamo_key = #p::key_in_slots(&#entity::TABLE, &__NAMES, &__dynamo_slots);
                return #p::Err(__dynamo_error.with_key(__dynamo_key));
            }
            #(#decode_keys)*
            let __dynamo_rest = (|| -> #p::Result<(#(#rest_types,)*), #p::MappingError> {
                #p::Ok((#(#rest_decode,)*))
            })();
            match __dynamo_rest {
                #p::Ok((#(#rest_values,)*)) => #p::Ok(#ident { #(#construct,)* }),
                #p::Err(__dynamo_error) => {
                    let mut __dynamo_key = #p::key_in_slots(&#entity::TABLE, &__NAMES, &__dynamo_slots);
                    #(#key_on_error)*
                    #p::Err(__dynamo_error.with_key(__dynamo_key))
                }
            }
        }
    }
}
