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

use super::assignor::{self, Assignor, MemberSubscription, TopicPartition};
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

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

/// A member's group settings, from its client configs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupConfig {
    /// `session.timeout.ms` (45 s since Kafka 3.0).
    pub session_timeout: SimDuration,
    /// `heartbeat.interval.ms` (3 s).
    pub heartbeat_interval: SimDuration,
    /// `max.poll.interval.ms` (5 min); also the member's rebalance timeout.
    pub max_poll_interval: SimDuration,
    /// `partition.assignment.strategy`. The Java default is the list [Range, CooperativeSticky],
    /// which picks Range while any member lacks CooperativeSticky; the model takes Range.
    pub assignor: Assignor,
    /// `group.instance.id`: set for static membership.
    pub group_instance_id: Option<String>,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            session_timeout: SimDuration::from_secs(45),
            heartbeat_interval: SimDuration::from_secs(3),
            max_poll_interval: SimDuration::from_secs(300),
            assignor: Assignor::Range,
            group_instance_id: None,
        }
    }
}

impl GroupConfig {
    /// The checks the client (heartbeat below session timeout, a positive poll interval) and
    /// the broker (session timeout within its bounds) make.
    pub fn validate(&self) -> Result<(), GroupError> {
        if self.session_timeout < SESSION_TIMEOUT_MIN || self.session_timeout > SESSION_TIMEOUT_MAX
        {
            return Err(GroupError::InvalidSessionTimeout(self.session_timeout));
        }
        if self.heartbeat_interval == SimDuration::ZERO
            || self.heartbeat_interval >= self.session_timeout
        {
            return Err(GroupError::InvalidConfig(
                "heartbeat.interval.ms must be positive and lower than session.timeout.ms".into(),
            ));
        }
        if self.max_poll_interval < SimDuration::from_millis(1) {
            return Err(GroupError::InvalidConfig(
                "max.poll.interval.ms must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Broker settings for the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSettings {
    /// `group.initial.rebalance.delay.ms` (3 s): the first join into an empty group waits this
    /// long for others.
    pub initial_rebalance_delay: SimDuration,
}

impl Default for GroupSettings {
    fn default() -> Self {
        GroupSettings {
            initial_rebalance_delay: SimDuration::from_secs(3),
        }
    }
}

/// The coordinator's group states, as Kafka names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The rebalance protocol, which follows from the assignor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// Everyone revokes everything, then gets a new assignment.
    Eager,
    /// Members keep what they keep and give up only what moves (KIP-429).
    Cooperative,
}

impl Protocol {
    pub fn of(assignor: Assignor) -> Protocol {
        if assignor.is_cooperative() {
            Protocol::Cooperative
        } else {
            Protocol::Eager
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Eager => "eager",
            Protocol::Cooperative => "cooperative",
        }
    }
}

/// One rebalance, for timelines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RebalanceRecord {
    /// The generation this rebalance produces.
    pub generation: u32,
    pub started: SimTime,
    /// When the members received their assignments (`None` while in progress).
    pub completed: Option<SimTime>,
    /// What triggered it (later triggers folded into the same rebalance are appended).
    pub reason: String,
    pub protocol: Protocol,
    /// What each member gave up during this rebalance.
    pub revoked: BTreeMap<String, BTreeSet<TopicPartition>>,
    /// What each member may process once it completed.
    pub assigned: BTreeMap<String, BTreeSet<TopicPartition>>,
}

/// Errors, with Kafka's error code names ([`GroupError::code`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    #[error("member {0} is not a member of the group")]
    UnknownMemberId(String),
    #[error("generation {given} is not the group's current generation {current}")]
    IllegalGeneration { given: u32, current: u32 },
    #[error("the group is rebalancing; member {member} does not own {partition}")]
    RebalanceInProgress { member: String, partition: String },
    #[error("member {member} uses the {assignor} assignor but the group's members use {group}")]
    InconsistentGroupProtocol {
        member: String,
        assignor: Assignor,
        group: Assignor,
    },
    #[error("session.timeout.ms {0} is outside the broker's 6s to 1800s")]
    InvalidSessionTimeout(SimDuration),
    #[error("{0}")]
    InvalidConfig(String),
    #[error("the group already has the maximum of {0} members")]
    GroupMaxSizeReached(usize),
    #[error(
        "Assignments can only be reset if the group '{group}' is inactive, but the current state is {state}."
    )]
    GroupNotInactive { group: String, state: GroupState },
    #[error("group '{0}' is not empty")]
    NonEmptyGroup(String),
    #[error("group '{0}' has been deleted")]
    GroupIdNotFound(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error(
        "no coordinator of group '{0}' is loaded (its broker failed and the new one is not ready)"
    )]
    CoordinatorNotAvailable(String),
}

impl GroupError {
    /// Kafka's name for the error (`Errors` enum in the Java client).
    pub fn code(&self) -> &'static str {
        match self {
            GroupError::UnknownMemberId(_) => "UNKNOWN_MEMBER_ID",
            GroupError::IllegalGeneration { .. } => "ILLEGAL_GENERATION",
            GroupError::RebalanceInProgress { .. } => "REBALANCE_IN_PROGRESS",
            GroupError::InconsistentGroupProtocol { .. } => "INCONSISTENT_GROUP_PROTOCOL",
            GroupError::InvalidSessionTimeout(_) => "INVALID_SESSION_TIMEOUT",
            GroupError::InvalidConfig(_) => "INVALID_CONFIG",
            GroupError::GroupMaxSizeReached(_) => "GROUP_MAX_SIZE_REACHED",
            GroupError::GroupNotInactive { .. } | GroupError::NonEmptyGroup(_) => "NON_EMPTY_GROUP",
            GroupError::GroupIdNotFound(_) => "GROUP_ID_NOT_FOUND",
            GroupError::InvalidRequest(_) => "INVALID_REQUEST",
            GroupError::CoordinatorNotAvailable(_) => "COORDINATOR_NOT_AVAILABLE",
        }
    }
}

/// A member's poll loop not calling poll from `from` until `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stall {
    from: SimTime,
    until: SimTime,
    /// The poll timeout fired (only kept for static members, which stay until session timeout).
    timed_out: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Member {
    id: String,
    config: GroupConfig,
    topics: BTreeSet<String>,
    /// Heartbeats go out at `anchor + k * heartbeat_interval`.
    anchor: SimTime,
    /// Heartbeats stopped; the value is the last one sent.
    stopped: Option<SimTime>,
    stall: Option<Stall>,
    /// When this member sent JoinGroup for the rebalance in progress (or the next one).
    join_sent: Option<SimTime>,
    /// What it may process now.
    owned: BTreeSet<TopicPartition>,
    /// Its assignment of the last generation (what an eager sticky member reports as owned).
    last_assigned: BTreeSet<TopicPartition>,
    pause_total: SimDuration,
}

impl Member {
    fn last_heartbeat(&self, t: SimTime) -> SimTime {
        let hb = self.config.heartbeat_interval.as_micros().max(1);
        let since = t.since(self.anchor).as_micros();
        self.anchor + SimDuration(since / hb * hb)
    }
    fn next_heartbeat_after(&self, t: SimTime) -> SimTime {
        let hb = self.config.heartbeat_interval.as_micros().max(1);
        if t < self.anchor {
            return self.anchor + SimDuration(hb);
        }
        let since = t.since(self.anchor).as_micros();
        self.anchor + SimDuration((since / hb + 1).saturating_mul(hb))
    }
    fn stalled_at(&self, t: SimTime) -> bool {
        self.stall.is_some_and(|s| s.from <= t && t < s.until)
    }
}

/// A member out of the group for a while (it left on a poll timeout or was dropped from a
/// rebalance it could not rejoin in time) that joins again at `back_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Away {
    config: GroupConfig,
    topics: BTreeSet<String>,
    back_at: SimTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Joining,
    Syncing {
        at: SimTime,
        target: BTreeMap<String, BTreeSet<TopicPartition>>,
        counts: BTreeMap<String, u32>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Rebalance {
    started: SimTime,
    deadline: SimTime,
    delay_until: SimTime,
    assignor: Assignor,
    phase: Phase,
}

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

    pub fn committed(&self, tp: &TopicPartition) -> Option<u64> {
        self.committed.get(tp).copied()
    }

    /// True when offsets may be reset: no active members.
    pub fn can_reset_offsets(&self) -> bool {
        self.members.is_empty()
    }
    /// `kafka-consumer-groups --reset-offsets`' check, with its message.
    pub fn check_reset_offsets(&self) -> Result<(), GroupError> {
        if self.can_reset_offsets() {
            Ok(())
        } else {
            Err(GroupError::GroupNotInactive {
                group: self.id.clone(),
                state: self.state,
            })
        }
    }

    /// Since when no loaded coordinator serves the group (`None` when one does; see
    /// [`Group::coordinator_unavailable`]).
    pub fn coordinator_unavailable_since(&self) -> Option<SimTime> {
        self.coordinator_lost_at
    }

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

    /// The group's coordinator stops serving at `at` (its broker failed): timers up to `at`
    /// run, then nothing reaches the group until [`Group::coordinator_loaded`].
    pub fn coordinator_unavailable(&mut self, at: SimTime) {
        if self.coordinator_lost_at.is_some() || self.state == GroupState::Dead {
            return;
        }
        let at = at.max(self.clock);
        self.run_until(at, true);
        self.account(at);
        self.coordinator_lost_at = Some(at);
    }

    /// A coordinator has loaded the group at `at` and serves it: every member's session timer
    /// and heartbeat schedule restart at `at`, a rebalance in progress resumes with its timers
    /// moved on by the outage, and the requests that waited are handled.
    pub fn coordinator_loaded(&mut self, at: SimTime) {
        let Some(lost_at) = self.coordinator_lost_at else {
            return;
        };
        let at = at.max(self.clock);
        self.account(at);
        self.coordinator_lost_at = None;
        let outage = at.since(lost_at);
        for m in self.members.values_mut() {
            m.anchor = at;
            if m.stopped.is_some() {
                // The new coordinator expires a silent member one session after the load.
                m.stopped = Some(at);
            }
        }
        if let Some(rb) = &mut self.rebalance {
            rb.deadline = rb.deadline + outage;
            rb.delay_until = rb.delay_until + outage;
            if let Phase::Syncing { at: sync_at, .. } = &mut rb.phase {
                *sync_at = (*sync_at + outage).max(at);
            }
        }
        self.run_until(at, true);
    }

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

    /// OffsetCommit from a member. Rejected from a member not in the group, from another
    /// generation, during the sync phase, and (the model's stricter rule) for a partition the
    /// member does not own while a rebalance is in progress.
    pub fn commit(
        &mut self,
        now: SimTime,
        member_id: &str,
        generation: u32,
        tp: TopicPartition,
        offset: u64,
    ) -> Result<(), GroupError> {
        self.advance(now)?;
        self.require_coordinator()?;
        let Some(m) = self.members.get(member_id) else {
            return Err(GroupError::UnknownMemberId(member_id.to_string()));
        };
        if generation != self.generation {
            return Err(GroupError::IllegalGeneration {
                given: generation,
                current: self.generation,
            });
        }
        let rebalancing = match self.state {
            GroupState::CompletingRebalance => true,
            GroupState::PreparingRebalance => !m.owned.contains(&tp),
            _ => false,
        };
        if rebalancing {
            return Err(GroupError::RebalanceInProgress {
                member: member_id.to_string(),
                partition: tp.to_string(),
            });
        }
        self.store_offset(tp, offset)
    }

    /// The admin path (`kafka-consumer-groups --reset-offsets --execute`): only while the group
    /// has no active members.
    pub fn set_committed(&mut self, tp: TopicPartition, offset: u64) -> Result<(), GroupError> {
        self.require_coordinator()?;
        self.check_reset_offsets()?;
        self.store_offset(tp, offset)
    }

    /// A commit the model accepts without the membership checks: a member committing its
    /// position in `onPartitionsRevoked` or on close (still valid for the generation that
    /// owned the partition), or a processor's commit. It still needs a coordinator.
    pub fn commit_unchecked(&mut self, tp: TopicPartition, offset: u64) -> Result<(), GroupError> {
        self.require_coordinator()?;
        self.store_offset(tp, offset)
    }

    /// Offsets a transaction committed: its COMMIT marker is in the group's offsets log, so
    /// they count whether or not a coordinator is loaded right now (a loading one reads them).
    pub fn commit_transactional(
        &mut self,
        tp: TopicPartition,
        offset: u64,
    ) -> Result<(), GroupError> {
        self.store_offset(tp, offset)
    }

    fn require_coordinator(&self) -> Result<(), GroupError> {
        if self.coordinator_lost_at.is_some() {
            Err(GroupError::CoordinatorNotAvailable(self.id.clone()))
        } else {
            Ok(())
        }
    }

    /// `kafka-consumer-groups --delete`: only an inactive group; it becomes Dead (its offsets
    /// go with it) and refuses everything after. Its owner replaces it by a new group.
    pub fn delete(&mut self, now: SimTime) -> Result<(), GroupError> {
        self.advance(now)?;
        self.require_coordinator()?;
        if !self.members.is_empty() {
            return Err(GroupError::NonEmptyGroup(self.id.clone()));
        }
        self.state = GroupState::Dead;
        self.committed.clear();
        self.away.clear();
        Ok(())
    }

    fn store_offset(&mut self, tp: TopicPartition, offset: u64) -> Result<(), GroupError> {
        if self.committed.len() >= COMMITTED_MAX && !self.committed.contains_key(&tp) {
            return Err(GroupError::InvalidRequest(format!(
                "at most {COMMITTED_MAX} partitions with committed offsets"
            )));
        }
        self.committed.insert(tp, offset);
        Ok(())
    }

    // ----- time -----

    /// Runs the timers up to `now` (inclusive) with the current metadata.
    fn advance(&mut self, now: SimTime) -> Result<SimTime, GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::GroupIdNotFound(self.id.clone()));
        }
        let now = now.max(self.clock);
        self.run_until(now, true);
        self.account(now);
        Ok(now)
    }

    fn run_until(&mut self, now: SimTime, inclusive: bool) {
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
    fn account(&mut self, t: SimTime) {
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
    fn subscribed_counts(&self) -> BTreeMap<String, u32> {
        self.members
            .values()
            .flat_map(|m| m.topics.iter())
            .map(|t| (t.clone(), self.metadata.get(t).copied().unwrap_or(0)))
            .collect()
    }

    fn join_send_time(&self, m: &Member, rb: &Rebalance) -> Option<SimTime> {
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

    fn away_insert(&mut self, m: &Member, back_at: SimTime) {
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

    fn stall_end(&mut self, t: SimTime, id: &str) {
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

    fn poll_timeout(&mut self, t: SimTime, id: &str) {
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
    fn send_join(&mut self, t: SimTime, id: &str) {
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

    fn join_at(
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
                pause_total: SimDuration::ZERO,
            },
        );
        self.trigger(t, reason);
        if let Some(m) = self.members.get_mut(id) {
            m.join_sent = Some(t);
        }
        if let Some(rb) = &mut self.rebalance {
            if rb.phase == Phase::Joining && rb.delay_until > t {
                let delay = self.settings.initial_rebalance_delay;
                rb.delay_until = rb.delay_until.max((t + delay).min(rb.deadline));
            }
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
            {
                if let Some(a) = target.remove(old) {
                    target.insert(id.to_string(), a);
                }
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

    // ----- rebalances -----

    fn trigger(&mut self, t: SimTime, reason: String) {
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

    fn complete_join(&mut self, t: SimTime) {
        let Some(rb) = &self.rebalance else {
            return;
        };
        let cooperative = rb.assignor.is_cooperative();
        let assignor = rb.assignor;
        // Cooperative: a partition the last plan gave a member but withheld until its old
        // owner revoked it (now owned by nobody) counts as that member's, so the follow-up
        // hands it over as planned; planning afresh could give it back to the member that
        // just revoked it, a revocation for nothing.
        let mut claimed: BTreeSet<TopicPartition> = self
            .members
            .values()
            .flat_map(|m| m.owned.iter().cloned())
            .collect();
        let subs: Vec<MemberSubscription> = self
            .members
            .values()
            .map(|m| MemberSubscription {
                member_id: m.id.clone(),
                topics: m.topics.clone(),
                owned: if cooperative {
                    let mut owned = m.owned.clone();
                    for tp in &m.last_assigned {
                        if claimed.insert(tp.clone()) {
                            owned.insert(tp.clone());
                        }
                    }
                    owned
                } else {
                    m.last_assigned.clone()
                },
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
    fn join_deadline(&mut self, t: SimTime) {
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
        if !late.is_empty() {
            if let Some(r) = self.log.back_mut() {
                append_reason(
                    &mut r.reason,
                    &format!(
                        "{} removed: not rejoined within the rebalance timeout",
                        late.join(", ")
                    ),
                );
            }
        }
        if self.members.is_empty() {
            self.go_empty(t, "no member rejoined".to_string());
        } else {
            self.complete_join(t);
        }
    }

    fn complete_sync(&mut self, t: SimTime) {
        let Some(Rebalance {
            phase: Phase::Syncing { target, counts, .. },
            ..
        }) = self.rebalance.take()
        else {
            return;
        };
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
    fn check_partition_counts(&mut self, t: SimTime) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(secs: f64) -> SimTime {
        SimTime((secs * 1e6).round() as u64)
    }
    fn d(secs: f64) -> SimDuration {
        SimDuration((secs * 1e6).round() as u64)
    }
    fn tp(p: u32) -> TopicPartition {
        TopicPartition::new("orders", p)
    }
    fn orders(n: u32) -> BTreeMap<String, u32> {
        BTreeMap::from([("orders".to_string(), n)])
    }
    fn topics(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|t| (*t).to_string()).collect()
    }
    fn cfg(assignor: Assignor) -> GroupConfig {
        GroupConfig {
            assignor,
            ..GroupConfig::default()
        }
    }
    fn static_cfg(instance: &str) -> GroupConfig {
        GroupConfig {
            group_instance_id: Some(instance.to_string()),
            ..GroupConfig::default()
        }
    }
    fn assignments(g: &Group) -> BTreeMap<String, BTreeSet<TopicPartition>> {
        g.members()
            .map(|m| (m.id.to_string(), m.assignment.clone()))
            .collect()
    }
    fn pause(g: &Group, id: &str) -> SimDuration {
        g.member(id).map(|m| m.pause_total).unwrap_or_default()
    }

    /// c1, c2, c3 join at 0, 1 and 2 s (each extends the initial delay: the join phase ends
    /// at 5 s), all on `orders` with 6 partitions; ticks every 100 ms up to `until`.
    fn formed(config: &GroupConfig, until: f64) -> Group {
        let mut g = Group::new("g", GroupSettings::default());
        g.tick(s(0.0), &orders(6));
        for (i, id) in ["c1", "c2", "c3"].iter().enumerate() {
            g.join(s(i as f64), id, config.clone(), topics(&["orders"]))
                .expect("join");
        }
        run(&mut g, 0.0, until, &orders(6));
        g
    }
    fn run(g: &mut Group, from: f64, to: f64, partitions: &BTreeMap<String, u32>) {
        let steps = ((to - from) * 10.0).round() as u64;
        for i in 0..=steps {
            g.tick(s(from + i as f64 / 10.0), partitions);
        }
    }

    #[test]
    fn the_initial_delay_waits_for_members_joining_meanwhile() {
        let g = formed(&GroupConfig::default(), 20.0);
        assert_eq!(g.state(), GroupState::Stable);
        assert_eq!(g.generation(), 1);
        let r = &g.rebalances()[0];
        assert_eq!((r.started, r.completed), (s(0.0), Some(s(5.01))));
        assert_eq!(
            r.reason,
            "member c1 joined; member c2 joined; member c3 joined"
        );
        assert_eq!(g.rebalances().len(), 1);
        // Range: two consecutive partitions each.
        assert_eq!(
            g.member("c2").map(|m| m.assignment.clone()),
            Some([tp(2), tp(3)].into())
        );
        // Six partitions unowned for the 5.01 s the group formed.
        assert_eq!(g.partition_pause_total(), d(6.0 * 5.01));
    }

    /// The guide's comparison: a fourth member joins three that share 6 partitions. Eager:
    /// everyone revokes everything at their next heartbeat and waits for the slowest to
    /// rejoin. Cooperative: the three keep processing; only the one partition that moves
    /// pauses, until the follow-up rebalance hands it over.
    #[test]
    fn eager_and_cooperative_pause_when_a_fourth_member_joins() {
        // Eager (range).
        let mut g = formed(&cfg(Assignor::Range), 20.0);
        let base = g.partition_pause_total();
        g.join(s(20.5), "c4", cfg(Assignor::Range), topics(&["orders"]))
            .expect("join");
        run(&mut g, 20.5, 40.0, &orders(6));
        // Heartbeats at 21, 22, 23 s (anchors 0, 1, 2 s): revocations then; sync at 23.02 s.
        assert_eq!(pause(&g, "c1"), d(5.01 + 2.02));
        assert_eq!(pause(&g, "c2"), d(4.01 + 1.02));
        assert_eq!(pause(&g, "c3"), d(3.01 + 0.02));
        assert_eq!(pause(&g, "c4"), d(2.52));
        assert_eq!(
            g.partition_pause_total().0 - base.0,
            d(2.0 * (2.02 + 1.02 + 0.02)).0
        );
        let r = &g.rebalances()[1];
        assert_eq!((r.generation, r.completed), (2, Some(s(23.02))));
        assert_eq!(r.revoked["c1"], [tp(0), tp(1)].into());
        assert_eq!(
            r.assigned["c1"],
            [tp(0), tp(1)].into(),
            "revoked, then given back"
        );
        assert_eq!(g.rebalances().len(), 2);

        // Cooperative sticky.
        let mut g = formed(&cfg(Assignor::CooperativeSticky), 20.0);
        let base = g.partition_pause_total();
        let before = assignments(&g);
        g.join(
            s(20.5),
            "c4",
            cfg(Assignor::CooperativeSticky),
            topics(&["orders"]),
        )
        .expect("join");
        run(&mut g, 20.5, 40.0, &orders(6));
        for (id, formation) in [("c1", 5.01), ("c2", 4.01), ("c3", 3.01)] {
            assert_eq!(
                pause(&g, id),
                d(formation),
                "{id} paused only while the group formed"
            );
        }
        // c4 waits through both rebalances: 20.5 s to the follow-up's sync at 25.02 s (c3
        // rejoins at once; c4, c1 and c2 learn at their heartbeats at 23.5, 24 and 25 s).
        assert_eq!(pause(&g, "c4"), d(4.52));
        assert_eq!(g.partition_pause_total().0 - base.0, d(2.0).0);
        let log = g.rebalances();
        assert_eq!(log.len(), 3);
        let (first, follow) = (&log[1], &log[2]);
        assert_eq!((first.generation, first.completed), (2, Some(s(23.02))));
        assert_eq!(
            first.revoked,
            BTreeMap::from([("c3".to_string(), [tp(5)].into())])
        );
        assert!(
            first.assigned["c4"].is_empty(),
            "withheld until c3 has let go"
        );
        assert!(follow.reason.starts_with("follow-up: c3 revoked"));
        assert_eq!((follow.generation, follow.completed), (3, Some(s(25.02))));
        assert!(follow.revoked.is_empty());
        assert_eq!(follow.assigned["c4"], [tp(5)].into());
        let after = assignments(&g);
        for id in ["c1", "c2"] {
            assert_eq!(after[id], before[id]);
        }
        assert_eq!(g.state(), GroupState::Stable);
        assert_eq!(g.generation(), 3);
    }

    /// Static membership: a restart within the session timeout takes the old place with the
    /// old assignment and no rebalance; a static member that stays away is removed at its
    /// session timeout (and a dynamic restart always rebalances).
    #[test]
    fn static_member_restart_within_session_timeout_causes_no_rebalance() {
        let mut g = Group::new("g", GroupSettings::default());
        g.tick(s(0.0), &orders(6));
        g.join(s(0.0), "a", static_cfg("i-a"), topics(&["orders"]))
            .expect("join");
        g.join(s(0.0), "b", static_cfg("i-b"), topics(&["orders"]))
            .expect("join");
        run(&mut g, 0.0, 30.0, &orders(6));
        assert_eq!(g.generation(), 1);
        let before = assignments(&g);
        g.crash(s(30.5), "a").expect("crash");
        run(&mut g, 30.5, 60.0, &orders(6));
        // Back 30 s later under a new member id, same instance id.
        g.join(s(60.0), "a2", static_cfg("i-a"), topics(&["orders"]))
            .expect("rejoin");
        run(&mut g, 60.0, 200.0, &orders(6));
        assert_eq!(g.generation(), 1);
        assert_eq!(g.rebalances().len(), 1);
        assert_eq!(g.state(), GroupState::Stable);
        assert_eq!(
            g.member("a2").map(|m| m.assignment.clone()),
            Some(before["a"].clone())
        );
        assert_eq!(g.owner_of(&tp(0)), Some("a2"));
        assert!(g.member("a").is_none());

        // A static close sends no LeaveGroup: noticed at the session timeout, 45 s after the
        // last heartbeat (at 201 s: heartbeats every 3 s from the rejoin at 60 s).
        g.leave(s(202.0), "a2").expect("leave");
        run(&mut g, 202.0, 245.9, &orders(6));
        assert_eq!(g.generation(), 1);
        assert_eq!(
            g.owner_of(&tp(0)),
            Some("a2"),
            "still assigned to the dead member"
        );
        g.tick(s(246.0), &orders(6));
        assert_eq!(g.state(), GroupState::PreparingRebalance);
        assert_eq!(g.rebalances()[1].reason, "member a2 session timed out");

        // A dynamic restart rebalances at once.
        let mut g = formed(&GroupConfig::default(), 20.0);
        g.join(s(20.0), "c1", GroupConfig::default(), topics(&["orders"]))
            .expect("restart");
        assert_eq!(g.state(), GroupState::PreparingRebalance);
        assert_eq!(g.rebalances()[1].reason, "member c1 restarted");
    }

    #[test]
    fn a_coordinator_outage_holds_every_timer_and_the_load_restarts_sessions() {
        let mut g = formed(&GroupConfig::default(), 20.0);
        // c2 dies at 20.5 s (expiry due at 64 s); the coordinator fails at 50 s.
        g.crash(s(20.5), "c2").expect("crash");
        g.coordinator_unavailable(s(50.0));
        assert_eq!(g.coordinator_unavailable_since(), Some(s(50.0)));
        assert_eq!(
            g.commit(s(51.0), "c1", 1, tp(0), 10),
            Err(GroupError::CoordinatorNotAvailable("g".into()))
        );
        assert!(g.commit_unchecked(tp(0), 10).is_err());
        // A join waits; a dynamic member's LeaveGroup is lost.
        g.join(s(52.0), "c4", GroupConfig::default(), topics(&["orders"]))
            .expect("join deferred");
        g.leave(s(53.0), "c3").expect("leave");
        run(&mut g, 53.0, 100.0, &orders(6));
        // Nothing happened: c2 is still in, c4 not yet, no rebalance, c1 still processes.
        assert_eq!(g.state(), GroupState::Stable);
        assert!(g.member("c2").is_some() && g.member("c4").is_none());
        assert_eq!(g.rebalances_total(), 1);
        assert!(g.member("c1").is_some_and(|m| m.processing));
        // Loaded at 100 s: c4's join goes in (a rebalance), and the silent c2 and c3 get a
        // full session from the load: removed at 145 s, not before.
        g.coordinator_loaded(s(100.0));
        assert_eq!(g.state(), GroupState::PreparingRebalance);
        assert_eq!(g.rebalances()[1].reason, "member c4 joined");
        run(&mut g, 100.0, 144.9, &orders(6));
        assert!(g.member("c2").is_some() && g.member("c3").is_some());
        g.tick(s(145.0), &orders(6));
        assert!(g.member("c2").is_none() && g.member("c3").is_none());
        run(&mut g, 145.0, 200.0, &orders(6));
        assert_eq!(g.state(), GroupState::Stable);
        assert_eq!(g.commit(s(200.0), "c1", g.generation(), tp(0), 10), Ok(()));
        let owned: usize = g.members().map(|m| m.assignment.len()).sum();
        assert_eq!(owned, 6);
    }

    #[test]
    fn crashed_member_is_removed_only_after_session_timeout() {
        let mut g = formed(&GroupConfig::default(), 20.0);
        // c2's heartbeats: 1, 4, ... 19 s; it dies at 20.5 s; expiry at 19 + 45 = 64 s.
        g.crash(s(20.5), "c2").expect("crash");
        assert_eq!(g.next_deadline(), Some(s(64.0)));
        run(&mut g, 20.5, 63.9, &orders(6));
        assert_eq!(g.state(), GroupState::Stable);
        assert_eq!(g.owner_of(&tp(2)), Some("c2"));
        assert!(!g.member("c2").is_some_and(|m| m.alive || m.processing));
        g.tick(s(64.0), &orders(6));
        assert_eq!(g.state(), GroupState::PreparingRebalance);
        assert!(g.member("c2").is_none());
        assert_eq!(g.owner_of(&tp(2)), None);
        run(&mut g, 64.0, 80.0, &orders(6));
        assert_eq!(g.state(), GroupState::Stable);
        assert_eq!(g.member("c1").map(|m| m.assignment.len()), Some(3));
        assert_eq!(g.member("c3").map(|m| m.assignment.len()), Some(3));
        assert_eq!(g.rebalances()[1].reason, "member c2 session timed out");
    }

    /// The same story ticked every 100 ms or once, an hour later, gives the same group.
    #[test]
    fn coarse_and_fine_ticks_agree() {
        let story = |g: &mut Group, fine: bool| {
            g.tick(s(0.0), &orders(6));
            for (i, id) in ["c1", "c2", "c3"].iter().enumerate() {
                g.join(
                    s(i as f64),
                    id,
                    cfg(Assignor::CooperativeSticky),
                    topics(&["orders"]),
                )
                .expect("join");
            }
            g.crash(s(4.2), "c2").expect("crash");
            g.stall(s(4.3), "c3", d(400.0)).expect("stall");
            if fine {
                run(g, 4.3, 3600.0, &orders(6));
            } else {
                g.tick(s(3600.0), &orders(6));
            }
        };
        let mut fine = Group::new("g", GroupSettings::default());
        story(&mut fine, true);
        let mut coarse = Group::new("g", GroupSettings::default());
        story(&mut coarse, false);
        assert_eq!(fine, coarse);
        assert_eq!(fine.state(), GroupState::Stable);
        assert!(fine.rebalances().len() >= 3);
    }

    #[test]
    fn stall_longer_than_max_poll_interval_removes_and_readds_the_member() {
        let mut g = formed(&GroupConfig::default(), 10.0);
        g.stall(s(10.0), "c2", d(400.0)).expect("stall");
        run(&mut g, 10.0, 309.9, &orders(6));
        assert_eq!(
            g.generation(),
            1,
            "heartbeats go on while the poll loop is stuck"
        );
        assert!(g.member("c2").is_some_and(|m| m.alive && !m.processing));
        g.tick(s(310.0), &orders(6));
        assert!(g.member("c2").is_none());
        assert_eq!(
            g.rebalances()[1].reason,
            "member c2 left the group: max.poll.interval.ms (300s) exceeded"
        );
        run(&mut g, 310.0, 409.9, &orders(6));
        assert_eq!(g.generation(), 2);
        assert_eq!(g.member("c1").map(|m| m.assignment.len()), Some(3));
        g.tick(s(410.0), &orders(6));
        assert_eq!(g.rebalances()[2].reason, "member c2 joined");
        run(&mut g, 410.0, 430.0, &orders(6));
        assert_eq!((g.state(), g.generation()), (GroupState::Stable, 3));
        assert_eq!(g.member("c2").map(|m| m.assignment.len()), Some(2));
    }

    /// A stall under max.poll.interval.ms is no rebalance, but a rebalance during it waits
    /// for the stalled member to call poll again.
    #[test]
    fn short_stall_holds_up_a_rebalance_until_the_member_polls() {
        let mut g = formed(&GroupConfig::default(), 10.0);
        g.stall(s(10.0), "c3", d(100.0)).expect("stall");
        g.join(s(20.5), "c4", GroupConfig::default(), topics(&["orders"]))
            .expect("join");
        run(&mut g, 20.5, 109.9, &orders(6));
        assert_eq!(g.state(), GroupState::PreparingRebalance);
        assert_eq!(g.owner_of(&tp(0)), None, "c1 revoked at 21 s and waits");
        run(&mut g, 109.9, 120.0, &orders(6));
        assert_eq!(g.rebalances()[1].completed, Some(s(110.02)));
        assert_eq!(g.generation(), 2);
        assert_eq!(pause(&g, "c1"), d(5.01 + 89.02));
    }

    #[test]
    fn members_that_do_not_rejoin_are_removed_at_the_rebalance_timeout() {
        let config = GroupConfig {
            session_timeout: SimDuration::from_secs(600),
            max_poll_interval: SimDuration::from_secs(60),
            ..GroupConfig::default()
        };
        let mut g = formed(&config, 10.0);
        g.crash(s(10.0), "c3").expect("crash");
        g.join(s(20.0), "c4", config.clone(), topics(&["orders"]))
            .expect("join");
        run(&mut g, 20.0, 79.9, &orders(6));
        assert_eq!(g.state(), GroupState::PreparingRebalance);
        g.tick(s(80.0), &orders(6));
        assert!(g.member("c3").is_none());
        assert_eq!(g.state(), GroupState::CompletingRebalance);
        assert!(
            g.rebalances()[1]
                .reason
                .ends_with("c3 removed: not rejoined within the rebalance timeout")
        );
        g.tick(s(80.01), &orders(6));
        assert_eq!(g.state(), GroupState::Stable);
        assert_eq!(g.members().count(), 3);
    }

    #[test]
    fn a_dynamic_leave_rebalances_at_once_and_the_last_leaves_an_empty_group() {
        let mut g = formed(&GroupConfig::default(), 10.0);
        g.leave(s(10.0), "c1").expect("leave");
        assert_eq!(g.state(), GroupState::PreparingRebalance);
        assert_eq!(g.rebalances()[1].reason, "member c1 left the group");
        assert!(!g.can_reset_offsets());
        g.leave(s(10.1), "c2").expect("leave");
        g.leave(s(10.2), "c3").expect("leave");
        assert_eq!(g.state(), GroupState::Empty);
        assert_eq!(g.generation(), 2);
        assert!(g.can_reset_offsets());
        assert_eq!(
            g.leave(s(11.0), "c3").map_err(|e| e.code()),
            Err("UNKNOWN_MEMBER_ID")
        );
        g.delete(s(12.0)).expect("delete");
        assert_eq!(g.state(), GroupState::Dead);
        let err = g.join(s(13.0), "c1", GroupConfig::default(), topics(&["orders"]));
        assert_eq!(err.map_err(|e| e.code()), Err("GROUP_ID_NOT_FOUND"));
    }

    #[test]
    fn added_partitions_trigger_a_rebalance() {
        let mut g = formed(&GroupConfig::default(), 10.0);
        g.tick(s(10.5), &orders(12));
        assert_eq!(g.state(), GroupState::PreparingRebalance);
        assert_eq!(
            g.rebalances()[1].reason,
            "partitions of orders changed 6 -> 12"
        );
        run(&mut g, 10.5, 20.0, &orders(12));
        assert_eq!(g.state(), GroupState::Stable);
        assert_eq!(g.owner_of(&tp(11)), Some("c3"));
        // A topic nobody subscribes to changes nothing.
        let mut more = orders(12);
        more.insert("other".into(), 3);
        g.tick(s(21.0), &more);
        assert_eq!(g.state(), GroupState::Stable);
    }

    #[test]
    fn commits_are_checked_against_membership_generation_and_ownership() {
        let mut g = formed(&cfg(Assignor::CooperativeSticky), 10.0);
        let owned = g
            .member("c1")
            .map(|m| m.assignment.clone())
            .unwrap_or_default();
        let mine = owned.first().cloned().expect("c1 owns something");
        let other = tp(5);
        assert!(!owned.contains(&other));
        assert_eq!(g.commit(s(10.0), "c1", 1, mine.clone(), 42), Ok(()));
        assert_eq!(g.committed(&mine), Some(42));
        assert_eq!(
            g.commit(s(10.0), "zz", 1, mine.clone(), 1)
                .map_err(|e| e.code()),
            Err("UNKNOWN_MEMBER_ID")
        );
        assert_eq!(
            g.commit(s(10.0), "c1", 0, mine.clone(), 1)
                .map_err(|e| e.code()),
            Err("ILLEGAL_GENERATION")
        );
        // Stable: Kafka does not check ownership.
        assert_eq!(g.commit(s(10.0), "c1", 1, other.clone(), 7), Ok(()));
        g.join(
            s(10.5),
            "c4",
            cfg(Assignor::CooperativeSticky),
            topics(&["orders"]),
        )
        .expect("join");
        assert_eq!(g.state(), GroupState::PreparingRebalance);
        assert_eq!(g.commit(s(10.6), "c1", 1, mine.clone(), 43), Ok(()));
        let err = g
            .commit(s(10.6), "c1", 1, other.clone(), 8)
            .expect_err("not owned");
        assert_eq!(err.code(), "REBALANCE_IN_PROGRESS");
        assert_eq!(g.committed(&other), Some(7));
        assert_eq!(g.committed(&mine), Some(43));
    }

    #[test]
    fn offsets_can_only_be_reset_when_the_group_is_inactive() {
        let mut g = formed(&GroupConfig::default(), 10.0);
        let err = g.set_committed(tp(0), 0).expect_err("active group");
        assert_eq!(
            err.to_string(),
            "Assignments can only be reset if the group 'g' is inactive, but the current state is Stable."
        );
        assert_eq!(g.check_reset_offsets(), Err(err));
        for id in ["c1", "c2", "c3"] {
            g.leave(s(11.0), id).expect("leave");
        }
        assert_eq!(g.set_committed(tp(0), 5), Ok(()));
        assert_eq!(g.committed(&tp(0)), Some(5));
    }

    #[test]
    fn bad_configs_and_mixed_assignors_are_rejected() {
        let mut g = formed(&GroupConfig::default(), 10.0);
        let sticky = cfg(Assignor::CooperativeSticky);
        let err = g.join(s(11.0), "x", sticky, topics(&["orders"]));
        assert_eq!(
            err.map_err(|e| e.code()),
            Err("INCONSISTENT_GROUP_PROTOCOL")
        );
        let short = GroupConfig {
            session_timeout: SimDuration::from_secs(5),
            ..GroupConfig::default()
        };
        assert_eq!(
            short.validate().map_err(|e| e.code()),
            Err("INVALID_SESSION_TIMEOUT")
        );
        let slow_heartbeat = GroupConfig {
            heartbeat_interval: SimDuration::from_secs(45),
            ..GroupConfig::default()
        };
        assert_eq!(
            slow_heartbeat.validate().map_err(|e| e.code()),
            Err("INVALID_CONFIG")
        );
        assert_eq!(g.generation(), 1);
        assert_eq!(g.members().count(), 3);
    }

    // ----- proptest: random histories -----

    #[derive(Clone, Debug)]
    enum Op {
        Join { member: usize, statics: bool },
        Leave(usize),
        Crash(usize),
        Stall(usize, u64),
        Wait(u64),
        Partitions(usize, u32),
    }

    fn arb_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0usize..5, any::<bool>()).prop_map(|(member, statics)| Op::Join { member, statics }),
            1 => (0usize..5).prop_map(Op::Leave),
            1 => (0usize..5).prop_map(Op::Crash),
            1 => (0usize..5, 0u64..400_000).prop_map(|(m, ms)| Op::Stall(m, ms)),
            4 => (0u64..90_000).prop_map(Op::Wait),
            1 => (0usize..2, 0u32..10).prop_map(|(t, n)| Op::Partitions(t, n)),
        ]
    }

    const TOPICS: [&str; 2] = ["a", "b"];

    /// Member `i`'s subscription: a, b, or both.
    fn subscription(i: usize) -> BTreeSet<String> {
        match i % 3 {
            0 => topics(&["a"]),
            1 => topics(&["b"]),
            _ => topics(&["a", "b"]),
        }
    }

    struct Checked {
        group: Group,
        violations: Vec<String>,
    }

    /// Invariants (a), (b) and (c) after one step.
    fn check_ownership(
        g: &Group,
        parts: &BTreeMap<String, u32>,
        assignor: Assignor,
        op: &Op,
        before: &Before,
        violations: &mut Vec<String>,
    ) {
        // (a) at most one owner per partition.
        let mut seen = BTreeSet::new();
        for m in g.members() {
            for tp in m.assignment {
                if !seen.insert(tp.clone()) {
                    violations.push(format!("{tp} owned twice after {op:?}"));
                }
            }
        }
        // (b) Stable: every subscribed partition has one subscribed owner.
        if g.state() == GroupState::Stable {
            for (topic, n) in parts {
                let subscribers: BTreeSet<&str> = g
                    .members()
                    .filter(|m| m.topics.contains(topic))
                    .map(|m| m.id)
                    .collect();
                if subscribers.is_empty() {
                    continue;
                }
                for p in 0..*n {
                    let tp = TopicPartition::new(topic, p);
                    match g.owner_of(&tp) {
                        Some(o) if subscribers.contains(o) => {}
                        other => violations
                            .push(format!("Stable but {tp} owned by {other:?} after {op:?}")),
                    }
                }
            }
        }
        // (c) cooperative: no rebalance revokes from a member a partition it assigns back to
        // it; and across a step where the members stayed the same and only follow-up
        // rebalances started, a partition with the same owner before and after was never
        // revoked from it in between.
        if assignor.is_cooperative() {
            let log = g.rebalances();
            for r in log {
                for (m, revoked) in &r.revoked {
                    let back = r.assigned.get(m).is_some_and(|a| !a.is_disjoint(revoked));
                    if back {
                        violations.push(format!("{m} revoked what gen {} gave back", r.generation));
                    }
                }
            }
            let members: BTreeSet<String> = g.members().map(|m| m.id.to_string()).collect();
            let start = before.log.len().saturating_sub(1);
            let only_follow_ups = log
                .iter()
                .skip(before.log.len())
                .all(|r| r.reason.starts_with("follow-up"));
            if members != before.members || !only_follow_ups {
                return;
            }
            for (tp, owner) in &before.owners {
                if g.owner_of(tp) != Some(owner.as_str()) {
                    continue;
                }
                for (i, r) in log.iter().enumerate().skip(start) {
                    let was = before
                        .log
                        .get(i)
                        .and_then(|b| b.revoked.get(owner))
                        .is_some_and(|set| set.contains(tp));
                    let now_revoked = r.revoked.get(owner).is_some_and(|set| set.contains(tp));
                    if now_revoked && !was {
                        violations.push(format!("{tp} revoked from {owner} and given back"));
                    }
                }
            }
        }
    }

    /// The group before a step.
    struct Before {
        owners: BTreeMap<TopicPartition, String>,
        members: BTreeSet<String>,
        log: VecDeque<RebalanceRecord>,
    }

    fn play(assignor: Assignor, max_poll_secs: u64, ops: &[Op]) -> Checked {
        let mut g = Group::new("g", GroupSettings::default());
        let mut parts: BTreeMap<String, u32> =
            TOPICS.iter().map(|t| ((*t).to_string(), 4)).collect();
        let mut now = SimTime::ZERO;
        let mut violations = Vec::new();
        g.tick(now, &parts);
        let mut generation = g.generation();
        for op in ops {
            let before = Before {
                owners: g
                    .members()
                    .flat_map(|m| {
                        m.assignment
                            .iter()
                            .map(move |tp| (tp.clone(), m.id.to_string()))
                    })
                    .collect(),
                members: g.members().map(|m| m.id.to_string()).collect(),
                log: g.rebalances().clone(),
            };
            let id = |i: usize| format!("m{i}");
            match op {
                Op::Join { member, statics } => {
                    let config = GroupConfig {
                        assignor,
                        max_poll_interval: SimDuration::from_secs(max_poll_secs),
                        group_instance_id: statics.then(|| format!("i{member}")),
                        ..GroupConfig::default()
                    };
                    // An instance id held under another member id is refused; that is fine.
                    let _ = g.join(now, &id(*member), config, subscription(*member));
                }
                Op::Leave(m) => {
                    let _ = g.leave(now, &id(*m));
                }
                Op::Crash(m) => {
                    let _ = g.crash(now, &id(*m));
                }
                Op::Stall(m, ms) => {
                    let _ = g.stall(now, &id(*m), SimDuration::from_millis(*ms));
                }
                Op::Wait(ms) => now = now + SimDuration::from_millis(*ms),
                // Kafka can only add partitions (`kafka-topics --alter` refuses fewer).
                Op::Partitions(t, n) => {
                    let count = parts.entry(TOPICS[*t].to_string()).or_insert(0);
                    *count = (*count).max(*n);
                }
            }
            g.tick(now, &parts);

            check_ownership(&g, &parts, assignor, op, &before, &mut violations);
            // (d) generations only increase, in the group and along the log.
            if g.generation() < generation {
                violations.push(format!("generation went back after {op:?}"));
            }
            generation = g.generation();
            if g.rebalances()
                .iter()
                .zip(g.rebalances().iter().skip(1))
                .any(|(a, b)| a.generation >= b.generation)
            {
                violations.push("rebalance generations not increasing".into());
            }
        }
        // Liveness: left alone for two hours, every timer runs out and the group settles.
        g.tick(now + SimDuration::from_hours(2), &parts);
        if !matches!(g.state(), GroupState::Stable | GroupState::Empty) {
            violations.push(format!("did not settle: {}", g.state()));
        }
        Checked {
            group: g,
            violations,
        }
    }

    /// Found by the property below: two members join while two others own everything, and
    /// the follow-up rebalance gave `b-3` back to the member that had just revoked it.
    #[test]
    fn a_cooperative_follow_up_hands_over_what_the_plan_revoked() {
        let ops = [
            Op::Join {
                member: 0,
                statics: false,
            },
            Op::Join {
                member: 1,
                statics: false,
            },
            Op::Wait(3010),
            Op::Join {
                member: 2,
                statics: false,
            },
            Op::Join {
                member: 3,
                statics: false,
            },
            Op::Wait(6020),
        ];
        let checked = play(Assignor::CooperativeSticky, 20, &ops);
        assert!(checked.violations.is_empty(), "{:?}", checked.violations);
        let log = checked.group.rebalances();
        let plan = &log[1];
        let follow_up = &log[2];
        assert!(
            follow_up.reason.starts_with("follow-up"),
            "{}",
            follow_up.reason
        );
        for (member, revoked) in &plan.revoked {
            for tp in revoked {
                assert!(
                    !follow_up
                        .assigned
                        .get(member)
                        .is_some_and(|a| a.contains(tp)),
                    "{tp} went back to {member}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn group_invariants_hold_over_random_histories(
            assignor in proptest::sample::select(Assignor::ALL.to_vec()),
            max_poll_secs in proptest::sample::select(vec![20u64, 300]),
            ops in proptest::collection::vec(arb_op(), 1..40),
        ) {
            let first = play(assignor, max_poll_secs, &ops);
            prop_assert!(first.violations.is_empty(), "{:?}", first.violations);
            // (e) same inputs, same state.
            let second = play(assignor, max_poll_secs, &ops);
            prop_assert_eq!(first.group, second.group);
        }
    }
}
