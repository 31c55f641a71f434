//! The "consumer" embedded protocol: the bytes a consumer puts in its JoinGroup (its
//! subscription) and the leader puts in its SyncGroup (each member's assignment). The
//! coordinator keeps them opaque; the engine reads them to show a group's assignment the way
//! `kafka-consumer-groups --describe` does, and writes them for its own simulated members.
//! Versions: subscription v0 (topics, user data), v1 (owned partitions, KIP-429), v2
//! (generation, KIP-792), v3 (rack); assignment v0-v3 share one shape. A newer version is read
//! as far as its known fields go, as the Java client does.

use super::super::assignor::TopicPartition;
use super::super::wire::{Reader, WireError, Writer};
use std::collections::{BTreeMap, BTreeSet};

/// The `protocol_type` of consumer groups.
pub const CONSUMER: &str = "consumer";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscription {
    pub topics: Vec<String>,
    pub owned: BTreeSet<TopicPartition>,
    /// -1 when the member had no assignment (or sent a version without it).
    pub generation: i32,
}

fn partitions(r: &mut Reader<'_>) -> Result<BTreeSet<TopicPartition>, WireError> {
    let mut out = BTreeSet::new();
    for _ in 0..r.array_len(6)?.unwrap_or(0) {
        let topic = r.string()?;
        for _ in 0..r.array_len(4)?.unwrap_or(0) {
            let p = r.i32()?;
            let p = u32::try_from(p)
                .map_err(|_| WireError(format!("partition {p} of {topic} is negative")))?;
            out.insert(TopicPartition::new(&topic, p));
        }
    }
    Ok(out)
}

fn write_partitions(w: &mut Writer, tps: &BTreeSet<TopicPartition>) {
    let mut by_topic: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for tp in tps {
        by_topic.entry(&tp.topic).or_default().push(tp.partition);
    }
    w.array_len(by_topic.len());
    for (topic, ps) in by_topic {
        w.string(topic).array_len(ps.len());
        for p in ps {
            w.i32(i32::try_from(p).unwrap_or(i32::MAX));
        }
    }
}

pub fn decode_subscription(bytes: &[u8]) -> Result<Subscription, WireError> {
    let mut r = Reader::new(bytes);
    let version = r.i16()?;
    if version < 0 {
        return Err(WireError(format!("subscription version {version}")));
    }
    let mut topics = Vec::new();
    for _ in 0..r.array_len(2)?.unwrap_or(0) {
        topics.push(r.string()?);
    }
    let _user_data = r.nullable_bytes()?;
    let mut sub = Subscription {
        topics,
        owned: BTreeSet::new(),
        generation: -1,
    };
    if version >= 1 {
        sub.owned = partitions(&mut r)?;
    }
    if version >= 2 {
        sub.generation = r.i32()?;
    }
    Ok(sub)
}

/// Subscription v2 (what the Java client 3.x sends).
pub fn encode_subscription(sub: &Subscription) -> Vec<u8> {
    let mut w = Writer::default();
    w.i16(2).array_len(sub.topics.len());
    for t in &sub.topics {
        w.string(t);
    }
    w.nullable_bytes(None);
    write_partitions(&mut w, &sub.owned);
    w.i32(sub.generation);
    w.buf
}

pub fn decode_assignment(bytes: &[u8]) -> Result<BTreeSet<TopicPartition>, WireError> {
    // An empty assignment is what the coordinator hands a member the leader left out.
    if bytes.is_empty() {
        return Ok(BTreeSet::new());
    }
    let mut r = Reader::new(bytes);
    let version = r.i16()?;
    if version < 0 {
        return Err(WireError(format!("assignment version {version}")));
    }
    partitions(&mut r)
}

pub fn encode_assignment(tps: &BTreeSet<TopicPartition>) -> Vec<u8> {
    let mut w = Writer::default();
    w.i16(0);
    write_partitions(&mut w, tps);
    w.nullable_bytes(None);
    w.buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_and_assignments_round_trip() {
        let sub = Subscription {
            topics: vec!["orders".into(), "payments".into()],
            owned: [
                TopicPartition::new("orders", 2),
                TopicPartition::new("orders", 0),
            ]
            .into_iter()
            .collect(),
            generation: 7,
        };
        assert_eq!(
            decode_subscription(&encode_subscription(&sub)).unwrap(),
            sub
        );
        let tps = sub.owned.clone();
        assert_eq!(decode_assignment(&encode_assignment(&tps)).unwrap(), tps);
        assert!(decode_assignment(&[]).unwrap().is_empty());
    }

    #[test]
    fn a_v0_subscription_has_no_owned_partitions_and_no_generation() {
        // librdkafka's and kafka-python's eager assignors send v0: topics and user data.
        let mut w = Writer::default();
        w.i16(0)
            .array_len(1)
            .string("t")
            .nullable_bytes(Some(b"ud"));
        let sub = decode_subscription(&w.buf).unwrap();
        assert_eq!(sub.topics, vec!["t".to_string()]);
        assert!(sub.owned.is_empty());
        assert_eq!(sub.generation, -1);
    }

    #[test]
    fn hostile_metadata_is_an_error_not_an_allocation() {
        let mut w = Writer::default();
        w.i16(1).i32(i32::MAX);
        assert!(decode_subscription(&w.buf).is_err());
        let mut w = Writer::default();
        w.i16(0).array_len(1).string("t").array_len(1).i32(-4);
        assert!(decode_assignment(&w.buf).is_err());
        // Cut anywhere before the trailing user data, an assignment is refused.
        let full = encode_assignment(&[TopicPartition::new("t", 1)].into());
        for n in 1..full.len() - 4 {
            assert!(decode_assignment(&full[..n]).is_err(), "{n}");
        }
    }
}
