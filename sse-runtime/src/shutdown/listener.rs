//! How a stream body or a connection, polled by hand, learns of a shutdown.
//!
//! Every open stream holds one listener in its body and one in its
//! connection, and both are polled on every frame sent, so they are built for
//! that: a poll while nothing changed is one atomic load and a waker
//! comparison, and a listener owns no future, only a slot in the
//! coordinator's waker list. A `watch::Receiver::changed()` future instead
//! has to be boxed to be kept, and locks the channel's waiter list, shared by
//! every stream, on each poll.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use tokio::time::{Instant, Sleep};

use super::{Coordinator, Progress};
use crate::sync::lock;

/// The wakers of a coordinator's listeners, and a count of state changes.
#[derive(Debug, Default)]
pub(super) struct Listeners {
    /// Bumped after every change of the state, before the wakers are woken.
    generation: AtomicU64,
    slots: Mutex<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Slots {
    /// A free slot, reused or new.
    fn take(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.wakers.push(None);
            self.wakers.len() - 1
        })
    }
}

impl Listeners {
    /// Called once the state has changed: wakes every listener.
    pub(super) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        for waker in self.lock().wakers.iter().flatten() {
            waker.wake_by_ref();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        lock(&self.slots)
    }
}

/// What a listener has been told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Notice {
    /// Shutdown started: finish up (send a farewell, stop accepting work).
    FinishUp,
    /// The grace period is over: end now.
    GraceOver,
}

/// A stream's or connection's view of a [`Shutdown`](super::Shutdown).
#[derive(Debug)]
pub(crate) struct ShutdownListener {
    coordinator: Arc<Coordinator>,
    /// Our slot in [`Listeners::slots`], once registered.
    slot: Option<usize>,
    /// The waker in our slot, to tell whether the polling task changed.
    waker: Option<Waker>,
    /// The generation the state below was read at.
    seen: u64,
    /// When streams are ended by force, once draining.
    force_at: Option<Instant>,
    force: Option<Pin<Box<Sleep>>>,
}

impl ShutdownListener {
    pub(super) fn new(coordinator: Arc<Coordinator>) -> Self {
        Self {
            coordinator,
            slot: None,
            waker: None,
            seen: u64::MAX,
            force_at: None,
            force: None,
        }
    }

    /// The coordinator listened to.
    pub(crate) fn shutdown(&self) -> super::Shutdown {
        super::Shutdown {
            coordinator: self.coordinator.clone(),
        }
    }

    /// Pending while the server runs; `FinishUp` (every time it is polled)
    /// during the grace period; `GraceOver` once it has passed. Registers the
    /// waker for the next change either way.
    pub(crate) fn poll_notice(&mut self, cx: &mut Context<'_>) -> Poll<Notice> {
        let listeners = &self.coordinator.listeners;
        let current = self
            .waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
            && listeners.generation.load(Ordering::Acquire) == self.seen;
        if !current {
            // Register first, then read: a change after this read wakes the
            // waker just stored.
            let waker = cx.waker().clone();
            {
                let mut slots = listeners.lock();
                let slot = *self.slot.get_or_insert_with(|| slots.take());
                slots.wakers[slot] = Some(waker.clone());
            }
            self.waker = Some(waker);
            self.seen = listeners.generation.load(Ordering::Acquire);
            self.force_at = match *self.coordinator.progress.borrow() {
                Progress::Running | Progress::Unready => None,
                Progress::Draining { force_at } => Some(force_at),
            };
        }
        let Some(force_at) = self.force_at else {
            return Poll::Pending;
        };
        let force = self
            .force
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(force_at)));
        if force.deadline() != force_at {
            force.as_mut().reset(force_at);
        }
        match force.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Notice::GraceOver),
            Poll::Pending => Poll::Ready(Notice::FinishUp),
        }
    }
}

impl Drop for ShutdownListener {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            let mut slots = self.coordinator.listeners.lock();
            slots.wakers[slot] = None;
            slots.free.push(slot);
            if slots.free.len() == slots.wakers.len() {
                // The last one: give back what a crowd of streams needed.
                *slots = Slots::default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;
    use std::time::Duration;

    use super::*;
    use crate::Shutdown;

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn woken(count: &Arc<Count>) -> usize {
        count.0.load(Ordering::SeqCst)
    }

    #[tokio::test(start_paused = true)]
    async fn wakes_every_listener_once_per_change_and_frees_its_slot() {
        let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(5));
        let counts: Vec<Arc<Count>> = (0..3).map(|_| Arc::default()).collect();
        let mut listeners: Vec<ShutdownListener> = (0..3).map(|_| shutdown.listener()).collect();
        for (listener, count) in listeners.iter_mut().zip(&counts) {
            let waker = Waker::from(count.clone());
            let mut cx = Context::from_waker(&waker);
            // Polled many times without a change: pending, nothing woken.
            for _ in 0..10 {
                assert!(listener.poll_notice(&mut cx).is_pending());
            }
        }
        assert!(counts.iter().all(|count| woken(count) == 0));

        shutdown.trigger();
        assert!(counts.iter().all(|count| woken(count) == 1));
        shutdown.trigger();
        assert!(
            counts.iter().all(|count| woken(count) == 1),
            "no change, no wake-up"
        );
        for (listener, count) in listeners.iter_mut().zip(&counts) {
            let waker = Waker::from(count.clone());
            let mut cx = Context::from_waker(&waker);
            assert_eq!(listener.poll_notice(&mut cx), Poll::Ready(Notice::FinishUp));
        }

        tokio::time::advance(Duration::from_secs(6)).await;
        let waker = Waker::from(counts[0].clone());
        let mut cx = Context::from_waker(&waker);
        assert_eq!(
            listeners[0].poll_notice(&mut cx),
            Poll::Ready(Notice::GraceOver)
        );

        // A listener made after the change sees it at once.
        let other = Arc::new(Count::default());
        let waker = Waker::from(other.clone());
        let mut cx = Context::from_waker(&waker);
        let mut fresh = shutdown.listener();
        assert_eq!(fresh.poll_notice(&mut cx), Poll::Ready(Notice::GraceOver));
        drop(listeners);
        drop(fresh);
        let slots = shutdown.coordinator.listeners.lock();
        assert!(slots.wakers.is_empty() && slots.free.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_listener_polled_by_a_new_task_is_woken_there() {
        let shutdown = Shutdown::new();
        let mut listener = shutdown.listener();
        let (first, second) = (Arc::new(Count::default()), Arc::new(Count::default()));
        let waker = Waker::from(first.clone());
        assert!(
            listener
                .poll_notice(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let waker = Waker::from(second.clone());
        assert!(
            listener
                .poll_notice(&mut Context::from_waker(&waker))
                .is_pending()
        );
        shutdown.force();
        assert_eq!((woken(&first), woken(&second)), (0, 1));
    }
}
