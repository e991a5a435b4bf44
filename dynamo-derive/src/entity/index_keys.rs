//! `{Entity}{Index}Keys`: new values of an index's template fields for an update, and the
//! computation of an index's template keys (absent for a sparse index).

use super::context::{Gen, Generated, const_name, option_inner};
use super::key::key_members;
use super::model::{EntityModel, IndexModel};
use crate::internals::ast::Field;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `Some((key, ..))` with the index's template keys, `None` when a component is absent; and
/// the names to destructure it with. `read` is how a component field is read.
pub(super) fn sparse_index_keys(
    g: &Gen<'_, '_>,
    templates: &[usize],
    read: &dyn Fn(&Field<'_>) -> TokenStream,
) -> (TokenStream, Vec<syn::Ident>) {
    let p = &g.p;
    // Every component of the index's templates, each once.
    let mut components: Vec<&Field<'_>> = Vec::new();
    for n in templates {
        for (f, _) in g.components(*n) {
            if !components.iter().any(|c| std::ptr::eq(*c, f)) {
                components.push(f);
            }
        }
    }
    let locals: Vec<_> = (0..components.len())
        .map(|k| format_ident!("__dynamo_component_{}", k))
        .collect();
    // A sparse index's component is an `Option` (read off the type's syntax).
    let reads = components.iter().map(|f| {
        let value = read(f);
        match option_inner(f.ty) {
            Some(_) => quote!(#value.as_ref()),
            None => quote!(#p::Some(&#value)),
        }
    });
    let calls = templates.iter().map(|n| {
        let fname = g.template_fn(*n);
        let args = g.components(*n).into_iter().map(|(f, _)| {
            let k = components
                .iter()
                .position(|c| std::ptr::eq(*c, f))
                .expect("collected above");
            let local = &locals[k];
            quote!(#local)
        });
        quote!(#fname(#(#args),*)?)
    });
    let names: Vec<_> = templates
        .iter()
        .map(|n| format_ident!("__dynamo_text_{}", n))
        .collect();
    let computed = quote! {
        match (#(#reads,)*) {
            (#(#p::Some(#locals),)*) => #p::Some((#(#calls,)*)),
            #[allow(unreachable_patterns)]
            _ => #p::None,
        }
    };
    (computed, names)
}

/// The fields of an index's key templates that are not the table key's, each once: the
/// members of its `{Entity}{Index}Keys`.
pub(super) fn index_members<'c, 'a>(
    g: &Gen<'c, 'a>,
    m: &EntityModel<'c, 'a>,
    index: &IndexModel<'c, 'a>,
) -> Vec<&'c Field<'a>> {
    let key_members = key_members(g, m);
    let mut members: Vec<&'c Field<'a>> = Vec::new();
    for n in index.templates() {
        for (f, _) in g.components(n) {
            let in_key = key_members.iter().any(|k| std::ptr::eq(*k, f));
            if !in_key && !members.iter().any(|o| std::ptr::eq(*o, f)) {
                members.push(f);
            }
        }
    }
    members
}

/// `{Entity}{Index}Keys`: new values for the fields an index's templates are made of (the
/// table key's fields come from the updated item's key).
pub(super) fn index_keys_struct(
    g: &Gen<'_, '_>,
    m: &EntityModel<'_, '_>,
    index: &IndexModel<'_, '_>,
) -> Generated {
    let (p, krate) = (&g.p, &g.krate);
    let ident = g.c.ident;
    let vis = &g.c.input.vis;
    let name = &g.name;
    let templates = index.templates();
    let key_members = key_members(g, m);
    let in_key = |f: &Field<'_>| key_members.iter().any(|k| std::ptr::eq(*k, f));
    let members = index_members(g, m, index);
    if members.is_empty() {
        return Generated::default();
    }
    let keys_ident = format_ident!("{}{}Keys", g.stem(), index.type_part);
    let key_ident = format_ident!("{}Key", g.stem());
    let idents: Vec<_> = members.iter().map(|f| f.ident).collect();
    let types: Vec<_> = members.iter().map(|f| f.ty).collect();
    let docs = members.iter().map(|f| format!("Field `{}`.", f.name));
    let doc = format!(
        "New values of the fields the keys of index `{}` of [`{name}`] are made of, for `UpdateItem::set_index_keys`: the update writes them and rewrites the index keys.",
        index.name
    );
    let (computed, names) = sparse_index_keys(g, &templates, &|f| {
        let member = f.ident;
        if in_key(f) {
            quote!(key.#member)
        } else {
            quote!(self.#member)
        }
    });
    let writes = members.iter().map(|f| {
        let (cname, member) = (const_name(g.index_of(f)), f.ident);
        quote!(out.push((#cname.attribute(), #cname.to_attribute(self.#member)?));)
    });
    let attrs: Vec<_> = templates.iter().map(|n| g.template_attr(*n)).collect();
    let count = members.len() + templates.len();
    let defs = quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #keys_ident {
            #(
                #[doc = #docs]
                pub #idents: #types,
            )*
        }
    };
    let impls = quote! {
            #[automatically_derived]
            impl #krate::__private::IndexKeys for #keys_ident {
                type Entity = #ident;

                fn into_update(self, key: &#key_ident) -> #p::Result<#p::Vec<(&'static str, #p::Option<#p::AttributeValue>)>, #p::MappingError> {
                    let _ = key;
                    let keys = #computed;
                    let mut out = #p::Vec::with_capacity(#count);
                    #(#writes)*
                    match keys {
                        #p::Some((#(#names,)*)) => {
                            #(out.push((#attrs, #p::Some(#p::key_text(#names))));)*
                        }
                        #p::None => {
                            #(out.push((#attrs, #p::None));)*
                        }
                    }
                    #p::Ok(out)
                }
            }
    };
    Generated { defs, impls }
}
