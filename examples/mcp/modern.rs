//! Revision 2026-07-28: one self-contained request per POST. The revision
//! travels in `params._meta` and in `MCP-Protocol-Version`, the method in
//! `Mcp-Method` (and a tool's name in `Mcp-Name`); they must agree, in the
//! order the revision checks them. No session, no `GET`, no resumption:
//! a tool call streams on its own response, and closing it cancels the call.
//! Methods the revision removed (`initialize`, `ping`, `logging/setLevel`,
//! `resources/subscribe`) are unknown here: 404 with `-32601`.

use axum::Json;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};
use sse_runtime::{Event, SseResponse};

use crate::call::Era;
use crate::catalog;
use crate::param_headers::mirrored_value;
use crate::protocol::{
    CLIENT_CAPABILITIES_KEY, HANDSHAKE_VERSIONS, HEADER_MISMATCH, INVALID_PARAMS, METHOD_NOT_FOUND,
    MODERN_VERSIONS, Message, PROTOCOL_VERSION_KEY, RpcError, UNSUPPORTED_PROTOCOL_VERSION, meta,
    result,
};
use crate::{App, MCP_PROTOCOL_VERSION, log_end, stats_json};

const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");

/// The request header names a modern revision.
pub(crate) fn names_modern_version(headers: &HeaderMap) -> bool {
    headers
        .get(&MCP_PROTOCOL_VERSION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|version| MODERN_VERSIONS.contains(&version))
}

/// A request of the modern era: it carries the per-request envelope, names
/// a modern revision, or asks `server/discover`. A handshake-era client
/// does none of these.
pub(crate) fn is_modern(headers: &HeaderMap, message: &Message) -> bool {
    let request = match message {
        Message::Request { method, params, .. } => {
            method == "server/discover"
                || meta(params).is_some_and(|meta| meta.contains_key(PROTOCOL_VERSION_KEY))
        }
        _ => false,
    };
    request || names_modern_version(headers)
}

/// The envelope checks, first failure wins: the envelope is there, the
/// headers agree with the body, the revision is one this server speaks.
fn check_envelope(headers: &HeaderMap, method: &str, params: &Value) -> Result<(), RpcError> {
    let meta = meta(params).ok_or_else(|| {
        RpcError::new(
            INVALID_PARAMS,
            format!(
                "params._meta must carry {PROTOCOL_VERSION_KEY:?} and {CLIENT_CAPABILITIES_KEY:?}"
            ),
        )
    })?;
    let missing: Vec<&str> = [PROTOCOL_VERSION_KEY, CLIENT_CAPABILITIES_KEY]
        .into_iter()
        .filter(|key| !meta.contains_key(*key))
        .collect();
    if !missing.is_empty() {
        return Err(RpcError::new(
            INVALID_PARAMS,
            format!("params._meta is missing {}", missing.join(", ")),
        ));
    }
    let version = &meta[PROTOCOL_VERSION_KEY];
    let given_version = mirrored_value(headers, MCP_PROTOCOL_VERSION.as_str())?;
    if given_version.is_none_or(|given| Some(given.as_str()) != version.as_str()) {
        return Err(RpcError::new(
            HEADER_MISMATCH,
            "MCP-Protocol-Version does not match params._meta's protocol version",
        ));
    }
    if mirrored_value(headers, MCP_METHOD.as_str())?.as_deref() != Some(method) {
        return Err(RpcError::new(
            HEADER_MISMATCH,
            "Mcp-Method does not match the method",
        ));
    }
    // What `Mcp-Name` mirrors: a tool's or a prompt's name, a resource's URI.
    let named = match method {
        "tools/call" | "prompts/get" => params.get("name"),
        "resources/read" => params.get("uri"),
        _ => None,
    };
    if let Some(name) = named.and_then(Value::as_str) {
        let given = mirrored_value(headers, MCP_NAME.as_str())?;
        if given.as_deref() != Some(name) {
            return Err(RpcError::new(
                HEADER_MISMATCH,
                "Mcp-Name does not match the name (or URI) the request names",
            ));
        }
    }
    let version = version.as_str().unwrap_or_default();
    if !MODERN_VERSIONS.contains(&version) {
        let supported: Vec<&str> = MODERN_VERSIONS.to_vec();
        let error = RpcError::new(
            UNSUPPORTED_PROTOCOL_VERSION,
            format!("this server does not speak `{version}` per request"),
        );
        return Err(error.with_data(json!({ "supported": supported, "requested": version })));
    }
    Ok(())
}

pub(crate) async fn handle(
    app: &App,
    headers: &HeaderMap,
    message: Message,
) -> Result<Response, RpcError> {
    let (id, method, params) = match message {
        // Nothing for a client notification to act on here: cancelling is
        // closing the response.
        Message::Notification { .. } | Message::Response => {
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        Message::Request { id, method, params } => (id, method, params),
    };
    check_envelope(headers, &method, &params).map_err(|error| error.with_id(&id))?;
    let answer = match method.as_str() {
        "server/discover" => {
            let supported: Vec<&str> = HANDSHAKE_VERSIONS
                .iter()
                .chain(&MODERN_VERSIONS)
                .copied()
                .collect();
            json!({
                "supportedVersions": supported,
                "capabilities": catalog::capabilities(Era::Modern),
                "cacheScope": "public",
                "ttlMs": 0,
                "resultType": "complete",
                "_meta": {
                    "io.modelcontextprotocol/serverInfo": {
                        "name": "sse-runtime-mcp-example",
                        "version": env!("CARGO_PKG_VERSION"),
                    }
                },
            })
        }
        "tools/call" => {
            let call = app.toolbox.call(Era::Modern, &id, &params, headers)?;
            let events = call.outputs.map(|output| Event::json(output.message()));
            // Dropped with the response when the client closes it: the
            // count stops, which is how this revision cancels.
            return Ok(SseResponse::new(events)
                .on_disconnect(log_end)
                .into_response());
        }
        other => match catalog::answer(&app.toolbox, Era::Modern, other, &params, stats_json) {
            Some(answer) => answer.map_err(|error| error.with_id(&id))?,
            None => {
                return Err(
                    RpcError::new(METHOD_NOT_FOUND, format!("unknown method `{other}`"))
                        .with_id(&id),
                );
            }
        },
    };
    Ok(Json(result(&id, answer)).into_response())
}
