//! The log lines a piece of a test writes, for tests of what the server
//! tells its operator.

use std::sync::{Arc, Mutex};

/// Log lines written while `f` runs on this thread (a current-thread test
/// runtime runs every task here), at every level, without colours.
pub async fn logs_of<F: std::future::Future<Output = ()>>(f: F) -> String {
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    f.await;
    String::from_utf8_lossy(&lines.0.lock().unwrap()).into_owned()
}
