//! Endpoints without state mount into a router of any state; endpoints can
//! be generic over the state; `state = T` names it when an extractor needs it.
use axum::extract::{FromRef, State};
use axum::Router;
use sse_runtime::sse_endpoint;

trait Greeter: Clone + Send + Sync + 'static {
    fn greeting(&self) -> String;
}

#[derive(Clone)]
struct English;

impl Greeter for English {
    fn greeting(&self) -> String {
        "hello".into()
    }
}

#[derive(Clone)]
struct AppState {
    db: Db,
}

#[derive(Clone)]
struct Db;

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Db {
        state.db.clone()
    }
}

#[sse_endpoint(get "/stateless")]
async fn stateless() {
    yield_!(1);
}

#[sse_endpoint(get "/generic")]
async fn generic<G: Greeter>(State(greeter): State<G>) {
    yield_!(greeter.greeting());
}

#[sse_endpoint(get "/sub", state = AppState)]
async fn substate(State(_db): State<Db>) {
    yield_!(2);
}

fn main() {
    let _: Router<English> = stateless::route();
    let _: Router<()> = stateless::route();
    let _: Router = generic::route::<English>().with_state(English);
    let _: Router = substate::route().with_state(AppState { db: Db });
}
