//! A Kafka consumer group as its coordinator sees it: members that join, heartbeat, stall, leave
//! and crash; rebalances (eager or cooperative) with their join and sync phases; generations;
//! committed offsets. Pure and driven by time values: every call takes `now`, and [`Group::tick`]
//! processes whatever timers fell due since the last call, in time order, so calling it every
//! 100 ms or once an hour gives the same history.
//!
//! # Model
//!
//! - **Heartbeats** go out every `heartbeat_interval` from the member's join time (from a
//!   background thread, so a member whose poll loop is stalled still heartbeats). A member that
//!   stops (crash, or the close of a static member, which sends no LeaveGroup) is removed when
//!   `session_timeout` has passed since its last heartbeat.
//! - **Poll loop**: a stall longer than `max_poll_interval` makes the member leave at
//!   `stall start + max_poll_interval` (a dynamic member sends LeaveGroup; a static one stops
//!   heartbeating and is removed only at session timeout) and join again when the stall ends.
//! - **Rebalance, join phase**: a member learns of a rebalance at its next heartbeat after the
//!   rebalance starts and sends JoinGroup from its poll loop (so a stalled member joins when its
//!   stall ends). Eager members revoke everything they own at that moment. The phase ends
//!   [`ROUND_TRIP`] after the last member's JoinGroup, or at the rebalance timeout (the largest
//!   `max_poll_interval` of the members when it started), when the members that did not
//!   rejoin are removed. A rebalance of an empty group waits `initial_rebalance_delay` (extended
//!   by each member joining meanwhile, up to the rebalance timeout) for others.
//! - **Sync phase**: the leader's assignment ([`assignor::assign`]) reaches the members
//!   [`ROUND_TRIP`] later. Under the cooperative protocol (KIP-429) members kept processing
//!   throughout; at sync each gives up only the partitions that move, a partition still owned
//!   by another member is withheld from its new owner, and the revoking members rejoin at once,
//!   so a follow-up rebalance hands the withheld partitions over.
//! - **Pauses**: a member is paused while a rebalance is in progress and it owns nothing (for
//!   eager members, from revocation to sync). A partition is paused while the group has members
//!   and nobody owns it.
//! - Triggers during the sync phase (a join, a leave) are held and start a new rebalance right
//!   after the sync, instead of restarting the join phase.
//! - **Coordinator failover** ([`Group::coordinator_unavailable`] to
//!   [`Group::coordinator_loaded`]): while no loaded coordinator serves the group, nothing
//!   reaches it. No timer fires (no session expiry, no rebalance progress), commits fail with
//!   COORDINATOR_NOT_AVAILABLE, a JoinGroup waits and is handled at the load, a dynamic
//!   member's LeaveGroup is lost (it is removed at its session timeout, like a crash), and the
//!   members keep processing what they own. The new coordinator loads the group as it was:
//!   members, generation, assignment, committed offsets. It restarts every member's session
//!   timer (and heartbeat schedule) at the load, so the move itself removes nobody and forces
//!   no rebalance; a rebalance that was in progress resumes with its timers moved on by the
//!   outage, and requests that waited (joins, poll-timeout leaves) are handled at the load.
//!
//! [`assignor::assign`]: super::assignor::assign

mod config;
mod failover;
mod member;
mod membership;
mod offsets;
mod rebalance;
#[cfg(test)]
mod tests;
mod timers;

pub use config::{GroupConfig, GroupError, GroupSettings, GroupState, Protocol, RebalanceRecord};

use super::assignor::{Assignor, TopicPartition};
use crate::time::{SimDuration, SimTime};
use member::{Away, Member};
use rebalance::Rebalance;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Members per group (the broker's `group.max.size` is unbounded by default; the model's isn't).
pub const MEMBERS_MAX: usize = 1_000;
/// Topics per subscription.
pub const TOPICS_PER_MEMBER_MAX: usize = 1_000;
/// Partitions with a committed offset.
pub const COMMITTED_MAX: usize = 1_000_000;
/// Rebalances kept in [`Group::rebalances`] (older ones are dropped; the count goes on).
pub const REBALANCE_LOG_MAX: usize = 1_000;
/// Timer events processed per call; the rest wait for the next call (and
/// [`Group::next_deadline`] reports them as due).
pub const EVENTS_PER_CALL_MAX: usize = 1_000_000;
/// One request round trip to the coordinator: a JoinGroup reaches it this long after the
/// member sends it, and the sync phase (the leader's SyncGroup, the members' responses) takes
/// this long after the join phase ends.
pub const ROUND_TRIP: SimDuration = SimDuration::from_millis(10);
/// The broker's `group.min.session.timeout.ms` (6 s) and `group.max.session.timeout.ms`
/// (30 min): JoinGroup with a session timeout outside fails with INVALID_SESSION_TIMEOUT.
pub const SESSION_TIMEOUT_MIN: SimDuration = SimDuration::from_secs(6);
pub const SESSION_TIMEOUT_MAX: SimDuration = SimDuration::from_secs(1_800);
/// Characters of a rebalance's reason (later triggers are appended until it is this long).
const REASON_MAX: usize = 300;

/// What a caller sees of a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberView<'a> {
    pub id: &'a str,
    pub instance_id: Option<&'a str>,
    pub topics: &'a BTreeSet<String>,
    /// The partitions it may process now.
    pub assignment: &'a BTreeSet<TopicPartition>,
    /// Heartbeating (not crashed or closed).
    pub alive: bool,
    /// Alive, its poll loop running, and something to process.
    pub processing: bool,
    /// Time it could process nothing because of rebalances.
    pub pause_total: SimDuration,
}

/// The group coordinator's view of one consumer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    id: String,
    settings: GroupSettings,
    /// Time processed up to.
    clock: SimTime,
    state: GroupState,
    generation: u32,
    members: BTreeMap<String, Member>,
    away: BTreeMap<String, Away>,
    rebalance: Option<Rebalance>,
    /// A trigger that arrived during the sync phase.
    pending: Option<String>,
    /// Partition counts per topic as of the last tick.
    metadata: BTreeMap<String, u32>,
    /// Partition counts of the subscribed topics the current assignment was computed for.
    assigned_for: BTreeMap<String, u32>,
    committed: BTreeMap<TopicPartition, u64>,
    log: VecDeque<RebalanceRecord>,
    rebalances_total: u64,
    partition_pause: SimDuration,
    /// Since when no loaded coordinator serves the group (`None`: one does).
    coordinator_lost_at: Option<SimTime>,
}

impl Group {
    pub fn new(id: &str, settings: GroupSettings) -> Self {
        Group {
            id: id.to_string(),
            settings,
            clock: SimTime::ZERO,
            state: GroupState::Empty,
            generation: 0,
            members: BTreeMap::new(),
            away: BTreeMap::new(),
            rebalance: None,
            pending: None,
            metadata: BTreeMap::new(),
            assigned_for: BTreeMap::new(),
            committed: BTreeMap::new(),
            log: VecDeque::new(),
            rebalances_total: 0,
            partition_pause: SimDuration::ZERO,
            coordinator_lost_at: None,
        }
    }

    // ----- queries -----

    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn state(&self) -> GroupState {
        self.state
    }
    pub fn generation(&self) -> u32 {
        self.generation
    }
    /// The time the group has been brought up to.
    pub fn now(&self) -> SimTime {
        self.clock
    }
    /// The assignor (and so the protocol) the members agree on; `None` when empty.
    pub fn assignor(&self) -> Option<Assignor> {
        self.members.values().next().map(|m| m.config.assignor)
    }
    pub fn protocol(&self) -> Option<Protocol> {
        self.assignor().map(Protocol::of)
    }

    /// Members in id order.
    pub fn members(&self) -> impl Iterator<Item = MemberView<'_>> {
        self.members.values().map(|m| self.view(m))
    }
    pub fn member(&self, id: &str) -> Option<MemberView<'_>> {
        self.members.get(id).map(|m| self.view(m))
    }
    fn view<'a>(&self, m: &'a Member) -> MemberView<'a> {
        let alive = m.stopped.is_none();
        MemberView {
            id: &m.id,
            instance_id: m.config.group_instance_id.as_deref(),
            topics: &m.topics,
            assignment: &m.owned,
            alive,
            processing: alive && !m.stalled_at(self.clock) && !m.owned.is_empty(),
            pause_total: m.pause_total,
        }
    }

    /// The member allowed to process `tp` now (`None` while it is revoked and not yet
    /// re-assigned, or nobody subscribes).
    pub fn owner_of(&self, tp: &TopicPartition) -> Option<&str> {
        self.members
            .values()
            .find(|m| m.owned.contains(tp))
            .map(|m| m.id.as_str())
    }

    /// Sum over the subscribed partitions of the time they had no owner while the group had
    /// members: the group's total processing pause.
    pub fn partition_pause_total(&self) -> SimDuration {
        self.partition_pause
    }

    /// The last [`REBALANCE_LOG_MAX`] rebalances, oldest first.
    pub fn rebalances(&self) -> &VecDeque<RebalanceRecord> {
        &self.log
    }
    /// Rebalances ever started.
    pub fn rebalances_total(&self) -> u64 {
        self.rebalances_total
    }
}
