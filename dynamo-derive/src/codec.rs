//! How fields are stored, shared by both derives. Generated code refers to the runtime crate by
//! absolute path (`::dynamo_core::__private`, or `#[dynamo(crate = ..)]`) and sits in
//! `const _: () = { .. };`.

use crate::internals::ast::{Container, Field};
use crate::internals::attr::DefaultAttr;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// The path of the runtime crate.
pub(crate) fn krate(container: &Container<'_>) -> TokenStream {
    match &container.attrs.krate {
        Some(path) => quote!(#path),
        None => quote!(::dynamo_core),
    }
}

/// How a field is stored, as an expression of type `__private::Field<T>`, spanned at the
/// field's type so a missing conversion is reported there.
pub(crate) fn field_codec(
    private: &TokenStream,
    owner: &str,
    field: &Field<'_>,
    is_key: bool,
) -> TokenStream {
    let ty = field.ty;
    let name = &field.name;
    let attribute = &field.attribute;
    let span = ty.span();
    let a = &field.attrs;
    let codec = if is_key {
        quote_spanned!(span=> #private::key_field::<#ty>(#owner, #name, #attribute))
    } else if a.ttl.is_some() {
        quote_spanned!(span=> #private::ttl_field::<#ty>(#owner, #name, #attribute))
    } else if a.created_at.is_some() || a.updated_at.is_some() {
        quote_spanned!(span=> #private::timestamp_field::<#ty>(#owner, #name, #attribute))
    } else if a.set.is_some() {
        quote_spanned!(span=> #private::set_field::<#ty>(#owner, #name, #attribute))
    } else if a.json.is_some() {
        quote_spanned!(span=> #private::json_field::<#ty>(#owner, #name, #attribute))
    } else if let Some(with) = &a.with {
        let module = &with.value;
        quote_spanned!(with.span=> #private::Field::<#ty>::custom(#owner, #name, #attribute, #module::into_attribute, #module::from_attribute))
    } else {
        quote_spanned!(span=> #private::value_field::<#ty>(#owner, #name, #attribute))
    };
    match &a.default {
        None => codec,
        Some(default) => {
            let value = match &default.value {
                DefaultAttr::Trait => quote_spanned!(span=> #private::Default::default()),
                DefaultAttr::Path(path) => quote_spanned!(default.span=> #path()),
            };
            quote! {
                #codec.with_missing({
                    fn __default() -> #private::Option<#ty> {
                        #private::Some(#value)
                    }
                    __default
                })
            }
        }
    }
}

/// The value of a skipped field.
pub(crate) fn skipped_value(private: &TokenStream, field: &Field<'_>) -> TokenStream {
    let span = field.ty.span();
    match field.attrs.default.as_ref().map(|d| &d.value) {
        Some(DefaultAttr::Path(path)) => quote_spanned!(span=> #path()),
        _ => quote_spanned!(span=> #private::Default::default()),
    }
}
