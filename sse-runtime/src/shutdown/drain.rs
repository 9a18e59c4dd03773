//! The drain: from the moment shutdown is requested, readiness fails while
//! the server goes on serving for the drain delay, so that load balancers
//! take it out before it stops accepting and tells its streams.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Progress, Shutdown};

impl Shutdown {
    /// Sets how long the server goes on as before once shutdown is
    /// requested, [`ready`](super::ready) answering `503` meanwhile, before it stops
    /// accepting and tells the streams (default: none). A load balancer
    /// needs this: it learns that a server is going from a failing readiness
    /// probe, or from its orchestrator removing the endpoint, which takes
    /// seconds to reach every proxy; connections keep arriving until then.
    ///
    /// With Kubernetes: the drain delay plus the grace period (which bounds
    /// the farewells too), plus a margin, must fit in
    /// `terminationGracePeriodSeconds` (30 s by default), or the pod is
    /// killed before its streams said goodbye; the drain delay should cover
    /// how long the endpoint's removal takes to reach every proxy.
    ///
    /// [`serve`](crate::serve()) keeps accepting during the drain, and
    /// answers HTTP/1.1 requests other than event streams with
    /// `Connection: close`, so that pooled connections move on before it
    /// stops. Under
    /// plain `axum::serve`, give it `shutdown.clone().trigger_on(signal)` as
    /// its graceful-shutdown signal, which completes after the drain: axum
    /// stops accepting when its signal completes.
    ///
    /// ```
    /// use sse_runtime::Shutdown;
    /// use std::time::Duration;
    ///
    /// // terminationGracePeriodSeconds: 30 ≥ 10 (drain) + 15 (grace) + margin
    /// let shutdown = Shutdown::new()
    ///     .with_drain_delay(Duration::from_secs(10))
    ///     .with_grace_period(Duration::from_secs(15));
    /// assert_eq!(shutdown.drain_delay(), Duration::from_secs(10));
    /// ```
    #[must_use]
    pub fn with_drain_delay(self, drain: Duration) -> Self {
        super::store_millis(&self.coordinator.drain_millis, drain);
        self
    }

    /// How long [`ready`](super::ready) fails before the streams are told, once shutdown
    /// is requested (see [`with_drain_delay`](Shutdown::with_drain_delay)).
    pub fn drain_delay(&self) -> Duration {
        Duration::from_millis(self.coordinator.drain_millis.load(Ordering::Relaxed))
    }

    /// Whether the server should get new clients: `false` from the moment
    /// shutdown is requested, before the drain delay runs. What [`ready`](super::ready)
    /// answers.
    ///
    /// ```
    /// let shutdown = sse_runtime::Shutdown::new();
    /// assert!(shutdown.is_ready());
    /// shutdown.trigger();
    /// assert!(!shutdown.is_ready());
    /// ```
    pub fn is_ready(&self) -> bool {
        *self.coordinator.progress.borrow() == Progress::Running
    }

    /// Fails readiness now, and tells the streams after `drain`.
    pub(super) fn announce(&self, drain: Duration) {
        let announced = self.coordinator.progress.send_if_modified(|progress| {
            let running = *progress == Progress::Running;
            if running {
                *progress = Progress::Unready;
            }
            running
        });
        if !announced {
            return;
        }
        tracing::info!(
            ?drain,
            "shutdown requested; not ready from now, streams told after the drain delay"
        );
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                // Told when the delay is over, and also if the wait cannot
                // finish (a runtime without a timer, or shutting down), so
                // that the server never stays unready and serving forever.
                let tell = TellStreamsOnDrop(self.clone());
                runtime.spawn(async move {
                    tokio::time::sleep(drain).await;
                    drop(tell);
                });
            }
            Err(_) => {
                tracing::warn!(
                    "no tokio runtime to wait out the drain delay on; telling the streams now"
                );
                self.tell_streams();
            }
        }
    }
}

/// Tells the streams when dropped: when the drain delay is over, or when the
/// task waiting for it is dropped or panics.
struct TellStreamsOnDrop(Shutdown);

impl Drop for TellStreamsOnDrop {
    fn drop(&mut self) {
        self.0.tell_streams();
    }
}
