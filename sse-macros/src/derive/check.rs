//! Every rule on a `#[derive(SseEvent)]` type, each stated with its reason.

use crate::ctxt::Ctxt;
use crate::derive::ast::{Body, Event, Input};
use crate::rules::event_name;

pub(crate) fn check(cx: &Ctxt, input: &Input<'_>) {
    if let Body::Union(token) = &input.body {
        // A union has no field to tell which of its fields is set.
        cx.error_spanned_by(
            token,
            "`SseEvent` cannot be derived for a union; use a struct or an enum",
        );
    }
    if let Some(lit) = &input.enum_event {
        // One name for every variant would make them indistinguishable.
        cx.error_spanned_by(
            lit,
            "an enum's events are named per variant: put `#[sse(event = \"..\")]` on a variant",
        );
    }
    for event in input.events() {
        check_name(cx, event);
        check_one_id(cx, event);
        check_id_can_be_left_out(cx, input, event);
    }
}

/// The data is serde's output less the id field, so serde must write the id
/// where the data writer can find it and leave it out.
fn check_id_can_be_left_out(cx: &Ctxt, input: &Input<'_>, event: &Event) {
    let Some(id) = event.shape.id_field() else {
        return;
    };
    let serde = &input.serde;
    if let Some(span) = serde.transparent {
        cx.syn_error(syn::Error::new(
            span,
            "a `transparent` type is sent as its one field, so it cannot also send a field as \
             the `id`; drop `#[sse(id)]` or `transparent`",
        ));
    }
    if let Some(span) = serde.into {
        cx.syn_error(syn::Error::new(
            span,
            "the data of a type serialized `into` another is that other type, whose fields \
             `#[sse(id)]` cannot mark; put `#[derive(SseEvent)]` on the other type",
        ));
    }
    if let (Some(_), Some(content)) = (&serde.tag, &serde.content) {
        cx.error_spanned_by(
            content,
            "an adjacently tagged variant's fields are nested in its `content`, out of reach \
             for taking the `id` out; use `tag = \"..\"` alone, or no `#[sse(id)]`",
        );
    }
    if matches!(input.body, Body::Enum(_))
        && !input.externally_tagged_enum()
        && id.key.is_none()
        && event.shape.fields.len() == 1
    {
        cx.syn_error(syn::Error::new(
            id.id.unwrap_or_else(proc_macro2::Span::call_site),
            "serde writes the one field of this variant as the whole data (the enum is \
             `untagged` or internally tagged), so it cannot also be the `id`",
        ));
    }
    if id.key.is_none() {
        // A tuple: the id is found by its position among what serde writes.
        let before = event.shape.fields.iter().take_while(|f| f.id.is_none());
        for span in before.chain([id]).filter_map(|field| field.skip_if) {
            cx.syn_error(syn::Error::new(
                span,
                "`skip_serializing_if` here moves the `id` field's position in what serde \
                 writes depending on the value; name the fields, or use `skip`",
            ));
        }
    }
}

/// The event-name rule the runtime applies too (see `rules`).
fn check_name(cx: &Ctxt, event: &Event) {
    if let Some(lit) = &event.name_attr
        && let Err(refusal) = event_name(&lit.value())
    {
        cx.error_spanned_by(lit, refusal.message("an event name"));
    }
}

/// An event has one id: which of two fields would a client resume from?
fn check_one_id(cx: &Ctxt, event: &Event) {
    let mut ids = event.shape.fields.iter().filter_map(|field| field.id);
    ids.next();
    for extra in ids {
        cx.syn_error(syn::Error::new(extra, "only one field can be the `id`"));
    }
}
