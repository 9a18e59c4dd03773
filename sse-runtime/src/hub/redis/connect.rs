//! Connecting a Redis hub: to one server (a managed connection for
//! commands, a Pub/Sub connection for its reader) or to a cluster (one
//! connection per shard, whose pushes its reader takes).

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use ::redis::cluster::ClusterClientBuilder;
use ::redis::{Client, ProtocolVersion, Script};

use crate::hub::config::HubConfig;
use crate::hub::error::HubError;
use crate::hub::redis::backend;
use crate::hub::redis::connection::{Commands, Primary, Subscriber};
use crate::hub::redis::layout::Layout;
use crate::hub::redis::sentinel::{ToPrimary, Watched, manager};
use crate::hub::redis::{PUBLISH, RedisHub, Shared, reader, timed, within};
use crate::metrics::HubMetrics;

impl RedisHub {
    pub(super) async fn connect(url: &str, config: HubConfig) -> Result<Self, HubError> {
        let client = Client::open(url).map_err(backend)?;
        let connection = manager(client.clone(), config.backend_timeout).await?;
        let (sink, stream) = client.get_async_pubsub().await.map_err(backend)?.split();
        let shared = Shared::new(
            Primary::Fixed(client),
            Commands::Single(connection),
            Subscriber::Single(sink),
            config,
        );
        let reader = tokio::spawn(reader::run(shared.clone(), stream));
        Ok(Self { shared, reader })
    }

    /// On the primary that the sentinels at `sentinels` name `name`,
    /// following it through failovers.
    pub(super) async fn connect_sentinel(
        sentinels: &[&str],
        name: &str,
        config: HubConfig,
    ) -> Result<Self, HubError> {
        let limit = config.backend_timeout;
        let watched = timed(limit, Watched::connect(sentinels, name, limit)).await?;
        let client = timed(limit, watched.client()).await?;
        let pubsub = within(limit, client.get_async_pubsub()).await?;
        let (sink, stream) = pubsub.split();
        let shared = Shared::new(
            Primary::Sentinel(watched.clone()),
            Commands::Sentinel(ToPrimary(watched)),
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
            Primary::Cluster,
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
        primary: Primary,
        connection: Commands,
        subscriber: Subscriber,
        config: HubConfig,
    ) -> Arc<Self> {
        Arc::new(Shared {
            layout: match subscriber {
                Subscriber::Single(_) => Layout::Single,
                Subscriber::Cluster(_) => Layout::Cluster,
            },
            primary,
            connection,
            config,
            publish: Script::new(PUBLISH),
            topics: Mutex::default(),
            metrics: HubMetrics::new("redis"),
            gate: tokio::sync::Mutex::new(subscriber),
            resubscribing: AtomicBool::new(false),
            resubscribe_again: AtomicBool::new(false),
        })
    }
}
