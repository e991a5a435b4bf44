//! Schema versions (`schema_version = N`, `upgrade(from = .., via = .., with = ..)`,
//! `version_of = Entity`): the version every write stamps, the dispatch on it at the start of
//! `from_item`, the `VersionOf` impl of a frozen version and the checks of each upgrade.

use super::context::Gen;
use crate::internals::attr::UpgradeAttr;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// The schema version attribute and its value, for `into_item`: `None` without a version.
pub(super) fn stamp(g: &Gen<'_, '_>) -> Option<(TokenStream, TokenStream)> {
    let p = &g.p;
    let version = g.c.attrs.schema_version.as_ref()?.value;
    Some((
        quote!(#p::SCHEMA_VERSION_ATTRIBUTE),
        quote!(#p::Some(#p::schema_version_value(#version))),
    ))
}

/// `EntitySchema::schema_version` and `upgrades_from` (ascending).
pub(super) fn schema_fields(g: &Gen<'_, '_>) -> TokenStream {
    let p = &g.p;
    let attrs = &g.c.attrs;
    let version = match &attrs.schema_version {
        Some(v) => {
            let v = v.value;
            quote!(#p::Some(#v))
        }
        None => quote!(#p::None),
    };
    let mut from: Vec<u32> = attrs.upgrades.iter().map(|u| u.from.value).collect();
    from.sort_unstable();
    from.dedup();
    quote!(schema_version: #version, upgrades_from: &[#(#from),*],)
}

/// The upgrades the checks accept (each from an earlier version, once, on an entity that is no
/// frozen version): the others are reported already, and generate nothing more to report.
fn upgrades<'c>(g: &Gen<'c, '_>) -> Vec<&'c UpgradeAttr> {
    let attrs = &g.c.attrs;
    let (Some(current), None) = (&attrs.schema_version, &attrs.version_of) else {
        return Vec::new();
    };
    let mut out: Vec<&UpgradeAttr> = Vec::new();
    for u in &attrs.upgrades {
        if u.from.value < current.value && out.iter().all(|o| o.from.value != u.from.value) {
            out.push(u);
        }
    }
    out
}

/// The statements `from_item` starts with on a versioned entity: the stored version read; an
/// item of the current version goes on to the mapping below, one of an upgraded version is
/// read by its frozen struct and upgraded, any other is an error naming the versions known.
pub(super) fn dispatch(g: &Gen<'_, '_>) -> TokenStream {
    let (p, krate, ident) = (&g.p, &g.krate, g.c.ident);
    let Some(current) = g.c.attrs.schema_version.as_ref().map(|v| v.value) else {
        return TokenStream::new();
    };
    let entity = quote!(<#ident as #krate::__private::Entity>);
    let arms = upgrades(g).into_iter().map(|u| {
        let (from, via, with) = (u.from.value, &u.via, &u.with);
        // The frozen struct is checked at `via` (`impls_and_checks`), the function here.
        let call = quote_spanned!(with.span()=> #p::upgrade::<#ident, #via, _>);
        quote!(#from => #call(__dynamo_item, #with),)
    });
    quote! {
        let __dynamo_version = #p::read_schema_version(&__dynamo_item, &#entity::TABLE, &#entity::SCHEMA)?;
        if __dynamo_version != #current {
            #p::read_entity_type(
                __dynamo_item.get(#p::table_attributes(&#entity::TABLE)[2]),
                &#entity::TABLE,
                &#entity::SCHEMA,
            )
            .map_err(|e| e.with_key(#p::key_attributes(&#entity::TABLE, &__dynamo_item)))?;
            #[allow(unreachable_patterns)]
            return match __dynamo_version {
                #(#arms)*
                _ => #p::Err(#p::unknown_schema_version(
                    &__dynamo_item,
                    __dynamo_version,
                    &#entity::TABLE,
                    &#entity::SCHEMA,
                )),
            };
        }
    }
}

/// `impl VersionOf<Entity>` for a frozen version, and the compile-time checks of each upgrade:
/// the frozen struct is of the same table and of the version the upgrade reads.
pub(super) fn impls_and_checks(g: &Gen<'_, '_>) -> TokenStream {
    let (p, krate, ident) = (&g.p, &g.krate, g.c.ident);
    let attrs = &g.c.attrs;
    let version_of = attrs.version_of.as_ref().map(|of| {
        let path = &of.value;
        quote_spanned! {of.span=>
            #[automatically_derived]
            impl #krate::__private::VersionOf<#path> for #ident {}
        }
    });
    let checks = upgrades(g).into_iter().map(|u| {
        let (from, via) = (u.from.value, &u.via);
        let via_str = super::context::spelled(via);
        quote_spanned! {via.span()=>
            const _: () = #p::assert_version_of::<#ident, #via>();
            const _: () = match #p::check_upgrade(
                &<#ident as #krate::__private::Entity>::SCHEMA,
                &<#ident as #krate::__private::Entity>::TABLE,
                &<#via as #krate::__private::Entity>::SCHEMA,
                &<#via as #krate::__private::Entity>::TABLE,
                #from,
                #via_str,
            ) {
                #p::Some(msg) => ::core::panic!("{}", msg.as_str()),
                #p::None => (),
            };
        }
    });
    quote!(#version_of #(#checks)*)
}
