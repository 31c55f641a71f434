//! OffsetCommit's checks and the committed offsets.

use super::{
    ClassicGroup, Committed, GroupState, OFFSET_ENTRY_BYTES, OFFSET_METADATA_BYTES_MAX,
    OFFSETS_MAX, err,
};
use crate::kafka::assignor::TopicPartition;
use crate::kafka::error::{ErrorCode, KafkaError, Result};
use crate::time::SimTime;

impl ClassicGroup {
    /// OffsetCommit: `generation -1` with no member id is a commit by a client that assigns
    /// its own partitions (allowed only while the group has no members); otherwise the member
    /// and generation must be the group's current ones.
    pub fn check_commit(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
    ) -> Result<()> {
        if generation < 0 && self.state == GroupState::Empty {
            return Ok(());
        }
        if self.state == GroupState::CompletingRebalance {
            return Err(err(
                ErrorCode::RebalanceInProgress,
                format!("group {} is completing a rebalance", self.id),
            ));
        }
        if generation < 0 {
            return Err(err(
                ErrorCode::UnknownMemberId,
                format!("group {} has members: commit as one of them", self.id),
            ));
        }
        self.check_member(member_id, instance_id, generation)
    }

    pub fn commit(
        &mut self,
        now: SimTime,
        tp: TopicPartition,
        offset: i64,
        metadata: String,
    ) -> Result<()> {
        if metadata.len() > OFFSET_METADATA_BYTES_MAX {
            return Err(err(
                ErrorCode::OffsetMetadataTooLarge,
                format!(
                    "offset metadata over offset.metadata.max.bytes ({OFFSET_METADATA_BYTES_MAX})"
                ),
            ));
        }
        if !self.offsets.contains_key(&tp) && self.offsets.len() >= OFFSETS_MAX {
            return Err(KafkaError::limit(format!(
                "group {} has offsets for {OFFSETS_MAX} partitions",
                self.id
            )));
        }
        let entry = OFFSET_ENTRY_BYTES + tp.topic.len();
        self.offset_bytes += entry + metadata.len();
        let replaced = self.offsets.insert(
            tp,
            Committed {
                offset,
                metadata,
                at: now,
            },
        );
        if let Some(old) = replaced {
            self.offset_bytes = self.offset_bytes.saturating_sub(entry + old.metadata.len());
        }
        Ok(())
    }
}
