//! Any axum extractor works as an argument, in any order axum allows.
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, request::Parts};
use sse_runtime::{LastEventId, Shutdown, sse_endpoint};

#[derive(Clone)]
struct AppState;

#[derive(serde::Deserialize)]
struct Filter {
    topic: String,
}

struct User(String);

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = axum::http::StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let name = parts.headers.get("x-user").ok_or(axum::http::StatusCode::UNAUTHORIZED)?;
        Ok(User(name.to_str().unwrap_or_default().to_owned()))
    }
}

#[sse_endpoint(get "/rooms/{room}")]
async fn room(
    State(_state): State<AppState>,
    Path(room): Path<String>,
    Query(filter): Query<Filter>,
    headers: HeaderMap,
    LastEventId(last): LastEventId<u64>,
    User(user): User,
    shutdown: Option<Shutdown>,
) {
    yield_!(format!("{room} {} {user} {:?} {:?} {}", filter.topic, last, headers.len(), shutdown.is_some()));
}

fn main() {
    let _: axum::Router = room::route().with_state(AppState);
}
