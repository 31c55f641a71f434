//! Committed offsets: member commits with their membership checks, the admin reset, the
//! unchecked and transactional paths, and the group's deletion.

use super::{COMMITTED_MAX, Group, GroupError, GroupState};
use crate::kafka::assignor::TopicPartition;
use crate::time::SimTime;

impl Group {
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
}
