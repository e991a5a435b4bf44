//! `#[derive(DynamoCollection)]`: an enum of entities that share a partition, read by one query.
//!
//! Each variant holds one entity (`Seat(Seat)`); an optional `#[dynamo(other)]` variant takes
//! the items of types the enum does not list (unit, or holding the raw `Item`). Whether the
//! members can share a partition (one table, one partition template, sort keys and entity
//! types that tell them apart) is checked at compile time by constant evaluation.

use crate::internals::attr::{ContainerAttrs, Place};
use crate::internals::ctxt::{Ctxt, closest};
use crate::internals::symbol::{DYNAMO, MEMBER_KEYS, OTHER};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

struct Member<'a> {
    variant: &'a syn::Ident,
    ty: &'a syn::Type,
}

/// `#[dynamo(other)]`: a unit variant, or one holding the item.
struct Other<'a> {
    variant: &'a syn::Ident,
    holds_item: bool,
}

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let attrs = ContainerAttrs::parse(&mut cx, &input.attrs, Place::CollectionContainer);
    if let Some(index) = attrs.index.as_ref().filter(|i| i.value.is_empty()) {
        cx.syn_error(syn::Error::new(
            index.span,
            "index = \"\" names no index: write the index's name, e.g. #[dynamo(index = GSI1)]",
        ));
    }
    let generated = model(&mut cx, input).map_or_else(TokenStream::new, |(members, other)| {
        generate(input, &attrs, &members, other.as_ref())
    });
    let errors = cx.into_compile_errors();
    quote!(#errors #generated)
}

fn model<'a>(
    cx: &mut Ctxt,
    input: &'a DeriveInput,
) -> Option<(Vec<Member<'a>>, Option<Other<'a>>)> {
    let ident = &input.ident;
    let Data::Enum(data) = &input.data else {
        cx.error_spanned_by(
            ident,
            format!("#[derive(DynamoCollection)] needs an enum with one variant per entity, e.g. `enum {ident} {{ Event(Event), Seat(Seat) }}`"),
        );
        return None;
    };
    if let Some(param) = input.generics.params.first() {
        cx.error_spanned_by(
            param,
            format!("collection `{ident}` cannot be generic: it reads the entities of one table"),
        );
        return None;
    }
    let mut members = Vec::new();
    let mut other: Option<Other<'_>> = None;
    for variant in &data.variants {
        let is_other = is_other(cx, variant);
        let single = match &variant.fields {
            Fields::Unnamed(f) if f.unnamed.len() == 1 => Some(&f.unnamed[0].ty),
            _ => None,
        };
        if is_other {
            if let Some(first) = &other {
                cx.error_spanned_by(
                    &variant.ident,
                    format!(
                        "only one variant takes the other items, and `{}` already does",
                        first.variant
                    ),
                );
                continue;
            }
            match (&variant.fields, single) {
                (Fields::Unit, _) => other = Some(Other { variant: &variant.ident, holds_item: false }),
                (_, Some(_)) => other = Some(Other { variant: &variant.ident, holds_item: true }),
                _ => cx.error_spanned_by(
                    &variant.ident,
                    format!("the #[dynamo(other)] variant is a unit (`{}`) or holds the raw item (`{}(Item)`)", variant.ident, variant.ident),
                ),
            }
            continue;
        }
        match single {
            Some(ty) => members.push(Member {
                variant: &variant.ident,
                ty,
            }),
            None => cx.error_spanned_by(
                variant,
                format!(
                    "variant `{v}` of collection `{ident}` must hold one entity, e.g. `{v}({v})`; a variant for the items of other types is marked #[dynamo(other)]",
                    v = variant.ident
                ),
            ),
        }
    }
    if members.is_empty() {
        cx.error_spanned_by(
            ident,
            format!(
                "collection `{ident}` has no entities: add a variant per entity, e.g. `Seat(Seat)`"
            ),
        );
        return None;
    }
    Some((members, other))
}

/// Whether the variant is `#[dynamo(other)]`; other keys are reported.
fn is_other(cx: &mut Ctxt, variant: &syn::Variant) -> bool {
    let mut other = false;
    for attr in variant.attrs.iter().filter(|a| a.path().is_ident(DYNAMO)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(OTHER) {
                other = true;
            } else {
                let key = meta
                    .path
                    .get_ident()
                    .map_or_else(String::new, ToString::to_string);
                let hint = closest(&key, MEMBER_KEYS)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                cx.error_spanned_by(
                    &meta.path,
                    format!("unknown dynamo attribute `{key}` on a collection's variant{hint} (expected `other`)"),
                );
            }
            Ok(())
        });
        if let Err(err) = result {
            cx.syn_error(err);
        }
    }
    other
}

fn generate(
    input: &DeriveInput,
    attrs: &ContainerAttrs,
    members: &[Member<'_>],
    other: Option<&Other<'_>>,
) -> TokenStream {
    let krate = match &attrs.krate {
        Some(path) => quote!(#path),
        None => quote!(::dynamo_core),
    };
    let p = quote!(#krate::__private);
    let ident = &input.ident;
    let name = ident.to_string();
    let first = members[0].ty;
    let (index, on) = match &attrs.index {
        Some(index) => {
            let index = &index.value;
            (
                quote!(#p::Some(#index)),
                quote!(#p::OnIndex<{ #p::index_id(#index) }>),
            )
        }
        None => (quote!(#p::None), quote!(#p::OnTable)),
    };
    let dispatch = members.iter().map(|m| {
        let (variant, ty) = (m.variant, m.ty);
        quote! {
            if #p::is_member::<#ty>(&item, #index) {
                return <#ty as #krate::__private::Entity>::from_item(item).map(#ident::#variant);
            }
        }
    });
    let fallback = match other {
        Some(Other {
            variant,
            holds_item: true,
        }) => quote!(#p::Ok(#ident::#variant(item))),
        Some(Other {
            variant,
            holds_item: false,
        }) => quote!(#p::Ok(#ident::#variant)),
        None => {
            quote!(#p::Err(#p::unknown_member(#name, &<#first as #krate::__private::Entity>::TABLE, &item)))
        }
    };
    let names = members.iter().map(|m| {
        let ty = m.ty;
        quote!(match <#ty as #krate::__private::Entity>::SCHEMA.entity_type {
            #p::Some(t) => t,
            #p::None => <#ty as #krate::__private::Entity>::SCHEMA.name,
        })
    });
    let prefixes = members.iter().map(|m| {
        let ty = m.ty;
        quote!(#p::sort_prefix_on::<#ty>(#index))
    });
    let takes_others = other.is_some();
    let member_impls = members.iter().map(|m| {
        let (variant, ty) = (m.variant, m.ty);
        quote! {
            #[automatically_derived]
            impl #krate::__private::CollectionOf<#ty> for #ident {}

            #[automatically_derived]
            impl ::core::convert::From<#ty> for #ident {
                fn from(entity: #ty) -> Self {
                    #ident::#variant(entity)
                }
            }
        }
    });
    let check = |span: proc_macro2::Span, call: TokenStream| {
        quote_spanned! {span=>
            const _: () = match #call {
                #p::Some(msg) => ::core::panic!("{}", msg.as_str()),
                #p::None => (),
            };
        }
    };
    let mut checks = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let ty = m.ty;
        if attrs.index.is_some() {
            checks.push(check(
                ty.span(),
                quote!(#p::check_on_index::<#ty>(#name, #index)),
            ));
        }
        if i > 0 {
            checks.push(check(
                ty.span(),
                quote!(#p::check_member::<#first, #ty>(#name, #index)),
            ));
        }
        for earlier in &members[..i] {
            let before = earlier.ty;
            checks.push(check(
                ty.span(),
                quote!(#p::check_members_distinct::<#before, #ty>(#name, #index)),
            ));
        }
    }
    quote! {
        #[allow(non_upper_case_globals, clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #krate::__private::FromItem for #ident {
                fn from_item(item: #p::Item) -> #p::Result<Self, #p::MappingError> {
                    #(#dispatch)*
                    #fallback
                }
            }

            #[automatically_derived]
            impl #krate::__private::Collection for #ident {
                const MEMBERS: &'static [&'static str] = &[#(#names),*];
                const INDEX: #p::Option<&'static str> = #index;
                const SORT_PREFIXES: &'static [&'static str] = &[#(#prefixes),*];
                const TAKES_OTHERS: bool = #takes_others;
            }

            #[automatically_derived]
            impl #krate::__private::CollectionOn<#on> for #ident {}

            #(#member_impls)*

            #(#checks)*
        };
    }
}
