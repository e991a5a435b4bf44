//! `#[derive(DynamoEntity)]`.

use crate::codec::{field_codec, krate, skipped_value};
use crate::internals::ast::{Container, Derive, Field, TemplateKey};
use crate::internals::attr::{GsiAttr, IndexRole};
use crate::internals::check::check;
use crate::internals::ctxt::Ctxt;
use crate::internals::template::Part;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let container = Container::from_ast(&mut cx, input, Derive::Entity);
    // Generated even after an error (when the shape allows it), so one mistake does not
    // cascade into errors about missing impls.
    let generated = match check(&mut cx, &container, Derive::Entity) {
        true => EntityModel::of(&container)
            .map_or_else(TokenStream::new, |model| generate(&container, &model)),
        false => TokenStream::new(),
    };
    let errors = cx.into_compile_errors();
    quote!(#errors #generated)
}

/// Where a key comes from: a field holding it, or a template composing it (the template's
/// position in `Container::templates`).
#[derive(Clone, Copy)]
enum Key<'c, 'a> {
    Field(&'c Field<'a>),
    Template(usize),
}

/// One secondary index the entity writes keys of.
struct IndexModel<'c, 'a> {
    name: String,
    /// `Gsi1` for `GSI1`: the middle of the generated type names.
    type_part: String,
    pk: Option<Key<'c, 'a>>,
    sk: Option<Key<'c, 'a>>,
}

impl IndexModel<'_, '_> {
    /// The index's key templates (by their position in `Container::templates`).
    fn templates(&self) -> Vec<usize> {
        [self.pk, self.sk]
            .into_iter()
            .flatten()
            .filter_map(|k| match k {
                Key::Template(n) => Some(n),
                Key::Field(_) => None,
            })
            .collect()
    }
}

/// The keys and managed attributes of the entity.
struct EntityModel<'c, 'a> {
    pk: Key<'c, 'a>,
    sk: Option<Key<'c, 'a>>,
    indexes: Vec<IndexModel<'c, 'a>>,
    ttl: Option<&'c Field<'a>>,
    version: Option<&'c Field<'a>>,
}

impl<'c, 'a> EntityModel<'c, 'a> {
    fn of(c: &'c Container<'a>) -> Option<Self> {
        // Templates write the declared table's attributes; without one, the errors are
        // reported and nothing is generated.
        if c.attrs.table.is_none() && (!c.templates.is_empty() || c.attrs.entity.is_some()) {
            return None;
        }
        let key = |role: IndexRole, marker: Option<&'c Field<'a>>| {
            let template = c
                .templates
                .iter()
                .position(|t| t.index.is_none() && t.role == role);
            template.map(Key::Template).or(marker.map(Key::Field))
        };
        let pk = key(IndexRole::Partition, c.marked(|a| a.pk))?;
        let sk = key(IndexRole::Sort, c.marked(|a| a.sk));
        if let (Key::Field(pk), Some(Key::Field(sk))) = (pk, sk)
            && std::ptr::eq(pk, sk)
        {
            // One field as both keys: reported, and nothing to generate.
            return None;
        }

        // Indexes in order of first appearance: field markers, then templates.
        let mut indexes: Vec<IndexModel<'c, 'a>> = Vec::new();
        let slot = |indexes: &mut Vec<IndexModel<'c, 'a>>, name: &str, role, key| {
            let position = match indexes.iter().position(|i| i.name == name) {
                Some(p) => p,
                None => {
                    indexes.push(IndexModel {
                        name: name.to_owned(),
                        type_part: type_part(name),
                        pk: None,
                        sk: None,
                    });
                    indexes.len() - 1
                }
            };
            let index = &mut indexes[position];
            match role {
                IndexRole::Partition => index.pk = Some(key),
                IndexRole::Sort => index.sk = Some(key),
            }
        };
        for f in c.fields() {
            for gsi in &f.attrs.gsi {
                slot(&mut indexes, &gsi.index, gsi.role, Key::Field(f));
            }
        }
        for (n, t) in c.templates.iter().enumerate() {
            if let Some(name) = t.index_name() {
                slot(&mut indexes, name, t.role, Key::Template(n));
            }
        }
        Some(EntityModel {
            pk,
            sk,
            indexes,
            ttl: c.marked(|a| a.ttl),
            version: c.marked(|a| a.version),
        })
    }
}

/// `GSI1` → `Gsi1`, `user-index` → `UserIndex`, `byUser` → `ByUser`.
fn type_part(index: &str) -> String {
    index
        .split(|c: char| !c.is_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(|segment| {
            let shouting = !segment.chars().any(char::is_lowercase);
            let mut chars = segment.chars();
            let first = chars.next().map(|c| c.to_uppercase().to_string());
            let rest: String = if shouting {
                chars.as_str().to_lowercase()
            } else {
                chars.as_str().to_owned()
            };
            first.unwrap_or_default() + &rest
        })
        .collect()
}

fn const_name(index: usize) -> syn::Ident {
    format_ident!("__FIELD_{}", index)
}

/// What generation needs at hand: the container, the runtime paths, field lookups.
struct Gen<'c, 'a> {
    c: &'c Container<'a>,
    p: TokenStream,
    krate: TokenStream,
    name: String,
}

impl<'c, 'a> Gen<'c, 'a> {
    fn index_of(&self, field: &Field<'_>) -> usize {
        self.c
            .fields()
            .iter()
            .position(|f| std::ptr::eq(f, field))
            .expect("model fields come from the container")
    }

    /// The field a placeholder names (checked to exist before generation).
    fn field(&self, name: &str) -> Option<&'c Field<'a>> {
        self.c
            .fields()
            .iter()
            .find(|f| f.name == name && f.attrs.is_stored())
    }

    fn template(&self, n: usize) -> &'c TemplateKey {
        &self.c.templates[n]
    }

    /// The fields of template `n`, in order (placeholders naming no field are left out:
    /// reported already).
    fn components(&self, n: usize) -> Vec<(&'c Field<'a>, usize)> {
        self.template(n)
            .template
            .components()
            .filter_map(|(name, width)| Some((self.field(name)?, width)))
            .collect()
    }

    /// The type a component of template `n` is formatted from: the field's type, without
    /// the `Option` of a sparse index key (read off the syntax, so a type that is no component
    /// is reported once, at the template).
    fn component_type(&self, n: usize, field: &Field<'_>) -> TokenStream {
        let ty = match self.template(n).index {
            Some(_) => option_inner(field.ty).unwrap_or(field.ty),
            None => field.ty,
        };
        quote!(#ty)
    }

    fn template_fn(&self, n: usize) -> syn::Ident {
        format_ident!("__template_{}", n)
    }

    fn template_attr(&self, n: usize) -> syn::Ident {
        format_ident!("__TEMPLATE_{}_ATTRIBUTE", n)
    }

    fn template_const(&self, n: usize) -> syn::Ident {
        format_ident!("__TEMPLATE_{}", n)
    }
}

fn generate(c: &Container<'_>, m: &EntityModel<'_, '_>) -> TokenStream {
    let krate = krate(c);
    let g = Gen {
        c,
        p: quote!(#krate::__private),
        krate: krate.clone(),
        name: c.ident.to_string(),
    };
    let p = &g.p;
    let ident = c.ident;
    let vis = &c.input.vis;
    let name = &g.name;
    let key_ident = format_ident!("{}Key", ident);
    let fields_ident = format_ident!("{}Fields", ident);
    let fields = c.fields();

    // One const per stored field: its attribute and conversions.
    let codecs = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.is_stored())
        .map(|(i, f)| {
            let cname = const_name(i);
            let ty = f.ty;
            let codec = field_codec(p, name, f, f.is_key());
            quote!(const #cname: #p::Field<#ty> = #codec;)
        });

    // One const per index key field: its scalar type.
    let mut index_consts = Vec::new();
    let mut index_keys = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        for (j, gsi) in f.attrs.gsi.iter().enumerate() {
            let cname = format_ident!("__INDEX_{}_{}", i, j);
            let ty = f.ty;
            index_consts.push(quote_spanned!(gsi.span=> const #cname: #p::ScalarType = <#ty as #p::IndexKeyScalar>::SCALAR;));
            let role = role_tokens(p, gsi.role);
            let (index, fname, attribute) = (&gsi.index, f.name.as_str(), &f.attribute);
            index_keys.push((
                gsi,
                quote!(#p::IndexKeyField {
                    index: #index,
                    role: #role,
                    key: #p::KeyField { field: #fname, attribute: #attribute, scalar: #cname, template: #p::None },
                }),
            ));
        }
    }
    let template_index_keys = c.templates.iter().enumerate().filter_map(|(n, t)| {
        let index = t.index_name()?;
        let role = role_tokens(p, t.role);
        let key = template_key_field(&g, n);
        Some(quote!(#p::IndexKeyField { index: #index, role: #role, key: #key }))
    });

    let template_items = templates(&g);

    let key_field = |key: Key<'_, '_>| match key {
        Key::Field(f) => {
            let cname = const_name(g.index_of(f));
            let (fname, attribute) = (f.name.as_str(), &f.attribute);
            quote!(#p::KeyField { field: #fname, attribute: #attribute, scalar: #cname.scalar(), template: #p::None })
        }
        Key::Template(n) => template_key_field(&g, n),
    };
    let pk_schema = key_field(m.pk);
    let sk_schema = match m.sk {
        Some(sk) => {
            let sk = key_field(sk);
            quote!(#p::Some(#sk))
        }
        None => quote!(#p::None),
    };
    let attributes = fields.iter().filter(|f| f.attrs.is_stored()).map(|f| {
        let (fname, attribute) = (f.name.as_str(), &f.attribute);
        quote!(#p::FieldAttribute { field: #fname, attribute: #attribute })
    });
    let optional_str = |f: Option<&Field<'_>>| match f {
        Some(f) => {
            let attribute = &f.attribute;
            quote!(#p::Some(#attribute))
        }
        None => quote!(#p::None),
    };
    let ttl_attribute = optional_str(m.ttl);
    let version_attribute = optional_str(m.version);
    let index_key_values = index_keys.iter().map(|(_, tokens)| tokens);
    let entity_type = c
        .attrs
        .entity
        .as_ref()
        .map_or_else(|| name.clone(), syn::LitStr::value);

    // The key struct: the table's key fields and the fields of its key templates.
    let key_members = key_members(&g, m);
    let key_idents: Vec<_> = key_members.iter().map(|f| f.ident).collect();
    let key_types: Vec<_> = key_members.iter().map(|f| f.ty).collect();
    let key_docs = key_members.iter().map(|f| {
        if f.is_key() {
            let role = if f.attrs.pk.is_some() {
                "partition"
            } else {
                "sort"
            };
            format!("The {role} key, stored as attribute `{}`.", f.attribute)
        } else {
            format!("Field `{}`, part of the key.", f.name)
        }
    });
    let key_doc = format!("The primary key of [`{name}`], generated by `#[derive(DynamoEntity)]`.");
    let key_count = 1 + usize::from(m.sk.is_some());
    let new_doc = format!("A key of [`{name}`] from its parts.");
    let into_key_item = key_item_body(&g, m);

    // Typed attribute paths: key parts cannot be updated.
    let key_parts = key_part_names(&g, m);
    let stored: Vec<&Field<'_>> = fields.iter().filter(|f| f.attrs.is_stored()).collect();
    let path_members: Vec<_> = stored.iter().map(|f| f.ident).collect();
    let path_types = stored.iter().map(|f| {
        let ty = f.ty;
        if key_parts.contains(&f.name.as_str()) {
            quote!(#krate::__private::KeyAttr<#ty>)
        } else {
            quote!(#krate::__private::Attr<#ty>)
        }
    });
    let path_values = stored.iter().map(|f| {
        let attribute = &f.attribute;
        if key_parts.contains(&f.name.as_str()) {
            quote!(#krate::__private::KeyAttr::new(#attribute))
        } else {
            quote!(#krate::__private::Attr::new(#attribute))
        }
    });
    let path_docs = stored.iter().map(|f| {
        if key_parts.contains(&f.name.as_str()) {
            format!(
                "Attribute `{}` (part of a key: not updatable).",
                f.attribute
            )
        } else {
            format!("Attribute `{}`.", f.attribute)
        }
    });
    let fields_doc =
        format!("Typed attribute paths of [`{name}`], generated by `#[derive(DynamoEntity)]`.");

    // Mapping.
    let (key_values, key_inserts) = item_keys(&g, m);
    let encode = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.is_stored())
        .map(|(i, f)| {
            let (cname, member) = (const_name(i), f.ident);
            quote!(#cname.encode(&mut item, self.#member)?;)
        });
    let marker_keys: Vec<&Field<'_>> = [Some(m.pk), m.sk]
        .into_iter()
        .flatten()
        .filter_map(|k| match k {
            Key::Field(f) => Some(f),
            Key::Template(_) => None,
        })
        .collect();
    // Key fields first; the other fields in a closure, so an error in one of them can name
    // the item by its key, at no cost when nothing fails. Locals are named after the field's
    // position, never its name, so no field shadows them.
    let local = |i: usize| format_ident!("__dynamo_field_{}", i);
    let decode_keys = marker_keys.iter().map(|f| {
        let i = g.index_of(f);
        let (value, cname) = (local(i), const_name(i));
        quote!(let #value = #cname.decode(&mut __dynamo_item)?;)
    });
    let key_on_error = marker_keys.iter().map(|f| {
        let i = g.index_of(f);
        let (value, cname) = (local(i), const_name(i));
        quote!(let _ = #cname.encode(&mut __dynamo_key, #p::Clone::clone(&#value));)
    });
    let rest: Vec<(usize, &Field<'_>)> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.is_stored() && !f.is_key())
        .collect();
    let rest_values: Vec<_> = rest.iter().map(|(i, _)| local(*i)).collect();
    let rest_types: Vec<_> = rest.iter().map(|(_, f)| f.ty).collect();
    let rest_decode = rest.iter().map(|(i, _)| {
        let cname = const_name(*i);
        quote!(#cname.decode(&mut __dynamo_item)?)
    });
    let construct = fields.iter().enumerate().map(|(i, f)| {
        let member = f.ident;
        if f.attrs.is_stored() {
            let value = local(i);
            quote!(#member: #value)
        } else {
            let value = skipped_value(p, f);
            quote!(#member: #value)
        }
    });
    let item_capacity = stored.len() + c.templates.len() + 1;

    let versioned = m.version.map(|_| {
        quote! {
            #[automatically_derived]
            impl #krate::__private::Versioned for #ident {}
        }
    });
    let (version_const, version_methods) = match m.version {
        Some(v) => {
            let (ty, member, cname) = (v.ty, v.ident, const_name(g.index_of(v)));
            (
                quote_spanned!(v.ty.span()=> const __VERSION: #p::Version<#ty> = #p::version::<#ty>();),
                quote! {
                    fn version(&self) -> #p::Option<u64> {
                        #p::Some(__VERSION.get(#p::Clone::clone(&self.#member)))
                    }
                    fn set_version(&mut self, version: u64) -> #p::Result<(), #p::MappingError> {
                        __VERSION.set(&mut self.#member, version, &#cname)
                    }
                },
            )
        }
        None => (TokenStream::new(), TokenStream::new()),
    };

    let (table, checks) = table_and_checks(&g, m, &index_keys);
    let Generated {
        defs: partition_defs,
        impls: partition_impls,
    } = partitions(&g, m);

    quote! {
        #[doc = #key_doc]
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #key_ident {
            #(
                #[doc = #key_docs]
                pub #key_idents: #key_types,
            )*
        }

        #[doc = #fields_doc]
        #[derive(Clone, Copy, Debug)]
        #vis struct #fields_ident {
            #(
                #[doc = #path_docs]
                pub #path_members: #path_types,
            )*
        }

        #partition_defs

        #[allow(non_upper_case_globals, clippy::all)]
        const _: () = {
            #(#codecs)*
            #(#index_consts)*
            #version_const
            #template_items
            #partition_impls

            #[automatically_derived]
            impl #key_ident {
                #[doc = #new_doc]
                #[allow(clippy::too_many_arguments)]
                pub fn new(#(#key_idents: impl #p::ValueOf<#key_types>),*) -> Self {
                    #key_ident { #(#key_idents: #p::ValueOf::into_value(#key_idents)),* }
                }
            }

            #[automatically_derived]
            impl #krate::__private::EntityKey for #key_ident {
                type Entity = #ident;

                fn into_key_item(self) -> #p::Result<#p::Item, #p::MappingError> {
                    let mut item = #p::item_with_capacity(#key_count);
                    #into_key_item
                    #p::Ok(item)
                }
            }

            #[automatically_derived]
            impl #ident {
                /// Typed attribute paths for expressions: a misspelled attribute does not compile.
                #vis const fn fields() -> #fields_ident {
                    <#ident as #krate::__private::Entity>::FIELDS
                }
            }

            #[automatically_derived]
            impl #krate::__private::Entity for #ident {
                type Key = #key_ident;
                type Fields = #fields_ident;

                const TABLE: #krate::__private::TableDef = #table;
                const SCHEMA: #krate::__private::EntitySchema = #krate::__private::EntitySchema {
                    name: #name,
                    partition_key: #pk_schema,
                    sort_key: #sk_schema,
                    attributes: &[#(#attributes),*],
                    index_keys: &[#(#index_key_values,)* #(#template_index_keys,)*],
                    ttl_attribute: #ttl_attribute,
                    version_attribute: #version_attribute,
                    entity_type: #p::entity_type(&<#ident as #krate::__private::Entity>::TABLE, #entity_type),
                };
                const FIELDS: #fields_ident = #fields_ident {
                    #(#path_members: #path_values,)*
                };

                fn key(&self) -> #key_ident {
                    #key_ident { #(#key_idents: #p::Clone::clone(&self.#key_idents),)* }
                }

                fn into_item(self) -> #p::Result<#p::Item, #p::MappingError> {
                    #key_values
                    let mut item = #p::item_with_capacity(#item_capacity);
                    #(#encode)*
                    #key_inserts
                    #p::write_entity_type(&mut item, &<#ident as #krate::__private::Entity>::TABLE, <#ident as #krate::__private::Entity>::SCHEMA.entity_type);
                    #p::Ok(item)
                }

                fn from_item(mut __dynamo_item: #p::Item) -> #p::Result<Self, #p::MappingError> {
                    #p::read_entity_type(&__dynamo_item, &<#ident as #krate::__private::Entity>::TABLE, &<#ident as #krate::__private::Entity>::SCHEMA)?;
                    #(#decode_keys)*
                    let __dynamo_rest = (|| -> #p::Result<(#(#rest_types,)*), #p::MappingError> {
                        #p::Ok((#(#rest_decode,)*))
                    })();
                    match __dynamo_rest {
                        #p::Ok((#(#rest_values,)*)) => #p::Ok(#ident { #(#construct,)* }),
                        #p::Err(__dynamo_error) => {
                            let mut __dynamo_key = #p::key_attributes(&<#ident as #krate::__private::Entity>::TABLE, &__dynamo_item);
                            #(#key_on_error)*
                            #p::Err(__dynamo_error.with_key(__dynamo_key))
                        }
                    }
                }

                #version_methods
            }

            #versioned

            #checks
        };
    }
}

fn role_tokens(p: &TokenStream, role: IndexRole) -> TokenStream {
    match role {
        IndexRole::Partition => quote!(#p::KeyRole::Partition),
        IndexRole::Sort => quote!(#p::KeyRole::Sort),
    }
}

/// The `KeyField` of template `n`.
fn template_key_field(g: &Gen<'_, '_>, n: usize) -> TokenStream {
    let p = &g.p;
    let text = &g.template(n).template.text;
    let (attr, tconst) = (g.template_attr(n), g.template_const(n));
    quote!(#p::KeyField { field: #text, attribute: #attr, scalar: #p::ScalarType::S, template: #p::Some(#tconst) })
}

/// Per template: its attribute, its description, the components' error context and the
/// function that formats it (and, for a sort template, its prefixes).
fn templates(g: &Gen<'_, '_>) -> TokenStream {
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
        let of = components.iter().zip(&delimiters).map(|((f, _), delimiter)| {
            let field = f.name.as_str();
            quote!(#p::ComponentOf { entity: #name, field: #field, attribute: #attr, delimiters: #delimiter })
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
                        write: <#ty as #krate::__private::KeyComponent>::write_component,
                    };
                },
                span,
            ));
        }
        // The whole template, and for a sort template every proper prefix of its components.
        let whole = format_parts(g, n, t.template.parts.len(), &of_const);
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
        if t.role == IndexRole::Sort {
            for k in 0..count.saturating_sub(1) {
                let pname = format_ident!("__template_{}_prefix_{}", n, k);
                let params = component_params(g, n, k + 1);
                let end = prefix_end(&t.template.parts, k);
                let body = format_parts(g, n, end, &of_const);
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

/// The `const` describing component `k` of template `n`.
fn component_const(n: usize, k: usize) -> syn::Ident {
    format_ident!("__TEMPLATE_{}_COMPONENT_{}", n, k)
}

/// `tokens` with every span set to `span`: errors in them point there.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
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

/// Per component of template `n` (as [`Gen::components`] lists them), the delimiter it must
/// not contain, as text (empty: none).
fn delimiter_texts(g: &Gen<'_, '_>, n: usize) -> Vec<String> {
    let t = &g.template(n).template;
    t.components()
        .zip(t.delimiters())
        .filter(|((name, _), _)| g.field(name).is_some())
        .map(|(_, d)| d.map(String::from).unwrap_or_default())
        .collect()
}

/// `c0: &T0, c1: &T1, ..` for the first `count` components of template `n`.
fn component_params(g: &Gen<'_, '_>, n: usize, count: usize) -> Vec<TokenStream> {
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
fn prefix_end(parts: &[Part], k: usize) -> usize {
    let mut seen = 0;
    for (i, part) in parts.iter().enumerate() {
        if let Part::Field { .. } = part {
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

/// Statements appending the first `end` parts of template `n` to `out`.
fn format_parts(g: &Gen<'_, '_>, n: usize, end: usize, of_const: &syn::Ident) -> TokenStream {
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
        }
    }
    out
}

/// The fields of the key struct: the table keys' fields and template components, each once.
fn key_members<'c, 'a>(g: &Gen<'c, 'a>, m: &EntityModel<'c, 'a>) -> Vec<&'c Field<'a>> {
    let mut out: Vec<&'c Field<'a>> = Vec::new();
    for key in [Some(m.pk), m.sk].into_iter().flatten() {
        let fields = match key {
            Key::Field(f) => vec![f],
            Key::Template(n) => g.components(n).into_iter().map(|(f, _)| f).collect(),
        };
        for f in fields {
            if !out.iter().any(|o| std::ptr::eq(*o, f)) {
                out.push(f);
            }
        }
    }
    out
}

/// The names of the fields that are part of a key: table key fields and every template's
/// components.
fn key_part_names<'c>(g: &Gen<'c, '_>, m: &EntityModel<'c, '_>) -> Vec<&'c str> {
    let mut out: Vec<&str> = key_members(g, m).iter().map(|f| f.name.as_str()).collect();
    for n in 0..g.c.templates.len() {
        for (f, _) in g.components(n) {
            if !out.contains(&f.name.as_str()) {
                out.push(f.name.as_str());
            }
        }
    }
    out
}

/// A call of template `n`'s function on the components, read as `source.member`.
fn template_call(g: &Gen<'_, '_>, n: usize, source: &TokenStream) -> TokenStream {
    let fname = g.template_fn(n);
    let args = g.components(n).into_iter().map(|(f, _)| {
        let member = f.ident;
        quote!(&#source.#member)
    });
    quote!(#fname(#(#args),*)?)
}

/// `EntityKey::into_key_item`: templates first (they borrow), then key fields (moved).
fn key_item_body(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> TokenStream {
    let p = &g.p;
    let source = quote!(self);
    let mut templates = TokenStream::new();
    let mut fields = TokenStream::new();
    for key in [Some(m.pk), m.sk].into_iter().flatten() {
        match key {
            Key::Template(n) => {
                let (attr, call) = (g.template_attr(n), template_call(g, n, &source));
                templates
                    .extend(quote!(item.insert(#p::String::from(#attr), #p::key_text(#call));));
            }
            Key::Field(f) => {
                let (cname, member) = (const_name(g.index_of(f)), f.ident);
                fields.extend(quote!(#cname.encode(&mut item, self.#member)?;));
            }
        }
    }
    quote!(#templates #fields)
}

/// The template keys an item gets: computed from borrowed fields before they move into the
/// item, then inserted. An index key template with an absent (`None`) component leaves the
/// item out of that index: none of the index's template keys is written.
fn item_keys(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> (TokenStream, TokenStream) {
    let p = &g.p;
    let source = quote!(self);
    let mut values = TokenStream::new();
    let mut inserts = TokenStream::new();
    for key in [Some(m.pk), m.sk].into_iter().flatten() {
        if let Key::Template(n) = key {
            let (attr, call) = (g.template_attr(n), template_call(g, n, &source));
            let local = format_ident!("__dynamo_key_{}", n);
            values.extend(quote!(let #local = #call;));
            inserts.extend(quote!(item.insert(#p::String::from(#attr), #p::key_text(#local));));
        }
    }
    for (i, index) in m.indexes.iter().enumerate() {
        let templates = index.templates();
        if templates.is_empty() {
            continue;
        }
        let local = format_ident!("__dynamo_index_{}", i);
        let (computed, names) = sparse_index_keys(g, &templates, &|f| {
            let member = f.ident;
            quote!(self.#member)
        });
        values.extend(quote!(let #local = #computed;));
        let attrs = templates.iter().map(|n| g.template_attr(*n));
        inserts.extend(quote! {
            if let #p::Some((#(#names,)*)) = #local {
                #(item.insert(#p::String::from(#attrs), #p::key_text(#names));)*
            }
        });
    }
    (values, inserts)
}

/// `Some((key, ..))` with the index's template keys, `None` when a component is absent; and
/// the names to destructure it with. `read` is how a component field is read.
fn sparse_index_keys(
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

/// The partition types of the table and of each index, their sort key types, and the index
/// keys structs updates take.
fn partitions(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> Generated {
    let mut out = partition(g, None, "", Some(m.pk), m.sk);
    for index in &m.indexes {
        out.extend(partition(
            g,
            Some(&index.name),
            &index.type_part,
            index.pk,
            index.sk,
        ));
        out.extend(index_keys_struct(g, m, index));
    }
    out
}

/// Generated types: their definitions (at the derive's place, so they can be named) and their
/// impls (inside the entity's `const _` block, next to the template functions they call).
#[derive(Default)]
struct Generated {
    defs: TokenStream,
    impls: TokenStream,
}

impl Generated {
    fn extend(&mut self, other: Generated) {
        self.defs.extend(other.defs);
        self.impls.extend(other.impls);
    }
}

/// The member a partition or sort struct has for a component field, and how it is read.
struct Member<'f> {
    field: &'f Field<'f>,
    ty: TokenStream,
}

/// `{Entity}{Index}Partition` (and `{Entity}{Index}SortKey` for a sort template).
fn partition(
    g: &Gen<'_, '_>,
    index: Option<&str>,
    type_part: &str,
    pk: Option<Key<'_, '_>>,
    sk: Option<Key<'_, '_>>,
) -> Generated {
    let Some(pk) = pk else {
        return Generated::default();
    };
    let (p, krate) = (&g.p, &g.krate);
    let ident = g.c.ident;
    let vis = &g.c.input.vis;
    let name = &g.name;
    let partition_ident = format_ident!("{}{}Partition", ident, type_part);
    let sort_ident = format_ident!("{}{}SortKey", ident, type_part);
    let place = match index {
        Some(index) => format!("index `{index}` of the table of [`{name}`]"),
        None => format!("the table of [`{name}`]"),
    };
    let index_tokens = match index {
        Some(index) => quote!(#p::Some(#index)),
        None => quote!(#p::None),
    };

    // The partition's members and value. An index key field's `Option` (a sparse index) is
    // left out: a query names a partition. (Read off the type's syntax, so a type that is no
    // key is reported once, at its field.)
    let (members, value): (Vec<Member<'_>>, TokenStream) = match pk {
        Key::Field(f) => {
            let (cname, member) = (const_name(g.index_of(f)), f.ident);
            match option_inner(f.ty).filter(|_| index.is_some()) {
                None => {
                    let ty = f.ty;
                    (
                        vec![Member {
                            field: f,
                            ty: quote!(#ty),
                        }],
                        quote!(#cname.key_value(self.#member)),
                    )
                }
                Some(inner) => (
                    vec![Member {
                        field: f,
                        ty: quote!(#inner),
                    }],
                    quote!(#cname.key_value(#p::Some(self.#member))),
                ),
            }
        }
        Key::Template(n) => {
            let members = g
                .components(n)
                .into_iter()
                .map(|(f, _)| Member {
                    field: f,
                    ty: g.component_type(n, f),
                })
                .collect();
            let call = template_call(g, n, &quote!(self));
            (members, quote!(#p::Ok(#p::key_text(#call))))
        }
    };

    // The sort key type and scope.
    let mut sort_items = Generated::default();
    let (sort_type, scope) = match sk {
        None => (quote!(#p::NoSortKey), quote!(#p::SortScope::None)),
        Some(Key::Field(f)) => {
            let ty = match option_inner(f.ty).filter(|_| index.is_some()) {
                Some(inner) => inner,
                None => f.ty,
            };
            (quote!(#p::SortField<#ty>), quote!(#p::SortScope::Any))
        }
        Some(Key::Template(n)) => {
            let t = &g.template(n).template;
            let prefix = t.prefix();
            if t.is_constant() {
                (quote!(#p::NoSortKey), quote!(#p::SortScope::Exact(#prefix)))
            } else {
                sort_items = sort_struct(g, n, &sort_ident, &place);
                let scope = if prefix.is_empty() {
                    quote!(#p::SortScope::Any)
                } else {
                    quote!(#p::SortScope::Prefix(#prefix))
                };
                (quote!(#sort_ident), scope)
            }
        }
    };

    let member_idents: Vec<_> = members.iter().map(|m| m.field.ident).collect();
    let member_types: Vec<_> = members.iter().map(|m| &m.ty).collect();
    let member_docs = members.iter().map(|m| format!("Field `{}`.", m.field.name));
    let doc = format!(
        "A partition of {place}, generated by `#[derive(DynamoEntity)]`: what `Table::query` takes."
    );
    let new_doc = "The partition of these key parts.";
    let defs = quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #partition_ident {
            #(
                #[doc = #member_docs]
                pub #member_idents: #member_types,
            )*
        }
    };
    let impls = quote! {
            #[automatically_derived]
            impl #partition_ident {
                #[doc = #new_doc]
                #[allow(clippy::too_many_arguments)]
                pub fn new(#(#member_idents: impl #p::ValueOf<#member_types>),*) -> Self {
                    #partition_ident { #(#member_idents: #p::ValueOf::into_value(#member_idents)),* }
                }
            }

            #[automatically_derived]
            impl #krate::__private::Partition for #partition_ident {
                type Entity = #ident;
                type Sort = #sort_type;
                const INDEX: #p::Option<&'static str> = #index_tokens;
                const SORT: #p::SortScope = #scope;

                fn partition_value(self) -> #p::Result<#p::AttributeValue, #p::MappingError> {
                    #value
                }
            }
    };
    let mut out = Generated { defs, impls };
    out.extend(sort_items);
    out
}

/// `T` of a field type written `Option<T>`.
fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
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

/// `{Entity}{Index}SortKey`: the components of a sort template, its prefixes, and what a sort
/// key condition takes.
fn sort_struct(g: &Gen<'_, '_>, n: usize, sort_ident: &syn::Ident, place: &str) -> Generated {
    let (p, krate) = (&g.p, &g.krate);
    let vis = &g.c.input.vis;
    let t = &g.template(n).template;
    let components = g.components(n);
    let idents: Vec<_> = components.iter().map(|(f, _)| f.ident).collect();
    let types: Vec<_> = components
        .iter()
        .map(|(f, _)| g.component_type(n, f))
        .collect();
    let docs = components
        .iter()
        .map(|(f, _)| format!("Field `{}`.", f.name));
    let doc = format!(
        "The sort key of {place}, `{}`: what sort key conditions take, whole (`new`) or as a prefix of its first fields.",
        t.text
    );
    let call = template_call(g, n, &quote!(self));
    let prefixes = (0..components.len().saturating_sub(1)).map(|k| {
        let pname = format_ident!("__template_{}_prefix_{}", n, k);
        let method = idents[k];
        let args = &idents[..=k];
        let arg_types = &types[..=k];
        let doc = format!(
            "Every sort key starting with these fields: `{}`.",
            t.text
        );
        quote! {
            #[doc = #doc]
            pub fn #method(#(#args: impl #p::ValueOf<#arg_types>),*) -> #krate::__private::SortPrefix<#sort_ident> {
                #(let #args: #arg_types = #p::ValueOf::into_value(#args);)*
                #krate::__private::SortPrefix::__new(#pname(#(&#args),*))
            }
        }
    });
    let defs = quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #sort_ident {
            #(
                #[doc = #docs]
                pub #idents: #types,
            )*
        }
    };
    let impls = quote! {
            #[automatically_derived]
            impl #sort_ident {
                /// The whole sort key.
                #[allow(clippy::too_many_arguments)]
                pub fn new(#(#idents: impl #p::ValueOf<#types>),*) -> Self {
                    #sort_ident { #(#idents: #p::ValueOf::into_value(#idents)),* }
                }

                #(#prefixes)*
            }

            #[automatically_derived]
            impl #krate::__private::SortArg<#sort_ident> for #sort_ident {
                fn sort_bound(self) -> #p::Result<#p::SortBound, #p::BoundError> {
                    #p::Ok(#p::SortBound::Value(#p::key_text(#call)))
                }
            }

            #[automatically_derived]
            impl #krate::__private::SortArg<#sort_ident> for #krate::__private::SortPrefix<#sort_ident> {
                fn sort_bound(self) -> #p::Result<#p::SortBound, #p::BoundError> {
                    self.__bound()
                }
            }
    };
    Generated { defs, impls }
}

/// `{Entity}{Index}Keys`: new values for the fields an index's templates are made of (the
/// table key's fields come from the updated item's key).
fn index_keys_struct(
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
    let mut members: Vec<&Field<'_>> = Vec::new();
    for n in &templates {
        for (f, _) in g.components(*n) {
            if !in_key(f) && !members.iter().any(|o| std::ptr::eq(*o, f)) {
                members.push(f);
            }
        }
    }
    if members.is_empty() {
        return Generated::default();
    }
    let keys_ident = format_ident!("{}{}Keys", ident, index.type_part);
    let key_ident = format_ident!("{}Key", ident);
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

/// The entity's `TableDef`, and with `table = CONST` the compile-time checks against it.
fn table_and_checks(
    g: &Gen<'_, '_>,
    m: &EntityModel<'_, '_>,
    index_keys: &[(&GsiAttr, TokenStream)],
) -> (TokenStream, TokenStream) {
    let (c, p, krate) = (g.c, &g.p, &g.krate);
    let ident = c.ident;
    let Some(table) = &c.attrs.table else {
        return (declared_table(g, m), TokenStream::new());
    };
    let path = &table.value;
    let path_str = quote!(#path).to_string().replace(' ', "");
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
    for (i, (gsi, _)) in index_keys.iter().enumerate() {
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
        for (k, ((f, width), delimiter)) in components.enumerate() {
            let (component, fname) = (component_const(n, k), f.name.as_str());
            checks.push(check(
                t.span(),
                quote!(#p::check_component(#text, #fname, #width, #delimiter, #component.numeric, #component.charset)),
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
fn declared_table(g: &Gen<'_, '_>, m: &EntityModel<'_, '_>) -> TokenStream {
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

#[cfg(test)]
mod tests {
    use super::type_part;

    #[test]
    fn index_names_become_type_names() {
        assert_eq!(type_part("GSI1"), "Gsi1");
        assert_eq!(type_part("user-index"), "UserIndex");
        assert_eq!(type_part("byUser"), "ByUser");
        assert_eq!(type_part("status_index"), "StatusIndex");
    }
}
