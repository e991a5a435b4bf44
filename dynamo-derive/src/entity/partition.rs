//! `{Entity}{Index}Partition` and `{Entity}{Index}SortKey`: what queries and their sort key
//! conditions take.

use super::context::{Gen, Generated, const_name, is_spelled, option_inner};
use super::index_keys::index_keys_struct;
use super::model::{EntityModel, Key};
use super::template::{shard_fn, template_call};
use crate::internals::ast::Field;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The partition types of the table and of each index, their sort key types, and the index
/// keys structs updates take.
pub(super) fn partitions(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> Generated {
    let mut out = partition(g, None, "", Some(m.pk), m.sk);
    for index in &m.indexes {
        out.extend(partition(
            g,
            Some(&index.name),
            &index.type_part,
            index.pk,
            index.sk,
        ));
        out.extend(index_keys_struct(g, m, index));
    }
    out
}

/// The member a partition or sort struct has for a component field, and how it is read.
pub(super) struct Member<'f> {
    pub(super) field: &'f Field<'f>,
    pub(super) ty: TokenStream,
}

/// `{Entity}{Index}Partition` (and `{Entity}{Index}SortKey` for a sort template).
pub(super) fn partition(
    g: &Gen<'_, '_>,
    index: Option<&str>,
    type_part: &str,
    pk: Option<Key<'_, '_>>,
    sk: Option<Key<'_, '_>>,
) -> Generated {
    let Some(pk) = pk else {
        return Generated::default();
    };
    let (p, krate) = (&g.p, &g.krate);
    let ident = g.c.ident;
    let vis = &g.c.input.vis;
    let name = &g.name;
    let partition_ident = format_ident!("{}{}Partition", g.stem(), type_part);
    let sort_ident = format_ident!("{}{}SortKey", g.stem(), type_part);
    let place = match index {
        Some(index) => format!("index `{index}` of the table of [`{name}`]"),
        None => format!("the table of [`{name}`]"),
    };
    let (index_tokens, index_type) = match index {
        Some(index) => (
            quote!(#p::Some(#index)),
            quote!(#p::OnIndex<{ #p::index_id(#index) }>),
        ),
        None => (quote!(#p::None), quote!(#p::OnTable)),
    };

    // The partition's members and value. An index key field's `Option` (a sparse index) is
    // left out: a query names a partition. (Read off the type's syntax, so a type that is no
    // key is reported once, at its field.)
    // A sharded template (`{shard(field):N}`): the shard's field is no member; the partition
    // names its shards instead.
    let mut sharded: Option<u32> = None;
    let (members, value): (Vec<Member<'_>>, TokenStream) = match pk {
        Key::Field(f) => {
            let (cname, member) = (const_name(g.index_of(f)), f.ident);
            match option_inner(f.ty).filter(|_| index.is_some()) {
                None => {
                    let ty = f.ty;
                    (
                        vec![Member {
                            field: f,
                            ty: quote!(#ty),
                        }],
                        quote!(#p::Ok(#p::Vec::from([#cname.key_value(self.#member)?]))),
                    )
                }
                Some(inner) => (
                    vec![Member {
                        field: f,
                        ty: quote!(#inner),
                    }],
                    quote!(#p::Ok(#p::Vec::from([#cname.key_value(#p::Some(self.#member))?]))),
                ),
            }
        }
        Key::Template(n) => {
            let shard = g.template(n).template.shard();
            let components = g.components(n);
            let members: Vec<Member<'_>> = components
                .iter()
                .filter(|(f, _)| shard.is_none_or(|(name, _)| f.name != name))
                .map(|(f, _)| Member {
                    field: f,
                    ty: g.component_type(n, f),
                })
                .collect();
            match shard {
                None => {
                    let call = template_call(g, n, &quote!(self));
                    (
                        members,
                        quote!(#p::Ok(#p::Vec::from([#p::key_text(#call)]))),
                    )
                }
                Some((name, count)) => {
                    let k = components
                        .iter()
                        .position(|(f, _)| f.name == name)
                        .unwrap_or_default();
                    sharded = Some(count);
                    let at = shard_fn(n);
                    let of = format_ident!("__TEMPLATE_{}_OF", n);
                    let args: Vec<TokenStream> = members
                        .iter()
                        .map(|m| {
                            let member = m.field.ident;
                            quote!(&self.#member)
                        })
                        .collect();
                    (
                        members,
                        quote!(#p::shard_values(self.shards, #count, &#of[#k], |shard| #at(#(#args,)* shard))),
                    )
                }
            }
        }
    };

    // The sort key type and scope.
    let mut sort_items = Generated::default();
    let (sort_type, scope) = match sk {
        None => (quote!(#p::NoSortKey), quote!(#p::SortScope::None)),
        Some(Key::Field(f)) => {
            let ty = match option_inner(f.ty).filter(|_| index.is_some()) {
                Some(inner) => inner,
                None => f.ty,
            };
            (quote!(#p::SortField<#ty>), quote!(#p::SortScope::Any))
        }
        Some(Key::Template(n)) => {
            let t = &g.template(n).template;
            let prefix = t.prefix();
            if t.is_constant() {
                (quote!(#p::NoSortKey), quote!(#p::SortScope::Exact(#prefix)))
            } else {
                sort_items = sort_struct(g, n, &sort_ident, &place);
                let scope = if prefix.is_empty() {
                    quote!(#p::SortScope::Any)
                } else {
                    quote!(#p::SortScope::Prefix(#prefix))
                };
                (quote!(#sort_ident), scope)
            }
        }
    };

    let member_idents: Vec<_> = members.iter().map(|m| m.field.ident).collect();
    let member_types: Vec<_> = members.iter().map(|m| &m.ty).collect();
    let member_docs = members.iter().map(|m| format!("Field `{}`.", m.field.name));
    let doc = format!(
        "A partition of {place}, generated by `#[derive(DynamoEntity)]`: what `Table::query` takes."
    );
    let (shards_member, constructors, shard_count) = match sharded {
        None => (
            TokenStream::new(),
            quote! {
                /// The partition of these key parts.
                #[allow(clippy::too_many_arguments)]
                pub fn new(#(#member_idents: impl #p::ValueOf<#member_types>),*) -> Self {
                    #partition_ident { #(#member_idents: #p::ValueOf::into_value(#member_idents)),* }
                }
            },
            TokenStream::new(),
        ),
        Some(count) => {
            let all_doc = format!(
                "The whole logical partition of these key parts: its {count} shards, read concurrently and merged in sort key order."
            );
            let shard_doc = format!(
                "Shard `n` (0 to {}) of the partition of these key parts: for a worker that owns it. A shard out of range fails the query.",
                count - 1
            );
            (
                quote! {
                    /// The shards read.
                    pub shards: #p::Shards,
                },
                quote! {
                    #[doc = #all_doc]
                    #[allow(clippy::too_many_arguments)]
                    pub fn all(#(#member_idents: impl #p::ValueOf<#member_types>),*) -> Self {
                        #partition_ident {
                            #(#member_idents: #p::ValueOf::into_value(#member_idents),)*
                            shards: #p::Shards::All,
                        }
                    }

                    #[doc = #shard_doc]
                    #[allow(clippy::too_many_arguments)]
                    pub fn shard(#(#member_idents: impl #p::ValueOf<#member_types>,)* n: u32) -> Self {
                        #partition_ident {
                            #(#member_idents: #p::ValueOf::into_value(#member_idents),)*
                            shards: #p::Shards::One(n),
                        }
                    }
                },
                quote!(const SHARDS: u32 = #count;),
            )
        }
    };
    let defs = quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #partition_ident {
            #(
                #[doc = #member_docs]
                pub #member_idents: #member_types,
            )*
            #shards_member
        }
    };
    let impls = quote! {
            #[automatically_derived]
            impl #partition_ident {
                #constructors
            }

            #[automatically_derived]
            impl #krate::__private::PartitionOf<#ident> for #partition_ident {}

            #[automatically_derived]
            impl #krate::__private::Partition for #partition_ident {
                type Entity = #ident;
                type Sort = #sort_type;
                type Index = #index_type;
                const INDEX: #p::Option<&'static str> = #index_tokens;
                const SORT: #p::SortScope = #scope;
                #shard_count

                fn partition_values(self) -> #p::Result<#p::Vec<#p::AttributeValue>, #p::MappingError> {
                    #value
                }
            }
    };
    let mut out = Generated { defs, impls };
    out.extend(sort_items);
    out
}

/// `{Entity}{Index}SortKey`: the components of a sort template, its prefixes, and what a sort
/// key condition takes.
pub(super) fn sort_struct(
    g: &Gen<'_, '_>,
    n: usize,
    sort_ident: &syn::Ident,
    place: &str,
) -> Generated {
    let (p, krate) = (&g.p, &g.krate);
    let vis = &g.c.input.vis;
    let t = &g.template(n).template;
    let components = g.components(n);
    let idents: Vec<_> = components.iter().map(|(f, _)| f.ident).collect();
    let types: Vec<_> = components
        .iter()
        .map(|(f, _)| g.component_type(n, f))
        .collect();
    let docs = components
        .iter()
        .map(|(f, _)| format!("Field `{}`.", f.name));
    let doc = format!(
        "The sort key of {place}, `{}`: what sort key conditions take, whole (`new`) or as a prefix of its first fields.",
        t.text
    );
    let call = template_call(g, n, &quote!(self));
    let prefixes = (0..components.len().saturating_sub(1)).map(|k| {
        let pname = format_ident!("__template_{}_prefix_{}", n, k);
        let method = idents[k];
        let args = &idents[..=k];
        let arg_types = &types[..=k];
        let doc = format!(
            "Every sort key starting with these fields: `{}`.",
            t.text
        );
        quote! {
            #[doc = #doc]
            pub fn #method(#(#args: impl #p::ValueOf<#arg_types>),*) -> #krate::__private::SortPrefix<#sort_ident> {
                #(let #args: #arg_types = #p::ValueOf::into_value(#args);)*
                #krate::__private::SortPrefix::__new(#pname(#(&#args),*))
            }
        }
    });
    // Partial components: `{field}_within(.., TimePrefix)` for a timestamp (a whole one matches
    // one instant), `{field}_starting(.., "Ja")` for text: the keys whose component is within
    // the span or starts with the text, after the fields before it.
    let of = format_ident!("__TEMPLATE_{}_OF", n);
    let leading = t.prefix();
    let partials = components.iter().enumerate().filter_map(|(k, (f, _))| {
        let field = f.ident.to_string();
        let field = field.trim_start_matches("r#");
        let (method, arg, arg_type, call, what) = if is_spelled(f.ty, "OffsetDateTime") {
            (
                format_ident!("{}_within", field),
                format_ident!("within"),
                quote!(#krate::keys::TimePrefix),
                quote!(within.__after(__head, &#of[#k])),
                "is within `within` (a UTC year, month, day, hour or minute: `TimePrefix`)",
            )
        } else if is_spelled(f.ty, "String") {
            (
                format_ident!("{}_starting", field),
                format_ident!("start"),
                quote!(&str),
                quote!(#p::partial_component(__head, start, &#of[#k])),
                "starts with `start`",
            )
        } else {
            return None;
        };
        let args = &idents[..k];
        let arg_types = &types[..k];
        let head = if k == 0 {
            quote!(#p::Ok(#p::String::from(#leading)))
        } else {
            let pname = format_ident!("__template_{}_prefix_{}", n, k - 1);
            quote!(#pname(#(&#args),*))
        };
        let doc = format!(
            "Every sort key of `{}` whose `{}` {what}{}.",
            t.text,
            f.name,
            if k == 0 { "" } else { ", after these fields" }
        );
        Some(quote! {
            #[doc = #doc]
            pub fn #method(#(#args: impl #p::ValueOf<#arg_types>,)* #arg: #arg_type) -> #krate::__private::SortPrefix<#sort_ident> {
                #(let #args: #arg_types = #p::ValueOf::into_value(#args);)*
                let __head = #head;
                #krate::__private::SortPrefix::__new(#call)
            }
        })
    });
    let defs = quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #sort_ident {
            #(
                #[doc = #docs]
                pub #idents: #types,
            )*
        }
    };
    let impls = quote! {
            #[automatically_derived]
            impl #sort_ident {
                /// The whole sort key.
                #[allow(clippy::too_many_arguments)]
                pub fn new(#(#idents: impl #p::ValueOf<#types>),*) -> Self {
                    #sort_ident { #(#idents: #p::ValueOf::into_value(#idents)),* }
                }

                #(#prefixes)*

                #(#partials)*
            }

            #[automatically_derived]
            impl #krate::__private::SortArg<#sort_ident> for #sort_ident {
                fn sort_bound(self) -> #p::Result<#p::SortBound, #p::BoundError> {
                    #p::Ok(#p::SortBound::Value(#p::key_text(#call)))
                }
            }

            #[automatically_derived]
            impl #krate::__private::SortArg<#sort_ident> for #krate::__private::SortPrefix<#sort_ident> {
                fn sort_bound(self) -> #p::Result<#p::SortBound, #p::BoundError> {
                    self.__bound()
                }
            }
    };
    Generated { defs, impls }
}
