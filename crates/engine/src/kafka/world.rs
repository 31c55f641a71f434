//! Everything Kafka in one simulation: the cluster, its clients, the transaction coordinator
//! and the interned keys, advanced together by [`Kafka::tick`]. Each tick first looks at the
//! coordinators of the groups and transactional ids in use (they follow the leaders of the
//! cluster's virtual `__consumer_offsets` and `__transaction_state` partitions, see
//! [`super::coordinator`]) and logs their moves.

use super::KeyTable;
use super::assignor::TopicPartition;
use super::classic::ClassicGroup;
use super::cluster::{Cluster, MetadataMode};
use super::consumer::ConsumerGroup;
use super::coordinator::CoordinatorKind;
use super::error::{ErrorCode, KafkaError, Result};
use super::processor::{Guarantee, Processor, ProcessorConfig, source_of, tp};
use super::producer::{Ids, Producer, ProducerConfig, TxnCoordinator, TxnOffsets};
use super::producer::{TXN_COMMIT_INTERVAL, TxnState};
use crate::metrics::Metric;
use crate::time::{SimDuration, SimTime};
use crate::workload::{GenMode, KeyDist, SizeDist};
use std::collections::BTreeMap;

/// Producers one simulation may run ([`crate::budget::PRODUCERS`]).
pub const PRODUCERS_MAX: usize = crate::budget::PRODUCERS;
/// Consumer groups one simulation may hold ([`crate::budget::CONSUMER_GROUPS`]).
pub const GROUPS_MAX: usize = crate::budget::CONSUMER_GROUPS;
/// The Kafka side of the simulation ticks this often.
pub const KAFKA_TICK: SimDuration = SimDuration::from_millis(10);

#[derive(Clone, Debug)]
pub struct Kafka {
    pub cluster: Cluster,
    pub producers: BTreeMap<String, Producer>,
    pub coordinator: TxnCoordinator,
    pub keys: KeyTable,
    pub ids: Ids,
    /// Offsets committed by transactions, waiting to reach their groups.
    pub txn_offsets: TxnOffsets,
    pub groups: BTreeMap<String, ConsumerGroup>,
    /// Groups whose members are real clients (through the front door), possibly with
    /// simulated members beside them.
    pub classic_groups: BTreeMap<String, ClassicGroup>,
    pub processors: BTreeMap<String, Processor>,
    seed: u64,
    next_client: u32,
}

/// The refusal of a group past [`GROUPS_MAX`] (the two kinds of group count together).
fn groups_full(id: &str) -> KafkaError {
    KafkaError::limit(crate::budget::refusal(
        format_args!("consumer group '{id}'"),
        GROUPS_MAX as u64,
        "consumer groups",
        "CONSUMER_GROUPS",
        "",
    ))
}

impl Kafka {
    pub fn new(seed: u64, brokers: u32, mode: MetadataMode, now: SimTime) -> Result<Kafka> {
        Ok(Kafka {
            cluster: Cluster::new(brokers, mode, now)?,
            producers: BTreeMap::new(),
            coordinator: TxnCoordinator::default(),
            keys: KeyTable::default(),
            ids: Ids {
                next_batch: 1,
                next_producer: 1000,
                key_seq: Vec::new(),
            },
            txn_offsets: Vec::new(),
            groups: BTreeMap::new(),
            classic_groups: BTreeMap::new(),
            processors: BTreeMap::new(),
            seed,
            next_client: 0,
        })
    }

    /// Defines a producer client on `topic`.
    pub fn add_producer(
        &mut self,
        name: &str,
        topic: &str,
        config: ProducerConfig,
        now: SimTime,
    ) -> Result<&mut Producer> {
        if self.producers.contains_key(name) {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("a producer named '{name}' exists"),
            ));
        }
        if self.producers.len() >= PRODUCERS_MAX {
            return Err(KafkaError::limit(crate::budget::refusal(
                format_args!("producer '{name}'"),
                PRODUCERS_MAX as u64,
                "producers",
                "PRODUCERS",
                "nothing was changed",
            )));
        }
        self.cluster.topic(topic)?;
        let mut p = Producer::new(
            name,
            self.next_client,
            topic,
            config,
            self.seed,
            &mut self.ids,
            now,
        )?;
        self.next_client += 1;
        if p.is_transactional() {
            init_or_wait(
                &mut p,
                &mut self.coordinator,
                &mut self.ids,
                &mut self.cluster,
                now,
            )?;
        }
        Ok(self.producers.entry(name.to_string()).or_insert(p))
    }

    /// The group named `id`, created empty on first use (as `group.id` does), in line with
    /// its coordinator as of `now`.
    pub fn group_mut(&mut self, id: &str, now: SimTime) -> Result<&mut ConsumerGroup> {
        if !self.groups.contains_key(id)
            && self.groups.len() + self.classic_groups.len() >= GROUPS_MAX
        {
            return Err(groups_full(id));
        }
        let g = self
            .groups
            .entry(id.to_string())
            .or_insert_with(|| ConsumerGroup::new(id, now));
        let status =
            self.cluster
                .coordinator_status(CoordinatorKind::Group, g.coordinator_partition, now);
        if let Some(text) = g.observe_coordinator(status, now) {
            self.cluster.log_event(now, text);
        }
        Ok(self.groups.get_mut(id).expect("inserted above"))
    }

    /// The client-run group named `id`, created empty on first use. A group id the
    /// simulation's own consumers use (`consumer start`) is theirs: a client joining it is
    /// refused, since the two kinds keep separate books.
    pub fn classic_group_mut(&mut self, id: &str) -> Result<&mut ClassicGroup> {
        if self
            .groups
            .get(id)
            .is_some_and(|g| g.members.values().any(|m| m.alive))
        {
            return Err(KafkaError::new(
                ErrorCode::InconsistentGroupProtocol,
                format!(
                    "group '{id}' is run by the simulation's consumers (consumer start); give the client another group.id"
                ),
            ));
        }
        if !self.classic_groups.contains_key(id)
            && self.groups.len() + self.classic_groups.len() >= GROUPS_MAX
        {
            return Err(groups_full(id));
        }
        Ok(self
            .classic_groups
            .entry(id.to_string())
            .or_insert_with(|| ClassicGroup::new(id)))
    }

    /// An offset a committed transaction carried, reaching its group: a client-run group's
    /// books or the simulation's own consumers'.
    pub fn commit_transactional(
        &mut self,
        group: &str,
        tp: TopicPartition,
        offset: u64,
        now: SimTime,
    ) {
        if let Some(g) = self.classic_groups.get_mut(group) {
            let _ = g.commit(
                now,
                tp,
                i64::try_from(offset).unwrap_or(i64::MAX),
                String::new(),
            );
            return;
        }
        let g = self
            .groups
            .entry(group.to_string())
            .or_insert_with(|| ConsumerGroup::new(group, now));
        let _ = g.group.commit_transactional(tp, offset);
    }

    /// Fires the client-run groups' timers and runs their simulated members.
    fn tick_classic_groups(&mut self, now: SimTime) {
        for g in self.classic_groups.values_mut() {
            let partition = CoordinatorKind::Group.partition_for(g.id());
            let status = self
                .cluster
                .coordinator_status(CoordinatorKind::Group, partition, now);
            g.set_coordinator(now, status.is_ready());
            g.tick(now);
            g.tick_simulated(now, &self.cluster);
            for text in g.take_events() {
                self.cluster.log_event(now, text);
            }
        }
    }

    /// Brings every group and transactional id in line with its coordinator (see
    /// [`ConsumerGroup::observe_coordinator`]) and logs the changes.
    fn observe_coordinators(&mut self, now: SimTime) {
        let mut events = Vec::new();
        for g in self.groups.values_mut() {
            let status = self.cluster.coordinator_status(
                CoordinatorKind::Group,
                g.coordinator_partition,
                now,
            );
            events.extend(g.observe_coordinator(status, now));
        }
        events.extend(self.coordinator.observe(&self.cluster, now));
        for text in events {
            self.cluster.log_event(now, text);
        }
    }

    pub fn producer_mut(&mut self, name: &str) -> Result<&mut Producer> {
        self.producers.get_mut(name).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("no producer named '{name}'"),
            )
        })
    }

    /// Starts (or replaces) a producer's workload.
    pub fn start_workload(
        &mut self,
        producer: &str,
        rate_per_sec: u64,
        size: SizeDist,
        keys: Option<KeyDist>,
        mode: GenMode,
        now: SimTime,
    ) -> Result<()> {
        let p = self.producers.get_mut(producer).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("no producer named '{producer}'"),
            )
        })?;
        p.start_workload(rate_per_sec, size, keys, mode, &mut self.keys, now)
    }

    /// Starts a read-process-write processor, or restarts a crashed one.
    pub fn start_processor(
        &mut self,
        name: &str,
        group: &str,
        input: &str,
        output: &str,
        config: ProcessorConfig,
        now: SimTime,
    ) -> Result<()> {
        self.cluster.topic(input)?;
        self.cluster.topic(output)?;
        if let Some(p) = self.processors.get(name) {
            if p.alive {
                return Err(KafkaError::new(
                    ErrorCode::InvalidRequest,
                    format!("processor '{name}' is running"),
                ));
            }
        } else if self.processors.len() >= super::processor::PROCESSORS_MAX {
            return Err(KafkaError::limit(crate::budget::refusal(
                format_args!("processor '{name}'"),
                super::processor::PROCESSORS_MAX as u64,
                "processors",
                "PROCESSORS",
                "",
            )));
        }
        let mut pr = Processor::new(name, group, input, output, config, now);
        if let Some(old) = self.processors.remove(name) {
            pr.incarnation = old.incarnation + 1;
            pr.verification = old.verification.clone();
            pr.metrics = old.metrics.clone();
            pr.processed = old.processed;
            pr.carry_verifier_from(old);
        }
        self.spawn_producer(&pr, now)?;
        self.group_mut(group, now)?;
        self.processors.insert(name.to_string(), pr);
        Ok(())
    }

    fn spawn_producer(&mut self, pr: &Processor, now: SimTime) -> Result<()> {
        let pname = pr.producer_name();
        self.producers.remove(&pname);
        let mut config = ProducerConfig::default();
        if pr.config.guarantee == Guarantee::ExactlyOnce {
            config.transactional_id = Some(pr.transactional_id());
        }
        self.add_producer(&pname, &pr.output, config, now)?;
        Ok(())
    }

    fn running_processor(&mut self, name: &str) -> Result<&mut Processor> {
        let pr = self
            .processors
            .get_mut(name)
            .ok_or_else(|| super::processor::not_found(name))?;
        if pr.alive {
            Ok(pr)
        } else {
            Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("processor '{name}' is not running"),
            ))
        }
    }

    /// The processor's process dies: in-memory positions and its producer's unsent or
    /// unacknowledged outputs are gone; an open transaction stays open until a new instance
    /// fences it (or it times out).
    pub fn crash_processor(&mut self, name: &str) -> Result<()> {
        let pr = self.running_processor(name)?;
        pr.alive = false;
        pr.positions.clear();
        let pname = pr.producer_name();
        self.producers.remove(&pname);
        Ok(())
    }

    /// A clean redeploy: the processor stops reading, waits for its outputs to be
    /// acknowledged, commits, and starts again with `config`.
    pub fn reconfigure_processor(&mut self, name: &str, config: ProcessorConfig) -> Result<()> {
        let pr = self.running_processor(name)?;
        pr.draining = Some(config);
        Ok(())
    }

    fn committed_inputs(&self, pr: &Processor) -> BTreeMap<u32, u64> {
        let Some(g) = self.groups.get(&pr.group) else {
            return BTreeMap::new();
        };
        let n = self
            .cluster
            .topic(&pr.input)
            .map_or(0, |t| t.partitions.len() as u32);
        (0..n)
            .filter_map(|p| g.group.committed(&tp(&pr.input, p)).map(|o| (p, o)))
            .collect()
    }

    /// Commits the processor's input positions (`commitSync`); false when the group's
    /// coordinator is not serving.
    fn commit_inputs(&mut self, pr: &Processor, now: SimTime) -> bool {
        let Some(g) = self.groups.get_mut(&pr.group) else {
            return true;
        };
        let positions = pr.positions.iter().map(|(p, o)| (tp(&pr.input, *p), *o));
        g.commit_positions(positions, now).is_ok()
    }

    #[allow(clippy::too_many_lines)]
    fn tick_processor(&mut self, name: &str, now: SimTime) {
        let Some(mut pr) = self.processors.remove(name) else {
            return;
        };
        let sec = now.as_secs();
        let pname = pr.producer_name();
        let eos = pr.config.guarantee == Guarantee::ExactlyOnce;
        if pr.alive {
            let (in_flight, txn) = self
                .producers
                .get(&pname)
                .map_or((0, TxnState::Uninitialized), |p| {
                    (p.in_flight_records(), p.txn.clone())
                });
            if let Some(next) = pr.draining.clone() {
                let settled =
                    in_flight == 0 && !matches!(txn, TxnState::Committing | TxnState::Aborting);
                if eos && matches!(txn, TxnState::InTransaction { .. }) {
                    if let Some(p) = self.producers.get_mut(&pname) {
                        let offsets = pr
                            .positions
                            .iter()
                            .map(|(q, o)| (pr.group.clone(), pr.input.clone(), *q, *o))
                            .collect();
                        // Without its offsets the commit would make the outputs visible with
                        // the inputs still uncommitted: it waits for the coordinators.
                        if p.send_offsets(&mut self.coordinator, &self.cluster, offsets, now)
                            .is_ok()
                        {
                            let _ = p.end_transaction(true);
                        }
                    }
                } else if settled && (eos || self.commit_inputs(&pr, now)) {
                    pr.config = next;
                    pr.draining = None;
                    pr.positions.clear();
                    if self.spawn_producer(&pr, now).is_err() {
                        pr.alive = false;
                    }
                }
            } else {
                self.process(&mut pr, &pname, in_flight, &txn, now);
            }
        }
        // The verifier reads what read_committed consumers of the output would see.
        if let Ok(t) = self.cluster.topic(&pr.output) {
            for part in &t.partitions {
                let from = pr.verify_position(part.index);
                let mut sources = Vec::new();
                let next = part
                    .log
                    .read(from, part.visible_end(true), 100_000, true, |r| {
                        if let Some(s) = r.value.and_then(source_of) {
                            sources.push(s);
                        }
                    });
                pr.verify(part.index, next, &sources, sec);
            }
        }
        let committed = self.committed_inputs(&pr);
        pr.count_missing(&committed, sec);
        self.processors.insert(name.to_string(), pr);
    }

    fn process(
        &mut self,
        pr: &mut Processor,
        pname: &str,
        in_flight: u64,
        txn: &TxnState,
        now: SimTime,
    ) {
        let sec = now.as_secs();
        let eos = pr.config.guarantee == Guarantee::ExactlyOnce;
        // An at-least-once commit flushes the producer first (processing waits), then commits
        // the positions whose outputs are all acknowledged.
        if pr.flushing {
            // commitSync blocks (processing waits) until the group's coordinator takes it.
            if in_flight == 0 && self.commit_inputs(pr, now) {
                pr.flushing = false;
                pr.last_commit = now;
            }
            return;
        }
        let committed = self.committed_inputs(pr);
        let Some(producer) = self.producers.get_mut(pname) else {
            return;
        };
        if eos {
            match txn {
                TxnState::Ready => {
                    let _ = producer.begin_transaction(now);
                }
                TxnState::InTransaction { started }
                    if now.since(*started) >= TXN_COMMIT_INTERVAL =>
                {
                    let offsets = pr
                        .positions
                        .iter()
                        .map(|(q, o)| (pr.group.clone(), pr.input.clone(), *q, *o))
                        .collect();
                    if producer
                        .send_offsets(&mut self.coordinator, &self.cluster, offsets, now)
                        .is_ok()
                    {
                        let _ = producer.end_transaction(true);
                    }
                    return;
                }
                TxnState::InTransaction { .. } => {}
                _ => return,
            }
        }
        let mut budget = pr.budget(now);
        let Ok(input) = self.cluster.topic(&pr.input) else {
            return;
        };
        let n = input.partitions.len().max(1) as u64;
        let mut outputs: Vec<(u32, u64, u32)> = Vec::new();
        for part in &input.partitions {
            let pos = *pr.positions.entry(part.index).or_insert_with(|| {
                committed
                    .get(&part.index)
                    .copied()
                    .unwrap_or(part.log.start_offset)
            });
            let pos = pos.max(part.log.start_offset);
            if !self.cluster.fetchable(part) {
                continue;
            }
            let share = (budget / n).max(1).min(budget);
            let mut read = 0;
            let next = part.log.read(pos, part.visible_end(eos), share, eos, |r| {
                read += r.count;
                outputs.push((part.index, r.offset, r.key));
            });
            budget -= read.min(budget);
            pr.positions.insert(part.index, next);
        }
        pr.keep_carry(budget);
        let producer = self.producers.get_mut(pname).expect("checked above");
        for (p, offset, key) in &outputs {
            let value = format!("{p}:{offset}");
            let key = self.keys.name(*key).map(|k| (*key, k));
            let _ = producer.send(key, Some(&value), None, &self.cluster, &mut self.ids, now);
        }
        // Console sends keep their outcomes for `produce`; a processor does not read them.
        producer.outcomes.clear();
        pr.processed += outputs.len() as u64;
        pr.metrics
            .add(Metric::KafkaProcessorProcessed, sec, outputs.len() as u64);
        match pr.config.guarantee {
            // A failed commit is tried again at the next tick's.
            Guarantee::AtMostOnce => {
                self.commit_inputs(pr, now);
            }
            Guarantee::AtLeastOnce => {
                if now.since(pr.last_commit) >= pr.config.commit_interval {
                    pr.flushing = true;
                }
            }
            Guarantee::ExactlyOnce => {}
        }
    }

    /// Work units of the next tick (see [`crate::budget::WORK_PER_ADVANCE`]): a quarter per
    /// partition the cluster visits (about 0.2 us each), what producers and consumers do.
    pub fn tick_work(&self) -> u64 {
        1 + self.cluster.active_partitions() as u64 / 4
            + self
                .producers
                .values()
                .map(Producer::tick_work)
                .sum::<u64>()
            + self
                .groups
                .values()
                .map(ConsumerGroup::tick_work)
                .sum::<u64>()
    }

    /// Records the running workloads offer per second in record mode.
    pub fn record_rate(&self) -> u64 {
        self.producers
            .values()
            .filter(|p| p.running)
            .filter_map(|p| p.workload.as_ref())
            .filter(|w| w.mode == GenMode::Record)
            .map(|w| w.rate_per_sec)
            .sum()
    }

    /// Advances the cluster and every client to `now`.
    pub fn tick(&mut self, now: SimTime) {
        self.cluster.tick(now);
        self.observe_coordinators(now);
        let names: Vec<String> = self.processors.keys().cloned().collect();
        for name in names {
            self.tick_processor(&name, now);
        }
        for p in self.producers.values_mut() {
            p.tick(
                &mut self.cluster,
                &mut self.coordinator,
                &mut self.ids,
                &mut self.txn_offsets,
                now,
            );
        }
        let timeouts: BTreeMap<String, SimDuration> = self
            .producers
            .values()
            .filter_map(|p| {
                p.config
                    .transactional_id
                    .clone()
                    .map(|id| (id, p.config.transaction_timeout))
            })
            .collect();
        for (group, topic, partition, offset) in std::mem::take(&mut self.txn_offsets) {
            self.commit_transactional(&group, TopicPartition::new(&topic, partition), offset, now);
        }
        for g in self.groups.values_mut() {
            g.tick(&self.cluster, now);
        }
        self.tick_classic_groups(now);
        for p in self.producers.values_mut() {
            let lost = self
                .cluster
                .lost_by_client
                .get(&p.client)
                .copied()
                .unwrap_or(0)
                + p.stats.dropped_unacked;
            if lost > p.lost_reported {
                p.metrics.add(
                    crate::metrics::Metric::KafkaRecordsLost,
                    now.as_secs(),
                    lost - p.lost_reported,
                );
                p.lost_reported = lost;
            }
        }
        for id in self.coordinator.expire(&timeouts, &mut self.cluster, now) {
            self.cluster.log_event(
                now,
                format!("transaction of '{id}' timed out: aborted, epoch bumped"),
            );
        }
    }

    /// Redeploys a producer with its configs changed by `changes`.
    pub fn reconfigure_producer(
        &mut self,
        name: &str,
        changes: &[(String, String)],
        now: SimTime,
    ) -> Result<()> {
        let p = self.producer_mut(name)?;
        let mut config = p.config.clone();
        for (k, v) in changes {
            config.set(k, v)?;
        }
        let p = self.producers.get_mut(name).expect("checked");
        p.reconfigure(config, &mut self.ids, now)?;
        if p.is_transactional() {
            init_or_wait(
                p,
                &mut self.coordinator,
                &mut self.ids,
                &mut self.cluster,
                now,
            )?;
        }
        Ok(())
    }

    /// Acknowledged records of a producer that are no longer in the log.
    pub fn lost(&self, producer: &Producer) -> u64 {
        self.cluster
            .lost_by_client
            .get(&producer.client)
            .copied()
            .unwrap_or(0)
            + producer.stats.dropped_unacked
    }
}

/// `initTransactions` for a producer being started: it blocks while the transaction
/// coordinator is unavailable or loading, so the producer waits (retrying each tick) instead
/// of failing to start.
fn init_or_wait(
    p: &mut Producer,
    coordinator: &mut TxnCoordinator,
    ids: &mut Ids,
    cluster: &mut Cluster,
    now: SimTime,
) -> Result<()> {
    match p.init_transactions(coordinator, ids, cluster, now) {
        Err(e)
            if matches!(
                e.code,
                ErrorCode::CoordinatorNotAvailable | ErrorCode::CoordinatorLoadInProgress
            ) =>
        {
            p.txn = TxnState::Initializing;
            Ok(())
        }
        other => other,
    }
}
