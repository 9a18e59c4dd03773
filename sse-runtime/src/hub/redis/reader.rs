//! A topic's reader: follows its Redis stream and fans every entry out to
//! this process's subscribers.

use std::time::Duration;

use ::redis::streams::StreamReadReply;
use ::redis::{AsyncConnectionConfig, Client};
use tokio::sync::broadcast;

use crate::event::LineEnding;
use crate::hub::message::Message;
use crate::hub::redis::stream::message;

/// Follows `stream` from `start` and sends every entry to the local
/// subscribers; on any error, reconnects with backoff and continues from the
/// last id seen.
pub(super) async fn read(
    client: Client,
    stream: String,
    mut last: String,
    live: broadcast::Sender<Message>,
    line_ending: LineEnding,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let connection = client
            .get_multiplexed_async_connection_with_config(
                &AsyncConnectionConfig::new().set_response_timeout(None),
            )
            .await;
        let mut connection = match connection {
            Ok(connection) => connection,
            Err(error) => {
                tracing::warn!(%error, stream, ?backoff, "cannot reach Redis; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        loop {
            let reply: Result<Option<StreamReadReply>, _> = ::redis::cmd("XREAD")
                .arg("BLOCK")
                .arg(5_000)
                .arg("COUNT")
                .arg(512)
                .arg("STREAMS")
                .arg(&stream)
                .arg(&last)
                .query_async(&mut connection)
                .await;
            match reply {
                Ok(reply) => {
                    backoff = Duration::from_millis(100);
                    for entry in reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
                        if let Some(message) = message(&entry.id, &entry.map, line_ending) {
                            // No local subscribers is fine.
                            let _ = live.send(message);
                        }
                        last = entry.id;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, stream, "reading from Redis failed; reconnecting");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    break;
                }
            }
        }
    }
}
