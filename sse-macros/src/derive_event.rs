//! `#[derive(SseEvent)]`: a struct or enum written as one named event.
//!
//! ```text
//! #[derive(SseEvent)]
//! #[sse(event = "tick")]          // default: the type name in snake_case
//! struct Tick { #[sse(id)] seq: u64, n: u32 }
//!
//! id: 7
//! event: tick
//! data: {"n":3}
//! ```
//!
//! Enums name each event after the variant. The data is the JSON of the fields
//! that are not the id (a newtype's inner value; `null` for a unit), written
//! by a generated `Serialize` view, so the id is not sent twice. Field-level
//! `#[serde(rename = "..")]` and `#[serde(skip)]` are honoured.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, Type};

use crate::ctxt::Ctxt;

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let name = &input.ident;
    let container = parse_sse_attrs(&cx, &input.attrs, Place::Container);
    let private = quote!(::sse_runtime::__private);

    let mut bounds = Vec::new();
    let body = match &input.data {
        Data::Struct(data) => {
            let event = event_name(&container, name);
            let shape = Shape::new(&cx, name, &data.fields);
            bounds.extend(shape.bounds());
            let destructure = shape.pattern(quote!(#name));
            let write = shape.write(&event);
            quote! {
                let #destructure = self;
                #write
            }
        }
        Data::Enum(data) => {
            let arms = data.variants.iter().map(|variant| {
                let attrs = parse_sse_attrs(&cx, &variant.attrs, Place::Variant);
                let event = event_name(&attrs, &variant.ident);
                let shape = Shape::new(&cx, &variant.ident, &variant.fields);
                bounds.extend(shape.bounds());
                let ident = &variant.ident;
                let pattern = shape.pattern(quote!(Self::#ident));
                let write = shape.write(&event);
                quote!(#pattern => { #write })
            });
            let arms: Vec<_> = arms.collect();
            if arms.is_empty() {
                quote!(match *self {})
            } else {
                quote!(match self { #(#arms)* })
            }
        }
        Data::Union(data) => {
            cx.error_spanned_by(
                data.union_token,
                "`SseEvent` cannot be derived for a union; use a struct or an enum",
            );
            TokenStream::new()
        }
    };
    cx.check()?;

    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let mut predicates: Vec<TokenStream> = where_clause
        .map(|clause| clause.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    predicates.extend(bounds);
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #private::SseEvent for #name #type_generics
        where
            #(#predicates,)*
        {
            fn write_event(
                &self,
                __sse_writer: &mut #private::EventWriter,
            ) -> ::core::result::Result<(), #private::EventError> {
                #body
            }
        }
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Container,
    Variant,
    Field,
}

#[derive(Default)]
struct SseAttrs {
    event: Option<LitStr>,
    id: Option<Span>,
}

/// Reads `#[sse(...)]`: `event = ".."` on a type or variant, `id` on a field.
fn parse_sse_attrs(cx: &Ctxt, attrs: &[Attribute], place: Place) -> SseAttrs {
    let mut out = SseAttrs::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("sse")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("event") && place != Place::Field {
                let lit: LitStr = meta.value()?.parse()?;
                let value = lit.value();
                if value.contains(['\r', '\n', '\0']) {
                    return Err(meta.error(
                        "an event name cannot contain a line break or NUL: it would inject a field",
                    ));
                }
                if value.is_empty() {
                    return Err(meta.error(
                        "an empty event name means `message`; leave `event` out or name it",
                    ));
                }
                if out.event.replace(lit).is_some() {
                    return Err(meta.error("`event` specified more than once"));
                }
                Ok(())
            } else if meta.path.is_ident("id") && place == Place::Field {
                if out.id.replace(meta.path.span()).is_some() {
                    return Err(meta.error("`id` specified more than once"));
                }
                Ok(())
            } else {
                let expected = match place {
                    Place::Container | Place::Variant => "`event = \"name\"`",
                    Place::Field => "`id`",
                };
                Err(meta.error(format!("unknown `sse` attribute here; expected {expected}")))
            }
        });
        if let Err(error) = result {
            cx.syn_error(error);
        }
    }
    out
}

/// The event name: the attribute's, or the type or variant name in snake_case.
fn event_name(attrs: &SseAttrs, ident: &Ident) -> String {
    match &attrs.event {
        Some(lit) => lit.value(),
        None => snake_case(&ident.to_string()),
    }
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

/// One field of a struct or variant.
struct Field {
    /// Binding in the destructuring pattern.
    binding: Ident,
    /// Name in the pattern (`a` or `0`).
    member: syn::Member,
    /// JSON key for a named field.
    key: Option<String>,
    ty: Type,
    is_id: bool,
    skip: bool,
}

/// The fields of a struct or variant and how they are written.
struct Shape {
    /// The name given to serde for the data object.
    type_name: String,
    fields: Vec<Field>,
    named: bool,
    unit: bool,
}

impl Shape {
    fn new(cx: &Ctxt, type_name: &Ident, fields: &Fields) -> Self {
        let named = matches!(fields, Fields::Named(_));
        let unit = matches!(fields, Fields::Unit);
        let mut seen_id = false;
        let fields = fields
            .iter()
            .enumerate()
            .map(|(index, field)| {
                let attrs = parse_sse_attrs(cx, &field.attrs, Place::Field);
                if let Some(span) = attrs.id {
                    if seen_id {
                        cx.syn_error(syn::Error::new(span, "only one field can be the `id`"));
                    }
                    seen_id = true;
                }
                let (rename, skip) = serde_field_attrs(&field.attrs);
                let member = match &field.ident {
                    Some(ident) => syn::Member::Named(ident.clone()),
                    None => syn::Member::Unnamed(index.into()),
                };
                Field {
                    binding: format_ident!("__sse_field{}", index),
                    key: field
                        .ident
                        .as_ref()
                        .map(|ident| rename.unwrap_or_else(|| unraw(ident))),
                    member,
                    ty: field.ty.clone(),
                    is_id: attrs.id.is_some(),
                    skip,
                }
            })
            .collect();
        Self {
            type_name: unraw(type_name),
            fields,
            named,
            unit,
        }
    }

    fn data_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(|field| !field.is_id && !field.skip)
    }

    /// Where-clause predicates the generated code needs.
    fn bounds(&self) -> Vec<TokenStream> {
        let private = quote!(::sse_runtime::__private);
        self.fields
            .iter()
            .filter(|field| !field.skip)
            .map(|field| {
                let ty = &field.ty;
                if field.is_id {
                    quote!(#ty: #private::EventIdValue)
                } else {
                    quote!(#ty: #private::serde::Serialize)
                }
            })
            .collect()
    }

    /// `Path { a: __sse_field0, .. }`, `Path(__sse_field0, ..)` or `Path`.
    fn pattern(&self, path: TokenStream) -> TokenStream {
        if self.unit {
            return path;
        }
        let bindings = self.fields.iter().map(|field| {
            let binding = &field.binding;
            let member = &field.member;
            quote!(#member: #binding)
        });
        quote!(#path { #(#bindings,)* })
    }

    /// Writes the event from the bindings of [`pattern`](Self::pattern).
    fn write(&self, event: &str) -> TokenStream {
        let private = quote!(::sse_runtime::__private);
        let id = self.fields.iter().find(|field| field.is_id).map(|field| {
            let binding = &field.binding;
            quote!(#private::EventIdValue::write_id(#binding, __sse_writer)?;)
        });
        let data = self.data();
        quote! {
            #id
            __sse_writer.event(#event)?;
            #data
            ::core::result::Result::Ok(())
        }
    }

    /// Writes the `data:` line.
    fn data(&self) -> TokenStream {
        let fields: Vec<&Field> = self.data_fields().collect();
        if self.named {
            return named_data(&fields, &self.type_name);
        }
        match fields.as_slice() {
            [] => quote!(__sse_writer.json_data(&())?;),
            [single] => {
                let binding = &single.binding;
                quote!(__sse_writer.json_data(#binding)?;)
            }
            many => {
                let bindings = many.iter().map(|field| &field.binding);
                quote!(__sse_writer.json_data(&(#(#bindings,)*))?;)
            }
        }
    }
}

/// A named-field data object: a `Serialize` view over references to the
/// fields, generic over their types so it needs none of the type's generics.
fn named_data(fields: &[&Field], type_name: &str) -> TokenStream {
    let private = quote!(::sse_runtime::__private);
    let serde = quote!(#private::serde);
    let params: Vec<Ident> = (0..fields.len())
        .map(|i| format_ident!("__T{}", i))
        .collect();
    // Field 0 is the marker that uses the lifetime when there are no fields.
    let indices = (1..=fields.len()).map(syn::Index::from);
    let keys = fields
        .iter()
        .map(|field| field.key.clone().unwrap_or_default());
    let bindings = fields.iter().map(|field| &field.binding);
    let count = fields.len();
    quote! {
        {
            struct __SseData<'__a, #(#params: ?::core::marker::Sized,)*>(
                ::core::marker::PhantomData<&'__a ()>,
                #(&'__a #params,)*
            );
            impl<'__a, #(#params: #serde::Serialize + ?::core::marker::Sized,)*> #serde::Serialize
                for __SseData<'__a, #(#params,)*>
            {
                fn serialize<__S: #serde::Serializer>(
                    &self,
                    __serializer: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error> {
                    use #serde::ser::SerializeStruct as _;
                    let mut __object = __serializer.serialize_struct(#type_name, #count)?;
                    #(__object.serialize_field(#keys, self.#indices)?;)*
                    __object.end()
                }
            }
            __sse_writer.json_data(&__SseData(::core::marker::PhantomData, #(#bindings,)*))?;
        }
    }
}

fn unraw(ident: &Ident) -> String {
    let name = ident.to_string();
    name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
}

/// `#[serde(rename = "..")]` and `#[serde(skip)]` / `skip_serializing` on a
/// field, which the generated data view honours.
fn serde_field_attrs(attrs: &[Attribute]) -> (Option<String>, bool) {
    let mut rename = None;
    let mut skip = false;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                if let Ok(lit) = meta.value().and_then(|value| value.parse::<LitStr>()) {
                    rename = Some(lit.value());
                }
            } else if meta.path.is_ident("skip") || meta.path.is_ident("skip_serializing") {
                skip = true;
            } else if let Ok(value) = meta.value() {
                // Skip the value of attributes we do not read.
                let _: syn::Expr = value.parse()?;
            }
            Ok(())
        });
    }
    (rename, skip)
}
