//! The event scheduling queue: events ordered by virtual time, ties broken by insertion order,
//! so a run is a pure function of its inputs.

use super::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Upper bound on pending events; scheduling beyond it is refused (a bug, not a workload).
pub const MAX_PENDING_EVENTS: usize = 1_000_000;

#[derive(Debug)]
struct Slot<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Slot<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Slot<E> {}
impl<E> PartialOrd for Slot<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Slot<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A virtual clock plus a queue of future events.
#[derive(Debug)]
pub struct Scheduler<E> {
    now: SimTime,
    seq: u64,
    heap: BinaryHeap<Reverse<Slot<E>>>,
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Scheduler {
            now: SimTime::ZERO,
            seq: 0,
            heap: BinaryHeap::new(),
        }
    }
}

impl<E> Scheduler<E> {
    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Schedules `event` at `at` (clamped to now). Returns false if the queue is full.
    pub fn schedule(&mut self, at: SimTime, event: E) -> bool {
        if self.heap.len() >= MAX_PENDING_EVENTS {
            return false;
        }
        let at = at.max(self.now);
        self.seq += 1;
        self.heap.push(Reverse(Slot {
            at,
            seq: self.seq,
            event,
        }));
        true
    }

    /// Pops the next event due at or before `until`, moving the clock to its time.
    pub fn pop_until(&mut self, until: SimTime) -> Option<(SimTime, E)> {
        let due = self.heap.peek().is_some_and(|Reverse(s)| s.at <= until);
        if !due {
            return None;
        }
        let Reverse(slot) = self.heap.pop()?;
        self.now = slot.at;
        Some((slot.at, slot.event))
    }

    /// Moves the clock forward to `to` (never backwards).
    pub fn set_now(&mut self, to: SimTime) {
        self.now = self.now.max(to);
    }

    /// Drops every pending event for which `keep` returns false.
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        let old = std::mem::take(&mut self.heap);
        self.heap = old
            .into_iter()
            .filter(|Reverse(s)| keep(&s.event))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_in_time_then_insertion_order() {
        let mut s = Scheduler::default();
        s.schedule(SimTime(5), "b");
        s.schedule(SimTime(1), "a");
        s.schedule(SimTime(5), "c");
        s.schedule(SimTime(9), "d");
        let mut out = vec![];
        while let Some((_, e)) = s.pop_until(SimTime(6)) {
            out.push(e);
        }
        assert_eq!(out, ["a", "b", "c"]);
        assert_eq!(s.now(), SimTime(5));
        assert_eq!(s.len(), 1);
    }
}
