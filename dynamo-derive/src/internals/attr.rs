//! Attribute parsing: `#[dynamo(..)]`, `#[pk]`, `#[sk]`, `#[gsi(..)]`, `#[ttl]`, `#[version]`
//! into typed structs. Unknown keys are reported with the closest known one.

use super::case::{RULE_NAMES, RenameRule};
use super::ctxt::{Ctxt, closest};
use super::symbol::*;
use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::spanned::Spanned as _;
use syn::{Attribute, Ident, LitStr, Token};

/// Where an attribute was written, for the wording of errors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    EntityContainer,
    ValueContainer,
    CollectionContainer,
    Field,
    Variant,
}

impl Place {
    fn allowed(self) -> &'static [&'static str] {
        match self {
            Place::EntityContainer => ENTITY_CONTAINER_KEYS,
            Place::ValueContainer => VALUE_CONTAINER_KEYS,
            Place::CollectionContainer => COLLECTION_KEYS,
            Place::Field => FIELD_KEYS,
            Place::Variant => VARIANT_KEYS,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Place::EntityContainer => "on an entity",
            Place::ValueContainer => "on a DynamoValue type",
            Place::CollectionContainer => "on a DynamoCollection enum",
            Place::Field => "on a field",
            Place::Variant => "on an enum variant",
        }
    }
}

/// A value with the span of the attribute that set it.
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

#[derive(Default)]
pub(crate) struct ContainerAttrs {
    /// `table = PATH`: the `TableDef` the entity must match.
    pub(crate) table: Option<Spanned<syn::Path>>,
    /// `table_name = ".."`: no declared definition, the entity is the definition.
    pub(crate) table_name: Option<Spanned<String>>,
    /// `pk = ".."`: the partition key template.
    pub(crate) pk: Option<LitStr>,
    /// `sk = ".."`: the sort key template.
    pub(crate) sk: Option<LitStr>,
    /// `gsi(NAME, pk = "..", sk = "..")`: index key templates.
    pub(crate) gsi: Vec<GsiTemplates>,
    /// `entity = ".."`: the entity type written to the table's entity attribute.
    pub(crate) entity: Option<LitStr>,
    /// `single_partition`: a partition template without placeholders, on purpose.
    pub(crate) single_partition: Option<Span>,
    /// `hot_partition_ok = "why"`: partition templates that take few values, on purpose.
    pub(crate) hot_partition_ok: Option<LitStr>,
    /// `previous(pk = "..", sk = "..")`: the table key templates an earlier version wrote.
    pub(crate) previous: Option<PreviousTemplates>,
    pub(crate) rename_all: Option<RenameRule>,
    /// `crate = path`: where `dynamo_core` is.
    pub(crate) krate: Option<syn::Path>,
    /// `index = NAME` on a collection: the index whose partitions it reads.
    pub(crate) index: Option<Spanned<String>>,
    /// `key_case = "lower"`: templates write free-text components lower-cased.
    pub(crate) key_case: Option<LitStr>,
    /// `tag = ".."` on a `DynamoValue` enum: a map whose attribute of this name holds the
    /// variant (serde's internally tagged form).
    pub(crate) tag: Option<LitStr>,
    /// `content = ".."` with `tag`: the variant's fields in this attribute (adjacently tagged).
    pub(crate) content: Option<LitStr>,
    /// `unique(..)`: the entity's unique constraints.
    pub(crate) unique: Vec<UniqueAttr>,
    /// `type_names = Name`: the stem of the generated types' names (`NameKey`, `NameFields`,
    /// `NamePartition`, ..), instead of the entity's name.
    pub(crate) type_names: Option<Ident>,
    /// `schema_version = N`: the version every write stamps.
    pub(crate) schema_version: Option<Spanned<u32>>,
    /// `upgrade(from = N, via = Frozen, with = function)`: how items of an older version are read.
    pub(crate) upgrades: Vec<UpgradeAttr>,
    /// `version_of = Entity`: this struct is a frozen earlier version of `Entity`.
    pub(crate) version_of: Option<Spanned<syn::Path>>,
}

/// `upgrade(from = 2, via = UserV2, with = user_v2_to_v3)` on the struct.
pub(crate) struct UpgradeAttr {
    pub(crate) span: Span,
    /// The version it reads.
    pub(crate) from: Spanned<u32>,
    /// The frozen entity that reads it.
    pub(crate) via: syn::Path,
    /// The function from the frozen entity to this one.
    pub(crate) with: syn::Path,
}

/// `unique(email)`, `unique(email, optional)`, `unique(handle, scope = tenant_id)` or
/// `unique(fields(tenant_id, external_id))` on the struct.
pub(crate) struct UniqueAttr {
    pub(crate) span: Span,
    /// The fields whose values together are unique (the scope not included).
    pub(crate) fields: Vec<Ident>,
    /// `scope = field`: unique within each value of this field.
    pub(crate) scope: Option<Ident>,
    /// `optional`: an item without the value (a `None`) holds no guard.
    pub(crate) optional: Option<Span>,
}

impl ContainerAttrs {
    /// Whether `key_case = "lower"` is set.
    pub(crate) fn key_case_lower(&self) -> bool {
        self.key_case.as_ref().is_some_and(|c| c.value() == "lower")
    }
}

/// `gsi(NAME, pk = "..", sk = "..")` on the struct.
pub(crate) struct GsiTemplates {
    pub(crate) index: String,
    pub(crate) span: Span,
    pub(crate) pk: Option<LitStr>,
    pub(crate) sk: Option<LitStr>,
    /// `alias = Name`: the middle of the index's generated type names, instead of one made
    /// from the index name.
    pub(crate) alias: Option<Ident>,
}

/// `previous(pk = "..", sk = "..")` on the struct: the table key templates items written by an
/// earlier version are stored under.
pub(crate) struct PreviousTemplates {
    pub(crate) span: Span,
    pub(crate) pk: Option<LitStr>,
    pub(crate) sk: Option<LitStr>,
}

/// `default` or `default = path`.
pub(crate) enum DefaultAttr {
    Trait,
    Path(syn::ExprPath),
}

/// The role of a field in a secondary index.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum IndexRole {
    Partition,
    Sort,
}

impl IndexRole {
    pub(crate) fn word(self) -> &'static str {
        match self {
            IndexRole::Partition => "partition",
            IndexRole::Sort => "sort",
        }
    }
}

/// `#[gsi(NAME, pk|sk)]`.
pub(crate) struct GsiAttr {
    pub(crate) index: String,
    pub(crate) role: IndexRole,
    pub(crate) span: Span,
}

#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) pk: Option<Span>,
    pub(crate) sk: Option<Span>,
    pub(crate) ttl: Option<Span>,
    pub(crate) version: Option<Span>,
    pub(crate) gsi: Vec<GsiAttr>,
    pub(crate) rename: Option<Spanned<String>>,
    pub(crate) skip: Option<Span>,
    pub(crate) default: Option<Spanned<DefaultAttr>>,
    pub(crate) set: Option<Span>,
    pub(crate) with: Option<Spanned<syn::Path>>,
    pub(crate) json: Option<Span>,
    /// `#[dynamo(created_at)]`: set to the time of the write that creates the item.
    pub(crate) created_at: Option<Span>,
    /// `#[dynamo(updated_at)]`: set to the time of every write.
    pub(crate) updated_at: Option<Span>,
}

#[derive(Default)]
pub(crate) struct VariantAttrs {
    pub(crate) rename: Option<Spanned<String>>,
}

fn set_once<T>(cx: &mut Ctxt, slot: &mut Option<T>, value: T, span: Span, name: &str) {
    if slot.is_some() {
        cx.syn_error(syn::Error::new(
            span,
            format!("duplicate `{name}` attribute"),
        ));
    } else {
        *slot = Some(value);
    }
}

fn key_of(meta: &ParseNestedMeta<'_>) -> String {
    meta.path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Consumes whatever follows an unknown key so parsing can go on to the next one.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

fn unknown_key(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>, place: Place) -> syn::Result<()> {
    let key = key_of(meta);
    let container = matches!(place, Place::ValueContainer | Place::CollectionContainer);
    let message = if container && ENTITY_CONTAINER_KEYS.contains(&key.as_str()) {
        format!(
            "`{key}` belongs on a #[derive(DynamoEntity)] struct, not {}",
            place.describe()
        )
    } else if MARKERS.contains(&key.as_str()) {
        format!("`{key}` is an attribute of its own: write #[{key}] instead of #[dynamo({key})]")
    } else if place != Place::Field && FIELD_KEYS.contains(&key.as_str()) {
        format!("`{key}` belongs on a field, not {}", place.describe())
    } else if place == Place::Field && ENTITY_CONTAINER_KEYS.contains(&key.as_str()) {
        format!("`{key}` belongs on the struct, not on a field")
    } else {
        let allowed = place.allowed();
        match closest(&key, allowed) {
            Some(best) => format!("unknown dynamo attribute `{key}`; did you mean `{best}`?"),
            None => format!(
                "unknown dynamo attribute `{key}` {}; expected one of: {}",
                place.describe(),
                allowed.join(", ")
            ),
        }
    };
    cx.error_spanned_by(&meta.path, message);
    skip_value(meta)
}

fn parse_string(meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(Spanned {
        value: lit.value(),
        span: lit.span(),
    })
}

/// Parses `crate = path` or `crate = "path"`.
fn parse_path_or_string(meta: &ParseNestedMeta<'_>) -> syn::Result<syn::Path> {
    let input = meta.value()?;
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        lit.parse()
    } else {
        input.parse()
    }
}

fn for_each_dynamo_attr(
    cx: &mut Ctxt,
    attrs: &[Attribute],
    mut f: impl FnMut(&mut Ctxt, &ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(DYNAMO)) {
        if let syn::Meta::Path(_) = attr.meta {
            cx.error_spanned_by(
                attr,
                "expected #[dynamo(..)] with at least one key, e.g. #[dynamo(rename = \"pk\")]",
            );
            continue;
        }
        let result = attr.parse_nested_meta(|meta| f(cx, &meta));
        if let Err(err) = result {
            cx.syn_error(err);
        }
    }
}

impl ContainerAttrs {
    pub(crate) fn parse(cx: &mut Ctxt, attrs: &[Attribute], place: Place) -> Self {
        let mut out = ContainerAttrs::default();
        for_each_dynamo_attr(cx, attrs, |cx, meta| {
            let key = key_of(meta);
            let span = meta.path.span();
            match key.as_str() {
                TABLE if place == Place::EntityContainer => {
                    let path: syn::Path = meta.value()?.parse()?;
                    set_once(
                        cx,
                        &mut out.table,
                        Spanned { value: path, span },
                        span,
                        TABLE,
                    );
                }
                TABLE_NAME if place == Place::EntityContainer => {
                    let name = parse_string(meta)?;
                    set_once(cx, &mut out.table_name, name, span, TABLE_NAME);
                }
                RENAME_ALL if place != Place::CollectionContainer => {
                    let name = parse_string(meta)?;
                    match RenameRule::from_name(&name.value) {
                        Some(rule) => set_once(cx, &mut out.rename_all, rule, span, RENAME_ALL),
                        None => {
                            let hint = closest(&name.value, RULE_NAMES)
                                .map(|c| format!("; did you mean \"{c}\"?"))
                                .unwrap_or_default();
                            cx.syn_error(syn::Error::new(
                                name.span,
                                format!(
                                    "unknown rename_all rule \"{}\"{hint} (one of: {})",
                                    name.value,
                                    RULE_NAMES.join(", ")
                                ),
                            ));
                        }
                    }
                }
                INDEX if place == Place::CollectionContainer => {
                    let input = meta.value()?;
                    let name = if input.peek(LitStr) {
                        let lit: LitStr = input.parse()?;
                        Spanned {
                            value: lit.value(),
                            span: lit.span(),
                        }
                    } else {
                        let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
                        Spanned {
                            value: ident.to_string(),
                            span: ident.span(),
                        }
                    };
                    set_once(cx, &mut out.index, name, span, INDEX);
                }
                CRATE => {
                    let path = parse_path_or_string(meta)?;
                    set_once(cx, &mut out.krate, path, span, CRATE);
                }
                PK | SK if place == Place::EntityContainer => {
                    if !meta.input.peek(Token![=]) {
                        cx.error_spanned_by(
                            &meta.path,
                            format!("`{key}` on the struct is a key template, e.g. #[dynamo({key} = \"EVENT#{{event_id}}\")]; to hold the key in a field, mark the field #[{key}]"),
                        );
                        return skip_value(meta);
                    }
                    let lit: LitStr = meta.value()?.parse()?;
                    let slot = if key == PK { &mut out.pk } else { &mut out.sk };
                    set_once(cx, slot, lit, span, &key);
                }
                GSI if place == Place::EntityContainer => {
                    let gsi = parse_gsi_templates(cx, meta)?;
                    if out.gsi.iter().any(|g| g.index == gsi.index) {
                        cx.syn_error(syn::Error::new(
                            gsi.span,
                            format!("duplicate gsi({}, ..): write both templates of an index in one gsi(..)", display_index(&gsi.index)),
                        ));
                    } else {
                        out.gsi.push(gsi);
                    }
                }
                ENTITY if place == Place::EntityContainer => {
                    let lit: LitStr = meta.value()?.parse()?;
                    set_once(cx, &mut out.entity, lit, span, ENTITY);
                }
                SINGLE_PARTITION if place == Place::EntityContainer => {
                    set_once(cx, &mut out.single_partition, span, span, SINGLE_PARTITION);
                }
                HOT_PARTITION_OK if place == Place::EntityContainer => {
                    let why: LitStr = meta.value()?.parse()?;
                    if why.value().trim().is_empty() {
                        cx.syn_error(syn::Error::new(
                            why.span(),
                            "hot_partition_ok needs the reason the hot partition is fine, for the next reader: e.g. hot_partition_ok = \"a few admin writes a day\"",
                        ));
                    }
                    set_once(cx, &mut out.hot_partition_ok, why, span, HOT_PARTITION_OK);
                }
                TAG | CONTENT if place == Place::ValueContainer => {
                    let name: LitStr = meta.value()?.parse()?;
                    if name.value().is_empty() {
                        cx.syn_error(syn::Error::new(
                            name.span(),
                            format!("{key} = \"\" names no attribute: write e.g. {key} = \"type\""),
                        ));
                    }
                    let slot = if key == TAG {
                        &mut out.tag
                    } else {
                        &mut out.content
                    };
                    set_once(cx, slot, name, span, &key);
                }
                KEY_CASE if place == Place::EntityContainer => {
                    let case: LitStr = meta.value()?.parse()?;
                    if !matches!(case.value().as_str(), "lower" | "preserve") {
                        cx.syn_error(syn::Error::new(
                            case.span(),
                            format!("unknown key_case \"{}\": write key_case = \"lower\" (keys written lower-cased, so \"Alice\" and \"alice\" are one key) or \"preserve\" (the default: as the values are)", case.value()),
                        ));
                    }
                    set_once(cx, &mut out.key_case, case, span, KEY_CASE);
                }
                TYPE_NAMES if place == Place::EntityContainer => {
                    let input = meta.value()?;
                    let stem: Ident = if input.peek(LitStr) {
                        let lit: LitStr = input.parse()?;
                        lit.parse()?
                    } else {
                        input.parse()?
                    };
                    set_once(cx, &mut out.type_names, stem, span, TYPE_NAMES);
                }
                UNIQUE if place == Place::EntityContainer => {
                    out.unique.push(parse_unique(meta)?);
                }
                SCHEMA_VERSION if place == Place::EntityContainer => {
                    let version = parse_version(meta.value()?, SCHEMA_VERSION)?;
                    set_once(cx, &mut out.schema_version, version, span, SCHEMA_VERSION);
                }
                UPGRADE if place == Place::EntityContainer => {
                    out.upgrades.push(parse_upgrade(meta)?);
                }
                VERSION_OF if place == Place::EntityContainer => {
                    let value = Spanned {
                        value: meta.value()?.parse()?,
                        span,
                    };
                    set_once(cx, &mut out.version_of, value, span, VERSION_OF);
                }
                PREVIOUS if place == Place::EntityContainer => {
                    let previous = parse_previous(cx, meta)?;
                    set_once(cx, &mut out.previous, previous, span, PREVIOUS);
                }
                _ => unknown_key(cx, meta, place)?,
            }
            Ok(())
        });
        out
    }
}

/// `unique(field)`, `unique(field, scope = other)`, `unique(fields(a, b))`, each with an
/// optional `optional`.
fn parse_unique(meta: &ParseNestedMeta<'_>) -> syn::Result<UniqueAttr> {
    const USAGE: &str = "write unique(email), unique(handle, scope = tenant_id) or unique(fields(tenant_id, external_id)), with `optional` for an Option field";
    let mut out = UniqueAttr {
        span: meta.path.span(),
        fields: Vec::new(),
        scope: None,
        optional: None,
    };
    if !meta.input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            out.span,
            format!("unique names no field: {USAGE}"),
        ));
    }
    meta.parse_nested_meta(|inner| {
        let key = key_of(&inner);
        let bare = inner.input.is_empty() || inner.input.peek(Token![,]);
        if key == "fields" && inner.input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in inner.input);
            let fields = content.parse_terminated(syn::ext::IdentExt::parse_any, Token![,])?;
            out.fields.extend(fields);
        } else if key == "scope" {
            let field: Ident = inner.value()?.call(syn::ext::IdentExt::parse_any)?;
            out.scope = Some(field);
        } else if key == "optional" && bare {
            out.optional = Some(inner.path.span());
        } else if let Some(field) = inner.path.get_ident().filter(|_| bare) {
            out.fields.push(field.clone());
        } else {
            return Err(inner.error(format!("unexpected `{key}` in unique(..): {USAGE}")));
        }
        Ok(())
    })?;
    if out.fields.is_empty() {
        return Err(syn::Error::new(
            out.span,
            format!("unique(..) names no field: {USAGE}"),
        ));
    }
    Ok(out)
}

/// A schema version: an integer from 1.
fn parse_version(input: syn::parse::ParseStream<'_>, name: &str) -> syn::Result<Spanned<u32>> {
    let lit: syn::LitInt = input.parse()?;
    match lit.base10_parse::<u32>() {
        Ok(value) if value >= 1 => Ok(Spanned {
            value,
            span: lit.span(),
        }),
        _ => Err(syn::Error::new(
            lit.span(),
            format!(
                "{name} is a version number from 1 (items written before the entity had a version are version 1): e.g. {name} = 2"
            ),
        )),
    }
}

/// `upgrade(from = 2, via = UserV2, with = user_v2_to_v3)`.
fn parse_upgrade(meta: &ParseNestedMeta<'_>) -> syn::Result<UpgradeAttr> {
    const USAGE: &str = "write upgrade(from = 2, via = UserV2, with = user_v2_to_v3): the version it reads, the frozen struct that reads it (#[dynamo(version_of = ..)]) and the function that makes this entity of it";
    let span = meta.path.span();
    if !meta.input.peek(syn::token::Paren) {
        return Err(syn::Error::new(span, USAGE));
    }
    let (mut from, mut via, mut with) = (None, None, None);
    meta.parse_nested_meta(|inner| {
        match key_of(&inner).as_str() {
            "from" => from = Some(parse_version(inner.value()?, "from")?),
            "via" => via = Some(inner.value()?.parse()?),
            "with" => with = Some(inner.value()?.parse()?),
            other => {
                return Err(inner.error(format!("unexpected `{other}` in upgrade(..): {USAGE}")));
            }
        }
        Ok(())
    })?;
    match (from, via, with) {
        (Some(from), Some(via), Some(with)) => Ok(UpgradeAttr {
            span,
            from,
            via,
            with,
        }),
        (from, via, _) => {
            let missing = if from.is_none() {
                "from"
            } else if via.is_none() {
                "via"
            } else {
                "with"
            };
            Err(syn::Error::new(
                span,
                format!("upgrade(..) lacks `{missing}`: {USAGE}"),
            ))
        }
    }
}

/// `previous(pk = "..", sk = "..")`.
fn parse_previous(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<PreviousTemplates> {
    let mut out = PreviousTemplates {
        span: meta.path.span(),
        pk: None,
        sk: None,
    };
    let content;
    syn::parenthesized!(content in meta.input);
    parse_key_templates(
        cx,
        &content,
        (&mut out.pk, &mut out.sk),
        None,
        "previous(..): write previous(pk = \"..\", sk = \"..\") with the templates an earlier version wrote the table's keys with",
    )?;
    if out.pk.is_none() && out.sk.is_none() {
        cx.syn_error(syn::Error::new(
            out.span,
            "previous(..) names no key: write previous(pk = \"..\") and/or previous(sk = \"..\") with the templates an earlier version wrote the table's keys with",
        ));
    }
    Ok(out)
}

/// `gsi(NAME, pk = "..", sk = "..")`.
fn parse_gsi_templates(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<GsiTemplates> {
    let mut out = GsiTemplates {
        index: String::new(),
        span: meta.path.span(),
        pk: None,
        sk: None,
        alias: None,
    };
    let content;
    syn::parenthesized!(content in meta.input);
    if content.peek(LitStr) {
        let lit: LitStr = content.parse()?;
        (out.index, out.span) = (lit.value(), lit.span());
    } else {
        let ident: Ident = content.call(syn::ext::IdentExt::parse_any)?;
        (out.index, out.span) = (ident.to_string(), ident.span());
    }
    if !content.is_empty() {
        content.parse::<Token![,]>()?;
    }
    let usage = format!(
        "gsi(..): write gsi({}, pk = \"..\", sk = \"..\"), with `alias = Name` for short type names",
        display_index(&out.index)
    );
    parse_key_templates(
        cx,
        &content,
        (&mut out.pk, &mut out.sk),
        Some(&mut out.alias),
        &usage,
    )?;
    if out.pk.is_none() && out.sk.is_none() {
        cx.syn_error(syn::Error::new(
            out.span,
            format!("gsi({}) composes no key: write gsi({}, pk = \"..\", sk = \"..\") with a template for each key of the index", display_index(&out.index), display_index(&out.index)),
        ));
    }
    Ok(out)
}

/// `pk = "..", sk = ".."` (each at most once, in any order, a trailing comma allowed) into the
/// two slots; another key is reported with `usage`, the form to write.
fn parse_key_templates(
    cx: &mut Ctxt,
    content: ParseStream<'_>,
    (pk, sk): (&mut Option<LitStr>, &mut Option<LitStr>),
    mut alias: Option<&mut Option<Ident>>,
    usage: &str,
) -> syn::Result<()> {
    while !content.is_empty() {
        let role: Ident = content.call(syn::ext::IdentExt::parse_any)?;
        content.parse::<Token![=]>()?;
        if role == ALIAS
            && let Some(slot) = alias.as_deref_mut()
        {
            let name: Ident = content.parse()?;
            set_once(cx, slot, name, role.span(), ALIAS);
        } else {
            let lit: LitStr = content.parse()?;
            match role.to_string().as_str() {
                "pk" => set_once(cx, pk, lit, role.span(), "pk"),
                "sk" => set_once(cx, sk, lit, role.span(), "sk"),
                other => cx.error_spanned_by(&role, format!("unknown key `{other}` in {usage}")),
            }
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(())
}

fn require_word(cx: &mut Ctxt, attr: &Attribute, name: &str) {
    if !matches!(attr.meta, syn::Meta::Path(_)) {
        cx.error_spanned_by(attr, format!("#[{name}] takes no arguments"));
    }
}

fn parse_gsi(input: ParseStream<'_>) -> syn::Result<(String, Span, Ident)> {
    let (index, span) = if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        (lit.value(), lit.span())
    } else {
        let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        (ident.to_string(), ident.span())
    };
    input.parse::<Token![,]>()?;
    let role: Ident = input.parse()?;
    let _ = input.parse::<Option<Token![,]>>()?;
    Ok((index, span, role))
}

impl FieldAttrs {
    /// Parses the attributes of a field. Markers (`#[pk]`, ..) are read only for entities; a
    /// `DynamoValue` struct never sees them, since the compiler rejects unregistered attributes.
    pub(crate) fn parse(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = FieldAttrs::default();
        for attr in attrs {
            let path = attr.path();
            let span = path.span();
            if path.is_ident(PK) {
                require_word(cx, attr, PK);
                set_once(cx, &mut out.pk, span, span, "#[pk]");
            } else if path.is_ident(SK) {
                require_word(cx, attr, SK);
                set_once(cx, &mut out.sk, span, span, "#[sk]");
            } else if path.is_ident(TTL) {
                require_word(cx, attr, TTL);
                set_once(cx, &mut out.ttl, span, span, "#[ttl]");
            } else if path.is_ident(VERSION) {
                require_word(cx, attr, VERSION);
                set_once(cx, &mut out.version, span, span, "#[version]");
            } else if path.is_ident(GSI) {
                match attr.parse_args_with(parse_gsi) {
                    Ok((index, index_span, role)) => {
                        let role = match role.to_string().as_str() {
                            "pk" => Some(IndexRole::Partition),
                            "sk" => Some(IndexRole::Sort),
                            other => {
                                cx.error_spanned_by(
                                    &role,
                                    format!("unknown index key role `{other}`: write #[gsi({index}, pk)] for the index's partition key or #[gsi({index}, sk)] for its sort key", index = display_index(&index)),
                                );
                                None
                            }
                        };
                        if let Some(role) = role {
                            if out.gsi.iter().any(|g| g.index == index && g.role == role) {
                                cx.syn_error(syn::Error::new(index_span, format!("duplicate #[gsi({}, ..)] for the same key", display_index(&index))));
                            }
                            out.gsi.push(GsiAttr { index, role, span: index_span });
                        }
                    }
                    Err(_) => cx.error_spanned_by(
                        attr,
                        "expected #[gsi(INDEX_NAME, pk)] or #[gsi(INDEX_NAME, sk)]; quote names with dashes: #[gsi(\"user-index\", pk)]",
                    ),
                }
            }
        }
        for_each_dynamo_attr(cx, attrs, |cx, meta| {
            let key = key_of(meta);
            let span = meta.path.span();
            match key.as_str() {
                RENAME => {
                    let name = parse_string(meta)?;
                    set_once(cx, &mut out.rename, name, span, RENAME);
                }
                SKIP => set_once(cx, &mut out.skip, span, span, SKIP),
                SET => set_once(cx, &mut out.set, span, span, SET),
                JSON => set_once(cx, &mut out.json, span, span, JSON),
                CREATED_AT => set_once(cx, &mut out.created_at, span, span, CREATED_AT),
                UPDATED_AT => set_once(cx, &mut out.updated_at, span, span, UPDATED_AT),
                WITH => {
                    let path = parse_path_or_string(meta)?;
                    set_once(cx, &mut out.with, Spanned { value: path, span }, span, WITH);
                }
                DEFAULT => {
                    let value = if meta.input.peek(Token![=]) {
                        let input = meta.value()?;
                        let path = if input.peek(LitStr) {
                            input.parse::<LitStr>()?.parse()?
                        } else {
                            input.parse()?
                        };
                        DefaultAttr::Path(path)
                    } else {
                        DefaultAttr::Trait
                    };
                    set_once(cx, &mut out.default, Spanned { value, span }, span, DEFAULT);
                }
                _ => unknown_key(cx, meta, Place::Field)?,
            }
            Ok(())
        });
        out
    }

    /// Whether the field is stored under an attribute.
    pub(crate) fn is_stored(&self) -> bool {
        self.skip.is_none()
    }
}

impl VariantAttrs {
    pub(crate) fn parse(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = VariantAttrs::default();
        for_each_dynamo_attr(cx, attrs, |cx, meta| {
            let span = meta.path.span();
            if meta.path.is_ident(RENAME) {
                let name = parse_string(meta)?;
                set_once(cx, &mut out.rename, name, span, RENAME);
                Ok(())
            } else {
                unknown_key(cx, meta, Place::Variant)
            }
        });
        out
    }
}

/// An index name as written in `#[gsi(..)]`: bare when it is an identifier, quoted otherwise.
pub(crate) fn display_index(index: &str) -> String {
    if syn::parse_str::<Ident>(index).is_ok() {
        index.to_owned()
    } else {
        format!("\"{index}\"")
    }
}
