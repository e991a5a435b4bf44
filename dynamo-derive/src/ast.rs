//! The parsed model of a derive input: container, fields or variants, with their attributes.

use crate::attr::{ContainerAttrs, FieldAttrs, Place, VariantAttrs};
use crate::ctxt::Ctxt;
use syn::{Data, DeriveInput, Fields, GenericParam, Ident, Type};

/// Which derive is running; the shapes each accepts differ.
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
}

pub(crate) enum Body<'a> {
    /// A struct with named fields.
    Struct(Vec<Field<'a>>),
    /// A tuple struct with exactly one field.
    Newtype(&'a syn::Field),
    /// An enum whose variants are all units.
    UnitEnum(Vec<Variant<'a>>),
}

pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: FieldAttrs,
    /// The attribute name after `rename` / `rename_all`.
    pub(crate) attribute: String,
}

pub(crate) struct Variant<'a> {
    pub(crate) ident: &'a Ident,
    /// The string stored for this variant after `rename` / `rename_all`.
    pub(crate) value: String,
}

impl<'a> Container<'a> {
    /// Builds the model, or `None` when the input's shape cannot be derived at all (the reason
    /// is recorded in `cx`).
    pub(crate) fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput, derive: Derive) -> Option<Self> {
        let place = match derive {
            Derive::Entity => Place::EntityContainer,
            Derive::Value => Place::ValueContainer,
        };
        let attrs = ContainerAttrs::parse(cx, &input.attrs, place);
        if !check_generics(cx, input, derive) {
            return None;
        }
        let body = match (&input.data, derive) {
            (Data::Struct(data), _) => {
                match &data.fields {
                    Fields::Named(named) => Body::Struct(
                        named
                            .named
                            .iter()
                            .map(|field| Field::from_ast(cx, field, &attrs))
                            .collect(),
                    ),
                    Fields::Unnamed(unnamed)
                        if derive == Derive::Value && unnamed.unnamed.len() == 1 =>
                    {
                        Body::Newtype(&unnamed.unnamed[0])
                    }
                    Fields::Unnamed(_) if derive == Derive::Value => {
                        cx.error_spanned_by(
                        &input.ident,
                        format!("#[derive(DynamoValue)] supports newtypes (one field) but `{}` has several unnamed fields; name them to store it as a map", input.ident),
                    );
                        return None;
                    }
                    Fields::Unnamed(_) => {
                        cx.error_spanned_by(
                        &input.ident,
                        format!("#[derive(DynamoEntity)] needs a struct with named fields, but `{}` is a tuple struct; name its fields so each maps to an attribute", input.ident),
                    );
                        return None;
                    }
                    Fields::Unit => {
                        cx.error_spanned_by(
                        &input.ident,
                        format!("`{}` has no fields to store; a DynamoDB item needs at least its key", input.ident),
                    );
                        return None;
                    }
                }
            }
            (Data::Enum(data), Derive::Value) => {
                let mut variants = Vec::with_capacity(data.variants.len());
                let mut all_units = true;
                for variant in &data.variants {
                    if !matches!(variant.fields, Fields::Unit) {
                        cx.error_spanned_by(
                            variant,
                            format!("#[derive(DynamoValue)] stores enums as strings, so every variant must be a unit; `{}` carries data (store such an enum with #[dynamo(json)] on the field)", variant.ident),
                        );
                        all_units = false;
                        continue;
                    }
                    let variant_attrs = VariantAttrs::parse(cx, &variant.attrs);
                    let name = variant.ident.to_string();
                    let value = match (variant_attrs.rename, attrs.rename_all) {
                        (Some(rename), _) => rename.value,
                        (None, Some(rule)) => rule.apply_to_variant(&name),
                        (None, None) => name,
                    };
                    variants.push(Variant {
                        ident: &variant.ident,
                        value,
                    });
                }
                if !all_units {
                    return None;
                }
                if data.variants.is_empty() {
                    cx.error_spanned_by(
                        &input.ident,
                        format!(
                            "`{}` has no variants, so no value can be stored",
                            input.ident
                        ),
                    );
                    return None;
                }
                Body::UnitEnum(variants)
            }
            (Data::Enum(_), Derive::Entity) => {
                cx.error_spanned_by(
                    &input.ident,
                    format!("#[derive(DynamoEntity)] needs a struct with named fields, but `{}` is an enum; derive DynamoValue to store an enum inside an entity", input.ident),
                );
                return None;
            }
            (Data::Union(_), _) => {
                cx.error_spanned_by(
                    &input.ident,
                    "unions cannot be stored in DynamoDB; use a struct or an enum",
                );
                return None;
            }
        };
        Some(Container {
            ident: &input.ident,
            input,
            attrs,
            body,
        })
    }

    /// The fields of a struct body; empty for other bodies.
    pub(crate) fn fields(&self) -> &[Field<'a>] {
        match &self.body {
            Body::Struct(fields) => fields,
            _ => &[],
        }
    }
}

impl<'a> Field<'a> {
    fn from_ast(cx: &mut Ctxt, field: &'a syn::Field, container: &ContainerAttrs) -> Self {
        let ident = field.ident.as_ref().expect("named fields have identifiers");
        let attrs = FieldAttrs::parse(cx, &field.attrs);
        let name = ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name);
        let attribute = match (&attrs.rename, container.rename_all) {
            (Some(rename), _) => rename.value.clone(),
            (None, Some(rule)) => rule.apply_to_field(name),
            (None, None) => name.to_owned(),
        };
        Field {
            ident,
            ty: &field.ty,
            attrs,
            attribute,
        }
    }
}

/// Whether the generics can be derived; errors are recorded otherwise.
fn check_generics(cx: &mut Ctxt, input: &DeriveInput, derive: Derive) -> bool {
    let mut ok = true;
    for param in &input.generics.params {
        ok &= matches!((param, derive), (GenericParam::Type(_), Derive::Value));
        match (param, derive) {
            (GenericParam::Lifetime(lt), _) => cx.error_spanned_by(
                lt,
                format!(
                    "`{}` cannot borrow: values are built from an owned DynamoDB item, so lifetime `{}` has nothing to borrow from; use owned types such as String and Vec<u8>",
                    input.ident, lt.lifetime
                ),
            ),
            (GenericParam::Type(ty), Derive::Entity) => cx.error_spanned_by(
                ty,
                format!(
                    "entities cannot be generic: `{}` maps to one table with one key schema, so type parameter `{}` must be a concrete type",
                    input.ident, ty.ident
                ),
            ),
            (GenericParam::Const(c), _) => cx.error_spanned_by(
                c,
                format!("const generics are not supported on `{}`", input.ident),
            ),
            (GenericParam::Type(_), Derive::Value) => {}
        }
    }
    ok
}
