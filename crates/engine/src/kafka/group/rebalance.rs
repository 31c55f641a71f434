//! Rebalances: triggers, the join phase (with the initial delay and the rebalance timeout),
//! the assignment, the sync phase and the cooperative follow-up.

use super::{
    Group, GroupState, Protocol, REASON_MAX, REBALANCE_LOG_MAX, ROUND_TRIP, RebalanceRecord,
};
use crate::kafka::assignor::{self, Assignor, MemberSubscription, TopicPartition};
use crate::time::SimTime;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Joining,
    Syncing {
        at: SimTime,
        target: BTreeMap<String, BTreeSet<TopicPartition>>,
        counts: BTreeMap<String, u32>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Rebalance {
    pub(super) started: SimTime,
    pub(super) deadline: SimTime,
    pub(super) delay_until: SimTime,
    pub(super) assignor: Assignor,
    pub(super) phase: Phase,
}

impl Group {
    // ----- rebalances -----

    pub(super) fn trigger(&mut self, t: SimTime, reason: String) {
        if self.members.is_empty() {
            self.go_empty(t, reason);
            return;
        }
        match self.state {
            GroupState::Empty => self.start_rebalance(t, reason, true),
            GroupState::Stable => self.start_rebalance(t, reason, false),
            GroupState::PreparingRebalance => {
                if let Some(r) = self.log.back_mut() {
                    append_reason(&mut r.reason, &reason);
                }
            }
            GroupState::CompletingRebalance => match &mut self.pending {
                Some(p) => append_reason(p, &reason),
                None => self.pending = Some(reason),
            },
            GroupState::Dead => {}
        }
    }

    fn push_record(&mut self, record: RebalanceRecord) {
        if self.log.len() >= REBALANCE_LOG_MAX {
            self.log.pop_front();
        }
        self.log.push_back(record);
        self.rebalances_total += 1;
    }

    fn start_rebalance(&mut self, t: SimTime, reason: String, from_empty: bool) {
        let Some(assignor) = self.assignor() else {
            return;
        };
        let timeout = self
            .members
            .values()
            .map(|m| m.config.max_poll_interval)
            .max()
            .unwrap_or_default();
        let deadline = t + timeout;
        let delay_until = if from_empty {
            (t + self.settings.initial_rebalance_delay).min(deadline)
        } else {
            t
        };
        self.rebalance = Some(Rebalance {
            started: t,
            deadline,
            delay_until,
            assignor,
            phase: Phase::Joining,
        });
        self.state = GroupState::PreparingRebalance;
        self.push_record(RebalanceRecord {
            generation: self.generation.saturating_add(1),
            started: t,
            completed: None,
            reason,
            protocol: Protocol::of(assignor),
            revoked: BTreeMap::new(),
            assigned: BTreeMap::new(),
        });
    }

    /// The last member is gone: the rebalance (started here if none was running) completes
    /// at once with no members, and the group is Empty.
    fn go_empty(&mut self, t: SimTime, reason: String) {
        if self.state == GroupState::Empty || self.state == GroupState::Dead {
            return;
        }
        if self.rebalance.is_none() {
            let protocol = self.log.back().map_or(Protocol::Eager, |r| r.protocol);
            self.push_record(RebalanceRecord {
                generation: 0,
                started: t,
                completed: None,
                reason,
                protocol,
                revoked: BTreeMap::new(),
                assigned: BTreeMap::new(),
            });
        } else if let Some(r) = self.log.back_mut() {
            append_reason(&mut r.reason, &reason);
        }
        self.generation = self.generation.saturating_add(1);
        if let Some(r) = self.log.back_mut() {
            r.generation = self.generation;
            r.completed = Some(t);
        }
        self.rebalance = None;
        self.pending = None;
        self.assigned_for.clear();
        self.state = GroupState::Empty;
    }

    pub(super) fn complete_join(&mut self, t: SimTime) {
        let Some(rb) = &self.rebalance else {
            return;
        };
        let cooperative = rb.assignor.is_cooperative();
        let assignor = rb.assignor;
        // What each member's JoinGroup carries, as the Java client sends it: a cooperative
        // member reports what it owns now; an eager one has revoked everything, and the
        // eager sticky assignor's user data carries its last assignment instead. Both come
        // with the generation they were assigned in.
        let subs: Vec<MemberSubscription> = self
            .members
            .values()
            .map(|m| MemberSubscription {
                member_id: m.id.clone(),
                instance_id: m.config.group_instance_id.clone(),
                topics: m.topics.clone(),
                owned: if cooperative {
                    m.owned.clone()
                } else {
                    m.last_assigned.clone()
                },
                generation: m.assigned_generation,
            })
            .collect();
        let target = assignor::assign(assignor, &subs, &self.metadata);
        let counts = self.subscribed_counts();
        self.generation = self.generation.saturating_add(1);
        if let Some(r) = self.log.back_mut() {
            r.generation = self.generation;
        }
        if let Some(rb) = &mut self.rebalance {
            rb.phase = Phase::Syncing {
                at: t + ROUND_TRIP,
                target,
                counts,
            };
        }
        self.state = GroupState::CompletingRebalance;
    }

    /// The rebalance timeout: members that have not rejoined are removed (a live one joins
    /// again when it gets round to it), and the join phase ends with the others.
    pub(super) fn join_deadline(&mut self, t: SimTime) {
        let Some(rb) = self.rebalance.clone() else {
            return;
        };
        let late: Vec<String> = self
            .members
            .values()
            .filter(|m| m.join_sent.is_none_or(|s| s + ROUND_TRIP > t))
            .map(|m| m.id.clone())
            .collect();
        for id in &late {
            let Some(m) = self.members.get(id) else {
                continue;
            };
            let back = m
                .join_sent
                .or_else(|| self.join_send_time(m, &rb))
                .map(|b| b.max(t));
            let m = m.clone();
            self.members.remove(id);
            if let Some(back) = back {
                self.away_insert(&m, back);
            }
        }
        if !late.is_empty()
            && let Some(r) = self.log.back_mut()
        {
            append_reason(
                &mut r.reason,
                &format!(
                    "{} removed: not rejoined within the rebalance timeout",
                    late.join(", ")
                ),
            );
        }
        if self.members.is_empty() {
            self.go_empty(t, "no member rejoined".to_string());
        } else {
            self.complete_join(t);
        }
    }

    pub(super) fn complete_sync(&mut self, t: SimTime) {
        let Some(Rebalance {
            phase: Phase::Syncing { target, counts, .. },
            ..
        }) = self.rebalance.take()
        else {
            return;
        };
        let generation = self.generation;
        let before: BTreeMap<TopicPartition, String> = self
            .members
            .values()
            .flat_map(|m| m.owned.iter().map(|tp| (tp.clone(), m.id.clone())))
            .collect();
        let mut revoked: BTreeMap<String, BTreeSet<TopicPartition>> = BTreeMap::new();
        let mut assigned: BTreeMap<String, BTreeSet<TopicPartition>> = BTreeMap::new();
        for (id, tgt) in &target {
            let Some(m) = self.members.get_mut(id) else {
                continue;
            };
            let gone: BTreeSet<TopicPartition> = m.owned.difference(tgt).cloned().collect();
            for tp in &gone {
                m.owned.remove(tp);
            }
            for tp in tgt {
                // A partition still owned by another member is withheld until that member has
                // revoked it (the cooperative follow-up hands it over).
                if before.get(tp).is_none_or(|owner| owner == id) {
                    m.owned.insert(tp.clone());
                }
            }
            m.last_assigned.clone_from(tgt);
            m.assigned_generation = Some(i32::try_from(generation).unwrap_or(i32::MAX));
            m.join_sent = None;
            if !gone.is_empty() {
                revoked.insert(id.clone(), gone);
            }
            assigned.insert(id.clone(), m.owned.clone());
        }
        if let Some(r) = self.log.back_mut() {
            for (id, gone) in &revoked {
                r.revoked
                    .entry(id.clone())
                    .or_default()
                    .extend(gone.iter().cloned());
            }
            r.assigned = assigned;
            r.completed = Some(t);
        }
        self.assigned_for = counts;
        self.state = GroupState::Stable;
        let pending = self.pending.take();
        if !revoked.is_empty() {
            let names: Vec<&str> = revoked.keys().map(String::as_str).collect();
            let mut reason = format!(
                "follow-up: {} revoked partitions that move (cooperative)",
                names.join(", ")
            );
            if let Some(p) = pending {
                append_reason(&mut reason, &p);
            }
            self.start_rebalance(t, reason, false);
            for id in revoked.keys() {
                if let Some(m) = self.members.get_mut(id) {
                    m.join_sent = Some(t);
                }
            }
        } else if let Some(p) = pending {
            self.start_rebalance(t, p, false);
        }
    }

    /// Starts a rebalance when a subscribed topic's partition count differs from the one the
    /// assignment (or the one being synced) was computed for.
    pub(super) fn check_partition_counts(&mut self, t: SimTime) {
        if self.members.is_empty() {
            return;
        }
        let basis = match &self.rebalance {
            Some(Rebalance {
                phase: Phase::Syncing { counts, .. },
                ..
            }) => counts,
            Some(_) => return,
            None => &self.assigned_for,
        };
        let changes: Vec<String> = self
            .subscribed_counts()
            .into_iter()
            .filter_map(|(topic, n)| {
                let was = basis.get(&topic).copied().unwrap_or(0);
                (was != n).then(|| format!("partitions of {topic} changed {was} -> {n}"))
            })
            .collect();
        if !changes.is_empty() {
            self.trigger(t, changes.join(", "));
        }
    }
}

fn append_reason(reason: &mut String, more: &str) {
    if reason.len() < REASON_MAX && !reason.contains(more) {
        reason.push_str("; ");
        reason.push_str(more);
    }
}
