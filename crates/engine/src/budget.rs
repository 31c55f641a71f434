//! The simulator's resource budget: every limit on what one session (a `streamdrill sim`
//! console or a lab script) may make the engine hold or do, in one place.
//!
//! The goal (issue 19): whatever is typed, every command either finishes within about 10 s of
//! wall time and the whole session stays under 512 MB, or it is refused with a
//! `SimulationLimit` error that names the limit. Limits are checked up front where the cost
//! can be known (entity counts, rates, the records an `advance` would offer or retain); the
//! work an `advance` does is also metered as it runs, which stops it at an event boundary
//! (the clock then says how far it got) when a workload costs more than its estimate.
//!
//! The figures are far above what any bundled lab uses (content/labs: at most 3 brokers, 4,000
//! partitions in a topic, 16 shards, a handful of producers and consumers, 10,000 records/s)
//! and were measured on a release build (see the constants' notes: partition-ticks cost about
//! 1 us, a generated record about 0.3 us and, once sealed, 5 to 8 bytes retained in a Kafka
//! log, 5 to 8 packed into a run in a Kinesis shard).
//!
//! The entity limits are constants (the models check them); the per-advance limits are the
//! fields of [`Budget`], which a [`crate::Sim`] holds as `sim.budget` (default
//! [`Budget::SESSION`]) so a benchmark can lift them.

use crate::time::SimDuration;
use std::fmt::Display;

/// The error code every budget refusal carries (in the console: `{"Error": {"Code":
/// "SimulationLimit", "Message": ...}}`).
pub const CODE: &str = "SimulationLimit";

/// Most brokers in a cluster.
pub const BROKERS: u32 = 100;
/// Most partitions in one topic. Each partition a producer writes to or a consumer reads is
/// visited every 10 ms tick (about 1 us each): 10,000 busy partitions take about 1 s of wall
/// time per 1 s of virtual time. The controller-failover lab uses 4,000.
pub const PARTITIONS_PER_TOPIC: u32 = 10_000;
/// Most partitions in the cluster (all topics; each has up to [`BROKERS`] replicas). A
/// ZooKeeper controller failover loads them all (20 ms each), which this keeps under 7 minutes
/// of virtual time.
pub const PARTITIONS_PER_CLUSTER: usize = 20_000;
/// Most producers. Each visits its partitions every tick: 1,000 producers sharing a saturated
/// cluster cost about 2 s of wall time per virtual second; 100 cost 0.3 s.
pub const PRODUCERS: usize = 100;
/// Most consumer groups.
pub const CONSUMER_GROUPS: usize = 100;
/// Most members of one consumer group (the rebalance-storm lab uses 6).
pub const GROUP_MEMBERS: usize = 100;
/// Bytes all client-run consumer groups together may hold: their members' protocols and
/// assignments and their committed offsets (a front-door client sends these).
pub const CLIENT_GROUPS_BYTES: usize = 64 * 1_048_576;
/// Most read-process-write processors.
pub const PROCESSORS: usize = 100;
/// Most Kinesis streams.
pub const STREAMS: usize = 100;
/// Most open shards one stream may be created with or resharded to (the bundled labs use at
/// most 16; the record-mode benchmark 6,000).
pub const SHARDS_PER_STREAM: u32 = 10_000;
/// Most shards held over all streams, open and closed (a closed shard stays listed until its
/// retention ends). About 400 bytes each without records: 30 streams of 100,000 shards were
/// 1.1 GB.
pub const SHARDS_TOTAL: usize = 50_000;
/// Most workload generators (Kinesis).
pub const GENERATORS: usize = 100;
/// Highest record-mode rate of one producer or generator, records per second (each record is
/// drawn, placed and stored one by one; flow mode is not limited by this: it costs one batch
/// per partition per second whatever the rate).
pub const RECORD_RATE_PER_SEC: u64 = 5_000_000;
/// Highest rate of any producer or generator, flow mode included, records per second (a
/// thousand times the guide's largest workload, 1 GB/s of 1 KB records): keeps every count
/// a run can reach far from overflowing.
pub const RATE_PER_SEC: u64 = 100_000_000;
/// Most records one producer holds unacknowledged (on top of `buffer.memory`): past it,
/// `send()` blocks as on a full buffer.
pub const RECORDS_IN_FLIGHT_PER_PRODUCER: u64 = 1_000_000;
/// Most records the running record-mode producers and generators may offer in one `advance`
/// (at about 0.3 us each, 6 s of wall time): refused up front from their rates.
pub const RECORDS_PER_ADVANCE: u64 = 15_000_000;
/// Most memory the records held in Kafka logs and Kinesis shards may take together, bytes: an
/// `advance` that would pass it (at [`KAFKA_RECORD_BYTES`] and [`KINESIS_RECORD_BYTES`] per
/// record offered) is refused up front, and one that passes it (a workload retaining more than
/// its estimate) stops.
pub const RETAINED_BYTES: u64 = 320_000_000;
/// What a generated Kafka record is expected to retain once sealed into a run: its packed key
/// and key sequence (4 to 5 bytes), a share of its batch's boundary and of the run's header.
pub const KAFKA_RECORD_BYTES: u64 = 8;
/// What a generated Kinesis record is expected to retain packed into a run: its arrival gap
/// and key as varints (3 to 5 bytes) and a share of the run's 40-byte entry (4.8 bytes a record
/// measured at 1,000 records/s a shard over 100,000 keys).
pub const KINESIS_RECORD_BYTES: u64 = 8;
/// Most work units one `advance` (or one synchronous `produce`) may do, weighed by what perf
/// showed each costs: an event; per tick, a quarter per partition the cluster visits, one per
/// partition a producer has batches pending on (and a 512th per batch), half per partition of
/// a topic a record-mode producer writes, a quarter per partition a consumer owns; a third per
/// record drawn. Measured at 0.7 to 1 us a unit on a
/// release build (a 10,000-partition topic with a producer and a consumer: 6,000,000 units took
/// 4.1 s, 6.1 s on a loaded machine), so this is 3 to 4 s of wall time.
pub const WORK_PER_ADVANCE: u64 = 4_000_000;

/// The limits an `advance` is checked against (see the constants of the same names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub records_per_advance: u64,
    pub retained_bytes: u64,
    pub work_per_advance: u64,
}

impl Budget {
    /// The budget of a console session or a lab run.
    pub const SESSION: Budget = Budget {
        records_per_advance: RECORDS_PER_ADVANCE,
        retained_bytes: RETAINED_BYTES,
        work_per_advance: WORK_PER_ADVANCE,
    };
    /// No per-advance limits (benchmarks that size their own workload).
    pub const UNLIMITED: Budget = Budget {
        records_per_advance: u64::MAX,
        retained_bytes: u64::MAX,
        work_per_advance: u64::MAX,
    };
}

impl Default for Budget {
    fn default() -> Self {
        Budget::SESSION
    }
}

/// The message of a refusal: what was asked, the limit (its value, its unit and its name here)
/// and, when there is one, what to do instead.
pub fn refusal(asked: impl Display, limit: u64, unit: &str, name: &str, advice: &str) -> String {
    let mut m = format!(
        "{asked}: over the simulator's budget of {} {unit} (budget::{name})",
        thousands(limit)
    );
    if !advice.is_empty() {
        m.push_str("; ");
        m.push_str(advice);
    }
    m
}

/// `20000000` as `20,000,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The longest advance in which `rate` records per second fit in `records`, rounded down to
/// whole milliseconds, for advice such as "advance at most 3s at a time".
pub fn longest_advance(records: u64, rate_per_sec: u64) -> SimDuration {
    let micros = u128::from(records) * 1_000_000 / u128::from(rate_per_sec.max(1));
    let millis = u64::try_from(micros / 1_000).unwrap_or(u64::MAX / 1_000);
    SimDuration::from_millis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(20_000_000), "20,000,000");
    }

    #[test]
    fn a_refusal_names_its_limit() {
        let m = refusal(
            "a topic of 100000 partitions",
            10_000,
            "partitions per topic",
            "PARTITIONS_PER_TOPIC",
            "",
        );
        assert_eq!(
            m,
            "a topic of 100000 partitions: over the simulator's budget of 10,000 partitions per topic (budget::PARTITIONS_PER_TOPIC)"
        );
    }
}
