//! An event stream's lines, by the spec's rule: CR, LF and CRLF each end a
//! line, wherever the bytes are split.
//!
//! ```
//! use sse_runtime::test::Lines;
//!
//! let mut lines = Lines::new();
//! let mut seen = Vec::new();
//! for bytes in [&b"data: a\r"[..], b"\ndata: b\rdata: c\n\n"] {
//!     lines.feed(bytes, |line| seen.push(String::from_utf8_lossy(line).into_owned()));
//! }
//! assert_eq!(seen, ["data: a", "data: b", "data: c", ""]);
//! ```

/// Splits bytes into lines; a line's end is not part of it. A line that
/// fits in the bytes fed is handed over where it lies; only one split over
/// two feeds is copied.
#[derive(Debug, Default)]
pub struct Lines {
    /// The start of a line not yet ended.
    partial: Vec<u8>,
    /// The last byte fed ended a line with CR: a LF first thing next is
    /// part of that line's end.
    after_cr: bool,
}

impl Lines {
    /// Nothing fed yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `bytes`, calling `line` with every line they complete.
    pub fn feed(&mut self, mut bytes: &[u8], mut line: impl FnMut(&[u8])) {
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        while let Some(at) = memchr::memchr2(b'\r', b'\n', bytes) {
            if self.partial.is_empty() {
                line(&bytes[..at]);
            } else {
                self.partial.extend_from_slice(&bytes[..at]);
                line(&self.partial);
                self.partial.clear();
            }
            let cr = bytes[at] == b'\r';
            bytes = &bytes[at + 1..];
            if cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.partial.extend_from_slice(bytes);
    }

    /// The start of a line not yet ended (at the end of a stream, the spec
    /// drops it).
    #[must_use]
    pub fn pending(&self) -> &[u8] {
        &self.partial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(feeds: &[&[u8]]) -> Vec<String> {
        let (mut lines, mut out) = (Lines::new(), Vec::new());
        for bytes in feeds {
            lines.feed(bytes, |line| {
                out.push(String::from_utf8_lossy(line).into_owned());
            });
        }
        out
    }

    #[test]
    fn each_line_end_once_wherever_the_bytes_split() {
        let text = b"a\r\nb\rc\n\r\n\rd\n";
        let whole = lines(&[text]);
        assert_eq!(whole, ["a", "b", "c", "", "", "d"]);
        for split in 0..=text.len() {
            let (first, second) = text.split_at(split);
            assert_eq!(lines(&[first, b"", second]), whole, "split at {split}");
        }
        let bytewise: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(lines(&bytewise), whole);
    }

    #[test]
    fn an_unended_line_is_pending() {
        let mut lines = Lines::new();
        lines.feed(b"data: a\ndata: b", |_| {});
        assert_eq!(lines.pending(), b"data: b");
    }
}
