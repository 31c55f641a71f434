//! A consumer group whose members are real clients: the broker's classic group coordinator
//! (Kafka's `GroupCoordinator`, the protocol before KIP-848), request for request. Clients
//! run the protocol themselves: they send JoinGroup with their protocols (assignor names and
//! subscription bytes), the coordinator waits until every known member has rejoined (or the
//! rebalance timeout drops the rest), picks the protocol they all support, hands the leader
//! every member's metadata, and gives each member the assignment the leader's SyncGroup sent.
//! Heartbeats keep sessions alive; a session that runs out removes its member and rebalances.
//! Offsets are committed against the member id and generation, as a broker checks them.
//!
//! Pure and on virtual time: every call takes `now`, and [`ClassicGroup::tick`] fires the
//! timers (session expiry, the initial rebalance delay, the rebalance timeout). A request the
//! broker would hold (a JoinGroup until the join phase ends, a follower's SyncGroup until the
//! leader's arrives) answers [`Reply::Later`]; its answer is then collected with
//! [`ClassicGroup::take_join`] or [`ClassicGroup::take_sync`].
//!
//! Simulated members ([`simulated`]) take part in the same protocol beside real clients: they
//! rejoin at once when a rebalance starts and, when one leads, assign with the engine's
//! Java-exact assignors.

pub mod consumer_protocol;
pub mod simulated;
#[cfg(test)]
mod tests;

use super::assignor::TopicPartition;
use super::error::{ErrorCode, KafkaError, Result};
use super::group::{GroupState, SESSION_TIMEOUT_MAX, SESSION_TIMEOUT_MIN};
use crate::time::{SimDuration, SimTime};
use simulated::SimulatedMember;
use std::collections::BTreeMap;

/// The broker's `group.initial.rebalance.delay.ms` (3 s): the first rebalance of an empty
/// group waits this long (and again for each member that joins meanwhile, up to the rebalance
/// timeout) so that a group starting together gets one rebalance, not one per member.
pub const INITIAL_REBALANCE_DELAY: SimDuration = SimDuration::from_secs(3);
/// Members per group (the model's `group.max.size`).
pub const MEMBERS_MAX: usize = crate::budget::GROUP_MEMBERS;
/// Protocols (assignors) one member may offer.
pub const PROTOCOLS_PER_MEMBER_MAX: usize = 16;
/// Bytes of one protocol's metadata, or of one member's assignment.
pub const METADATA_BYTES_MAX: usize = 1 << 20;
/// The broker's `offset.metadata.max.bytes`.
pub const OFFSET_METADATA_BYTES_MAX: usize = 4_096;
/// Committed partitions per group.
pub const OFFSETS_MAX: usize = 100_000;
/// Characters of a member id, a client id, a protocol name.
pub const NAME_CHARS_MAX: usize = 255;

/// A JoinGroup request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinRequest {
    /// Empty for a member's first join.
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: SimDuration,
    pub rebalance_timeout: SimDuration,
    pub protocol_type: String,
    /// Assignor names with their metadata, most preferred first.
    pub protocols: Vec<(String, Vec<u8>)>,
    /// JoinGroup v4+: a new member is first given an id (MEMBER_ID_REQUIRED) and joins with
    /// it, so that a client whose first response is lost does not leave a ghost behind.
    pub require_known_member_id: bool,
}

/// One member as the leader's JoinGroup response lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinedMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub metadata: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinResponse {
    pub generation: i32,
    pub protocol_type: String,
    pub protocol: String,
    pub leader: String,
    pub member_id: String,
    /// Every member's metadata for the chosen protocol, for the leader only.
    pub members: Vec<JoinedMember>,
}

/// A request answered now, or held until the group gets there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply<T> {
    Now(T),
    /// Held: collect the answer for this member id later.
    Later(String),
    /// JoinGroup only: a new member's first join is given this id to join again with.
    MemberIdRequired(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committed {
    pub offset: i64,
    pub metadata: String,
    pub at: SimTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassicMember {
    pub id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: SimDuration,
    pub rebalance_timeout: SimDuration,
    pub protocols: Vec<(String, Vec<u8>)>,
    /// The bytes the leader assigned it this generation.
    pub assignment: Vec<u8>,
    last_heartbeat: SimTime,
    awaiting_join: bool,
    awaiting_sync: bool,
    /// Join order: the leader is the earliest member still in the group.
    seq: u64,
    /// Set for the engine's own members.
    pub simulated: Option<SimulatedMember>,
}

impl ClassicMember {
    /// Its session runs on heartbeats: a client's, or a crashed simulated member's (a live one
    /// heartbeats every tick).
    fn heartbeats_by_wire(&self) -> bool {
        self.simulated.as_ref().is_none_or(|s| s.crashed)
    }

    fn metadata_for(&self, protocol: &str) -> Vec<u8> {
        self.protocols
            .iter()
            .find(|(name, _)| name == protocol)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassicGroup {
    id: String,
    state: GroupState,
    generation: i32,
    protocol_type: Option<String>,
    protocol: Option<String>,
    leader: Option<String>,
    members: BTreeMap<String, ClassicMember>,
    /// Member ids handed out with MEMBER_ID_REQUIRED and not used yet, with their expiry.
    pending: BTreeMap<String, SimTime>,
    /// The join phase ends no later than this (members that did not rejoin are dropped).
    rebalance_deadline: SimTime,
    /// ... and, for the first rebalance of an empty group, no earlier than this.
    delay_until: Option<SimTime>,
    join_replies: BTreeMap<String, Result<JoinResponse>>,
    sync_replies: BTreeMap<String, Result<Vec<u8>>>,
    offsets: BTreeMap<TopicPartition, Committed>,
    next_seq: u64,
    rebalances_total: u64,
    /// What the group did, for the console's event log (taken by [`ClassicGroup::take_events`]).
    events: Vec<String>,
    /// While no loaded coordinator serves the group, no timer fires.
    coordinator_lost: bool,
}

fn err(code: ErrorCode, message: impl Into<String>) -> KafkaError {
    KafkaError::new(code, message)
}

impl ClassicGroup {
    pub fn new(id: &str) -> Self {
        ClassicGroup {
            id: id.to_string(),
            state: GroupState::Empty,
            generation: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: BTreeMap::new(),
            pending: BTreeMap::new(),
            rebalance_deadline: SimTime::ZERO,
            delay_until: None,
            join_replies: BTreeMap::new(),
            sync_replies: BTreeMap::new(),
            offsets: BTreeMap::new(),
            next_seq: 0,
            rebalances_total: 0,
            events: Vec::new(),
            coordinator_lost: false,
        }
    }

    // ----- queries -----

    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn state(&self) -> GroupState {
        self.state
    }
    pub fn generation(&self) -> i32 {
        self.generation
    }
    pub fn protocol_type(&self) -> Option<&str> {
        self.protocol_type.as_deref()
    }
    /// The assignor the members agreed on (none while no generation is in force).
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }
    pub fn leader(&self) -> Option<&str> {
        self.leader.as_deref()
    }
    /// Members in join order.
    pub fn members(&self) -> Vec<&ClassicMember> {
        let mut all: Vec<&ClassicMember> = self.members.values().collect();
        all.sort_by_key(|m| m.seq);
        all
    }
    pub fn member(&self, id: &str) -> Option<&ClassicMember> {
        self.members.get(id)
    }
    pub fn committed(&self, tp: &TopicPartition) -> Option<&Committed> {
        self.offsets.get(tp)
    }
    pub fn offsets(&self) -> &BTreeMap<TopicPartition, Committed> {
        &self.offsets
    }
    pub fn rebalances_total(&self) -> u64 {
        self.rebalances_total
    }
    pub fn take_events(&mut self) -> Vec<String> {
        std::mem::take(&mut self.events)
    }

    // ----- JoinGroup -----

    pub fn join(&mut self, now: SimTime, req: JoinRequest) -> Result<Reply<JoinResponse>> {
        self.check_join(&req)?;
        if let Some(instance) = req.instance_id.clone()
            && let Some(old) = self.static_member(&instance)
        {
            return self.join_static(now, req, old);
        }
        if req.member_id.is_empty() {
            let id = self.new_member_id(&req.client_id);
            if req.require_known_member_id && req.instance_id.is_none() {
                self.pending.insert(id.clone(), now + req.session_timeout);
                return Ok(Reply::MemberIdRequired(id));
            }
            return Ok(self.add_member(now, id, req));
        }
        if self.pending.remove(&req.member_id).is_some() {
            let id = req.member_id.clone();
            return Ok(self.add_member(now, id, req));
        }
        let Some(m) = self.members.get(&req.member_id) else {
            return Err(err(
                ErrorCode::UnknownMemberId,
                format!("member {} is not in group {}", req.member_id, self.id),
            ));
        };
        let changed = m.protocols != req.protocols;
        let id = req.member_id.clone();
        let is_leader = self.leader.as_deref() == Some(id.as_str());
        self.update_member(now, &id, req);
        match self.state {
            GroupState::PreparingRebalance => {
                self.set_awaiting_join(&id);
                Ok(self.join_or_wait(now, id))
            }
            // Same metadata as this generation: the member lost its response; answer again.
            GroupState::CompletingRebalance | GroupState::Stable
                if !(changed || is_leader && self.state == GroupState::Stable) =>
            {
                Ok(Reply::Now(self.join_response(&id)))
            }
            _ => {
                let reason = if changed {
                    format!("member {id} rejoined with new metadata")
                } else {
                    format!("leader {id} rejoined")
                };
                self.prepare_rebalance(now, &reason);
                self.set_awaiting_join(&id);
                Ok(self.join_or_wait(now, id))
            }
        }
    }

    fn check_join(&self, req: &JoinRequest) -> Result<()> {
        if self.id.is_empty() {
            return Err(err(ErrorCode::InvalidGroupId, "the group id is empty"));
        }
        if req.session_timeout < SESSION_TIMEOUT_MIN || req.session_timeout > SESSION_TIMEOUT_MAX {
            return Err(err(
                ErrorCode::InvalidSessionTimeout,
                format!(
                    "session.timeout.ms {} is outside the broker's group.min.session.timeout.ms ({}) and group.max.session.timeout.ms ({})",
                    req.session_timeout.as_millis(),
                    SESSION_TIMEOUT_MIN.as_millis(),
                    SESSION_TIMEOUT_MAX.as_millis()
                ),
            ));
        }
        if req.protocols.is_empty() || req.protocol_type.is_empty() {
            return Err(err(
                ErrorCode::InconsistentGroupProtocol,
                "a JoinGroup needs a protocol type and at least one protocol",
            ));
        }
        if req.protocols.len() > PROTOCOLS_PER_MEMBER_MAX
            || req.protocols.iter().any(|(name, meta)| {
                name.chars().count() > NAME_CHARS_MAX || meta.len() > METADATA_BYTES_MAX
            })
            || [&req.member_id, &req.client_id, &req.client_host]
                .iter()
                .any(|s| s.chars().count() > NAME_CHARS_MAX)
        {
            return Err(err(
                ErrorCode::InvalidRequest,
                format!(
                    "at most {PROTOCOLS_PER_MEMBER_MAX} protocols of {METADATA_BYTES_MAX} bytes, names of {NAME_CHARS_MAX} characters"
                ),
            ));
        }
        // The new member's protocols must meet every other member's.
        let others: Vec<&ClassicMember> = self
            .members
            .values()
            .filter(|m| m.id != req.member_id)
            .collect();
        if !others.is_empty() {
            let same_type = self.protocol_type.as_deref() == Some(req.protocol_type.as_str());
            let common = req.protocols.iter().any(|(name, _)| {
                others
                    .iter()
                    .all(|m| m.protocols.iter().any(|(n, _)| n == name))
            });
            if !same_type || !common {
                let theirs: Vec<&str> = others[0]
                    .protocols
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect();
                let mine: Vec<&str> = req.protocols.iter().map(|(n, _)| n.as_str()).collect();
                return Err(err(
                    ErrorCode::InconsistentGroupProtocol,
                    format!(
                        "the group's members use {}; this member offers {}",
                        theirs.join(","),
                        mine.join(",")
                    ),
                ));
            }
        }
        let known =
            self.members.contains_key(&req.member_id) || self.pending.contains_key(&req.member_id);
        if !known && self.members.len() + self.pending.len() >= MEMBERS_MAX {
            return Err(err(
                ErrorCode::GroupMaxSizeReached,
                format!("group {} has {MEMBERS_MAX} members", self.id),
            ));
        }
        Ok(())
    }

    fn static_member(&self, instance: &str) -> Option<String> {
        self.members
            .values()
            .find(|m| m.instance_id.as_deref() == Some(instance))
            .map(|m| m.id.clone())
    }

    /// A static member (KIP-345) comes back: a restart with an empty member id takes the old
    /// member's place and assignment under a new id with no rebalance (the old id is fenced);
    /// a known id is an ordinary rejoin.
    fn join_static(
        &mut self,
        now: SimTime,
        req: JoinRequest,
        old: String,
    ) -> Result<Reply<JoinResponse>> {
        if !req.member_id.is_empty() && req.member_id != old {
            return Err(err(
                ErrorCode::FencedInstanceId,
                format!(
                    "instance {} is now member {old}; member {} was fenced",
                    req.instance_id.unwrap_or_default(),
                    req.member_id
                ),
            ));
        }
        let id = if req.member_id.is_empty() {
            let new_id = self.new_member_id(&req.client_id);
            if let Some(mut m) = self.members.remove(&old) {
                m.id.clone_from(&new_id);
                self.members.insert(new_id.clone(), m);
            }
            if self.leader.as_deref() == Some(old.as_str()) {
                self.leader = Some(new_id.clone());
            }
            if self.sync_replies.remove(&old).is_some() || self.join_replies.remove(&old).is_some()
            {
                self.join_replies.insert(
                    old.clone(),
                    Err(err(ErrorCode::FencedInstanceId, "a newer instance joined")),
                );
            }
            new_id
        } else {
            old
        };
        let changed = self
            .members
            .get(&id)
            .is_some_and(|m| m.protocols != req.protocols);
        self.update_member(now, &id, req);
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance if !changed => {
                Ok(Reply::Now(self.join_response(&id)))
            }
            GroupState::PreparingRebalance => {
                self.set_awaiting_join(&id);
                Ok(self.join_or_wait(now, id))
            }
            _ => {
                self.prepare_rebalance(now, &format!("static member {id} changed its metadata"));
                self.set_awaiting_join(&id);
                Ok(self.join_or_wait(now, id))
            }
        }
    }

    fn new_member_id(&mut self, client_id: &str) -> String {
        self.next_seq += 1;
        // Kafka: the client id, a dash, a random UUID. Deterministic here.
        let client: String = client_id.chars().take(NAME_CHARS_MAX - 40).collect();
        format!(
            "{client}-{:08x}-0000-4000-8000-{:012x}",
            crate::kafka::coordinator::java_string_hash(&self.id) as u32,
            self.next_seq
        )
    }

    fn add_member(&mut self, now: SimTime, id: String, req: JoinRequest) -> Reply<JoinResponse> {
        self.next_seq += 1;
        if self.members.is_empty() {
            self.protocol_type = Some(req.protocol_type.clone());
        }
        self.members.insert(
            id.clone(),
            ClassicMember {
                id: id.clone(),
                instance_id: req.instance_id,
                client_id: req.client_id,
                client_host: req.client_host,
                session_timeout: req.session_timeout,
                rebalance_timeout: req.rebalance_timeout,
                protocols: req.protocols,
                assignment: Vec::new(),
                last_heartbeat: now,
                awaiting_join: false,
                awaiting_sync: false,
                seq: self.next_seq,
                simulated: None,
            },
        );
        if self.leader.is_none() {
            self.leader = Some(id.clone());
        }
        let was_empty = self.state == GroupState::Empty;
        if self.state == GroupState::PreparingRebalance {
            // Another member arriving during the initial delay extends it.
            if let Some(until) = self.delay_until {
                self.delay_until =
                    Some((until.max(now + INITIAL_REBALANCE_DELAY)).min(self.rebalance_deadline));
            }
        } else {
            self.prepare_rebalance(now, &format!("member {id} joined"));
            if was_empty {
                self.delay_until =
                    Some((now + INITIAL_REBALANCE_DELAY).min(self.rebalance_deadline));
            }
        }
        self.events
            .push(format!("member {id} joined group {}", self.id));
        self.set_awaiting_join(&id);
        self.join_or_wait(now, id)
    }

    fn update_member(&mut self, now: SimTime, id: &str, req: JoinRequest) {
        if let Some(m) = self.members.get_mut(id) {
            m.protocols = req.protocols;
            m.session_timeout = req.session_timeout;
            m.rebalance_timeout = req.rebalance_timeout;
            m.client_id = req.client_id;
            m.client_host = req.client_host;
            m.last_heartbeat = now;
        }
    }

    fn set_awaiting_join(&mut self, id: &str) {
        if let Some(m) = self.members.get_mut(id) {
            m.awaiting_join = true;
        }
    }

    fn join_or_wait(&mut self, now: SimTime, id: String) -> Reply<JoinResponse> {
        self.try_complete_join(now);
        match self.join_replies.remove(&id) {
            Some(Ok(r)) => Reply::Now(r),
            // An error for this member was queued (it cannot be: it just joined); hold it.
            Some(Err(e)) => {
                self.join_replies.insert(id.clone(), Err(e));
                Reply::Later(id)
            }
            None => Reply::Later(id),
        }
    }

    /// The answer to a held JoinGroup, once the join phase is over.
    pub fn take_join(&mut self, member_id: &str) -> Option<Result<JoinResponse>> {
        self.join_replies.remove(member_id)
    }

    fn join_response(&self, id: &str) -> JoinResponse {
        let protocol = self.protocol.clone().unwrap_or_default();
        let leader = self.leader.clone().unwrap_or_default();
        let members = if leader == id {
            self.members()
                .into_iter()
                .map(|m| JoinedMember {
                    member_id: m.id.clone(),
                    instance_id: m.instance_id.clone(),
                    metadata: m.metadata_for(&protocol),
                })
                .collect()
        } else {
            Vec::new()
        };
        JoinResponse {
            generation: self.generation,
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            protocol,
            leader,
            member_id: id.to_string(),
            members,
        }
    }

    fn prepare_rebalance(&mut self, now: SimTime, reason: &str) {
        if self.state == GroupState::CompletingRebalance {
            // The followers waiting for the leader's SyncGroup learn of the new rebalance.
            for m in self.members.values_mut() {
                if std::mem::take(&mut m.awaiting_sync) {
                    self.sync_replies.insert(
                        m.id.clone(),
                        Err(err(ErrorCode::RebalanceInProgress, reason)),
                    );
                }
            }
        }
        if self.state == GroupState::PreparingRebalance {
            return;
        }
        let timeout = self
            .members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or(SimDuration::ZERO);
        self.state = GroupState::PreparingRebalance;
        self.rebalance_deadline = now + timeout;
        self.delay_until = None;
        self.rebalances_total += 1;
        self.events.push(format!(
            "group {} is rebalancing (generation {}): {reason}",
            self.id,
            self.generation + 1
        ));
    }

    fn try_complete_join(&mut self, now: SimTime) {
        if self.state != GroupState::PreparingRebalance {
            return;
        }
        let all_joined = self.pending.is_empty() && self.members.values().all(|m| m.awaiting_join);
        let delayed = self.delay_until.is_some_and(|t| now < t);
        if (all_joined && !delayed) || now >= self.rebalance_deadline {
            self.complete_join(now);
        }
    }

    fn complete_join(&mut self, now: SimTime) {
        let dropped: Vec<String> = self
            .members
            .values()
            .filter(|m| !m.awaiting_join)
            .map(|m| m.id.clone())
            .collect();
        for id in dropped {
            self.members.remove(&id);
            self.events.push(format!(
                "member {id} was removed from group {}: it did not rejoin within the rebalance timeout",
                self.id
            ));
        }
        self.pending.clear();
        self.delay_until = None;
        self.generation += 1;
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.protocol = None;
            self.leader = None;
            self.events.push(format!(
                "group {} is empty (generation {})",
                self.id, self.generation
            ));
            return;
        }
        self.protocol = self.select_protocol();
        if !self
            .leader
            .as_ref()
            .is_some_and(|l| self.members.contains_key(l))
        {
            self.leader = self.members().first().map(|m| m.id.clone());
        }
        self.state = GroupState::CompletingRebalance;
        let ids: Vec<String> = self.members().iter().map(|m| m.id.clone()).collect();
        for id in &ids {
            let response = self.join_response(id);
            if let Some(m) = self.members.get_mut(id) {
                m.awaiting_join = false;
                m.last_heartbeat = now;
                m.assignment.clear();
            }
            self.join_replies.insert(id.clone(), Ok(response));
        }
        self.events.push(format!(
            "group {} generation {}: {} members, protocol {}, leader {}",
            self.id,
            self.generation,
            ids.len(),
            self.protocol.as_deref().unwrap_or("-"),
            self.leader.as_deref().unwrap_or("-")
        ));
    }

    /// Each member votes for the first of its protocols that every member supports; the most
    /// votes win (ties: the protocol the earliest member prefers).
    fn select_protocol(&self) -> Option<String> {
        let members = self.members();
        let first = members.first()?;
        let candidates: Vec<&str> = first
            .protocols
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| {
                members
                    .iter()
                    .all(|m| m.protocols.iter().any(|(p, _)| p == n))
            })
            .collect();
        let mut votes: Vec<(&str, usize)> = candidates.iter().map(|c| (*c, 0)).collect();
        for m in &members {
            if let Some(choice) = m
                .protocols
                .iter()
                .find(|(p, _)| candidates.contains(&p.as_str()))
                && let Some(v) = votes.iter_mut().find(|(c, _)| *c == choice.0)
            {
                v.1 += 1;
            }
        }
        let best = votes.iter().map(|(_, n)| *n).max()?;
        votes
            .iter()
            .find(|(_, n)| *n == best)
            .map(|(c, _)| (*c).to_string())
    }

    // ----- SyncGroup, Heartbeat, LeaveGroup -----

    fn check_member(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
    ) -> Result<()> {
        if let Some(instance) = instance_id
            && let Some(owner) = self.static_member(instance)
            && owner != member_id
        {
            return Err(err(
                ErrorCode::FencedInstanceId,
                format!("instance {instance} is member {owner} now"),
            ));
        }
        if !self.members.contains_key(member_id) {
            return Err(err(
                ErrorCode::UnknownMemberId,
                format!("member {member_id} is not in group {}", self.id),
            ));
        }
        if generation != self.generation {
            return Err(err(
                ErrorCode::IllegalGeneration,
                format!(
                    "generation {generation} is not the group's ({})",
                    self.generation
                ),
            ));
        }
        Ok(())
    }

    pub fn sync(
        &mut self,
        now: SimTime,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        assignments: Vec<(String, Vec<u8>)>,
    ) -> Result<Reply<Vec<u8>>> {
        self.check_member(member_id, instance_id, generation)?;
        if assignments
            .iter()
            .any(|(_, a)| a.len() > METADATA_BYTES_MAX)
        {
            return Err(err(
                ErrorCode::InvalidRequest,
                format!("an assignment over {METADATA_BYTES_MAX} bytes"),
            ));
        }
        match self.state {
            GroupState::Empty | GroupState::Dead => {
                Err(err(ErrorCode::UnknownMemberId, "the group is empty"))
            }
            GroupState::PreparingRebalance => Err(err(
                ErrorCode::RebalanceInProgress,
                format!("group {} is rebalancing: join again", self.id),
            )),
            GroupState::Stable => Ok(Reply::Now(
                self.members
                    .get(member_id)
                    .map(|m| m.assignment.clone())
                    .unwrap_or_default(),
            )),
            GroupState::CompletingRebalance => {
                if let Some(m) = self.members.get_mut(member_id) {
                    m.awaiting_sync = true;
                    m.last_heartbeat = now;
                }
                if self.leader.as_deref() == Some(member_id) {
                    let mut given: BTreeMap<String, Vec<u8>> = assignments.into_iter().collect();
                    for m in self.members.values_mut() {
                        m.assignment = given.remove(&m.id).unwrap_or_default();
                        if std::mem::take(&mut m.awaiting_sync) {
                            self.sync_replies
                                .insert(m.id.clone(), Ok(m.assignment.clone()));
                        }
                    }
                    self.state = GroupState::Stable;
                    self.events.push(format!(
                        "group {} is stable at generation {}",
                        self.id, self.generation
                    ));
                }
                Ok(match self.sync_replies.remove(member_id) {
                    Some(Ok(a)) => Reply::Now(a),
                    Some(Err(e)) => return Err(e),
                    None => Reply::Later(member_id.to_string()),
                })
            }
        }
    }

    /// The answer to a held SyncGroup, once the leader's has arrived (or a new rebalance
    /// started).
    pub fn take_sync(&mut self, member_id: &str) -> Option<Result<Vec<u8>>> {
        self.sync_replies.remove(member_id)
    }

    pub fn heartbeat(
        &mut self,
        now: SimTime,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
    ) -> Result<()> {
        if self.state == GroupState::Empty {
            return Err(err(ErrorCode::UnknownMemberId, "the group is empty"));
        }
        self.check_member(member_id, instance_id, generation)?;
        if let Some(m) = self.members.get_mut(member_id) {
            m.last_heartbeat = now;
        }
        if self.state == GroupState::PreparingRebalance {
            return Err(err(
                ErrorCode::RebalanceInProgress,
                format!("group {} is rebalancing: join again", self.id),
            ));
        }
        Ok(())
    }

    /// LeaveGroup for one member (by id, or for a static member by instance id).
    pub fn leave(
        &mut self,
        now: SimTime,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<()> {
        let id = match instance_id {
            Some(instance) => match self.static_member(instance) {
                Some(owner) if member_id.is_empty() || owner == member_id => owner,
                Some(owner) => {
                    return Err(err(
                        ErrorCode::FencedInstanceId,
                        format!("instance {instance} is member {owner} now"),
                    ));
                }
                None => member_id.to_string(),
            },
            None => member_id.to_string(),
        };
        if self.pending.remove(&id).is_some() {
            return Ok(());
        }
        if !self.members.contains_key(&id) {
            return Err(err(
                ErrorCode::UnknownMemberId,
                format!("member {id} is not in group {}", self.id),
            ));
        }
        self.remove_member(now, &id, &format!("member {id} left the group"));
        Ok(())
    }

    fn remove_member(&mut self, now: SimTime, id: &str, reason: &str) {
        let Some(m) = self.members.remove(id) else {
            return;
        };
        if m.awaiting_join {
            self.join_replies
                .insert(id.to_string(), Err(err(ErrorCode::UnknownMemberId, reason)));
        }
        if m.awaiting_sync {
            self.sync_replies
                .insert(id.to_string(), Err(err(ErrorCode::UnknownMemberId, reason)));
        }
        if self.leader.as_deref() == Some(id) {
            self.leader = self.members().first().map(|m| m.id.clone());
        }
        self.events.push(format!("group {}: {reason}", self.id));
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(now, reason);
            }
            _ => {}
        }
        self.try_complete_join(now);
    }

    // ----- offsets -----

    /// OffsetCommit: `generation -1` with no member id is a commit by a client that assigns
    /// its own partitions (allowed only while the group has no members); otherwise the member
    /// and generation must be the group's current ones.
    pub fn check_commit(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
    ) -> Result<()> {
        if generation < 0 && self.state == GroupState::Empty {
            return Ok(());
        }
        if self.state == GroupState::CompletingRebalance {
            return Err(err(
                ErrorCode::RebalanceInProgress,
                format!("group {} is completing a rebalance", self.id),
            ));
        }
        if generation < 0 {
            return Err(err(
                ErrorCode::UnknownMemberId,
                format!("group {} has members: commit as one of them", self.id),
            ));
        }
        self.check_member(member_id, instance_id, generation)
    }

    pub fn commit(
        &mut self,
        now: SimTime,
        tp: TopicPartition,
        offset: i64,
        metadata: String,
    ) -> Result<()> {
        if metadata.len() > OFFSET_METADATA_BYTES_MAX {
            return Err(err(
                ErrorCode::OffsetMetadataTooLarge,
                format!(
                    "offset metadata over offset.metadata.max.bytes ({OFFSET_METADATA_BYTES_MAX})"
                ),
            ));
        }
        if !self.offsets.contains_key(&tp) && self.offsets.len() >= OFFSETS_MAX {
            return Err(KafkaError::limit(format!(
                "group {} has offsets for {OFFSETS_MAX} partitions",
                self.id
            )));
        }
        self.offsets.insert(
            tp,
            Committed {
                offset,
                metadata,
                at: now,
            },
        );
        Ok(())
    }

    // ----- time -----

    /// The coordinator is away (`false`) or back (`true`). Away: held requests are answered
    /// NOT_COORDINATOR and no timer fires; back, every session starts afresh, as a coordinator
    /// that loads a group does.
    pub fn set_coordinator(&mut self, now: SimTime, serving: bool) {
        if !serving && !self.coordinator_lost {
            self.coordinator_lost = true;
            self.fail_held(ErrorCode::NotCoordinator, "the group's coordinator moved");
        } else if serving && self.coordinator_lost {
            self.coordinator_lost = false;
            for m in self.members.values_mut() {
                m.last_heartbeat = now;
            }
            if self.state == GroupState::PreparingRebalance {
                self.rebalance_deadline = self.rebalance_deadline.max(now);
            }
        }
    }

    fn fail_held(&mut self, code: ErrorCode, why: &str) {
        for m in self.members.values_mut() {
            if m.simulated.is_some() {
                continue;
            }
            if std::mem::take(&mut m.awaiting_join) {
                self.join_replies.insert(m.id.clone(), Err(err(code, why)));
            }
            if std::mem::take(&mut m.awaiting_sync) {
                self.sync_replies.insert(m.id.clone(), Err(err(code, why)));
            }
        }
    }

    /// Fires the timers due by `now`: expired sessions, the end of the initial delay, the
    /// rebalance timeout.
    pub fn tick(&mut self, now: SimTime) {
        if self.coordinator_lost {
            return;
        }
        self.pending.retain(|_, expiry| *expiry > now);
        // A member whose JoinGroup or SyncGroup is held is alive: the broker keeps it.
        let expired: Vec<(String, SimDuration)> = self
            .members
            .values()
            .filter(|m| m.heartbeats_by_wire() && !m.awaiting_join && !m.awaiting_sync)
            .filter(|m| now >= m.last_heartbeat + m.session_timeout)
            .map(|m| (m.id.clone(), m.session_timeout))
            .collect();
        for (id, timeout) in expired {
            self.remove_member(
                now,
                &id,
                &format!(
                    "member {id} was removed: no heartbeat within session.timeout.ms ({})",
                    timeout.as_millis()
                ),
            );
        }
        self.try_complete_join(now);
    }

    /// When the next timer falls due (for a caller that sleeps until then).
    pub fn next_deadline(&self) -> Option<SimTime> {
        let sessions = self
            .members
            .values()
            .filter(|m| m.heartbeats_by_wire() && !m.awaiting_join && !m.awaiting_sync)
            .map(|m| m.last_heartbeat + m.session_timeout);
        let rebalance = (self.state == GroupState::PreparingRebalance).then(|| {
            self.delay_until
                .map_or(self.rebalance_deadline, |d| d.min(self.rebalance_deadline))
        });
        sessions
            .chain(rebalance)
            .chain(self.pending.values().copied())
            .min()
    }
}
