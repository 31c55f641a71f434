//! Where the group and transaction coordinators live, and what their broker failing does.
//!
//! Kafka puts the coordinator of consumer group `G` on the leader of partition
//! `abs(G.hashCode()) % offsets.topic.num.partitions` of `__consumer_offsets`, and the
//! transaction coordinator of `transactional.id` `T` on the leader of partition
//! `abs(T.hashCode()) % transaction.state.log.num.partitions` of `__transaction_state` (Java's
//! `String.hashCode`, and `Utils.abs`, which is `x & 0x7fffffff`). When that leader fails, the
//! controller elects another replica, which reads the partition's log to rebuild the groups or
//! transactions it now coordinates (COORDINATOR_LOAD_IN_PROGRESS meanwhile); clients get
//! COORDINATOR_NOT_AVAILABLE until then and find the new coordinator (FindCoordinator).
//!
//! The model keeps the two internal topics virtual: the cluster tracks only the replicas, ISR
//! and leader of each of their partitions ([`CoordinatorPartition`]), placed as topic creation
//! places a topic with RF = min(3, brokers) (`offsets.topic.replication.factor` and
//! `transaction.state.log.replication.factor` are 3), and elected by the same controller with
//! the same rule: nothing moves while the controller is unavailable (a KRaft failover in
//! progress, a ZooKeeper controller loading or without quorum). They hold no log, are not
//! counted among the cluster's partitions (partition gauges, lab figures, a ZooKeeper
//! controller's load) and replicate nothing. A newly elected leader, or a crashed leader
//! restarted (its in-memory state is gone), serves after [`COORDINATOR_LOAD_TIME`]; a paused
//! leader that resumes still has its state and serves at once.
//!
//! Not modelled: the load time's dependence on the partition's size, replication lag of the
//! internal topics (a replica is in sync unless the controller fenced its broker, and is back
//! in the ISR once readmitted), clients caching a stale coordinator (NOT_COORDINATOR), and
//! preferred-leader election (a coordinator that moved stays on its new broker).

use super::cluster::BrokerId;
use super::error::{ErrorCode, KafkaError};
use crate::time::{SimDuration, SimTime};

/// `offsets.topic.num.partitions` (default 50).
pub const OFFSETS_TOPIC_PARTITIONS: u32 = 50;
/// `transaction.state.log.num.partitions` (default 50).
pub const TRANSACTION_STATE_PARTITIONS: u32 = 50;
/// `offsets.topic.replication.factor` and `transaction.state.log.replication.factor` (3),
/// capped at the broker count as the model creates them with the cluster.
pub const INTERNAL_TOPIC_REPLICATION_FACTOR: u32 = 3;
/// What a new coordinator spends reading its `__consumer_offsets` (or `__transaction_state`)
/// partition before it serves: a compacted partition of a few MB loads in a few hundred ms.
/// The model uses one figure whatever the partition holds.
pub const COORDINATOR_LOAD_TIME: SimDuration = SimDuration::from_millis(300);

/// Which coordinator: a consumer group's or a transactional id's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CoordinatorKind {
    Group,
    Transaction,
}

impl CoordinatorKind {
    /// The internal topic whose partition leaders host this kind of coordinator.
    pub fn topic(self) -> &'static str {
        match self {
            CoordinatorKind::Group => "__consumer_offsets",
            CoordinatorKind::Transaction => "__transaction_state",
        }
    }

    pub fn partitions(self) -> u32 {
        match self {
            CoordinatorKind::Group => OFFSETS_TOPIC_PARTITIONS,
            CoordinatorKind::Transaction => TRANSACTION_STATE_PARTITIONS,
        }
    }

    /// The partition of [`CoordinatorKind::topic`] whose leader coordinates `key` (a group id
    /// or a transactional id).
    pub fn partition_for(self, key: &str) -> u32 {
        (java_string_hash(key) & 0x7fff_ffff) as u32 % self.partitions()
    }

    pub(super) fn index(self) -> usize {
        match self {
            CoordinatorKind::Group => 0,
            CoordinatorKind::Transaction => 1,
        }
    }
}

/// Java's `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, in
/// wrapping 32-bit arithmetic.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// One partition of a virtual internal topic: who may lead it, and since when its leader
/// serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordinatorPartition {
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: u32,
    /// When the current leader has loaded the partition's state (it serves from then on).
    pub loaded_at: SimTime,
    /// When the partition last lost its leader.
    pub offline_since: SimTime,
}

impl CoordinatorPartition {
    pub(super) fn new(replicas: Vec<BrokerId>, now: SimTime) -> Self {
        CoordinatorPartition {
            leader: replicas.first().copied(),
            isr: replicas.clone(),
            replicas,
            leader_epoch: 0,
            loaded_at: now,
            offline_since: now,
        }
    }
}

/// Where a coordinator stands, as its clients experience it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoordinatorStatus {
    /// Loaded and serving on `broker`, since `since`.
    Ready { broker: BrokerId, since: SimTime },
    /// `broker` became the leader at `since` and is loading the state until `ready_at`.
    Loading {
        broker: BrokerId,
        since: SimTime,
        ready_at: SimTime,
    },
    /// The leader (`broker`) is down or fenced and no other has been elected yet, or there is
    /// no leader at all (`None`: no live in-sync replica); unavailable since `since`.
    Unavailable {
        broker: Option<BrokerId>,
        since: SimTime,
    },
}

impl CoordinatorStatus {
    pub fn is_ready(&self) -> bool {
        matches!(self, CoordinatorStatus::Ready { .. })
    }

    /// The broker FindCoordinator would name: the partition's leader, if it has one.
    pub fn broker(&self) -> Option<BrokerId> {
        match *self {
            CoordinatorStatus::Ready { broker, .. } | CoordinatorStatus::Loading { broker, .. } => {
                Some(broker)
            }
            CoordinatorStatus::Unavailable { broker, .. } => broker,
        }
    }

    /// When the coordinator entered this state.
    pub fn since(&self) -> SimTime {
        match *self {
            CoordinatorStatus::Ready { since, .. }
            | CoordinatorStatus::Loading { since, .. }
            | CoordinatorStatus::Unavailable { since, .. } => since,
        }
    }

    /// A short description for `describe` output and errors.
    pub fn describe(&self) -> String {
        match *self {
            CoordinatorStatus::Ready { broker, .. } => format!("broker {broker}, ready"),
            CoordinatorStatus::Loading {
                broker, ready_at, ..
            } => format!(
                "broker {broker}, loading its state until {}",
                ready_at.to_rfc3339()
            ),
            CoordinatorStatus::Unavailable {
                broker: Some(b), ..
            } => format!("broker {b} is not answering and no new leader is elected yet"),
            CoordinatorStatus::Unavailable { broker: None, .. } => {
                "no live in-sync replica to lead its partition".to_string()
            }
        }
    }

    /// What a request to a coordinator that is not ready fails with (`None` when it is
    /// ready): COORDINATOR_LOAD_IN_PROGRESS while loading, COORDINATOR_NOT_AVAILABLE
    /// otherwise. Both are retriable.
    pub fn error(&self, kind: CoordinatorKind, partition: u32, key: &str) -> Option<KafkaError> {
        let whose = match kind {
            CoordinatorKind::Group => format!("group '{key}'"),
            CoordinatorKind::Transaction => format!("transactional id '{key}'"),
        };
        let code = match self {
            CoordinatorStatus::Ready { .. } => return None,
            CoordinatorStatus::Loading { .. } => ErrorCode::CoordinatorLoadInProgress,
            CoordinatorStatus::Unavailable { .. } => ErrorCode::CoordinatorNotAvailable,
        };
        Some(KafkaError::new(
            code,
            format!(
                "the coordinator of {whose} ({}-{partition}): {}",
                kind.topic(),
                self.describe()
            ),
        ))
    }

    /// The event-log line for a change from `before` to `self`, if it is worth one.
    pub fn transition_event(&self, before: &CoordinatorStatus, whose: &str) -> Option<String> {
        use CoordinatorStatus::{Loading, Ready, Unavailable};
        match (before, self) {
            (Ready { .. }, Ready { .. })
            | (Loading { .. }, Loading { .. })
            | (Unavailable { .. }, Unavailable { .. }) => {
                (before.broker() != self.broker()).then(|| self.event_text(whose))
            }
            _ => Some(self.event_text(whose)),
        }
    }

    /// The event-log line for entering this state (`whose`: "group G", ...).
    pub fn event_text(&self, whose: &str) -> String {
        match *self {
            CoordinatorStatus::Ready { broker, .. } => {
                format!("{whose} coordinator on broker {broker} ready")
            }
            CoordinatorStatus::Loading {
                broker,
                since,
                ready_at,
            } => format!(
                "{whose} coordinator moved to broker {broker} (load {} ms)",
                ready_at.since(since).as_millis()
            ),
            CoordinatorStatus::Unavailable {
                broker: Some(b), ..
            } => format!("{whose} coordinator unavailable: broker {b} is not answering"),
            CoordinatorStatus::Unavailable { broker: None, .. } => {
                format!("{whose} coordinator unavailable: no live in-sync replica")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_code_matches_the_jvm() {
        // "a".hashCode() == 97; "ab" == 97*31 + 98 == 3105.
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("ab"), 3105);
        // Overflows wrap: "orders".hashCode() == -1008770331 on a JVM.
        assert_eq!(java_string_hash("orders"), -1_008_770_331);
        // Characters outside the BMP count as two UTF-16 units (a surrogate pair).
        assert_eq!(
            java_string_hash("\u{1F600}"),
            0xD83D_i32.wrapping_mul(31).wrapping_add(0xDE00)
        );
    }

    #[test]
    fn the_partition_is_the_masked_hash_modulo_fifty() {
        // -1008770331 & 0x7fffffff == 1138713317; 1138713317 % 50 == 17.
        assert_eq!(CoordinatorKind::Group.partition_for("orders"), 17);
        assert_eq!(CoordinatorKind::Transaction.partition_for("orders"), 17);
        assert_eq!(CoordinatorKind::Group.partition_for("a"), 97 % 50);
    }
}
