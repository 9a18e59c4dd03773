//! The connections a Redis hub holds: on one server, a managed connection
//! for commands and a Pub/Sub connection of its own; on a cluster, one
//! connection per shard (RESP3), carrying commands and sharded Pub/Sub
//! alike, routed by each key's slot and following the cluster's topology.

use ::redis::aio::{ConnectionLike, ConnectionManager, PubSubSink};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

use crate::hub::error::HubError;

/// A Redis failure as the hub reports it.
pub(super) fn backend(error: ::redis::RedisError) -> HubError {
    HubError::Backend(Box::new(error))
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
