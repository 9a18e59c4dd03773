//! Tests that need something outside Rust (nginx, a `redis-server`, a
//! network namespace) fail without it, saying how to get it, unless the run
//! opted out of them by name. A test skipped that way still shows `ok` in
//! libtest's output, so it is also written down: with `SSE_SKIPPED_LOG` set
//! (as `tests/run` sets it), one line per skipped test, which `tests/run`
//! prints at the end of the run.
//!
//! ```text
//! let Some(redis) = Redis::start(port).await else { return };
//! ```

use std::io::Write;

/// The file `tests/run` collects skipped tests in.
pub const LOG_VARIABLE: &str = "SSE_SKIPPED_LOG";

/// What a test needs that the machine may lack.
#[derive(Clone, Copy, Debug)]
pub struct Requirement {
    /// What it is, for messages: `"redis-server"`.
    pub what: &'static str,
    /// Set to `1` to skip the tests that need it, on purpose.
    pub skip_variable: &'static str,
    /// How to get it: `"apt-get install redis-server"`.
    pub install: &'static str,
}

impl Requirement {
    /// Called when the requirement is not met for `why`: panics (the test
    /// fails, saying what to do) unless the run opted out with
    /// `skip_variable=1`; then records the skip and returns, and the caller
    /// returns without checking anything.
    pub fn unmet(&self, why: &dyn std::fmt::Display) {
        let Requirement {
            what,
            skip_variable,
            install,
        } = *self;
        assert!(
            std::env::var(skip_variable).as_deref() == Ok("1"),
            "{what} is needed and not available ({why}): `tests/run` installs it, or \
             {install}; or set {skip_variable}=1 to skip the tests that need it on purpose"
        );
        let test = format!(
            "{}::{}",
            test_binary(),
            std::thread::current()
                .name()
                .unwrap_or("(a test off the test thread)")
        );
        eprintln!("!!! SKIPPED {test}: {skip_variable}=1 and {what} unavailable ({why})");
        if let Ok(path) = std::env::var(LOG_VARIABLE) {
            let line = format!("{test}: {skip_variable}=1, {what} unavailable ({why})\n");
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut log| log.write_all(line.as_bytes()));
            if let Err(error) = written {
                panic!("cannot record the skip in {path} ({error})");
            }
        }
    }
}

/// The test binary's name without cargo's hash: `redis_hub`.
fn test_binary() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = exe.file_stem().unwrap_or_default().to_string_lossy();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem.into_owned(),
    }
}
