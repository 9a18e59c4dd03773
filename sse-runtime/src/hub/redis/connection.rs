//! The connections a Redis hub holds: on one server, a managed connection
//! for commands and a Pub/Sub connection of its own; on a cluster, one
//! connection per shard (RESP3), carrying commands and sharded Pub/Sub
//! alike, routed by each key's slot and following the cluster's topology.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, PubSubSink};
use ::redis::cluster::ClusterClientBuilder;
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Client, Cmd, Pipeline, ProtocolVersion, RedisFuture, RedisResult, Script, Value};

use crate::hub::config::HubConfig;
use crate::hub::error::HubError;
use crate::hub::redis::layout::Layout;
use crate::hub::redis::{PUBLISH, RedisHub, Shared, reader, within};
use crate::metrics::HubMetrics;

/// A Redis failure as the hub reports it.
pub(super) fn backend(error: ::redis::RedisError) -> HubError {
    HubError::Backend(Box::new(error))
}

impl RedisHub {
    pub(super) async fn connect(url: &str, config: HubConfig) -> Result<Self, HubError> {
        let client = Client::open(url).map_err(backend)?;
        // Reconnects back off up to a second apart, however many publishes
        // fail meanwhile (they share one reconnection), and each publish
        // waits at most `backend_timeout` for it.
        let manager = ConnectionManagerConfig::new()
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_secs(1))
            .set_connection_timeout(Some(config.backend_timeout))
            .set_response_timeout(Some(config.backend_timeout));
        let connection = ConnectionManager::new_with_config(client.clone(), manager)
            .await
            .map_err(backend)?;
        let (sink, stream) = client.get_async_pubsub().await.map_err(backend)?.split();
        let shared = Shared::new(
            Some(client),
            Commands::Single(connection),
            Subscriber::Single(sink),
            config,
        );
        let reader = tokio::spawn(reader::run(shared.clone(), stream));
        Ok(Self { shared, reader })
    }

    /// On the cluster that `nodes` (some of its nodes' URLs) belong to.
    pub(super) async fn connect_cluster(
        nodes: &[&str],
        config: HubConfig,
    ) -> Result<Self, HubError> {
        // Entries come as RESP3 pushes, on the same connections as commands:
        // one per shard, however many topics.
        let (pushes, received) = tokio::sync::mpsc::unbounded_channel();
        let client = ClusterClientBuilder::new(nodes.iter().copied())
            .use_protocol(ProtocolVersion::RESP3)
            .push_sender(pushes)
            .connection_timeout(config.backend_timeout)
            .response_timeout(config.backend_timeout)
            .build()
            .map_err(backend)?;
        let connection = within(config.backend_timeout, client.get_async_connection()).await?;
        let shared = Shared::new(
            None,
            Commands::Cluster(connection.clone()),
            Subscriber::Cluster(connection),
            config,
        );
        let reader = tokio::spawn(reader::run_cluster(shared.clone(), received));
        Ok(Self { shared, reader })
    }
}

impl Shared {
    fn new(
        client: Option<Client>,
        connection: Commands,
        subscriber: Subscriber,
        config: HubConfig,
    ) -> Arc<Self> {
        Arc::new(Shared {
            layout: match subscriber {
                Subscriber::Single(_) => Layout::Single,
                Subscriber::Cluster(_) => Layout::Cluster,
            },
            client,
            connection,
            config,
            publish: Script::new(PUBLISH),
            topics: Mutex::default(),
            metrics: HubMetrics::new("redis"),
            gate: tokio::sync::Mutex::new(subscriber),
            resubscribing: AtomicBool::new(false),
        })
    }
}

/// Where commands go.
#[derive(Clone)]
pub(super) enum Commands {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Commands {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Commands::Single(connection) => connection.req_packed_command(cmd),
            Commands::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Commands::Single(connection) => connection.req_packed_commands(pipeline, offset, count),
            Commands::Cluster(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Commands::Single(connection) => connection.get_db(),
            Commands::Cluster(connection) => connection.get_db(),
        }
    }
}

/// Where topics are subscribed to: the Pub/Sub connection's sink, or the
/// cluster's connections (`SSUBSCRIBE`, sent to the shard that owns the
/// channel's slot).
pub(super) enum Subscriber {
    Single(PubSubSink),
    Cluster(ClusterConnection),
}

impl Subscriber {
    pub(super) async fn subscribe(&mut self, channel: String) -> RedisResult<()> {
        match self {
            Subscriber::Single(sink) => sink.subscribe(channel).await,
            Subscriber::Cluster(connection) => connection.ssubscribe(channel).await,
        }
    }

    pub(super) async fn unsubscribe(&mut self, channel: String) -> RedisResult<()> {
        match self {
            Subscriber::Single(sink) => sink.unsubscribe(channel).await,
            Subscriber::Cluster(connection) => connection.sunsubscribe(channel).await,
        }
    }
}
