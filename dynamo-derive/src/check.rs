//! Validation of the parsed model: one function per rule. Rules that depend on types (key
//! scalars, TTL and version types) and on the declared `TableDef` are checked by the generated
//! code, through traits and constant evaluation.

use crate::ast::{Container, Field};
use crate::attr::IndexRole;
use crate::ctxt::Ctxt;
use proc_macro2::Span;
use std::collections::HashMap;

/// The key roles of an entity's fields, once the rules hold.
pub(crate) struct EntityModel<'c, 'a> {
    pub(crate) pk: &'c Field<'a>,
    pub(crate) sk: Option<&'c Field<'a>>,
    pub(crate) ttl: Option<&'c Field<'a>>,
    pub(crate) version: Option<&'c Field<'a>>,
}

pub(crate) fn entity<'c, 'a>(
    cx: &mut Ctxt,
    container: &'c Container<'a>,
) -> Option<EntityModel<'c, 'a>> {
    table_source(cx, container);
    let fields = container.fields();
    for field in fields {
        skip_conflicts(cx, field);
        codec_conflicts(cx, field);
        key_field(cx, field);
    }
    no_shared_attribute(cx, fields);
    gsi_keys(cx, container);
    let pk = single(cx, fields, |f| f.attrs.pk, "#[pk]", "partition key");
    let sk = single(cx, fields, |f| f.attrs.sk, "#[sk]", "sort key");
    let ttl = single(cx, fields, |f| f.attrs.ttl, "#[ttl]", "TTL attribute");
    let version = single(
        cx,
        fields,
        |f| f.attrs.version,
        "#[version]",
        "version attribute",
    );
    let pk = match pk {
        Some(pk) => pk,
        None => {
            cx.error_spanned_by(
                container.ident,
                format!(
                    "entity `{}` has no partition key; mark the field that holds it with #[pk] (and #[dynamo(rename = \"..\")] when the table's key attribute has another name)",
                    container.ident
                ),
            );
            return None;
        }
    };
    Some(EntityModel {
        pk,
        sk,
        ttl,
        version,
    })
}

/// `table = CONST` or `table_name = ".."`, exactly one.
fn table_source(cx: &mut Ctxt, container: &Container<'_>) {
    match (&container.attrs.table, &container.attrs.table_name) {
        (Some(_), Some(name)) => cx.syn_error(syn::Error::new(
            name.span,
            "use either `table = CONST` (a declared TableDef the entity is checked against) or `table_name = \"..\"` (the entity is the table's definition), not both",
        )),
        (None, None) => cx.error_spanned_by(
            container.ident,
            format!(
                "entity `{}` does not say which table it lives in; add #[dynamo(table = YOUR_TABLE_DEF)] to check it against a declared TableDef, or #[dynamo(table_name = \"..\")]",
                container.ident
            ),
        ),
        _ => {}
    }
}

/// At most one field carries the marker; returns it.
fn single<'c, 'a>(
    cx: &mut Ctxt,
    fields: &'c [Field<'a>],
    marker: impl Fn(&Field<'a>) -> Option<Span>,
    name: &str,
    what: &str,
) -> Option<&'c Field<'a>> {
    let mut found: Option<&'c Field<'a>> = None;
    for field in fields {
        let Some(span) = marker(field) else { continue };
        match found {
            None => found = Some(field),
            Some(first) => cx.syn_error(syn::Error::new(
                span,
                format!(
                    "duplicate {name}: field `{}` is already the {what}; an entity has at most one",
                    first.ident
                ),
            )),
        }
    }
    found
}

fn skip_conflicts(cx: &mut Ctxt, field: &Field<'_>) {
    if field.attrs.skip.is_none() {
        return;
    }
    let a = &field.attrs;
    let markers = [
        (a.pk, "#[pk]"),
        (a.sk, "#[sk]"),
        (a.ttl, "#[ttl]"),
        (a.version, "#[version]"),
        (a.gsi.first().map(|g| g.span), "#[gsi]"),
    ];
    for (span, name) in markers {
        if let Some(span) = span {
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "field `{}` is both {name} and #[dynamo(skip)]: a skipped field is never stored, so it cannot hold a key or a managed attribute; remove one of them",
                    field.ident
                ),
            ));
        }
    }
    let options = [
        (a.rename.as_ref().map(|r| r.span), "rename"),
        (a.set, "set"),
        (a.json, "json"),
        (a.with.as_ref().map(|w| w.span), "with"),
    ];
    for (span, name) in options {
        if let Some(span) = span {
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "`{name}` has no effect on field `{}`, which is skipped",
                    field.ident
                ),
            ));
        }
    }
}

/// `set`, `json` and `with` each choose how the value is stored: at most one.
fn codec_conflicts(cx: &mut Ctxt, field: &Field<'_>) {
    let a = &field.attrs;
    let codecs = [
        (a.set, "set"),
        (a.json, "json"),
        (a.with.as_ref().map(|w| w.span), "with"),
    ];
    let chosen: Vec<_> = codecs
        .iter()
        .filter_map(|(s, n)| s.map(|s| (s, *n)))
        .collect();
    if let [(_, first), rest @ ..] = chosen.as_slice() {
        for (span, name) in rest {
            cx.syn_error(syn::Error::new(
                *span,
                format!(
                    "`{name}` and `{first}` both choose how field `{}` is stored; keep one",
                    field.ident
                ),
            ));
        }
    }
    if let (Some(ttl), Some((_, name))) = (a.ttl, chosen.first()) {
        cx.syn_error(syn::Error::new(
            ttl,
            format!("#[ttl] stores epoch seconds as N; it cannot be combined with `{name}`"),
        ));
    }
    if let (Some(version), Some((_, name))) = (a.version, chosen.first()) {
        cx.syn_error(syn::Error::new(
            version,
            format!("#[version] stores an integer as N; it cannot be combined with `{name}`"),
        ));
    }
}

/// A key is stored as its own scalar and is always present.
fn key_field(cx: &mut Ctxt, field: &Field<'_>) {
    let a = &field.attrs;
    if a.pk.is_none() && a.sk.is_none() {
        return;
    }
    if let (Some(_), Some(sk)) = (a.pk, a.sk) {
        cx.syn_error(syn::Error::new(
            sk,
            format!(
                "field `{}` cannot be both the partition key and the sort key",
                field.ident
            ),
        ));
    }
    let conflicts = [
        (a.set, "#[dynamo(set)]"),
        (a.json, "#[dynamo(json)]"),
        (a.default.as_ref().map(|d| d.span), "#[dynamo(default)]"),
        (a.ttl, "#[ttl]"),
        (a.version, "#[version]"),
    ];
    for (span, name) in conflicts {
        if let Some(span) = span {
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "{name} cannot be used on key field `{}`: a key is stored as one scalar (S, N or B) and is always present",
                    field.ident
                ),
            ));
        }
    }
}

/// Two stored fields never share an attribute name.
fn no_shared_attribute(cx: &mut Ctxt, fields: &[Field<'_>]) {
    let mut seen: HashMap<&str, &Field<'_>> = HashMap::new();
    for field in fields.iter().filter(|f| f.attrs.is_stored()) {
        if let Some(first) = seen.get(field.attribute.as_str()) {
            let span = field
                .attrs
                .rename
                .as_ref()
                .map_or_else(|| field.ident.span(), |r| r.span);
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "field `{}` maps to attribute \"{}\", which field `{}` already uses; give one of them another name with #[dynamo(rename = \"..\")]",
                    field.ident, field.attribute, first.ident
                ),
            ));
        } else {
            seen.insert(&field.attribute, field);
        }
    }
}

/// With `table_name`, the entity declares its indexes: each needs a partition key field and
/// each key role is held by one field.
fn gsi_keys(cx: &mut Ctxt, container: &Container<'_>) {
    let mut roles: HashMap<(&str, IndexRole), &Field<'_>> = HashMap::new();
    for field in container.fields() {
        for gsi in &field.attrs.gsi {
            if let Some(first) = roles.get(&(gsi.index.as_str(), gsi.role)) {
                cx.syn_error(syn::Error::new(
                    gsi.span,
                    format!(
                        "index `{}` already has its {} key in field `{}`",
                        gsi.index,
                        gsi.role.word(),
                        first.ident
                    ),
                ));
            } else {
                roles.insert((&gsi.index, gsi.role), field);
            }
            if field.attrs.json.or(field.attrs.set).is_some() {
                cx.syn_error(syn::Error::new(
                    gsi.span,
                    format!(
                        "field `{}` is an index key, so it must be stored as a scalar (S, N or B), not with `json` or `set`",
                        field.ident
                    ),
                ));
            }
        }
    }
    if container.attrs.table.is_some() {
        return;
    }
    for field in container.fields() {
        for gsi in field.attrs.gsi.iter().filter(|g| g.role == IndexRole::Sort) {
            let index = gsi.index.as_str();
            if !roles.contains_key(&(index, IndexRole::Partition)) {
                cx.syn_error(syn::Error::new(
                    gsi.span,
                    format!(
                        "index `{index}` has a sort key (field `{}`) but no partition key; mark the field holding it with #[gsi({}, pk)]",
                        field.ident,
                        crate::attr::display_index(index)
                    ),
                ));
            }
        }
    }
}
