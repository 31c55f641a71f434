//! The engine's own members in a classic group, beside real clients: each one speaks the
//! group protocol as a Java consumer would. It sends JoinGroup at once when a rebalance
//! starts (its poll loop never stalls), revokes everything first under an eager assignor,
//! assigns with the engine's Java-exact assignors when it is elected leader, and under
//! cooperative-sticky gives up only what moves and rejoins (KIP-429). It reads its partitions
//! up to the high watermark and commits its positions every `auto.commit.interval.ms` (5 s)
//! and when it gives partitions up. A crashed one stops heartbeating and is removed at its
//! session timeout like any client.

use super::consumer_protocol::{self as cp, Subscription};
use super::{ClassicGroup, JoinRequest, JoinResponse, Reply};
use crate::kafka::assignor::{self, Assignor, MemberSubscription, TopicPartition};
use crate::kafka::cluster::Cluster;
use crate::kafka::error::{ErrorCode, KafkaError, Result};
use crate::kafka::group::GroupState;
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// The Java client's defaults.
pub const SESSION_TIMEOUT: SimDuration = SimDuration::from_secs(45);
pub const REBALANCE_TIMEOUT: SimDuration = SimDuration::from_secs(300);
pub const AUTO_COMMIT_INTERVAL: SimDuration = SimDuration::from_secs(5);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedMember {
    /// The console's name for it (its `client.id`).
    pub name: String,
    pub assignor: Assignor,
    pub topics: Vec<String>,
    pub owned: BTreeSet<TopicPartition>,
    owned_generation: i32,
    positions: BTreeMap<TopicPartition, u64>,
    pub consumed: u64,
    last_commit: SimTime,
    pub crashed: bool,
}

impl ClassicGroup {
    /// The member id of the simulated member called `name`.
    pub fn simulated_id(&self, name: &str) -> Option<String> {
        self.members
            .values()
            .find(|m| m.simulated.as_ref().is_some_and(|s| s.name == name))
            .map(|m| m.id.clone())
    }

    /// Starts a simulated consumer called `name` in the group.
    pub fn start_simulated(
        &mut self,
        now: SimTime,
        name: &str,
        assignor: Assignor,
        topics: Vec<String>,
    ) -> Result<String> {
        if let Some(id) = self.simulated_id(name) {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "consumer {name} is already member {id} of group {}",
                    self.id
                ),
            ));
        }
        let sim = SimulatedMember {
            name: name.to_string(),
            assignor,
            topics,
            owned: BTreeSet::new(),
            owned_generation: -1,
            positions: BTreeMap::new(),
            consumed: 0,
            last_commit: now,
            crashed: false,
        };
        let request = JoinRequest {
            member_id: String::new(),
            instance_id: None,
            client_id: name.to_string(),
            client_host: "/simulated".to_string(),
            session_timeout: SESSION_TIMEOUT,
            rebalance_timeout: REBALANCE_TIMEOUT,
            protocol_type: cp::CONSUMER.to_string(),
            protocols: vec![(assignor.name().to_string(), metadata(&sim))],
            require_known_member_id: false,
        };
        let reply = self.join(now, request)?;
        let id = match &reply {
            Reply::Now(r) => r.member_id.clone(),
            Reply::Later(id) | Reply::MemberIdRequired(id) => id.clone(),
        };
        if let Some(m) = self.members.get_mut(&id) {
            m.simulated = Some(sim);
        }
        if let Reply::Now(r) = reply {
            self.join_replies.insert(id.clone(), Ok(r));
        }
        Ok(id)
    }

    /// Stops the simulated member `name`: a clean close commits and sends LeaveGroup; a crash
    /// just goes silent (removed at its session timeout).
    pub fn stop_simulated(&mut self, now: SimTime, name: &str, crash: bool) -> Result<()> {
        let id = self.simulated_id(name).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::UnknownMemberId,
                format!("no consumer {name} in group {}", self.id),
            )
        })?;
        if crash {
            if let Some(sim) = self.members.get_mut(&id).and_then(|m| m.simulated.as_mut()) {
                sim.crashed = true;
            }
            self.events.push(format!(
                "consumer {name} ({id}) crashed: its heartbeats stop"
            ));
            return Ok(());
        }
        self.commit_simulated(now, &id);
        self.leave(now, &id, None)
    }

    fn commit_simulated(&mut self, now: SimTime, id: &str) {
        let Some(sim) = self.members.get_mut(id).and_then(|m| m.simulated.as_mut()) else {
            return;
        };
        sim.last_commit = now;
        let positions: Vec<(TopicPartition, u64)> = sim
            .positions
            .iter()
            .filter(|(tp, _)| sim.owned.contains(tp))
            .map(|(tp, o)| (tp.clone(), *o))
            .collect();
        let allowed = self.check_commit(id, None, self.generation).is_ok();
        if allowed {
            for (tp, offset) in positions {
                let _ = self.commit(
                    now,
                    tp,
                    i64::try_from(offset).unwrap_or(i64::MAX),
                    String::new(),
                );
            }
        }
    }

    /// The simulated members' turn: heartbeats, rejoins, leadership, their SyncGroup answers,
    /// reading and committing.
    pub fn tick_simulated(&mut self, now: SimTime, cluster: &Cluster) {
        if self.coordinator_lost {
            return;
        }
        let ids: Vec<String> = self
            .members
            .values()
            .filter(|m| m.simulated.as_ref().is_some_and(|s| !s.crashed))
            .map(|m| m.id.clone())
            .collect();
        for id in &ids {
            if let Some(m) = self.members.get_mut(id) {
                m.last_heartbeat = now;
            }
            let rejoin = self.state == GroupState::PreparingRebalance
                && self.members.get(id).is_some_and(|m| !m.awaiting_join);
            if rejoin {
                self.rejoin_simulated(now, id);
            }
        }
        for id in &ids {
            if let Some(Ok(response)) = self.take_join(id) {
                self.after_join(now, id, &response, cluster);
            }
        }
        for id in &ids {
            if let Some(Ok(bytes)) = self.take_sync(id) {
                self.after_sync(now, id, &bytes);
            }
            self.read_simulated(now, id, cluster);
        }
    }

    fn rejoin_simulated(&mut self, now: SimTime, id: &str) {
        let eager = self
            .members
            .get(id)
            .and_then(|m| m.simulated.as_ref())
            .is_some_and(|s| !s.assignor.is_cooperative());
        if eager {
            self.commit_simulated(now, id);
            if let Some(sim) = self.members.get_mut(id).and_then(|m| m.simulated.as_mut()) {
                sim.owned.clear();
            }
        }
        let Some(m) = self.members.get_mut(id) else {
            return;
        };
        if let Some(sim) = &m.simulated {
            m.protocols = vec![(sim.assignor.name().to_string(), metadata(sim))];
        }
        m.awaiting_join = true;
        self.try_complete_join(now);
    }

    fn after_join(&mut self, now: SimTime, id: &str, response: &JoinResponse, cluster: &Cluster) {
        let assignments = if response.leader == id {
            leader_assignment(response, cluster)
        } else {
            Vec::new()
        };
        match self.sync(now, id, None, response.generation, assignments) {
            Ok(Reply::Now(bytes)) => self.after_sync(now, id, &bytes),
            Ok(Reply::Later(_) | Reply::MemberIdRequired(_)) | Err(_) => {}
        }
    }

    fn after_sync(&mut self, now: SimTime, id: &str, bytes: &[u8]) {
        let generation = self.generation;
        let assigned = cp::decode_assignment(bytes).unwrap_or_default();
        let Some(sim) = self.members.get_mut(id).and_then(|m| m.simulated.as_mut()) else {
            return;
        };
        let revoked: Vec<TopicPartition> = sim.owned.difference(&assigned).cloned().collect();
        sim.owned = assigned;
        sim.owned_generation = generation;
        sim.positions.retain(|tp, _| sim.owned.contains(tp));
        if sim.assignor.is_cooperative() && !revoked.is_empty() {
            let name = sim.name.clone();
            self.prepare_rebalance(
                now,
                &format!(
                    "consumer {name} revoked {} partitions and rejoins",
                    revoked.len()
                ),
            );
        }
    }

    fn read_simulated(&mut self, now: SimTime, id: &str, cluster: &Cluster) {
        let due = {
            let ClassicGroup {
                members, offsets, ..
            } = self;
            let Some(sim) = members.get_mut(id).and_then(|m| m.simulated.as_mut()) else {
                return;
            };
            let committed =
                |tp: &TopicPartition| offsets.get(tp).and_then(|c| u64::try_from(c.offset).ok());
            for tp in &sim.owned {
                let Ok(p) = cluster.partition(&tp.topic, tp.partition) else {
                    continue;
                };
                let end = p.high_watermark;
                // auto.offset.reset=latest: a partition without a committed offset starts at
                // its end.
                let pos = sim
                    .positions
                    .entry(tp.clone())
                    .or_insert_with(|| committed(tp).unwrap_or(end));
                if end > *pos {
                    sim.consumed += end - *pos;
                    *pos = end;
                }
            }
            now >= sim.last_commit + AUTO_COMMIT_INTERVAL
        };
        if due && self.state == GroupState::Stable {
            self.commit_simulated(now, id);
        }
    }
}

/// A simulated member's subscription: its topics, and what it owns with its generation (the
/// sticky assignors' memory).
fn metadata(sim: &SimulatedMember) -> Vec<u8> {
    cp::encode_subscription(&Subscription {
        topics: sim.topics.clone(),
        owned: sim.owned.clone(),
        generation: sim.owned_generation,
    })
}

/// What a simulated leader sends in its SyncGroup: the chosen assignor's answer for every
/// member's subscription (an unreadable subscription counts as subscribing to nothing).
fn leader_assignment(response: &JoinResponse, cluster: &Cluster) -> Vec<(String, Vec<u8>)> {
    let Ok(assignor) = Assignor::parse(&response.protocol) else {
        return Vec::new();
    };
    let members: Vec<MemberSubscription> = response
        .members
        .iter()
        .map(|m| {
            let sub = cp::decode_subscription(&m.metadata).unwrap_or_default();
            MemberSubscription {
                member_id: m.member_id.clone(),
                instance_id: m.instance_id.clone(),
                topics: sub.topics.into_iter().collect(),
                owned: sub.owned,
                generation: (sub.generation >= 0).then_some(sub.generation),
            }
        })
        .collect();
    let partitions: BTreeMap<String, u32> = members
        .iter()
        .flat_map(|m| m.topics.iter())
        .filter_map(|t| {
            cluster.topic(t).ok().map(|topic| {
                (
                    t.clone(),
                    u32::try_from(topic.partitions.len()).unwrap_or(0),
                )
            })
        })
        .collect();
    assignor::assign(assignor, &members, &partitions)
        .into_iter()
        .map(|(id, tps)| (id, cp::encode_assignment(&tps)))
        .collect()
}
