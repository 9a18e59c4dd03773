//! The [`Event`] builder: an event built field by field, every value checked
//! when it is set.

use std::borrow::Cow;
use std::time::Duration;

use serde::Serialize;

use crate::event::error::EventError;
use crate::event::fields::{check_event_name, check_id, has_line_break};
use crate::event::line_ending::LineEnding;
use crate::event::sse_event::SseEvent;
use crate::event::writer::EventWriter;

/// A server-sent event, built field by field.
///
/// Every field is optional. The encoder writes, in this order: comment lines,
/// `id`, `event`, one `data:` line per line of data, `retry`, and the blank
/// line that dispatches the event (the order sse-starlette uses).
///
/// | field | default | wire |
/// |---|---|---|
/// | [`data`](Event::data) | none | one `data: ` line per line; CR, LF and CRLF each start a new line |
/// | [`json`](Event::json) | none | `data: ` + compact JSON on one line |
/// | [`event`](Event::event) | none (`message` on the client) | `event: name` |
/// | [`id`](Event::id) | none | `id: value`; an empty id resets the client's last event id |
/// | [`retry`](Event::retry) | none | `retry: ` integer milliseconds |
/// | [`comment`](Event::comment) | none | `: text`, one line per line of text |
///
/// Values that would inject a field (a line break in `event` or `id`, a NUL
/// in either, an empty `event`) are refused with an [`EventError`] instead of
/// being silently changed or panicking: an id often comes from request data,
/// and a server must never panic on what a client sends.
///
/// ```
/// use sse_runtime::{Event, LineEnding};
/// use std::time::Duration;
///
/// # fn main() -> Result<(), sse_runtime::EventError> {
/// let event = Event::data("line one\nline two")
///     .event("greeting")?
///     .id("42")?
///     .retry(Duration::from_secs(3));
///
/// let mut wire = Vec::new();
/// event.encode_to_vec(LineEnding::Lf, &mut wire);
/// assert_eq!(
///     wire,
///     b"id: 42\nevent: greeting\ndata: line one\ndata: line two\nretry: 3000\n\n"
/// );
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "an event does nothing until it is sent"]
pub struct Event {
    pub(crate) comment: Option<Cow<'static, str>>,
    pub(crate) id: Option<Cow<'static, str>>,
    pub(crate) event: Option<Cow<'static, str>>,
    pub(crate) data: Option<Data>,
    pub(crate) retry: Option<Duration>,
}

/// The data of an event: text that may span lines, or JSON known to be one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Data {
    Text(Cow<'static, str>),
    Json(String),
}

impl Event {
    /// An event with no fields. Add data with [`with_data`](Event::with_data)
    /// or start from [`Event::data`] instead.
    ///
    /// An event without data sets `id`/`retry` on the client but dispatches
    /// nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// An event carrying `data`.
    ///
    /// CRLF, a lone CR and a lone LF each become one line break on the
    /// client; a trailing line break survives; empty data still dispatches an
    /// event (`data: ` on its own line).
    ///
    /// ```
    /// # use sse_runtime::{Event, LineEnding};
    /// let mut wire = Vec::new();
    /// Event::data("a\r\nb\rc\n").encode_to_vec(LineEnding::Lf, &mut wire);
    /// assert_eq!(wire, b"data: a\ndata: b\ndata: c\ndata: \n\n");
    /// ```
    pub fn data(data: impl Into<Cow<'static, str>>) -> Self {
        Self::new().with_data(data)
    }

    /// Sets or replaces the data of this event. See [`Event::data`].
    pub fn with_data(mut self, data: impl Into<Cow<'static, str>>) -> Self {
        self.data = Some(Data::Text(data.into()));
        self
    }

    /// An event whose data is `value` as compact JSON (non-ASCII kept as is).
    ///
    /// Serialisation errors (a map with non-string keys, a failing
    /// `Serialize` impl) are returned, never turned into empty data.
    ///
    /// ```
    /// # use sse_runtime::{Event, LineEnding};
    /// # fn main() -> Result<(), sse_runtime::EventError> {
    /// let event = Event::json(&serde_json::json!({"city": "Zürich", "n": 1}))?;
    /// let mut wire = Vec::new();
    /// event.encode_to_vec(LineEnding::Lf, &mut wire);
    /// assert_eq!(wire, "data: {\"city\":\"Zürich\",\"n\":1}\n\n".as_bytes());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// To serialise straight into the response's output buffer with no
    /// intermediate `String`, yield a [`Json`](crate::Json) instead.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, EventError> {
        let json = serde_json::to_string(value).map_err(EventError::Json)?;
        let mut event = Self::new();
        // `RawValue` and hand-written `Serialize` impls can emit raw line
        // breaks; such output is kept as multi-line text so it stays one event.
        event.data = Some(if has_line_break(json.as_bytes()) {
            Data::Text(json.into())
        } else {
            Data::Json(json)
        });
        Ok(event)
    }

    /// Sets the event type (`event: name`); clients dispatch it to listeners
    /// of that name instead of `message`.
    ///
    /// # Errors
    /// [`EventError::LineBreakInEvent`] if `name` contains CR or LF, which
    /// would otherwise start a new field on the client;
    /// [`EventError::NulInEvent`] for NUL; [`EventError::EmptyEvent`] for an
    /// empty name, which clients read as `message`: leave the type out
    /// instead.
    pub fn event(mut self, name: impl Into<Cow<'static, str>>) -> Result<Self, EventError> {
        let name = name.into();
        check_event_name(&name)?;
        self.event = Some(name);
        Ok(self)
    }

    /// Sets the event id (`id: value`), which the client sends back as
    /// `Last-Event-ID` when it reconnects. An empty id resets it.
    ///
    /// # Errors
    /// [`EventError::LineBreakInId`] for CR or LF, and
    /// [`EventError::NulInId`] for NUL (clients ignore such an id).
    pub fn id(mut self, id: impl Into<Cow<'static, str>>) -> Result<Self, EventError> {
        let id = id.into();
        check_id(&id)?;
        self.id = Some(id);
        Ok(self)
    }

    /// Sets the client's reconnection delay, sent as integer milliseconds
    /// (sub-millisecond parts are dropped).
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Adds a comment (`: text`). Clients ignore comments; text spanning lines
    /// becomes one comment line per line. Called again, adds more lines.
    pub fn comment(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        let text = text.into();
        self.comment = Some(match self.comment.take() {
            None => text,
            Some(previous) => Cow::Owned(format!("{previous}\n{text}")),
        });
        self
    }

    /// The id set with [`Event::id`], if any.
    pub fn id_ref(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The event type set with [`Event::event`], if any.
    pub fn event_ref(&self) -> Option<&str> {
        self.event.as_deref()
    }

    /// Appends this event's wire bytes to `out`, each line ended with `sep`.
    ///
    /// Responses encode into their own reusable buffer; this is for tests and
    /// for writing events somewhere else.
    pub fn encode_to_vec(&self, sep: LineEnding, out: &mut Vec<u8>) {
        let mut writer = EventWriter::new(sep);
        // Every value was checked when it was set, so writing cannot fail.
        let _ = writer.write(self);
        out.extend_from_slice(writer.as_bytes());
    }
}

impl SseEvent for Event {
    fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        // Every value was checked when it was set.
        if let Some(comment) = &self.comment {
            writer.comment(comment);
        }
        if let Some(id) = &self.id {
            writer.id_field(id);
        }
        if let Some(event) = &self.event {
            writer.event_field(event);
        }
        match &self.data {
            Some(Data::Text(text)) => writer.data(text),
            Some(Data::Json(json)) => writer.data_line(json),
            None => {}
        }
        if let Some(retry) = self.retry {
            writer.retry(retry);
        }
        Ok(())
    }
}
