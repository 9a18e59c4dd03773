//! The OpenAI wire format, as much of it as the official clients read:
//! requests, Chat Completions chunks and completions, the Responses API's
//! stream events, the model objects, and the error object.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use serde_json::{Value, json};
use sse_runtime::{Event, SseEvent};

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        ApiError::invalid("body", &rejection.body_text())
    }
}

/// `POST /v1/chat/completions`.
#[derive(Deserialize)]
pub(crate) struct ChatRequest {
    pub(crate) model: String,
    #[serde(default)]
    pub(crate) messages: Vec<ChatMessage>,
    #[serde(default)]
    pub(crate) stream: bool,
    #[serde(default, alias = "max_completion_tokens")]
    pub(crate) max_tokens: Option<usize>,
}

#[derive(Deserialize)]
pub(crate) struct ChatMessage {
    pub(crate) role: String,
    #[serde(default)]
    pub(crate) content: Value,
}

impl ChatRequest {
    /// The last user message's text: the prompt.
    pub(crate) fn prompt(&self) -> Result<String, ApiError> {
        let last = self
            .messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .ok_or_else(|| ApiError::invalid("messages", "`messages` needs a user message"))?;
        Ok(text_of(&last.content))
    }
}

/// `POST /v1/responses`.
#[derive(Deserialize)]
pub(crate) struct ResponsesRequest {
    pub(crate) model: String,
    pub(crate) input: Value,
    #[serde(default)]
    pub(crate) stream: bool,
    #[serde(default)]
    pub(crate) max_output_tokens: Option<usize>,
}

impl ResponsesRequest {
    /// `input` as a string, or its last user message's text.
    pub(crate) fn prompt(&self) -> Result<String, ApiError> {
        match &self.input {
            Value::String(text) => Ok(text.clone()),
            Value::Array(items) => items
                .iter()
                .rev()
                .find(|item| item["role"] == "user")
                .map(|item| text_of(&item["content"]))
                .ok_or_else(|| ApiError::invalid("input", "`input` needs a user message")),
            _ => Err(ApiError::invalid(
                "input",
                "`input` must be a string or a list of messages",
            )),
        }
    }
}

/// Text content: a string, or the `text` of each part of a list.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// Writes one completion's `chat.completion.chunk`s, each a `data:` line
/// of JSON. Cheap to clone: the stream's closures each hold one.
#[derive(Clone)]
pub(crate) struct Chunks {
    id: Arc<str>,
    created: u64,
    model: &'static str,
}

/// What a chunk adds: the role first, then content, then the finish.
pub(crate) enum Delta {
    Role,
    Content(String),
    Stop,
}

impl Chunks {
    pub(crate) fn new(id: &str, created: u64, model: &'static str) -> Self {
        Self {
            id: id.into(),
            created,
            model,
        }
    }

    pub(crate) fn event(&self, delta: Delta) -> Event {
        let (delta, finish_reason) = match delta {
            Delta::Role => (json!({"role": "assistant", "content": ""}), Value::Null),
            Delta::Content(text) => (json!({"content": text}), Value::Null),
            Delta::Stop => (json!({}), json!("stop")),
        };
        let chunk = json!({
            "id": &*self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        });
        Event::json(&chunk).expect("JSON values serialize")
    }
}

/// The whole `chat.completion`, for `"stream": false`.
pub(crate) fn completion(
    id: &str,
    created: u64,
    model: &str,
    prompt: &str,
    tokens: &[String],
) -> Value {
    let text = tokens.concat();
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": usage(prompt, tokens.len(), "prompt_tokens", "completion_tokens"),
    })
}

fn usage(prompt: &str, tokens: usize, input: &str, output: &str) -> Value {
    let prompt_tokens = prompt.split_whitespace().count();
    json!({ input: prompt_tokens, output: tokens, "total_tokens": prompt_tokens + tokens })
}

/// The Responses API's stream: each event named as its `type`, which the
/// data carries too, with the stream's `sequence_number`.
#[derive(Serialize, SseEvent)]
#[serde(tag = "type")]
pub(crate) enum ResponseEvent {
    #[sse(event = "response.created")]
    #[serde(rename = "response.created")]
    Created {
        sequence_number: u64,
        response: Value,
    },
    #[sse(event = "response.in_progress")]
    #[serde(rename = "response.in_progress")]
    InProgress {
        sequence_number: u64,
        response: Value,
    },
    #[sse(event = "response.output_item.added")]
    #[serde(rename = "response.output_item.added")]
    OutputItemAdded {
        sequence_number: u64,
        output_index: u32,
        item: Value,
    },
    #[sse(event = "response.content_part.added")]
    #[serde(rename = "response.content_part.added")]
    ContentPartAdded {
        sequence_number: u64,
        item_id: String,
        output_index: u32,
        content_index: u32,
        part: Value,
    },
    #[sse(event = "response.output_text.delta")]
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta {
        sequence_number: u64,
        item_id: String,
        output_index: u32,
        content_index: u32,
        delta: String,
        logprobs: [(); 0],
    },
    #[sse(event = "response.output_text.done")]
    #[serde(rename = "response.output_text.done")]
    OutputTextDone {
        sequence_number: u64,
        item_id: String,
        output_index: u32,
        content_index: u32,
        text: String,
        logprobs: [(); 0],
    },
    #[sse(event = "response.content_part.done")]
    #[serde(rename = "response.content_part.done")]
    ContentPartDone {
        sequence_number: u64,
        item_id: String,
        output_index: u32,
        content_index: u32,
        part: Value,
    },
    #[sse(event = "response.output_item.done")]
    #[serde(rename = "response.output_item.done")]
    OutputItemDone {
        sequence_number: u64,
        output_index: u32,
        item: Value,
    },
    #[sse(event = "response.completed")]
    #[serde(rename = "response.completed")]
    Completed {
        sequence_number: u64,
        response: Value,
    },
}

/// A Responses API `response` object at `status`, with `output` so far.
pub(crate) fn response_object(
    id: &str,
    created: u64,
    model: &str,
    status: &str,
    output: Value,
    usage: Option<(&str, usize)>,
) -> Value {
    let mut response = json!({
        "id": id,
        "object": "response",
        "created_at": created,
        "status": status,
        "model": model,
        "output": output,
        "parallel_tool_calls": true,
        "tool_choice": "auto",
        "tools": [],
    });
    if let Some((prompt, tokens)) = usage {
        let mut usage = usage_of(prompt, tokens);
        usage["input_tokens_details"] = json!({"cached_tokens": 0});
        usage["output_tokens_details"] = json!({"reasoning_tokens": 0});
        response["usage"] = usage;
    }
    response
}

fn usage_of(prompt: &str, tokens: usize) -> Value {
    usage(prompt, tokens, "input_tokens", "output_tokens")
}

/// A message output item holding `text`.
pub(crate) fn message_item(id: &str, status: &str, text: Option<&str>) -> Value {
    let content = match text {
        Some(text) => json!([output_text(text)]),
        None => json!([]),
    };
    json!({"id": id, "type": "message", "status": status, "role": "assistant", "content": content})
}

pub(crate) fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": []})
}

/// A `model` object, as `GET /v1/models` lists it and `GET /v1/models/{id}`
/// answers: exactly OpenAI's four fields, `created` in Unix seconds.
pub(crate) fn model_object(id: &str, created: u64, owned_by: &str) -> Value {
    json!({"id": id, "object": "model", "created": created, "owned_by": owned_by})
}

/// `GET /v1/models`'s body: the `model` objects as a `list` (one page; the
/// clients' pagination ends at a `list` without a cursor).
pub(crate) fn model_list(models: impl IntoIterator<Item = Value>) -> Value {
    json!({"object": "list", "data": models.into_iter().collect::<Vec<_>>()})
}

/// The OpenAI error object with its status.
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
}

impl ApiError {
    pub(crate) fn invalid(param: &str, message: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some(param),
            None,
            message,
        )
    }

    pub(crate) fn unknown_model(model: &str) -> Self {
        let message =
            format!("The model `{model}` does not exist or you do not have access to it.");
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            None,
            Some("model_not_found"),
            &message,
        )
    }

    fn new(
        status: StatusCode,
        kind: &str,
        param: Option<&str>,
        code: Option<&str>,
        message: &str,
    ) -> Self {
        let body =
            json!({"error": {"message": message, "type": kind, "param": param, "code": code}});
        Self { status, body }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
