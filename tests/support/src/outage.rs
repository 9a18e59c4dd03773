//! A backend's server that a test takes away and brings back, whichever
//! it is: a `redis-server` or a Redis Cluster (without persistence: they
//! come back empty) or PostgreSQL (it comes back with what it committed).

use std::future::Future;
use std::pin::Pin;

use crate::postgres::Postgres;
use crate::redis::Redis;
use crate::redis_cluster::RedisCluster;

/// What [`Server`]'s methods return.
pub type Pending<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// A server an outage case stops and starts again on the same port.
pub trait Server: Send {
    /// Stops it as a crash would.
    fn stop(&mut self) -> Pending<'_>;
    /// Starts it again where it was.
    fn restart(&mut self) -> Pending<'_>;
    /// Whether it keeps what it stored across [`stop`](Self::stop).
    fn durable(&self) -> bool;
}

/// A `redis-server` without persistence.
pub struct RedisServer {
    running: Option<Redis>,
    port: u16,
}

impl From<Redis> for RedisServer {
    fn from(redis: Redis) -> Self {
        RedisServer {
            port: redis.port(),
            running: Some(redis),
        }
    }
}

impl Server for RedisServer {
    fn stop(&mut self) -> Pending<'_> {
        Box::pin(async {
            if let Some(redis) = self.running.take() {
                redis.stop().await;
            }
        })
    }

    fn restart(&mut self) -> Pending<'_> {
        Box::pin(async {
            self.running = Some(
                Redis::start(self.port)
                    .await
                    .expect("redis-server, running a moment ago"),
            );
        })
    }

    fn durable(&self) -> bool {
        false
    }
}

/// A whole Redis Cluster without persistence, every node down at once.
impl Server for RedisCluster {
    fn stop(&mut self) -> Pending<'_> {
        Box::pin(self.stop_all())
    }

    fn restart(&mut self) -> Pending<'_> {
        Box::pin(self.restart_all())
    }

    fn durable(&self) -> bool {
        false
    }
}

impl Server for Postgres {
    fn stop(&mut self) -> Pending<'_> {
        Box::pin(Postgres::stop(self))
    }

    fn restart(&mut self) -> Pending<'_> {
        Box::pin(Postgres::restart(self))
    }

    fn durable(&self) -> bool {
        true
    }
}
