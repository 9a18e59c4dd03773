//! What a client read from one HTTP/1.1 connection, cut into responses: each
//! head, and its body decoded as the head says (chunked bodies by the
//! runtime's strict [`ChunkedDecoder`], so a framing mistake is reported as
//! one, naming the response and the chunk). For comparing two servers'
//! answers byte for byte: [`blank_dates`] first, and [`first_difference`]
//! says where two answers part.
//!
//! ```
//! use sse_test_support::transcript::Transcript;
//!
//! let read = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n: \n\n\r\n0\r\n\r\n\
//!              HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nbye";
//! let transcript = Transcript::read(read);
//! assert_eq!(transcript.responses.len(), 2);
//! assert_eq!(transcript.responses[0].body, b": \n\n");
//! assert!(transcript.responses[0].complete && transcript.error.is_none());
//! ```

use std::fmt::Write as _;

use sse_runtime::test::ChunkedDecoder;

/// `bytes` with every `date:` header's value replaced by `(blank)`.
pub fn blank_dates(bytes: &[u8]) -> Vec<u8> {
    const DATE: &[u8] = b"\r\ndate: ";
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(at) = find(rest, DATE) {
        let value = at + DATE.len();
        out.extend_from_slice(&rest[..value]);
        out.extend_from_slice(b"(blank)");
        let end = find(&rest[value..], b"\r\n").map_or(rest.len(), |n| value + n);
        rest = &rest[end..];
    }
    out.extend_from_slice(rest);
    out
}

/// The responses read on one connection.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// Every response whose head was read whole, in order.
    pub responses: Vec<Response>,
    /// What follows the last response without being one: a head cut short,
    /// or bytes that are no response at all.
    pub rest: Vec<u8>,
    /// The first framing mistake: which response, which chunk, what.
    pub error: Option<String>,
}

/// One response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Where its head starts in what was read.
    pub at: usize,
    /// Its status line and headers, without the blank line.
    pub head: String,
    /// Its status code (0 if the status line has none).
    pub status: u16,
    /// Its body, decoded.
    pub body: Vec<u8>,
    /// How the body is framed.
    pub framing: Framing,
    /// Whether the body is all there (its last chunk, all of its length; a
    /// body delimited by the close is complete when the bytes end).
    pub complete: bool,
}

/// How a response's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `transfer-encoding: chunked`; how many chunks of data were read.
    Chunked {
        /// Chunks of data (the last, empty one not counted).
        chunks: u64,
    },
    /// `content-length`.
    Length(usize),
    /// No body (`1xx`, `204`, `304`).
    Empty,
    /// Until the connection closes.
    UntilClose,
}

impl Transcript {
    /// Cuts `bytes` into responses.
    pub fn read(bytes: &[u8]) -> Self {
        let mut transcript = Transcript::default();
        let mut at = 0;
        while at < bytes.len() {
            let Some(head_len) = find(&bytes[at..], b"\r\n\r\n") else {
                break;
            };
            let head = String::from_utf8_lossy(&bytes[at..at + head_len]).into_owned();
            let body_at = at + head_len + 4;
            let status = head
                .split(' ')
                .nth(1)
                .and_then(|code| code.parse().ok())
                .unwrap_or(0);
            let header = |name: &str| {
                head.split("\r\n").skip(1).find_map(|line| {
                    let (key, value) = line.split_once(':')?;
                    key.eq_ignore_ascii_case(name)
                        .then(|| value.trim().to_owned())
                })
            };
            let framing = if matches!(status, 100..=199 | 204 | 304) {
                Framing::Empty
            } else if header("transfer-encoding").is_some_and(|te| te.ends_with("chunked")) {
                Framing::Chunked { chunks: 0 }
            } else if let Some(length) = header("content-length").and_then(|l| l.parse().ok()) {
                Framing::Length(length)
            } else {
                Framing::UntilClose
            };
            let mut response = Response {
                at,
                head,
                status,
                body: Vec::new(),
                framing,
                complete: false,
            };
            let rest = &bytes[body_at..];
            let used = match framing {
                Framing::Empty => {
                    response.complete = true;
                    0
                }
                Framing::Length(length) => {
                    let used = length.min(rest.len());
                    response.body.extend_from_slice(&rest[..used]);
                    response.complete = used == length;
                    used
                }
                Framing::UntilClose => {
                    response.body.extend_from_slice(rest);
                    response.complete = true;
                    rest.len()
                }
                Framing::Chunked { .. } => {
                    let mut decoder = ChunkedDecoder::new();
                    let body = &mut response.body;
                    let fed = decoder.feed(rest, |data| body.extend_from_slice(data));
                    response.framing = Framing::Chunked {
                        chunks: decoder.chunks(),
                    };
                    response.complete = decoder.is_done();
                    match fed {
                        Ok(used) => used,
                        Err(error) => {
                            let index = transcript.responses.len();
                            transcript.error = Some(format!(
                                "response {index} (at byte {at}, {:?}): the chunked framing is \
                                 broken at {error}",
                                response.head.lines().next().unwrap_or_default()
                            ));
                            transcript.responses.push(response);
                            return transcript;
                        }
                    }
                }
            };
            let complete = response.complete;
            transcript.responses.push(response);
            at = body_at + used;
            if !complete {
                break;
            }
        }
        transcript.rest = bytes[at.min(bytes.len())..].to_vec();
        transcript
    }

    /// One line per response: its status line, framing, body length and
    /// whether it is complete; then what is left.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (index, response) in self.responses.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {index}: {:?} {:?}, {} body bytes{}",
                response.head.lines().next().unwrap_or_default(),
                response.framing,
                response.body.len(),
                if response.complete { "" } else { ", cut short" }
            );
        }
        if !self.rest.is_empty() {
            let _ = writeln!(
                out,
                "  then {} bytes: {}",
                self.rest.len(),
                excerpt(&self.rest)
            );
        }
        if let Some(error) = &self.error {
            let _ = writeln!(out, "  FRAMING ERROR: {error}");
        }
        out
    }
}

/// Where `a` and `b` part, if they do: the offset, the response of `a`'s
/// transcript it falls in, and a window of both.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<String> {
    let at = a.iter().zip(b).position(|(x, y)| x != y);
    let at = match at {
        Some(at) => at,
        None if a.len() == b.len() => return None,
        None => a.len().min(b.len()),
    };
    let transcript = Transcript::read(a);
    let response = transcript.responses.iter().rposition(|r| r.at <= at);
    let from = at.saturating_sub(48);
    Some(format!(
        "they part at byte {at} (of {} and {}), in response {response:?}:\n    {}\n    {}",
        a.len(),
        b.len(),
        excerpt(&a[from..a.len().min(at + 48)]),
        excerpt(&b[from.min(b.len())..b.len().min(at + 48)]),
    ))
}

/// `bytes` as escaped text, long runs of one byte shortened.
pub fn excerpt(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut at = 0;
    while at < bytes.len() && out.len() < 400 {
        let run = bytes[at..].iter().take_while(|&&b| b == bytes[at]).count();
        if run > 8 {
            let _ = write!(out, "[{run} × {:?}]", char::from(bytes[at]));
        } else {
            for &byte in &bytes[at..at + run] {
                out.extend(std::ascii::escape_default(byte).map(char::from));
            }
        }
        at += run;
    }
    if at < bytes.len() {
        out.push('…');
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_chunk_size_is_a_framing_error_naming_the_response() {
        let read = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n";
        let transcript = Transcript::read(read);
        let error = transcript.error.expect("a framing error");
        assert!(
            error.contains("response 0") && error.contains("chunk 0"),
            "{error}"
        );
    }

    #[test]
    fn a_stream_cut_short_is_incomplete_not_an_error() {
        let read = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n9\r\ndata: a\n";
        let transcript = Transcript::read(read);
        assert!(transcript.error.is_none());
        assert!(!transcript.responses[0].complete);
        assert_eq!(transcript.responses[0].body, b"data: a\n");
    }

    #[test]
    fn dates_are_blanked() {
        let read = b"HTTP/1.1 200 OK\r\ndate: Mon, 1 Jan 2024\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(
            blank_dates(read),
            b"HTTP/1.1 200 OK\r\ndate: (blank)\r\ncontent-length: 0\r\n\r\n"
        );
    }
}
