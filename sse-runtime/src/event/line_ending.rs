//! The line separator a response writes after every field.

use std::fmt;
use std::str::FromStr;

/// How each line of the event stream ends. Clients accept all three; `\n`
/// (the default) is the smallest on the wire.
///
/// sse-starlette calls this `sep` and defaults to `\r\n`.
///
/// ```
/// use sse_runtime::LineEnding;
///
/// assert_eq!("\r\n".parse::<LineEnding>(), Ok(LineEnding::CrLf));
/// assert_eq!(LineEnding::default().as_bytes(), b"\n");
/// assert!("\n\n".parse::<LineEnding>().is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// `\n`, the default.
    #[default]
    Lf,
    /// `\r\n`, as sse-starlette writes by default.
    CrLf,
    /// A lone `\r`.
    Cr,
}

impl LineEnding {
    /// The bytes written at the end of every line.
    pub const fn as_bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
            LineEnding::Cr => b"\r",
        }
    }
}

/// The error returned when parsing a [`LineEnding`] from anything but `"\n"`,
/// `"\r\n"` or `"\r"`.
///
/// ```
/// use sse_runtime::{InvalidLineEnding, LineEnding};
///
/// assert_eq!("\n\n".parse::<LineEnding>(), Err(InvalidLineEnding));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidLineEnding;

impl fmt::Display for InvalidLineEnding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a line ending must be "\n", "\r\n" or "\r""#)
    }
}

impl std::error::Error for InvalidLineEnding {}

impl FromStr for LineEnding {
    type Err = InvalidLineEnding;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "\n" => Ok(LineEnding::Lf),
            "\r\n" => Ok(LineEnding::CrLf),
            "\r" => Ok(LineEnding::Cr),
            _ => Err(InvalidLineEnding),
        }
    }
}
