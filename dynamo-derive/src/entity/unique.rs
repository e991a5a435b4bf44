//! The unique constraints (`#[dynamo(unique(..))]`): their entries in `Entity::SCHEMA`, the
//! checks of their types, and `{Entity}Unique`, whose `find_by_{name}` reads an item by its
//! unique values.

use super::context::{Gen, Generated, const_name};
use crate::internals::ast::Field;
use crate::internals::attr::UniqueAttr;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

/// A constraint's name: its field, or its fields joined by `_and_`.
fn name(u: &UniqueAttr) -> String {
    u.fields
        .iter()
        .map(|f| syn::ext::IdentExt::unraw(f).to_string())
        .collect::<Vec<_>>()
        .join("_and_")
}

/// The fields of a constraint, the scope's first (checked to exist before generation).
fn fields<'c, 'a>(g: &Gen<'c, 'a>, u: &UniqueAttr) -> Vec<(&'c Field<'a>, &'c syn::Ident)>
where
    'a: 'c,
{
    u.scope
        .iter()
        .chain(&u.fields)
        .filter_map(|ident| {
            let field = g.field(&syn::ext::IdentExt::unraw(ident).to_string())?;
            Some((field, field.ident))
        })
        .collect()
}

/// The value of `EntitySchema::unique`.
pub(super) fn constraints(g: &Gen<'_, '_>) -> TokenStream {
    let p = &g.p;
    let constraints = g.c.attrs.unique.iter().map(|u| {
        let name = name(u);
        let attributes = fields(g, u).into_iter().map(|(f, _)| f.attribute.clone());
        let optional = u.optional.is_some();
        quote!(#p::UniqueConstraint { name: #name, attributes: &[#(#attributes),*], optional: #optional })
    });
    quote!(&[#(#constraints),*])
}

/// `{Entity}Unique` with a `find_by_{name}` per constraint, implemented for `Table<Entity>`;
/// the type checks of the constraints' fields and keys.
pub(super) fn finders(g: &Gen<'_, '_>) -> Generated {
    let (p, krate, ident) = (&g.p, &g.krate, g.c.ident);
    let unique = &g.c.attrs.unique;
    if unique.is_empty() {
        return Generated::default();
    }
    let vis = &g.c.input.vis;
    let trait_ident = format_ident!("{}Unique", g.stem());
    let mut signatures = Vec::new();
    let mut methods = Vec::new();
    let mut checks = Vec::new();
    for u in unique {
        let name = name(u);
        let method = format_ident!("find_by_{}", name);
        let fields = fields(g, u);
        let params: Vec<TokenStream> = fields
            .iter()
            .map(|(f, member)| {
                let ty = f.ty;
                quote!(#member: <#ty as #p::UniqueValue>::Key)
            })
            .collect();
        let values = fields.iter().map(|(f, member)| {
            let (ty, cname) = (f.ty, const_name(g.index_of(f)));
            quote!(#cname.to_attribute(<#ty as #p::UniqueValue>::wrap(#member)))
        });
        checks.extend(fields.iter().map(|(f, _)| {
            let ty = f.ty;
            let span = u.span;
            quote_spanned!(span=> const _: () = <#ty as #p::UniqueValue>::CHECKED;)
        }));
        let doc = format!("Reads the `{ident}` whose unique {name} is this (`None` when none is).");
        signatures.push(quote! {
            #[doc = #doc]
            fn #method(&self, #(#params),*) -> impl ::core::future::Future<Output = #p::Result<#p::Option<#ident>, #krate::Error>> + ::core::marker::Send;
        });
        methods.push(quote! {
            async fn #method(&self, #(#params),*) -> #p::Result<#p::Option<#ident>, #krate::Error> {
                #p::find_unique(self, #name, #p::Vec::from([#(#values),*])).await
            }
        });
    }
    let doc = format!(
        "Reads `{ident}` by its unique values (`#[dynamo(unique(..))]`): each `find_by_..` reads the value's guard, then the item it names."
    );
    Generated {
        defs: quote! {
            #[doc = #doc]
            #vis trait #trait_ident {
                #(#signatures)*
            }
        },
        impls: quote! {
            const _: () = #p::unique_guard_keys(&<#ident as #krate::__private::Entity>::TABLE);
            #(#checks)*

            #[automatically_derived]
            impl #trait_ident for #p::Table<#ident> {
                #(#methods)*
            }
        },
    }
}
