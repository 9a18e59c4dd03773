//! Run with: cargo run --example chat
//!
//! A chat room: an HTML page whose `EventSource` follows the room and whose
//! form posts messages. With `REDIS_URL` set (`redis://127.0.0.1:6379`) the
//! room lives in Redis, so several server processes share it:
//! `PORT=8001 REDIS_URL=redis://127.0.0.1:6379 cargo run --example chat` beside
//! `PORT=8002 …`, and a message posted to one reaches readers of the other.
//! With `DATABASE_URL` set (`postgres://app@127.0.0.1/app`) instead, the room
//! lives in that PostgreSQL database, shared the same way.
//! `/announcements` is a private topic behind a bearer token (`CHAT_TOKEN`;
//! without it, a random token is generated and logged at start-up: an
//! example is what gets copied, so it has no default secret).
//! A fresh page asks for the history (`?lastEventId=0`); a reconnect, or a
//! move to another process, resumes with `Last-Event-ID`: no message is missed
//! or shown twice.

#[path = "../common/mod.rs"]
mod common;

use axum::Form;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::Html;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sse_runtime::hub::{Hub, HubConfig, HubError, Resume};
use sse_runtime::{Event, LastEventId, SseEvent, routes, sse_endpoint};

/// One chat line: `event: chat`, JSON data, the hub's id.
#[derive(Serialize, Deserialize, SseEvent)]
#[sse(event = "chat")]
struct Chat {
    name: String,
    text: String,
}

#[sse_endpoint(get "/events", retry = "1s")]
async fn events(
    State(hub): State<Hub>,
    LastEventId(last): LastEventId<u64>,
) -> Result<(), HubError> {
    let mut room = hub.subscribe("chat", last).await?;
    // Gone (`Gap`), or cannot be known (`Unknown`: Redis came back without
    // the newest messages): either way the page must reload its state.
    if let Resume::Gap { .. } | Resume::Unknown { .. } = room.resume() {
        yield_!(
            Event::data("some messages are gone; reload")
                .event("reset")
                .expect("literal")
        );
    }
    while let Some(message) = room.next().await {
        yield_!(message);
    }
    Ok(())
}

/// The token staff send as `Authorization: Bearer <token>`.
#[derive(Clone)]
struct StaffToken(std::sync::Arc<str>);

impl StaffToken {
    /// `CHAT_TOKEN`, or a random one logged for this run.
    fn from_env() -> Self {
        match std::env::var("CHAT_TOKEN") {
            Ok(token) if !token.is_empty() => Self(token.into()),
            _ => {
                let token = common::random_token();
                tracing::warn!(
                    token,
                    "CHAT_TOKEN is not set: staff use this token for this run"
                );
                Self(token.into())
            }
        }
    }
}

/// Compares without stopping at the first difference, so that the time a
/// refusal takes does not tell an attacker how much of a guess was right.
fn same_secret(given: &[u8], secret: &[u8]) -> bool {
    let differences = given
        .iter()
        .zip(secret)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(differences) == 0 && given.len() == secret.len()
}

/// The credentials of an `Authorization: Bearer <token>` header. The scheme
/// is case-insensitive (RFC 7235 §2.1).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start_matches(' '))
}

/// Staff only: a bearer token guards the private `announcements` topic. The
/// hub never decides who reads a topic; this extractor does, before
/// anything is subscribed.
struct Staff;

impl<S: Send + Sync> FromRequestParts<S> for Staff
where
    StaffToken: FromRef<S>,
{
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let StaffToken(token) = StaffToken::from_ref(state);
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer);
        match given {
            None => Err((
                StatusCode::UNAUTHORIZED,
                "send Authorization: Bearer <token>",
            )),
            Some(given) if same_secret(given.as_bytes(), token.as_bytes()) => Ok(Staff),
            Some(_) => Err((StatusCode::FORBIDDEN, "wrong token")),
        }
    }
}

/// What the handlers share.
#[derive(Clone)]
struct Chatroom {
    hub: Hub,
    staff_token: StaffToken,
}

impl FromRef<Chatroom> for Hub {
    fn from_ref(room: &Chatroom) -> Hub {
        room.hub.clone()
    }
}

impl FromRef<Chatroom> for StaffToken {
    fn from_ref(room: &Chatroom) -> StaffToken {
        room.staff_token.clone()
    }
}

#[sse_endpoint(get "/announcements", state = Chatroom)]
async fn announcements(
    _staff: Staff,
    State(hub): State<Hub>,
    LastEventId(last): LastEventId<u64>,
) -> Result<(), HubError> {
    let mut topic = hub.subscribe("announcements", last).await?;
    while let Some(message) = topic.next().await {
        yield_!(message);
    }
    Ok(())
}

async fn announce(
    _staff: Staff,
    State(hub): State<Hub>,
    Form(chat): Form<Chat>,
) -> (StatusCode, String) {
    match hub.publish("announcements", &chat).await {
        Ok(id) => (StatusCode::OK, id.to_string()),
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
    }
}

async fn send(State(hub): State<Hub>, Form(chat): Form<Chat>) -> (StatusCode, String) {
    if chat.text.trim().is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            "an empty message was not sent".into(),
        );
    }
    match hub.publish("chat", &chat).await {
        Ok(id) => (StatusCode::OK, id.to_string()),
        Err(HubError::Backend(error)) => {
            tracing::warn!(%error, "publishing failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the chat is unavailable right now: {error}"),
            )
        }
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string()),
    }
}

async fn page() -> Html<&'static str> {
    Html(include_str!("index.html"))
}

/// In this process, or shared through Redis or PostgreSQL.
async fn hub() -> std::io::Result<Hub> {
    let cannot = |variable: &str, url: &str, error: &dyn std::fmt::Display| {
        std::io::Error::other(format!("cannot use {variable}={url}: {error}"))
    };
    if let Ok(url) = std::env::var("REDIS_URL") {
        return Hub::redis(&url, HubConfig::default())
            .await
            .map_err(|error| cannot("REDIS_URL", &url, &error));
    }
    if let Ok(url) = std::env::var("DATABASE_URL") {
        let pool = sqlx::PgPool::connect(&url)
            .await
            .map_err(|error| cannot("DATABASE_URL", &url, &error))?;
        return Hub::postgres(pool, HubConfig::default())
            .await
            .map_err(|error| cannot("DATABASE_URL", &url, &error));
    }
    Ok(Hub::new())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::log_to_stderr();
    let hub = hub().await?;
    let app = routes![events, announcements]
        .route("/", get(page))
        .route("/send", post(send))
        .route("/announce", post(announce))
        .with_state(Chatroom {
            hub,
            staff_token: StaffToken::from_env(),
        });
    common::run(app, "/").await
}
