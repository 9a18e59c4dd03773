//! A deterministic stand-in for a language model: the reply is derived from
//! the prompt, one token at a time, with a delay per token, and every token
//! produced is counted, so that a test can see the model stop when the
//! client leaves.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::Stream;

/// The model, shared by every request.
#[derive(Clone)]
pub(crate) struct Model {
    /// Between two tokens, as a real model's decoding step.
    pub(crate) delay: Duration,
    produced: Arc<AtomicU64>,
    /// When a generation last stopped (finished, or dropped with its
    /// response), in microseconds since the Unix epoch.
    stopped_at: Arc<AtomicU64>,
}

/// Records when the generation holding it stops.
struct Stopped(Arc<AtomicU64>);

impl Drop for Stopped {
    fn drop(&mut self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_micros() as u64);
        self.0.store(now, Ordering::SeqCst);
    }
}

impl Model {
    /// `LLM_TOKEN_DELAY_MS` (default 20) between tokens.
    pub(crate) fn from_env() -> Self {
        let delay = std::env::var("LLM_TOKEN_DELAY_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(20);
        Self {
            delay: Duration::from_millis(delay),
            produced: Arc::default(),
            stopped_at: Arc::default(),
        }
    }

    /// Tokens produced so far, by every request.
    pub(crate) fn produced(&self) -> u64 {
        self.produced.load(Ordering::SeqCst)
    }

    /// When a generation last stopped, in microseconds since the Unix epoch
    /// (0 before any did).
    pub(crate) fn stopped_at(&self) -> u64 {
        self.stopped_at.load(Ordering::SeqCst)
    }

    /// The reply to `prompt`: `You said:` and the prompt's words, each token
    /// a word with its leading space, at most `max_tokens` of them.
    pub(crate) fn reply(prompt: &str, max_tokens: Option<usize>) -> Vec<String> {
        let words = std::iter::once("You said:").chain(prompt.split_whitespace());
        let tokens = words.enumerate().map(|(n, word)| match n {
            0 => word.to_owned(),
            _ => format!(" {word}"),
        });
        tokens.take(max_tokens.unwrap_or(usize::MAX)).collect()
    }

    /// The tokens of [`Model::reply`], produced one by one. Dropping the
    /// stream stops the model: no token is produced after that.
    pub(crate) fn generate(
        &self,
        prompt: &str,
        max_tokens: Option<usize>,
    ) -> impl Stream<Item = String> + Send + 'static {
        let tokens = Self::reply(prompt, max_tokens);
        let (delay, produced) = (self.delay, self.produced.clone());
        let stopped = Stopped(self.stopped_at.clone());
        async_stream::stream! {
            let _stopped = stopped;
            for token in tokens {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                produced.fetch_add(1, Ordering::SeqCst);
                yield token;
            }
        }
    }
}
