//! The attributes `#[derive(SseEvent)]` reads: its own `#[sse(...)]`, and
//! the serde attributes that decide where serde writes the id field (the data
//! is serde's own output, so serde applies every attribute; these only locate
//! the id in it).

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr, Token};

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

/// The serde attributes of the type that decide where the id is in what
/// serde writes, and whether the variant's wrapper is there at all.
#[derive(Default)]
pub(crate) struct SerdeContainer {
    /// `rename_all` (for serialization): how field keys are spelled.
    pub(crate) rename_all: Option<String>,
    /// `rename_all_fields`: the same for every variant's fields.
    pub(crate) rename_all_fields: Option<String>,
    /// `rename_all` for deserialization: how variant names are read back.
    pub(crate) rename_all_de: Option<String>,
    /// `tag = ".."`: an internally (or, with `content`, adjacently) tagged enum.
    pub(crate) tag: Option<LitStr>,
    pub(crate) content: Option<LitStr>,
    pub(crate) untagged: bool,
    /// `transparent` and `into = ".."`: serde writes something else than the
    /// fields, so no id can be taken out of it.
    pub(crate) transparent: Option<Span>,
    pub(crate) into: Option<Span>,
}

/// A variant's serde attributes that move its fields' keys.
#[derive(Default)]
pub(crate) struct SerdeVariant {
    pub(crate) rename_all: Option<String>,
    /// `rename` for serialization: the name serde writes the variant as.
    pub(crate) rename_ser: Option<String>,
    /// `rename` for deserialization: the name serde reads the variant by.
    pub(crate) rename_de: Option<String>,
}

/// What a field's serde attributes change in where it lands: a new key
/// (`rename = ".."`), no place at all (`skip`, `skip_serializing`), or a place
/// that depends on its value (`skip_serializing_if`).
#[derive(Default)]
pub(crate) struct SerdeField {
    pub(crate) rename: Option<String>,
    pub(crate) skip: bool,
    pub(crate) skip_if: Option<Span>,
}

pub(crate) fn serde_container(attrs: &[Attribute]) -> SerdeContainer {
    let mut out = SerdeContainer::default();
    for_each_serde_meta(attrs, |meta| {
        if meta.path.is_ident("rename_all") {
            (out.rename_all, out.rename_all_de) = both_values(meta)?;
        } else if meta.path.is_ident("rename_all_fields") {
            out.rename_all_fields = serialize_value(meta)?;
        } else if meta.path.is_ident("tag") {
            out.tag = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("content") {
            out.content = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("untagged") {
            out.untagged = true;
        } else if meta.path.is_ident("transparent") {
            out.transparent = Some(meta.path.span());
        } else if meta.path.is_ident("into") {
            out.into = Some(meta.path.span());
            skip_rest(meta)?;
        } else {
            skip_rest(meta)?;
        }
        Ok(())
    });
    out
}

pub(crate) fn serde_variant(attrs: &[Attribute]) -> SerdeVariant {
    let mut out = SerdeVariant::default();
    for_each_serde_meta(attrs, |meta| {
        if meta.path.is_ident("rename_all") {
            out.rename_all = serialize_value(meta)?;
        } else if meta.path.is_ident("rename") {
            (out.rename_ser, out.rename_de) = both_values(meta)?;
        } else {
            skip_rest(meta)?;
        }
        Ok(())
    });
    out
}

pub(crate) fn serde_field(attrs: &[Attribute]) -> SerdeField {
    let mut out = SerdeField::default();
    for_each_serde_meta(attrs, |meta| {
        if meta.path.is_ident("rename") {
            out.rename = serialize_value(meta)?;
        } else if meta.path.is_ident("skip") || meta.path.is_ident("skip_serializing") {
            out.skip = true;
        } else if meta.path.is_ident("skip_serializing_if") {
            out.skip_if = Some(meta.path.span());
            skip_rest(meta)?;
        } else {
            skip_rest(meta)?;
        }
        Ok(())
    });
    out
}

/// Calls `f` on every item of every `#[serde(..)]`; a malformed attribute is
/// serde's to report, so it is passed over here.
fn for_each_serde_meta(
    attrs: &[Attribute],
    mut f: impl FnMut(&ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| f(&meta));
    }
}

/// The serialization side of `name = ".."` or `name(serialize = "..")`.
fn serialize_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<String>> {
    Ok(both_values(meta)?.0)
}

/// Both sides, serialization and deserialization, of `name = ".."` or
/// `name(serialize = "..", deserialize = "..")`.
fn both_values(meta: &ParseNestedMeta<'_>) -> syn::Result<(Option<String>, Option<String>)> {
    if meta.input.peek(Token![=]) {
        let lit: LitStr = meta.value()?.parse()?;
        return Ok((Some(lit.value()), Some(lit.value())));
    }
    let (mut ser, mut de) = (None, None);
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("serialize") {
            let lit: LitStr = inner.value()?.parse()?;
            ser = Some(lit.value());
        } else if inner.path.is_ident("deserialize") {
            let lit: LitStr = inner.value()?.parse()?;
            de = Some(lit.value());
        } else {
            skip_rest(&inner)?;
        }
        Ok(())
    })?;
    Ok((ser, de))
}

/// Passes over the value of an attribute not read here: `= expr` or `(..)`.
fn skip_rest(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: proc_macro2::TokenStream = content.parse()?;
    }
    Ok(())
}
