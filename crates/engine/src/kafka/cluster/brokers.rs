//! Brokers: stopping (cleanly or not), starting and pausing them, and the controller fencing
//! one out of the cluster.

use super::{BrokerId, BrokerState, Cluster, MetadataMode, list, tp};
use crate::kafka::coordinator::{COORDINATOR_LOAD_TIME, CoordinatorKind};
use crate::kafka::error::{ErrorCode, KafkaError, Result};
use crate::time::{SimDuration, SimTime};

impl Cluster {
    pub(super) fn wake_partitions_of(&mut self, b: BrokerId) {
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
            // when its ZooKeeper session (as the broker configured it) expires.
            let at = if controlled {
                now
            } else {
                now + self.brokers[&id].config.session_timeout
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
            let timeout = self.brokers[&id].config.session_timeout;
            if d > timeout {
                self.zk_controller_failover(now + timeout, Some(id), now);
            }
        }
        self.wake_partitions_of(id);
        Ok(())
    }

    /// The controller removes a broker: out of every ISR (never emptying one) and a new
    /// leader for each partition it led.
    pub(super) fn fence(&mut self, id: BrokerId, now: SimTime, why: &str) {
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
}
