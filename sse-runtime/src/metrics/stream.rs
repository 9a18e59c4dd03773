//! One stream's handles: taken once when it opens, so that counting is an
//! atomic add per frame sent, never a registry lookup or an allocation. Without the
//! `metrics` feature, an empty type whose methods do nothing.

#[cfg(feature = "metrics")]
use ::metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};

/// What one stream reports to: its route until it opens, then its handles.
pub(crate) struct StreamMetrics {
    // Nothing while the feature is off (an idle body's size is memory per
    // stream, and the route is only a label).
    // Boxed, one pointer: most of a stream's life is idle. `None` once
    // closed.
    #[cfg(feature = "metrics")]
    state: Option<Box<State>>,
}

#[cfg(feature = "metrics")]
enum State {
    Unopened(Option<axum::extract::MatchedPath>),
    Open(Handles),
}

#[cfg(feature = "metrics")]
struct Handles {
    route: ::metrics::SharedString,
    open: Gauge,
    events: Counter,
    /// Events of the stream counted into `events` so far: the counter is
    /// moved once per frame, not once per event.
    events_counted: u64,
    bytes: Counter,
    pings: Counter,
}

impl StreamMetrics {
    /// For a stream on `route`, which it keeps (while the feature is on)
    /// until the stream opens.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn new(route: Option<&axum::extract::MatchedPath>) -> Self {
        Self {
            #[cfg(feature = "metrics")]
            state: Some(Box::new(State::Unopened(route.cloned()))),
        }
    }

    #[cfg(feature = "metrics")]
    fn handles(&self) -> Option<&Handles> {
        match self.state.as_deref() {
            Some(State::Open(handles)) => Some(handles),
            _ => None,
        }
    }

    /// The stream started: counted as opened and open.
    pub(crate) fn open(&mut self) {
        #[cfg(feature = "metrics")]
        {
            let Some(state) = self.state.as_deref_mut() else {
                return;
            };
            let State::Unopened(route) = state else {
                return;
            };
            let route = route.as_ref().map_or(super::UNKNOWN_ROUTE, |r| r.as_str());
            let route = ::metrics::SharedString::from_owned(route.to_owned());
            counter!("sse_streams_opened_total", "route" => route.clone()).increment(1);
            let open = gauge!("sse_streams_open", "route" => route.clone());
            open.increment(1.0);
            *state = State::Open(Handles {
                events: counter!("sse_events_sent_total", "route" => route.clone()),
                events_counted: 0,
                bytes: counter!("sse_sent_bytes_total", "route" => route.clone()),
                pings: counter!("sse_keep_alive_pings_total", "route" => route.clone()),
                open,
                route,
            });
        }
    }

    /// A frame of `bytes` went to the connection, the stream having
    /// written `events` events in all by then: both counters move, once a
    /// frame (a frame carries many events when they come fast).
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn frame_sent(&mut self, events: u64, bytes: usize) {
        #[cfg(feature = "metrics")]
        if let Some(State::Open(handles)) = self.state.as_deref_mut() {
            handles.count_events(events);
            handles.bytes.increment(bytes as u64);
        }
    }

    /// A keep-alive ping went out.
    #[inline]
    pub(crate) fn ping(&self) {
        #[cfg(feature = "metrics")]
        if let Some(handles) = self.handles() {
            handles.pings.increment(1);
        }
    }

    /// The stream ended for `reason` after `duration`, having written
    /// `events` events in all: no longer open.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn closed(
        &mut self,
        reason: &'static str,
        duration: std::time::Duration,
        events: u64,
    ) {
        #[cfg(feature = "metrics")]
        if let Some(State::Open(mut handles)) = self.state.take().map(|state| *state) {
            // Events written after the last frame (a farewell's, say).
            handles.count_events(events);
            handles.open.decrement(1.0);
            let route = handles.route;
            counter!("sse_streams_closed_total", "route" => route.clone(), "reason" => reason)
                .increment(1);
            let lived: Histogram = histogram!("sse_stream_duration_seconds", "route" => route);
            lived.record(duration.as_secs_f64());
        }
    }
}

#[cfg(feature = "metrics")]
impl Handles {
    /// Moves the events counter up to `events`, the stream's total.
    fn count_events(&mut self, events: u64) {
        let new = events.saturating_sub(self.events_counted);
        if new > 0 {
            self.events.increment(new);
            self.events_counted = events;
        }
    }
}

/// A stream dropped without being closed (its generator panicked while
/// being dropped, before the report) is no longer open all the same.
#[cfg(feature = "metrics")]
impl Drop for StreamMetrics {
    fn drop(&mut self) {
        if let Some(State::Open(handles)) = self.state.as_deref() {
            handles.open.decrement(1.0);
        }
    }
}

/// A request refused by a `StreamLimit` on `route`.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn refused(route: Option<&str>) {
    #[cfg(feature = "metrics")]
    {
        let route = route.unwrap_or(super::UNKNOWN_ROUTE).to_owned();
        counter!("sse_streams_refused_total", "route" => route).increment(1);
    }
}
