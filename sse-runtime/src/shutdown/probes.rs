//! Health probes for load balancers and orchestrators: readiness fails from
//! the moment shutdown is requested, liveness holds until the process exits.

use axum::http::StatusCode;

use super::Shutdown;

/// A readiness probe: `200 ready` while the server takes new clients, `503
/// draining` from the moment its [`Shutdown`] is triggered, on connections
/// already open and new ones alike (the server keeps accepting for the
/// [drain delay](Shutdown::with_drain_delay)). Mount it as a route; its
/// `Shutdown` comes from [`serve`](crate::serve()) (or
/// [`make_service`](crate::make_service), or [`Shutdown::layer`]).
///
/// ```
/// use axum::{Router, routing::get};
///
/// let app: Router = Router::new()
///     .route("/ready", get(sse_runtime::shutdown::ready))
///     .route("/live", get(sse_runtime::shutdown::live));
/// # drop(app);
/// ```
///
/// A Kubernetes pod then says:
///
/// ```yaml
/// readinessProbe: { httpGet: { path: /ready, port: 8080 }, periodSeconds: 2, failureThreshold: 1 }
/// livenessProbe:  { httpGet: { path: /live,  port: 8080 } }
/// ```
pub async fn ready(shutdown: Shutdown) -> (StatusCode, &'static str) {
    if shutdown.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "draining\n")
    }
}

/// A liveness probe: `200 live` for as long as the server answers, during a
/// shutdown too (a failing liveness probe gets a process restarted, which a
/// draining server must not be). See [`ready`].
pub async fn live() -> (StatusCode, &'static str) {
    (StatusCode::OK, "live\n")
}
