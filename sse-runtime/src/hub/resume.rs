//! [`Resume`]: how a subscription relates to the `Last-Event-ID` it was
//! given, decided by one rule for every backend.

/// How a subscription relates to the `Last-Event-ID` it was given.
///
/// ```
/// use sse_runtime::hub::{Hub, HubConfig, Resume};
/// use sse_runtime::Event;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sse_runtime::hub::HubError> {
/// let hub = Hub::with_config(HubConfig { replay: 2, ..HubConfig::default() });
/// let mut ids = Vec::new();
/// for n in 1..=5 {
///     ids.push(hub.publish("news", &Event::data(n.to_string())).await?);
/// }
/// // The client saw the first event; the second and third are no longer kept.
/// let resumed = hub.subscribe("news", Some(ids[0])).await?;
/// assert_eq!(resumed.resume(), Resume::Gap { missed: Some(2) });
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resume {
    /// No `Last-Event-ID`: live events only.
    Fresh,
    /// Everything after the client's last id is replayed: nothing was missed.
    Complete,
    /// Events the client did not see are gone: its last id is older than
    /// the replay window, or comes from a history this topic no longer has
    /// (the server or Redis restarted empty, the topic was reclaimed). What
    /// the topic holds is replayed; tell the client to reload its state.
    Gap {
        /// How many, when the backend knows (in memory it does, unless the
        /// id is from another history; Redis does not count what it
        /// trimmed).
        missed: Option<u64>,
    },
    /// The id is newer than anything published (a history that lost its
    /// newest entries, or an id that is not the hub's): live events only.
    /// Whether the client missed anything cannot be known; treat it as a
    /// gap where that matters.
    Unknown {
        /// The id the client sent.
        last_event_id: u64,
    },
}

/// What a topic holds, as its backend sees it when a client resumes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct History {
    /// The newest id published, if any.
    pub(crate) newest: Option<u64>,
    /// The newest id no longer kept, if any was dropped.
    pub(crate) dropped_through: Option<u64>,
    /// Whether ids number the events one by one, so that the size of a gap
    /// is known.
    pub(crate) consecutive: bool,
    /// The id cannot come from this history: it belongs to another
    /// incarnation of the topic.
    pub(crate) foreign: bool,
    /// The first id this history ever gave, when the backend knows it.
    pub(crate) first_id: Option<u64>,
}

impl Resume {
    /// The rule: no id is `Fresh`; an id from another history is a `Gap` of
    /// unknown size; an id past the newest is `Unknown` (ids start above 0,
    /// so 0 means "from the start"); an id before something dropped is a
    /// `Gap`; anything else is `Complete`.
    pub(crate) fn after(last_event_id: Option<u64>, history: History) -> Self {
        let Some(last) = last_event_id else {
            return Resume::Fresh;
        };
        if last != 0 && history.foreign {
            return Resume::Gap { missed: None };
        }
        if last > history.newest.unwrap_or(0) {
            return Resume::Unknown {
                last_event_id: last,
            };
        }
        match history.dropped_through {
            Some(dropped) if dropped > last => {
                let seen = match history.first_id {
                    Some(first) => last.max(first - 1),
                    None => last,
                };
                Resume::Gap {
                    missed: history.consecutive.then(|| dropped - seen),
                }
            }
            _ => Resume::Complete,
        }
    }

    /// Whether what the topic holds after the client's id is replayed.
    pub(crate) fn replays(self) -> bool {
        matches!(self, Resume::Complete | Resume::Gap { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(newest: Option<u64>, dropped_through: Option<u64>) -> History {
        History {
            newest,
            dropped_through,
            consecutive: true,
            foreign: false,
            first_id: Some(1),
        }
    }

    #[test]
    fn one_rule_for_every_case() {
        let kept_6_to_10 = history(Some(10), Some(5));
        assert_eq!(Resume::after(None, kept_6_to_10), Resume::Fresh);
        assert_eq!(Resume::after(Some(5), kept_6_to_10), Resume::Complete);
        assert_eq!(Resume::after(Some(10), kept_6_to_10), Resume::Complete);
        assert_eq!(
            Resume::after(Some(2), kept_6_to_10),
            Resume::Gap { missed: Some(3) }
        );
        assert_eq!(
            Resume::after(Some(11), kept_6_to_10),
            Resume::Unknown { last_event_id: 11 }
        );
        assert_eq!(
            Resume::after(Some(0), history(None, None)),
            Resume::Complete
        );
        assert_eq!(
            Resume::after(Some(3), history(None, None)),
            Resume::Unknown { last_event_id: 3 }
        );
        let uncounted = History {
            consecutive: false,
            ..kept_6_to_10
        };
        assert_eq!(
            Resume::after(Some(2), uncounted),
            Resume::Gap { missed: None }
        );
        let elsewhere = History {
            foreign: true,
            ..kept_6_to_10
        };
        assert_eq!(
            Resume::after(Some(7), elsewhere),
            Resume::Gap { missed: None },
            "an id from another history is never a position in this one"
        );
        assert_eq!(
            Resume::after(Some(0), elsewhere),
            Resume::Gap { missed: Some(5) },
            "0 is the start of any history"
        );
    }
}
