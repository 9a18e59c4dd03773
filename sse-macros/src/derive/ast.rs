//! A typed view of the type under `#[derive(SseEvent)]`: its events, each
//! with a name and a shape (the fields, which one is the id, which are data).

use proc_macro2::Span;
use quote::format_ident;
use syn::{DeriveInput, Fields, Generics, Ident, LitStr, Member, Type};

use crate::ctxt::Ctxt;
use crate::derive::attr::{
    Place, SerdeContainer, serde_container, serde_field, serde_variant, sse_attrs,
};
use crate::derive::rename::{apply_to_field, apply_to_variant, snake_case};

pub(crate) struct Input<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) body: Body,
    /// `#[sse(event = "..")]` on an enum, where each variant names its own.
    pub(crate) enum_event: Option<LitStr>,
    /// The type's serde attributes, which decide where its id is written.
    pub(crate) serde: SerdeContainer,
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
    /// A variant's name as serde reads it back (empty for a struct).
    pub(crate) serde_name: String,
    /// A variant's name as serde writes it (empty for a struct).
    pub(crate) wire_name: String,
    pub(crate) shape: Shape,
}

/// The fields of a struct or variant.
pub(crate) struct Shape {
    pub(crate) fields: Vec<Field>,
    pub(crate) unit: bool,
}

/// One field of a struct or variant.
pub(crate) struct Field {
    /// Binding in the destructuring pattern.
    pub(crate) binding: Ident,
    /// Name in the pattern (`a` or `0`).
    pub(crate) member: Member,
    /// The key serde writes a named field under, after `rename` and
    /// `rename_all`.
    pub(crate) key: Option<String>,
    pub(crate) ty: Type,
    /// Where `#[sse(id)]` marks it as the id.
    pub(crate) id: Option<Span>,
    /// serde never writes it.
    pub(crate) skip: bool,
    /// serde writes it or not depending on its value.
    pub(crate) skip_if: Option<Span>,
}

/// Where serde writes an event's id field, as the data writer finds it.
pub(crate) enum IdSlot {
    None,
    Key(String),
    Position(usize),
}

impl<'a> Input<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let container = sse_attrs(cx, &input.attrs, Place::Container);
        let serde = serde_container(&input.attrs);
        let mut enum_event = None;
        let body = match &input.data {
            syn::Data::Struct(data) => {
                let rule = serde.rename_all.as_deref();
                let event = Event::new(cx, container.event, &input.ident, &data.fields, rule);
                Body::Struct(event)
            }
            syn::Data::Enum(data) => {
                enum_event = container.event;
                let variants = data.variants.iter().map(|variant| {
                    let attrs = sse_attrs(cx, &variant.attrs, Place::Variant);
                    let variant_serde = serde_variant(&variant.attrs);
                    let rule = variant_serde.rename_all;
                    let rule = rule.or_else(|| serde.rename_all_fields.clone());
                    let mut event = Event::new(
                        cx,
                        attrs.event,
                        &variant.ident,
                        &variant.fields,
                        rule.as_deref(),
                    );
                    let ident = unraw(&variant.ident);
                    let spelled = |rename: Option<String>, rule: Option<&str>| {
                        rename
                            .or_else(|| apply_to_variant(rule?, &ident))
                            .unwrap_or_else(|| ident.clone())
                    };
                    event.serde_name =
                        spelled(variant_serde.rename_de, serde.rename_all_de.as_deref());
                    event.wire_name =
                        spelled(variant_serde.rename_ser, serde.rename_all.as_deref());
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
            serde,
        }
    }

    /// Whether serde writes each variant wrapped in an object named after it
    /// (the default, "externally tagged"): the event name already says which
    /// variant it is, so the data is the variant's content.
    pub(crate) fn externally_tagged_enum(&self) -> bool {
        matches!(self.body, Body::Enum(_)) && self.serde.tag.is_none() && !self.serde.untagged
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
    fn new(
        cx: &Ctxt,
        name_attr: Option<LitStr>,
        ident: &Ident,
        fields: &Fields,
        rename_all: Option<&str>,
    ) -> Self {
        let name = match &name_attr {
            Some(lit) => lit.value(),
            None => snake_case(&unraw(ident)),
        };
        Self {
            name_attr,
            name,
            serde_name: String::new(),
            wire_name: String::new(),
            shape: Shape::new(cx, fields, rename_all),
        }
    }
}

impl Shape {
    fn new(cx: &Ctxt, syn_fields: &Fields, rename_all: Option<&str>) -> Self {
        let fields = syn_fields
            .iter()
            .enumerate()
            .map(|(index, field)| {
                let attrs = sse_attrs(cx, &field.attrs, Place::Field);
                let serde = serde_field(&field.attrs);
                let key = field.ident.as_ref().map(|ident| {
                    let name = unraw(ident);
                    serde.rename.unwrap_or_else(|| {
                        rename_all
                            .and_then(|rule| apply_to_field(rule, &name))
                            .unwrap_or(name)
                    })
                });
                Field {
                    binding: format_ident!("__sse_field{}", index),
                    member: match &field.ident {
                        Some(ident) => Member::Named(ident.clone()),
                        None => Member::Unnamed(index.into()),
                    },
                    key,
                    ty: field.ty.clone(),
                    id: attrs.id,
                    skip: serde.skip,
                    skip_if: serde.skip_if,
                }
            })
            .collect();
        Self {
            unit: matches!(syn_fields, Fields::Unit),
            fields,
        }
    }

    /// The field marked `#[sse(id)]`, if any.
    pub(crate) fn id_field(&self) -> Option<&Field> {
        self.fields.iter().find(|field| field.id.is_some())
    }

    /// Where serde writes the id: under its key, or at its position among
    /// the elements serde writes (`check` refuses a position that depends on
    /// a value).
    pub(crate) fn id_slot(&self) -> IdSlot {
        let Some(id) = self.id_field() else {
            return IdSlot::None;
        };
        if id.skip {
            return IdSlot::None;
        }
        if let Some(key) = &id.key {
            return IdSlot::Key(key.clone());
        }
        let position = self
            .fields
            .iter()
            .take_while(|field| field.id.is_none())
            .filter(|field| !field.skip)
            .count();
        IdSlot::Position(position)
    }
}

fn unraw(ident: &Ident) -> String {
    let name = ident.to_string();
    name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
}
