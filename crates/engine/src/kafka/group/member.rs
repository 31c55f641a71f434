//! A member as the coordinator tracks it (heartbeats, stall, JoinGroup, ownership), and a
//! member out of the group for a while.

use super::GroupConfig;
use crate::kafka::assignor::TopicPartition;
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeSet;

/// A member's poll loop not calling poll from `from` until `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stall {
    pub(super) from: SimTime,
    pub(super) until: SimTime,
    /// The poll timeout fired (only kept for static members, which stay until session timeout).
    pub(super) timed_out: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Member {
    pub(super) id: String,
    pub(super) config: GroupConfig,
    pub(super) topics: BTreeSet<String>,
    /// Heartbeats go out at `anchor + k * heartbeat_interval`.
    pub(super) anchor: SimTime,
    /// Heartbeats stopped; the value is the last one sent.
    pub(super) stopped: Option<SimTime>,
    pub(super) stall: Option<Stall>,
    /// When this member sent JoinGroup for the rebalance in progress (or the next one).
    pub(super) join_sent: Option<SimTime>,
    /// What it may process now.
    pub(super) owned: BTreeSet<TopicPartition>,
    /// Its assignment of the last generation (what an eager sticky member reports as owned).
    pub(super) last_assigned: BTreeSet<TopicPartition>,
    /// The generation of `last_assigned` (none before its first assignment).
    pub(super) assigned_generation: Option<i32>,
    pub(super) pause_total: SimDuration,
}

impl Member {
    pub(super) fn last_heartbeat(&self, t: SimTime) -> SimTime {
        let hb = self.config.heartbeat_interval.as_micros().max(1);
        let since = t.since(self.anchor).as_micros();
        self.anchor + SimDuration(since / hb * hb)
    }
    pub(super) fn next_heartbeat_after(&self, t: SimTime) -> SimTime {
        let hb = self.config.heartbeat_interval.as_micros().max(1);
        if t < self.anchor {
            return self.anchor + SimDuration(hb);
        }
        let since = t.since(self.anchor).as_micros();
        self.anchor + SimDuration((since / hb + 1).saturating_mul(hb))
    }
    pub(super) fn stalled_at(&self, t: SimTime) -> bool {
        self.stall.is_some_and(|s| s.from <= t && t < s.until)
    }
}

/// A member out of the group for a while (it left on a poll timeout or was dropped from a
/// rebalance it could not rejoin in time) that joins again at `back_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Away {
    pub(super) config: GroupConfig,
    pub(super) topics: BTreeSet<String>,
    pub(super) back_at: SimTime,
}
