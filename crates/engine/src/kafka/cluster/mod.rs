//! The brokers and the controller: topics, partitions and their replicas, leaders and ISR,
//! the high watermark, replication within each broker's disk and network budget, elections
//! (clean from the ISR, or unclean), controller failover (KRaft or ZooKeeper), retention and
//! the log cleaner.
//!
//! Modelling choices (each named as a constant below):
//! - A follower copies whole batches from the leader once per tick, within what is left of
//!   its broker's disk and network budget after the leaders on that broker have written
//!   their producers' data, and of the leader's outbound network. Hosting a replica costs a
//!   fixed slice of disk throughput (flushes, index writes) and every segment roll costs a
//!   fixed amount, which is why "fewer partitions per broker" and larger segments give
//!   replication headroom.
//! - The controller notices a crashed broker when its session times out
//!   (`broker.session.timeout.ms`, 9 s, in KRaft; `zookeeper.session.timeout.ms`, 18 s, with
//!   ZooKeeper). A KRaft controller failover takes a quorum election (3 s) whatever the
//!   partition count; a ZooKeeper controller must first read every partition's state from
//!   ZooKeeper ([`ZK_LOAD_PER_PARTITION`], calibrated to the guide's "minutes on a
//!   5K-partition cluster"). While no controller is ready (or ZooKeeper has no quorum) there
//!   are no elections and no ISR changes.
//! - The group and transaction coordinators sit on the leaders of the partitions of
//!   `__consumer_offsets` and `__transaction_state`, which the cluster keeps virtual (see
//!   [`super::coordinator`]): their leaders are elected by the same controller with the same
//!   rule as a topic's, but they hold no log and are not counted among the partitions.
//! - The log cleaner of each broker cleans the compacted partitions it leads, at
//!   `log.cleaner.threads` x [`CLEANER_THREAD_BYTES_PER_SEC`], capped by
//!   `log.cleaner.io.max.bytes.per.second`; a pass reads and rewrites every closed segment.

mod brokers;
mod cleaner;
mod config;
mod controller;
mod produce;
mod replication;
mod topics;

pub use config::{BrokerConfig, ConfigEntry, TopicConfig, parse_bool};
pub use produce::{AckState, Acks, Appended, OffsetSpec};

use super::coordinator::{
    CoordinatorKind, CoordinatorPartition, INTERNAL_TOPIC_REPLICATION_FACTOR,
};
use super::error::{ErrorCode, KafkaError, Result};
use super::log::Log;
use crate::metrics::MetricSet;
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub type BrokerId = u32;

/// Brokers one cluster may have ([`crate::budget::BROKERS`]).
pub const BROKERS_MAX: u32 = crate::budget::BROKERS;
/// Partitions one cluster may have ([`crate::budget::PARTITIONS_PER_CLUSTER`]).
pub const PARTITIONS_MAX: usize = crate::budget::PARTITIONS_PER_CLUSTER;
/// Cluster events kept for the event log.
pub const EVENTS_MAX: usize = 10_000;
/// A disk slice each hosted replica costs per second (flushes, index and metadata writes).
pub const REPLICA_DISK_OVERHEAD_BYTES_PER_SEC: u64 = 64 * 1024;
/// Disk cost of rolling a segment (creating and preallocating its index files).
pub const SEGMENT_ROLL_DISK_BYTES: u64 = 1 << 20;
/// What one cleaner thread can read and rewrite per second.
pub const CLEANER_THREAD_BYTES_PER_SEC: u64 = 16 << 20;
/// KRaft: a controller failover is a quorum election
/// (`controller.quorum.fetch.timeout.ms` 2 s + election 1 s).
pub const KRAFT_CONTROLLER_FAILOVER: SimDuration = SimDuration::from_secs(3);
/// ZooKeeper: a new controller reads each partition's state from ZooKeeper.
pub const ZK_LOAD_PER_PARTITION: SimDuration = SimDuration::from_millis(20);
/// ZooKeeper ensemble size.
pub const ZK_NODES: usize = 3;
/// How often retention is enforced (`log.retention.check.interval.ms`).
pub const RETENTION_CHECK_INTERVAL: SimDuration = SimDuration::from_secs(300);
/// Largest batch a topic accepts by default (`max.message.bytes`).
pub const MAX_MESSAGE_BYTES_DEFAULT: u64 = 1_048_588;
/// What a follower's fetch sees: the leader's log as it was this long ago (a fetch's round
/// trip within a data centre: the follower's fetch is parked at the leader and answered as
/// soon as records arrive). Records the leader appended since are on the leader alone, so
/// acks=1 loses them if it dies now, and acks=all waits at least this long. Shorter than the
/// Kafka tick, so the simulation's own producers, which append at tick times, replicate at
/// the next tick as they always did; a real client's records, appended between ticks, wait
/// the round trip.
pub const REPLICA_FETCH_LAG: SimDuration = SimDuration::from_millis(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataMode {
    KRaft,
    ZooKeeper,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerState {
    Running,
    /// Shut down (cleanly or not): connections are refused.
    Stopped,
    /// Alive but unresponsive (a long GC or VM pause) until the given time.
    Paused(SimTime),
}

#[derive(Clone, Debug)]
pub struct Broker {
    pub id: BrokerId,
    pub state: BrokerState,
    /// The controller has removed the broker from the cluster (session expired or shut
    /// down) and not yet readmitted it.
    pub fenced: bool,
    /// When the broker stopped answering (crash, pause), for the session timeout.
    pub unresponsive_since: Option<SimTime>,
    /// Its session expired while it was away; the controller must treat it as failed (move
    /// its leaderships) even if it is back before the controller gets to it.
    session_expired: bool,
    pub config: BrokerConfig,
    disk_left: i64,
    net_in_left: i64,
    net_out_left: i64,
    /// (topic, partition, bytes left to process, clean up to this offset).
    cleaner_job: Option<(String, u32, u64, u64)>,
    pub metrics: MetricSet,
}

impl Broker {
    pub fn is_up(&self) -> bool {
        self.state == BrokerState::Running
    }
}

/// One replica of a partition: where its copy of the log ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replica {
    pub broker: BrokerId,
    pub leo: u64,
    pub last_caught_up: SimTime,
    /// Bytes already fetched towards the next batch (a batch larger than one tick's budget).
    credit: u64,
}

#[derive(Clone, Debug)]
pub struct Partition {
    pub index: u32,
    pub replicas: Vec<Replica>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: u32,
    pub isr: Vec<BrokerId>,
    pub high_watermark: u64,
    pub log: Log,
    /// Nothing to replicate and nothing to re-admit: the tick can skip the partition. Not
    /// quiet means listed in `Cluster::active` (every change that wakes a partition does both).
    quiet: bool,
    pub metrics: MetricSet,
}

impl Partition {
    pub fn replica(&self, b: BrokerId) -> Option<&Replica> {
        self.replicas.iter().find(|r| r.broker == b)
    }
    pub fn replica_ids(&self) -> Vec<BrokerId> {
        self.replicas.iter().map(|r| r.broker).collect()
    }
    /// The first offset `read_committed` consumers may not read.
    pub fn last_stable_offset(&self) -> u64 {
        self.log.last_stable_offset(self.high_watermark)
    }
    /// The end of what a consumer may read.
    pub fn visible_end(&self, read_committed: bool) -> u64 {
        if read_committed {
            self.last_stable_offset()
        } else {
            self.high_watermark
        }
    }
}

#[derive(Clone, Debug)]
pub struct Topic {
    pub name: String,
    pub id: u32,
    pub replication_factor: u32,
    pub partitions: Vec<Partition>,
    pub config: TopicConfig,
    pub metrics: MetricSet,
}

#[derive(Clone, Debug)]
struct ControllerState {
    /// No controller acts before this time (a failover in progress).
    ready_at: SimTime,
    /// ZooKeeper mode: the broker that is the controller.
    broker: Option<BrokerId>,
    zk_up: [bool; ZK_NODES],
    failovers: u64,
}

/// A cluster event for the event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterEvent {
    pub at: SimTime,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub mode: MetadataMode,
    pub brokers: BTreeMap<BrokerId, Broker>,
    pub topics: BTreeMap<String, Topic>,
    pub defaults: BrokerConfig,
    controller: ControllerState,
    next_topic_id: u32,
    last_tick: SimTime,
    next_retention_check: SimTime,
    rotation: usize,
    pub events: VecDeque<ClusterEvent>,
    /// Events ever logged (the deque keeps the last [`EVENTS_MAX`]).
    pub events_total: u64,
    /// Partitions that are not quiet (something to replicate, an ISR to update): the tick
    /// visits only these, so an idle partition costs nothing.
    active: BTreeSet<(String, u32)>,
    /// The second the partition gauges were last counted for.
    gauges_sec: Option<u64>,
    /// Replicas hosted per broker (recomputed when topics change).
    replicas_per_broker: BTreeMap<BrokerId, u64>,
    /// Something the controller must look at (a broker changed state, an election may be
    /// due); cleared when a pass finds nothing left to do.
    controller_work: bool,
    /// Acknowledged records lost, by client index.
    pub lost_by_client: BTreeMap<u32, u64>,
    /// The partitions of the virtual `__consumer_offsets` and `__transaction_state` topics,
    /// by [`CoordinatorKind::index`].
    coordinator_partitions: [Vec<CoordinatorPartition>; 2],
    pub metrics: MetricSet,
}

fn tp(topic: &str, p: u32) -> String {
    format!("{topic}-{p}")
}

fn list(ids: &[BrokerId]) -> String {
    let v: Vec<String> = ids.iter().map(ToString::to_string).collect();
    format!("[{}]", v.join(","))
}

impl Cluster {
    pub fn new(brokers: u32, mode: MetadataMode, now: SimTime) -> Result<Cluster> {
        if brokers == 0 {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                "a cluster has at least 1 broker",
            ));
        }
        if brokers > BROKERS_MAX {
            return Err(KafkaError::limit(crate::budget::refusal(
                format_args!("a cluster of {brokers} brokers"),
                u64::from(BROKERS_MAX),
                "brokers",
                "BROKERS",
                "",
            )));
        }
        let defaults = BrokerConfig::defaults(mode);
        let brokers: BTreeMap<BrokerId, Broker> = (1..=brokers)
            .map(|id| {
                (
                    id,
                    Broker {
                        id,
                        state: BrokerState::Running,
                        fenced: false,
                        unresponsive_since: None,
                        session_expired: false,
                        config: defaults.clone(),
                        disk_left: 0,
                        net_in_left: 0,
                        net_out_left: 0,
                        cleaner_job: None,
                        metrics: MetricSet::default(),
                    },
                )
            })
            .collect();
        let mut cluster = Cluster {
            mode,
            controller: ControllerState {
                ready_at: now,
                broker: (mode == MetadataMode::ZooKeeper).then_some(1),
                zk_up: [true; ZK_NODES],
                failovers: 0,
            },
            brokers,
            topics: BTreeMap::new(),
            defaults,
            next_topic_id: 0,
            last_tick: now,
            next_retention_check: now + RETENTION_CHECK_INTERVAL,
            rotation: 0,
            events: VecDeque::new(),
            events_total: 0,
            active: BTreeSet::new(),
            gauges_sec: None,
            replicas_per_broker: BTreeMap::new(),
            controller_work: false,
            lost_by_client: BTreeMap::new(),
            coordinator_partitions: [Vec::new(), Vec::new()],
            metrics: MetricSet::default(),
        };
        // The internal topics exist from the start, placed as a topic created now would be.
        let rf = INTERNAL_TOPIC_REPLICATION_FACTOR.min(cluster.brokers.len() as u32);
        for kind in [CoordinatorKind::Group, CoordinatorKind::Transaction] {
            cluster.coordinator_partitions[kind.index()] = cluster
                .place(0, kind.partitions(), rf)
                .into_iter()
                .map(|replicas| CoordinatorPartition::new(replicas, now))
                .collect();
        }
        Ok(cluster)
    }

    /// Adds a line to the cluster's event log (e.g. from the transaction coordinator).
    pub fn log_event(&mut self, at: SimTime, text: String) {
        self.event(at, text);
    }

    fn event(&mut self, at: SimTime, text: String) {
        self.events_total += 1;
        if self.events.len() >= EVENTS_MAX {
            self.events.pop_front();
        }
        self.events.push_back(ClusterEvent { at, text });
    }

    /// Partitions the next tick will visit.
    pub fn active_partitions(&self) -> usize {
        self.active.len()
    }

    pub fn partition_count(&self) -> usize {
        self.topics.values().map(|t| t.partitions.len()).sum()
    }

    fn logs(&self) -> impl Iterator<Item = &Log> {
        self.topics
            .values()
            .flat_map(|t| &t.partitions)
            .map(|p| &p.log)
    }

    /// Records held one by one in every partition's log.
    pub fn stored_records(&self) -> u64 {
        self.logs().map(|l| l.stored_records).sum()
    }

    /// Memory every partition's log takes (see [`crate::budget::RETAINED_BYTES`]).
    pub fn stored_bytes(&self) -> u64 {
        self.logs().map(|l| l.stored_bytes).sum()
    }

    fn min_insync(&self, t: &Topic) -> u32 {
        t.config
            .min_insync_replicas
            .unwrap_or(self.defaults.min_insync_replicas)
    }

    fn unclean(&self, t: &Topic) -> bool {
        t.config
            .unclean_leader_election
            .unwrap_or(self.defaults.unclean_leader_election)
    }

    pub fn topic(&self, name: &str) -> Result<&Topic> {
        self.topics.get(name).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::UnknownTopicOrPartition,
                format!("Topic '{name}' does not exist"),
            )
        })
    }

    pub fn partition(&self, topic: &str, p: u32) -> Result<&Partition> {
        self.topic(topic)?
            .partitions
            .get(p as usize)
            .ok_or_else(|| {
                KafkaError::new(
                    ErrorCode::UnknownTopicOrPartition,
                    format!("Partition {p} of topic '{topic}' does not exist"),
                )
            })
    }

    fn partition_mut(&mut self, topic: &str, p: u32) -> Result<&mut Partition> {
        self.topics
            .get_mut(topic)
            .and_then(|t| t.partitions.get_mut(p as usize))
            .ok_or_else(|| {
                KafkaError::new(
                    ErrorCode::UnknownTopicOrPartition,
                    format!("This server does not host this topic-partition: {topic}-{p}"),
                )
            })
    }

    pub fn broker(&self, id: BrokerId) -> Result<&Broker> {
        self.brokers.get(&id).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::BrokerNotAvailable,
                format!("broker {id} does not exist"),
            )
        })
    }
}
