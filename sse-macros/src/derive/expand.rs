//! Code generation: the `SseEvent` impl, writing each event's `id:` (if a
//! field is marked `#[sse(id)]`), its `event:` name, and as JSON `data:` what
//! the type's own `Serialize` writes, less the id field (located by
//! `IdSlot`) and, for an externally tagged enum, less the variant's wrapper.

use proc_macro2::TokenStream;
use quote::quote;

use crate::derive::ast::{Body, IdSlot, Input, Shape};

pub(crate) fn expand(input: &Input<'_>) -> TokenStream {
    let name = input.ident;
    let private = quote!(::sse_runtime::__private);
    let unwrap_variant = input.externally_tagged_enum();
    let mut bounds = Vec::new();
    let body = match &input.body {
        Body::Struct(event) => {
            bounds.extend(event.shape.bounds());
            let destructure = event.shape.pattern(quote!(#name));
            let write = event.shape.write(&event.name, unwrap_variant);
            quote! {
                let #destructure = self;
                #write
            }
        }
        Body::Enum(variants) if variants.is_empty() => quote!(match *self {}),
        Body::Enum(variants) => {
            let arms = variants.iter().map(|(ident, event)| {
                bounds.extend(event.shape.bounds());
                let pattern = event.shape.pattern(quote!(Self::#ident));
                let write = event.shape.write(&event.name, unwrap_variant);
                quote!(#pattern => { #write })
            });
            let arms: Vec<_> = arms.collect();
            quote!(match self { #(#arms)* })
        }
        // Refused by `check`.
        Body::Union(_) => TokenStream::new(),
    };

    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let mut predicates: Vec<TokenStream> = where_clause
        .map(|clause| clause.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    let table = input.events().into_iter().map(|event| {
        let (event_name, serde_name, wire_name) =
            (&event.name, &event.serde_name, &event.wire_name);
        let id = event.shape.id_field_tokens();
        quote! {
            #private::DerivedEvent {
                name: #event_name,
                serde_name: #serde_name,
                wire_name: #wire_name,
                id: #id,
            }
        }
    });
    let table = quote! {
        #[automatically_derived]
        impl #impl_generics #private::DerivedEvents for #name #type_generics #where_clause {
            const EVENTS: &'static [#private::DerivedEvent] = &[#(#table),*];
            const EXTERNALLY_TAGGED: bool = #unwrap_variant;
        }
    };
    // The data is what the type's own `Serialize` writes.
    predicates.push(quote!(#name #type_generics: #private::serde::Serialize));
    predicates.extend(bounds);
    quote! {
        #table

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
    }
}

impl Shape {
    /// Where-clause predicates the generated code needs: the id's type.
    fn bounds(&self) -> Vec<TokenStream> {
        let private = quote!(::sse_runtime::__private);
        self.id_field()
            .map(|field| {
                let ty = &field.ty;
                quote!(#ty: #private::EventIdValue)
            })
            .into_iter()
            .collect()
    }

    /// `Path { id: __sse_field0, .. }`, binding the id field only, or `Path`
    /// (`Path { .. }` fits a unit too, but says less).
    fn pattern(&self, path: TokenStream) -> TokenStream {
        if self.unit {
            return path;
        }
        let id = self.id_field().map(|field| {
            let binding = &field.binding;
            let member = &field.member;
            quote!(#member: #binding,)
        });
        quote!(#path { #id .. })
    }

    /// Where serde writes the id, as an `IdField`.
    fn id_field_tokens(&self) -> TokenStream {
        let private = quote!(::sse_runtime::__private);
        match self.id_slot() {
            IdSlot::None => quote!(#private::IdField::None),
            IdSlot::Key(key) => quote!(#private::IdField::Key(#key)),
            IdSlot::Position(at) => quote!(#private::IdField::Position(#at)),
        }
    }

    /// Writes the event from the binding of [`pattern`](Self::pattern) and
    /// the whole value.
    fn write(&self, event: &str, unwrap_variant: bool) -> TokenStream {
        let private = quote!(::sse_runtime::__private);
        let id = self.id_field().map(|field| {
            let binding = &field.binding;
            quote!(#private::EventIdValue::write_id(#binding, __sse_writer)?;)
        });
        let slot = self.id_field_tokens();
        quote! {
            #id
            __sse_writer.event(#event)?;
            __sse_writer.json_data(&#private::SerdeData::new(self, #slot, #unwrap_variant))?;
            ::core::result::Result::Ok(())
        }
    }
}
