//! [`HubError`]: why a publish or a subscribe failed.

use std::fmt;

use crate::event::EventError;
use crate::response::BoxError;

/// Why a publish or subscribe failed.
///
/// ```
/// use sse_runtime::Event;
/// use sse_runtime::hub::{Hub, HubError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sse_runtime::EventError> {
/// // Ids are the hub's: an event that brings its own is refused.
/// let refused = Hub::new().publish("news", &Event::data("x").id("7")?).await;
/// assert!(matches!(refused, Err(HubError::Event(_))));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum HubError {
    /// The event could not be written (or set its own id).
    Event(EventError),
    /// The backend (Redis) could not be reached or refused the command; the
    /// event was not published.
    Backend(BoxError),
}

impl fmt::Display for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HubError::Event(error) => write!(f, "{error}"),
            HubError::Backend(error) => write!(
                f,
                "the hub's backend failed, nothing was published or subscribed: {error}; \
                 retry, or tell the client to (503)"
            ),
        }
    }
}

impl std::error::Error for HubError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HubError::Event(error) => Some(error),
            HubError::Backend(error) => Some(&**error),
        }
    }
}

impl From<EventError> for HubError {
    fn from(error: EventError) -> Self {
        HubError::Event(error)
    }
}
