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
