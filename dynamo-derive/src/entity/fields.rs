//! `{Entity}Fields`: typed attribute paths for expressions, `Attr` for the fields updates may
//! set, `KeyAttr` for the parts of keys.

use super::context::{Gen, Generated};
use super::index_keys::index_members;
use super::key::key_members;
use super::model::{EntityModel, IndexModel};
use crate::internals::ast::Field;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// How a stored field is updated, which decides its path type.
enum Setter<'i> {
    /// Not part of a key: `Attr`, set alone.
    Plain,
    /// Part of the table key, or of index keys that also need other fields: `KeyAttr`.
    Key,
    /// The only field of these indexes' keys besides the table key's: `IndexAttr`, whose
    /// `set` rewrites them.
    Index(Vec<&'i IndexModel<'i, 'i>>),
}

/// The fields struct, its `fields()` constructor, and the value of `Entity::FIELDS`.
pub(super) fn fields_struct(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> (Generated, TokenStream) {
    let (p, krate, name) = (&g.p, &g.krate, &g.name);
    let ident = g.c.ident;
    let vis = &g.c.input.vis;
    let fields_ident = format_ident!("{}Fields", g.stem());
    let key_ident = format_ident!("{}Key", g.stem());
    let table_key = key_members(g, m);
    let index_members: Vec<_> = m
        .indexes
        .iter()
        .map(|index| (index, index_members(g, m, index)))
        .collect();
    let stored: Vec<_> =
        g.c.fields()
            .iter()
            .filter(|f| f.attrs.is_stored())
            .collect();
    let setter = |f: &Field<'_>| {
        if table_key.iter().any(|k| std::ptr::eq(*k, f)) {
            return Setter::Key;
        }
        let of: Vec<_> = index_members
            .iter()
            .filter(|(_, members)| members.iter().any(|o| std::ptr::eq(*o, f)))
            .collect();
        if of.is_empty() {
            Setter::Plain
        } else if of.iter().all(|(_, members)| members.len() == 1) {
            Setter::Index(of.iter().map(|(index, _)| *index).collect())
        } else {
            Setter::Key
        }
    };
    let mut types = Vec::new();
    let mut values = Vec::new();
    let mut docs = Vec::new();
    let mut rewrites = Vec::new();
    for f in &stored {
        let (ty, attribute, member) = (f.ty, &f.attribute, f.ident);
        match setter(f) {
            Setter::Plain => {
                types.push(quote!(#krate::__private::Attr<#ty>));
                values.push(quote!(#krate::__private::Attr::new(#attribute)));
                docs.push(format!("Attribute `{attribute}`."));
            }
            Setter::Key => {
                types.push(quote!(#krate::__private::KeyAttr<#ty>));
                values.push(quote!(#krate::__private::KeyAttr::new(#attribute)));
                let needs = index_members
                    .iter()
                    .filter(|(_, members)| members.iter().any(|o| std::ptr::eq(*o, *f)))
                    .map(|(index, _)| format!("`{}{}Keys`", g.stem(), index.type_part))
                    .collect::<Vec<_>>();
                docs.push(if needs.is_empty() {
                    format!("Attribute `{attribute}` (part of the table key: not updatable).")
                } else {
                    format!(
                        "Attribute `{attribute}` (part of index keys made of other fields too: set with `set_index_keys` and {}).",
                        needs.join(", ")
                    )
                });
            }
            Setter::Index(indexes) => {
                let rewrite = format_ident!("__dynamo_set_{}", g.index_of(f));
                types.push(quote!(#krate::__private::IndexAttr<#ty, #ident>));
                values.push(quote!(#krate::__private::IndexAttr::new(#attribute, #rewrite)));
                let names: Vec<String> = indexes.iter().map(|i| format!("`{}`", i.name)).collect();
                docs.push(format!(
                    "Attribute `{attribute}`: `set` rewrites the keys of index {} with it.",
                    names.join(", ")
                ));
                let (last, first) = indexes.split_last().expect("one index at least");
                let structs = |index: &IndexModel<'_, '_>| {
                    format_ident!("{}{}Keys", g.stem(), index.type_part)
                };
                let firsts = first.iter().map(|index| {
                    let keys = structs(index);
                    quote! {
                        out.extend(#krate::__private::IndexKeys::into_update(
                            #keys { #member: ::core::clone::Clone::clone(&value) },
                            key,
                        )?);
                    }
                });
                let last = structs(last);
                rewrites.push(quote! {
                    fn #rewrite(value: #ty, key: &#key_ident) -> #p::Result<#krate::__private::IndexKeyWrites, #p::MappingError> {
                        let mut out = #krate::__private::IndexKeyWrites::new();
                        #(#firsts)*
                        out.extend(#krate::__private::IndexKeys::into_update(#last { #member: value }, key)?);
                        #p::Ok(out)
                    }
                });
            }
        }
    }
    let members: Vec<_> = stored.iter().map(|f| f.ident).collect();
    let doc =
        format!("Typed attribute paths of [`{name}`], generated by `#[derive(DynamoEntity)]`.");
    let defs = quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug)]
        #vis struct #fields_ident {
            #(
                #[doc = #docs]
                pub #members: #types,
            )*
        }
    };
    let impls = quote! {
        #[automatically_derived]
        impl #ident {
            /// Typed attribute paths for expressions: a misspelled attribute does not compile.
            #vis const fn fields() -> #fields_ident {
                <#ident as #krate::__private::Entity>::FIELDS
            }
        }

        #(#rewrites)*
    };
    let value = quote!(#fields_ident { #(#members: #values,)* });
    (Generated { defs, impls }, value)
}
