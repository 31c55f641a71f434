//! SyncGroup, Heartbeat and LeaveGroup: a member's generation checked, the leader's
//! assignment handed out, members leaving.

use super::{ClassicGroup, GroupState, METADATA_BYTES_MAX, Reply, err};
use crate::kafka::error::{ErrorCode, Result};
use crate::time::SimTime;
use std::collections::BTreeMap;

impl ClassicGroup {
    pub(super) fn check_member(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
    ) -> Result<()> {
        if let Some(instance) = instance_id
            && let Some(owner) = self.static_member(instance)
            && owner != member_id
        {
            return Err(err(
                ErrorCode::FencedInstanceId,
                format!("instance {instance} is member {owner} now"),
            ));
        }
        if !self.members.contains_key(member_id) {
            return Err(err(
                ErrorCode::UnknownMemberId,
                format!("member {member_id} is not in group {}", self.id),
            ));
        }
        if generation != self.generation {
            return Err(err(
                ErrorCode::IllegalGeneration,
                format!(
                    "generation {generation} is not the group's ({})",
                    self.generation
                ),
            ));
        }
        Ok(())
    }

    pub fn sync(
        &mut self,
        now: SimTime,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        assignments: Vec<(String, Vec<u8>)>,
    ) -> Result<Reply<Vec<u8>>> {
        self.check_member(member_id, instance_id, generation)?;
        // As for a join: an uncollected answer to an earlier SyncGroup is stale.
        self.sync_replies.remove(member_id);
        if assignments
            .iter()
            .any(|(_, a)| a.len() > METADATA_BYTES_MAX)
        {
            return Err(err(
                ErrorCode::InvalidRequest,
                format!("an assignment over {METADATA_BYTES_MAX} bytes"),
            ));
        }
        match self.state {
            GroupState::Empty | GroupState::Dead => {
                Err(err(ErrorCode::UnknownMemberId, "the group is empty"))
            }
            GroupState::PreparingRebalance => Err(err(
                ErrorCode::RebalanceInProgress,
                format!("group {} is rebalancing: join again", self.id),
            )),
            GroupState::Stable => Ok(Reply::Now(
                self.members
                    .get(member_id)
                    .map(|m| m.assignment.clone())
                    .unwrap_or_default(),
            )),
            GroupState::CompletingRebalance => {
                if let Some(m) = self.members.get_mut(member_id) {
                    m.awaiting_sync = true;
                    m.last_heartbeat = now;
                }
                if self.leader.as_deref() == Some(member_id) {
                    let mut given: BTreeMap<String, Vec<u8>> = assignments.into_iter().collect();
                    for m in self.members.values_mut() {
                        m.assignment = given.remove(&m.id).unwrap_or_default();
                        if std::mem::take(&mut m.awaiting_sync) {
                            self.sync_replies
                                .insert(m.id.clone(), Ok(m.assignment.clone()));
                        }
                    }
                    self.state = GroupState::Stable;
                    self.events.push(format!(
                        "group {} is stable at generation {}",
                        self.id, self.generation
                    ));
                }
                Ok(match self.sync_replies.remove(member_id) {
                    Some(Ok(a)) => Reply::Now(a),
                    Some(Err(e)) => return Err(e),
                    None => Reply::Later(member_id.to_string()),
                })
            }
        }
    }

    /// The answer to a held SyncGroup, once the leader's has arrived (or a new rebalance
    /// started).
    pub fn take_sync(&mut self, member_id: &str) -> Option<Result<Vec<u8>>> {
        self.sync_replies.remove(member_id)
    }

    pub fn heartbeat(
        &mut self,
        now: SimTime,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
    ) -> Result<()> {
        if self.state == GroupState::Empty {
            return Err(err(ErrorCode::UnknownMemberId, "the group is empty"));
        }
        self.check_member(member_id, instance_id, generation)?;
        if let Some(m) = self.members.get_mut(member_id) {
            m.last_heartbeat = now;
        }
        if self.state == GroupState::PreparingRebalance {
            return Err(err(
                ErrorCode::RebalanceInProgress,
                format!("group {} is rebalancing: join again", self.id),
            ));
        }
        Ok(())
    }

    /// LeaveGroup for one member (by id, or for a static member by instance id).
    pub fn leave(
        &mut self,
        now: SimTime,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<()> {
        let id = match instance_id {
            Some(instance) => match self.static_member(instance) {
                Some(owner) if member_id.is_empty() || owner == member_id => owner,
                Some(owner) => {
                    return Err(err(
                        ErrorCode::FencedInstanceId,
                        format!("instance {instance} is member {owner} now"),
                    ));
                }
                None => member_id.to_string(),
            },
            None => member_id.to_string(),
        };
        if self.pending.remove(&id).is_some() {
            return Ok(());
        }
        if !self.members.contains_key(&id) {
            return Err(err(
                ErrorCode::UnknownMemberId,
                format!("member {id} is not in group {}", self.id),
            ));
        }
        self.remove_member(now, &id, &format!("member {id} left the group"));
        Ok(())
    }

    pub(super) fn remove_member(&mut self, now: SimTime, id: &str, reason: &str) {
        let Some(m) = self.members.remove(id) else {
            return;
        };
        if m.awaiting_join {
            self.join_replies
                .insert(id.to_string(), Err(err(ErrorCode::UnknownMemberId, reason)));
        }
        if m.awaiting_sync {
            self.sync_replies
                .insert(id.to_string(), Err(err(ErrorCode::UnknownMemberId, reason)));
        }
        if self.leader.as_deref() == Some(id) {
            self.leader = self.members().first().map(|m| m.id.clone());
        }
        self.events.push(format!("group {}: {reason}", self.id));
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(now, reason);
            }
            _ => {}
        }
        self.try_complete_join(now);
    }
}
