//! The per-field constants (attribute and conversions, index key scalars, the version) and
//! `Entity::SCHEMA`: how the fields map to attributes, for schema checks and expressions.

use super::context::{Gen, const_name, role_tokens, spelled};
use super::model::{EntityModel, Key};
use super::template::template_key_field;
use crate::codec::field_codec;
use crate::internals::ast::Field;
use crate::internals::attr::GsiAttr;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

/// One const per stored field (its attribute and conversions) and one per index key field
/// (its scalar type): a type without a conversion is reported once, at the field.
pub(super) fn field_consts(g: &Gen<'_, '_>) -> TokenStream {
    let (p, name) = (&g.p, &g.name);
    let fields = g.c.fields();
    let codecs = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.is_stored())
        .map(|(i, f)| {
            let cname = const_name(i);
            let ty = f.ty;
            let codec = field_codec(p, name, f, f.is_key());
            quote!(const #cname: #p::Field<#ty> = #codec;)
        });
    let index_consts = index_key_fields(g).into_iter().map(|(gsi, i, j, f)| {
        let cname = format_ident!("__INDEX_{}_{}", i, j);
        let ty = f.ty;
        quote_spanned!(gsi.span=> const #cname: #p::ScalarType = <#ty as #p::IndexKeyScalar>::SCALAR;)
    });
    quote!(#(#codecs)* #(#index_consts)*)
}

/// The `#[gsi(..)]` markers, with the position of their field and of the marker on it.
pub(super) fn index_key_fields<'c, 'a>(
    g: &Gen<'c, 'a>,
) -> Vec<(&'c GsiAttr, usize, usize, &'c Field<'a>)> {
    g.c.fields()
        .iter()
        .enumerate()
        .flat_map(|(i, f)| {
            f.attrs
                .gsi
                .iter()
                .enumerate()
                .map(move |(j, gsi)| (gsi, i, j, f))
        })
        .collect()
}

/// The value of `Entity::SCHEMA`.
pub(super) fn schema(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> TokenStream {
    let (p, krate, name) = (&g.p, &g.krate, &g.name);
    let (c, ident) = (g.c, g.c.ident);
    let key_field = |key: Key<'_, '_>| match key {
        Key::Field(f) => {
            let cname = const_name(g.index_of(f));
            let (fname, attribute) = (f.name.as_str(), &f.attribute);
            quote!(#p::KeyField { field: #fname, attribute: #attribute, scalar: #cname.scalar(), template: #p::None })
        }
        Key::Template(n) => template_key_field(g, n),
    };
    let partition_key = key_field(m.pk);
    let sort_key = match m.sk {
        Some(sk) => {
            let sk = key_field(sk);
            quote!(#p::Some(#sk))
        }
        None => quote!(#p::None),
    };
    let attributes = c.fields().iter().filter(|f| f.attrs.is_stored()).map(|f| {
        let (fname, attribute) = (f.name.as_str(), &f.attribute);
        let ty = stored_type(f);
        quote!(#p::FieldAttribute { field: #fname, attribute: #attribute, ty: #ty })
    });
    let marked_index_keys = index_key_fields(g).into_iter().map(|(gsi, i, j, f)| {
        let cname = format_ident!("__INDEX_{}_{}", i, j);
        let role = role_tokens(p, gsi.role);
        let (index, fname, attribute) = (&gsi.index, f.name.as_str(), &f.attribute);
        quote!(#p::IndexKeyField {
            index: #index,
            role: #role,
            key: #p::KeyField { field: #fname, attribute: #attribute, scalar: #cname, template: #p::None },
        })
    });
    let template_index_keys = c.templates.iter().enumerate().filter_map(|(n, t)| {
        let index = t.index_name()?;
        let role = role_tokens(p, t.role);
        let key = template_key_field(g, n);
        Some(quote!(#p::IndexKeyField { index: #index, role: #role, key: #key }))
    });
    let attribute_of = |f: Option<&Field<'_>>| match f {
        Some(f) => {
            let attribute = &f.attribute;
            quote!(#p::Some(#attribute))
        }
        None => quote!(#p::None),
    };
    let (ttl, version) = (attribute_of(m.ttl), attribute_of(m.version));
    let entity_type = c
        .attrs
        .entity
        .as_ref()
        .map_or_else(|| name.clone(), syn::LitStr::value);
    let lowercase = c.attrs.key_case_lower();
    let (created_at, updated_at) = (
        attribute_of(c.marked(|a| a.created_at)),
        attribute_of(c.marked(|a| a.updated_at)),
    );
    let unique = super::unique::constraints(g);
    let versions = super::versions::schema_fields(g);
    // A frozen version writes and reads the entity type of the entity it is a version of.
    let (entity_type, version_of) = match &c.attrs.version_of {
        Some(of) => {
            let path = &of.value;
            (
                quote!(<#path as #krate::__private::Entity>::SCHEMA.entity_type),
                quote!(#p::Some(<#path as #krate::__private::Entity>::SCHEMA.name)),
            )
        }
        None => (
            quote!(#p::entity_type(&<#ident as #krate::__private::Entity>::TABLE, #entity_type)),
            quote!(#p::None),
        ),
    };
    quote! {
        #krate::__private::EntitySchema {
            name: #name,
            partition_key: #partition_key,
            sort_key: #sort_key,
            attributes: &[#(#attributes),*],
            index_keys: &[#(#marked_index_keys,)* #(#template_index_keys,)*],
            ttl_attribute: #ttl,
            version_attribute: #version,
            entity_type: #entity_type,
            lowercase_keys: #lowercase,
            created_at_attribute: #created_at,
            updated_at_attribute: #updated_at,
            unique: #unique,
            #versions
            version_of: #version_of,
        }
    }
}

/// With a `#[version]` field: its conversions' const, the `Entity` methods that read and set it,
/// and the `Versioned` impl.
pub(super) fn version(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> (TokenStream, TokenStream) {
    let (p, krate) = (&g.p, &g.krate);
    let ident = g.c.ident;
    let Some(v) = m.version else {
        return (TokenStream::new(), TokenStream::new());
    };
    let (ty, member, cname) = (v.ty, v.ident, const_name(g.index_of(v)));
    let consts = quote_spanned! {v.ty.span()=>
        const __VERSION: #p::Version<#ty> = #p::version::<#ty>();
    };
    let methods = quote! {
        fn version(&self) -> #p::Option<u64> {
            #p::Some(__VERSION.get(#p::Clone::clone(&self.#member)))
        }
        fn set_version(&mut self, version: u64) -> #p::Result<(), #p::MappingError> {
            __VERSION.set(&mut self.#member, version, &#cname)
        }
    };
    let versioned = quote! {
        #[automatically_derived]
        impl #krate::__private::Versioned for #ident {}
    };
    (quote!(#consts #versioned), methods)
}

/// A field's Rust type as written (`Option<Vec<String>>`), and how it is stored when not by its
/// `DynamoValue` (`(json)`, `(set)`, `(with module)`) and whether an absent attribute reads as
/// its default (`(default)`): a stored-shape snapshot's record of it.
fn stored_type(f: &Field<'_>) -> String {
    let mut text = spelled(f.ty).replace(',', ", ").replace(';', "; ");
    if f.attrs.json.is_some() {
        text.push_str(" (json)");
    } else if f.attrs.set.is_some() {
        text.push_str(" (set)");
    } else if let Some(with) = &f.attrs.with {
        text.push_str(&format!(" (with {})", spelled(&with.value)));
    }
    if f.attrs.default.is_some() {
        // Read as its default when absent: adding it keeps older items readable.
        text.push_str(" (default)");
    }
    text
}
