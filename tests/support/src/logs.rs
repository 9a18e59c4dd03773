//! The log lines a piece of a test writes, for tests of what the server
//! tells its operator.

use std::sync::{Arc, Mutex};

/// Log lines written while `f` runs on this thread (a current-thread test
/// runtime runs every task here), at every level, without colours.
pub async fn logs_of<F: std::future::Future<Output = ()>>(f: F) -> String {
    logs_at(tracing::Level::INFO, f).await
}

/// [`logs_of`], at `level` and above (`TRACE`: every line).
pub async fn logs_at<F: std::future::Future<Output = ()>>(level: tracing::Level, f: F) -> String {
    let lines = LogCapture(Arc::default());
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(level)
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    f.await;
    lines.text()
}

/// Log lines, shared by the subscriber that writes them and the test that
/// reads them. [`LogCapture::global`]: every line, at every level, that the
/// test binary writes from then on, whichever thread writes it, for a test
/// that picks out its own lines (by its connections' addresses) while other
/// tests run; a global subscriber, since thread-scoped ones miss events while
/// tests on other threads come and go.
#[derive(Clone)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// The binary's capture, started on first use.
    pub fn global() -> Self {
        static CAPTURE: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
        CAPTURE
            .get_or_init(|| {
                let capture = LogCapture(Arc::default());
                let writer = capture.clone();
                let subscriber = tracing_subscriber::fmt()
                    .with_writer(move || writer.clone())
                    .with_max_level(tracing::Level::TRACE)
                    .with_ansi(false)
                    .finish();
                tracing::subscriber::set_global_default(subscriber)
                    .expect("no other global subscriber in a test binary using LogCapture");
                capture
            })
            .clone()
    }

    /// How many bytes have been written so far: where what comes next
    /// starts in [`text`](Self::text).
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What has been written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The clients whose event streams left hyper's connection (the lean path),
/// as the server says in its log, counted by the client's address: the
/// binary's global subscriber, which keeps nothing else, for a test that
/// runs many streams and checks that each of its lean ones did leave.
#[derive(Clone)]
pub struct LeftHyper(Arc<Mutex<std::collections::HashMap<String, usize>>>);

/// What the server logs when a stream leaves hyper's connection.
pub const LEFT_HYPER: &str = "event stream left hyper's connection";

impl LeftHyper {
    /// The binary's counter, started on first use.
    pub fn global() -> Self {
        use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
        static LEFT: std::sync::OnceLock<LeftHyper> = std::sync::OnceLock::new();
        LEFT.get_or_init(|| {
            let left = LeftHyper(Arc::default());
            let runtime_debug = tracing_subscriber::filter::filter_fn(|metadata| {
                metadata.target().starts_with("sse_runtime")
                    && *metadata.level() <= tracing::Level::DEBUG
            });
            let subscriber =
                tracing_subscriber::registry().with(left.clone().with_filter(runtime_debug));
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in a test binary using LeftHyper");
            left
        })
        .clone()
    }

    /// How many streams of the client at `peer` left hyper's connection.
    pub fn count(&self, peer: std::net::SocketAddr) -> usize {
        let counts = self.0.lock().unwrap();
        counts.get(&peer.to_string()).copied().unwrap_or(0)
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LeftHyper {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        #[derive(Default)]
        struct Fields {
            message: String,
            peer: String,
        }
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                match field.name() {
                    "message" => self.message = format!("{value:?}"),
                    "peer" => self.peer = format!("{value:?}"),
                    _ => {}
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.message == LEFT_HYPER {
            *self.0.lock().unwrap().entry(fields.peer).or_default() += 1;
        }
    }
}
