//! A typed view of the type under `#[derive(SseEvent)]`: its events, each
//! with a name and a shape (the fields, which one is the id, which are data).

use proc_macro2::Span;
use quote::format_ident;
use syn::{DeriveInput, Fields, Generics, Ident, LitStr, Member, Type};

use crate::ctxt::Ctxt;
use crate::derive::attr::{Place, serde_field, sse_attrs};

pub(crate) struct Input<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) body: Body,
    /// `#[sse(event = "..")]` on an enum, where each variant names its own.
    pub(crate) enum_event: Option<LitStr>,
}

pub(crate) enum Body {
    /// A struct: one event.
    Struct(Event),
    /// An enum: one event per variant.
    Enum(Vec<(Ident, Event)>),
    /// A union, which cannot be derived for.
    Union(syn::token::Union),
}

/// One event: its name and the fields it is written from.
pub(crate) struct Event {
    /// `#[sse(event = "..")]`, if given.
    pub(crate) name_attr: Option<LitStr>,
    /// The name sent: the attribute's, or the type or variant in snake_case.
    pub(crate) name: String,
    pub(crate) shape: Shape,
}

/// The fields of a struct or variant.
pub(crate) struct Shape {
    /// The name given to serde for the data object.
    pub(crate) type_name: String,
    pub(crate) fields: Vec<Field>,
    pub(crate) named: bool,
    pub(crate) unit: bool,
}

/// One field of a struct or variant.
pub(crate) struct Field {
    /// Binding in the destructuring pattern.
    pub(crate) binding: Ident,
    /// Name in the pattern (`a` or `0`).
    pub(crate) member: Member,
    /// JSON key for a named field.
    pub(crate) key: Option<String>,
    pub(crate) ty: Type,
    /// Where `#[sse(id)]` marks it as the id.
    pub(crate) id: Option<Span>,
    pub(crate) skip: bool,
}

impl<'a> Input<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let container = sse_attrs(cx, &input.attrs, Place::Container);
        let mut enum_event = None;
        let body = match &input.data {
            syn::Data::Struct(data) => {
                Body::Struct(Event::new(cx, container.event, &input.ident, &data.fields))
            }
            syn::Data::Enum(data) => {
                enum_event = container.event;
                let variants = data.variants.iter().map(|variant| {
                    let attrs = sse_attrs(cx, &variant.attrs, Place::Variant);
                    let event = Event::new(cx, attrs.event, &variant.ident, &variant.fields);
                    (variant.ident.clone(), event)
                });
                Body::Enum(variants.collect())
            }
            syn::Data::Union(data) => Body::Union(data.union_token),
        };
        Self {
            ident: &input.ident,
            generics: &input.generics,
            body,
            enum_event,
        }
    }

    /// Every event of the type.
    pub(crate) fn events(&self) -> Vec<&Event> {
        match &self.body {
            Body::Struct(event) => vec![event],
            Body::Enum(variants) => variants.iter().map(|(_, event)| event).collect(),
            Body::Union(_) => Vec::new(),
        }
    }
}

impl Event {
    fn new(cx: &Ctxt, name_attr: Option<LitStr>, ident: &Ident, fields: &Fields) -> Self {
        let name = match &name_attr {
            Some(lit) => lit.value(),
            None => snake_case(&unraw(ident)),
        };
        Self {
            name_attr,
            name,
            shape: Shape::new(cx, ident, fields),
        }
    }
}

impl Shape {
    fn new(cx: &Ctxt, type_name: &Ident, syn_fields: &Fields) -> Self {
        let fields = syn_fields
            .iter()
            .enumerate()
            .map(|(index, field)| {
                let attrs = sse_attrs(cx, &field.attrs, Place::Field);
                let serde = serde_field(&field.attrs);
                Field {
                    binding: format_ident!("__sse_field{}", index),
                    member: match &field.ident {
                        Some(ident) => Member::Named(ident.clone()),
                        None => Member::Unnamed(index.into()),
                    },
                    key: field
                        .ident
                        .as_ref()
                        .map(|ident| serde.rename.unwrap_or_else(|| unraw(ident))),
                    ty: field.ty.clone(),
                    id: attrs.id,
                    skip: serde.skip,
                }
            })
            .collect();
        Self {
            type_name: unraw(type_name),
            named: matches!(syn_fields, Fields::Named(_)),
            unit: matches!(syn_fields, Fields::Unit),
            fields,
        }
    }

    /// The fields sent as data: neither the id nor skipped.
    pub(crate) fn data_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(|field| field.id.is_none() && !field.skip)
    }
}

fn unraw(ident: &Ident) -> String {
    let name = ident.to_string();
    name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.char_indices() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
