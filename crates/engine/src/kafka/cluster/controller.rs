//! The controller: its readiness and failover (KRaft quorum or ZooKeeper), the ZooKeeper
//! ensemble, leader elections, the work it defers until it can act, and the coordinators'
//! virtual internal partitions.

use super::{
    Broker, BrokerId, Cluster, KRAFT_CONTROLLER_FAILOVER, MetadataMode, ZK_LOAD_PER_PARTITION,
    ZK_NODES, tp,
};
use crate::kafka::coordinator::{
    COORDINATOR_LOAD_TIME, CoordinatorKind, CoordinatorPartition, CoordinatorStatus,
};
use crate::kafka::error::{ErrorCode, KafkaError, Result};
use crate::metrics::Metric;
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeMap;

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

impl Cluster {
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

    pub(super) fn require_controller(&self, now: SimTime) -> Result<()> {
        if self.controller_ready(now) {
            Ok(())
        } else {
            Err(KafkaError::new(
                ErrorCode::ControllerNotAvailable,
                self.controller_description(now),
            ))
        }
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
    pub(super) fn zk_controller_failover(
        &mut self,
        at: SimTime,
        excluding: Option<BrokerId>,
        now: SimTime,
    ) {
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

    /// [`Cluster::elect`] for a partition of a virtual internal topic: the same rule (with
    /// the broker default for unclean election), no log to truncate, and a new leader serves
    /// once it has loaded the partition's state. The world logs the move for the groups and
    /// transactional ids it concerns.
    pub(super) fn elect_coordinator(&mut self, kind: CoordinatorKind, i: usize, now: SimTime) {
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
    pub(super) fn elect(&mut self, name: &str, i: usize, now: SimTime) {
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
    pub(super) fn on_controller_work(&mut self, now: SimTime) {
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
}
