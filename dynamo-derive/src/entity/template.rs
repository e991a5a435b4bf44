//! Key templates: per template its attribute, its description, the constants of its
//! components and the functions that format it (and, for a sort template, its prefixes).

use super::context::{Gen, respan, role_tokens};
use crate::internals::attr::IndexRole;
use crate::internals::template::Part;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

/// The `KeyField` of template `n`.
pub(super) fn template_key_field(g: &Gen<'_, '_>, n: usize) -> TokenStream {
    let p = &g.p;
    let text = &g.template(n).template.text;
    let (attr, tconst) = (g.template_attr(n), g.template_const(n));
    quote!(#p::KeyField { field: #text, attribute: #attr, scalar: #p::ScalarType::S, template: #p::Some(#tconst) })
}

/// Per template: its attribute, its description, the components' error context and the
/// function that formats it (and, for a sort template, its prefixes).
pub(super) fn templates(g: &Gen<'_, '_>) -> TokenStream {
    let (p, krate, name) = (&g.p, &g.krate, &g.name);
    let ident = g.c.ident;
    let mut out = TokenStream::new();
    for (n, t) in g.c.templates.iter().enumerate() {
        let span = t.span();
        let (attr, tconst, fname) = (g.template_attr(n), g.template_const(n), g.template_fn(n));
        let index = match t.index_name() {
            Some(index) => quote!(#p::Some(#index)),
            None => quote!(#p::None),
        };
        let role = role_tokens(p, t.role);
        let text = &t.template.text;
        let prefix = t.template.prefix();
        let shape = t.template.shape();
        let delimiters = delimiter_texts(g, n);
        let components = g.components(n);
        let names = components.iter().map(|(f, _)| f.name.as_str());
        let count = components.len();
        let lower = g.c.attrs.key_case_lower();
        let of = components.iter().zip(&delimiters).map(|((f, _), delimiter)| {
            let field = f.name.as_str();
            let ty = g.component_type(n, f);
            let lowercase = if lower {
                quote!(<#ty as #krate::__private::KeyComponent>::CASED)
            } else {
                quote!(false)
            };
            quote!(#p::ComponentOf { entity: #name, field: #field, attribute: #attr, delimiters: #delimiter, lowercase: #lowercase })
        });
        let of_const = format_ident!("__TEMPLATE_{}_OF", n);
        out.extend(quote_spanned! {span=>
            const #attr: &'static str = #p::template_attribute(&<#ident as #krate::__private::Entity>::TABLE, #index, #role);
            const #tconst: #p::KeyTemplate = #p::KeyTemplate {
                text: #text,
                prefix: #prefix,
                shape: #shape,
                components: &[#(#names),*],
            };
            const #of_const: [#p::ComponentOf; #count] = [#(#of),*];
        });
        // How each component is written, at the template: a type that is no key component is
        // reported there, once.
        for (k, (f, _)) in components.iter().enumerate() {
            let (cname, ty) = (component_const(n, k), g.component_type(n, f));
            out.extend(respan(
                quote! {
                    const #cname: #p::Component<#ty> = #p::Component {
                        numeric: <#ty as #krate::__private::KeyComponent>::NUMERIC,
                        charset: <#ty as #krate::__private::KeyComponent>::CHARSET,
                        cardinality: <#ty as #krate::__private::KeyComponent>::CARDINALITY,
                        write: <#ty as #krate::__private::KeyComponent>::write_component,
                    };
                },
                span,
            ));
        }
        // The whole template, and for a sort template every proper prefix of its components.
        let whole = format_parts(g, n, t.template.parts.len(), &of_const, false);
        let params = component_params(g, n, count);
        let capacity = text.len() + 24 * count;
        out.extend(quote! {
            #[inline]
            #[allow(clippy::ptr_arg)]
            fn #fname(#(#params),*) -> #p::Result<#p::String, #p::MappingError> {
                let mut out = #p::String::with_capacity(#capacity);
                #whole
                #p::Ok(out)
            }
        });
        if t.template.shard().is_some() {
            // The key of one given shard, for queries: the components but the shard's field.
            let at = shard_fn(n);
            let shard_field = t.template.shard().map(|(name, _)| name);
            let params = component_params(g, n, count)
                .into_iter()
                .zip(components.iter())
                .filter(|(_, (f, _))| Some(f.name.as_str()) != shard_field)
                .map(|(param, _)| param);
            let body = format_parts(g, n, t.template.parts.len(), &of_const, true);
            out.extend(quote! {
                #[allow(clippy::ptr_arg)]
                fn #at(#(#params,)* shard: u32) -> #p::Result<#p::String, #p::MappingError> {
                    let mut out = #p::String::with_capacity(#capacity);
                    #body
                    #p::Ok(out)
                }
            });
        }
        if t.role == IndexRole::Sort {
            for k in 0..count.saturating_sub(1) {
                let pname = format_ident!("__template_{}_prefix_{}", n, k);
                let params = component_params(g, n, k + 1);
                let end = prefix_end(&t.template.parts, k);
                let body = format_parts(g, n, end, &of_const, false);
                out.extend(quote! {
                    #[allow(clippy::ptr_arg)]
                    fn #pname(#(#params),*) -> #p::Result<#p::String, #p::MappingError> {
                        let mut out = #p::String::with_capacity(#capacity);
                        #body
                        #p::Ok(out)
                    }
                });
            }
        }
    }
    out
}

/// The function formatting sharded template `n` for a given shard number.
pub(super) fn shard_fn(n: usize) -> syn::Ident {
    format_ident!("__template_{}_at", n)
}

/// The `const` describing component `k` of template `n`.
pub(super) fn component_const(n: usize, k: usize) -> syn::Ident {
    format_ident!("__TEMPLATE_{}_COMPONENT_{}", n, k)
}

/// Per component of template `n` (as [`Gen::components`] lists them), the delimiter it must
/// not contain, as text (empty: none).
pub(super) fn delimiter_texts(g: &Gen<'_, '_>, n: usize) -> Vec<String> {
    let t = &g.template(n).template;
    let shard = t.shard().map(|(name, _)| name);
    t.components()
        .zip(t.delimiters())
        .filter(|((name, _), _)| g.field(name).is_some())
        // A shard's field is hashed, not written: any text will do.
        .map(|((name, _), d)| match d {
            Some(d) if shard != Some(name) => d.to_string(),
            _ => String::new(),
        })
        .collect()
}

/// `c0: &T0, c1: &T1, ..` for the first `count` components of template `n`.
pub(super) fn component_params(g: &Gen<'_, '_>, n: usize, count: usize) -> Vec<TokenStream> {
    g.components(n)
        .iter()
        .take(count)
        .enumerate()
        .map(|(k, (f, _))| {
            let (param, ty) = (format_ident!("c{}", k), g.component_type(n, f));
            quote!(#param: &#ty)
        })
        .collect()
}

/// The parts up to the literal after component `k`: the text every key starting with the
/// first `k + 1` components has.
pub(super) fn prefix_end(parts: &[Part], k: usize) -> usize {
    let mut seen = 0;
    for (i, part) in parts.iter().enumerate() {
        if part.field().is_some() {
            if seen == k {
                return match parts.get(i + 1) {
                    Some(Part::Literal(_)) => i + 2,
                    _ => i + 1,
                };
            }
            seen += 1;
        }
    }
    parts.len()
}

/// Statements appending the first `end` parts of template `n` to `out`; with `shard_given`, a
/// shard component writes the number in `shard` instead of hashing its field.
pub(super) fn format_parts(
    g: &Gen<'_, '_>,
    n: usize,
    end: usize,
    of_const: &syn::Ident,
    shard_given: bool,
) -> TokenStream {
    let p = &g.p;
    let t = g.template(n);
    let mut k: usize = 0;
    let mut out = TokenStream::new();
    for part in &t.template.parts[..end] {
        match part {
            Part::Literal(text) => out.extend(quote!(out.push_str(#text);)),
            Part::Field { name, width } => {
                if g.field(name).is_none() {
                    continue;
                }
                let (param, component) = (format_ident!("c{}", k), component_const(n, k));
                out.extend(quote!(#p::write_component(&mut out, #param, #width, &#of_const[#k], #component.write)?;));
                k += 1;
            }
            Part::Shard { name, shards } => {
                if g.field(name).is_none() {
                    continue;
                }
                let (param, component) = (format_ident!("c{}", k), component_const(n, k));
                out.extend(if shard_given {
                    quote!(#p::write_shard_number(&mut out, shard, #shards);)
                } else {
                    quote!(#p::write_shard(&mut out, #param, #shards, &#of_const[#k], #component.write)?;)
                });
                k += 1;
            }
        }
    }
    out
}

/// A call of template `n`'s function on the components, read as `source.member`.
pub(super) fn template_call(g: &Gen<'_, '_>, n: usize, source: &TokenStream) -> TokenStream {
    let fname = g.template_fn(n);
    let args = g.components(n).into_iter().map(|(f, _)| {
        let member = f.ident;
        quote!(&#source.#member)
    });
    quote!(#fname(#(#args),*)?)
}
