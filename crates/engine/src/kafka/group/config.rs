//! The settings of a group (a member's client configs, the broker's), its states, the
//! rebalance protocol, the rebalance records kept for timelines, and the errors.

use super::{SESSION_TIMEOUT_MAX, SESSION_TIMEOUT_MIN};
use crate::kafka::assignor::{Assignor, TopicPartition};
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

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
