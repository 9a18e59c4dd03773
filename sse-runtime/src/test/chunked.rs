//! HTTP/1.1 chunked transfer coding, decoded strictly (RFC 9112 §7.1): what
//! a client of an event stream reads below the events. Every size line and
//! every chunk ends with CRLF, sizes are hexadecimal, the last chunk and the
//! trailer section end the body; anything else is an error that says where,
//! so that a framing mistake cannot pass as data.
//!
//! ```
//! use sse_runtime::test::ChunkedDecoder;
//!
//! let mut decoder = ChunkedDecoder::new();
//! let mut body = Vec::new();
//! let wire = b"7\r\ndata: a\r\n2\r\n\n\n\r\n0\r\n\r\nHTTP/1.1 200 OK";
//! let used = decoder.feed(wire, |data| body.extend_from_slice(data)).unwrap();
//! assert_eq!(body, b"data: a\n\n");
//! assert!(decoder.is_done());
//! assert_eq!(&wire[used..], b"HTTP/1.1 200 OK"); // the next response
//! ```

use std::fmt;

/// A size or trailer line longer than this is refused (hyper's own limit
/// for a chunk-size line is far smaller).
const MAX_LINE: usize = 4096;

/// Decodes a chunked body fed in pieces of any size.
#[derive(Debug, Default)]
pub struct ChunkedDecoder {
    state: State,
    /// The size or trailer line being read.
    line: Vec<u8>,
    chunks: u64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A chunk-size line is next.
    #[default]
    Size,
    /// This many bytes of chunk data are next.
    Data(u64),
    /// The CRLF after a chunk's data: how much of it has been seen.
    DataEnd {
        cr: bool,
    },
    /// Trailer lines, up to the empty line.
    Trailers,
    Done,
    Failed,
}

/// What was wrong with a chunked body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedError {
    /// At which chunk (0 for the first).
    pub chunk: u64,
    /// What was wrong.
    pub problem: String,
}

impl fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chunk {}: {}", self.chunk, self.problem)
    }
}

impl std::error::Error for ChunkedError {}

impl ChunkedDecoder {
    /// Before the first chunk.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The body's last chunk and trailer section have been read.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Chunks of data read so far (the last, empty chunk not counted).
    #[must_use]
    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// Decodes what it can of `bytes`, handing each piece of chunk data to
    /// `data` as it comes. Returns how many bytes belonged to the body: all
    /// of them until its end, after it what follows (a pipelined response).
    ///
    /// # Errors
    /// A malformed size line, a chunk not followed by CRLF, a line over
    /// 4 KiB; the decoder then refuses everything after.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        mut data: impl FnMut(&[u8]),
    ) -> Result<usize, ChunkedError> {
        let mut at = 0;
        while at < bytes.len() {
            match self.state {
                State::Done => return Ok(at),
                State::Failed => return Err(self.error("the body failed before")),
                State::Data(left) => {
                    let take = usize::try_from(left)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len() - at);
                    data(&bytes[at..at + take]);
                    at += take;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd { cr: false }
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd { cr } => {
                    let expected = if cr { b'\n' } else { b'\r' };
                    if bytes[at] != expected {
                        return Err(self.fail(format!(
                            "its data is followed by {:?}, not CRLF (a wrong chunk size?)",
                            char::from(bytes[at])
                        )));
                    }
                    at += 1;
                    self.state = if cr {
                        self.chunks += 1;
                        State::Size
                    } else {
                        State::DataEnd { cr: true }
                    };
                }
                State::Size | State::Trailers => {
                    let Some(end) = memchr::memchr(b'\n', &bytes[at..]) else {
                        self.line.extend_from_slice(&bytes[at..]);
                        if self.line.len() > MAX_LINE {
                            return Err(self.fail("a line over 4 KiB".into()));
                        }
                        return Ok(bytes.len());
                    };
                    self.line.extend_from_slice(&bytes[at..at + end]);
                    at += end + 1;
                    let line = std::mem::take(&mut self.line);
                    let Some(line) = line.strip_suffix(b"\r") else {
                        return Err(self.fail("a line ends with LF alone, not CRLF".into()));
                    };
                    self.state = if self.state == State::Size {
                        match chunk_size(line) {
                            Ok(0) => State::Trailers,
                            Ok(size) => State::Data(size),
                            Err(problem) => return Err(self.fail(problem)),
                        }
                    } else if line.is_empty() {
                        State::Done
                    } else {
                        State::Trailers
                    };
                }
            }
        }
        Ok(at)
    }

    fn fail(&mut self, problem: String) -> ChunkedError {
        self.state = State::Failed;
        self.error(&problem)
    }

    fn error(&self, problem: &str) -> ChunkedError {
        ChunkedError {
            chunk: self.chunks,
            problem: problem.to_owned(),
        }
    }
}

/// `chunk-size [ chunk-ext ]`: hexadecimal digits, then optionally
/// whitespace and `;` extensions.
fn chunk_size(line: &[u8]) -> Result<u64, String> {
    let digits = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    let (size, rest) = line.split_at(digits);
    let rest_ok = rest.is_empty() || rest.trim_ascii_start().starts_with(b";");
    if size.is_empty() || !rest_ok {
        return Err(format!(
            "a malformed size line {:?}",
            String::from_utf8_lossy(line)
        ));
    }
    let size = std::str::from_utf8(size).unwrap_or_default();
    u64::from_str_radix(size, 16).map_err(|_| format!("a chunk size too large: {size}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(feeds: &[&[u8]]) -> Result<(Vec<u8>, bool, usize), ChunkedError> {
        let (mut decoder, mut body, mut left) = (ChunkedDecoder::new(), Vec::new(), 0);
        for bytes in feeds {
            let used = decoder.feed(bytes, |data| body.extend_from_slice(data))?;
            left += bytes.len() - used;
        }
        Ok((body, decoder.is_done(), left))
    }

    #[test]
    fn a_body_decodes_the_same_however_it_is_split() {
        let wire = b"5;ext=1\r\nhello\r\na\r\n, world!!!\r\n0\r\nx-trailer: 1\r\n\r\nnext";
        let whole = decode(&[wire]).unwrap();
        assert_eq!(whole, (b"hello, world!!!".to_vec(), true, 4));
        for split in 0..=wire.len() {
            let (first, second) = wire.split_at(split);
            assert_eq!(decode(&[first, second]).unwrap(), whole, "split at {split}");
        }
        let bytewise: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(decode(&bytewise).unwrap(), whole);
    }

    #[test]
    fn framing_mistakes_are_errors_that_say_where() {
        // A size one too small: the data's last byte stands where CRLF must.
        let error = decode(&[b"2\r\nok\r\n4\r\nabcde\r\n0\r\n\r\n"]).unwrap_err();
        assert_eq!(error.chunk, 1);
        assert!(error.problem.contains("not CRLF"), "{error}");
        for (wire, problem) in [
            (&b"x\r\n"[..], "malformed size line"),
            (b"\r\n", "malformed size line"),
            (b"5 x\r\n", "malformed size line"),
            (b"5\nhello\r\n", "LF alone"),
            (b"11111111111111111\r\n", "too large"),
        ] {
            let error = decode(&[wire]).unwrap_err();
            assert!(error.problem.contains(problem), "{wire:?}: {error}");
        }
        let long = vec![b'1'; 5000];
        assert!(decode(&[&long]).unwrap_err().problem.contains("4 KiB"));
    }

    #[test]
    fn after_an_error_nothing_more_is_taken() {
        let mut decoder = ChunkedDecoder::new();
        assert!(decoder.feed(b"zz\r\n", |_| {}).is_err());
        assert!(decoder.feed(b"0\r\n\r\n", |_| {}).is_err());
    }
}
