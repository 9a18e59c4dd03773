//! What the server lists and reads besides calling tools: `tools/list`,
//! `prompts/list` (none), `resources/list` and `resources/read` (one
//! resource, the counters of `GET /stats`), `resources/templates/list`
//! (none). From 2026-07-28 each result carries its caching hints
//! (SEP-2549): the lists are the same for every client (`public`) and may
//! change with a restart (`ttlMs: 0`); so may the counters.

use serde_json::{Value, json};

use crate::call::Era;
use crate::protocol::{INVALID_PARAMS, RpcError};
use crate::tools::Toolbox;

/// The one resource's URI.
const STATS_URI: &str = "countdown://stats";

/// The capabilities these methods and the tools make up, as `initialize`
/// and `server/discover` declare them.
pub(crate) fn capabilities(era: Era) -> Value {
    match era {
        Era::Handshake => json!({ "tools": {}, "prompts": {}, "resources": {}, "logging": {} }),
        // Log lines are asked for per request here, not with a capability.
        Era::Modern => json!({ "tools": {}, "prompts": {}, "resources": {} }),
    }
}

/// The answer to `method`, if it is one of these; `stats` gives the
/// counters' JSON for `resources/read`.
pub(crate) fn answer(
    toolbox: &Toolbox,
    era: Era,
    method: &str,
    params: &Value,
    stats: impl FnOnce() -> Value,
) -> Option<Result<Value, RpcError>> {
    let answer = match method {
        "tools/list" => json!({ "tools": toolbox.descriptors(era) }),
        "prompts/list" => json!({ "prompts": [] }),
        "resources/templates/list" => json!({ "resourceTemplates": [] }),
        "resources/list" => json!({
            "resources": [{
                "uri": STATS_URI,
                "name": "stats",
                "title": "Countdown counters",
                "description": "Steps counted and streams resumed since the server started",
                "mimeType": "application/json",
            }]
        }),
        "resources/read" => {
            let uri = params.get("uri");
            if uri.and_then(Value::as_str) != Some(STATS_URI) {
                return Some(Err(RpcError::new(
                    INVALID_PARAMS,
                    "`uri` names no resource of this server: see `resources/list`",
                )
                .with_data(json!({ "uri": uri }))));
            }
            json!({
                "contents": [{
                    "uri": STATS_URI,
                    "mimeType": "application/json",
                    "text": stats().to_string(),
                }]
            })
        }
        _ => return None,
    };
    Some(Ok(with_hints(era, answer)))
}

/// A result as `era` sends it: from 2026-07-28 with its caching hints and
/// `resultType`.
fn with_hints(era: Era, mut answer: Value) -> Value {
    if era == Era::Modern {
        answer["cacheScope"] = json!("public");
        answer["ttlMs"] = json!(0);
        answer["resultType"] = json!("complete");
    }
    answer
}
