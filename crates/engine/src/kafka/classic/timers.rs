//! Time: session expiry, the join phase's deadlines, and the coordinator going away and
//! coming back.

use super::{ClassicGroup, GroupState, err};
use crate::kafka::error::ErrorCode;
use crate::time::{SimDuration, SimTime};

impl ClassicGroup {
    /// The coordinator is away (`false`) or back (`true`). Away: held requests are answered
    /// NOT_COORDINATOR and no timer fires; back, every session starts afresh, as a coordinator
    /// that loads a group does.
    pub fn set_coordinator(&mut self, now: SimTime, serving: bool) {
        if !serving && !self.coordinator_lost {
            self.coordinator_lost = true;
            self.fail_held(ErrorCode::NotCoordinator, "the group's coordinator moved");
        } else if serving && self.coordinator_lost {
            self.coordinator_lost = false;
            for m in self.members.values_mut() {
                m.last_heartbeat = now;
            }
            if self.state == GroupState::PreparingRebalance {
                self.rebalance_deadline = self.rebalance_deadline.max(now);
            }
        }
    }

    pub(super) fn fail_held(&mut self, code: ErrorCode, why: &str) {
        for m in self.members.values_mut() {
            if m.simulated.is_some() {
                continue;
            }
            if std::mem::take(&mut m.awaiting_join) {
                self.join_replies.insert(m.id.clone(), Err(err(code, why)));
            }
            if std::mem::take(&mut m.awaiting_sync) {
                self.sync_replies.insert(m.id.clone(), Err(err(code, why)));
            }
        }
    }

    /// Fires the timers due by `now`: expired sessions, the end of the initial delay, the
    /// rebalance timeout.
    pub fn tick(&mut self, now: SimTime) {
        if self.coordinator_lost {
            return;
        }
        self.pending.retain(|_, expiry| *expiry > now);
        // A member whose JoinGroup or SyncGroup is held is alive: the broker keeps it.
        let expired: Vec<(String, SimDuration)> = self
            .members
            .values()
            .filter(|m| m.heartbeats_by_wire() && !m.awaiting_join && !m.awaiting_sync)
            .filter(|m| now >= m.last_heartbeat + m.session_timeout)
            .map(|m| (m.id.clone(), m.session_timeout))
            .collect();
        for (id, timeout) in expired {
            self.remove_member(
                now,
                &id,
                &format!(
                    "member {id} was removed: no heartbeat within session.timeout.ms ({})",
                    timeout.as_millis()
                ),
            );
        }
        self.try_complete_join(now);
    }
}
