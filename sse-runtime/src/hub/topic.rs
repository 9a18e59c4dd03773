//! [`Topic<T>`]: a hub topic typed by what it carries. Its `publish` takes
//! a `T`, and its subscription yields [`Published<T>`], which satisfies an
//! endpoint's `yields = T`: the events most apps take from a hub are inside
//! the endpoint's contract, and described by it.

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::event::SseEvent;
use crate::hub::published::{Published, Reset};
use crate::hub::resume::Resume;
use crate::hub::subscription::{Item, Subscription};
use crate::hub::{Hub, HubError};

/// A hub topic that carries `T`s: its `publish` takes a `T`, and its
/// subscription's items satisfy an endpoint's `yields = T`. The untyped
/// [`Hub::publish`] stays for topics of mixed events.
///
/// With the `schema` feature, derive `schemars::JsonSchema` on `Trade` too
/// (this example opts out with `schema = any`): `trades::operation()` then
/// describes `Trade`'s events and the `reset` a resumed stream may open with.
///
/// ```
/// use axum::extract::{Path, State};
/// use serde::Serialize;
/// use sse_runtime::hub::{Hub, HubError, Topic};
/// use sse_runtime::{LastEventId, SseEvent, sse_endpoint};
///
/// #[derive(Serialize, SseEvent)]
/// enum Trade {
///     Filled { price: f64, quantity: u32 },
/// }
///
/// #[sse_endpoint(get "/trades/{symbol}", yields = Trade, schema = any)]
/// async fn trades(
///     State(hub): State<Hub>,
///     Path(symbol): Path<String>,
///     LastEventId(last): LastEventId<u64>,
/// ) -> Result<(), HubError> {
///     let topic: Topic<Trade> = hub.topic(symbol);
///     let mut trades = topic.subscribe(last).await?;
///     // Each item is a `Trade` as published, or a `reset` when the events
///     // after `last` are gone: both are what `yields = Trade` allows.
///     while let Some(trade) = trades.next().await {
///         yield_!(trade);
///     }
///     Ok(())
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), HubError> {
/// let hub = Hub::new();
/// let topic: Topic<Trade> = hub.topic("ACME");
/// topic.publish(&Trade::Filled { price: 12.5, quantity: 100 }).await?;
/// # let app: axum::Router = trades::route().with_state(hub);
/// # drop(app);
/// # Ok(())
/// # }
/// ```
pub struct Topic<T> {
    hub: Hub,
    name: Arc<str>,
    carries: PhantomData<fn(&T)>,
}

impl Hub {
    /// The topic `name`, typed by what it carries.
    pub fn topic<T: SseEvent>(&self, name: impl Into<Arc<str>>) -> Topic<T> {
        Topic {
            hub: self.clone(),
            name: name.into(),
            carries: PhantomData,
        }
    }
}

impl<T: SseEvent> Topic<T> {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Publishes `event`; returns its id. As [`Hub::publish`].
    ///
    /// # Errors
    /// As [`Hub::publish`].
    pub async fn publish(&self, event: &T) -> Result<u64, HubError> {
        self.hub.publish(&self.name, event).await
    }

    /// Publishes `event` once per `key`. As [`Hub::publish_once`].
    ///
    /// # Errors
    /// As [`Hub::publish`].
    pub async fn publish_once(&self, key: &str, event: &T) -> Result<u64, HubError> {
        self.hub.publish_once(&self.name, key, event).await
    }

    /// Publishes `event` as the topic's last. As [`Hub::publish_last`].
    ///
    /// # Errors
    /// As [`Hub::publish`].
    pub async fn publish_last(&self, event: &T) -> Result<u64, HubError> {
        self.hub.publish_last(&self.name, event).await
    }

    /// Subscribes, replaying what came after `last_event_id`. The stream
    /// opens with a [`Reset`] when that replay cannot be complete.
    ///
    /// # Errors
    /// As [`Hub::subscribe`].
    pub async fn subscribe(
        &self,
        last_event_id: Option<u64>,
    ) -> Result<TopicSubscription<T>, HubError> {
        let inner = self.hub.subscribe(&self.name, last_event_id).await?;
        Ok(TopicSubscription {
            reset: Reset::on_resume(inner.resume()),
            inner,
            carries: PhantomData,
        })
    }
}

impl<T> Clone for Topic<T> {
    fn clone(&self) -> Self {
        Self {
            hub: self.hub.clone(),
            name: self.name.clone(),
            carries: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Topic<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Topic")
            .field("name", &self.name)
            .field("carries", &std::any::type_name::<T>())
            .finish()
    }
}

/// A subscriber's view of a [`Topic<T>`]: a `Stream` of [`Published<T>`].
#[must_use = "streams do nothing unless polled"]
pub struct TopicSubscription<T> {
    inner: Subscription,
    /// Sent first, when the resume was not complete.
    reset: Option<Reset>,
    carries: PhantomData<fn() -> T>,
}

impl<T> TopicSubscription<T> {
    /// How this subscription relates to the `Last-Event-ID` it was given.
    pub fn resume(&self) -> Resume {
        self.inner.resume()
    }

    /// The next item, or `None` when the subscription has ended.
    pub async fn next(&mut self) -> Option<Published<T>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl<T> Stream for TopicSubscription<T> {
    type Item = Published<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Published<T>>> {
        if let Some(reset) = self.reset.take() {
            return Poll::Ready(Some(Published::reset(reset)));
        }
        self.inner.poll_item(cx).map(|item| {
            item.map(|item| match item {
                Item::Message(message) => Published::message(message),
                // Skipped ahead: a typed stream says so as a reset, the one
                // event beside `T` that it sends.
                Item::Lagged(missed) => Published::reset(Reset::lagged(missed)),
            })
        })
    }
}

impl<T> std::fmt::Debug for TopicSubscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicSubscription")
            .field("inner", &self.inner)
            .field("reset", &self.reset)
            .finish()
    }
}
