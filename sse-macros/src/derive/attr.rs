//! The attributes `#[derive(SseEvent)]` reads: its own `#[sse(...)]`, and
//! the field-level serde attributes its data view honours.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

use crate::ctxt::Ctxt;

/// Where an `#[sse(...)]` attribute stands, which decides what it may say.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Container,
    Variant,
    Field,
}

/// What `#[sse(...)]` said: `event = ".."` on a type or variant, `id` on a
/// field.
#[derive(Default)]
pub(crate) struct SseAttrs {
    pub(crate) event: Option<LitStr>,
    pub(crate) id: Option<Span>,
}

/// Reads the `#[sse(...)]` attributes at `place`, reporting every mistake.
pub(crate) fn sse_attrs(cx: &Ctxt, attrs: &[Attribute], place: Place) -> SseAttrs {
    let mut out = SseAttrs::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("sse")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("event") && place != Place::Field {
                let lit: LitStr = meta.value()?.parse()?;
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

/// What a field's serde attributes change in its data: a new key
/// (`rename = ".."`), or no place in it (`skip`, `skip_serializing`).
#[derive(Default)]
pub(crate) struct SerdeField {
    pub(crate) rename: Option<String>,
    pub(crate) skip: bool,
}

/// Reads a field's `#[serde(...)]`; attributes it does not read are left to
/// serde.
pub(crate) fn serde_field(attrs: &[Attribute]) -> SerdeField {
    let mut out = SerdeField::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                if let Ok(lit) = meta.value().and_then(|value| value.parse::<LitStr>()) {
                    out.rename = Some(lit.value());
                }
            } else if meta.path.is_ident("skip") || meta.path.is_ident("skip_serializing") {
                out.skip = true;
            } else if let Ok(value) = meta.value() {
                // Skip the value of attributes we do not read.
                let _: syn::Expr = value.parse()?;
            }
            Ok(())
        });
    }
    out
}
