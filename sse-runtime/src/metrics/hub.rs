//! A hub's handles, taken when the hub is made and shared by its topics and
//! subscriptions. Without the `metrics` feature, an empty type.

#[cfg(feature = "metrics")]
use ::metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};

/// What one hub reports to. Cheap to clone (a reference count).
#[derive(Clone, Default)]
pub(crate) struct HubMetrics {
    #[cfg(feature = "metrics")]
    handles: Option<std::sync::Arc<Handles>>,
}

#[cfg(feature = "metrics")]
struct Handles {
    backend: &'static str,
    topics: Gauge,
    publishes: Counter,
    deliveries: Counter,
    delay: Histogram,
}

impl std::fmt::Debug for HubMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubMetrics").finish_non_exhaustive()
    }
}

impl HubMetrics {
    /// Handles for a hub on `backend` (`memory`, `redis`).
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn new(backend: &'static str) -> Self {
        #[cfg(feature = "metrics")]
        {
            Self {
                handles: Some(std::sync::Arc::new(Handles {
                    backend,
                    topics: gauge!("sse_hub_topics", "backend" => backend),
                    publishes: counter!("sse_hub_publishes_total", "backend" => backend),
                    deliveries: counter!("sse_hub_deliveries_total", "backend" => backend),
                    delay: histogram!("sse_hub_delivery_delay_seconds", "backend" => backend),
                })),
            }
        }
        #[cfg(not(feature = "metrics"))]
        Self {}
    }

    /// The hub holds `added` more topics (a negative count: fewer). The
    /// gauge moves by the change, so that several hubs in one process add
    /// up; a hub that is dropped takes its topics off.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn topics_changed(&self, added: isize) {
        #[cfg(feature = "metrics")]
        if let Some(handles) = &self.handles {
            handles.topics.increment(added as f64);
        }
    }

    /// An event was published.
    pub(crate) fn published(&self) {
        #[cfg(feature = "metrics")]
        if let Some(handles) = &self.handles {
            handles.publishes.increment(1);
        }
    }

    /// A publish or a subscribe (`operation`) failed with `error`.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn failed(&self, operation: &'static str, error: &'static str) {
        #[cfg(feature = "metrics")]
        if let Some(handles) = &self.handles {
            counter!("sse_hub_errors_total", "backend" => handles.backend,
                "operation" => operation, "error" => error)
            .increment(1);
        }
    }

    /// A subscriber took message `id`, which entered this process's hub at
    /// `at`; the subscriber joined at `since` (a message older than that is
    /// a replay, whose age says nothing of the hub's delay).
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn delivered(&self, id: u64, at: tokio::time::Instant, since: &Since) {
        #[cfg(feature = "metrics")]
        if let Some(handles) = &self.handles {
            handles.deliveries.increment(1);
            if at >= since.0 && sampled(id) {
                handles.delay.record(at.elapsed().as_secs_f64());
            }
        }
    }

    /// A subscriber fell behind and lost messages; `policy` is what it did
    /// (`skip` or `disconnect`).
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn lagged(&self, policy: &'static str) {
        #[cfg(feature = "metrics")]
        if let Some(handles) = &self.handles {
            counter!("sse_hub_lagged_total", "backend" => handles.backend, "policy" => policy)
                .increment(1);
        }
    }
}

/// When a subscriber joined, for telling its replay from live messages:
/// nothing without the feature.
#[derive(Debug)]
pub(crate) struct Since(#[cfg(feature = "metrics")] tokio::time::Instant);

impl Since {
    /// Now.
    pub(crate) fn now() -> Self {
        Self(
            #[cfg(feature = "metrics")]
            tokio::time::Instant::now(),
        )
    }
}

/// The connection on which a shared backend (`"redis"`, `"postgres"`)
/// brings this process its events was made again.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) fn reconnected(backend: &'static str) {
    #[cfg(feature = "metrics")]
    counter!("sse_hub_reconnects_total", "backend" => backend).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = backend;
}

/// One message in 16, whatever pattern its ids follow (Redis packs a time
/// into the high bits, the memory hub counts in the low ones): every
/// delivery of a sampled message is timed, so the histogram shows a fan-out
/// whole.
#[cfg(feature = "metrics")]
fn sampled(id: u64) -> bool {
    id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60 == 0
}
