//! A lean HTTP/1 connection's tasks ([`Serve::lean_streams`]): hyper serves
//! the connection ([`LeanConnection`]) until an event stream's head is out;
//! the stream then leaves with the socket for a task of its own
//! ([`Resuming`]), and hyper's connection (its buffers, its dispatcher) is
//! dropped. When a finite stream has ended, that task gives the connection
//! back to hyper, in a task of its own again, for the next request.
//!
//! Every idle stream keeps one of these tasks, so their sizes are memory per
//! stream: two kinds of task rather than one with two states (a future is as
//! large as its largest state), and hand-written futures rather than `async
//! fn`s, which would hold the connection twice; tests below pin both sizes.
//!
//! [`Serve::lean_streams`]: crate::serve::Serve::lean_streams

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use hyper_util::rt::TokioIo;
use tokio::io::AsyncWrite;
use tokio_util::task::TaskTracker;

use crate::serve::guard::ConnectionGuard;
use crate::serve::header_read::http1_builder;
use crate::serve::http1::handover::Handover;
use crate::serve::http1::hooks::{LeanIo, LeanService};
use crate::serve::http1::lean_stream::{Finished, LeanStream};
use crate::serve::service::RouterService;
use crate::serve::socket::WatchedIo;

/// A lean HTTP/1 connection's task while hyper serves it.
pub(crate) struct LeanConnection {
    /// Until the connection ends or its event stream leaves it.
    serving: Option<(HyperConnection, ConnectionGuard)>,
    /// Where an event stream's body waits to leave.
    handover: Handover,
    /// Where the event stream's task goes.
    tracker: TaskTracker,
}

type HyperConnection = hyper::server::conn::http1::Connection<TokioIo<LeanIo>, LeanService>;

impl LeanConnection {
    pub(crate) fn new(
        io: WatchedIo,
        router: RouterService,
        guard: ConnectionGuard,
        tracker: TaskTracker,
    ) -> Self {
        let handover = Handover::default();
        let service = LeanService {
            router,
            handover: handover.clone(),
        };
        Self::serve(io, service, guard, tracker)
    }

    fn serve(
        io: WatchedIo,
        service: LeanService,
        guard: ConnectionGuard,
        tracker: TaskTracker,
    ) -> Self {
        let handover = service.handover.clone();
        let io = TokioIo::new(LeanIo::new(io, handover.clone()));
        let connection = http1_builder(guard.header_read_timeout()).serve_connection(io, service);
        Self {
            serving: Some((connection, guard)),
            handover,
            tracker,
        }
    }
}

impl Future for LeanConnection {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let (connection, guard) = this
            .serving
            .as_mut()
            .expect("a connection polled after it ended");
        if guard.poll(Pin::new(connection), cx).is_ready() {
            this.serving = None;
            return Poll::Ready(());
        }
        // hyper has written and flushed an event stream's head: the stream
        // leaves with the socket, and hyper's connection is dropped.
        let Some(body) = this.handover.take() else {
            return Poll::Pending;
        };
        let (connection, guard) = this.serving.take().expect("just polled");
        let parts = connection.into_parts();
        let service = parts.service;
        let io = parts.io.into_inner().into_inner();
        let stream = LeanStream::new(io, body, &parts.read_buf, guard, service.router.peer);
        this.tracker.spawn(Resuming {
            stream,
            service: Some(service),
            tracker: this.tracker.clone(),
        });
        Poll::Ready(())
    }
}

/// A lean stream's task: the stream, then (after a finite one) hyper again.
pub(crate) struct Resuming {
    stream: LeanStream,
    /// What hyper serves the connection with again.
    service: Option<LeanService>,
    tracker: TaskTracker,
}

impl Future for Resuming {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let peer = match &this.service {
            Some(service) => service.router.peer,
            None => panic!("a lean stream's task polled after it ended"),
        };
        let finished = ready!(this.stream.poll_end(cx, peer));
        let service = this.service.take().expect("checked above");
        let Some(Finished { mut io, guard }) = finished else {
            return Poll::Ready(());
        };
        service.router.current.set(None);
        if guard.is_finishing() || service.router.shutdown.is_requested() {
            // As hyper closes a connection that does not stay open: our side
            // first (a TCP shutdown does not wait), then the socket.
            let _ = Pin::new(&mut io).poll_shutdown(cx);
            return Poll::Ready(());
        }
        let tracker = this.tracker.clone();
        this.tracker
            .spawn(LeanConnection::serve(io, service, guard, tracker));
        Poll::Ready(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every idle HTTP/1 connection keeps this future: an `async fn` in its
    /// place held hyper's connection twice (1,696 bytes against 784 when this
    /// test was written).
    #[test]
    fn a_lean_connection_task_holds_the_connection_once() {
        let size = std::mem::size_of::<LeanConnection>();
        assert!(
            size < 1_200,
            "the lean HTTP/1 connection task is {size} bytes; it should hold hyper's connection once"
        );
    }

    /// Every idle lean stream keeps this future as its task: it is most of
    /// what the stream costs besides its body (BENCHMARKS.md, "Idle memory").
    #[test]
    fn a_lean_stream_task_is_small() {
        let size = std::mem::size_of::<Resuming>();
        assert!(
            size <= 560,
            "a lean stream's task is {size} bytes; BENCHMARKS.md's heap profile counts on about 530"
        );
    }
}
