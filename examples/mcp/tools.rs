//! The tools `tools/list` offers, and what a `tools/call` of each sends:
//!
//! - `countdown` (`countdown.rs`): progress at each step, then `liftoff`;
//! - `echo`: answers with its `text`, which a 2026-07-28 client also sends
//!   in the `Mcp-Param-Text` header so that a proxy can route on it
//!   (SEP-2243; `param_headers.rs` checks the two agree);
//! - with `MCP_CONFORMANCE=1`, the diagnostic tools the official
//!   conformance suite calls (`diagnostics.rs`).
//!
//! Every call is a stream of [`Output`]s, however many it sends: the
//! handshake era publishes them to the call's hub topic, the modern one
//! streams them on the POST's response.

use std::time::Duration;

use axum::http::HeaderMap;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use serde_json::{Value, json};

use crate::call::{Call, Era, Output};
use crate::countdown::{self, Countdown};
use crate::diagnostics;
use crate::param_headers;
use crate::protocol::{INVALID_PARAMS, RpcError, result};

/// What the server's tools depend on besides the request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Toolbox {
    /// The time per countdown step.
    pub(crate) step: Duration,
    /// Whether the conformance suite's diagnostic tools are offered.
    pub(crate) conformance: bool,
}

fn echo_descriptor() -> Value {
    json!({
        "name": "echo",
        "title": "Echo",
        "description": "Answers with `text`. A 2026-07-28 client also sends it in the `Mcp-Param-Text` header.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "text": {
                    "type": "string",
                    "description": "What to answer",
                    "x-mcp-header": "Text"
                }
            },
            "required": ["text"]
        }
    })
}

/// The longest `progressToken` a call may carry: each progress
/// notification repeats it, and the hub keeps them for resuming.
const MAX_PROGRESS_TOKEN: usize = 256;

/// What every call's params must be: `arguments` an object if given, a
/// `progressToken` a string (short) or an integer.
fn check_common(params: &Value) -> Result<(), RpcError> {
    if params
        .get("arguments")
        .is_some_and(|arguments| !arguments.is_object() && !arguments.is_null())
    {
        return Err(RpcError::new(
            INVALID_PARAMS,
            "`arguments` must be an object",
        ));
    }
    let token = crate::protocol::meta(params).and_then(|meta| meta.get("progressToken"));
    let fits = match token {
        None => true,
        Some(Value::String(token)) => token.len() <= MAX_PROGRESS_TOKEN,
        Some(token) => token.is_i64() || token.is_u64(),
    };
    if !fits {
        return Err(RpcError::new(
            INVALID_PARAMS,
            format!(
                "`progressToken` must be an integer or a string of at most {MAX_PROGRESS_TOKEN} bytes"
            ),
        ));
    }
    Ok(())
}

impl Toolbox {
    /// What `tools/list` says: `countdown` first (a client that calls the
    /// first tool with no arguments gets a default countdown).
    pub(crate) fn descriptors(&self, era: Era) -> Vec<Value> {
        let mut tools = vec![countdown::descriptor(), echo_descriptor()];
        if self.conformance {
            tools.extend(diagnostics::descriptors(era));
        }
        tools
    }

    /// Reads a `tools/call`: an unknown tool, bad arguments or arguments
    /// that disagree with their headers are refused before anything runs.
    pub(crate) fn call(
        &self,
        era: Era,
        request: &Value,
        params: &Value,
        headers: &HeaderMap,
    ) -> Result<Call, RpcError> {
        let name = params.get("name").and_then(Value::as_str).unwrap_or("");
        let descriptor = self
            .descriptors(era)
            .into_iter()
            .find(|tool| tool["name"] == name)
            .ok_or_else(|| {
                RpcError::new(
                    INVALID_PARAMS,
                    format!("unknown tool `{name}`: see `tools/list`"),
                )
                .with_id(request)
            })?;
        check_common(params).map_err(|error| error.with_id(request))?;
        if era == Era::Modern {
            param_headers::check(&descriptor, params, headers)
                .map_err(|error| error.with_id(request))?;
        }
        let call = |outputs: BoxStream<'static, Output>, summary: String| Call {
            outputs,
            closes_early: false,
            summary,
        };
        match name {
            "countdown" => {
                let countdown = Countdown::from_call(request, params)?;
                let summary = format!("counting {} steps", countdown.steps());
                let extra = match era {
                    Era::Modern => json!({ "resultType": "complete" }),
                    Era::Handshake => json!({}),
                };
                Ok(call(countdown.run(self.step, extra).boxed(), summary))
            }
            "echo" => {
                let text = params
                    .get("arguments")
                    .and_then(|arguments| arguments.get("text"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        RpcError::new(INVALID_PARAMS, "`text` must be a string").with_id(request)
                    })?;
                let mut answer = json!({
                    "content": [{ "type": "text", "text": text }],
                    "isError": false,
                });
                if era == Era::Modern {
                    answer["resultType"] = json!("complete");
                }
                let answer = Output::Answer(result(request, answer));
                Ok(call(
                    stream::iter([answer]).boxed(),
                    "echoing a text".into(),
                ))
            }
            _ => diagnostics::call(era, name, request, params, self.step),
        }
    }
}
