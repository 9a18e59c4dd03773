//! What the transport needs to know of MCP's messages: the revisions, one
//! JSON-RPC message read from a POST body, and errors as responses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Revisions negotiated by `initialize`, with sessions, newest last.
pub(crate) const HANDSHAKE_VERSIONS: [&str; 4] =
    ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// Revisions with a self-contained request per POST (no `initialize`, no
/// session, no resumption).
pub(crate) const MODERN_VERSIONS: [&str; 1] = ["2026-07-28"];
/// The revision from which a POST's stream starts with a priming event and
/// may be closed early, the client resuming it with `Last-Event-ID`.
pub(crate) const PRIMING_FROM: &str = "2025-11-25";

/// `params._meta` keys of a modern request's envelope.
pub(crate) const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
pub(crate) const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
/// The level of log notifications a modern request wants; none without it.
pub(crate) const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";

pub(crate) const PARSE_ERROR: i64 = -32700;
pub(crate) const INVALID_REQUEST: i64 = -32600;
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
pub(crate) const INVALID_PARAMS: i64 = -32602;
pub(crate) const HEADER_MISMATCH: i64 = -32020;
pub(crate) const MISSING_CLIENT_CAPABILITY: i64 = -32021;
pub(crate) const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// Every revision, oldest first.
pub(crate) fn all_versions() -> impl Iterator<Item = &'static str> {
    HANDSHAKE_VERSIONS.into_iter().chain(MODERN_VERSIONS)
}

/// `version` if it is a revision, as the static string.
pub(crate) fn known(version: &str) -> Option<&'static str> {
    all_versions().find(|known| *known == version)
}

/// Whether revision `a` is `b` or newer (both known).
pub(crate) fn at_least(a: &str, b: &str) -> bool {
    let at = |v: &str| all_versions().position(|known| known == v);
    at(a) >= at(b)
}

/// The handshake revisions a server that speaks up to `newest` has.
pub(crate) fn handshake_versions_up_to(newest: &str) -> Vec<&'static str> {
    HANDSHAKE_VERSIONS
        .into_iter()
        .filter(|version| at_least(newest, version))
        .collect()
}

/// The revision `initialize` settles on, for a server that speaks up to
/// `newest`: the client's when the server speaks it, else the newest
/// handshake revision the server has (the client then decides).
pub(crate) fn negotiate(requested: Option<&str>, newest: &str) -> &'static str {
    let spoken = handshake_versions_up_to(newest);
    spoken
        .iter()
        .find(|version| Some(**version) == requested)
        .or(spoken.last())
        .copied()
        .unwrap_or(HANDSHAKE_VERSIONS[0])
}

/// One JSON-RPC message from a POST body.
pub(crate) enum Message {
    Request {
        id: Value,
        method: String,
        params: Value,
    },
    Notification {
        method: String,
        params: Value,
    },
    /// A client's answer to a server request: this server sends none, so
    /// it is acknowledged and dropped.
    Response,
}

impl Message {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, RpcError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| RpcError::new(PARSE_ERROR, format!("not JSON: {error}")))?;
        let Value::Object(mut object) = value else {
            return Err(RpcError::new(
                INVALID_REQUEST,
                "expected one JSON-RPC message (an object); batches are not supported",
            ));
        };
        if object.get("jsonrpc") != Some(&json!("2.0")) {
            return Err(RpcError::new(INVALID_REQUEST, "`jsonrpc` must be \"2.0\""));
        }
        let params = object.remove("params").unwrap_or(Value::Null);
        match (object.remove("method"), object.remove("id")) {
            (Some(Value::String(method)), Some(id)) if is_request_id(&id) => {
                Ok(Self::Request { id, method, params })
            }
            (Some(Value::String(_)), Some(_)) => Err(RpcError::new(
                INVALID_REQUEST,
                "a request id must be a string or an integer",
            )),
            (Some(Value::String(method)), None) => Ok(Self::Notification { method, params }),
            (None, Some(_)) if object.contains_key("result") || object.contains_key("error") => {
                Ok(Self::Response)
            }
            _ => Err(RpcError::new(
                INVALID_REQUEST,
                "not a JSON-RPC request, notification or response",
            )),
        }
    }
}

fn is_request_id(id: &Value) -> bool {
    id.is_string() || id.is_i64() || id.is_u64()
}

/// `_meta` of a request's params, if it has one.
pub(crate) fn meta(params: &Value) -> Option<&serde_json::Map<String, Value>> {
    params.get("_meta")?.as_object()
}

/// A JSON-RPC error, answered with the HTTP status MCP gives its code.
#[derive(Debug)]
pub(crate) struct RpcError {
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
    /// The request's id, `null` when it was refused before it was read.
    pub(crate) id: Value,
    pub(crate) status: StatusCode,
}

impl RpcError {
    pub(crate) fn new(code: i64, message: impl Into<String>) -> Self {
        let status = match code {
            METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
            PARSE_ERROR
            | INVALID_REQUEST
            | INVALID_PARAMS
            | HEADER_MISMATCH
            | MISSING_CLIENT_CAPABILITY
            | UNSUPPORTED_PROTOCOL_VERSION => StatusCode::BAD_REQUEST,
            _ => StatusCode::OK,
        };
        Self {
            code,
            message: message.into(),
            data: None,
            id: Value::Null,
            status,
        }
    }

    /// A transport-level refusal (a missing or ended session, a wrong
    /// header), with its own status.
    pub(crate) fn transport(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            ..Self::new(INVALID_REQUEST, message)
        }
    }

    pub(crate) fn with_id(mut self, id: &Value) -> Self {
        self.id = id.clone();
        self
    }

    pub(crate) fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// As handshake-era handlers answer it: in a `200` body, since only
    /// transport failures have statuses of their own there.
    pub(crate) fn in_band(mut self) -> Self {
        self.status = StatusCode::OK;
        self
    }

    pub(crate) fn body(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        json!({ "jsonrpc": "2.0", "id": self.id, "error": error })
    }
}

impl IntoResponse for RpcError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// `{"jsonrpc": "2.0", "id": id, "result": result}`.
pub(crate) fn result(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// A server notification.
pub(crate) fn notification(method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "method": method, "params": params })
}
