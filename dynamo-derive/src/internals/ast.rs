//! The parsed model of a derive input: container, fields or variants, with their attributes.
//! Building it never fails: shapes a derive cannot handle are modeled too, and
//! [`check`](super::check::check) reports them.

use super::attr::{ContainerAttrs, FieldAttrs, IndexRole, Place, VariantAttrs};
use super::ctxt::Ctxt;
use super::template::Template;
use proc_macro2::Span;
use syn::{Data, DeriveInput, Fields, Ident, Type};

/// Which derive is running; the shapes and attributes each accepts differ.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derive {
    Entity,
    Value,
}

pub(crate) struct Container<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) input: &'a DeriveInput,
    pub(crate) attrs: ContainerAttrs,
    pub(crate) body: Body<'a>,
    /// The key templates that parsed, table keys first.
    pub(crate) templates: Vec<TemplateKey>,
    /// The table key templates of `previous(..)` that parsed.
    pub(crate) previous: Vec<PreviousKey>,
}

/// A table key as an earlier version wrote it: `previous(pk = "..")`.
pub(crate) struct PreviousKey {
    pub(crate) role: IndexRole,
    pub(crate) template: Template,
}

/// A key written from a template: which key, and the template.
pub(crate) struct TemplateKey {
    /// The index, with the span of its name; `None` for the table's key.
    pub(crate) index: Option<(String, Span)>,
    pub(crate) role: IndexRole,
    pub(crate) template: Template,
}

impl TemplateKey {
    pub(crate) fn span(&self) -> Span {
        self.template.lit.span()
    }

    pub(crate) fn index_name(&self) -> Option<&str> {
        self.index.as_ref().map(|(name, _)| name.as_str())
    }
}

pub(crate) enum Body<'a> {
    /// A struct with named fields.
    Struct(Vec<Field<'a>>),
    /// A tuple struct with exactly one field.
    Newtype(&'a syn::Field),
    /// A tuple struct with several fields.
    Tuple,
    /// A struct without fields.
    Unit,
    /// An enum: every variant, and those that carry fields (stored only with a `tag`).
    Enum {
        variants: Vec<Variant<'a>>,
        data: Vec<&'a syn::Variant>,
    },
    Union,
}

pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    /// The field's name without the `r#` of raw identifiers.
    pub(crate) name: String,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: FieldAttrs,
    /// The attribute name after `rename` / `rename_all`.
    pub(crate) attribute: String,
}

pub(crate) struct Variant<'a> {
    pub(crate) ident: &'a Ident,
    /// The string stored for this variant after `rename` / `rename_all`.
    pub(crate) value: String,
    /// Where `rename` set it, if it did.
    pub(crate) rename: Option<proc_macro2::Span>,
    /// What the variant holds.
    pub(crate) body: VariantBody<'a>,
}

/// What an enum's variant holds: nothing, named fields, or one value.
pub(crate) enum VariantBody<'a> {
    Unit,
    Named(Vec<Field<'a>>),
    Newtype,
    /// Several unnamed fields.
    Tuple,
}

impl<'a> Container<'a> {
    /// Parses the attributes and the body; attribute syntax errors are recorded in `cx`.
    pub(crate) fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput, derive: Derive) -> Self {
        let place = match derive {
            Derive::Entity => Place::EntityContainer,
            Derive::Value => Place::ValueContainer,
        };
        let attrs = ContainerAttrs::parse(cx, &input.attrs, place);
        let body = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => Body::Struct(
                    named
                        .named
                        .iter()
                        .map(|field| Field::from_ast(cx, field, &attrs))
                        .collect(),
                ),
                Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                    Body::Newtype(&unnamed.unnamed[0])
                }
                Fields::Unnamed(_) => Body::Tuple,
                Fields::Unit => Body::Unit,
            },
            Data::Enum(data) => {
                let mut variants = Vec::with_capacity(data.variants.len());
                let mut with_data = Vec::new();
                for variant in &data.variants {
                    let body = match &variant.fields {
                        Fields::Unit => VariantBody::Unit,
                        Fields::Named(named) => VariantBody::Named(
                            named
                                .named
                                .iter()
                                .map(|field| Field::from_ast(cx, field, &ContainerAttrs::default()))
                                .collect(),
                        ),
                        Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                            VariantBody::Newtype
                        }
                        Fields::Unnamed(_) => VariantBody::Tuple,
                    };
                    if !matches!(body, VariantBody::Unit) {
                        with_data.push(variant);
                    }
                    let variant_attrs = VariantAttrs::parse(cx, &variant.attrs);
                    let name = variant.ident.to_string();
                    let rename = variant_attrs.rename.as_ref().map(|r| r.span);
                    let value = match (variant_attrs.rename, attrs.rename_all) {
                        (Some(rename), _) => rename.value,
                        (None, Some(rule)) => rule.apply_to_variant(&name),
                        (None, None) => name,
                    };
                    variants.push(Variant {
                        ident: &variant.ident,
                        value,
                        rename,
                        body,
                    });
                }
                Body::Enum {
                    variants,
                    data: with_data,
                }
            }
            Data::Union(_) => Body::Union,
        };
        let templates = parse_templates(cx, &attrs);
        let previous = parse_previous(cx, &attrs);
        Container {
            ident: &input.ident,
            input,
            attrs,
            body,
            templates,
            previous,
        }
    }

    /// The template of key `role` of the table (`index: None`) or of an index.
    pub(crate) fn template(&self, index: Option<&str>, role: IndexRole) -> Option<&TemplateKey> {
        self.templates
            .iter()
            .find(|t| t.index_name() == index && t.role == role)
    }

    /// The fields of a struct body; empty for other bodies.
    pub(crate) fn fields(&self) -> &[Field<'a>] {
        match &self.body {
            Body::Struct(fields) => fields,
            _ => &[],
        }
    }

    /// The fields that are stored under an attribute.
    pub(crate) fn stored_fields(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields().iter().filter(|f| f.attrs.is_stored())
    }

    /// The first field carrying a marker (`#[pk]`, ...); [`check`](super::check::check)
    /// reports a second one.
    pub(crate) fn marked(
        &self,
        marker: impl Fn(&FieldAttrs) -> Option<proc_macro2::Span>,
    ) -> Option<&Field<'a>> {
        self.fields().iter().find(|f| marker(&f.attrs).is_some())
    }
}

impl<'a> Field<'a> {
    fn from_ast(cx: &mut Ctxt, field: &'a syn::Field, container: &ContainerAttrs) -> Self {
        let ident = field.ident.as_ref().expect("named fields have identifiers");
        let attrs = FieldAttrs::parse(cx, &field.attrs);
        let name = ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
        let attribute = match (&attrs.rename, container.rename_all) {
            (Some(rename), _) => rename.value.clone(),
            (None, Some(rule)) => rule.apply_to_field(&name),
            (None, None) => name.clone(),
        };
        Field {
            ident,
            name,
            ty: &field.ty,
            attrs,
            attribute,
        }
    }

    /// Whether the field is the table's partition or sort key.
    pub(crate) fn is_key(&self) -> bool {
        self.attrs.pk.is_some() || self.attrs.sk.is_some()
    }
}

/// Parses the key templates of the container; a template that does not parse is reported and
/// left out.
fn parse_templates(cx: &mut Ctxt, attrs: &ContainerAttrs) -> Vec<TemplateKey> {
    let table = [
        (IndexRole::Partition, attrs.pk.as_ref()),
        (IndexRole::Sort, attrs.sk.as_ref()),
    ]
    .into_iter()
    .map(|(role, lit)| (None, role, lit));
    let indexes = attrs.gsi.iter().flat_map(|g| {
        let index = Some((g.index.clone(), g.span));
        [
            (index.clone(), IndexRole::Partition, g.pk.as_ref()),
            (index, IndexRole::Sort, g.sk.as_ref()),
        ]
    });
    let mut out = Vec::new();
    for (index, role, lit) in table.chain(indexes) {
        let Some(lit) = lit else { continue };
        match Template::parse(lit) {
            Ok(template) => out.push(TemplateKey {
                index,
                role,
                template,
            }),
            Err(message) => cx.syn_error(syn::Error::new(lit.span(), message)),
        }
    }
    out
}

/// Parses the templates of `previous(..)`; one that does not parse is reported and left out.
fn parse_previous(cx: &mut Ctxt, attrs: &ContainerAttrs) -> Vec<PreviousKey> {
    let Some(previous) = &attrs.previous else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (role, lit) in [
        (IndexRole::Partition, previous.pk.as_ref()),
        (IndexRole::Sort, previous.sk.as_ref()),
    ] {
        let Some(lit) = lit else { continue };
        match Template::parse(lit) {
            Ok(template) => out.push(PreviousKey { role, template }),
            Err(message) => cx.syn_error(syn::Error::new(lit.span(), message)),
        }
    }
    out
}
