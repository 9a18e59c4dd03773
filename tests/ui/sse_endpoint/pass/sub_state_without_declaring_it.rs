//! The usual `FromRef` sub-state: an endpoint taking `State<Hub>` mounts on a
//! `Router<AppState>` with no `state = ..`, as a hand-written
//! `.route(path, get(handler))` does; two `State<_>` arguments need both.
use axum::extract::{FromRef, State};
use axum::Router;
use sse_runtime::{routes, sse_endpoint};

#[derive(Clone)]
struct Hub;

#[derive(Clone)]
struct Config;

#[derive(Clone)]
struct AppState {
    hub: Hub,
    config: Config,
}

impl FromRef<AppState> for Hub {
    fn from_ref(state: &AppState) -> Hub {
        state.hub.clone()
    }
}

impl FromRef<AppState> for Config {
    fn from_ref(state: &AppState) -> Config {
        state.config.clone()
    }
}

#[sse_endpoint(get "/rooms/{id}")]
async fn room(State(_hub): State<Hub>) {
    yield_!(1);
}

#[sse_endpoint(get "/both")]
async fn both(State(_hub): State<Hub>, State(_config): State<Config>) {
    yield_!(2);
}

fn main() {
    let state = AppState { hub: Hub, config: Config };
    let _: Router = routes![room, both].with_state(state.clone());
    let _: Router = room::route().with_state(state);
    // The sub-state itself is a state too (`T: FromRef<T>`).
    let _: Router = room::route().with_state(Hub);
}
