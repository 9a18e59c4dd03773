//! What [`Hub`] offers on Redis: one server, a cluster, or the primary
//! that Redis Sentinel names.

use std::sync::Arc;

use crate::hub::backend::Backend;
use crate::hub::redis::RedisHub;
use crate::hub::{Hub, HubConfig, HubError};

impl Hub {
    /// A hub whose topics live in Redis Streams at `url`
    /// (`redis://127.0.0.1:6379`), shared by every process connected to it.
    ///
    /// Ids come from Redis (`<ms>-<seq>` packed into a `u64`), history is the
    /// stream trimmed to about [`HubConfig::replay`] entries. Each process
    /// holds two Redis connections however many topics it serves: one for
    /// commands, one Pub/Sub connection on which every entry arrives once
    /// and is fanned out locally. Delivery: a client that resumes with
    /// `Last-Event-ID` gets every entry after it that the stream still
    /// holds, exactly once. While Redis is away, publishes and subscribes
    /// fail within [`HubConfig::backend_timeout`]; open subscriptions stay
    /// open, and when Redis is back the hub reads from each stream what it
    /// missed. Entries the stream no longer holds by then (more than
    /// `replay` were published meanwhile) reach subscribers as a gap
    /// ([`LagPolicy`](crate::hub::LagPolicy)). Needs Redis 7.0 or newer.
    ///
    /// # Errors
    /// [`HubError::Backend`] if Redis cannot be reached.
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub async fn redis(url: &str, config: HubConfig) -> Result<Self, HubError> {
        Ok(Self {
            backend: Backend::Redis(Arc::new(RedisHub::connect(url, config).await?)),
        })
    }

    /// A hub whose topics live in a Redis Cluster (Redis 7 or newer), which
    /// `nodes` (the URLs of some of its nodes) belong to, shared by every
    /// process connected to it.
    ///
    /// As [`Hub::redis`], spread over the cluster's shards: a topic's stream
    /// and its `publish_once` keys share one hash slot (its name is their
    /// hash tag), an entry is published with `SPUBLISH` so it reaches only
    /// the shard that owns the slot, and each process holds one connection
    /// per shard (RESP3: commands and sharded Pub/Sub on it) however many
    /// topics it serves. The connections follow the cluster's topology
    /// (`MOVED`, `ASK`, a failover); the hub subscribes a topic again where
    /// its slot went (after a shard's connection closes, or the shard drops
    /// the subscription when the slot moves), and the topic then reads from
    /// its stream what it missed while it was not subscribed. While a shard fails over, the client retries
    /// a command whose connection dropped, so a publish may be stored twice:
    /// publish with [`Hub::publish_once`] where a duplicate matters.
    ///
    /// ```no_run
    /// use sse_runtime::hub::{Hub, HubConfig};
    ///
    /// # async fn run() -> Result<(), sse_runtime::hub::HubError> {
    /// let nodes = ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"];
    /// let hub = Hub::redis_cluster(&nodes, HubConfig::default()).await?;
    /// # drop(hub);
    /// # Ok(())
    /// # }
    /// # let _ = run;
    /// ```
    ///
    /// # Errors
    /// [`HubError::Backend`] if the cluster cannot be reached.
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub async fn redis_cluster(nodes: &[&str], config: HubConfig) -> Result<Self, HubError> {
        Ok(Self {
            backend: Backend::Redis(Arc::new(RedisHub::connect_cluster(nodes, config).await?)),
        })
    }

    /// A hub on the Redis primary that Redis Sentinel knows as `name`,
    /// asking the sentinels at `sentinels` (their URLs) where it is, and
    /// again whenever it fails, so that after a failover the hub follows the
    /// replica that took over: publishes are refused (within
    /// [`HubConfig::backend_timeout`]) until the sentinels name it, open
    /// subscriptions stay open and read back from its streams what they
    /// missed, and what the old primary acknowledged but its replica never
    /// received reaches them, and clients resuming from it, as a gap.
    /// Otherwise as [`Hub::redis`].
    ///
    /// ```no_run
    /// use sse_runtime::hub::{Hub, HubConfig};
    ///
    /// # async fn run() -> Result<(), sse_runtime::hub::HubError> {
    /// let sentinels = ["redis://10.0.0.1:26379", "redis://10.0.0.2:26379"];
    /// let hub = Hub::redis_sentinel(&sentinels, "events", HubConfig::default()).await?;
    /// # drop(hub);
    /// # Ok(())
    /// # }
    /// # let _ = run;
    /// ```
    ///
    /// # Errors
    /// [`HubError::Backend`] if no sentinel answers, or the primary it names
    /// cannot be reached.
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub async fn redis_sentinel(
        sentinels: &[&str],
        name: &str,
        config: HubConfig,
    ) -> Result<Self, HubError> {
        let hub = RedisHub::connect_sentinel(sentinels, name, config).await?;
        Ok(Self {
            backend: Backend::Redis(Arc::new(hub)),
        })
    }
}
