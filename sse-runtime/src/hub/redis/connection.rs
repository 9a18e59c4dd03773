//! The connections a Redis hub holds: on one server, a managed connection
//! for commands and a Pub/Sub connection of its own; on a cluster, one
//! connection per shard (RESP3), carrying commands and sharded Pub/Sub
//! alike, routed by each key's slot and following the cluster's topology.

use ::redis::aio::{ConnectionLike, ConnectionManager, PubSubSink};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Client, Cmd, Pipeline, RedisFuture, RedisResult, Value};
use std::sync::Arc;

use crate::hub::error::HubError;
use crate::hub::redis::sentinel::{ToPrimary, Watched};

/// Where commands go.
#[derive(Clone)]
pub(super) enum Commands {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    Sentinel(ToPrimary),
}

impl ConnectionLike for Commands {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Commands::Single(connection) => connection.req_packed_command(cmd),
            Commands::Cluster(connection) => connection.req_packed_command(cmd),
            Commands::Sentinel(connection) => connection.req_packed_command(cmd),
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
            Commands::Sentinel(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Commands::Single(connection) => connection.get_db(),
            Commands::Cluster(connection) => connection.get_db(),
            Commands::Sentinel(connection) => connection.get_db(),
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

/// Where the reader's Pub/Sub connection goes.
pub(in crate::hub::redis) enum Primary {
    /// One server.
    Fixed(Client),
    /// The primary the sentinels name at the time.
    Sentinel(Arc<Watched>),
    /// A cluster: its own connections.
    Cluster,
}

impl Primary {
    /// A client for the primary now.
    pub(super) async fn client(&self) -> Result<Client, HubError> {
        match self {
            Primary::Fixed(client) => Ok(client.clone()),
            Primary::Sentinel(watched) => watched.client().await,
            Primary::Cluster => Err(HubError::Backend(
                "a cluster's connections reconnect by themselves".into(),
            )),
        }
    }
}
