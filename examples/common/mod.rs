//! What every example does around its router: log to stderr, bind
//! `127.0.0.1:$PORT` (default 8000), print the URL, and serve until Ctrl-C or
//! SIGTERM, giving open streams a grace period to say goodbye.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use sse_runtime::Shutdown;

/// Serves `app`; `path` is printed after the URL, to show where to look.
#[allow(dead_code)] // the `axum_serve` example serves with plain `axum::serve`
pub(crate) async fn run(app: Router, path: &str) -> std::io::Result<()> {
    log_to_stderr();
    let listener = sse_runtime::bind(address()?).await?;
    println!("listening on http://{}{path}", listener.local_addr()?);

    let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(3));
    tokio::spawn(shutdown.clone().trigger_on(sse_runtime::shutdown_signal()));
    sse_runtime::serve(listener, app)
        .with_shutdown(shutdown)
        .await
}

/// Logs to stderr at `RUST_LOG` (default `info`); once, however often it is
/// called (an example that logs before `run` calls it first).
pub(crate) fn log_to_stderr() {
    let _already = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .try_init();
}

/// `127.0.0.1:$PORT`, 8000 by default.
pub(crate) fn address() -> std::io::Result<SocketAddr> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8000".into());
    let port: u16 = port.parse().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("PORT={port} is not a port number"),
        )
    })?;
    Ok(([127, 0, 0, 1], port).into())
}

/// 128 bits from the standard library's randomly keyed hasher (seeded by
/// the operating system), as hex: a secret token or session id.
#[allow(dead_code)] // used by the examples that hand out secrets
pub(crate) fn random_token() -> String {
    use std::hash::{BuildHasher, RandomState};
    (0..2)
        .map(|n| format!("{:016x}", RandomState::new().hash_one(n)))
        .collect()
}
