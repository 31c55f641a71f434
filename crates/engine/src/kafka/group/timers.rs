//! Time: the timers (heartbeat sessions, poll timeouts, stall ends, the rebalance phases),
//! found in time order and applied, and the pause accounting between them.

use super::member::Member;
use super::rebalance::{Phase, Rebalance};
use super::{EVENTS_PER_CALL_MAX, Group, GroupError, GroupState, ROUND_TRIP};
use crate::kafka::assignor;
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// Timers; at equal times they run in this order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    SyncComplete,
    JoinComplete,
    StallEnd(String),
    PollTimeout(String),
    SessionExpiry(String),
    JoinSend(String),
    AwayBack(String),
    JoinDeadline,
}

impl Group {
    /// The earliest pending timer, if any (it may be at or before [`Group::now`] when a call
    /// hit [`EVENTS_PER_CALL_MAX`]).
    pub fn next_deadline(&self) -> Option<SimTime> {
        self.next_event().map(|(t, _)| t)
    }

    // ----- commands -----

    /// Advances timers to `now` with the topic metadata `partitions` (partition count per
    /// topic, as of `now`), then starts a rebalance if a subscribed topic's partition count
    /// differs from the one the assignment was computed for. Timers before `now` run with the
    /// previous tick's metadata. Times before [`Group::now`] count as `now`.
    pub fn tick(&mut self, now: SimTime, partitions: &BTreeMap<String, u32>) {
        if self.state == GroupState::Dead {
            return;
        }
        let now = now.max(self.clock);
        self.run_until(now, false);
        self.account(now);
        if self.coordinator_lost_at.is_some() {
            // Nobody to notice the new metadata: the loaded coordinator will.
            return;
        }
        if self.metadata != *partitions {
            self.metadata.clone_from(partitions);
        }
        self.run_until(now, true);
        self.check_partition_counts(now);
    }

    // ----- time -----

    /// Runs the timers up to `now` (inclusive) with the current metadata.
    pub(super) fn advance(&mut self, now: SimTime) -> Result<SimTime, GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::GroupIdNotFound(self.id.clone()));
        }
        let now = now.max(self.clock);
        self.run_until(now, true);
        self.account(now);
        Ok(now)
    }

    pub(super) fn run_until(&mut self, now: SimTime, inclusive: bool) {
        if self.coordinator_lost_at.is_some() {
            // Timers wait for a coordinator (see `coordinator_loaded`).
            return;
        }
        for _ in 0..EVENTS_PER_CALL_MAX {
            let Some((t, ev)) = self.next_event() else {
                break;
            };
            if t > now || (!inclusive && t == now) {
                break;
            }
            let t = t.max(self.clock);
            self.account(t);
            self.apply(t, ev);
        }
    }

    /// Adds the pauses of `[clock, t)` (the state is constant in between) and moves the clock.
    pub(super) fn account(&mut self, t: SimTime) {
        if t <= self.clock {
            return;
        }
        let dt = t.since(self.clock);
        self.clock = t;
        if self.members.is_empty() {
            return;
        }
        let rebalancing = matches!(
            self.state,
            GroupState::PreparingRebalance | GroupState::CompletingRebalance
        );
        for m in self.members.values_mut() {
            if rebalancing && m.owned.is_empty() {
                m.pause_total = SimDuration(m.pause_total.0.saturating_add(dt.0));
            }
        }
        let counts = self.subscribed_counts();
        let total: u64 = counts
            .values()
            .map(|n| u64::from((*n).min(assignor::PARTITIONS_PER_TOPIC_MAX)))
            .sum();
        let owned = self
            .members
            .values()
            .flat_map(|m| m.owned.iter())
            .filter(|tp| counts.get(&tp.topic).is_some_and(|n| tp.partition < *n))
            .collect::<BTreeSet<_>>()
            .len() as u64;
        let unowned = total.saturating_sub(owned);
        self.partition_pause = SimDuration(
            self.partition_pause
                .0
                .saturating_add(unowned.saturating_mul(dt.0)),
        );
    }

    /// Partition counts (per the metadata) of the topics some member subscribes to.
    pub(super) fn subscribed_counts(&self) -> BTreeMap<String, u32> {
        self.members
            .values()
            .flat_map(|m| m.topics.iter())
            .map(|t| (t.clone(), self.metadata.get(t).copied().unwrap_or(0)))
            .collect()
    }

    pub(super) fn join_send_time(&self, m: &Member, rb: &Rebalance) -> Option<SimTime> {
        if m.stopped.is_some() {
            return None;
        }
        let d = m.next_heartbeat_after(rb.started).max(self.clock);
        Some(match m.stall {
            Some(s) if s.from <= d && d < s.until => s.until,
            _ => d,
        })
    }

    fn next_event(&self) -> Option<(SimTime, Event)> {
        let mut best: Option<(SimTime, Event)> = None;
        let mut consider = |t: SimTime, ev: Event| {
            if best.as_ref().is_none_or(|(bt, be)| (t, &ev) < (*bt, be)) {
                best = Some((t, ev));
            }
        };
        if let Some(rb) = &self.rebalance {
            match &rb.phase {
                Phase::Syncing { at, .. } => consider(*at, Event::SyncComplete),
                Phase::Joining => {
                    let mut all = true;
                    let mut last = rb.delay_until;
                    for m in self.members.values() {
                        if let Some(s) = m.join_sent {
                            last = last.max(s + ROUND_TRIP);
                        } else {
                            all = false;
                            if let Some(t) = self.join_send_time(m, rb) {
                                consider(t, Event::JoinSend(m.id.clone()));
                            }
                        }
                    }
                    if all {
                        consider(last, Event::JoinComplete);
                    }
                    consider(rb.deadline, Event::JoinDeadline);
                }
            }
        }
        for m in self.members.values() {
            if let Some(s) = m.stall {
                let limit = m.config.max_poll_interval;
                if !s.timed_out && m.stopped.is_none() && s.until.since(s.from) > limit {
                    consider(s.from + limit, Event::PollTimeout(m.id.clone()));
                }
                consider(s.until, Event::StallEnd(m.id.clone()));
            }
            if let Some(last) = m.stopped {
                consider(
                    last + m.config.session_timeout,
                    Event::SessionExpiry(m.id.clone()),
                );
            }
        }
        for (id, a) in &self.away {
            consider(a.back_at, Event::AwayBack(id.clone()));
        }
        best
    }

    fn apply(&mut self, t: SimTime, ev: Event) {
        match ev {
            Event::SyncComplete => self.complete_sync(t),
            Event::JoinComplete => self.complete_join(t),
            Event::JoinDeadline => self.join_deadline(t),
            Event::JoinSend(id) => self.send_join(t, &id),
            Event::StallEnd(id) => self.stall_end(t, &id),
            Event::PollTimeout(id) => self.poll_timeout(t, &id),
            Event::SessionExpiry(id) => {
                if let Some(m) = self.members.remove(&id) {
                    if let Some(s) = m.stall.filter(|s| s.timed_out) {
                        self.away_insert(&m, s.until.max(t));
                    }
                    self.trigger(t, format!("member {id} session timed out"));
                }
            }
            Event::AwayBack(id) => {
                if let Some(a) = self.away.remove(&id) {
                    // A member that cannot come back (its assignor no longer matches the
                    // group's, the group is full) stays out.
                    let _ = self.join_at(t, &id, a.config, a.topics);
                }
            }
        }
    }
}
