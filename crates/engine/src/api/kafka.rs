//! The Kafka broker's side of the protocol, in the engine's terms: what a broker answers to
//! Metadata, Produce, Fetch, ListOffsets and CreateTopics sent to it by a real client. The
//! wire encoding is the front door's business; this decides every answer from the cluster's
//! state (which broker leads, which is up, the ISR, the high watermark), so a stopped leader,
//! a shrunken ISR or a leader change reach a real client as they reach the engine's own.

use crate::kafka::cluster::{Acks, Appended, BrokerId, OffsetSpec};
use crate::kafka::coordinator::{CoordinatorKind, CoordinatorStatus};
use crate::kafka::error::{ErrorCode, KafkaError, Result};
use crate::kafka::log::{Batch, ClientRecord, NO_KEY, Rec, Writer};
use crate::kafka::records::Records;
use crate::kafka::world::Kafka;
use crate::time::{SimTime, epoch_unix_seconds};

/// The client index batches written through the door are accounted to.
pub const DOOR_CLIENT: u32 = u32::MAX - 1;
/// Largest record a fetch synthesises for a simulated record (which carries no bytes).
const SIMULATED_VALUE_BYTES_MAX: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerView {
    pub id: BrokerId,
    /// Running (a stopped or paused broker is listed, but does not answer).
    pub up: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionView {
    pub index: u32,
    pub error: Option<ErrorCode>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: u32,
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    /// Replicas on brokers that are not running.
    pub offline: Vec<BrokerId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicView {
    pub name: String,
    pub error: Option<ErrorCode>,
    pub partitions: Vec<PartitionView>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataView {
    pub brokers: Vec<BrokerView>,
    /// The controller as clients see it (none while no broker is up).
    pub controller: Option<BrokerId>,
    pub topics: Vec<TopicView>,
}

/// `Metadata`: the brokers, the controller, and the topics asked for (`None`: every topic).
pub fn metadata(kafka: &Kafka, topics: Option<&[String]>) -> MetadataView {
    let cluster = &kafka.cluster;
    let brokers: Vec<BrokerView> = cluster
        .brokers
        .values()
        .map(|b| BrokerView {
            id: b.id,
            up: b.is_up(),
        })
        .collect();
    let up = |id: BrokerId| brokers.iter().any(|b| b.id == id && b.up);
    let names: Vec<String> = match topics {
        Some(names) => names.to_vec(),
        // Every topic but the internal ones, as a broker lists them.
        None => cluster
            .topics
            .keys()
            .filter(|n| !n.starts_with("__"))
            .cloned()
            .collect(),
    };
    let topics = names
        .into_iter()
        .map(|name| match cluster.topic(&name) {
            Err(e) => TopicView {
                name,
                error: Some(e.code),
                partitions: Vec::new(),
            },
            Ok(t) => TopicView {
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| {
                        let replicas = p.replica_ids();
                        PartitionView {
                            index: p.index,
                            error: match p.leader {
                                Some(l) if up(l) => None,
                                _ => Some(ErrorCode::LeaderNotAvailable),
                            },
                            leader: p.leader,
                            leader_epoch: p.leader_epoch,
                            offline: replicas.iter().copied().filter(|&r| !up(r)).collect(),
                            replicas,
                            isr: p.isr.clone(),
                        }
                    })
                    .collect(),
                name,
                error: None,
            },
        })
        .collect();
    // With KRaft the controllers are not brokers a client can reach: a broker names one of
    // the live brokers instead (which forwards admin requests to the quorum).
    let controller = cluster
        .controller_broker()
        .or_else(|| brokers.iter().find(|b| b.up).map(|b| b.id));
    MetadataView {
        brokers,
        controller,
        topics,
    }
}

/// The key id of a client's key: its text when it is UTF-8, else its bytes in hex (so two
/// keys are the same key exactly when their bytes are). Borrowed when it is text, as most are.
fn key_name(key: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(key) {
        Ok(text) if !text.starts_with("0x") => std::borrow::Cow::Borrowed(text),
        _ => {
            let mut hex = String::with_capacity(2 + key.len() * 2);
            hex.push_str("0x");
            for b in key {
                hex.push_str(&format!("{b:02x}"));
            }
            std::borrow::Cow::Owned(hex)
        }
    }
}

/// `Produce` of one partition's batch, sent to `broker`. The answer for `acks=all` comes once
/// [`Cluster::ack_state`](crate::kafka::cluster::Cluster::ack_state) says the batch is
/// committed; the door waits for it and then calls
/// [`Cluster::mark_acked`](crate::kafka::cluster::Cluster::mark_acked).
#[allow(clippy::too_many_arguments)]
pub fn produce(
    kafka: &mut Kafka,
    broker: BrokerId,
    topic: &str,
    partition: u32,
    acks: Acks,
    records: Vec<ClientRecord>,
    writer: Writer,
    now: SimTime,
) -> Result<Appended> {
    leads(kafka, broker, topic, partition)?;
    if records.is_empty() {
        return Err(KafkaError::new(
            ErrorCode::InvalidRecord,
            "a produce request's batch holds no records",
        ));
    }
    let mut recs = Vec::with_capacity(records.len());
    let mut bytes = 0u64;
    for (i, r) in records.iter().enumerate() {
        let key = match &r.key {
            Some(k) => kafka.keys.intern(&key_name(k))?,
            None => NO_KEY,
        };
        let key_seq = if key == NO_KEY {
            0
        } else {
            kafka.ids.next_key_seq(key)
        };
        let size = u32::try_from(r.wire_bytes().max(1)).unwrap_or(u32::MAX);
        bytes += u64::from(size);
        recs.push(Rec {
            offset_delta: u32::try_from(i).unwrap_or(u32::MAX),
            key,
            size,
            key_seq,
        });
    }
    let batch_id = kafka.ids.next_batch;
    kafka.ids.next_batch += 1;
    let batch = Batch {
        base_offset: 0,
        count: u32::try_from(recs.len()).unwrap_or(u32::MAX),
        records: Records::from_recs(&recs),
        values: Vec::new(),
        payloads: records.into_boxed_slice(),
        flow_size: 0,
        bytes,
        timestamp: now,
        writer,
        control: None,
        batch_id,
        leader_epoch: 0,
        client: DOOR_CLIENT,
        acked: false,
        cum_bytes: 0,
    };
    kafka.cluster.produce(topic, partition, acks, batch, now)
}

/// A record as a fetch returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedRecord {
    pub offset: u64,
    pub timestamp_ms: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    pub producer_id: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub high_watermark: u64,
    pub last_stable_offset: u64,
    pub log_start_offset: u64,
    pub records: Vec<FetchedRecord>,
}

/// Unix milliseconds of a virtual instant.
pub fn unix_millis(t: SimTime) -> i64 {
    let millis = epoch_unix_seconds()
        .saturating_mul(1_000)
        .saturating_add(t.as_millis());
    i64::try_from(millis).unwrap_or(i64::MAX)
}

/// The virtual instant of Unix milliseconds (before virtual time zero: zero).
pub fn from_unix_millis(ms: i64) -> SimTime {
    let zero = epoch_unix_seconds().saturating_mul(1_000);
    let ms = u64::try_from(ms).unwrap_or(0);
    SimTime::from_millis(ms.saturating_sub(zero))
}

/// `Fetch` of one partition from `offset`, sent to `broker`: records below the high watermark
/// (the last stable offset for `read_committed`, whose aborted records are left out), about
/// `max_bytes` of them (always at least one).
pub fn fetch(
    kafka: &Kafka,
    broker: BrokerId,
    topic: &str,
    partition: u32,
    offset: u64,
    max_bytes: u64,
    read_committed: bool,
) -> Result<Fetched> {
    leads(kafka, broker, topic, partition)?;
    let p = kafka.cluster.partition(topic, partition)?;
    let log = &p.log;
    let high_watermark = p.high_watermark;
    let last_stable_offset = log.last_stable_offset(high_watermark);
    if offset < log.start_offset || offset > high_watermark {
        return Err(KafkaError::new(
            ErrorCode::OffsetOutOfRange,
            format!(
                "offset {offset} is out of range for {topic}-{partition} ({}..{high_watermark})",
                log.start_offset
            ),
        ));
    }
    let upper = if read_committed {
        last_stable_offset
    } else {
        high_watermark
    };
    let mut records = Vec::new();
    let mut bytes = 0u64;
    let max_records = (max_bytes / 16).clamp(1, 100_000);
    log.read(offset, upper, max_records, read_committed, |view| {
        for i in 0..view.count {
            if bytes >= max_bytes && !records.is_empty() {
                return;
            }
            let record = match view.payload {
                Some(own) => FetchedRecord {
                    offset: view.offset + i,
                    timestamp_ms: own.timestamp_ms,
                    key: own.key.as_deref().map(<[u8]>::to_vec),
                    value: own.value.as_deref().map(<[u8]>::to_vec),
                    headers: own
                        .headers
                        .iter()
                        .map(|(k, v)| (k.to_vec(), v.as_deref().map(<[u8]>::to_vec)))
                        .collect(),
                    producer_id: view.producer_id,
                },
                None => FetchedRecord {
                    offset: view.offset + i,
                    timestamp_ms: unix_millis(view.timestamp),
                    key: (view.key != NO_KEY)
                        .then(|| kafka.keys.name(view.key).unwrap_or("").as_bytes().to_vec()),
                    value: Some(match view.value {
                        Some(text) => text.as_bytes().to_vec(),
                        None => vec![b'.'; (view.size as usize).min(SIMULATED_VALUE_BYTES_MAX)],
                    }),
                    headers: Vec::new(),
                    producer_id: view.producer_id,
                },
            };
            bytes += record.key.as_ref().map_or(0, Vec::len) as u64
                + record.value.as_ref().map_or(0, Vec::len) as u64
                + 16;
            records.push(record);
        }
    });
    Ok(Fetched {
        high_watermark,
        last_stable_offset,
        log_start_offset: log.start_offset,
        records,
    })
}

/// `ListOffsets` of one partition, sent to `broker`: `-2` earliest, `-1` latest, else the
/// first offset at or after a Unix-millisecond timestamp. Returns the offset and the
/// timestamp it answers with.
pub fn list_offsets(
    kafka: &Kafka,
    broker: BrokerId,
    topic: &str,
    partition: u32,
    timestamp: i64,
) -> Result<(u64, i64)> {
    leads(kafka, broker, topic, partition)?;
    let spec = match timestamp {
        -2 => OffsetSpec::Earliest,
        -1 => OffsetSpec::Latest,
        t if t < 0 => {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("ListOffsets timestamp {t} is not -1, -2 or a time"),
            ));
        }
        t => OffsetSpec::Timestamp(from_unix_millis(t)),
    };
    let offset = kafka.cluster.list_offset(topic, partition, spec)?;
    Ok((offset, if timestamp < 0 { -1 } else { timestamp }))
}

/// `InitProducerId` for an idempotent producer (no `transactional.id`): a new producer id at
/// epoch 0, whose batches' sequence numbers the partitions' leaders then check (duplicates
/// acknowledged without a second write, gaps refused).
pub fn init_producer_id(kafka: &mut Kafka) -> (u64, u16) {
    let id = kafka.ids.next_producer;
    kafka.ids.next_producer += 1;
    (id, 0)
}

/// The request for `key` went to `broker`: it must host `key`'s coordinator, loaded.
pub fn coordinates(
    kafka: &Kafka,
    kind: CoordinatorKind,
    broker: BrokerId,
    key: &str,
    now: SimTime,
) -> Result<()> {
    let (partition, status) = kafka.cluster.coordinator_of(kind, key, now);
    match status {
        // Another broker hosts it (serving or loading): the client looks it up again.
        CoordinatorStatus::Ready { broker: b, .. }
        | CoordinatorStatus::Loading { broker: b, .. }
            if b != broker =>
        {
            Err(KafkaError::new(
                ErrorCode::NotCoordinator,
                format!("broker {broker} is not the coordinator of '{key}'"),
            ))
        }
        _ => status.error(kind, partition, key).map_or(Ok(()), Err),
    }
}

/// The request for a partition went to `broker`: it must be that partition's leader, up.
fn leads(kafka: &Kafka, broker: BrokerId, topic: &str, partition: u32) -> Result<()> {
    let p = kafka.cluster.partition(topic, partition)?;
    match p.leader {
        Some(leader) if leader == broker => Ok(()),
        Some(leader) => Err(KafkaError::new(
            ErrorCode::NotLeaderOrFollower,
            format!(
                "broker {broker} is not the leader of {topic}-{partition} (broker {leader} is)"
            ),
        )),
        None => Err(KafkaError::new(
            ErrorCode::LeaderNotAvailable,
            format!("{topic}-{partition} has no leader"),
        )),
    }
}

/// `CreateTopics` of one topic (`-1` partitions or replication factor: the broker's defaults,
/// `num.partitions=1` and `default.replication.factor=1`). With `validate_only` the checks
/// run and nothing is created.
pub fn create_topic(
    kafka: &mut Kafka,
    name: &str,
    partitions: i32,
    replication_factor: i16,
    configs: &[(String, String)],
    validate_only: bool,
    now: SimTime,
) -> Result<()> {
    let partitions = match partitions {
        -1 => 1,
        n => u32::try_from(n).map_err(|_| {
            KafkaError::new(
                ErrorCode::InvalidPartitions,
                format!("Number of partitions was set to an invalid non-positive value ({n})."),
            )
        })?,
    };
    let replication_factor = match replication_factor {
        -1 => 1,
        n => u32::try_from(n).map_err(|_| {
            KafkaError::new(
                ErrorCode::InvalidReplicationFactor,
                format!("Replication factor must be larger than 0 ({n})."),
            )
        })?,
    };
    if validate_only {
        return kafka
            .cluster
            .check_new_topic(name, partitions, replication_factor, configs, now)
            .map(|_| ());
    }
    kafka
        .cluster
        .create_topic(name, partitions, replication_factor, configs, now)
}

/// `DeleteTopics` of one topic.
pub fn delete_topic(kafka: &mut Kafka, name: &str, now: SimTime) -> Result<()> {
    kafka.cluster.delete_topic(name, now)
}

/// `DescribeConfigs` of a topic: every config with its value and whether the topic sets it.
pub fn topic_configs(kafka: &Kafka, name: &str) -> Result<Vec<crate::kafka::cluster::ConfigEntry>> {
    let topic = kafka.cluster.topic(name)?;
    Ok(topic.config.entries(&kafka.cluster.defaults))
}
