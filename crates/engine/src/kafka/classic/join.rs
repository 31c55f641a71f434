//! JoinGroup and the join phase: new, known and static members, the initial rebalance
//! delay, the rebalance timeout, the protocol vote and the leader.

use super::{
    ClassicGroup, ClassicMember, GroupState, INITIAL_REBALANCE_DELAY, JoinRequest, JoinResponse,
    JoinedMember, MEMBERS_MAX, METADATA_BYTES_MAX, NAME_CHARS_MAX, PROTOCOLS_PER_MEMBER_MAX, Reply,
    SESSION_TIMEOUT_MAX, SESSION_TIMEOUT_MIN, err,
};
use crate::kafka::error::{ErrorCode, Result};
use crate::time::{SimDuration, SimTime};

impl ClassicGroup {
    pub fn join(&mut self, now: SimTime, req: JoinRequest) -> Result<Reply<JoinResponse>> {
        self.check_join(&req)?;
        // A new JoinGroup supersedes an answer the member never collected (its client gave up
        // waiting): that answer is of an older join phase.
        self.join_replies.remove(&req.member_id);
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

    pub(super) fn check_join(&self, req: &JoinRequest) -> Result<()> {
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

    pub(super) fn static_member(&self, instance: &str) -> Option<String> {
        self.members
            .values()
            .find(|m| m.instance_id.as_deref() == Some(instance))
            .map(|m| m.id.clone())
    }

    /// A static member (KIP-345) comes back: a restart with an empty member id takes the old
    /// member's place and assignment under a new id with no rebalance (the old id is fenced);
    /// a known id is an ordinary rejoin.
    pub(super) fn join_static(
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

    pub(super) fn new_member_id(&mut self, client_id: &str) -> String {
        self.next_seq += 1;
        // Kafka: the client id, a dash, a random UUID. Deterministic here.
        let client: String = client_id.chars().take(NAME_CHARS_MAX - 40).collect();
        format!(
            "{client}-{:08x}-0000-4000-8000-{:012x}",
            crate::kafka::coordinator::java_string_hash(&self.id) as u32,
            self.next_seq
        )
    }

    pub(super) fn add_member(
        &mut self,
        now: SimTime,
        id: String,
        req: JoinRequest,
    ) -> Reply<JoinResponse> {
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

    pub(super) fn update_member(&mut self, now: SimTime, id: &str, req: JoinRequest) {
        if let Some(m) = self.members.get_mut(id) {
            m.protocols = req.protocols;
            m.session_timeout = req.session_timeout;
            m.rebalance_timeout = req.rebalance_timeout;
            m.client_id = req.client_id;
            m.client_host = req.client_host;
            m.last_heartbeat = now;
        }
    }

    pub(super) fn set_awaiting_join(&mut self, id: &str) {
        if let Some(m) = self.members.get_mut(id) {
            m.awaiting_join = true;
        }
    }

    pub(super) fn join_or_wait(&mut self, now: SimTime, id: String) -> Reply<JoinResponse> {
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

    pub(super) fn join_response(&self, id: &str) -> JoinResponse {
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

    pub(super) fn prepare_rebalance(&mut self, now: SimTime, reason: &str) {
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

    pub(super) fn try_complete_join(&mut self, now: SimTime) {
        if self.state != GroupState::PreparingRebalance {
            return;
        }
        let all_joined = self.pending.is_empty() && self.members.values().all(|m| m.awaiting_join);
        let delayed = self.delay_until.is_some_and(|t| now < t);
        if (all_joined && !delayed) || now >= self.rebalance_deadline {
            self.complete_join(now);
        }
    }

    pub(super) fn complete_join(&mut self, now: SimTime) {
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
    pub(super) fn select_protocol(&self) -> Option<String> {
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
}
