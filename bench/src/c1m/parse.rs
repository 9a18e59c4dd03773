//! What a lean client reads of a stream, a byte at a time, keeping no
//! buffer: the response head (its status only), chunked transfer coding,
//! and of the event stream only what the `c1m` scenario counts: the
//! `: subscribed` comment, each event's `data:` as a number (the publish
//! time in microseconds) and events with an `event:` field (the hub's
//! `lagged` notice). Any byte may end a read, so every state survives
//! between reads in a few bytes: that, not a read buffer per stream, is
//! what lets one client process hold its share of a million streams.

/// What [`Parser::feed`] saw.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Seen {
    /// The `: subscribed` comment: the stream follows the topic.
    Subscribed,
    /// An event whose `data:` is this number.
    Data(u64),
    /// An event with an `event:` field (the hub's gap notice).
    Named,
    /// The response is not `200`: the stream will not open.
    NotOk,
    /// The last chunk: the server ended the stream.
    End,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// In the response head; the count of bytes read so far.
    Head,
    /// A chunk's size, in hex.
    Size,
    /// After the size (an extension, the CR) until its LF.
    SizeLine,
    /// In a chunk's data.
    Data,
    /// The CRLF after a chunk's data.
    AfterData,
    /// After the last chunk, or a status that is not 200.
    Done,
}

/// Which field the line being read is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Line {
    /// Matching a field name; how many of its bytes matched.
    Name,
    Comment,
    Data,
    Other,
}

/// The state of one stream's reading: 48 bytes.
pub struct Parser {
    state: State,
    /// The last four bytes of the head, to find its end; the head's length
    /// (capped) to find the status code.
    last4: u32,
    head_len: u16,
    status_ok: bool,
    /// Bytes left in the current chunk, or the size being read.
    chunk: u32,
    line: Line,
    /// Which of `data:` (1) and `event:` (2) the line may still name.
    names: u8,
    /// Bytes of the current line (capped).
    line_len: u8,
    /// Whether the line read so far could still be `:subscribed` or
    /// `: subscribed`, and how much of `subscribed` it matched.
    subscribed_at: u8,
    after_cr: bool,
    /// The value of the `data:` line being read (digits only), and whether
    /// it has a non-digit.
    value: u64,
    value_ok: bool,
    /// The event so far: its data, whether it had an `event:` field.
    data: Option<u64>,
    named: bool,
}

const SUBSCRIBED: &[u8] = b"subscribed";

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    pub fn new() -> Parser {
        Parser {
            state: State::Head,
            last4: 0,
            head_len: 0,
            status_ok: false,
            chunk: 0,
            line: Line::Name,
            names: 3,
            line_len: 0,
            subscribed_at: 0,
            after_cr: false,
            value: 0,
            value_ok: true,
            data: None,
            named: false,
        }
    }

    /// Reads `bytes`, calling `seen` for each thing it finds.
    pub fn feed(&mut self, bytes: &[u8], seen: &mut impl FnMut(Seen)) {
        let mut at = 0;
        while at < bytes.len() {
            let byte = bytes[at];
            match self.state {
                State::Head => {
                    // `HTTP/1.1 200 `: the status is bytes 9 to 11.
                    if (9..12).contains(&self.head_len) {
                        let want = b"200"[usize::from(self.head_len - 9)];
                        self.status_ok = (self.head_len == 9 || self.status_ok) && byte == want;
                    }
                    self.head_len = self.head_len.saturating_add(1);
                    self.last4 = (self.last4 << 8) | u32::from(byte);
                    if self.last4 == u32::from_be_bytes(*b"\r\n\r\n") {
                        if self.status_ok {
                            self.state = State::Size;
                        } else {
                            self.state = State::Done;
                            seen(Seen::NotOk);
                        }
                    }
                }
                State::Size => match byte {
                    b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                        let digit = (byte as char).to_digit(16).unwrap_or(0);
                        self.chunk = self.chunk.saturating_mul(16).saturating_add(digit);
                    }
                    b'\n' => self.end_size(seen),
                    _ => self.state = State::SizeLine,
                },
                State::SizeLine => {
                    if byte == b'\n' {
                        self.end_size(seen);
                    }
                }
                State::Data => {
                    // The whole run of this chunk's data in this read.
                    let take = (bytes.len() - at).min(self.chunk as usize);
                    for &byte in &bytes[at..at + take] {
                        self.event_byte(byte, seen);
                    }
                    self.chunk -= take as u32;
                    at += take;
                    if self.chunk == 0 {
                        self.state = State::AfterData;
                    }
                    continue;
                }
                State::AfterData => {
                    if byte == b'\n' {
                        self.state = State::Size;
                    }
                }
                State::Done => return,
            }
            at += 1;
        }
    }

    fn end_size(&mut self, seen: &mut impl FnMut(Seen)) {
        if self.chunk == 0 {
            self.state = State::Done;
            seen(Seen::End);
        } else {
            self.state = State::Data;
        }
    }

    /// One byte of the event stream: CR, LF and CRLF each end a line.
    fn event_byte(&mut self, byte: u8, seen: &mut impl FnMut(Seen)) {
        match byte {
            b'\n' if self.after_cr => self.after_cr = false,
            b'\r' | b'\n' => {
                self.after_cr = byte == b'\r';
                self.end_line(seen);
            }
            _ => {
                self.after_cr = false;
                self.line_byte(byte);
            }
        }
    }

    fn line_byte(&mut self, byte: u8) {
        let at = self.line_len;
        self.line_len = self.line_len.saturating_add(1);
        match self.line {
            Line::Name if at == 0 && byte == b':' => self.line = Line::Comment,
            Line::Name => {
                // `data:` or `event:`, each still possible only if every
                // byte so far matched it; anything else is not counted.
                let at_name = |name: &[u8]| name.get(usize::from(at)) == Some(&byte);
                self.names &= u8::from(at_name(b"data:")) | (u8::from(at_name(b"event:")) << 1);
                let (data, event) = (self.names & 1 != 0, self.names & 2 != 0);
                if data && at == 4 {
                    self.line = Line::Data;
                    self.value = 0;
                    self.value_ok = true;
                    // Counted from here: an optional space, then digits.
                    self.line_len = 0;
                } else if event && at == 5 {
                    self.named = true;
                    self.line = Line::Other;
                } else if !data && !event {
                    self.line = Line::Other;
                }
            }
            Line::Comment => {
                let at = usize::from(self.subscribed_at);
                if self.line_len == 2 && byte == b' ' {
                    // `: subscribed`: the one space after the colon.
                } else if self.subscribed_at != u8::MAX && SUBSCRIBED.get(at) == Some(&byte) {
                    self.subscribed_at += 1;
                } else {
                    self.subscribed_at = u8::MAX;
                }
            }
            Line::Data => {
                if at == 0 && byte == b' ' {
                } else if byte.is_ascii_digit() {
                    self.value = self
                        .value
                        .saturating_mul(10)
                        .saturating_add(u64::from(byte - b'0'));
                } else {
                    self.value_ok = false;
                }
            }
            Line::Other => {}
        }
    }

    fn end_line(&mut self, seen: &mut impl FnMut(Seen)) {
        match self.line {
            Line::Name if self.line_len == 0 => {
                // A blank line: the event is complete.
                if self.named {
                    seen(Seen::Named);
                } else if let Some(value) = self.data {
                    seen(Seen::Data(value));
                }
                self.data = None;
                self.named = false;
            }
            Line::Comment if usize::from(self.subscribed_at) == SUBSCRIBED.len() => {
                seen(Seen::Subscribed);
            }
            Line::Data => self.data = self.value_ok.then_some(self.value),
            _ => {}
        }
        self.line = Line::Name;
        self.names = 3;
        self.line_len = 0;
        self.subscribed_at = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(body: &[&[u8]]) -> Vec<u8> {
        let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        for part in body {
            out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// Everything seen, the input cut at every position into two reads.
    fn seen_split_everywhere(input: &[u8]) -> Vec<Seen> {
        let whole = {
            let mut seen = Vec::new();
            Parser::new().feed(input, &mut |s| seen.push(s));
            seen
        };
        for cut in 0..input.len() {
            let mut seen = Vec::new();
            let mut parser = Parser::new();
            parser.feed(&input[..cut], &mut |s| seen.push(s));
            parser.feed(&input[cut..], &mut |s| seen.push(s));
            assert_eq!(seen, whole, "cut at {cut}");
        }
        whole
    }

    #[test]
    fn reads_what_the_hub_endpoint_sends_in_any_cut() {
        let input = chunked(&[
            b": \n\n",
            b": subscribed\n\n",
            b"id: 77\ndata: 1733600000123456\n\n",
            b": keep-alive\n\n",
            b"event: lagged\ndata: unknown\n\n",
            b"id: 78\ndata: 42\n\nid: 79\ndata: 43\n\n",
        ]);
        assert_eq!(
            seen_split_everywhere(&input),
            [
                Seen::Subscribed,
                Seen::Data(1_733_600_000_123_456),
                Seen::Named,
                Seen::Data(42),
                Seen::Data(43)
            ]
        );
    }

    #[test]
    fn an_event_cut_across_chunks_and_cr_line_ends() {
        let input = chunked(&[
            b"data:",
            b" 5\r\r:subscribed\r\n\r\n",
            b"data: 6\r\n",
            b"\r\n",
        ]);
        assert_eq!(
            seen_split_everywhere(&input),
            [Seen::Data(5), Seen::Subscribed, Seen::Data(6)]
        );
    }

    #[test]
    fn the_last_chunk_and_a_refusal() {
        let mut input = chunked(&[b": subscribed\n\n"]);
        input.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(seen_split_everywhere(&input), [Seen::Subscribed, Seen::End]);
        let refused = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(seen_split_everywhere(refused), [Seen::NotOk]);
    }

    #[test]
    fn not_counted_lookalikes() {
        let input = chunked(&[
            b": subscribedx\n\n",
            b":not subscribed\n\n",
            b"data: 12a\n\n",
            b"dat: 1\n\n",
            b"eata: 1\n\n",
        ]);
        assert_eq!(seen_split_everywhere(&input), []);
    }

    #[test]
    fn a_stream_costs_a_few_bytes() {
        assert!(std::mem::size_of::<Parser>() <= 48);
    }
}
