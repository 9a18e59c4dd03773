//! A topic's fan-out log: the messages subscribers may still need, read by
//! one cursor per subscriber.
//!
//! It replaces a preallocated broadcast ring: memory follows what is
//! buffered (an idle topic with no message holds a few words, not a
//! thousand slots), and the log knows how many subscribers it has, so the
//! hub can reclaim a topic the moment nothing needs it.
//!
//! ```text
//!  first                                   head
//!    | m m m m m m m m m m m m m m m m m m |      positions, ascending
//!          ^ slow cursor        ^ cursor
//! ```
//! A publish appends and wakes the waiting cursors; each cursor clones the
//! message at its position (a reference count, the bytes are shared). The
//! log keeps `keep_busy` messages while it has subscribers and `keep_idle`
//! when it has none (the replay window). A cursor falls behind when more
//! than `buffer` messages past its position arrived, counting from where
//! its replay ended: the lag policy then applies.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::hub::message::Message;
use crate::sync::lock;

/// How many messages a log keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// With no subscriber: what a resume may replay.
    pub(crate) keep_idle: usize,
    /// With subscribers: the replay window plus how far one may fall behind.
    pub(crate) keep_busy: usize,
    /// How many messages past its replay a subscriber may fall behind.
    pub(crate) buffer: usize,
}

/// One topic's log, shared by the hub and its subscribers' cursors.
#[derive(Debug)]
pub(crate) struct Fanout {
    log: Mutex<Log>,
    limits: Limits,
}

#[derive(Debug)]
pub(crate) struct Log {
    /// Position of `messages[0]`.
    first: u64,
    pub(crate) messages: VecDeque<Message>,
    subscribers: usize,
    /// Wakers of cursors waiting for the next message, taken by a publish.
    waiters: Vec<Option<Waker>>,
    /// Counts publishes that took `waiters`, so a cursor knows whether its
    /// slot there is still its own.
    generation: u64,
    /// Taken out of its hub's map: new subscribers must look again.
    pub(crate) removed: bool,
    /// The hub is gone: cursors end after what is buffered.
    closed: bool,
    /// Positions before which messages were lost (the backend could not
    /// deliver them): a cursor reaching one learns of the gap.
    gaps: Vec<u64>,
}

/// What a cursor reads next.
pub(crate) enum Next {
    Message(Message),
    /// The cursor fell behind and skipped this many messages.
    Lagged(u64),
    /// Messages were lost here, how many is not known.
    Gap,
    Closed,
}

/// A subscriber's place in a log.
#[derive(Debug)]
pub(crate) struct Cursor {
    position: u64,
    /// Positions below this were the subscriber's replay: not counted
    /// against `buffer`.
    replay_end: u64,
    /// Its slot among the log's waiters, and the generation it belongs to.
    waiter: Option<(u64, usize)>,
    /// The gap it last learned of, so that it learns of each once.
    gap_seen: Option<u64>,
}

impl Log {
    /// The position the next message gets.
    pub(crate) fn head(&self) -> u64 {
        self.first + self.messages.len() as u64
    }

    pub(crate) fn subscribers(&self) -> usize {
        self.subscribers
    }

    /// Drops the oldest messages down to `keep`.
    pub(crate) fn trim_to(&mut self, keep: usize) {
        while self.messages.len() > keep {
            self.messages.pop_front();
            self.first += 1;
        }
        if self.messages.is_empty() {
            // An emptied burst gives its memory back.
            self.messages.shrink_to(16);
        }
    }

    /// Drops the oldest message.
    pub(crate) fn pop_oldest(&mut self) {
        if self.messages.pop_front().is_some() {
            self.first += 1;
        }
    }
}

impl Fanout {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            log: Mutex::new(Log {
                first: 0,
                messages: VecDeque::new(),
                subscribers: 0,
                waiters: Vec::new(),
                generation: 0,
                removed: false,
                closed: false,
                gaps: Vec::new(),
            }),
            limits,
        }
    }

    /// The log, locked.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Log> {
        lock(&self.log)
    }

    /// Joins `log` (locked by the caller) at `position` (at most its head):
    /// the messages from there to the head are the subscriber's replay.
    /// `None` if the log was removed from its hub meanwhile.
    pub(crate) fn join(log: &mut Log, position: u64) -> Option<Cursor> {
        if log.removed {
            return None;
        }
        log.subscribers += 1;
        Some(Cursor {
            position: position.clamp(log.first, log.head()),
            replay_end: log.head(),
            waiter: None,
            // A gap before it joined is not its own.
            gap_seen: log.gaps.last().copied(),
        })
    }

    /// Appends the message `make` builds for the next position, and wakes
    /// every waiting cursor. `None` if the log was removed from its hub:
    /// the publisher must look the topic up again.
    pub(crate) fn publish<E>(
        &self,
        make: impl FnOnce(u64) -> Result<Message, E>,
    ) -> Option<Result<Message, E>> {
        let mut log = self.lock();
        if log.removed {
            return None;
        }
        let message = match make(log.head()) {
            Ok(message) => message,
            Err(error) => return Some(Err(error)),
        };
        log.messages.push_back(message.clone());
        let keep = if log.subscribers > 0 {
            self.limits.keep_busy
        } else {
            self.limits.keep_idle
        };
        log.trim_to(keep);
        let waiters = wake_all(&mut log);
        drop(log);
        waiters.into_iter().flatten().for_each(Waker::wake);
        Some(Ok(message))
    }

    /// Records that messages were lost at the head (the backend could not
    /// deliver them): every cursor learns of it when it gets there.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn mark_gap(&self) {
        let mut log = self.lock();
        let head = log.head();
        let first = log.first;
        log.gaps.retain(|&gap| gap >= first);
        if !log.gaps.contains(&head) {
            log.gaps.push(head);
        }
        let waiters = wake_all(&mut log);
        drop(log);
        waiters.into_iter().flatten().for_each(Waker::wake);
    }

    /// Ends every cursor after what is buffered: the hub is gone.
    pub(crate) fn close(&self) {
        let mut log = self.lock();
        log.closed = true;
        let waiters = wake_all(&mut log);
        drop(log);
        waiters.into_iter().flatten().for_each(Waker::wake);
    }

    /// The cursor's next message, or `Pending` with its waker registered.
    pub(crate) fn poll_next(&self, cursor: &mut Cursor, cx: &mut Context<'_>) -> Poll<Next> {
        let mut log = self.lock();
        let head = log.head();
        // Behind the log's start, or further behind its replay than
        // `buffer` allows: lagged.
        let buffer = self.limits.buffer as u64;
        let counted_from = cursor.position.max(cursor.replay_end);
        let floor = if counted_from + buffer < head {
            head - buffer
        } else {
            log.first
        }
        .max(log.first);
        if cursor.position < floor {
            let skipped = floor - cursor.position;
            cursor.position = floor;
            return Poll::Ready(Next::Lagged(skipped));
        }
        if let Some(&gap) = log.gaps.iter().find(|&&gap| gap == cursor.position)
            && cursor.gap_seen != Some(gap)
        {
            cursor.gap_seen = Some(gap);
            return Poll::Ready(Next::Gap);
        }
        if cursor.position < head {
            let index = (cursor.position - log.first) as usize;
            cursor.position += 1;
            return Poll::Ready(Next::Message(log.messages[index].clone()));
        }
        if log.closed {
            return Poll::Ready(Next::Closed);
        }
        let generation = log.generation;
        match cursor.waiter {
            Some((registered, index)) if registered == generation => {
                log.waiters[index] = Some(cx.waker().clone());
            }
            _ => {
                log.waiters.push(Some(cx.waker().clone()));
                cursor.waiter = Some((generation, log.waiters.len() - 1));
            }
        }
        Poll::Pending
    }

    /// The cursor's subscriber left; returns the locked log when it was the
    /// last one, for the hub to decide whether to reclaim the topic.
    pub(crate) fn leave(&self, cursor: &Cursor) -> Option<MutexGuard<'_, Log>> {
        let mut log = self.lock();
        if let Some((registered, index)) = cursor.waiter
            && registered == log.generation
        {
            log.waiters[index] = None;
        }
        log.subscribers -= 1;
        if log.subscribers > 0 {
            return None;
        }
        let keep = self.limits.keep_idle;
        log.trim_to(keep);
        Some(log)
    }
}

/// Takes the waiters for waking outside the lock; a new generation begins.
fn wake_all(log: &mut Log) -> Vec<Option<Waker>> {
    log.generation += 1;
    std::mem::take(&mut log.waiters)
}

#[cfg(test)]
mod tests;
