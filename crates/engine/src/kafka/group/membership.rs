//! Membership: members joining (dynamic and static), leaving, crashing and stalling, the
//! poll timeout, and a member's JoinGroup for a rebalance.

use super::member::{Away, Member, Stall};
use super::rebalance::{Phase, Rebalance};
use super::{Group, GroupConfig, GroupError, MEMBERS_MAX, TOPICS_PER_MEMBER_MAX};
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeSet;

impl Group {
    /// A member starts (a new consumer, or a restarted one). A static member (with a
    /// `group_instance_id` already in the group) takes its old place and assignment, even
    /// under a new member id, with no rebalance unless its subscription changed. A dynamic
    /// member id already in the group is a restart: the old incarnation's partitions are
    /// dropped and the group rebalances (Kafka would give the restarted consumer a new
    /// member id and drop the old one at its session timeout; the model keeps one id).
    pub fn join(
        &mut self,
        now: SimTime,
        member_id: &str,
        config: GroupConfig,
        topics: BTreeSet<String>,
    ) -> Result<(), GroupError> {
        let now = self.advance(now)?;
        if self.coordinator_lost_at.is_some() {
            // The client checks its configs, then its JoinGroup waits for a coordinator: the
            // member joins at the load.
            config.validate()?;
            self.away.insert(
                member_id.to_string(),
                Away {
                    config,
                    topics,
                    back_at: now,
                },
            );
            return Ok(());
        }
        self.join_at(now, member_id, config, topics)?;
        self.away.remove(member_id);
        Ok(())
    }

    /// A clean close. A dynamic member sends LeaveGroup (immediate rebalance); a static member
    /// does not, so it just stops heartbeating and is removed at its session timeout.
    pub fn leave(&mut self, now: SimTime, member_id: &str) -> Result<(), GroupError> {
        let now = self.advance(now)?;
        if self.away.remove(member_id).is_some() {
            return Ok(());
        }
        let Some(m) = self.members.get(member_id) else {
            return Err(GroupError::UnknownMemberId(member_id.to_string()));
        };
        // Without a coordinator the LeaveGroup is lost: the member just goes silent.
        if m.config.group_instance_id.is_some() || self.coordinator_lost_at.is_some() {
            self.stop(now, member_id);
        } else {
            self.members.remove(member_id);
            self.trigger(now, format!("member {member_id} left the group"));
        }
        Ok(())
    }

    /// The member's process dies: no more heartbeats, noticed at session timeout.
    pub fn crash(&mut self, now: SimTime, member_id: &str) -> Result<(), GroupError> {
        let now = self.advance(now)?;
        if self.away.remove(member_id).is_some() {
            return Ok(());
        }
        if !self.members.contains_key(member_id) {
            return Err(GroupError::UnknownMemberId(member_id.to_string()));
        }
        self.stop(now, member_id);
        Ok(())
    }

    /// The member's poll loop does not call poll for `duration` (a slow batch, a GC pause).
    /// Heartbeats go on; past `max_poll_interval` the member leaves, and it joins again when
    /// the stall ends. A stall of a member already stalled extends it.
    pub fn stall(
        &mut self,
        now: SimTime,
        member_id: &str,
        duration: SimDuration,
    ) -> Result<(), GroupError> {
        let now = self.advance(now)?;
        let until = now + duration;
        if let Some(a) = self.away.get_mut(member_id) {
            a.back_at = a.back_at.max(until);
            return Ok(());
        }
        let Some(m) = self.members.get_mut(member_id) else {
            return Err(GroupError::UnknownMemberId(member_id.to_string()));
        };
        if m.stopped.is_some() {
            return Err(GroupError::InvalidRequest(format!(
                "member {member_id} is not running"
            )));
        }
        match &mut m.stall {
            Some(s) if s.until > now => s.until = s.until.max(until),
            _ if duration > SimDuration::ZERO => {
                m.stall = Some(Stall {
                    from: now,
                    until,
                    timed_out: false,
                });
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn away_insert(&mut self, m: &Member, back_at: SimTime) {
        self.away.insert(
            m.id.clone(),
            Away {
                config: m.config.clone(),
                topics: m.topics.clone(),
                back_at,
            },
        );
    }

    /// The member stops heartbeating (crash, or a static member's close).
    fn stop(&mut self, now: SimTime, id: &str) {
        if let Some(m) = self.members.get_mut(id) {
            if m.stopped.is_none() {
                m.stopped = Some(m.last_heartbeat(now));
            }
            m.stall = None;
        }
    }

    pub(super) fn stall_end(&mut self, t: SimTime, id: &str) {
        let Some(m) = self.members.get_mut(id) else {
            return;
        };
        let resumed = m.stall.take().is_some_and(|s| s.timed_out);
        if resumed {
            // A static member back from a poll timeout before its session expired: it takes
            // its place again with no rebalance.
            m.stopped = None;
            m.anchor = t;
        }
        let joining = self
            .rebalance
            .as_ref()
            .is_some_and(|rb| rb.phase == Phase::Joining);
        if joining && m.join_sent.is_none() && m.stopped.is_none() {
            self.send_join(t, id);
        }
    }

    pub(super) fn poll_timeout(&mut self, t: SimTime, id: &str) {
        let Some(m) = self.members.get_mut(id) else {
            return;
        };
        let limit = m.config.max_poll_interval;
        if m.config.group_instance_id.is_some() {
            // Static members send no LeaveGroup: the heartbeat thread just stops.
            m.stopped = Some(m.last_heartbeat(t));
            if let Some(s) = &mut m.stall {
                s.timed_out = true;
            }
            return;
        }
        if let Some(m) = self.members.remove(id) {
            let back = m.stall.map_or(t, |s| s.until.max(t));
            self.away_insert(&m, back);
            self.trigger(
                t,
                format!("member {id} left the group: max.poll.interval.ms ({limit}) exceeded"),
            );
        }
    }

    /// The member's JoinGroup for the rebalance in progress; eager members revoke everything.
    pub(super) fn send_join(&mut self, t: SimTime, id: &str) {
        let eager = self
            .rebalance
            .as_ref()
            .is_some_and(|rb| !rb.assignor.is_cooperative());
        let Some(m) = self.members.get_mut(id) else {
            return;
        };
        m.join_sent = Some(t);
        if eager && !m.owned.is_empty() {
            let revoked = std::mem::take(&mut m.owned);
            if let Some(r) = self.log.back_mut() {
                r.revoked.entry(id.to_string()).or_default().extend(revoked);
            }
        }
    }

    // ----- membership -----

    fn check_protocol(
        &self,
        except: &str,
        id: &str,
        config: &GroupConfig,
    ) -> Result<(), GroupError> {
        if let Some(other) = self
            .members
            .values()
            .find(|m| m.id != except && m.config.assignor != config.assignor)
        {
            return Err(GroupError::InconsistentGroupProtocol {
                member: id.to_string(),
                assignor: config.assignor,
                group: other.config.assignor,
            });
        }
        Ok(())
    }

    pub(super) fn join_at(
        &mut self,
        t: SimTime,
        id: &str,
        config: GroupConfig,
        topics: BTreeSet<String>,
    ) -> Result<(), GroupError> {
        config.validate()?;
        if topics.len() > TOPICS_PER_MEMBER_MAX {
            return Err(GroupError::InvalidRequest(format!(
                "at most {TOPICS_PER_MEMBER_MAX} topics per subscription"
            )));
        }
        let static_old = config.group_instance_id.as_ref().and_then(|inst| {
            self.members
                .values()
                .find(|m| m.config.group_instance_id.as_ref() == Some(inst))
                .map(|m| m.id.clone())
        });
        if let Some(old) = static_old {
            return self.rejoin_static(t, &old, id, config, topics);
        }
        self.check_protocol(id, id, &config)?;
        let reason = if self.members.remove(id).is_some() {
            format!("member {id} restarted")
        } else if self.members.len() >= MEMBERS_MAX {
            return Err(GroupError::GroupMaxSizeReached(MEMBERS_MAX));
        } else {
            format!("member {id} joined")
        };
        self.members.insert(
            id.to_string(),
            Member {
                id: id.to_string(),
                config,
                topics,
                anchor: t,
                stopped: None,
                stall: None,
                join_sent: None,
                owned: BTreeSet::new(),
                last_assigned: BTreeSet::new(),
                assigned_generation: None,
                pause_total: SimDuration::ZERO,
            },
        );
        self.trigger(t, reason);
        if let Some(m) = self.members.get_mut(id) {
            m.join_sent = Some(t);
        }
        if let Some(rb) = &mut self.rebalance
            && rb.phase == Phase::Joining
            && rb.delay_until > t
        {
            let delay = self.settings.initial_rebalance_delay;
            rb.delay_until = rb.delay_until.max((t + delay).min(rb.deadline));
        }
        Ok(())
    }

    /// A static member (`old` in the group with the same instance id) comes back as `id`.
    fn rejoin_static(
        &mut self,
        t: SimTime,
        old: &str,
        id: &str,
        config: GroupConfig,
        topics: BTreeSet<String>,
    ) -> Result<(), GroupError> {
        if old != id && self.members.contains_key(id) {
            return Err(GroupError::InvalidRequest(format!(
                "member id {id} is already in the group"
            )));
        }
        self.check_protocol(old, id, &config)?;
        let Some(mut m) = self.members.remove(old) else {
            return Err(GroupError::UnknownMemberId(old.to_string()));
        };
        let changed = m.topics != topics;
        m.id = id.to_string();
        m.config = config;
        m.topics = topics;
        m.anchor = t;
        m.stopped = None;
        m.stall = None;
        self.members.insert(id.to_string(), m);
        if old != id {
            self.away.remove(old);
            if let Some(Rebalance {
                phase: Phase::Syncing { target, .. },
                ..
            }) = &mut self.rebalance
                && let Some(a) = target.remove(old)
            {
                target.insert(id.to_string(), a);
            }
        }
        let joining = self
            .rebalance
            .as_ref()
            .is_some_and(|rb| rb.phase == Phase::Joining);
        if joining {
            self.send_join(t, id);
        }
        if changed {
            let inst = self
                .members
                .get(id)
                .and_then(|m| m.config.group_instance_id.clone());
            self.trigger(
                t,
                format!(
                    "static member {id} ({}) changed its subscription",
                    inst.unwrap_or_default()
                ),
            );
            if let Some(m) = self.members.get_mut(id) {
                m.join_sent.get_or_insert(t);
            }
        }
        Ok(())
    }
}
