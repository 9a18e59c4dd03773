//! The event-stream parser of the WHATWG HTML spec ("Server-sent events",
//! interpreting an event stream), as a browser runs it, plus the comments
//! and the fields of each block that a test wants to see.

use std::collections::VecDeque;
use std::time::Duration;

use super::lines::Lines;
use super::received::{Received, TestEvent};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes in, events and comments out.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    lines: Lines,
    /// Past the optional byte order mark at the very start.
    started: bool,
    /// The first bytes, until they are known not to be a byte order mark.
    head: Vec<u8>,
    data: String,
    event: String,
    /// `id` and `retry` as this block set them.
    block_id: Option<String>,
    block_retry: Option<Duration>,
    /// What a browser keeps across events.
    pub(crate) last_event_id: String,
    pub(crate) retry: Option<Duration>,
}

impl Parser {
    pub(crate) fn feed(&mut self, bytes: &[u8], out: &mut VecDeque<Received>) {
        if self.started {
            return self.feed_lines(bytes, out);
        }
        // A byte order mark may start the stream, split over frames.
        self.head.extend_from_slice(bytes);
        if self.head.len() < BOM.len() && BOM.starts_with(&self.head) {
            return;
        }
        self.started = true;
        let head = std::mem::take(&mut self.head);
        self.feed_lines(head.strip_prefix(BOM).unwrap_or(&head), out);
    }

    fn feed_lines(&mut self, bytes: &[u8], out: &mut VecDeque<Received>) {
        let mut lines = std::mem::take(&mut self.lines);
        lines.feed(bytes, |line| self.end_line(line, out));
        self.lines = lines;
    }

    /// The end of the stream: a block without its blank line is dropped, as
    /// the spec says.
    pub(crate) fn finish(&mut self) {
        self.lines = Lines::new();
        self.data.clear();
        self.event.clear();
        self.block_id = None;
        self.block_retry = None;
    }

    fn end_line(&mut self, line: &[u8], out: &mut VecDeque<Received>) {
        let line = String::from_utf8_lossy(line);
        if line.is_empty() {
            return self.dispatch(out);
        }
        if let Some(comment) = line.strip_prefix(':') {
            let comment = comment.strip_prefix(' ').unwrap_or(comment);
            out.push_back(Received::Comment(comment.to_owned()));
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => {
                self.last_event_id = value.to_owned();
                self.block_id = Some(value.to_owned());
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(millis) = value.parse() {
                    let retry = Duration::from_millis(millis);
                    self.retry = Some(retry);
                    self.block_retry = Some(retry);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut VecDeque<Received>) {
        let (id, retry) = (self.block_id.take(), self.block_retry.take());
        let event = std::mem::take(&mut self.event);
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        out.push_back(Received::Event(TestEvent {
            event: if event.is_empty() {
                "message".into()
            } else {
                event
            },
            data,
            id,
            last_event_id: self.last_event_id.clone(),
            retry,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> Vec<Received> {
        let (mut parser, mut out) = (Parser::default(), VecDeque::new());
        for chunk in chunks {
            parser.feed(chunk, &mut out);
        }
        parser.finish();
        out.into()
    }

    fn event(event: &str, data: &str, id: Option<&str>, last: &str) -> Received {
        Received::Event(TestEvent {
            event: event.into(),
            data: data.into(),
            id: id.map(Into::into),
            last_event_id: last.into(),
            retry: None,
        })
    }

    #[test]
    fn cr_lf_and_crlf_each_end_a_line_even_split_over_frames() {
        let got = parse(&[b"data: a\r", b"\ndata: b\rdata: c\n\r", b"\n"]);
        assert_eq!(got, [event("message", "a\nb\nc", None, "")]);
    }

    #[test]
    fn a_bom_is_skipped_once_even_split() {
        let got = parse(&[b"\xEF\xBB", b"\xBFdata: x\n\n\xEF\xBB\xBFdata: y\n\n"]);
        // A second BOM is part of the field name, `\u{feff}data`: ignored.
        assert_eq!(got, [event("message", "x", None, "")]);
    }

    #[test]
    fn fields_follow_the_spec() {
        let got = parse(&[
            b": ping\n:no space\n",
            b"id: 1\nevent: a\ndata\ndata:x\n\n",
            b"id: 2\0\nretry: 1x\nretry: 50\ndata: y\n\n",
            b"id: 3\n\n",
            b"event: only\n\n",
            b"data: after\n\n",
            b"data: cut",
        ]);
        assert_eq!(got[0], Received::Comment("ping".into()));
        assert_eq!(got[1], Received::Comment("no space".into()));
        assert_eq!(got[2], event("a", "\nx", Some("1"), "1"));
        let Received::Event(third) = &got[3] else {
            panic!("{got:?}")
        };
        assert_eq!(
            (third.id.as_deref(), third.last_event_id.as_str()),
            (None, "1"),
            "an id with NUL is ignored"
        );
        assert_eq!(
            third.retry,
            Some(Duration::from_millis(50)),
            "retry: 1x is ignored"
        );
        // `id: 3` alone is not an event but moves the last id; `event:`
        // alone dispatches nothing; a block cut by the end is dropped.
        assert_eq!(got[4], event("message", "after", None, "3"));
        assert_eq!(got.len(), 5, "{got:?}");
    }
}
