//! Validation of the parsed model: every rule of both derives, one function each, listed in
//! [`check`]. Attribute *syntax* (unknown keys, malformed values) is reported by the parser in
//! `attr.rs`; rules that depend on types (key scalars, TTL and version types) are checked by
//! the generated code through traits, and the rules that compare an entity with its declared
//! `TableDef` by constant evaluation (`dynamo_core::schema::rules`).

use super::ast::{Body, Container, Derive, Field};
use super::attr::{IndexRole, display_index};
use super::ctxt::{Ctxt, closest};
use super::symbol::SCHEMA_VERSION_ATTRIBUTE;
use super::template::Part;
use proc_macro2::Span;
use std::collections::HashMap;
use syn::GenericParam;

/// Checks every rule; returns whether code can be generated (the shape is one the derive
/// handles and, for an entity, it has a partition key). Every problem is recorded in `cx`.
pub(crate) fn check(cx: &mut Ctxt, cont: &Container<'_>, derive: Derive) -> bool {
    let shape_ok = shape(cx, cont, derive);
    let generics_ok = generics(cx, cont, derive);
    if !(shape_ok && generics_ok) {
        return false;
    }
    attribute_names_not_empty(cx, cont);
    no_shared_attribute(cx, cont);
    match derive {
        Derive::Value => {
            variant_values_not_empty(cx, cont);
            variant_values_unique(cx, cont);
            managed_timestamps_on_entities(cx, cont);
            true
        }
        Derive::Entity => {
            table_source(cx, cont);
            table_name_length(cx, cont);
            for field in cont.fields() {
                skip_conflicts(cx, field);
                codec_conflicts(cx, field);
                key_field_options(cx, field);
            }
            index_keys(cx, cont);
            templates_need_declared_table(cx, cont);
            let keys_ok = template_or_field(cx, cont);
            placeholders_name_fields(cx, cont);
            partition_templates_spread(cx, cont);
            shards_spread_partitions(cx, cont);
            index_templates_have_partition(cx, cont);
            let prefixes_ok = sort_prefixes_named(cx, cont);
            entity_type_named(cx, cont);
            let previous_ok = previous_keys(cx, cont);
            one_marker(cx, cont, |a| a.pk, "#[pk]", "partition key");
            one_marker(cx, cont, |a| a.sk, "#[sk]", "sort key");
            one_marker(cx, cont, |a| a.ttl, "#[ttl]", "TTL attribute");
            one_marker(cx, cont, |a| a.version, "#[version]", "version attribute");
            one_marker(
                cx,
                cont,
                |a| a.created_at,
                "#[dynamo(created_at)]",
                "creation time",
            );
            one_marker(
                cx,
                cont,
                |a| a.updated_at,
                "#[dynamo(updated_at)]",
                "update time",
            );
            managed_timestamps(cx, cont);
            unique_constraints(cx, cont);
            schema_versions(cx, cont);
            has_partition_key(cx, cont)
                && keys_ok
                && prefixes_ok
                && previous_ok
                && templates_parsed(cont)
        }
    }
}

/// `schema_version`, `upgrade(..)` and `version_of`: upgrades come from earlier versions, once
/// each; a frozen version states its version and takes its entity type from the entity; the
/// version attribute is no field's.
fn schema_versions(cx: &mut Ctxt, cont: &Container<'_>) {
    let attrs = &cont.attrs;
    if let Some(field) = cont
        .stored_fields()
        .find(|f| f.attribute == SCHEMA_VERSION_ATTRIBUTE)
        .filter(|_| attrs.schema_version.is_some())
    {
        cx.error_spanned_by(
            field.ident,
            format!("field `{}` maps to attribute \"{SCHEMA_VERSION_ATTRIBUTE}\", where a versioned entity's items hold their schema version: give it another name with #[dynamo(rename = \"..\")]", field.ident),
        );
    }
    let mut seen: Vec<u32> = Vec::new();
    // A frozen version's upgrades are refused as a whole, below.
    let upgrades = if attrs.version_of.is_some() {
        &[][..]
    } else {
        &attrs.upgrades[..]
    };
    for upgrade in upgrades {
        let from = &upgrade.from;
        match &attrs.schema_version {
            None => cx.syn_error(syn::Error::new(
                upgrade.span,
                "upgrade(..) reads items of an earlier schema version: state the version this struct writes, e.g. #[dynamo(schema_version = 3, upgrade(from = 2, ..))]",
            )),
            Some(current) if from.value >= current.value => cx.syn_error(syn::Error::new(
                from.span,
                format!(
                    "upgrade(from = {}) is not an earlier version than schema_version = {}: an upgrade reads the items of an older version",
                    from.value, current.value
                ),
            )),
            Some(_) => {}
        }
        if seen.contains(&from.value) {
            cx.syn_error(syn::Error::new(
                from.span,
                format!(
                    "two upgrades from version {}: each older version is read one way",
                    from.value
                ),
            ));
        }
        seen.push(from.value);
    }
    let Some(of) = &attrs.version_of else {
        return;
    };
    if attrs.schema_version.is_none() {
        cx.syn_error(syn::Error::new(
            of.span,
            "version_of = .. needs the version this struct reads: e.g. #[dynamo(version_of = User, schema_version = 2)]",
        ));
    }
    if let Some(upgrade) = attrs.upgrades.first() {
        cx.syn_error(syn::Error::new(
            upgrade.span,
            "a frozen version (version_of = ..) reads its own version only: write every upgrade on the current entity, each from its frozen version to it",
        ));
    }
    if let Some(entity) = &attrs.entity {
        cx.error_spanned_by(
            entity,
            "a frozen version (version_of = ..) has the entity type of the entity it is a version of: remove entity = \"..\"",
        );
    }
}

/// `DynamoEntity` needs a struct with named fields; `DynamoValue` a unit enum, a newtype or a
/// struct with named fields.
fn shape(cx: &mut Ctxt, cont: &Container<'_>, derive: Derive) -> bool {
    let ident = cont.ident;
    let message = match (&cont.body, derive) {
        (Body::Struct(_), _) | (Body::Newtype(_), Derive::Value) => return true,
        (Body::Enum { variants, data }, Derive::Value) => {
            let tagged = cont.attrs.tag.is_some();
            if let (Some(content), false) = (&cont.attrs.content, tagged) {
                cx.error_spanned_by(
                    content,
                    "content = \"..\" names where an adjacently tagged enum keeps a variant's fields; it needs tag = \"..\" too, e.g. #[dynamo(tag = \"type\", content = \"data\")]",
                );
                return false;
            }
            let mut ok = true;
            for variant in data {
                let message = if !tagged {
                    format!(
                        "#[derive(DynamoValue)] stores an enum of unit variants as a string; `{}` carries data: store the enum as a map with its variant in an attribute, #[dynamo(tag = \"type\")] (or tag and content = \"..\" for the fields in an attribute of their own), or as JSON with #[dynamo(json)] on the field",
                        variant.ident
                    )
                } else if matches!(variant.fields, syn::Fields::Unnamed(ref f) if f.unnamed.len() > 1)
                {
                    format!(
                        "variant `{}` has several unnamed fields: name them, or hold one value",
                        variant.ident
                    )
                } else {
                    continue;
                };
                cx.error_spanned_by(variant, message);
                ok = false;
            }
            // Internally tagged, a variant's fields sit beside the tag.
            if let (Some(tag), None) = (&cont.attrs.tag, &cont.attrs.content) {
                for variant in variants {
                    let crate::internals::ast::VariantBody::Named(fields) = &variant.body else {
                        continue;
                    };
                    for field in fields.iter().filter(|f| f.attribute == tag.value()) {
                        cx.error_spanned_by(
                            field.ident,
                            format!("field `{}` of variant `{}` is stored in attribute \"{}\", which holds the variant (tag = \"{}\"); rename the field, choose another tag, or keep the fields apart with content = \"..\"", field.ident, variant.ident, field.attribute, tag.value()),
                        );
                        ok = false;
                    }
                }
            }
            if !ok {
                return false;
            }
            if !variants.is_empty() {
                return true;
            }
            format!("`{ident}` has no variants, so no value can be stored")
        }
        (Body::Tuple, Derive::Value) => format!(
            "#[derive(DynamoValue)] supports newtypes (one field) but `{ident}` has several unnamed fields; name them to store it as a map"
        ),
        (Body::Newtype(_) | Body::Tuple, Derive::Entity) => format!(
            "#[derive(DynamoEntity)] needs a struct with named fields, but `{ident}` is a tuple struct; name its fields so each maps to an attribute"
        ),
        (Body::Unit, _) => {
            format!("`{ident}` has no fields to store; a DynamoDB item needs at least its key")
        }
        (Body::Enum { .. }, Derive::Entity) => format!(
            "#[derive(DynamoEntity)] needs a struct with named fields, but `{ident}` is an enum; derive DynamoValue to store an enum inside an entity"
        ),
        (Body::Union, _) => "unions cannot be stored in DynamoDB; use a struct or an enum".into(),
    };
    cx.error_spanned_by(ident, message);
    false
}

/// Values are built from owned items: no lifetimes, no const generics; entities map one table
/// with one key schema, so no type parameters either.
fn generics(cx: &mut Ctxt, cont: &Container<'_>, derive: Derive) -> bool {
    let ident = cont.ident;
    let mut ok = true;
    for param in &cont.input.generics.params {
        match (param, derive) {
            (GenericParam::Type(_), Derive::Value) => continue,
            (GenericParam::Lifetime(lt), _) => cx.error_spanned_by(
                lt,
                format!(
                    "`{ident}` cannot borrow: values are built from an owned DynamoDB item, so lifetime `{}` has nothing to borrow from; use owned types such as String and Vec<u8>",
                    lt.lifetime
                ),
            ),
            (GenericParam::Type(ty), Derive::Entity) => cx.error_spanned_by(
                ty,
                format!(
                    "entities cannot be generic: `{ident}` maps to one table with one key schema, so type parameter `{}` must be a concrete type",
                    ty.ident
                ),
            ),
            (GenericParam::Const(c), _) => {
                cx.error_spanned_by(c, format!("const generics are not supported on `{ident}`"))
            }
        }
        ok = false;
    }
    ok
}

/// `#[dynamo(rename = "")]` names no attribute.
fn attribute_names_not_empty(cx: &mut Ctxt, cont: &Container<'_>) {
    for rename in cont.fields().iter().filter_map(|f| f.attrs.rename.as_ref()) {
        if rename.value.is_empty() {
            cx.syn_error(syn::Error::new(
                rename.span,
                "attribute names cannot be empty",
            ));
        }
    }
}

/// Two stored fields never share an attribute name.
fn no_shared_attribute(cx: &mut Ctxt, cont: &Container<'_>) {
    let mut seen: HashMap<&str, &Field<'_>> = HashMap::new();
    for field in cont.stored_fields() {
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

/// An enum value is a non-empty string.
fn variant_values_not_empty(cx: &mut Ctxt, cont: &Container<'_>) {
    let Body::Enum { variants, .. } = &cont.body else {
        return;
    };
    for variant in variants {
        if let (Some(span), true) = (variant.rename, variant.value.is_empty()) {
            cx.syn_error(syn::Error::new(span, "enum values cannot be empty strings"));
        }
    }
}

/// Two variants are never stored as the same string.
fn variant_values_unique(cx: &mut Ctxt, cont: &Container<'_>) {
    let Body::Enum { variants, .. } = &cont.body else {
        return;
    };
    let mut seen = HashMap::new();
    for v in variants {
        if let Some(first) = seen.get(v.value.as_str()) {
            cx.error_spanned_by(
                v.ident,
                format!(
                    "variant `{}` is stored as \"{}\", like variant `{first}`; give one of them another value with #[dynamo(rename = \"..\")]",
                    v.ident, v.value
                ),
            );
        } else {
            seen.insert(v.value.as_str(), v.ident);
        }
    }
}

/// `table = CONST` or `table_name = ".."`, exactly one.
fn table_source(cx: &mut Ctxt, cont: &Container<'_>) {
    match (&cont.attrs.table, &cont.attrs.table_name) {
        (Some(_), Some(name)) => cx.syn_error(syn::Error::new(
            name.span,
            "use either `table = CONST` (a declared TableDef the entity is checked against) or `table_name = \"..\"` (the entity is the table's definition), not both",
        )),
        (None, None) => cx.error_spanned_by(
            cont.ident,
            format!(
                "entity `{}` does not say which table it lives in; add #[dynamo(table = YOUR_TABLE_DEF)] to check it against a declared TableDef, or #[dynamo(table_name = \"..\")]",
                cont.ident
            ),
        ),
        _ => {}
    }
}

/// DynamoDB's limits on table names.
fn table_name_length(cx: &mut Ctxt, cont: &Container<'_>) {
    if let Some(name) = &cont.attrs.table_name
        && !(3..=255).contains(&name.value.len())
    {
        cx.syn_error(syn::Error::new(
            name.span,
            "DynamoDB table names are 3 to 255 characters long",
        ));
    }
}

/// At most one field carries the marker.
fn one_marker(
    cx: &mut Ctxt,
    cont: &Container<'_>,
    marker: impl Fn(&super::attr::FieldAttrs) -> Option<Span>,
    name: &str,
    what: &str,
) {
    let mut marked = cont
        .fields()
        .iter()
        .filter_map(|f| marker(&f.attrs).map(|span| (f, span)));
    let Some((first, _)) = marked.next() else {
        return;
    };
    for (_, span) in marked {
        cx.syn_error(syn::Error::new(
            span,
            format!(
                "duplicate {name}: field `{}` is already the {what}; an entity has at most one",
                first.ident
            ),
        ));
    }
}

/// Every entity has a partition key.
fn has_partition_key(cx: &mut Ctxt, cont: &Container<'_>) -> bool {
    if cont.marked(|a| a.pk).is_some() || cont.template(None, IndexRole::Partition).is_some() {
        return true;
    }
    if cont.attrs.pk.is_some() {
        // The template did not parse: reported already.
        return false;
    }
    cx.error_spanned_by(
        cont.ident,
        format!(
            "entity `{}` has no partition key; mark the field that holds it with #[pk] (and #[dynamo(rename = \"..\")] when the table's key attribute has another name), or compose it with #[dynamo(pk = \"PREFIX#{{field}}\")]",
            cont.ident
        ),
    );
    false
}

/// Whether every key template parsed (the ones that did not are reported already: generating
/// without them would report a missing key too).
fn templates_parsed(cont: &Container<'_>) -> bool {
    let written = usize::from(cont.attrs.pk.is_some())
        + usize::from(cont.attrs.sk.is_some())
        + cont
            .attrs
            .gsi
            .iter()
            .map(|g| usize::from(g.pk.is_some()) + usize::from(g.sk.is_some()))
            .sum::<usize>();
    written == cont.templates.len()
}

/// Key templates and entity types write the table's attributes, which only a declared
/// `TableDef` names.
fn templates_need_declared_table(cx: &mut Ctxt, cont: &Container<'_>) {
    if cont.attrs.table.is_some() {
        return;
    }
    for t in &cont.templates {
        cx.syn_error(syn::Error::new(
            t.span(),
            format!(
                "key template \"{}\" writes the table's key attribute, which only a declared table names: use #[dynamo(table = YOUR_TABLE_DEF)] instead of table_name",
                t.template.text
            ),
        ));
    }
    if let Some(entity) = &cont.attrs.entity {
        cx.error_spanned_by(
            entity,
            "an entity type is written to the table's entity attribute, which only a declared table names: use #[dynamo(table = YOUR_TABLE_DEF)], with .with_entity_attribute(\"entity\") on the TableDef",
        );
    }
}

/// A key is held by a field or composed by a template, never both. Returns whether none is
/// both (otherwise nothing is generated, so the mistake is reported once).
fn template_or_field(cx: &mut Ctxt, cont: &Container<'_>) -> bool {
    let mut ok = true;
    let table_keys = [
        (IndexRole::Partition, cont.marked(|a| a.pk), "#[pk]", "pk"),
        (IndexRole::Sort, cont.marked(|a| a.sk), "#[sk]", "sk"),
    ];
    for (role, field, marker, key) in table_keys {
        if let (Some(t), Some(field)) = (cont.template(None, role), field) {
            ok = false;
            cx.syn_error(syn::Error::new(
                t.span(),
                format!(
                    "the {} key is composed by template \"{}\" and held by field `{}` ({marker}); keep one: remove {marker}, or remove `{key} = ..`",
                    role.word(),
                    t.template.text,
                    field.ident
                ),
            ));
        }
    }
    for t in cont.templates.iter().filter(|t| t.index.is_some()) {
        let index = t.index_name().unwrap_or_default();
        let marked = cont.fields().iter().find(|f| {
            f.attrs
                .gsi
                .iter()
                .any(|g| g.index == index && g.role == t.role)
        });
        if let Some(field) = marked {
            ok = false;
            cx.syn_error(syn::Error::new(
                t.span(),
                format!(
                    "the {} key of index {} is composed by template \"{}\" and held by field `{}` (#[gsi]); keep one",
                    t.role.word(),
                    display_index(index),
                    t.template.text,
                    field.ident
                ),
            ));
        }
    }
    ok
}

/// Every placeholder names a stored field.
fn placeholders_name_fields(cx: &mut Ctxt, cont: &Container<'_>) {
    let names: Vec<&str> = cont.stored_fields().map(|f| f.name.as_str()).collect();
    for t in &cont.templates {
        for (name, _) in t.template.components() {
            if names.contains(&name) {
                continue;
            }
            let message = if cont.fields().iter().any(|f| f.name == name) {
                format!(
                    "placeholder {{{name}}} of key template \"{}\" names field `{name}`, which is #[dynamo(skip)]: a key is made of stored fields",
                    t.template.text
                )
            } else {
                let hint = closest(name, &names)
                    .map(|c| format!("; did you mean {{{c}}}?"))
                    .unwrap_or_else(|| format!("; its fields are: {}", names.join(", ")));
                format!(
                    "placeholder {{{name}}} of key template \"{}\" names no field of `{}`{hint}",
                    t.template.text, cont.ident
                )
            };
            cx.syn_error(syn::Error::new(t.span(), message));
        }
    }
}

/// `#[dynamo(created_at)]` and `#[dynamo(updated_at)]` (rule `managed_timestamps`): the
/// library writes them, so they are no key, no part of a key template, not skipped, not both on
/// one field, and stored as the timestamps they are.
fn managed_timestamps(cx: &mut Ctxt, cont: &Container<'_>) {
    for field in cont.fields() {
        let a = &field.attrs;
        for (span, name) in [(a.created_at, "created_at"), (a.updated_at, "updated_at")] {
            let Some(span) = span else { continue };
            let ident = field.ident;
            let conflict = if field.is_key() || !a.gsi.is_empty() {
                Some("it is a key, which the library would change on every write".to_owned())
            } else if let Some(t) = cont
                .templates
                .iter()
                .find(|t| t.template.components().any(|(c, _)| c == field.name))
            {
                Some(format!(
                    "key template \"{}\" is made of it, and the key would change on every write",
                    t.template.text
                ))
            } else if a.skip.is_some() {
                Some("it is #[dynamo(skip)], never stored".to_owned())
            } else if a.ttl.is_some() || a.version.is_some() {
                Some("it is already a managed attribute (#[ttl] or #[version])".to_owned())
            } else if name == "updated_at" && a.created_at.is_some() {
                Some("it is created_at too; give each its own field".to_owned())
            } else {
                [
                    (a.set, "set"),
                    (a.json, "json"),
                    (a.with.as_ref().map(|w| w.span), "with"),
                ]
                .into_iter()
                .find_map(|(s, n)| {
                    s.map(|_| format!("`{n}` would store it otherwise than as a timestamp"))
                })
            };
            if let Some(why) = conflict {
                cx.syn_error(syn::Error::new(
                    span,
                    format!("field `{ident}` cannot be #[dynamo({name})]: {why}"),
                ));
            }
        }
    }
}

/// `unique(..)` (rule `unique_constraints`): its fields are stored fields of the entity, none a
/// key (a key is unique already) nor an `Option` unless `optional` says an item may lack it;
/// the guards need the table's sort key, and one set of fields is one constraint.
fn unique_constraints(cx: &mut Ctxt, cont: &Container<'_>) {
    let has_sort_key =
        cont.marked(|a| a.sk).is_some() || cont.template(None, IndexRole::Sort).is_some();
    let names: Vec<&str> = cont.stored_fields().map(|f| f.name.as_str()).collect();
    let mut seen: Vec<Vec<String>> = Vec::new();
    for u in &cont.attrs.unique {
        if !has_sort_key {
            cx.syn_error(syn::Error::new(
                u.span,
                "unique(..) needs a table with a sort key: each value is held by a guard item stored beside the entity's items (partition key `UNIQUE#<entity>#<constraint>#<value>`, sort key `UNIQUE`), and a table without a sort key cannot keep guard keys apart from item keys; give the table a sort key (e.g. #[dynamo(sk = \"USER\")])",
            ));
        }
        let mut any_optional = false;
        for (ident, is_scope) in u
            .scope
            .iter()
            .map(|s| (s, true))
            .chain(u.fields.iter().map(|f| (f, false)))
        {
            let name = ident.to_string();
            let Some(field) = cont.fields().iter().find(|f| f.name == name) else {
                let hint = closest(&name, &names)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                cx.error_spanned_by(
                    ident,
                    format!(
                        "unique(..) names `{name}`, which is no field of `{}`{hint}",
                        cont.ident
                    ),
                );
                continue;
            };
            if !field.attrs.is_stored() {
                cx.error_spanned_by(
                    ident,
                    format!("unique(..) names `{name}`, which is #[dynamo(skip)] and never stored"),
                );
                continue;
            }
            let option = crate::entity::context::option_inner(field.ty).is_some();
            any_optional |= option;
            if is_scope {
                if option {
                    cx.error_spanned_by(ident, format!("the scope of unique(..) cannot be an Option: `{name}` must have a value for the constraint to have one"));
                }
                continue;
            }
            let in_key = cont
                .templates
                .iter()
                .find(|t| t.index.is_none() && t.template.components().any(|(c, _)| c == name));
            if field.is_key() || in_key.is_some() {
                let what = match in_key {
                    Some(t) => format!(
                        "the table key template \"{}\" is made of it",
                        t.template.text
                    ),
                    None => "it is the table's key".to_owned(),
                };
                cx.error_spanned_by(ident, format!("unique(..) names `{name}`, but {what}: no two items can share a key, so it is unique already; a constraint is for values outside the key (e.g. an email)"));
            }
            if option && u.optional.is_none() {
                cx.error_spanned_by(ident, format!("`{name}` is an Option: say what an item without it means: unique({name}, optional) lets any number of items lack it, while those that have it hold distinct values"));
            }
        }
        if let Some(span) = u.optional.filter(|_| !any_optional) {
            cx.syn_error(syn::Error::new(span, "`optional` is for Option fields, which an item may lack; these fields always have a value"));
        }
        let mut key: Vec<String> = u
            .scope
            .iter()
            .chain(&u.fields)
            .map(ToString::to_string)
            .collect();
        key.sort();
        if seen.contains(&key) {
            cx.syn_error(syn::Error::new(
                u.span,
                "this unique(..) repeats another one over the same fields",
            ));
        } else {
            seen.push(key);
        }
    }
}

/// The managed timestamps are an entity's: a `DynamoValue` has no writes of its own.
fn managed_timestamps_on_entities(cx: &mut Ctxt, cont: &Container<'_>) {
    for field in cont.fields() {
        for (span, name) in [
            (field.attrs.created_at, "created_at"),
            (field.attrs.updated_at, "updated_at"),
        ] {
            if let Some(span) = span {
                cx.syn_error(syn::Error::new(
                    span,
                    format!("#[dynamo({name})] belongs on a field of a #[derive(DynamoEntity)] struct: the entity's writes set it, and a DynamoValue has none"),
                ));
            }
        }
    }
}

/// The templates of `previous(..)` are computed from the key alone (their placeholders name
/// fields of the table's key), differ from the keys now, and name a key the table has. Returns
/// whether they are usable.
fn previous_keys(cx: &mut Ctxt, cont: &Container<'_>) -> bool {
    let Some(attrs) = &cont.attrs.previous else {
        return true;
    };
    let written = usize::from(attrs.pk.is_some()) + usize::from(attrs.sk.is_some());
    let mut ok = written == cont.previous.len();
    // The fields the key is made of: the table keys' fields and their templates' components.
    let mut key_fields: Vec<&str> = cont
        .templates
        .iter()
        .filter(|t| t.index.is_none())
        .flat_map(|t| t.template.components().map(|(name, _)| name))
        .collect();
    key_fields.extend(
        [cont.marked(|a| a.pk), cont.marked(|a| a.sk)]
            .into_iter()
            .flatten()
            .map(|f| f.name.as_str()),
    );
    let mut seen = Vec::new();
    key_fields.retain(|name| {
        let first = !seen.contains(name);
        seen.push(*name);
        first
    });
    for previous in &cont.previous {
        let (role, text, span) = (
            previous.role,
            &previous.template.text,
            previous.template.lit.span(),
        );
        let key = if role == IndexRole::Partition {
            "pk"
        } else {
            "sk"
        };
        let now = cont
            .template(None, role)
            .map(|t| t.template.text.clone())
            .or_else(|| {
                let field = match role {
                    IndexRole::Partition => cont.marked(|a| a.pk),
                    IndexRole::Sort => cont.marked(|a| a.sk),
                };
                field.map(|f| format!("{{{}}}", f.name))
            });
        let Some(now) = now else {
            ok = false;
            cx.syn_error(syn::Error::new(
                span,
                format!("previous({key} = \"{text}\"): `{}` has no {} key, so no earlier version wrote one; previous(..) names the templates of the keys it has", cont.ident, role.word()),
            ));
            continue;
        };
        if now == *text {
            ok = false;
            cx.syn_error(syn::Error::new(
                span,
                format!("previous({key} = \"{text}\") is the {} key's template now: name the template items were written with before it changed, or remove previous(..) once every item has moved", role.word()),
            ));
        }
        for (name, _) in previous.template.components() {
            if key_fields.contains(&name) {
                continue;
            }
            ok = false;
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "placeholder {{{name}}} of previous({key} = \"{text}\") is not part of the key now ({}): a previous key is computed from the key alone, so a read by key can find the item under it",
                    key_fields.join(", ")
                ),
            ));
        }
    }
    ok
}

/// A partition template without placeholders puts every item in one partition: refused
/// unless the entity opts in with `single_partition`.
fn partition_templates_spread(cx: &mut Ctxt, cont: &Container<'_>) {
    let constant: Vec<_> = cont
        .templates
        .iter()
        .filter(|t| t.role == IndexRole::Partition && t.template.is_constant())
        .collect();
    if cont.attrs.single_partition.is_some() {
        if constant.is_empty() {
            cx.error_spanned_by(
                cont.ident,
                "single_partition has no effect: it allows a partition key template without placeholders, and this entity has none",
            );
        }
        return;
    }
    for t in constant {
        let place = match t.index_name() {
            Some(index) => format!("index {}", display_index(index)),
            None => "the table".to_owned(),
        };
        cx.syn_error(syn::Error::new(
            t.span(),
            format!(
                "partition key template \"{text}\" has no placeholder, so every `{entity}` item goes to one partition of {place}: one partition serves at most 3,000 reads and 1,000 writes per second, however large the table. Put a field in it (\"{text}#{{id}}\"), or spread writes over shards (\"{text}#{{shard(id):32}}\", the shard computed from a field, or \"{text}#{{shard}}\" with a `shard: Shard<32>` field the writer sets); for a few rarely written items, allow it with #[dynamo(single_partition)]",
                text = t.template.text,
                entity = cont.ident,
            ),
        ));
    }
}

/// `{shard(field):N}` spreads one partition key over `N` values: once per template, in a
/// partition key template.
fn shards_spread_partitions(cx: &mut Ctxt, cont: &Container<'_>) {
    for t in &cont.templates {
        let shards: Vec<_> = t
            .template
            .parts
            .iter()
            .filter(|p| matches!(p, Part::Shard { .. }))
            .collect();
        if shards.is_empty() {
            continue;
        }
        if t.role == IndexRole::Sort {
            cx.syn_error(syn::Error::new(
                t.span(),
                format!(
                    "sort key template \"{}\" has a {{shard(..)}} component: a shard spreads a partition's writes over several partition key values, so it belongs in the partition key template (pk = \"..#{{shard(field):N}}\"); in a sort key it would only reorder items",
                    t.template.text
                ),
            ));
        } else if shards.len() > 1 {
            cx.syn_error(syn::Error::new(
                t.span(),
                format!(
                    "partition key template \"{}\" has {} {{shard(..)}} components: one spreads the partition, several only multiply its shards; keep one and give it the number of shards you need",
                    t.template.text,
                    shards.len()
                ),
            ));
        }
    }
}

/// An index whose sort key is a template also has a partition key, template or field.
fn index_templates_have_partition(cx: &mut Ctxt, cont: &Container<'_>) {
    for t in cont
        .templates
        .iter()
        .filter(|t| t.index.is_some() && t.role == IndexRole::Sort)
    {
        let index = t.index_name().unwrap_or_default();
        let has_partition = cont.template(Some(index), IndexRole::Partition).is_some()
            || cont.fields().iter().any(|f| {
                f.attrs
                    .gsi
                    .iter()
                    .any(|g| g.index == index && g.role == IndexRole::Partition)
            });
        if !has_partition {
            cx.syn_error(syn::Error::new(
                t.span(),
                format!(
                    "index {i} gets a sort key template but no partition key, so no item of `{}` would be in it; add pk = \"..\" to gsi({i}, ..), or mark a field #[gsi({i}, pk)]",
                    cont.ident,
                    i = display_index(index)
                ),
            ));
        }
    }
}

/// The prefixes of a sort template are constructors named after their last field, next to
/// `new`: no field but the last may be called `new`.
fn sort_prefixes_named(cx: &mut Ctxt, cont: &Container<'_>) -> bool {
    let mut ok = true;
    for t in cont.templates.iter().filter(|t| t.role == IndexRole::Sort) {
        let components: Vec<_> = t.template.components().collect();
        let Some((_, leading)) = components.split_last() else {
            continue;
        };
        if leading.iter().any(|(name, _)| *name == "new") {
            ok = false;
            cx.syn_error(syn::Error::new(
                t.span(),
                format!(
                    "sort key template \"{}\" starts with field `new`, whose prefix constructor would clash with the generated `new`; rename the field",
                    t.template.text
                ),
            ));
        }
    }
    ok
}

/// `entity = ".."` names a type.
fn entity_type_named(cx: &mut Ctxt, cont: &Container<'_>) {
    if let Some(entity) = &cont.attrs.entity
        && entity.value().is_empty()
    {
        cx.error_spanned_by(entity, "the entity type cannot be empty");
    }
}

/// A skipped field is never stored: it holds no key, no managed attribute, and storage options
/// have no effect on it.
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

/// `set`, `json` and `with` each choose how the value is stored: at most one, and none on a
/// `#[ttl]` or `#[version]` field, which are stored as numbers.
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
fn key_field_options(cx: &mut Ctxt, field: &Field<'_>) {
    let a = &field.attrs;
    if !field.is_key() {
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

/// Each key role of an index is held by one scalar field; with `table_name`, where the entity
/// declares its indexes, an index with a sort key needs a partition key.
fn index_keys(cx: &mut Ctxt, cont: &Container<'_>) {
    let mut roles: HashMap<(&str, IndexRole), &Field<'_>> = HashMap::new();
    for field in cont.fields() {
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
    if cont.attrs.table.is_some() {
        return;
    }
    for field in cont.fields() {
        for gsi in field.attrs.gsi.iter().filter(|g| g.role == IndexRole::Sort) {
            let index = gsi.index.as_str();
            if !roles.contains_key(&(index, IndexRole::Partition)) {
                cx.syn_error(syn::Error::new(
                    gsi.span,
                    format!(
                        "index `{index}` has a sort key (field `{}`) but no partition key; mark the field holding it with #[gsi({}, pk)]",
                        field.ident,
                        display_index(index)
                    ),
                ));
            }
        }
    }
}
