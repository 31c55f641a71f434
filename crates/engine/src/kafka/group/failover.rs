//! Coordinator failover: the group while no loaded coordinator serves it, and its load by
//! the new one.

use super::rebalance::Phase;
use super::{Group, GroupError, GroupState};
use crate::time::SimTime;

impl Group {
    /// Since when no loaded coordinator serves the group (`None` when one does; see
    /// [`Group::coordinator_unavailable`]).
    pub fn coordinator_unavailable_since(&self) -> Option<SimTime> {
        self.coordinator_lost_at
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

    pub(super) fn require_coordinator(&self) -> Result<(), GroupError> {
        if self.coordinator_lost_at.is_some() {
            Err(GroupError::CoordinatorNotAvailable(self.id.clone()))
        } else {
            Ok(())
        }
    }
}
