//! The entity's `TableDef`: the declared one with the compile-time checks against it, or the
//! one `table_name` and the fields define.

use super::context::{Gen, const_name, role_tokens};
use super::model::{EntityModel, Key};
use super::schema::index_key_fields;
use super::template::{component_const, delimiter_texts};
use crate::internals::attr::IndexRole;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

/// The entity's `TableDef`, and with `table = CONST` the compile-time checks against it.
pub(super) fn table_and_checks(
    g: &Gen<'_, '_>,
    m: &EntityModel<'_, '_>,
) -> (TokenStream, TokenStream) {
    let (c, p, krate) = (g.c, &g.p, &g.krate);
    let ident = c.ident;
    let Some(table) = &c.attrs.table else {
        return (declared_table(g, m), TokenStream::new());
    };
    let path = &table.value;
    let path_str = super::context::spelled(path);
    // The declared table is named once, so a path that is not a `TableDef` is reported once.
    let table_expr = quote!(__TABLE);
    let table_const =
        quote_spanned!(table.span=> const __TABLE: #krate::__private::TableDef = #path;);
    let schema = quote!(&<#ident as #krate::__private::Entity>::SCHEMA);
    let path = quote!(__TABLE);
    let name = &g.name;
    let check = |span: Span, call: TokenStream| {
        quote_spanned! {span=>
            const _: () = match #call {
                #p::Some(msg) => ::core::panic!("{}", msg.as_str()),
                #p::None => (),
            };
        }
    };
    let mut checks = Vec::new();
    match m.pk {
        Key::Field(f) => checks.push(check(
            f.ident.span(),
            quote!(#p::check_partition_key(#schema, &#path, #path_str)),
        )),
        Key::Template(_) => {}
    }
    match m.sk {
        Some(Key::Field(sk)) => checks.push(check(
            sk.ident.span(),
            quote!(#p::check_sort_key(#schema, &#path, #path_str)),
        )),
        Some(Key::Template(_)) => {}
        None => checks.push(check(
            table.span,
            quote!(#p::check_no_sort_key(#schema, &#path, #path_str)),
        )),
    }
    for (i, (gsi, ..)) in index_key_fields(g).into_iter().enumerate() {
        checks.push(check(
            gsi.span,
            quote!(#p::check_index_key(#schema, #i, &#path, #path_str)),
        ));
    }
    for (n, t) in c.templates.iter().enumerate() {
        let (text, role) = (&t.template.text, role_tokens(p, t.role));
        let index = match t.index_name() {
            Some(index) => quote!(#p::Some(#index)),
            None => quote!(#p::None),
        };
        // A missing index is reported by its first template only.
        let report_index = c
            .templates
            .iter()
            .position(|o| o.index.is_some() && o.index_name() == t.index_name())
            .is_none_or(|first| first == n);
        checks.push(check(
            t.span(),
            quote!(#p::check_template_key(#name, #text, #index, #role, #report_index, &#path, #path_str)),
        ));
        let components = g.components(n).into_iter().zip(delimiter_texts(g, n));
        let shard = t.template.shard();
        let mut values = Vec::new();
        for (k, ((f, width), delimiter)) in components.enumerate() {
            let (component, fname) = (component_const(n, k), f.name.as_str());
            checks.push(check(
                t.span(),
                quote!(#p::check_component(#text, #fname, #width, #delimiter, #component.numeric, #component.charset)),
            ));
            values.push(match shard {
                Some((name, shards)) if name == fname => {
                    let shards = u64::from(shards);
                    quote!(#shards)
                }
                _ => {
                    quote!(#p::component_values(#component.cardinality, #width, #component.numeric))
                }
            });
        }
        // A constant partition template is the rule `partition_templates_spread`'s; one with a
        // placeholder that names no field is reported already.
        let named = values.len() == t.template.components().count();
        if t.role == IndexRole::Partition && !t.template.is_constant() && named {
            let accepted = c.attrs.hot_partition_ok.is_some();
            checks.push(check(
                t.span(),
                quote!(#p::check_partition_values(#name, #text, #index, &[#(#values),*], #accepted)),
            ));
        }
    }
    if let Some(entity) = &c.attrs.entity {
        checks.push(check(
            entity.span(),
            quote!(#p::check_entity_attribute(#schema, &#path, #path_str)),
        ));
    }
    for f in c.fields().iter().filter(|f| f.attrs.is_stored()) {
        let (fname, attribute) = (f.name.as_str(), &f.attribute);
        let call = if f.attrs.ttl.is_some() {
            quote!(#p::check_ttl(#schema, #fname, &#path, #path_str))
        } else {
            quote!(#p::check_not_ttl_attribute(#schema, #fname, #attribute, &#path, #path_str))
        };
        checks.push(check(f.attrs.ttl.unwrap_or_else(|| f.ident.span()), call));
        let span = f
            .attrs
            .rename
            .as_ref()
            .map_or_else(|| f.ident.span(), |r| r.span);
        checks.push(check(
            span,
            quote!(#p::check_not_entity_attribute(#schema, #fname, #attribute, &#path, #path_str)),
        ));
        if !c.templates.is_empty() {
            checks.push(check(
                span,
                quote!(#p::check_not_template_attribute(#schema, #fname, #attribute)),
            ));
        }
    }
    (table_expr, quote!(#table_const #(#checks)*))
}

/// With `table_name`, the entity is the table's definition.
pub(super) fn declared_table(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> TokenStream {
    let (c, p) = (g.c, &g.p);
    let name = c
        .attrs
        .table_name
        .as_ref()
        .map_or_else(|| c.ident.to_string(), |n| n.value.clone());
    let key_def = |key: Key<'_, '_>| match key {
        Key::Field(f) => {
            let (attribute, cname) = (&f.attribute, const_name(g.index_of(f)));
            quote!(#p::KeyDef::new(#attribute, #cname.scalar()))
        }
        // Templates need a declared table: reported, and not generated.
        Key::Template(_) => quote!(#p::KeyDef::string("")),
    };
    let pk = key_def(m.pk);
    let sk = m.sk.map(|sk| {
        let sk = key_def(sk);
        quote!(let table = table.with_sort_key(#sk);)
    });
    let ttl = m.ttl.map(|f| {
        let attribute = &f.attribute;
        quote!(let table = table.with_ttl_attribute(#attribute);)
    });

    // Indexes in order of first appearance.
    let mut names: Vec<&str> = Vec::new();
    for f in c.fields() {
        for gsi in &f.attrs.gsi {
            if !names.contains(&gsi.index.as_str()) {
                names.push(&gsi.index);
            }
        }
    }
    let index_key = |index: &str, role: IndexRole| {
        c.fields().iter().enumerate().find_map(|(i, f)| {
            let j = f
                .attrs
                .gsi
                .iter()
                .position(|g| g.index == index && g.role == role)?;
            let (attribute, cname) = (&f.attribute, format_ident!("__INDEX_{}_{}", i, j));
            Some(quote!(#p::KeyDef::new(#attribute, #cname)))
        })
    };
    let indexes = names.iter().filter_map(|index| {
        let pk = index_key(index, IndexRole::Partition)?;
        let sk = match index_key(index, IndexRole::Sort) {
            Some(sk) => quote!(#p::Some(#sk)),
            None => quote!(#p::None),
        };
        Some(quote!(#p::IndexDef::global(#index, #pk, #sk)))
    });
    quote! {{
        const INDEXES: &[#p::IndexDef] = &[#(#indexes),*];
        let table = #p::TableDef::new(#name, #pk);
        #sk
        #ttl
        table.with_indexes(INDEXES)
    }}
}
