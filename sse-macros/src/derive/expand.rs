//! Code generation: the `SseEvent` impl, writing each event's `id:` (if a
//! field is marked `#[sse(id)]`), its `event:` name, and the other fields as
//! JSON `data:`, through a generated `Serialize` view so that the id is not
//! sent twice. Field-level `#[serde(rename = "..")]` and `#[serde(skip)]`
//! are honoured.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::derive::ast::{Body, Field, Input, Shape};

pub(crate) fn expand(input: &Input<'_>) -> TokenStream {
    let name = input.ident;
    let private = quote!(::sse_runtime::__private);
    let mut bounds = Vec::new();
    let body = match &input.body {
        Body::Struct(event) => {
            bounds.extend(event.shape.bounds());
            let destructure = event.shape.pattern(quote!(#name));
            let write = event.shape.write(&event.name);
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
                let write = event.shape.write(&event.name);
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
    predicates.extend(bounds);
    quote! {
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
    /// Where-clause predicates the generated code needs.
    fn bounds(&self) -> Vec<TokenStream> {
        let private = quote!(::sse_runtime::__private);
        self.fields
            .iter()
            .filter(|field| !field.skip)
            .map(|field| {
                let ty = &field.ty;
                if field.id.is_some() {
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
        let id = self
            .fields
            .iter()
            .find(|field| field.id.is_some())
            .map(|field| {
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
