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
mod join;
mod membership;
mod offsets;
pub mod simulated;
#[cfg(test)]
mod tests;
mod timers;

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
/// Bytes one committed offset holds besides its metadata.
pub const OFFSET_ENTRY_BYTES: usize = 64;
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
    /// Bytes `offsets` holds (see [`ClassicGroup::held_bytes`]).
    offset_bytes: usize,
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
            offset_bytes: 0,
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
    /// About what the group holds in memory: its members' protocols and assignments and its
    /// committed offsets (what a world's budget for client-run groups counts).
    pub fn held_bytes(&self) -> usize {
        let members: usize = self
            .members
            .values()
            .map(|m| {
                m.id.len()
                    + m.client_id.len()
                    + m.client_host.len()
                    + m.assignment.len()
                    + m.protocols
                        .iter()
                        .map(|(n, meta)| n.len() + meta.len())
                        .sum::<usize>()
            })
            .sum();
        members + self.offset_bytes
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
}
