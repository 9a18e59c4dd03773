//! The tools the official MCP conformance suite
//! (`@modelcontextprotocol/conformance`) calls to exercise a transport,
//! offered only with `MCP_CONFORMANCE=1` (`interop/run` sets it):
//!
//! - `test_reconnection` (handshake era, SEP-1699): its POST stream closes
//!   after the priming event, before the answer; the client gets the
//!   answer by resuming with `Last-Event-ID`.
//! - `test_missing_capability` (2026-07-28): needs the client's `sampling`
//!   capability, and is refused with `-32021` (400) when the request does
//!   not declare it.
//! - `test_streaming_elicitation` (2026-07-28): needs `elicitation`; asks
//!   for a confirmation the 2026 way, an `input_required` result on its
//!   own stream (never a request of the server's on it), and answers once
//!   the client retries with `inputResponses`.
//! - `test_logging_tool` (2026-07-28): sends log notifications only when
//!   the request's `_meta` asks for a level.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use serde_json::{Value, json};

use crate::call::{Call, Era, Output};
use crate::protocol::{
    CLIENT_CAPABILITIES_KEY, INVALID_PARAMS, LOG_LEVEL_KEY, MISSING_CLIENT_CAPABILITY, RpcError,
    meta, notification, result,
};

/// The diagnostic tools of `era`.
pub(crate) fn descriptors(era: Era) -> Vec<Value> {
    let tool = |name: &str, description: &str| {
        json!({
            "name": name,
            "description": description,
            "inputSchema": { "type": "object", "properties": {} },
        })
    };
    match era {
        Era::Handshake => vec![tool(
            "test_reconnection",
            "Closes its stream after the priming event; the answer comes on the resumed stream.",
        )],
        Era::Modern => vec![
            tool(
                "test_missing_capability",
                "Needs the client's `sampling` capability.",
            ),
            tool(
                "test_streaming_elicitation",
                "Asks the client to confirm (elicitation) with an input_required result.",
            ),
            tool(
                "test_logging_tool",
                "Logs two lines when the request asks for a log level.",
            ),
        ],
    }
}

/// A call of diagnostic tool `name` (the caller checked it is listed).
pub(crate) fn call(
    era: Era,
    name: &str,
    request: &Value,
    params: &Value,
    step: Duration,
) -> Result<Call, RpcError> {
    let complete = |text: &str| {
        let mut answer = json!({ "content": [{ "type": "text", "text": text }], "isError": false });
        if era == Era::Modern {
            answer["resultType"] = json!("complete");
        }
        Output::Answer(result(request, answer))
    };
    let call = |outputs: Vec<Output>, summary: &str| Call {
        outputs: futures_util::stream::iter(outputs).boxed(),
        closes_early: false,
        summary: summary.into(),
    };
    match name {
        "test_reconnection" => {
            let answer = complete("answered after the client reconnected");
            // A step later, so the answer is never on the first stream
            // even were it not closed: it only reaches a resumed one.
            let outputs: BoxStream<'static, Output> = async_stream::stream! {
                tokio::time::sleep(step).await;
                yield answer;
            }
            .boxed();
            Ok(Call {
                outputs,
                closes_early: true,
                summary: "closing the stream before the answer".into(),
            })
        }
        "test_missing_capability" => {
            require(request, params, "sampling")?;
            Ok(call(
                vec![complete("the client declared `sampling`")],
                "checking a capability",
            ))
        }
        "test_streaming_elicitation" => {
            require(request, params, "elicitation")?;
            let confirmation = params
                .get("inputResponses")
                .map(|responses| {
                    responses
                        .get("confirm")
                        .and_then(|confirm| confirm.get("action"))
                        .and_then(Value::as_str)
                        .filter(|action| ["accept", "decline", "cancel"].contains(action))
                        .ok_or_else(|| {
                            RpcError::new(
                                INVALID_PARAMS,
                                "`inputResponses.confirm` must be an elicitation result: \
                                 `action` accept, decline or cancel",
                            )
                            .with_id(request)
                        })
                })
                .transpose()?;
            let mut outputs = Vec::new();
            if let Some(token) = meta(params).and_then(|meta| meta.get("progressToken")) {
                outputs.push(Output::Progress(notification(
                    "notifications/progress",
                    json!({ "progressToken": token, "progress": 1, "total": 2, "message": "asking the client" }),
                )));
            }
            outputs.push(match confirmation {
                Some(action) => complete(&format!("the user answered: {action}")),
                None => Output::Answer(result(
                    request,
                    json!({
                        "resultType": "input_required",
                        "inputRequests": {
                            "confirm": {
                                "method": "elicitation/create",
                                "params": {
                                    "message": "Please confirm to continue",
                                    "requestedSchema": {
                                        "type": "object",
                                        "properties": { "confirmed": { "type": "boolean" } },
                                    },
                                },
                            },
                        },
                    }),
                )),
            });
            Ok(call(outputs, "asking for a confirmation"))
        }
        "test_logging_tool" => {
            let mut outputs = Vec::new();
            if logs_at_info(params) {
                for line in ["starting", "done"] {
                    outputs.push(Output::Progress(notification(
                        "notifications/message",
                        json!({ "level": "info", "logger": "test_logging_tool", "data": line }),
                    )));
                }
            }
            outputs.push(complete("logged as asked"));
            Ok(call(outputs, "logging"))
        }
        other => {
            Err(RpcError::new(INVALID_PARAMS, format!("unknown tool `{other}`")).with_id(request))
        }
    }
}

/// Refuses a request whose envelope does not declare client capability
/// `capability` (`-32021`, with the capabilities it needs keyed by name).
fn require(request: &Value, params: &Value, capability: &str) -> Result<(), RpcError> {
    let declared = meta(params)
        .and_then(|meta| meta.get(CLIENT_CAPABILITIES_KEY))
        .and_then(|capabilities| capabilities.get(capability))
        .is_some_and(Value::is_object);
    if declared {
        return Ok(());
    }
    Err(RpcError::new(
        MISSING_CLIENT_CAPABILITY,
        format!("this tool needs the client capability `{capability}`; declare it in {CLIENT_CAPABILITIES_KEY}"),
    )
    .with_data(json!({ "requiredCapabilities": { capability: {} } }))
    .with_id(request))
}

/// Whether the request asked for log lines at `info` or a more verbose
/// level (RFC 5424's order, as MCP's `LoggingLevel`).
fn logs_at_info(params: &Value) -> bool {
    const AT_INFO_OR_BELOW: [&str; 2] = ["debug", "info"];
    meta(params)
        .and_then(|meta| meta.get(LOG_LEVEL_KEY))
        .and_then(Value::as_str)
        .is_some_and(|level| AT_INFO_OR_BELOW.contains(&level))
}
