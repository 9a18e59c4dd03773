//! The route paths `#[sse_endpoint(get "..")]` refuses at compile time are
//! the ones axum refuses at start-up: each path of the shared table
//! (`tests/cases/route_paths.rs`, also checked against the macros' rule) is
//! handed to axum's own `Router::route`.

use axum::Router;
use axum::routing::get;

const ROUTE_PATHS: &[(&str, &str)] = include!("cases/route_paths.rs");

#[test]
fn axum_refuses_exactly_the_paths_the_table_says() {
    // axum's refusal is a panic; keep its message out of the test output.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let verdicts: Vec<(&str, &str, &str)> = ROUTE_PATHS
        .iter()
        .map(|&(path, expected)| {
            let accepted = std::panic::catch_unwind(|| {
                let _: Router = Router::new().route(path, get(|| async {}));
            })
            .is_ok();
            (path, expected, if accepted { "ok" } else { "refused" })
        })
        .collect();
    std::panic::set_hook(hook);
    for (path, expected, axum) in verdicts {
        assert_eq!(axum, expected, "axum's verdict on {path:?}");
    }
}
