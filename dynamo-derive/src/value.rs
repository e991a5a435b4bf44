//! `#[derive(DynamoValue)]`: unit enums as `S`, tagged enums and structs as `M`, newtypes
//! transparent.

use crate::codec::{field_codec, krate, skipped_value};
use crate::internals::ast::{Body, Container, Derive, Field, Variant, VariantBody};
use crate::internals::check::check;
use crate::internals::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::DeriveInput;

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let container = Container::from_ast(&mut cx, input, Derive::Value);
    let generated = match (check(&mut cx, &container, Derive::Value), &container.body) {
        (true, Body::Enum { variants, .. }) if container.attrs.tag.is_some() => {
            tagged_enum(&container, variants)
        }
        (true, Body::Enum { variants, .. }) => unit_enum(&container, variants),
        (true, Body::Newtype(field)) => newtype(&container, field),
        (true, Body::Struct(fields)) => map_struct(&container, fields),
        _ => TokenStream::new(),
    };
    let errors = cx.into_compile_errors();
    quote!(#errors #generated)
}

fn unit_enum(c: &Container<'_>, variants: &[Variant<'_>]) -> TokenStream {
    let krate = krate(c);
    let p = quote!(#krate::__private);
    let ident = c.ident;
    let idents: Vec<_> = variants.iter().map(|v| v.ident).collect();
    let values: Vec<_> = variants.iter().map(|v| &v.value).collect();
    // Every character a value holds: a key template delimiter among them does not compile.
    let cardinality = variants.len() as u64;
    let mut charset = String::new();
    for c in variants.iter().flat_map(|v| v.value.chars()) {
        if !charset.contains(c) {
            charset.push(c);
        }
    }
    quote! {
        #[allow(clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #krate::__private::DynamoValue for #ident {
                #[inline]
                fn into_attribute(self) -> #p::Result<#p::Option<#p::AttributeValue>, #p::ValueError> {
                    let value = match self {
                        #(#ident::#idents => #values,)*
                    };
                    #p::Ok(#p::Some(#p::AttributeValue::S(::std::string::String::from(value))))
                }

                #[inline]
                fn from_attribute(value: #p::AttributeValue) -> #p::Result<Self, #p::ValueError> {
                    let value = #p::take_string(value)?;
                    match value.as_str() {
                        #(#values => #p::Ok(#ident::#idents),)*
                        other => #p::Err(#p::unknown_variant(other, &[#(#values),*])),
                    }
                }
            }

            #[automatically_derived]
            impl #krate::__private::KeyScalar for #ident
            where
                for<'__dynamo> #ident: ::core::clone::Clone + ::core::fmt::Debug + ::core::cmp::PartialEq,
            {
                const SCALAR: #krate::__private::ScalarType = #krate::__private::ScalarType::S;
            }

            #[automatically_derived]
            impl #krate::__private::SetElement for #ident {
                const KIND: #krate::__private::ScalarType = #krate::__private::ScalarType::S;
            }

            #[automatically_derived]
            impl #krate::__private::KeyComponent for #ident {
                const CHARSET: &'static str = #charset;
                const CARDINALITY: u64 = #cardinality;

                #[inline]
                fn write_component(&self, out: &mut ::std::string::String, _width: usize) -> #p::Result<(), #p::ValueError> {
                    out.push_str(match self {
                        #(#ident::#idents => #values,)*
                    });
                    #p::Ok(())
                }
            }
        };
    }
}

/// Adds `T: bound` for every type parameter.
fn bounded_generics(c: &Container<'_>, bound: TokenStream) -> syn::Generics {
    let mut generics = c.input.generics.clone();
    let params: Vec<_> = generics.type_params().map(|t| t.ident.clone()).collect();
    let clause = generics.make_where_clause();
    for param in params {
        clause.predicates.push(syn::parse_quote!(#param: #bound));
    }
    generics
}

fn newtype(c: &Container<'_>, field: &syn::Field) -> TokenStream {
    let krate = krate(c);
    let p = quote!(#krate::__private);
    let ident = c.ident;
    let inner = &field.ty;
    let generics = bounded_generics(c, quote!(#krate::__private::DynamoValue));
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let mut key_where = where_clause
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(where));
    key_where
        .predicates
        .push(syn::parse_quote!(for<'__dynamo> #inner: #krate::__private::KeyScalar));
    key_where.predicates.push(syn::parse_quote!(
        for<'__dynamo> #ident #ty_generics: ::core::clone::Clone + ::core::fmt::Debug + ::core::cmp::PartialEq
    ));
    let mut component_where = where_clause
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(where));
    component_where
        .predicates
        .push(syn::parse_quote!(for<'__dynamo> #inner: #krate::__private::KeyComponent));
    let mut set_where = where_clause
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(where));
    set_where
        .predicates
        .push(syn::parse_quote!(for<'__dynamo> #inner: #krate::__private::SetElement));
    quote! {
        #[allow(clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::__private::DynamoValue for #ident #ty_generics #where_clause {
                #[inline]
                fn into_attribute(self) -> #p::Result<#p::Option<#p::AttributeValue>, #p::ValueError> {
                    <#inner as #krate::__private::DynamoValue>::into_attribute(self.0)
                }

                #[inline]
                fn from_attribute(value: #p::AttributeValue) -> #p::Result<Self, #p::ValueError> {
                    <#inner as #krate::__private::DynamoValue>::from_attribute(value).map(#ident)
                }

                #[inline]
                fn from_missing() -> #p::Option<Self> {
                    <#inner as #krate::__private::DynamoValue>::from_missing().map(#ident)
                }
            }

            #[automatically_derived]
            impl #impl_generics #krate::__private::KeyScalar for #ident #ty_generics #key_where {
                const SCALAR: #krate::__private::ScalarType = <#inner as #krate::__private::KeyScalar>::SCALAR;
            }

            #[automatically_derived]
            impl #impl_generics #krate::__private::SetElement for #ident #ty_generics #set_where {
                const KIND: #krate::__private::ScalarType = <#inner as #krate::__private::SetElement>::KIND;
            }

            #[automatically_derived]
            impl #impl_generics #krate::__private::KeyComponent for #ident #ty_generics #component_where {
                const NUMERIC: bool = <#inner as #krate::__private::KeyComponent>::NUMERIC;
                const CHARSET: &'static str = <#inner as #krate::__private::KeyComponent>::CHARSET;
                const CARDINALITY: u64 = <#inner as #krate::__private::KeyComponent>::CARDINALITY;
                const CASED: bool = <#inner as #krate::__private::KeyComponent>::CASED;

                #[inline]
                fn write_component(&self, out: &mut ::std::string::String, width: usize) -> #p::Result<(), #p::ValueError> {
                    <#inner as #krate::__private::KeyComponent>::write_component(&self.0, out, width)
                }

                fn read_component(text: &str, width: usize) -> #p::Option<#p::AttributeValue> {
                    <#inner as #krate::__private::KeyComponent>::read_component(text, width)
                }
            }
        };
    }
}

fn map_struct(c: &Container<'_>, fields: &[Field<'_>]) -> TokenStream {
    let krate = krate(c);
    let p = quote!(#krate::__private);
    let ident = c.ident;
    let name = ident.to_string();
    let generic = c.input.generics.type_params().next().is_some();
    let generics = bounded_generics(c, quote!(#krate::__private::DynamoValue));
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    // Non-generic structs get one const per field, so a missing conversion is reported once;
    // generic ones build the (free) codec where it is used.
    let codec = |i: usize, f: &Field<'_>| -> TokenStream {
        if generic {
            field_codec(&p, &name, f, false)
        } else {
            let cname = format_ident!("__FIELD_{}", i);
            quote!(#cname)
        }
    };
    let consts = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !generic && f.attrs.is_stored())
        .map(|(i, f)| {
            let cname = format_ident!("__FIELD_{}", i);
            let ty = f.ty;
            let value = field_codec(&p, &name, f, false);
            quote!(const #cname: #p::Field<#ty> = #value;)
        });
    let encode = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.is_stored())
        .map(|(i, f)| {
            let (codec, member) = (codec(i, f), f.ident);
            quote!(#codec.encode_nested(&mut map, self.#member)?;)
        });
    let decode = fields.iter().enumerate().map(|(i, f)| {
        let member = f.ident;
        if f.attrs.is_stored() {
            let codec = codec(i, f);
            quote!(#member: #codec.decode_nested(&mut map)?)
        } else {
            let value = skipped_value(&p, f);
            quote!(#member: #value)
        }
    });
    let count = fields.iter().filter(|f| f.attrs.is_stored()).count();
    quote! {
        #[allow(non_upper_case_globals, clippy::all)]
        const _: () = {
            #(#consts)*

            #[automatically_derived]
            impl #impl_generics #krate::__private::DynamoValue for #ident #ty_generics #where_clause {
                fn into_attribute(self) -> #p::Result<#p::Option<#p::AttributeValue>, #p::ValueError> {
                    let mut map = #p::item_with_capacity(#count);
                    #(#encode)*
                    #p::Ok(#p::Some(#p::AttributeValue::M(map)))
                }

                fn from_attribute(value: #p::AttributeValue) -> #p::Result<Self, #p::ValueError> {
                    let mut map = #p::take_map(value)?;
                    #p::Ok(#ident { #(#decode,)* })
                }
            }
        };
    }
}

/// An enum with `tag = ".."`: a map holding the variant's name in attribute `tag`, and its
/// fields beside it (internally tagged) or, with `content = ".."`, in a map under `content`
/// (adjacently tagged); a variant holding one value merges that value's map (internally) or
/// holds it under `content`.
fn tagged_enum(c: &Container<'_>, variants: &[Variant<'_>]) -> TokenStream {
    let krate = krate(c);
    let p = quote!(#krate::__private);
    let ident = c.ident;
    let name = ident.to_string();
    let generics = bounded_generics(c, quote!(#krate::__private::DynamoValue));
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let tag = c
        .attrs
        .tag
        .as_ref()
        .map(syn::LitStr::value)
        .unwrap_or_default();
    let content = c.attrs.content.as_ref().map(syn::LitStr::value);
    let values: Vec<&String> = variants.iter().map(|v| &v.value).collect();
    let encode = variants.iter().map(|v| {
        let (variant, value) = (v.ident, &v.value);
        let tag_insert = quote!(map.insert(::std::string::String::from(#tag), #p::AttributeValue::S(::std::string::String::from(#value))););
        match &v.body {
            VariantBody::Unit | VariantBody::Tuple => quote! {
                #ident::#variant { .. } => { #tag_insert }
            },
            VariantBody::Named(fields) => {
                let members: Vec<_> = fields.iter().map(|f| f.ident).collect();
                let count = fields.iter().filter(|f| f.attrs.is_stored()).count();
                let writes = fields.iter().filter(|f| f.attrs.is_stored()).map(|f| {
                    let (codec, member) = (field_codec(&p, &name, f, false), f.ident);
                    quote!(#codec.encode_nested(&mut fields, #member)?;)
                });
                let place = match &content {
                    Some(content) => quote! {
                        map.insert(::std::string::String::from(#content), #p::AttributeValue::M(fields));
                    },
                    None => quote!(map.extend(fields);),
                };
                quote! {
                    #[allow(unused_variables)]
                    #ident::#variant { #(#members),* } => {
                        let mut fields = #p::item_with_capacity(#count);
                        #(#writes)*
                        #place
                        #tag_insert
                    }
                }
            }
            VariantBody::Newtype => {
                let place = match &content {
                    Some(content) => quote! {
                        if let #p::Some(value) = #p::DynamoValue::into_attribute(value)? {
                            map.insert(::std::string::String::from(#content), value);
                        }
                    },
                    None => quote! {
                        match #p::DynamoValue::into_attribute(value)? {
                            #p::Some(#p::AttributeValue::M(fields)) => map.extend(fields),
                            #p::None => {}
                            #p::Some(other) => return #p::Err(#p::ValueError::type_mismatch("M (an internally tagged variant holds a map)", &other)),
                        }
                    },
                };
                quote! {
                    #ident::#variant(value) => {
                        #place
                        #tag_insert
                    }
                }
            }
        }
    });
    let decode = variants.iter().map(|v| {
        let (variant, value) = (v.ident, &v.value);
        let fields_of = match &content {
            Some(content) => quote! {
                match map.remove(#content) {
                    #p::Some(value) => #p::take_map(value).map_err(|e| e.at_key(#content))?,
                    #p::None => #p::Item::new(),
                }
            },
            None => quote!(map),
        };
        match &v.body {
            VariantBody::Unit | VariantBody::Tuple => quote!(#value => #p::Ok(#ident::#variant)),
            VariantBody::Named(fields) => {
                let reads = fields.iter().map(|f| {
                    let member = f.ident;
                    if f.attrs.is_stored() {
                        let codec = field_codec(&p, &name, f, false);
                        quote!(#member: #codec.decode_nested(&mut fields)?)
                    } else {
                        let value = skipped_value(&p, f);
                        quote!(#member: #value)
                    }
                });
                quote! {
                    #value => {
                        #[allow(unused_mut)]
                        let mut fields = #fields_of;
                        #p::Ok(#ident::#variant { #(#reads),* })
                    }
                }
            }
            VariantBody::Newtype => {
                let read = match &content {
                    Some(content) => quote! {
                        match map.remove(#content) {
                            #p::Some(value) => #p::DynamoValue::from_attribute(value).map_err(|e| e.at_key(#content))?,
                            #p::None => match #p::DynamoValue::from_missing() {
                                #p::Some(value) => value,
                                #p::None => return #p::Err(#p::ValueError::new(
                                    ::std::format!("the variant's value in attribute \"{}\"", #content),
                                    "no such attribute",
                                )),
                            },
                        }
                    },
                    None => quote!(#p::DynamoValue::from_attribute(#p::AttributeValue::M(map))?),
                };
                quote!(#value => #p::Ok(#ident::#variant(#read)))
            }
        }
    });
    let names = variants.iter().map(|v| {
        let (variant, value) = (v.ident, &v.value);
        quote!(#ident::#variant { .. } => #value)
    });
    quote! {
        #[allow(non_upper_case_globals, clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::__private::Tagged for #ident #ty_generics #where_clause {
                const TAG: &'static str = #tag;
                const VARIANTS: &'static [&'static str] = &[#(#values),*];

                fn variant(&self) -> &'static str {
                    match self {
                        #(#names,)*
                    }
                }
            }

            #[automatically_derived]
            impl #impl_generics #krate::__private::DynamoValue for #ident #ty_generics #where_clause {
                fn into_attribute(self) -> #p::Result<#p::Option<#p::AttributeValue>, #p::ValueError> {
                    let mut map = #p::Item::new();
                    match self {
                        #(#encode)*
                    }
                    #p::Ok(#p::Some(#p::AttributeValue::M(map)))
                }

                fn from_attribute(value: #p::AttributeValue) -> #p::Result<Self, #p::ValueError> {
                    let mut map = #p::take_map(value)?;
                    let tag = match map.remove(#tag) {
                        #p::Some(value) => #p::take_string(value).map_err(|e| e.at_key(#tag))?,
                        #p::None => return #p::Err(#p::ValueError::new(
                            ::std::format!("a map with the variant in attribute \"{}\"", #tag),
                            "a map without it",
                        )),
                    };
                    match tag.as_str() {
                        #(#decode,)*
                        other => #p::Err(#p::unknown_variant(other, &[#(#values),*]).at_key(#tag)),
                    }
                }
            }
        };
    }
}
