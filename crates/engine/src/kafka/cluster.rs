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

use super::coordinator::{
    COORDINATOR_LOAD_TIME, CoordinatorKind, CoordinatorPartition, CoordinatorStatus,
    INTERNAL_TOPIC_REPLICATION_FACTOR,
};
use super::error::{ErrorCode, KafkaError, Result};
use super::log::{Batch, CleanupPolicy, Log, LogConfig, NO_KEY, SequenceCheck, SequenceError};
use crate::metrics::{Metric, MetricSet};
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub type BrokerId = u32;

/// Brokers one cluster may have.
pub const BROKERS_MAX: u32 = 100;
/// Partitions one cluster may have.
pub const PARTITIONS_MAX: usize = 100_000;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acks {
    None,
    Leader,
    All,
}

impl Acks {
    pub fn parse(s: &str) -> Option<Acks> {
        match s {
            "0" => Some(Acks::None),
            "1" => Some(Acks::Leader),
            "all" | "-1" => Some(Acks::All),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        }
    }
}

/// Broker configs (cluster-wide defaults, overridable per broker where it makes sense).
#[derive(Clone, Debug, PartialEq)]
pub struct BrokerConfig {
    pub replica_lag_time_max: SimDuration,
    pub unclean_leader_election: bool,
    pub min_insync_replicas: u32,
    pub cleaner_threads: u32,
    pub cleaner_io_max_bytes_per_sec: Option<u64>,
    pub session_timeout: SimDuration,
    /// Hardware, not a Kafka config: what the broker's disk can write per second.
    pub disk_bytes_per_sec: u64,
    /// Hardware: the NIC's bytes per second in each direction.
    pub network_bytes_per_sec: u64,
}

impl BrokerConfig {
    fn defaults(mode: MetadataMode) -> Self {
        BrokerConfig {
            replica_lag_time_max: SimDuration::from_secs(30),
            unclean_leader_election: false,
            min_insync_replicas: 1,
            cleaner_threads: 1,
            cleaner_io_max_bytes_per_sec: None,
            session_timeout: match mode {
                MetadataMode::KRaft => SimDuration::from_secs(9),
                MetadataMode::ZooKeeper => SimDuration::from_secs(18),
            },
            disk_bytes_per_sec: 500 << 20,
            network_bytes_per_sec: 1_250_000_000,
        }
    }
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

/// Topic-level configs.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicConfig {
    pub log: LogConfig,
    pub min_insync_replicas: Option<u32>,
    pub unclean_leader_election: Option<bool>,
    pub max_message_bytes: u64,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            log: LogConfig::default(),
            min_insync_replicas: None,
            unclean_leader_election: None,
            max_message_bytes: MAX_MESSAGE_BYTES_DEFAULT,
        }
    }
}

impl TopicConfig {
    /// Applies one `key=value` topic config.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = || {
            KafkaError::new(
                ErrorCode::InvalidConfig,
                format!("Invalid value {value} for configuration {key}"),
            )
        };
        let num = || value.parse::<i64>().map_err(|_| bad());
        let ms = || -> Result<Option<SimDuration>> {
            let v = num()?;
            match v {
                -1 => Ok(None),
                v if v >= 0 => Ok(Some(SimDuration::from_millis(v as u64))),
                _ => Err(bad()),
            }
        };
        match key {
            "retention.ms" => self.log.retention = ms()?,
            "retention.bytes" => {
                let v = num()?;
                self.log.retention_bytes = if v < 0 { None } else { Some(v as u64) };
            }
            "segment.bytes" => {
                let v = num()?;
                if v < 14 {
                    return Err(bad());
                }
                self.log.segment_bytes = v as u64;
            }
            "segment.ms" => self.log.segment_ms = ms()?.ok_or_else(bad)?.max(SimDuration(1)),
            "cleanup.policy" => {
                self.log.cleanup_policy = CleanupPolicy::parse(value).ok_or_else(bad)?;
            }
            "min.cleanable.dirty.ratio" => {
                let r: f64 = value.parse().map_err(|_| bad())?;
                if !(0.0..=1.0).contains(&r) {
                    return Err(bad());
                }
                self.log.min_cleanable_dirty_ratio = r;
            }
            "delete.retention.ms" => self.log.delete_retention = ms()?.ok_or_else(bad)?,
            "min.insync.replicas" => {
                let v = num()?;
                if v < 1 {
                    return Err(bad());
                }
                self.min_insync_replicas = Some(v as u32);
            }
            "unclean.leader.election.enable" => {
                self.unclean_leader_election = Some(parse_bool(value).ok_or_else(bad)?);
            }
            "max.message.bytes" => {
                let v = num()?;
                if v < 0 {
                    return Err(bad());
                }
                self.max_message_bytes = v as u64;
            }
            _ => {
                return Err(KafkaError::new(
                    ErrorCode::InvalidConfig,
                    format!("Unknown topic config name: {key}"),
                ));
            }
        }
        Ok(())
    }

    /// The configs that differ from the defaults, as `kafka-configs --describe` lists them.
    pub fn overrides(&self) -> Vec<(String, String)> {
        let d = TopicConfig::default();
        let ms = |v: Option<SimDuration>| v.map_or("-1".to_string(), |d| (d.0 / 1000).to_string());
        let mut out = vec![];
        if self.log.retention != d.log.retention {
            out.push(("retention.ms".into(), ms(self.log.retention)));
        }
        if self.log.retention_bytes != d.log.retention_bytes {
            out.push((
                "retention.bytes".into(),
                self.log
                    .retention_bytes
                    .map_or("-1".to_string(), |b| b.to_string()),
            ));
        }
        if self.log.segment_bytes != d.log.segment_bytes {
            out.push(("segment.bytes".into(), self.log.segment_bytes.to_string()));
        }
        if self.log.segment_ms != d.log.segment_ms {
            out.push(("segment.ms".into(), ms(Some(self.log.segment_ms))));
        }
        if self.log.cleanup_policy != d.log.cleanup_policy {
            out.push((
                "cleanup.policy".into(),
                self.log.cleanup_policy.name().into(),
            ));
        }
        if self.log.min_cleanable_dirty_ratio.to_bits() != d.log.min_cleanable_dirty_ratio.to_bits()
        {
            out.push((
                "min.cleanable.dirty.ratio".into(),
                self.log.min_cleanable_dirty_ratio.to_string(),
            ));
        }
        if self.log.delete_retention != d.log.delete_retention {
            out.push((
                "delete.retention.ms".into(),
                ms(Some(self.log.delete_retention)),
            ));
        }
        if let Some(m) = self.min_insync_replicas {
            out.push(("min.insync.replicas".into(), m.to_string()));
        }
        if let Some(u) = self.unclean_leader_election {
            out.push(("unclean.leader.election.enable".into(), u.to_string()));
        }
        if self.max_message_bytes != d.max_message_bytes {
            out.push((
                "max.message.bytes".into(),
                self.max_message_bytes.to_string(),
            ));
        }
        out
    }
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
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
    /// Nothing to replicate and nothing to re-admit: the tick can skip the partition.
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

/// Where a produce request stands once the leader has appended it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    pub base_offset: u64,
    pub leader_epoch: u32,
    /// An idempotent retry of a batch already written: acknowledged without writing.
    pub duplicate: bool,
}

/// An `acks=all` request waiting for the high watermark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckState {
    Pending,
    Committed,
    Failed(ErrorCode),
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

/// The leader an election picks: the first running, unfenced ISR member in replica order;
/// failing that, with `unclean_allowed`, any running replica (the `bool` says so).
fn choose_leader(
    replicas: &[BrokerId],
    isr: &[BrokerId],
    brokers: &BTreeMap<BrokerId, Broker>,
    unclean_allowed: bool,
) -> (Option<BrokerId>, bool) {
    let usable = |b: &BrokerId| brokers.get(b).is_some_and(|x| x.is_up() && !x.fenced);
    match replicas
        .iter()
        .copied()
        .find(|b| isr.contains(b) && usable(b))
    {
        Some(b) => (Some(b), false),
        None if unclean_allowed => (replicas.iter().copied().find(usable), true),
        None => (None, false),
    }
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
        if brokers == 0 || brokers > BROKERS_MAX {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("a cluster has 1 to {BROKERS_MAX} brokers"),
            ));
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

    pub fn zk_has_quorum(&self) -> bool {
        self.controller.zk_up.iter().filter(|u| **u).count() * 2 > ZK_NODES
    }

    pub fn zk_nodes(&self) -> [bool; ZK_NODES] {
        self.controller.zk_up
    }

    /// The controller: `None` while a failover is in progress or ZooKeeper has no quorum.
    pub fn controller_ready(&self, now: SimTime) -> bool {
        now >= self.controller.ready_at
            && match self.mode {
                MetadataMode::KRaft => true,
                MetadataMode::ZooKeeper => {
                    self.zk_has_quorum()
                        && self
                            .controller
                            .broker
                            .and_then(|b| self.brokers.get(&b))
                            .is_some_and(Broker::is_up)
                }
            }
    }

    /// A description of the controller for `describe` output.
    pub fn controller_description(&self, now: SimTime) -> String {
        let ready = self.controller_ready(now);
        match self.mode {
            MetadataMode::KRaft if ready => "KRaft quorum: active controller ready".into(),
            MetadataMode::KRaft => format!(
                "KRaft quorum: electing a new active controller (ready at {})",
                self.controller.ready_at.to_rfc3339()
            ),
            MetadataMode::ZooKeeper => {
                let who = self
                    .controller
                    .broker
                    .map_or("none".to_string(), |b| format!("broker {b}"));
                if !self.zk_has_quorum() {
                    format!("ZooKeeper: no quorum; controller {who} cannot act")
                } else if ready {
                    format!("ZooKeeper: controller {who}")
                } else {
                    format!(
                        "ZooKeeper: controller {who} loading metadata (ready at {})",
                        self.controller.ready_at.to_rfc3339()
                    )
                }
            }
        }
    }

    pub fn controller_broker(&self) -> Option<BrokerId> {
        self.controller.broker
    }

    pub fn controller_failovers(&self) -> u64 {
        self.controller.failovers
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

    fn require_controller(&self, now: SimTime) -> Result<()> {
        if self.controller_ready(now) {
            Ok(())
        } else {
            Err(KafkaError::new(
                ErrorCode::ControllerNotAvailable,
                self.controller_description(now),
            ))
        }
    }

    /// Replica placement as Kafka's rack-unaware assignment does it with a fixed start: the
    /// leaders of consecutive partitions go round the brokers, followers on the next ones.
    fn place(&self, first_partition: u32, count: u32, rf: u32) -> Vec<Vec<BrokerId>> {
        let ids: Vec<BrokerId> = self.brokers.keys().copied().collect();
        let n = ids.len();
        (first_partition..first_partition + count)
            .map(|p| {
                let shift = (p as usize / n) % n.saturating_sub(1).max(1);
                (0..rf as usize)
                    .map(|j| {
                        let offset = if j == 0 {
                            0
                        } else {
                            1 + (shift + j - 1) % (n - 1)
                        };
                        ids[(p as usize + offset) % n]
                    })
                    .collect()
            })
            .collect()
    }

    fn new_partition(
        index: u32,
        replicas: &[BrokerId],
        config: &TopicConfig,
        now: SimTime,
    ) -> Partition {
        Partition {
            index,
            replicas: replicas
                .iter()
                .map(|&broker| Replica {
                    broker,
                    leo: 0,
                    last_caught_up: now,
                    credit: 0,
                })
                .collect(),
            leader: None,
            leader_epoch: 0,
            isr: replicas.to_vec(),
            high_watermark: 0,
            log: Log::new(config.log.clone()),
            quiet: false,
            metrics: MetricSet::default(),
        }
    }

    pub fn create_topic(
        &mut self,
        name: &str,
        partitions: u32,
        replication_factor: u32,
        configs: &[(String, String)],
        now: SimTime,
    ) -> Result<()> {
        self.require_controller(now)?;
        if name.is_empty()
            || name.len() > 249
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
                ),
            ));
        }
        if self.topics.contains_key(name) {
            return Err(KafkaError::new(
                ErrorCode::TopicAlreadyExists,
                format!("Topic '{name}' already exists."),
            ));
        }
        if partitions == 0 {
            return Err(KafkaError::new(
                ErrorCode::InvalidPartitions,
                "Number of partitions must be larger than 0.",
            ));
        }
        if self.partition_count() + partitions as usize > PARTITIONS_MAX {
            return Err(KafkaError::new(
                ErrorCode::InvalidPartitions,
                format!("the simulator holds at most {PARTITIONS_MAX} partitions"),
            ));
        }
        let live = self.brokers.values().filter(|b| !b.fenced).count() as u32;
        if replication_factor == 0 || replication_factor > live {
            return Err(KafkaError::new(
                ErrorCode::InvalidReplicationFactor,
                format!(
                    "Replication factor: {replication_factor} larger than available brokers: {live}."
                ),
            ));
        }
        let mut config = TopicConfig::default();
        for (k, v) in configs {
            config.set(k, v)?;
        }
        let placement = self.place(0, partitions, replication_factor);
        let mut topic = Topic {
            name: name.to_string(),
            id: self.next_topic_id,
            replication_factor,
            partitions: placement
                .iter()
                .enumerate()
                .map(|(i, r)| Self::new_partition(i as u32, r, &config, now))
                .collect(),
            config,
            metrics: MetricSet::default(),
        };
        self.next_topic_id += 1;
        for p in &mut topic.partitions {
            Self::elect_initial(&self.brokers, p);
        }
        self.active
            .extend((0..partitions).map(|i| (name.to_string(), i)));
        self.topics.insert(name.to_string(), topic);
        self.count_replicas_per_broker();
        self.event(
            now,
            format!("topic {name} created: {partitions} partitions, RF {replication_factor}"),
        );
        Ok(())
    }

    fn elect_initial(brokers: &BTreeMap<BrokerId, Broker>, p: &mut Partition) {
        p.isr.retain(|b| brokers.get(b).is_some_and(|x| !x.fenced));
        p.leader = p
            .replicas
            .iter()
            .map(|r| r.broker)
            .find(|b| p.isr.contains(b) && brokers.get(b).is_some_and(Broker::is_up));
    }

    pub fn delete_topic(&mut self, name: &str, now: SimTime) -> Result<()> {
        self.require_controller(now)?;
        self.topic(name)?;
        self.topics.remove(name);
        self.count_replicas_per_broker();
        self.event(now, format!("topic {name} deleted"));
        Ok(())
    }

    /// `kafka-topics --alter --partitions N`: partitions can only be added.
    pub fn add_partitions(&mut self, name: &str, count: u32, now: SimTime) -> Result<()> {
        self.require_controller(now)?;
        let t = self.topic(name)?;
        let current = t.partitions.len() as u32;
        if count <= current {
            return Err(KafkaError::new(
                ErrorCode::InvalidPartitions,
                format!(
                    "Topic currently has {current} partitions, which is higher than the requested {count}."
                ),
            ));
        }
        if self.partition_count() + (count - current) as usize > PARTITIONS_MAX {
            return Err(KafkaError::new(
                ErrorCode::InvalidPartitions,
                format!("the simulator holds at most {PARTITIONS_MAX} partitions"),
            ));
        }
        let rf = t.replication_factor;
        let placement = self.place(current, count - current, rf);
        let t = self.topics.get_mut(name).expect("checked");
        for (i, r) in placement.iter().enumerate() {
            let mut p = Self::new_partition(current + i as u32, r, &t.config, now);
            Self::elect_initial(&self.brokers, &mut p);
            t.partitions.push(p);
            self.active.insert((name.to_string(), current + i as u32));
        }
        self.event(
            now,
            format!("topic {name}: partitions {current} -> {count}"),
        );
        Ok(())
    }

    /// `kafka-configs --alter --entity-type topics`.
    pub fn alter_topic_config(
        &mut self,
        name: &str,
        configs: &[(String, String)],
        now: SimTime,
    ) -> Result<()> {
        self.require_controller(now)?;
        let t = self.topics.get_mut(name).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::UnknownTopicOrPartition,
                format!("Topic '{name}' does not exist"),
            )
        })?;
        let mut config = t.config.clone();
        for (k, v) in configs {
            config.set(k, v)?;
        }
        for p in &mut t.partitions {
            p.log.config = config.log.clone();
            p.quiet = false;
            self.active.insert((name.to_string(), p.index));
        }
        t.config = config;
        Ok(())
    }

    /// `kafka-configs --alter --entity-type brokers [--entity-name ID | --entity-default]`.
    pub fn alter_broker_config(
        &mut self,
        broker: Option<BrokerId>,
        configs: &[(String, String)],
    ) -> Result<()> {
        let ids: Vec<BrokerId> = match broker {
            Some(b) => {
                self.broker(b)?;
                vec![b]
            }
            None => self.brokers.keys().copied().collect(),
        };
        for (k, v) in configs {
            let bad = || {
                KafkaError::new(
                    ErrorCode::InvalidConfig,
                    format!("Invalid value {v} for configuration {k}"),
                )
            };
            let num = || v.parse::<u64>().map_err(|_| bad());
            let apply: Box<dyn Fn(&mut BrokerConfig)> = match k.as_str() {
                "replica.lag.time.max.ms" => {
                    let d = SimDuration::from_millis(num()?);
                    Box::new(move |c| c.replica_lag_time_max = d)
                }
                "unclean.leader.election.enable" => {
                    let b = parse_bool(v).ok_or_else(bad)?;
                    Box::new(move |c| c.unclean_leader_election = b)
                }
                "min.insync.replicas" => {
                    let n = num()?.max(1) as u32;
                    Box::new(move |c| c.min_insync_replicas = n)
                }
                "log.cleaner.threads" => {
                    let n = num()?;
                    if n == 0 || n > 64 {
                        return Err(bad());
                    }
                    Box::new(move |c| c.cleaner_threads = n as u32)
                }
                "log.cleaner.io.max.bytes.per.second" => {
                    let n = v.parse::<f64>().map_err(|_| bad())?;
                    if n <= 0.0 {
                        return Err(bad());
                    }
                    let limit = (n < 1e18).then_some(n as u64);
                    Box::new(move |c| c.cleaner_io_max_bytes_per_sec = limit)
                }
                "broker.session.timeout.ms" | "zookeeper.session.timeout.ms" => {
                    let d = SimDuration::from_millis(num()?.max(1));
                    Box::new(move |c| c.session_timeout = d)
                }
                "sim.disk.bytes.per.second" => {
                    let n = num()?.max(1);
                    Box::new(move |c| c.disk_bytes_per_sec = n)
                }
                "sim.network.bytes.per.second" => {
                    let n = num()?.max(1);
                    Box::new(move |c| c.network_bytes_per_sec = n)
                }
                _ => {
                    return Err(KafkaError::new(
                        ErrorCode::InvalidConfig,
                        format!("Unknown or read-only broker config: {k}"),
                    ));
                }
            };
            for id in &ids {
                if let Some(b) = self.brokers.get_mut(id) {
                    apply(&mut b.config);
                }
            }
            if broker.is_none() {
                apply(&mut self.defaults);
            }
        }
        for t in self.topics.values_mut() {
            for p in &mut t.partitions {
                p.quiet = false;
                self.active.insert((t.name.clone(), p.index));
            }
        }
        Ok(())
    }

    pub fn broker(&self, id: BrokerId) -> Result<&Broker> {
        self.brokers.get(&id).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::BrokerNotAvailable,
                format!("broker {id} does not exist"),
            )
        })
    }

    fn wake_partitions_of(&mut self, b: BrokerId) {
        self.controller_work = true;
        for t in self.topics.values_mut() {
            for p in &mut t.partitions {
                if p.replicas.iter().any(|r| r.broker == b) {
                    p.quiet = false;
                    self.active.insert((t.name.clone(), p.index));
                }
            }
        }
    }

    /// Stops a broker. `controlled` is a clean shutdown: the controller first moves the
    /// broker's leaderships to other in-sync replicas (which may not have every record the
    /// leader acknowledged with `acks=1`). A crash is noticed at the session timeout.
    pub fn stop_broker(&mut self, id: BrokerId, controlled: bool, now: SimTime) -> Result<()> {
        let b = self.broker(id)?;
        if b.state == BrokerState::Stopped {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("broker {id} is already stopped"),
            ));
        }
        let was_controller =
            self.mode == MetadataMode::ZooKeeper && self.controller.broker == Some(id);
        if controlled && self.controller_ready(now) {
            self.fence(id, now, "controlled shutdown");
        }
        let b = self.brokers.get_mut(&id).expect("checked");
        b.state = BrokerState::Stopped;
        b.unresponsive_since.get_or_insert(now);
        // A clean close ends the session at once: the controller acts as soon as it can.
        b.session_expired |= controlled && !b.fenced;
        self.event(
            now,
            format!(
                "broker {id} {}",
                if controlled {
                    "stopped (controlled shutdown)"
                } else {
                    "crashed"
                }
            ),
        );
        if was_controller {
            // A clean shutdown deletes the controller's ephemeral znode at once; a crash only
            // when its ZooKeeper session expires.
            let at = if controlled {
                now
            } else {
                now + self.defaults.session_timeout
            };
            self.zk_controller_failover(at, Some(id), now);
        }
        self.wake_partitions_of(id);
        Ok(())
    }

    /// Starts a stopped broker (or ends a pause early).
    pub fn start_broker(&mut self, id: BrokerId, now: SimTime) -> Result<()> {
        let b = self.broker(id)?;
        if b.is_up() {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("broker {id} is already running"),
            ));
        }
        let no_quorum = self.mode == MetadataMode::ZooKeeper && !self.zk_has_quorum();
        let restarted = b.state == BrokerState::Stopped;
        let b = self.brokers.get_mut(&id).expect("checked");
        b.state = BrokerState::Running;
        b.unresponsive_since = None;
        if no_quorum {
            // It cannot create its ZooKeeper session, so it cannot register: it serves
            // nothing until the quorum is back.
            b.fenced = true;
            self.event(
                now,
                format!("broker {id} started but cannot register: ZooKeeper has no quorum"),
            );
        } else {
            self.event(now, format!("broker {id} started"));
        }
        if restarted {
            // A coordinator whose process stopped lost its in-memory groups and transactions:
            // still the leader when it comes back, it reads them from the log again.
            for p in self.coordinator_partitions.iter_mut().flatten() {
                if p.leader == Some(id) {
                    p.loaded_at = now + COORDINATOR_LOAD_TIME;
                }
            }
        }
        self.wake_partitions_of(id);
        self.on_controller_work(now);
        Ok(())
    }

    /// Pauses a broker for `d` (a long GC or VM pause): it answers nothing meanwhile.
    pub fn pause_broker(&mut self, id: BrokerId, d: SimDuration, now: SimTime) -> Result<()> {
        let b = self.broker(id)?;
        if !b.is_up() {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("broker {id} is not running"),
            ));
        }
        let until = now + d;
        let b = self.brokers.get_mut(&id).expect("checked");
        b.state = BrokerState::Paused(until);
        b.unresponsive_since = Some(now);
        self.event(now, format!("broker {id} paused for {d}"));
        if self.mode == MetadataMode::ZooKeeper && self.controller.broker == Some(id) {
            let timeout = self.defaults.session_timeout;
            if d > timeout {
                self.zk_controller_failover(now + timeout, Some(id), now);
            }
        }
        self.wake_partitions_of(id);
        Ok(())
    }

    /// `controller fail`: the active controller goes away. KRaft elects a new one from the
    /// quorum; with ZooKeeper another broker becomes controller and loads every partition.
    pub fn fail_controller(&mut self, now: SimTime) -> Result<()> {
        match self.mode {
            MetadataMode::KRaft => {
                self.controller.ready_at =
                    self.controller.ready_at.max(now) + KRAFT_CONTROLLER_FAILOVER;
                self.controller.failovers += 1;
                self.event(
                    now,
                    format!(
                        "active KRaft controller failed; new one ready at {}",
                        self.controller.ready_at.to_rfc3339()
                    ),
                );
            }
            MetadataMode::ZooKeeper => {
                let old = self.controller.broker;
                self.zk_controller_failover(now, old, now);
            }
        }
        Ok(())
    }

    /// A new ZooKeeper-mode controller is elected at `at` (the lowest running broker other
    /// than `excluding`) and is ready once it has read every partition's state.
    fn zk_controller_failover(&mut self, at: SimTime, excluding: Option<BrokerId>, now: SimTime) {
        let next = self
            .brokers
            .values()
            .find(|b| Some(b.id) != excluding && b.is_up())
            .map(|b| b.id)
            .or(excluding);
        let load = SimDuration(ZK_LOAD_PER_PARTITION.0 * self.partition_count() as u64);
        self.controller.broker = next;
        self.controller_work = true;
        self.controller.ready_at = at.max(now) + load;
        self.controller.failovers += 1;
        let who = next.map_or("none".to_string(), |b| format!("broker {b}"));
        self.event(now, format!(
            "controller failover: {who} becomes controller at {}, loads {} partitions, ready at {}",
            at.to_rfc3339(),
            self.partition_count(),
            self.controller.ready_at.to_rfc3339()
        ));
    }

    pub fn stop_zookeeper(&mut self, node: usize, now: SimTime) -> Result<()> {
        self.zk_node(node)?;
        self.controller.zk_up[node - 1] = false;
        self.event(
            now,
            format!(
                "zookeeper {node} stopped{}",
                if self.zk_has_quorum() {
                    ""
                } else {
                    ": quorum lost"
                }
            ),
        );
        Ok(())
    }

    pub fn start_zookeeper(&mut self, node: usize, now: SimTime) -> Result<()> {
        self.zk_node(node)?;
        let had = self.zk_has_quorum();
        self.controller.zk_up[node - 1] = true;
        self.event(
            now,
            format!(
                "zookeeper {node} started{}",
                if !had && self.zk_has_quorum() {
                    ": quorum restored"
                } else {
                    ""
                }
            ),
        );
        self.on_controller_work(now);
        Ok(())
    }

    fn zk_node(&self, node: usize) -> Result<()> {
        if self.mode != MetadataMode::ZooKeeper {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                "this cluster runs KRaft: there is no ZooKeeper",
            ));
        }
        if node == 0 || node > ZK_NODES {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("ZooKeeper nodes are 1 to {ZK_NODES}"),
            ));
        }
        Ok(())
    }

    /// The controller removes a broker: out of every ISR (never emptying one) and a new
    /// leader for each partition it led.
    fn fence(&mut self, id: BrokerId, now: SimTime, why: &str) {
        if let Some(b) = self.brokers.get_mut(&id) {
            if b.fenced {
                return;
            }
            b.fenced = true;
            b.session_expired = false;
        }
        self.event(now, format!("broker {id} fenced ({why})"));
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            let n = self.topics[&name].partitions.len();
            for i in 0..n {
                let p = &self.topics[&name].partitions[i];
                if !p.replicas.iter().any(|r| r.broker == id) {
                    continue;
                }
                let was_leader = p.leader == Some(id);
                if p.isr.contains(&id) && p.isr.len() > 1 {
                    let before = p.isr.clone();
                    let p = &mut self.topics.get_mut(&name).expect("exists").partitions[i];
                    p.isr.retain(|b| *b != id);
                    let after = p.isr.clone();
                    self.event(
                        now,
                        format!(
                            "{} ISR {} -> {}",
                            tp(&name, i as u32),
                            list(&before),
                            list(&after)
                        ),
                    );
                }
                if was_leader {
                    self.elect(&name, i, now);
                }
            }
        }
        for kind in [CoordinatorKind::Group, CoordinatorKind::Transaction] {
            for i in 0..kind.partitions() as usize {
                let p = &mut self.coordinator_partitions[kind.index()][i];
                if !p.replicas.contains(&id) {
                    continue;
                }
                if p.isr.len() > 1 {
                    p.isr.retain(|b| *b != id);
                }
                if p.leader == Some(id) {
                    self.elect_coordinator(kind, i, now);
                }
            }
        }
    }

    /// [`Cluster::elect`] for a partition of a virtual internal topic: the same rule (with
    /// the broker default for unclean election), no log to truncate, and a new leader serves
    /// once it has loaded the partition's state. The world logs the move for the groups and
    /// transactional ids it concerns.
    fn elect_coordinator(&mut self, kind: CoordinatorKind, i: usize, now: SimTime) {
        let unclean_allowed = self.defaults.unclean_leader_election;
        let p = &self.coordinator_partitions[kind.index()][i];
        let (leader, unclean) = choose_leader(&p.replicas, &p.isr, &self.brokers, unclean_allowed);
        let p = &mut self.coordinator_partitions[kind.index()][i];
        match leader {
            None => {
                if p.leader.take().is_some() {
                    p.offline_since = now;
                }
            }
            Some(new) if p.leader != Some(new) => {
                p.leader = Some(new);
                p.leader_epoch += 1;
                p.loaded_at = now + COORDINATOR_LOAD_TIME;
                if unclean {
                    p.isr = vec![new];
                }
            }
            Some(_) => {}
        }
    }

    /// Where the coordinator hosted by partition `partition` of `kind`'s internal topic
    /// stands at `now`.
    pub fn coordinator_status(
        &self,
        kind: CoordinatorKind,
        partition: u32,
        now: SimTime,
    ) -> CoordinatorStatus {
        let Some(p) = self.coordinator_partitions[kind.index()].get(partition as usize) else {
            return CoordinatorStatus::Unavailable {
                broker: None,
                since: SimTime::ZERO,
            };
        };
        let Some(leader) = p.leader else {
            return CoordinatorStatus::Unavailable {
                broker: None,
                since: p.offline_since,
            };
        };
        match self.brokers.get(&leader) {
            Some(b) if b.is_up() && !b.fenced => {
                if now < p.loaded_at {
                    CoordinatorStatus::Loading {
                        broker: leader,
                        since: p.loaded_at.saturating_sub(COORDINATOR_LOAD_TIME),
                        ready_at: p.loaded_at,
                    }
                } else {
                    CoordinatorStatus::Ready {
                        broker: leader,
                        since: p.loaded_at,
                    }
                }
            }
            b => CoordinatorStatus::Unavailable {
                broker: Some(leader),
                since: b.and_then(|b| b.unresponsive_since).unwrap_or(now),
            },
        }
    }

    /// The coordinator of `key` (a group id or a transactional id): its partition and status.
    pub fn coordinator_of(
        &self,
        kind: CoordinatorKind,
        key: &str,
        now: SimTime,
    ) -> (u32, CoordinatorStatus) {
        let partition = kind.partition_for(key);
        (partition, self.coordinator_status(kind, partition, now))
    }

    /// A partition of a virtual internal topic (replicas, ISR, leader).
    pub fn coordinator_partition(
        &self,
        kind: CoordinatorKind,
        partition: u32,
    ) -> Option<&CoordinatorPartition> {
        self.coordinator_partitions[kind.index()].get(partition as usize)
    }

    /// Elects a leader for a partition: the first running, unfenced ISR member in replica
    /// order; failing that, with unclean election enabled, any running replica (losing what
    /// it lacks, committed records included); otherwise the partition goes offline.
    fn elect(&mut self, name: &str, i: usize, now: SimTime) {
        let unclean_allowed = self.unclean(&self.topics[name]);
        let p = &self.topics[name].partitions[i];
        let old = p.leader;
        let (leader, unclean) =
            choose_leader(&p.replica_ids(), &p.isr, &self.brokers, unclean_allowed);
        let label = tp(name, i as u32);
        self.active.insert((name.to_string(), i as u32));
        let p = &mut self.topics.get_mut(name).expect("exists").partitions[i];
        p.quiet = false;
        let Some(new) = leader else {
            if old.is_some() {
                p.leader = None;
                self.event(
                    now,
                    format!(
                        "{label} offline: no in-sync replica available (leader was {})",
                        old.map_or(-1, i64::from)
                    ),
                );
            }
            return;
        };
        if old == Some(new) {
            return;
        }
        p.leader = Some(new);
        p.leader_epoch += 1;
        if unclean {
            p.isr = vec![new];
        }
        let leo = p.replica(new).map_or(0, |r| r.leo);
        let truncation = p.log.truncate_to(leo);
        for r in &mut p.replicas {
            r.leo = r.leo.min(leo);
            r.credit = 0;
        }
        p.high_watermark = p.high_watermark.min(leo);
        let epoch = p.leader_epoch;
        let lost: u64 = truncation.acked_by_client.values().sum();
        for (client, n) in truncation.acked_by_client {
            *self.lost_by_client.entry(client).or_default() += n;
        }
        let sec = now.as_secs();
        if lost > 0 {
            self.metrics.add(Metric::KafkaRecordsLost, sec, lost);
        }
        self.event(
            now,
            format!(
                "{label} leader {} -> {new} (epoch {epoch}){}{}",
                old.map_or("none".to_string(), |b| b.to_string()),
                if unclean { " UNCLEAN" } else { "" },
                if truncation.records > 0 {
                    format!(
                        "; log truncated to {leo}: {} records gone, {lost} of them acknowledged",
                        truncation.records
                    )
                } else {
                    String::new()
                }
            ),
        );
    }

    /// Runs whatever the controller has been waiting to do, if it can now: fence brokers
    /// whose session expired, readmit restarted ones, elect leaders for offline partitions.
    fn on_controller_work(&mut self, now: SimTime) {
        if !self.controller_work || !self.controller_ready(now) {
            return;
        }
        let mut work_left = false;
        let ids: Vec<BrokerId> = self.brokers.keys().copied().collect();
        for id in ids {
            let b = &self.brokers[&id];
            let expired = !b.fenced && b.session_expired;
            let waiting = !b.is_up() && !b.fenced && !expired;
            work_left |= waiting;
            if expired {
                self.fence(id, now, "session timed out");
            } else if b.is_up() && b.fenced {
                if let Some(b) = self.brokers.get_mut(&id) {
                    b.fenced = false;
                }
                self.event(now, format!("broker {id} registered and unfenced"));
                self.wake_partitions_of(id);
                self.readmit_to_coordinator_isrs(id);
            }
        }
        for kind in [CoordinatorKind::Group, CoordinatorKind::Transaction] {
            for i in 0..kind.partitions() as usize {
                let p = &self.coordinator_partitions[kind.index()][i];
                let leader_ok = p
                    .leader
                    .is_some_and(|l| self.brokers.get(&l).is_some_and(|b| !b.fenced));
                if !leader_ok {
                    self.elect_coordinator(kind, i, now);
                    work_left |= self.coordinator_partitions[kind.index()][i]
                        .leader
                        .is_none();
                }
            }
        }
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            for i in 0..self.topics[&name].partitions.len() {
                let p = &self.topics[&name].partitions[i];
                let leader_ok = p
                    .leader
                    .is_some_and(|l| self.brokers.get(&l).is_some_and(|b| !b.fenced));
                if !leader_ok {
                    self.elect(&name, i, now);
                    work_left |= self.topics[&name].partitions[i].leader.is_none();
                }
            }
        }
        self.controller_work = work_left;
    }

    /// A readmitted broker rejoins the ISR of the internal partitions it replicates that have
    /// a leader (there is no log to catch up on; an offline partition needs its leader back).
    fn readmit_to_coordinator_isrs(&mut self, id: BrokerId) {
        for p in self.coordinator_partitions.iter_mut().flatten() {
            if p.leader.is_some() && p.replicas.contains(&id) && !p.isr.contains(&id) {
                p.isr.push(id);
                let replicas = &p.replicas;
                p.isr.sort_by_key(|b| replicas.iter().position(|r| r == b));
            }
        }
    }

    /// Produce: the leader checks and appends a batch. `Err(RequestTimedOut)` means the
    /// leader is unresponsive: the client learns it only after `request.timeout.ms`.
    #[allow(clippy::too_many_lines)]
    pub fn produce(
        &mut self,
        topic: &str,
        partition: u32,
        acks: Acks,
        batch: Batch,
        now: SimTime,
    ) -> Result<Appended> {
        let min_insync;
        let max_bytes;
        let compacted;
        {
            let t = self.topic(topic)?;
            min_insync = self.min_insync(t);
            max_bytes = t.config.max_message_bytes;
            compacted = t.config.log.cleanup_policy.compacts();
        }
        let p = self.partition(topic, partition)?;
        let Some(leader) = p.leader else {
            return Err(KafkaError::new(
                ErrorCode::LeaderNotAvailable,
                format!(
                    "There is no leader for this topic-partition: {}",
                    tp(topic, partition)
                ),
            ));
        };
        let broker = &self.brokers[&leader];
        match broker.state {
            BrokerState::Stopped => {
                return Err(KafkaError::new(
                    ErrorCode::NetworkException,
                    format!("Connection to node {leader} was refused"),
                ));
            }
            BrokerState::Paused(_) => {
                return Err(KafkaError::new(
                    ErrorCode::RequestTimedOut,
                    format!("broker {leader} did not answer"),
                ));
            }
            BrokerState::Running => {}
        }
        if broker.fenced {
            return Err(KafkaError::new(
                ErrorCode::NotLeaderOrFollower,
                format!(
                    "broker {leader} is no longer the leader of {}",
                    tp(topic, partition)
                ),
            ));
        }
        // The engine's batches aggregate a tick's records (and a flow batch a second's), so
        // the limit applies to each record, as it does to a producer's batch of one.
        let largest = batch
            .records
            .iter()
            .map(|r| u64::from(r.size))
            .max()
            .unwrap_or(u64::from(batch.flow_size));
        if largest > max_bytes {
            return Err(KafkaError::new(
                ErrorCode::MessageTooLarge,
                format!(
                    "The request included a message larger than the max message size the server will accept ({max_bytes})"
                ),
            ));
        }
        if compacted && (batch.is_flow() || batch.records.iter().any(|r| r.key == NO_KEY)) {
            return Err(KafkaError::new(
                ErrorCode::InvalidRecord,
                "Compacted topic cannot accept message without key",
            ));
        }
        if acks == Acks::All && (p.isr.len() as u32) < min_insync {
            return Err(KafkaError::new(
                ErrorCode::NotEnoughReplicas,
                format!(
                    "The size of the current ISR {} is insufficient to satisfy the min.isr requirement of {min_insync} for partition {}",
                    list(&p.isr),
                    tp(topic, partition)
                ),
            ));
        }
        match p.log.check_sequence(batch.writer, batch.count) {
            Err(SequenceError::ProducerFenced) => {
                return Err(KafkaError::new(
                    ErrorCode::ProducerFenced,
                    "There is a newer producer with the same transactionalId which fences the current one.",
                ));
            }
            Err(SequenceError::OutOfOrderSequence) => {
                return Err(KafkaError::new(
                    ErrorCode::OutOfOrderSequenceNumber,
                    format!(
                        "Out of order sequence number for producer {} at offset {} in partition {}",
                        batch.writer.producer_id,
                        p.log.end_offset,
                        tp(topic, partition)
                    ),
                ));
            }
            Ok(SequenceCheck::Duplicate(base_offset)) => {
                return Ok(Appended {
                    base_offset,
                    leader_epoch: p.leader_epoch,
                    duplicate: true,
                });
            }
            Ok(SequenceCheck::Append) => {}
        }
        let bytes = batch.bytes;
        let records = batch.record_count();
        let sec = now.as_secs();
        let p = self.partition_mut(topic, partition)?;
        let mut batch = batch;
        batch.leader_epoch = p.leader_epoch;
        let segments_before = p.log.segment_count();
        let base_offset = p.log.append(batch, now);
        let rolled = p.log.segment_count() > segments_before && segments_before > 0;
        let leader_epoch = p.leader_epoch;
        if let Some(r) = p.replicas.iter_mut().find(|r| r.broker == leader) {
            r.leo = p.log.end_offset;
            r.last_caught_up = now;
        }
        if p.isr.len() == 1 {
            p.high_watermark = p.log.end_offset;
        }
        p.quiet = false;
        p.metrics.add(Metric::KafkaMessagesIn, sec, records);
        p.metrics.add(Metric::KafkaBytesIn, sec, bytes);
        self.active.insert((topic.to_string(), partition));
        let b = self.brokers.get_mut(&leader).expect("leader exists");
        let disk = bytes + if rolled { SEGMENT_ROLL_DISK_BYTES } else { 0 };
        b.disk_left -= disk as i64;
        b.net_in_left -= bytes as i64;
        b.metrics.add(Metric::KafkaBytesIn, sec, bytes);
        b.metrics.add(Metric::KafkaMessagesIn, sec, records);
        Ok(Appended {
            base_offset,
            leader_epoch,
            duplicate: false,
        })
    }

    /// Appends a transaction marker to a partition (from the transaction coordinator).
    pub fn write_marker(
        &mut self,
        topic: &str,
        partition: u32,
        batch: Batch,
        now: SimTime,
    ) -> Result<()> {
        let p = self.partition(topic, partition)?;
        let leader = p
            .leader
            .filter(|l| self.brokers.get(l).is_some_and(|b| b.is_up() && !b.fenced));
        if leader.is_none() {
            return Err(KafkaError::new(
                ErrorCode::LeaderNotAvailable,
                format!("no leader for {}", tp(topic, partition)),
            ));
        }
        let p = self.partition_mut(topic, partition)?;
        p.log.append(batch, now);
        if let Some(r) = p.replicas.iter_mut().find(|r| Some(r.broker) == leader) {
            r.leo = p.log.end_offset;
        }
        if p.isr.len() == 1 {
            p.high_watermark = p.log.end_offset;
        }
        p.quiet = false;
        self.active.insert((topic.to_string(), partition));
        Ok(())
    }

    /// Whether a consumer can fetch from the partition now: it has a leader and the leader is
    /// up and in the cluster.
    pub fn fetchable(&self, p: &Partition) -> bool {
        p.leader
            .and_then(|l| self.brokers.get(&l))
            .is_some_and(|b| b.is_up() && !b.fenced)
    }

    /// Where an `acks=all` request for `[base, end)` appended in `leader_epoch` stands.
    pub fn ack_state(&self, topic: &str, partition: u32, leader_epoch: u32, end: u64) -> AckState {
        let Ok(t) = self.topic(topic) else {
            return AckState::Failed(ErrorCode::UnknownTopicOrPartition);
        };
        let Some(p) = t.partitions.get(partition as usize) else {
            return AckState::Failed(ErrorCode::UnknownTopicOrPartition);
        };
        if p.leader_epoch != leader_epoch || p.leader.is_none() {
            return AckState::Failed(ErrorCode::NotLeaderOrFollower);
        }
        if p.high_watermark >= end {
            if (p.isr.len() as u32) < self.min_insync(t) {
                AckState::Failed(ErrorCode::NotEnoughReplicasAfterAppend)
            } else {
                AckState::Committed
            }
        } else {
            AckState::Pending
        }
    }

    /// The producer has been told the batch at `base_offset` is written.
    pub fn mark_acked(&mut self, topic: &str, partition: u32, base_offset: u64) {
        if let Ok(p) = self.partition_mut(topic, partition) {
            p.log.mark_acked(base_offset);
        }
    }

    /// Advances replication, ISR membership, high watermarks, controller work, retention
    /// and the cleaner to `now`.
    #[allow(clippy::too_many_lines, clippy::many_single_char_names)]
    pub fn tick(&mut self, now: SimTime) {
        let dt = now.since(self.last_tick);
        self.last_tick = now;
        let sec = now.as_secs();
        // Pauses that ended.
        let resumed: Vec<BrokerId> = self
            .brokers
            .values()
            .filter(|b| matches!(b.state, BrokerState::Paused(until) if until <= now))
            .map(|b| b.id)
            .collect();
        for id in resumed {
            let b = self.brokers.get_mut(&id).expect("exists");
            b.state = BrokerState::Running;
            b.unresponsive_since = None;
            self.event(now, format!("broker {id} resumed after its pause"));
            self.wake_partitions_of(id);
        }
        for b in self.brokers.values_mut() {
            if !b.is_up()
                && !b.session_expired
                && !b.fenced
                && b.unresponsive_since
                    .is_some_and(|t| now.since(t) >= b.config.session_timeout)
            {
                b.session_expired = true;
                self.controller_work = true;
            }
        }
        self.on_controller_work(now);
        // Budgets for this tick.
        let replicas_per_broker = &self.replicas_per_broker;
        for b in self.brokers.values_mut() {
            let per = |rate: u64| (u128::from(rate) * u128::from(dt.0) / 1_000_000) as i64;
            let overhead = REPLICA_DISK_OVERHEAD_BYTES_PER_SEC
                * replicas_per_broker.get(&b.id).copied().unwrap_or(0);
            // What the leaders wrote this tick was already taken from the budget.
            b.disk_left = (b.disk_left.min(0) + per(b.config.disk_bytes_per_sec) - per(overhead))
                .min(per(b.config.disk_bytes_per_sec));
            b.net_in_left = (b.net_in_left.min(0) + per(b.config.network_bytes_per_sec))
                .min(per(b.config.network_bytes_per_sec));
            b.net_out_left = per(b.config.network_bytes_per_sec);
        }
        let writable = self.controller_ready(now)
            || (self.mode == MetadataMode::ZooKeeper && self.zk_has_quorum());
        let mut events = Vec::new();
        let mut shrinks = 0;
        let mut expands = 0;
        // Visit the active partitions starting at a rotating index so a saturated broker's
        // budget is shared fairly over time.
        let mut keys: Vec<(String, u32)> = std::mem::take(&mut self.active).into_iter().collect();
        if !keys.is_empty() {
            let start = self.rotation % keys.len();
            keys.rotate_left(start);
        }
        self.rotation = self.rotation.wrapping_add(1);
        // A follower broker's fetchers share its budget among the partitions it is behind on,
        // in proportion to how far behind each is: when the disk is saturated every partition
        // lags, small ones included (their fetches wait on the same disk).
        let mut demand: BTreeMap<BrokerId, u64> = BTreeMap::new();
        for (name, index) in &keys {
            let Some(p) = self
                .topics
                .get(name)
                .and_then(|t| t.partitions.get(*index as usize))
            else {
                continue;
            };
            for r in &p.replicas {
                if Some(r.broker) != p.leader && r.leo < p.log.end_offset {
                    *demand.entry(r.broker).or_default() +=
                        p.log.bytes_behind(r.leo).saturating_sub(r.credit);
                }
            }
        }
        let supply: BTreeMap<BrokerId, u64> = self
            .brokers
            .values()
            .map(|b| (b.id, b.disk_left.min(b.net_in_left).max(0) as u64))
            .collect();
        let brokers = &mut self.brokers;
        let topics = &mut self.topics;
        let active = &mut self.active;
        for (name, index) in keys {
            let Some(p) = topics
                .get_mut(&name)
                .and_then(|t| t.partitions.get_mut(index as usize))
            else {
                continue;
            };
            let Some(leader) = p.leader else {
                // Offline: the controller's elections bring it back.
                continue;
            };
            let leader_up = brokers.get(&leader).is_some_and(Broker::is_up);
            let end = p.log.end_offset;
            let lag_max = brokers
                .get(&leader)
                .map_or(SimDuration::from_secs(30), |b| {
                    b.config.replica_lag_time_max
                });
            for ri in 0..p.replicas.len() {
                let r = p.replicas[ri];
                if r.broker == leader {
                    continue;
                }
                let follower_up = brokers
                    .get(&r.broker)
                    .is_some_and(|b| b.is_up() && !b.fenced);
                if !(leader_up && follower_up) || r.leo >= end {
                    if r.leo >= end && follower_up && leader_up {
                        p.replicas[ri].last_caught_up = now;
                    }
                    continue;
                }
                let l = &brokers[&leader];
                let need = p.log.bytes_behind(r.leo).saturating_sub(r.credit);
                let total = demand.get(&r.broker).copied().unwrap_or(0).max(need).max(1);
                let share = (u128::from(supply.get(&r.broker).copied().unwrap_or(0))
                    * u128::from(need)
                    / u128::from(total)) as u64;
                let mut avail = share.min(l.net_out_left.max(0) as u64);
                let mut leo = r.leo;
                let mut credit = r.credit;
                let mut copied = 0u64;
                while let Some(b) = p.log.batch_after(leo) {
                    let need = b.bytes.saturating_sub(credit);
                    if need <= avail {
                        avail -= need;
                        copied += need;
                        credit = 0;
                        leo = b.next_offset();
                    } else {
                        credit += avail;
                        copied += avail;
                        break;
                    }
                }
                let rep = &mut p.replicas[ri];
                rep.leo = leo;
                rep.credit = credit;
                if leo >= end {
                    rep.last_caught_up = now;
                }
                let c = copied as i64;
                if let Some(f) = brokers.get_mut(&r.broker) {
                    f.disk_left -= c;
                    f.net_in_left -= c;
                    f.metrics.add(Metric::KafkaReplicationBytesIn, sec, copied);
                }
                if let Some(l) = brokers.get_mut(&leader) {
                    l.net_out_left -= c;
                }
            }
            // ISR changes go through the controller (or ZooKeeper).
            if writable && leader_up {
                let before = p.isr.clone();
                let hw = p.high_watermark;
                let mut isr = p.isr.clone();
                isr.retain(|b| {
                    *b == leader
                        || p.replica(*b)
                            .is_some_and(|r| now.since(r.last_caught_up) <= lag_max)
                });
                for r in &p.replicas {
                    let up = brokers
                        .get(&r.broker)
                        .is_some_and(|b| b.is_up() && !b.fenced);
                    if !isr.contains(&r.broker)
                        && up
                        && r.leo >= hw.max(1).min(end)
                        && now.since(r.last_caught_up) <= lag_max
                    {
                        isr.push(r.broker);
                    }
                }
                if isr != before {
                    let order_of = |b: &BrokerId| p.replicas.iter().position(|r| r.broker == *b);
                    isr.sort_by_key(order_of);
                    if isr.len() < before.len() {
                        shrinks += 1;
                    } else {
                        expands += 1;
                    }
                    events.push(format!(
                        "{} ISR {} -> {}",
                        tp(&name, p.index),
                        list(&before),
                        list(&isr)
                    ));
                    p.isr = isr;
                }
            }
            if leader_up {
                let hw = p
                    .isr
                    .iter()
                    .filter_map(|b| p.replica(*b))
                    .map(|r| if r.broker == leader { end } else { r.leo })
                    .min()
                    .unwrap_or(end);
                p.high_watermark = p.high_watermark.max(hw).min(end);
            }
            let all_caught_up = p.replicas.iter().all(|r| {
                r.leo >= end
                    || !brokers
                        .get(&r.broker)
                        .is_some_and(|b| b.is_up() && !b.fenced)
            });
            let isr_full = p.replicas.iter().all(|r| {
                p.isr.contains(&r.broker)
                    || !brokers
                        .get(&r.broker)
                        .is_some_and(|b| b.is_up() && !b.fenced)
            });
            p.quiet = leader_up && all_caught_up && isr_full && p.high_watermark >= end;
            if !p.quiet {
                active.insert((name, index));
            }
        }
        // The partition gauges are per second: count once a second, not every tick.
        let (mut under, mut offline) = (0u64, 0u64);
        let gauge_due = self.gauges_sec != Some(sec);
        if gauge_due {
            self.gauges_sec = Some(sec);
            let brokers = &self.brokers;
            for p in self
                .topics
                .values_mut()
                .flat_map(|t| t.partitions.iter_mut())
            {
                p.metrics.set(Metric::KafkaLogSizeBytes, sec, p.log.bytes);
                // A leader on a stopped or paused broker serves nobody: until the controller
                // moves leadership (later still while the controller itself fails over), the
                // partition is as unavailable as one with no leader at all.
                let leader_serving = p
                    .leader
                    .is_some_and(|l| brokers.get(&l).is_some_and(Broker::is_up));
                if !leader_serving {
                    offline += 1;
                } else if p.isr.len() < p.replicas.len() {
                    under += 1;
                }
            }
        }
        for e in events {
            self.event(now, e);
        }
        self.metrics.add(Metric::KafkaIsrShrinks, sec, shrinks);
        self.metrics.add(Metric::KafkaIsrExpands, sec, expands);
        if gauge_due {
            self.metrics
                .set(Metric::KafkaUnderReplicatedPartitions, sec, under);
            self.metrics
                .set(Metric::KafkaOfflinePartitions, sec, offline);
        }
        if now >= self.next_retention_check {
            self.next_retention_check = now + RETENTION_CHECK_INTERVAL;
            for t in self.topics.values_mut() {
                for p in &mut t.partitions {
                    let hw = p.high_watermark;
                    p.log.enforce_retention(now, hw);
                }
            }
        }
        self.run_cleaners(dt, now);
    }

    fn count_replicas_per_broker(&mut self) {
        let mut m = BTreeMap::new();
        for t in self.topics.values() {
            for p in &t.partitions {
                for r in &p.replicas {
                    *m.entry(r.broker).or_insert(0) += 1;
                }
            }
        }
        self.replicas_per_broker = m;
    }

    /// Each broker's cleaner works on the dirtiest compacted log it leads; a pass costs the
    /// bytes of every closed segment and completes when that many bytes of budget are spent.
    fn run_cleaners(&mut self, dt: SimDuration, now: SimTime) {
        let sec = now.as_secs();
        let ids: Vec<BrokerId> = self.brokers.keys().copied().collect();
        let mut dirty_total = 0u64;
        for t in self.topics.values() {
            if t.config.log.cleanup_policy.compacts() {
                for p in &t.partitions {
                    dirty_total += p.log.cleanable_bytes().0;
                }
            }
        }
        self.metrics
            .set(Metric::KafkaCleanerDirtyBytes, sec, dirty_total);
        for id in ids {
            let b = &self.brokers[&id];
            if !b.is_up() {
                continue;
            }
            let mut rate = u64::from(b.config.cleaner_threads) * CLEANER_THREAD_BYTES_PER_SEC;
            if let Some(limit) = b.config.cleaner_io_max_bytes_per_sec {
                rate = rate.min(limit);
            }
            let mut budget = (u128::from(rate) * u128::from(dt.0) / 1_000_000) as u64;
            let mut job = b.cleaner_job.clone();
            for _ in 0..64 {
                if budget == 0 {
                    break;
                }
                if job.is_none() {
                    job = self.dirtiest_log_led_by(id);
                }
                let Some((topic, p, remaining, upto)) = job.take() else {
                    break;
                };
                if remaining > budget {
                    job = Some((topic, p, remaining - budget, upto));
                    break;
                }
                budget -= remaining;
                if let Some(part) = self
                    .topics
                    .get_mut(&topic)
                    .and_then(|t| t.partitions.get_mut(p as usize))
                {
                    part.log.compact_upto(now, upto);
                }
            }
            if let Some(b) = self.brokers.get_mut(&id) {
                b.cleaner_job = job;
            }
        }
    }

    fn dirtiest_log_led_by(&self, broker: BrokerId) -> Option<(String, u32, u64, u64)> {
        let mut best: Option<(f64, String, u32, u64, u64)> = None;
        for t in self
            .topics
            .values()
            .filter(|t| t.config.log.cleanup_policy.compacts())
        {
            for p in t.partitions.iter().filter(|p| p.leader == Some(broker)) {
                let (dirty, total) = p.log.cleanable_bytes();
                if total == 0 || dirty == 0 {
                    continue;
                }
                let ratio = dirty as f64 / total as f64;
                if ratio < t.config.log.min_cleanable_dirty_ratio {
                    continue;
                }
                if best.as_ref().is_none_or(|(r, ..)| ratio > *r) {
                    best = Some((
                        ratio,
                        t.name.clone(),
                        p.index,
                        total.max(1),
                        p.log.end_of_closed_segments(),
                    ));
                }
            }
        }
        best.map(|(_, t, p, cost, upto)| (t, p, cost, upto))
    }

    /// Log size and cleaner backlog of a topic, for the live views.
    pub fn topic_bytes(&self, topic: &str) -> (u64, u64) {
        self.topic(topic).map_or((0, 0), |t| {
            t.partitions.iter().fold((0, 0), |(s, d), p| {
                (s + p.log.bytes, d + p.log.cleanable_bytes().0)
            })
        })
    }

    /// `ListOffsets`: earliest, latest (the high watermark) or by timestamp.
    pub fn list_offset(&self, topic: &str, partition: u32, spec: OffsetSpec) -> Result<u64> {
        let p = self.partition(topic, partition)?;
        Ok(match spec {
            OffsetSpec::Earliest => p.log.start_offset,
            OffsetSpec::Latest => p.high_watermark,
            OffsetSpec::Timestamp(t) => p.log.offset_for_time(t).min(p.high_watermark),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    Timestamp(SimTime),
}
