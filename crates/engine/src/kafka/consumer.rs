//! Consumer group members at work: each member fetches from the partitions the coordinator
//! ([`super::group::Group`]) lets it process, up to the high watermark (`read_uncommitted`)
//! or the last stable offset (`read_committed`, skipping aborted transactions), at its
//! processing rate; commits its positions every `auto.commit.interval.ms` and when it gives
//! partitions up cleanly. A crashed member's positions since its last commit are lost, so
//! whoever takes its partitions processes those records again; the group counts that
//! (reprocessed), records skipped because retention deleted them before they were read, and
//! keys that arrive out of order (a key's records read in another order than they were
//! produced, as after adding partitions).
//!
//! The group's coordinator lives on the leader of its `__consumer_offsets` partition
//! ([`super::coordinator`]). While that broker is down and until a new leader has loaded the
//! group ([`ConsumerGroup::observe_coordinator`]), members keep processing what they own but
//! their commits fail (auto-commit tries again at its next interval, a clean close loses its
//! final commit), joins wait and no timer fires ([`Group`]'s coordinator failover); what they
//! processed since their last successful commit is what a successor reads again.
//!
//! Not modelled: fetch sessions (a member reads from partition leaders only), the client's
//! FindCoordinator round trips (a member learns of a new coordinator as soon as it serves).

use super::assignor::{Assignor, TopicPartition};
use super::cluster::{Cluster, OffsetSpec};
use super::coordinator::{CoordinatorKind, CoordinatorStatus};
use super::error::{ErrorCode, KafkaError, Result};
use super::group::{Group, GroupConfig, GroupError, GroupSettings};
use super::log::NO_KEY;
use crate::metrics::{Metric, MetricSet};
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Members one simulation's console may start per group ([`crate::budget::GROUP_MEMBERS`]).
pub const GROUP_MEMBERS_MAX: usize = crate::budget::GROUP_MEMBERS;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
    None,
}

/// Client configs of a consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerConfig {
    pub group: GroupConfig,
    pub read_committed: bool,
    pub auto_offset_reset: OffsetReset,
    pub enable_auto_commit: bool,
    pub auto_commit_interval: SimDuration,
    pub max_poll_records: u64,
    /// Records the member's application processes per second (not a Kafka config).
    pub rate_per_sec: u64,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            group: GroupConfig::default(),
            read_committed: false,
            auto_offset_reset: OffsetReset::Latest,
            enable_auto_commit: true,
            auto_commit_interval: SimDuration::from_secs(5),
            max_poll_records: 500,
            rate_per_sec: 10_000,
        }
    }
}

impl ConsumerConfig {
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = || {
            KafkaError::new(
                ErrorCode::InvalidConfig,
                format!("Invalid value {value} for configuration {key}"),
            )
        };
        let num = || value.parse::<u64>().map_err(|_| bad());
        let ms = || super::client_ms(value).ok_or_else(bad);
        match key {
            "partition.assignment.strategy" => {
                // A list: the model takes the first entry.
                let first = value.split(',').next().unwrap_or_default().trim();
                self.group.assignor = Assignor::parse(first).map_err(|_| bad())?;
            }
            "session.timeout.ms" => self.group.session_timeout = ms()?,
            "heartbeat.interval.ms" => self.group.heartbeat_interval = ms()?,
            "max.poll.interval.ms" => self.group.max_poll_interval = ms()?,
            "group.instance.id" => self.group.group_instance_id = Some(value.to_string()),
            "isolation.level" => {
                self.read_committed = match value {
                    "read_committed" => true,
                    "read_uncommitted" => false,
                    _ => return Err(bad()),
                };
            }
            "auto.offset.reset" => {
                self.auto_offset_reset = match value {
                    "earliest" => OffsetReset::Earliest,
                    "latest" => OffsetReset::Latest,
                    "none" => OffsetReset::None,
                    _ => return Err(bad()),
                };
            }
            "enable.auto.commit" => {
                self.enable_auto_commit = super::cluster::parse_bool(value).ok_or_else(bad)?;
            }
            "auto.commit.interval.ms" => {
                self.auto_commit_interval = ms()?.max(SimDuration::from_millis(1));
            }
            "max.poll.records" => self.max_poll_records = num()?.max(1),
            "group.id" | "client.id" | "key.deserializer" | "value.deserializer"
            | "fetch.min.bytes" | "fetch.max.wait.ms" => {}
            _ => {
                return Err(KafkaError::new(
                    ErrorCode::InvalidConfig,
                    format!("Unknown consumer config: {key}"),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct Member {
    pub id: String,
    /// The member id the coordinator knows this incarnation by: a consumer restarted after a
    /// crash joins under a new one while the old lingers until its session times out (a
    /// static member keeps its place through `group.instance.id`).
    pub member_id: String,
    pub incarnation: u32,
    crashed: bool,
    pub config: ConsumerConfig,
    pub topics: BTreeSet<String>,
    /// Next offset to read per partition (in memory: lost on a crash).
    pub positions: BTreeMap<TopicPartition, u64>,
    pub alive: bool,
    pub consumed: u64,
    last_commit: SimTime,
    carry: u64,
    owned_last_tick: BTreeSet<TopicPartition>,
    pub metrics: MetricSet,
}

/// What the group's processing has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupStats {
    pub consumed: u64,
    pub reprocessed: u64,
    pub skipped: u64,
    pub order_violations: u64,
    pub offset_resets: u64,
}

#[derive(Clone, Debug)]
pub struct ConsumerGroup {
    pub group: Group,
    pub members: BTreeMap<String, Member>,
    pub stats: GroupStats,
    pub metrics: MetricSet,
    /// One past the highest offset the group has processed per partition.
    processed_upto: BTreeMap<TopicPartition, u64>,
    /// The producer's per-key sequence last processed per key.
    key_last_seq: HashMap<u32, u32>,
    last_tick: SimTime,
    /// Configs deployed with `consumer configure`: applied over the configs of every member
    /// started from then on.
    pub deployed: Vec<(String, String)>,
    /// The partition of `__consumer_offsets` whose leader coordinates the group.
    pub coordinator_partition: u32,
    /// The coordinator's status when last looked at (`None` before the first look).
    pub coordinator: Option<CoordinatorStatus>,
    /// Time the group spent without a loaded coordinator, outages that ended.
    coordinator_outage_total: SimDuration,
}

impl ConsumerGroup {
    /// Work of the group's next tick: a quarter of a unit per partition its members own (see
    /// [`crate::budget::WORK_PER_ADVANCE`]).
    pub fn tick_work(&self) -> u64 {
        self.members
            .values()
            .map(|m| 1 + m.owned_last_tick.len() as u64 / 4)
            .sum()
    }

    pub fn new(id: &str, now: SimTime) -> ConsumerGroup {
        ConsumerGroup {
            group: Group::new(id, GroupSettings::default()),
            members: BTreeMap::new(),
            stats: GroupStats::default(),
            metrics: MetricSet::default(),
            processed_upto: BTreeMap::new(),
            key_last_seq: HashMap::new(),
            last_tick: now,
            deployed: Vec::new(),
            coordinator_partition: CoordinatorKind::Group.partition_for(id),
            coordinator: None,
            coordinator_outage_total: SimDuration::ZERO,
        }
    }

    /// Brings the group in line with its coordinator's `status` at `now`: it stops serving the
    /// group when it becomes unavailable, and serves it again from the moment it has loaded it
    /// (or from `now` when the same broker answers again with its state intact, after a
    /// pause). Returns the event-log line for a change.
    pub fn observe_coordinator(
        &mut self,
        status: CoordinatorStatus,
        now: SimTime,
    ) -> Option<String> {
        let before = self.coordinator.replace(status);
        match (status, self.group.coordinator_unavailable_since()) {
            (CoordinatorStatus::Ready { since, .. }, Some(lost_at)) => {
                let at = if since > lost_at { since } else { now };
                self.group.coordinator_loaded(at);
                self.coordinator_outage_total = SimDuration(
                    self.coordinator_outage_total
                        .0
                        .saturating_add(at.since(lost_at).0),
                );
            }
            (CoordinatorStatus::Ready { .. }, None) | (_, Some(_)) => {}
            (_, None) => self.group.coordinator_unavailable(status.since()),
        }
        let outage_ms = self.coordinator_unavailable_total(now).as_millis();
        if outage_ms > 0 {
            self.metrics.set(
                Metric::KafkaCoordinatorUnavailableMillis,
                now.as_secs(),
                outage_ms,
            );
        }
        let whose = format!("group {}", self.group.id());
        match before {
            Some(b) => status.transition_event(&b, &whose),
            // A group first seen while its coordinator is away.
            None if !status.is_ready() => Some(status.event_text(&whose)),
            None => None,
        }
    }

    /// Time the group has spent without a loaded coordinator, up to `now`.
    pub fn coordinator_unavailable_total(&self, now: SimTime) -> SimDuration {
        let current = self
            .group
            .coordinator_unavailable_since()
            .map_or(SimDuration::ZERO, |t| now.since(t));
        SimDuration(self.coordinator_outage_total.0.saturating_add(current.0))
    }

    /// What a request to the group's coordinator fails with now, if it is not serving.
    pub fn coordinator_error(&self) -> Option<KafkaError> {
        self.group.coordinator_unavailable_since()?;
        let status = self.coordinator?;
        status
            .error(
                CoordinatorKind::Group,
                self.coordinator_partition,
                self.group.id(),
            )
            .or_else(|| {
                Some(KafkaError::new(
                    ErrorCode::CoordinatorNotAvailable,
                    format!(
                        "the coordinator of group '{}' is not ready",
                        self.group.id()
                    ),
                ))
            })
    }

    /// Counts an OffsetCommit that failed for want of a coordinator.
    fn note_commit_error(&mut self, e: &GroupError, now: SimTime) {
        if matches!(e, GroupError::CoordinatorNotAvailable(_)) {
            self.metrics
                .add(Metric::KafkaCommitsFailedNoCoordinator, now.as_secs(), 1);
        }
    }

    /// A processor's commit of its input positions (`commitSync`): all or nothing.
    pub fn commit_positions(
        &mut self,
        positions: impl IntoIterator<Item = (TopicPartition, u64)>,
        now: SimTime,
    ) -> std::result::Result<(), GroupError> {
        if self.group.coordinator_unavailable_since().is_some() {
            let e = GroupError::CoordinatorNotAvailable(self.group.id().to_string());
            self.note_commit_error(&e, now);
            return Err(e);
        }
        for (tp, offset) in positions {
            self.group.commit_unchecked(tp, offset)?;
        }
        Ok(())
    }

    fn subscribed(&self, cluster: &Cluster) -> BTreeMap<String, u32> {
        self.members
            .values()
            .flat_map(|m| m.topics.iter())
            .filter_map(|t| {
                cluster
                    .topic(t)
                    .ok()
                    .map(|x| (t.clone(), x.partitions.len() as u32))
            })
            .collect()
    }

    /// A redeploy of the application with changed configs: every running member is closed
    /// and started again with them (members started later get them too).
    pub fn deploy(
        &mut self,
        changes: &[(String, String)],
        cluster: &Cluster,
        now: SimTime,
    ) -> Result<()> {
        let mut probe = ConsumerConfig::default();
        for (k, v) in self.deployed.iter().chain(changes) {
            probe.set(k, v)?;
        }
        probe.group.validate().map_err(group_error)?;
        self.deployed.extend(changes.iter().cloned());
        let running: Vec<(String, BTreeSet<String>, ConsumerConfig)> = self
            .members
            .values()
            .filter(|m| m.alive)
            .map(|m| (m.id.clone(), m.topics.clone(), m.config.clone()))
            .collect();
        for (id, ..) in &running {
            self.stop_member(id, false, now)?;
        }
        for (id, topics, config) in running {
            self.start_member(&id, topics, config, cluster, now)?;
        }
        Ok(())
    }

    /// Starts (or restarts) a member.
    pub fn start_member(
        &mut self,
        id: &str,
        topics: BTreeSet<String>,
        config: ConsumerConfig,
        cluster: &Cluster,
        now: SimTime,
    ) -> Result<()> {
        let mut config = config;
        for (k, v) in &self.deployed {
            config.set(k, v)?;
        }
        if !self.members.contains_key(id) && self.members.len() >= GROUP_MEMBERS_MAX {
            return Err(KafkaError::limit(crate::budget::refusal(
                format_args!("member '{id}'"),
                GROUP_MEMBERS_MAX as u64,
                "members per consumer group",
                "GROUP_MEMBERS",
                "",
            )));
        }
        for t in &topics {
            cluster.topic(t)?;
        }
        if let Some(instance) = &config.group.group_instance_id {
            config.group.group_instance_id = Some(instance.replace("{member}", id));
        }
        let previous = self.members.get(id);
        if previous.is_some_and(|m| m.alive) {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("member '{id}' is running"),
            ));
        }
        let incarnation = previous.map_or(1, |m| m.incarnation + 1);
        let member_id = match previous {
            Some(m) if m.crashed && config.group.group_instance_id.is_none() => {
                format!("{id}#{incarnation}")
            }
            Some(m) => m.member_id.clone(),
            None => id.to_string(),
        };
        let partitions = self.subscribed_with(cluster, &topics);
        self.group.tick(now, &partitions);
        self.group
            .join(now, &member_id, config.group.clone(), topics.clone())
            .map_err(group_error)?;
        self.members.insert(
            id.to_string(),
            Member {
                id: id.to_string(),
                member_id,
                incarnation,
                crashed: false,
                config,
                topics,
                positions: BTreeMap::new(),
                alive: true,
                consumed: 0,
                last_commit: now,
                carry: 0,
                owned_last_tick: BTreeSet::new(),
                metrics: MetricSet::default(),
            },
        );
        Ok(())
    }

    fn subscribed_with(
        &self,
        cluster: &Cluster,
        extra: &BTreeSet<String>,
    ) -> BTreeMap<String, u32> {
        let mut m = self.subscribed(cluster);
        for t in extra {
            if let Ok(x) = cluster.topic(t) {
                m.insert(t.clone(), x.partitions.len() as u32);
            }
        }
        m
    }

    /// The running member the coordinator knows as `member_id`.
    pub fn member_by_id(&self, member_id: &str) -> Option<&Member> {
        self.members.values().find(|m| m.member_id == member_id)
    }

    /// Stops a member: a clean close commits its positions and leaves; a crash loses them.
    pub fn stop_member(&mut self, id: &str, crash: bool, now: SimTime) -> Result<()> {
        let Some(m) = self.members.get_mut(id) else {
            return Err(KafkaError::new(
                ErrorCode::UnknownMemberId,
                format!("no member '{id}' in group '{}'", self.group.id()),
            ));
        };
        if !m.alive {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("member '{id}' is not running"),
            ));
        }
        m.alive = false;
        m.crashed = crash;
        let member_id = m.member_id.clone();
        if crash {
            m.positions.clear();
            self.group.crash(now, &member_id).map_err(group_error)?;
        } else {
            if m.config.enable_auto_commit {
                // The final commit of close(): without a coordinator it fails and the
                // positions are gone with the process.
                let positions = std::mem::take(&mut m.positions);
                let mut failed = None;
                for (tp, off) in positions {
                    if let Err(e) = self.group.commit_unchecked(tp, off) {
                        failed = Some(e);
                    }
                }
                if let Some(e) = failed {
                    self.note_commit_error(&e, now);
                }
            }
            self.group.leave(now, &member_id).map_err(group_error)?;
        }
        Ok(())
    }

    /// The member's poll loop stops for `d` (a slow batch, a long GC).
    pub fn stall_member(&mut self, id: &str, d: SimDuration, now: SimTime) -> Result<()> {
        let member_id = self
            .members
            .get(id)
            .map_or_else(|| id.to_string(), |m| m.member_id.clone());
        self.group.stall(now, &member_id, d).map_err(group_error)
    }

    /// Runs the group to `now`: coordinator timers, then each processing member's fetches.
    #[allow(clippy::too_many_lines)]
    pub fn tick(&mut self, cluster: &Cluster, now: SimTime) {
        let dt = now.since(self.last_tick);
        self.last_tick = now;
        let sec = now.as_secs();
        let partitions = self.subscribed(cluster);
        self.group.tick(now, &partitions);
        let generation = self.group.generation();
        let ids: Vec<String> = self.members.keys().cloned().collect();
        let mut group_lag = 0u64;
        for id in ids {
            let member_id = self.members[&id].member_id.clone();
            let Some(view) = self.group.member(&member_id) else {
                continue;
            };
            let assignment: BTreeSet<TopicPartition> = view.assignment.clone();
            let processing = view.processing;
            let m = self.members.get_mut(&id).expect("listed");
            if !m.alive {
                continue;
            }
            // Partitions given up cleanly since the last tick: commit them on the way out.
            let revoked: Vec<TopicPartition> =
                m.owned_last_tick.difference(&assignment).cloned().collect();
            for tp in revoked {
                if let Some(off) = m.positions.remove(&tp)
                    && m.config.enable_auto_commit
                {
                    let _ = self.group.commit_unchecked(tp, off);
                }
            }
            m.owned_last_tick.clone_from(&assignment);
            let budget_total = u128::from(m.config.rate_per_sec) * u128::from(dt.0) / 1_000_000
                + u128::from(m.carry);
            let mut budget = budget_total.min(u128::from(u64::MAX)) as u64;
            let mut lag = 0u64;
            let n = assignment.len().max(1) as u64;
            for tp in &assignment {
                let Ok(p) = cluster.partition(&tp.topic, tp.partition) else {
                    continue;
                };
                let end = p.visible_end(m.config.read_committed);
                let reset_to = match m.config.auto_offset_reset {
                    OffsetReset::Earliest | OffsetReset::None => p.log.start_offset,
                    OffsetReset::Latest => end,
                };
                let committed = self.group.committed(tp);
                let position = *m
                    .positions
                    .entry(tp.clone())
                    .or_insert_with(|| committed.unwrap_or(reset_to));
                let position = if position < p.log.start_offset {
                    // OFFSET_OUT_OF_RANGE: retention deleted what this position pointed at.
                    self.stats.offset_resets += 1;
                    let reset = match m.config.auto_offset_reset {
                        OffsetReset::Latest => end,
                        _ => p.log.start_offset,
                    };
                    let skipped = reset - position;
                    self.stats.skipped += skipped;
                    self.metrics.add(Metric::KafkaRecordsSkipped, sec, skipped);
                    m.positions.insert(tp.clone(), reset);
                    reset
                } else {
                    position
                };
                if processing && budget > 0 && cluster.fetchable(p) {
                    let share = (budget / n)
                        .max(1)
                        .min(budget)
                        .min(m.config.max_poll_records.saturating_mul(100));
                    let upto = self.processed_upto.get(tp).copied().unwrap_or(0);
                    let mut consumed = 0u64;
                    let mut again = 0u64;
                    let mut violations = 0u64;
                    let key_last = &mut self.key_last_seq;
                    let next = p
                        .log
                        .read(position, end, share, m.config.read_committed, |r| {
                            consumed += r.count;
                            if r.offset < upto {
                                again += r.count.min(upto - r.offset);
                            }
                            if r.key != NO_KEY && r.key_seq > 0 {
                                let last = key_last.entry(r.key).or_insert(0);
                                if r.key_seq < *last {
                                    violations += 1;
                                } else {
                                    *last = r.key_seq;
                                }
                            }
                        });
                    budget = budget.saturating_sub(consumed);
                    m.positions.insert(tp.clone(), next);
                    self.processed_upto.insert(tp.clone(), upto.max(next));
                    m.consumed += consumed;
                    self.stats.consumed += consumed;
                    self.stats.reprocessed += again;
                    self.stats.order_violations += violations;
                    m.metrics.add(Metric::KafkaRecordsConsumed, sec, consumed);
                    self.metrics
                        .add(Metric::KafkaRecordsConsumed, sec, consumed);
                    self.metrics
                        .add(Metric::KafkaRecordsReprocessed, sec, again);
                    self.metrics
                        .add(Metric::KafkaKeyOrderViolations, sec, violations);
                }
                let pos = m.positions.get(tp).copied().unwrap_or(end);
                lag += end.saturating_sub(pos);
            }
            m.carry = if processing {
                budget.min(m.config.rate_per_sec)
            } else {
                0
            };
            m.metrics.set(Metric::KafkaConsumerLag, sec, lag);
            group_lag += lag;
            if m.config.enable_auto_commit
                && now.since(m.last_commit) >= m.config.auto_commit_interval
            {
                m.last_commit = now;
                let positions: Vec<(TopicPartition, u64)> =
                    m.positions.iter().map(|(k, v)| (k.clone(), *v)).collect();
                let mut failed = None;
                for (tp, off) in positions {
                    if let Err(e) = self.group.commit(now, &member_id, generation, tp, off) {
                        failed = Some(e);
                    }
                }
                // One OffsetCommit request per member; it tries again at its next interval.
                if let Some(e) = failed {
                    self.note_commit_error(&e, now);
                }
            }
        }
        // Partitions nobody is processing lag by what is unread after the committed offset.
        for (topic, count) in &partitions {
            for i in 0..*count {
                let tp = TopicPartition::new(topic, i);
                if self.group.owner_of(&tp).is_some() {
                    continue;
                }
                if let Ok(p) = cluster.partition(topic, i) {
                    let from = self.group.committed(&tp).unwrap_or(p.log.start_offset);
                    group_lag += p.high_watermark.saturating_sub(from);
                }
            }
        }
        self.metrics.set(Metric::KafkaConsumerLag, sec, group_lag);
        self.metrics.set(
            Metric::KafkaPartitionPauseMillis,
            sec,
            self.group.partition_pause_total().0 / 1000,
        );
    }

    /// `kafka-consumer-groups --reset-offsets`: new committed offsets for the partitions,
    /// computed (and, with `execute`, stored) while the group is inactive.
    pub fn reset_offsets(
        &mut self,
        cluster: &Cluster,
        topic: &str,
        partitions: Option<&[u32]>,
        to: ResetTo,
        execute: bool,
    ) -> Result<Vec<(u32, u64)>> {
        if let Some(e) = self.coordinator_error() {
            return Err(e);
        }
        self.group.check_reset_offsets().map_err(group_error)?;
        let out = reset_targets(cluster, topic, partitions, to, |tp| {
            self.group.committed(tp)
        })?;
        if execute {
            for (p, o) in &out {
                self.group
                    .set_committed(TopicPartition::new(topic, *p), *o)
                    .map_err(group_error)?;
            }
        }
        Ok(out)
    }
}

/// The offsets `--reset-offsets` moves the partitions of `topic` to (all of them when
/// `partitions` is `None`), each within what the log holds; `current` is a partition's
/// committed offset, which `--shift-by` moves from.
pub fn reset_targets(
    cluster: &Cluster,
    topic: &str,
    partitions: Option<&[u32]>,
    to: ResetTo,
    current: impl Fn(&TopicPartition) -> Option<u64>,
) -> Result<Vec<(u32, u64)>> {
    let t = cluster.topic(topic)?;
    let all: Vec<u32> = (0..t.partitions.len() as u32).collect();
    let list = partitions.unwrap_or(&all);
    let mut out = Vec::new();
    for &p in list {
        let part = cluster.partition(topic, p)?;
        let tp = TopicPartition::new(topic, p);
        let (start, end) = (part.log.start_offset, part.high_watermark);
        let target = match to {
            ResetTo::Earliest => start,
            ResetTo::Latest => end,
            ResetTo::Offset(o) => o,
            ResetTo::Datetime(t) => cluster.list_offset(topic, p, OffsetSpec::Timestamp(t))?,
            ResetTo::ShiftBy(d) => current(&tp).unwrap_or(end).saturating_add_signed(d),
        }
        .clamp(start, end);
        out.push((p, target));
    }
    Ok(out)
}

/// Where `--reset-offsets` moves a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetTo {
    Earliest,
    Latest,
    Offset(u64),
    Datetime(SimTime),
    ShiftBy(i64),
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(group_error)`
fn group_error(e: super::group::GroupError) -> KafkaError {
    let code = match e.code() {
        "UNKNOWN_MEMBER_ID" => ErrorCode::UnknownMemberId,
        "ILLEGAL_GENERATION" => ErrorCode::IllegalGeneration,
        "REBALANCE_IN_PROGRESS" => ErrorCode::RebalanceInProgress,
        "NON_EMPTY_GROUP" => ErrorCode::NonEmptyGroup,
        "GROUP_ID_NOT_FOUND" => ErrorCode::GroupIdNotFound,
        "COORDINATOR_NOT_AVAILABLE" => ErrorCode::CoordinatorNotAvailable,
        "INVALID_CONFIG" | "INVALID_SESSION_TIMEOUT" => ErrorCode::InvalidConfig,
        _ => ErrorCode::InvalidRequest,
    };
    KafkaError::new(code, e.to_string())
}
