//! `#[derive(DynamoEntity)]`.

use crate::codec::{field_codec, krate, skipped_value};
use crate::internals::ast::{Container, Derive, Field};
use crate::internals::attr::{GsiAttr, IndexRole};
use crate::internals::check::check;
use crate::internals::ctxt::Ctxt;
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

/// The fields holding the entity's key and managed attributes.
struct EntityModel<'c, 'a> {
    pk: &'c Field<'a>,
    sk: Option<&'c Field<'a>>,
    ttl: Option<&'c Field<'a>>,
    version: Option<&'c Field<'a>>,
}

impl<'c, 'a> EntityModel<'c, 'a> {
    fn of(c: &'c Container<'a>) -> Option<Self> {
        Some(EntityModel {
            pk: c.marked(|a| a.pk)?,
            sk: c.marked(|a| a.sk),
            ttl: c.marked(|a| a.ttl),
            version: c.marked(|a| a.version),
        })
    }
}

fn const_name(index: usize) -> syn::Ident {
    format_ident!("__FIELD_{}", index)
}

fn generate(c: &Container<'_>, m: &EntityModel<'_, '_>) -> TokenStream {
    let krate = krate(c);
    let p = quote!(#krate::__private);
    let ident = c.ident;
    let vis = &c.input.vis;
    let name = ident.to_string();
    let key_ident = format_ident!("{}Key", ident);
    let fields_ident = format_ident!("{}Fields", ident);
    let fields = c.fields();
    let index_of = |field: &Field<'_>| {
        fields
            .iter()
            .position(|f| std::ptr::eq(f, field))
            .expect("model fields come from the container")
    };

    // One const per stored field: its attribute and conversions.
    let codecs = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.is_stored())
        .map(|(i, f)| {
            let cname = const_name(i);
            let ty = f.ty;
            let codec = field_codec(&p, &name, f, f.is_key());
            quote!(const #cname: #p::Field<#ty> = #codec;)
        });

    // One const per index key: its scalar type.
    let mut index_consts = Vec::new();
    let mut index_keys = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        for (j, gsi) in f.attrs.gsi.iter().enumerate() {
            let cname = format_ident!("__INDEX_{}_{}", i, j);
            let ty = f.ty;
            index_consts.push(quote_spanned!(gsi.span=> const #cname: #p::ScalarType = <#ty as #p::IndexKeyScalar>::SCALAR;));
            let role = match gsi.role {
                IndexRole::Partition => quote!(#p::KeyRole::Partition),
                IndexRole::Sort => quote!(#p::KeyRole::Sort),
            };
            let (index, fname, attribute) = (&gsi.index, f.name.as_str(), &f.attribute);
            index_keys.push((
                gsi,
                quote!(#p::IndexKeyField {
                    index: #index,
                    role: #role,
                    key: #p::KeyField { field: #fname, attribute: #attribute, scalar: #cname },
                }),
            ));
        }
    }

    let key_field = |f: &Field<'_>| {
        let cname = const_name(index_of(f));
        let (fname, attribute) = (f.name.as_str(), &f.attribute);
        quote!(#p::KeyField { field: #fname, attribute: #attribute, scalar: #cname.scalar() })
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

    // The key struct.
    let key_fields: Vec<&Field<'_>> = std::iter::once(m.pk).chain(m.sk).collect();
    let key_members: Vec<_> = key_fields.iter().map(|f| f.ident).collect();
    let key_types: Vec<_> = key_fields.iter().map(|f| f.ty).collect();
    let key_consts: Vec<_> = key_fields.iter().map(|f| const_name(index_of(f))).collect();
    let key_docs = key_fields.iter().map(|f| {
        let role = if f.attrs.pk.is_some() {
            "partition"
        } else {
            "sort"
        };
        format!("The {role} key, stored as attribute `{}`.", f.attribute)
    });
    let key_doc = format!("The primary key of [`{name}`], generated by `#[derive(DynamoEntity)]`.");
    let key_count = key_fields.len();
    let new_doc = format!("A key of [`{name}`] from its parts.");

    // Typed attribute paths.
    let stored: Vec<&Field<'_>> = fields.iter().filter(|f| f.attrs.is_stored()).collect();
    let path_members: Vec<_> = stored.iter().map(|f| f.ident).collect();
    let path_types: Vec<_> = stored.iter().map(|f| f.ty).collect();
    let path_attributes: Vec<_> = stored.iter().map(|f| &f.attribute).collect();
    let path_docs = stored
        .iter()
        .map(|f| format!("Attribute `{}`.", f.attribute));
    let fields_doc =
        format!("Typed attribute paths of [`{name}`], generated by `#[derive(DynamoEntity)]`.");

    // Mapping.
    let encode = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.is_stored())
        .map(|(i, f)| {
            let (cname, member) = (const_name(i), f.ident);
            quote!(#cname.encode(&mut item, self.#member)?;)
        });
    // Keys first; the other fields in a closure, so an error in one of them can name the
    // item by its key, at no cost when nothing fails.
    // Locals are named after the field's position, never its name, so no field shadows them.
    let local = |i: usize| format_ident!("__dynamo_field_{}", i);
    let decode_keys = key_fields.iter().map(|f| {
        let i = index_of(f);
        let (value, cname) = (local(i), const_name(i));
        quote!(let #value = #cname.decode(&mut __dynamo_item)?;)
    });
    let key_on_error = key_fields.iter().map(|f| {
        let i = index_of(f);
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
            let value = skipped_value(&p, f);
            quote!(#member: #value)
        }
    });
    let stored_count = stored.len();

    let versioned = m.version.map(|_| {
        quote! {
            #[automatically_derived]
            impl #krate::Versioned for #ident {}
        }
    });
    let (version_const, version_methods) = match m.version {
        Some(v) => {
            let (ty, member, cname) = (v.ty, v.ident, const_name(index_of(v)));
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

    let (table, checks) = table_and_checks(c, m, &p, &krate, &index_keys, &index_of);

    quote! {
        #[doc = #key_doc]
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #key_ident {
            #(
                #[doc = #key_docs]
                pub #key_members: #key_types,
            )*
        }

        #[doc = #fields_doc]
        #[derive(Clone, Copy, Debug)]
        #vis struct #fields_ident {
            #(
                #[doc = #path_docs]
                pub #path_members: #krate::Attr<#path_types>,
            )*
        }

        #[allow(non_upper_case_globals, clippy::all)]
        const _: () = {
            #(#codecs)*
            #(#index_consts)*
            #version_const

            #[automatically_derived]
            impl #key_ident {
                #[doc = #new_doc]
                #[allow(clippy::too_many_arguments)]
                pub fn new(#(#key_members: impl #p::ValueOf<#key_types>),*) -> Self {
                    #key_ident { #(#key_members: #p::ValueOf::into_value(#key_members)),* }
                }
            }

            #[automatically_derived]
            impl #krate::EntityKey for #key_ident {
                type Entity = #ident;

                fn into_key_item(self) -> #p::Result<#p::Item, #p::MappingError> {
                    let mut item = #p::item_with_capacity(#key_count);
                    #(#key_consts.encode(&mut item, self.#key_members)?;)*
                    #p::Ok(item)
                }
            }

            #[automatically_derived]
            impl #ident {
                /// Typed attribute paths for expressions: a misspelled attribute does not compile.
                #vis const fn fields() -> #fields_ident {
                    <#ident as #krate::Entity>::FIELDS
                }
            }

            #[automatically_derived]
            impl #krate::Entity for #ident {
                type Key = #key_ident;
                type Fields = #fields_ident;

                const TABLE: #krate::TableDef = #table;
                const SCHEMA: #krate::EntitySchema = #krate::EntitySchema {
                    name: #name,
                    partition_key: #pk_schema,
                    sort_key: #sk_schema,
                    attributes: &[#(#attributes),*],
                    index_keys: &[#(#index_key_values),*],
                    ttl_attribute: #ttl_attribute,
                    version_attribute: #version_attribute,
                };
                const FIELDS: #fields_ident = #fields_ident {
                    #(#path_members: #krate::Attr::new(#path_attributes),)*
                };

                fn key(&self) -> #key_ident {
                    #key_ident { #(#key_members: #p::Clone::clone(&self.#key_members),)* }
                }

                fn into_item(self) -> #p::Result<#p::Item, #p::MappingError> {
                    let mut item = #p::item_with_capacity(#stored_count);
                    #(#encode)*
                    #p::Ok(item)
                }

                fn from_item(mut __dynamo_item: #p::Item) -> #p::Result<Self, #p::MappingError> {
                    #(#decode_keys)*
                    let __dynamo_rest = (|| -> #p::Result<(#(#rest_types,)*), #p::MappingError> {
                        #p::Ok((#(#rest_decode,)*))
                    })();
                    match __dynamo_rest {
                        #p::Ok((#(#rest_values,)*)) => #p::Ok(#ident { #(#construct,)* }),
                        #p::Err(__dynamo_error) => {
                            let mut __dynamo_key = #p::item_with_capacity(#key_count);
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

/// The entity's `TableDef`, and with `table = CONST` the compile-time checks against it.
fn table_and_checks(
    c: &Container<'_>,
    m: &EntityModel<'_, '_>,
    p: &TokenStream,
    krate: &TokenStream,
    index_keys: &[(&GsiAttr, TokenStream)],
    index_of: &dyn Fn(&Field<'_>) -> usize,
) -> (TokenStream, TokenStream) {
    let ident = c.ident;
    let Some(table) = &c.attrs.table else {
        return (declared_table(c, m, p, index_of), TokenStream::new());
    };
    let path = &table.value;
    let path_str = quote!(#path).to_string().replace(' ', "");
    // The declared table is named once, so a path that is not a `TableDef` is reported once.
    let table_expr = quote!(__TABLE);
    let table_const = quote_spanned!(table.span=> const __TABLE: #krate::TableDef = #path;);
    let schema = quote!(&<#ident as #krate::Entity>::SCHEMA);
    let path = quote!(__TABLE);
    let check = |span: Span, call: TokenStream| {
        quote_spanned! {span=>
            const _: () = match #call {
                #p::Some(msg) => ::core::panic!("{}", msg.as_str()),
                #p::None => (),
            };
        }
    };
    let mut checks = Vec::new();
    checks.push(check(
        m.pk.ident.span(),
        quote!(#p::check_partition_key(#schema, &#path, #path_str)),
    ));
    match m.sk {
        Some(sk) => checks.push(check(
            sk.ident.span(),
            quote!(#p::check_sort_key(#schema, &#path, #path_str)),
        )),
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
    for f in c.fields().iter().filter(|f| f.attrs.is_stored()) {
        let (fname, attribute) = (f.name.as_str(), &f.attribute);
        let call = if f.attrs.ttl.is_some() {
            quote!(#p::check_ttl(#schema, #fname, &#path, #path_str))
        } else {
            quote!(#p::check_not_ttl_attribute(#schema, #fname, #attribute, &#path, #path_str))
        };
        checks.push(check(f.attrs.ttl.unwrap_or_else(|| f.ident.span()), call));
    }
    (table_expr, quote!(#table_const #(#checks)*))
}

/// With `table_name`, the entity is the table's definition.
fn declared_table(
    c: &Container<'_>,
    m: &EntityModel<'_, '_>,
    p: &TokenStream,
    index_of: &dyn Fn(&Field<'_>) -> usize,
) -> TokenStream {
    let name = c
        .attrs
        .table_name
        .as_ref()
        .map_or_else(|| c.ident.to_string(), |n| n.value.clone());
    let key_def = |f: &Field<'_>| {
        let (attribute, cname) = (&f.attribute, const_name(index_of(f)));
        quote!(#p::KeyDef::new(#attribute, #cname.scalar()))
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
