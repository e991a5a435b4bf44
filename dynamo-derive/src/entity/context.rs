//! What generation needs at hand ([`Gen`]) and the helpers every artefact uses.

use crate::internals::ast::{Container, Field, TemplateKey};
use crate::internals::attr::IndexRole;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

/// What generation needs at hand: the container, the runtime paths, field lookups.
pub(super) struct Gen<'c, 'a> {
    pub(super) c: &'c Container<'a>,
    pub(super) p: TokenStream,
    pub(super) krate: TokenStream,
    pub(super) name: String,
}

impl Gen<'_, '_> {
    /// The stem of the generated types' names: `type_names = ..`, or the entity's name.
    pub(super) fn stem(&self) -> &syn::Ident {
        self.c.attrs.type_names.as_ref().unwrap_or(self.c.ident)
    }
}

impl<'c, 'a> Gen<'c, 'a> {
    pub(super) fn index_of(&self, field: &Field<'_>) -> usize {
        self.c
            .fields()
            .iter()
            .position(|f| std::ptr::eq(f, field))
            .expect("model fields come from the container")
    }

    /// The field a placeholder names (checked to exist before generation).
    pub(super) fn field(&self, name: &str) -> Option<&'c Field<'a>> {
        self.c
            .fields()
            .iter()
            .find(|f| f.name == name && f.attrs.is_stored())
    }

    pub(super) fn template(&self, n: usize) -> &'c TemplateKey {
        &self.c.templates[n]
    }

    /// The fields of template `n`, in order (placeholders naming no field are left out:
    /// reported already).
    pub(super) fn components(&self, n: usize) -> Vec<(&'c Field<'a>, usize)> {
        self.template(n)
            .template
            .components()
            .filter_map(|(name, width)| Some((self.field(name)?, width)))
            .collect()
    }

    /// The type a component of template `n` is formatted from: the field's type, without
    /// the `Option` of a sparse index key (read off the syntax, so a type that is no component
    /// is reported once, at the template).
    pub(super) fn component_type(&self, n: usize, field: &Field<'_>) -> TokenStream {
        let ty = match self.template(n).index {
            Some(_) => option_inner(field.ty).unwrap_or(field.ty),
            None => field.ty,
        };
        quote!(#ty)
    }

    pub(super) fn template_fn(&self, n: usize) -> syn::Ident {
        format_ident!("__template_{}", n)
    }

    pub(super) fn template_attr(&self, n: usize) -> syn::Ident {
        format_ident!("__TEMPLATE_{}_ATTRIBUTE", n)
    }

    pub(super) fn template_const(&self, n: usize) -> syn::Ident {
        format_ident!("__TEMPLATE_{}", n)
    }
}

pub(super) fn const_name(index: usize) -> syn::Ident {
    format_ident!("__FIELD_{}", index)
}

pub(super) fn role_tokens(p: &TokenStream, role: IndexRole) -> TokenStream {
    match role {
        IndexRole::Partition => quote!(#p::KeyRole::Partition),
        IndexRole::Sort => quote!(#p::KeyRole::Sort),
    }
}

/// `tokens` with every span set to `span`: errors in them point there.
pub(super) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = proc_macro2::TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

/// `T` of a field type written `Option<T>`.
pub(crate) fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            syn::GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

/// Whether the type (or the `T` of an `Option<T>`) is spelled `name` (its last segment), read
/// off the syntax as `Option` is: `OffsetDateTime` components get `{field}_within`, `String`
/// ones `{field}_starting`.
pub(super) fn is_spelled(ty: &syn::Type, name: &str) -> bool {
    let ty = option_inner(ty).unwrap_or(ty);
    matches!(ty, syn::Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == name))
}

/// Generated types: their definitions (at the derive's place, so they can be named) and their
/// impls (inside the entity's `const _` block, next to the template functions they call).
#[derive(Default)]
pub(super) struct Generated {
    pub(super) defs: TokenStream,
    pub(super) impls: TokenStream,
}

impl Generated {
    pub(super) fn extend(&mut self, other: Generated) {
        self.defs.extend(other.defs);
        self.impls.extend(other.impls);
    }
}

/// Tokens as written, without the spaces `to_string` puts between them (`Option<Vec<u8>>`,
/// `crate::TABLE`): how messages and snapshots show a type or a path.
pub(super) fn spelled(tokens: &impl quote::ToTokens) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}
