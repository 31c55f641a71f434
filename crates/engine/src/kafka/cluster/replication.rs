//! The tick: pauses ending and sessions expiring, each broker's disk and network budget,
//! followers copying from their leaders, ISR changes, high watermarks, the partition gauges
//! and retention.

use super::{
    Broker, BrokerId, BrokerState, Cluster, MetadataMode, REPLICA_DISK_OVERHEAD_BYTES_PER_SEC,
    REPLICA_FETCH_LAG, RETENTION_CHECK_INTERVAL, list, tp,
};
use crate::metrics::Metric;
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeMap;

impl Cluster {
    /// Advances replication, ISR membership, high watermarks, controller work, retention
    /// and the cleaner to `now`.
    #[allow(clippy::too_many_lines, clippy::many_single_char_names)]
    pub fn tick(&mut self, now: SimTime) {
        let dt = now.since(self.last_tick);
        self.last_tick = now;
        let sec = now.as_secs();
        // Pauses that ended.
        let resumed: Vec<BrokerId> = self
            .brokers
            .values()
            .filter(|b| matches!(b.state, BrokerState::Paused(until) if until <= now))
            .map(|b| b.id)
            .collect();
        for id in resumed {
            let b = self.brokers.get_mut(&id).expect("exists");
            b.state = BrokerState::Running;
            b.unresponsive_since = None;
            self.event(now, format!("broker {id} resumed after its pause"));
            self.wake_partitions_of(id);
        }
        for b in self.brokers.values_mut() {
            if !b.is_up()
                && !b.session_expired
                && !b.fenced
                && b.unresponsive_since
                    .is_some_and(|t| now.since(t) >= b.config.session_timeout)
            {
                b.session_expired = true;
                self.controller_work = true;
            }
        }
        self.on_controller_work(now);
        // Budgets for this tick.
        let replicas_per_broker = &self.replicas_per_broker;
        for b in self.brokers.values_mut() {
            let per = |rate: u64| (u128::from(rate) * u128::from(dt.0) / 1_000_000) as i64;
            let overhead = REPLICA_DISK_OVERHEAD_BYTES_PER_SEC
                * replicas_per_broker.get(&b.id).copied().unwrap_or(0);
            // What the leaders wrote this tick was already taken from the budget.
            b.disk_left = (b.disk_left.min(0) + per(b.config.disk_bytes_per_sec) - per(overhead))
                .min(per(b.config.disk_bytes_per_sec));
            b.net_in_left = (b.net_in_left.min(0) + per(b.config.network_bytes_per_sec))
                .min(per(b.config.network_bytes_per_sec));
            b.net_out_left = per(b.config.network_bytes_per_sec);
        }
        let writable = self.controller_ready(now)
            || (self.mode == MetadataMode::ZooKeeper && self.zk_has_quorum());
        let mut events = Vec::new();
        let mut shrinks = 0;
        let mut expands = 0;
        // Visit the active partitions starting at a rotating index so a saturated broker's
        // budget is shared fairly over time.
        let mut keys: Vec<(String, u32)> = std::mem::take(&mut self.active).into_iter().collect();
        if !keys.is_empty() {
            let start = self.rotation % keys.len();
            keys.rotate_left(start);
        }
        self.rotation = self.rotation.wrapping_add(1);
        // A follower broker's fetchers share its budget among the partitions it is behind on,
        // in proportion to how far behind each is: when the disk is saturated every partition
        // lags, small ones included (their fetches wait on the same disk).
        let mut demand: BTreeMap<BrokerId, u64> = BTreeMap::new();
        for (name, index) in &keys {
            let Some(p) = self
                .topics
                .get(name)
                .and_then(|t| t.partitions.get(*index as usize))
            else {
                continue;
            };
            for r in &p.replicas {
                if Some(r.broker) != p.leader && r.leo < p.log.end_offset {
                    *demand.entry(r.broker).or_default() +=
                        p.log.bytes_behind(r.leo).saturating_sub(r.credit);
                }
            }
        }
        let supply: BTreeMap<BrokerId, u64> = self
            .brokers
            .values()
            .map(|b| (b.id, b.disk_left.min(b.net_in_left).max(0) as u64))
            .collect();
        let brokers = &mut self.brokers;
        let topics = &mut self.topics;
        let active = &mut self.active;
        for (name, index) in keys {
            let Some(p) = topics
                .get_mut(&name)
                .and_then(|t| t.partitions.get_mut(index as usize))
            else {
                continue;
            };
            let Some(leader) = p.leader else {
                // Offline: the controller's elections bring it back (and make it active).
                // Quiet till then, so that "not quiet" keeps meaning "in `active`".
                p.quiet = true;
                continue;
            };
            let leader_up = brokers.get(&leader).is_some_and(Broker::is_up);
            let end = p.log.end_offset;
            let lag_max = brokers
                .get(&leader)
                .map_or(SimDuration::from_secs(30), |b| {
                    b.config.replica_lag_time_max
                });
            for ri in 0..p.replicas.len() {
                let r = p.replicas[ri];
                if r.broker == leader {
                    continue;
                }
                let follower_up = brokers
                    .get(&r.broker)
                    .is_some_and(|b| b.is_up() && !b.fenced);
                if !(leader_up && follower_up) || r.leo >= end {
                    if r.leo >= end && follower_up && leader_up {
                        p.replicas[ri].last_caught_up = now;
                    }
                    continue;
                }
                let l = &brokers[&leader];
                let need = p.log.bytes_behind(r.leo).saturating_sub(r.credit);
                let total = demand.get(&r.broker).copied().unwrap_or(0).max(need).max(1);
                let share = (u128::from(supply.get(&r.broker).copied().unwrap_or(0))
                    * u128::from(need)
                    / u128::from(total)) as u64;
                let mut avail = share.min(l.net_out_left.max(0) as u64);
                let mut leo = r.leo;
                let mut credit = r.credit;
                let mut copied = 0u64;
                // Caught up: everything the fetch could see is copied.
                let mut seen_all = true;
                for b in p.log.batches_after(r.leo) {
                    if b.timestamp + REPLICA_FETCH_LAG > now {
                        break;
                    }
                    let need = b.bytes.saturating_sub(credit);
                    if need <= avail {
                        avail -= need;
                        copied += need;
                        credit = 0;
                        leo = b.next_offset();
                    } else {
                        credit += avail;
                        copied += avail;
                        seen_all = false;
                        break;
                    }
                }
                let rep = &mut p.replicas[ri];
                rep.leo = leo;
                rep.credit = credit;
                if leo >= end || seen_all {
                    rep.last_caught_up = now;
                }
                let c = copied as i64;
                if let Some(f) = brokers.get_mut(&r.broker) {
                    f.disk_left -= c;
                    f.net_in_left -= c;
                    f.metrics.add(Metric::KafkaReplicationBytesIn, sec, copied);
                }
                if let Some(l) = brokers.get_mut(&leader) {
                    l.net_out_left -= c;
                }
            }
            // ISR changes go through the controller (or ZooKeeper).
            if writable && leader_up {
                let before = p.isr.clone();
                let hw = p.high_watermark;
                let mut isr = p.isr.clone();
                isr.retain(|b| {
                    *b == leader
                        || p.replica(*b)
                            .is_some_and(|r| now.since(r.last_caught_up) <= lag_max)
                });
                for r in &p.replicas {
                    let up = brokers
                        .get(&r.broker)
                        .is_some_and(|b| b.is_up() && !b.fenced);
                    if !isr.contains(&r.broker)
                        && up
                        && r.leo >= hw.max(1).min(end)
                        && now.since(r.last_caught_up) <= lag_max
                    {
                        isr.push(r.broker);
                    }
                }
                if isr != before {
                    let order_of = |b: &BrokerId| p.replicas.iter().position(|r| r.broker == *b);
                    isr.sort_by_key(order_of);
                    if isr.len() < before.len() {
                        shrinks += 1;
                    } else {
                        expands += 1;
                    }
                    events.push(format!(
                        "{} ISR {} -> {}",
                        tp(&name, p.index),
                        list(&before),
                        list(&isr)
                    ));
                    p.isr = isr;
                }
            }
            if leader_up {
                let hw = p
                    .isr
                    .iter()
                    .filter_map(|b| p.replica(*b))
                    .map(|r| if r.broker == leader { end } else { r.leo })
                    .min()
                    .unwrap_or(end);
                p.high_watermark = p.high_watermark.max(hw).min(end);
            }
            let on_every_replica = p.replicas.iter().map(|r| r.leo).min().unwrap_or(0);
            p.log.seal(p.high_watermark.min(on_every_replica));
            let all_caught_up = p.replicas.iter().all(|r| {
                r.leo >= end
                    || !brokers
                        .get(&r.broker)
                        .is_some_and(|b| b.is_up() && !b.fenced)
            });
            let isr_full = p.replicas.iter().all(|r| {
                p.isr.contains(&r.broker)
                    || !brokers
                        .get(&r.broker)
                        .is_some_and(|b| b.is_up() && !b.fenced)
            });
            p.quiet = leader_up && all_caught_up && isr_full && p.high_watermark >= end;
            if !p.quiet {
                active.insert((name, index));
            }
        }
        // The partition gauges are per second: count once a second, not every tick.
        let (mut under, mut offline) = (0u64, 0u64);
        let gauge_due = self.gauges_sec != Some(sec);
        if gauge_due {
            self.gauges_sec = Some(sec);
            let brokers = &self.brokers;
            for p in self
                .topics
                .values_mut()
                .flat_map(|t| t.partitions.iter_mut())
            {
                p.metrics.set(Metric::KafkaLogSizeBytes, sec, p.log.bytes);
                // A leader on a stopped or paused broker serves nobody: until the controller
                // moves leadership (later still while the controller itself fails over), the
                // partition is as unavailable as one with no leader at all.
                let leader_serving = p
                    .leader
                    .is_some_and(|l| brokers.get(&l).is_some_and(Broker::is_up));
                if !leader_serving {
                    offline += 1;
                } else if p.isr.len() < p.replicas.len() {
                    under += 1;
                }
            }
        }
        for e in events {
            self.event(now, e);
        }
        self.metrics.add(Metric::KafkaIsrShrinks, sec, shrinks);
        self.metrics.add(Metric::KafkaIsrExpands, sec, expands);
        if gauge_due {
            self.metrics
                .set(Metric::KafkaUnderReplicatedPartitions, sec, under);
            self.metrics
                .set(Metric::KafkaOfflinePartitions, sec, offline);
        }
        if now >= self.next_retention_check {
            self.next_retention_check = now + RETENTION_CHECK_INTERVAL;
            for t in self.topics.values_mut() {
                for p in &mut t.partitions {
                    let hw = p.high_watermark;
                    p.log.enforce_retention(now, hw);
                }
            }
        }
        self.run_cleaners(dt, now);
    }
}
