//! Importing `yield_` (as IDEs offer to) is not needed, and not an unused
//! import either, for a route, a routeless endpoint, and one inside a
//! function body.
#![deny(unused_imports)]

mod imported {
    use sse_runtime::{sse_endpoint, yield_};

    #[sse_endpoint(get "/numbers")]
    pub async fn numbers() {
        yield_!(1);
    }

    #[sse_endpoint]
    pub async fn routeless() {
        yield_!(2);
    }

    pub fn local() -> axum::Router {
        use sse_runtime::yield_;

        #[sse_endpoint(get "/local")]
        async fn inner() {
            yield_!(3);
        }
        inner::route()
    }
}

mod by_path {
    #[sse_runtime::sse_endpoint(get "/by-path")]
    pub async fn numbers() {
        sse_runtime::yield_!(1);
    }
}

mod not_imported {
    use sse_runtime::sse_endpoint;

    #[sse_endpoint(get "/not-imported")]
    pub async fn numbers() {
        yield_!(1);
    }
}

fn main() {
    let _: axum::Router = imported::numbers::route()
        .merge(imported::local())
        .merge(by_path::numbers::route())
        .merge(not_imported::numbers::route());
    let _ = imported::routeless;
}
