//! The `countdown` tool counts `steps` steps (3 when not given), one every
//! step time, reporting progress at each when the caller asked for it (a
//! `progressToken`), then answers `liftoff`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::Stream;
use serde_json::{Value, json};

use crate::call::Output;
use crate::protocol::{INVALID_PARAMS, RpcError, meta, notification, result};

/// Steps counted by every call so far (`GET /stats`): a cancelled call
/// stops adding to it.
pub(crate) static STEPS_COUNTED: AtomicU64 = AtomicU64::new(0);

/// The most steps one call may ask for.
const MAX_STEPS: u64 = 1_000;
/// The steps of a call that names none.
const DEFAULT_STEPS: u64 = 3;

/// What `tools/list` says of it.
pub(crate) fn descriptor() -> Value {
    json!({
        "name": "countdown",
        "title": "Countdown",
        "description": "Counts down `steps` steps, reporting progress at each, then answers `liftoff`.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "steps": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_STEPS,
                    "default": DEFAULT_STEPS,
                    "description": "How many steps to count"
                }
            }
        }
    })
}

/// One `tools/call` of `countdown`.
pub(crate) struct Countdown {
    request: Value,
    steps: u64,
    progress_token: Option<Value>,
}

impl Countdown {
    /// Reads a `tools/call` of `countdown`: bad arguments are
    /// `INVALID_PARAMS`, as MCP asks.
    pub(crate) fn from_call(request: &Value, params: &Value) -> Result<Self, RpcError> {
        let steps = match params
            .get("arguments")
            .and_then(|arguments| arguments.get("steps"))
        {
            None | Some(Value::Null) => Some(DEFAULT_STEPS),
            Some(steps) => steps.as_u64(),
        };
        let steps = steps
            .filter(|steps| (1..=MAX_STEPS).contains(steps))
            .ok_or_else(|| {
                RpcError::new(
                    INVALID_PARAMS,
                    format!("`steps` must be an integer from 1 to {MAX_STEPS}"),
                )
                .with_id(request)
            })?;
        let progress_token = meta(params)
            .and_then(|meta| meta.get("progressToken"))
            .cloned();
        Ok(Self {
            request: request.clone(),
            steps,
            progress_token,
        })
    }

    pub(crate) fn steps(&self) -> u64 {
        self.steps
    }

    /// The call's messages: a progress notification per step (when asked
    /// for), then the response, whose `result` gets `extra` fields (a
    /// modern revision's `resultType`). Dropping the stream stops the count.
    pub(crate) fn run(self, step: Duration, extra: Value) -> impl Stream<Item = Output> + Send {
        async_stream::stream! {
            for done in 1..=self.steps {
                tokio::time::sleep(step).await;
                STEPS_COUNTED.fetch_add(1, Ordering::Relaxed);
                if let Some(token) = &self.progress_token {
                    yield Output::Progress(notification("notifications/progress", json!({
                        "progressToken": token,
                        "progress": done,
                        "total": self.steps,
                        "message": format!("{} to go", self.steps - done),
                    })));
                }
            }
            let mut answer = json!({
                "content": [{ "type": "text", "text": format!("liftoff after {} steps", self.steps) }],
                "isError": false,
            });
            if let (Value::Object(answer), Value::Object(extra)) = (&mut answer, extra) {
                answer.extend(extra);
            }
            yield Output::Answer(result(&self.request, answer));
        }
    }
}
