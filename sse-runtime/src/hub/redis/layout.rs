//! Where a topic lives in Redis: its stream and channel, and its
//! `publish_once` keys, named so that on a cluster they share one hash slot
//! (a hash tag of the topic), and the publish command that reaches only that
//! slot's shard (`SPUBLISH`).

/// One server, or a cluster of shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    Single,
    Cluster,
}

impl Layout {
    /// The stream holding `topic`, and the channel its entries are
    /// published on: `sse:<topic>`; on a cluster `sse:{<topic>}`, or, for a
    /// topic that is empty, starts with `#` or holds `}` (which would end
    /// the tag), `sse:{#<hash>}<topic>`.
    pub(super) fn key(self, topic: &str) -> String {
        match self {
            Layout::Single => format!("sse:{topic}"),
            Layout::Cluster if needs_hash(topic) => format!("sse:{{#{:016x}}}{topic}", fnv(topic)),
            Layout::Cluster => format!("sse:{{{topic}}}"),
        }
    }

    /// The topic whose channel is `channel`, if it is one of the hub's.
    pub(super) fn topic_of(self, channel: &str) -> Option<&str> {
        let named = channel.strip_prefix("sse:")?;
        match self {
            Layout::Single => Some(named),
            Layout::Cluster => {
                let (tag, rest) = named.strip_prefix('{')?.split_once('}')?;
                match tag.strip_prefix('#') {
                    Some(_) => Some(rest),
                    None => rest.is_empty().then_some(tag),
                }
            }
        }
    }

    /// The key that remembers `publish_key` on `topic`: in the topic's slot,
    /// length-prefixed so that no topic and key pair reads as another.
    pub(super) fn once_key(self, topic: &str, publish_key: &str) -> String {
        match self {
            Layout::Single => format!("sse-once:{}:{topic}:{publish_key}", topic.len()),
            Layout::Cluster => {
                // The stream's name, tag first: the same slot.
                let stream = self.key(topic);
                format!("sse-once:{}:{stream}:{publish_key}", stream.len())
            }
        }
    }

    /// What the publish script calls to pass an entry on.
    pub(super) fn publish_command(self) -> &'static str {
        match self {
            Layout::Single => "PUBLISH",
            Layout::Cluster => "SPUBLISH",
        }
    }
}

fn needs_hash(topic: &str) -> bool {
    topic.is_empty() || topic.starts_with('#') || topic.contains('}')
}

/// FNV-1a: the same in every process, so every process names a topic alike.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot Redis Cluster gives a key: CRC16 of its hash tag (the text
    /// between the first `{` and the next `}`, when not empty), mod 16384.
    fn slot(key: &str) -> u16 {
        let tagged = key
            .find('{')
            .and_then(|open| {
                let rest = &key[open + 1..];
                rest.find('}').map(|close| &rest[..close])
            })
            .filter(|tag| !tag.is_empty())
            .unwrap_or(key);
        let crc = tagged.bytes().fold(0u16, |mut crc, byte| {
            crc ^= u16::from(byte) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    crc << 1 ^ 0x1021
                } else {
                    crc << 1
                };
            }
            crc
        });
        crc % 16_384
    }

    #[test]
    fn a_topics_keys_share_a_slot_and_name_it_back() {
        for topic in [
            "room", "", "#general", "a}b", "}", "{", "a{b", "x:y:z", "r\u{e9}",
        ] {
            for layout in [Layout::Single, Layout::Cluster] {
                let key = layout.key(topic);
                assert_eq!(layout.topic_of(&key), Some(topic), "{layout:?} {key:?}");
            }
            let stream = Layout::Cluster.key(topic);
            let once = Layout::Cluster.once_key(topic, "order-7");
            assert_eq!(slot(&stream), slot(&once), "{stream:?} and {once:?}");
        }
        assert_eq!(slot("sse:{room}"), slot("room"), "tagged by the topic");
        assert_ne!(
            Layout::Cluster.key("a}b"),
            Layout::Cluster.key("a}c"),
            "hashed topics keep their names"
        );
        assert_eq!(
            Layout::Cluster.topic_of("sse:{a}b"),
            None,
            "not one of ours"
        );
        assert_eq!(Layout::Single.topic_of("other"), None);
    }
}
