//! The log cleaner: each broker's cleaner compacts the dirtiest compacted log it leads,
//! within its threads' throughput and the I/O cap.

use super::{BrokerId, CLEANER_THREAD_BYTES_PER_SEC, Cluster};
use crate::metrics::Metric;
use crate::time::{SimDuration, SimTime};

impl Cluster {
    /// Each broker's cleaner works on the dirtiest compacted log it leads; a pass costs the
    /// bytes of every closed segment and completes when that many bytes of budget are spent.
    pub(super) fn run_cleaners(&mut self, dt: SimDuration, now: SimTime) {
        let sec = now.as_secs();
        let ids: Vec<BrokerId> = self.brokers.keys().copied().collect();
        let mut dirty_total = 0u64;
        for t in self.topics.values() {
            if t.config.log.cleanup_policy.compacts() {
                for p in &t.partitions {
                    dirty_total += p.log.cleanable_bytes().0;
                }
            }
        }
        self.metrics
            .set(Metric::KafkaCleanerDirtyBytes, sec, dirty_total);
        for id in ids {
            let b = &self.brokers[&id];
            if !b.is_up() {
                continue;
            }
            let mut rate = u64::from(b.config.cleaner_threads) * CLEANER_THREAD_BYTES_PER_SEC;
            if let Some(limit) = b.config.cleaner_io_max_bytes_per_sec {
                rate = rate.min(limit);
            }
            let mut budget = (u128::from(rate) * u128::from(dt.0) / 1_000_000) as u64;
            let mut job = b.cleaner_job.clone();
            for _ in 0..64 {
                if budget == 0 {
                    break;
                }
                if job.is_none() {
                    job = self.dirtiest_log_led_by(id);
                }
                let Some((topic, p, remaining, upto)) = job.take() else {
                    break;
                };
                if remaining > budget {
                    job = Some((topic, p, remaining - budget, upto));
                    break;
                }
                budget -= remaining;
                if let Some(part) = self
                    .topics
                    .get_mut(&topic)
                    .and_then(|t| t.partitions.get_mut(p as usize))
                {
                    part.log.compact_upto(now, upto);
                }
            }
            if let Some(b) = self.brokers.get_mut(&id) {
                b.cleaner_job = job;
            }
        }
    }

    fn dirtiest_log_led_by(&self, broker: BrokerId) -> Option<(String, u32, u64, u64)> {
        let mut best: Option<(f64, String, u32, u64, u64)> = None;
        for t in self
            .topics
            .values()
            .filter(|t| t.config.log.cleanup_policy.compacts())
        {
            for p in t.partitions.iter().filter(|p| p.leader == Some(broker)) {
                let (dirty, total) = p.log.cleanable_bytes();
                if total == 0 || dirty == 0 {
                    continue;
                }
                let ratio = dirty as f64 / total as f64;
                if ratio < t.config.log.min_cleanable_dirty_ratio {
                    continue;
                }
                if best.as_ref().is_none_or(|(r, ..)| ratio > *r) {
                    best = Some((
                        ratio,
                        t.name.clone(),
                        p.index,
                        total.max(1),
                        p.log.end_of_closed_segments(),
                    ));
                }
            }
        }
        best.map(|(_, t, p, cost, upto)| (t, p, cost, upto))
    }
}
