//! A Redis whose primary Redis Sentinel names: commands go to the primary
//! the sentinels name now, and when it fails (its connection drops, it
//! refuses, it answers as a replica) the sentinels are asked again, so that
//! after a failover the hub follows the replica that took over. The reader
//! asks them at every reconnection too.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::sentinel::Sentinel;
use ::redis::{Client, Cmd, ErrorKind, Pipeline, RedisFuture, ServerErrorKind, Value};

use crate::hub::error::HubError;
use crate::hub::redis::backend;

/// The sentinels, the primary's name, and a connection to the primary they
/// last named.
pub(super) struct Watched {
    sentinel: tokio::sync::Mutex<Sentinel>,
    name: String,
    timeout: Duration,
    primary: Mutex<ConnectionManager>,
    asking: AtomicBool,
}

impl Watched {
    pub(super) async fn connect(
        sentinels: &[&str],
        name: &str,
        timeout: Duration,
    ) -> Result<Arc<Self>, HubError> {
        let sentinel = Sentinel::build(sentinels.to_vec()).map_err(backend)?;
        let sentinel = tokio::sync::Mutex::new(sentinel);
        let client = primary(&sentinel, name).await?;
        let manager = manager(client, timeout).await?;
        Ok(Arc::new(Watched {
            sentinel,
            name: name.to_owned(),
            timeout,
            primary: Mutex::new(manager),
            asking: AtomicBool::new(false),
        }))
    }

    /// A client for the primary the sentinels name now.
    pub(super) async fn client(&self) -> Result<Client, HubError> {
        primary(&self.sentinel, &self.name).await
    }

    fn current(&self) -> ConnectionManager {
        crate::sync::lock(&self.primary).clone()
    }

    /// Runs `command` on the primary; a failure that may mean another
    /// primary (no answer in time, a dropped or refused connection, a
    /// replica's refusal to write) has the sentinels asked again.
    async fn run<T>(
        self: &Arc<Self>,
        command: impl Future<Output = ::redis::RedisResult<T>>,
    ) -> ::redis::RedisResult<T> {
        // Within the publish's own limit, so that a primary that no longer
        // answers is noticed before the publish gives up.
        match tokio::time::timeout(self.timeout.mul_f32(0.8), command).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(error)) => {
                if error.is_io_error()
                    || error.is_connection_dropped()
                    || error.is_connection_refusal()
                    || error.is_timeout()
                    || error.kind() == ErrorKind::Server(ServerErrorKind::ReadOnly)
                {
                    self.recheck();
                }
                Err(error)
            }
            Err(_) => {
                self.recheck();
                Err(::redis::RedisError::from(std::io::Error::from(
                    std::io::ErrorKind::TimedOut,
                )))
            }
        }
    }

    /// Asks the sentinels (once at a time) and moves the commands to the
    /// primary they name.
    fn recheck(self: &Arc<Self>) {
        if self.asking.swap(true, Ordering::AcqRel) {
            return;
        }
        let watched = self.clone();
        tokio::spawn(async move {
            let found = async {
                let client = watched.client().await?;
                manager(client, watched.timeout).await
            }
            .await;
            match found {
                Ok(manager) => *crate::sync::lock(&watched.primary) = manager,
                Err(error) => tracing::debug!(%error, "the sentinels named no primary yet"),
            }
            watched.asking.store(false, Ordering::Release);
        });
    }
}

async fn primary(sentinel: &tokio::sync::Mutex<Sentinel>, name: &str) -> Result<Client, HubError> {
    let mut sentinel = sentinel.lock().await;
    sentinel.async_master_for(name, None).await.map_err(backend)
}

/// A managed connection for commands to `client`'s server, as every hub
/// on one primary holds: reconnections back off up to a second apart,
/// however many commands fail meanwhile (they share one reconnection), and
/// each command waits at most `timeout`.
pub(super) async fn manager(
    client: Client,
    timeout: Duration,
) -> Result<ConnectionManager, HubError> {
    let config = ConnectionManagerConfig::new()
        .set_min_delay(Duration::from_millis(100))
        .set_max_delay(Duration::from_secs(1))
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout));
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(backend)
}

/// Commands to the primary the sentinels name.
#[derive(Clone)]
pub(super) struct ToPrimary(pub(super) Arc<Watched>);

impl ConnectionLike for ToPrimary {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let mut primary = self.0.current();
            self.0.run(primary.req_packed_command(cmd)).await
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut primary = self.0.current();
            self.0
                .run(primary.req_packed_commands(pipeline, offset, count))
                .await
        })
    }

    fn get_db(&self) -> i64 {
        self.0.current().get_db()
    }
}
