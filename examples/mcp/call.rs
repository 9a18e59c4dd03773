//! What one tool call is: the era it came in, and what it sends, however
//! many messages (`tools.rs` reads the call, `countdown.rs` and
//! `diagnostics.rs` make the messages).

use futures_util::stream::BoxStream;
use serde_json::Value;

/// Which way the request came: the two eras offer different diagnostics,
/// and only the modern one mirrors arguments in headers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Era {
    /// 2024-11-05 to 2025-11-25: `initialize`, sessions, resumable streams.
    Handshake,
    /// 2026-07-28: a self-contained request per POST.
    Modern,
}

/// What a call sends: notifications while it runs, then its answer.
pub(crate) enum Output {
    Progress(Value),
    Answer(Value),
}

impl Output {
    pub(crate) fn message(&self) -> &Value {
        match self {
            Output::Progress(message) | Output::Answer(message) => message,
        }
    }
}

/// One tool call about to run.
pub(crate) struct Call {
    /// Its notifications, then its answer.
    pub(crate) outputs: BoxStream<'static, Output>,
    /// The POST's stream ends after its priming event and the client
    /// resumes it with `Last-Event-ID` (SEP-1699's server-side polling).
    pub(crate) closes_early: bool,
    /// What the call does, for the session's log line.
    pub(crate) summary: String,
}
