//! Run with: cargo run --example llm
//!
//! An OpenAI-compatible server in front of a deterministic fake model
//! (`model.rs`): the official `openai` clients stream from it with a base
//! URL of `http://127.0.0.1:8000/v1` (`interop/llm_openai.py`, `.mjs`).
//!
//! - `POST /v1/chat/completions`: with `"stream": true`, `chat.completion.chunk`
//!   objects as `data:` lines, then `data: [DONE]`; otherwise the whole
//!   completion as JSON, from the same token stream.
//! - `POST /v1/responses` with `"stream": true`: the Responses API's named
//!   events (`response.created` … `response.completed`) with their
//!   `sequence_number`, from an `#[sse_endpoint]` yielding a
//!   `#[derive(SseEvent)]` enum.
//! - `GET /v1/models` and `GET /v1/models/{id}`: the one model the endpoints
//!   above accept, as OpenAI's `model` objects, so that a client finds its
//!   name rather than being told it; an id the server does not have gets the
//!   same 404 `model_not_found` as a request naming it.
//! - A client that leaves stops the model at once: the token stream is
//!   dropped with the response (`GET /stats` counts the tokens produced),
//!   and the disconnect hook logs why and how many tokens were sent.
//!
//! `LLM_TOKEN_DELAY_MS` sets the time per token (default 20; 0 for none,
//! as `bench/run` measures the framework's cost per token).

#[path = "../common/mod.rs"]
mod common;
mod model;
mod openai;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{StreamExt, stream};
use sse_runtime::{Disconnect, Event, SseResponse, sse_endpoint};

use crate::model::Model;
use crate::openai::{
    ApiError, ChatRequest, Chunks, Delta, ResponseEvent, ResponsesRequest, completion,
    message_item, model_list, model_object, output_text, response_object,
};

/// The one model this server has: the only name [`check_model`] accepts,
/// and so the only model `GET /v1/models` lists.
const MODEL: &str = "fake-1";

/// When [`MODEL`] was made, in Unix seconds: when this example was added
/// (2026-11-26 12:21:10 UTC). Fixed, as a real model's date is, so that
/// every run lists the same object.
const MODEL_CREATED: u64 = 1_795_695_670;

/// Who owns [`MODEL`]: its `owned_by`.
const MODEL_OWNER: &str = "sse-rs";

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id(prefix: &str) -> String {
    format!("{prefix}-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |t| t.as_secs())
}

/// The model a request names, checked: this server has only [`MODEL`];
/// any other name is OpenAI's 404 `model_not_found`.
fn check_model(model: &str) -> Result<(), ApiError> {
    match model {
        MODEL => Ok(()),
        other => Err(ApiError::unknown_model(other)),
    }
}

/// [`MODEL`] as OpenAI's `model` object.
fn model_card() -> serde_json::Value {
    model_object(MODEL, MODEL_CREATED, MODEL_OWNER)
}

/// `GET /v1/models`: the models [`check_model`] accepts, which is [`MODEL`].
async fn list_models() -> Json<serde_json::Value> {
    Json(model_list([model_card()]))
}

/// `GET /v1/models/{id}`: the model, if [`check_model`] accepts `id`;
/// otherwise the 404 that a completion naming `id` gets, so that a client
/// can tell an unknown model before asking it anything.
async fn retrieve_model(Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    check_model(&id)?;
    Ok(Json(model_card()))
}

/// Logs how a stream ended: a client that aborted shows as `client_gone`.
async fn log_end(end: Disconnect) {
    tracing::info!(
        reason = %end.reason.as_str(),
        events = end.stats.events,
        "completion stream ended"
    );
}

async fn chat_completions(
    State(model): State<Model>,
    request: Result<Json<ChatRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = request?;
    check_model(&request.model)?;
    let prompt = request.prompt()?;
    let tokens = model.generate(&prompt, request.max_tokens);
    let (id, created) = (next_id("chatcmpl"), now());
    if !request.stream {
        let tokens: Vec<String> = tokens.collect().await;
        return Ok(Json(completion(&id, created, MODEL, &prompt, &tokens)).into_response());
    }
    let chunks = Chunks::new(&id, created, MODEL);
    let (each, last) = (chunks.clone(), chunks.clone());
    let events = stream::iter([chunks.event(Delta::Role)])
        .chain(tokens.map(move |token| each.event(Delta::Content(token))))
        .chain(stream::iter([
            last.event(Delta::Stop),
            Event::data("[DONE]"),
        ]));
    // Dropped with the response when the client leaves: the model stops.
    Ok(SseResponse::new(events)
        .on_disconnect(log_end)
        .into_response())
}

/// A Responses API request that asks to stream: checked before the stream
/// starts, so that a bad one gets its error status and JSON.
struct StreamingResponse(ResponsesRequest, String);

impl<S: Send + Sync> FromRequest<S> for StreamingResponse {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(body) = Json::<ResponsesRequest>::from_request(request, state).await?;
        check_model(&body.model)?;
        if !body.stream {
            return Err(ApiError::invalid(
                "stream",
                "this example streams only: set `stream: true`",
            ));
        }
        let prompt = body.prompt()?;
        Ok(Self(body, prompt))
    }
}

#[sse_endpoint(post "/v1/responses", on_disconnect = log_end)]
async fn responses(
    State(model): State<Model>,
    StreamingResponse(request, prompt): StreamingResponse,
) {
    let (id, item_id, created) = (next_id("resp"), next_id("msg"), now());
    let mut sequence_number = 0..;
    let mut next = || sequence_number.next().unwrap_or(u64::MAX);
    let in_progress = response_object(
        &id,
        created,
        MODEL,
        "in_progress",
        serde_json::json!([]),
        None,
    );
    yield_!(ResponseEvent::Created {
        sequence_number: next(),
        response: in_progress.clone()
    });
    yield_!(ResponseEvent::InProgress {
        sequence_number: next(),
        response: in_progress
    });
    yield_!(ResponseEvent::OutputItemAdded {
        sequence_number: next(),
        output_index: 0,
        item: message_item(&item_id, "in_progress", None),
    });
    yield_!(ResponseEvent::ContentPartAdded {
        sequence_number: next(),
        item_id: item_id.clone(),
        output_index: 0,
        content_index: 0,
        part: output_text(""),
    });
    let mut text = String::new();
    let mut count = 0;
    let mut tokens = std::pin::pin!(model.generate(&prompt, request.max_output_tokens));
    while let Some(delta) = tokens.next().await {
        text.push_str(&delta);
        count += 1;
        yield_!(ResponseEvent::OutputTextDelta {
            sequence_number: next(),
            item_id: item_id.clone(),
            output_index: 0,
            content_index: 0,
            delta,
            logprobs: [],
        });
    }
    yield_!(ResponseEvent::OutputTextDone {
        sequence_number: next(),
        item_id: item_id.clone(),
        output_index: 0,
        content_index: 0,
        text: text.clone(),
        logprobs: [],
    });
    yield_!(ResponseEvent::ContentPartDone {
        sequence_number: next(),
        item_id: item_id.clone(),
        output_index: 0,
        content_index: 0,
        part: output_text(&text),
    });
    let item = message_item(&item_id, "completed", Some(&text));
    yield_!(ResponseEvent::OutputItemDone {
        sequence_number: next(),
        output_index: 0,
        item: item.clone()
    });
    let done = response_object(
        &id,
        created,
        MODEL,
        "completed",
        serde_json::json!([item]),
        Some((&prompt, count)),
    );
    yield_!(ResponseEvent::Completed {
        sequence_number: next(),
        response: done
    });
}

/// Tokens produced so far, and when a generation last stopped (Unix
/// microseconds): `{"produced": n, "stopped_at": t}`.
async fn stats(State(model): State<Model>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "produced": model.produced(), "stopped_at": model.stopped_at() }))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/models/{id}", get(retrieve_model))
        .route("/v1/chat/completions", post(chat_completions))
        .merge(responses::route())
        .route("/stats", get(stats))
        .with_state(Model::from_env());
    common::run(app, "/v1").await
}
