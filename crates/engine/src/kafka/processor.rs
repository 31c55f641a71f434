//! A read-process-write application (a Kafka Streams task in miniature): it consumes an input
//! topic as a group, writes one output record per input record (same key) to an output topic,
//! and commits its input offsets with one of three guarantees:
//!
//! - `at-most-once`: offsets are committed as soon as records are read, before their outputs
//!   are written: a crash loses what was read but not yet written.
//! - `at-least-once`: offsets are committed every `commit.interval.ms` once every output sent
//!   so far is acknowledged: a crash re-reads from the last commit and writes those outputs
//!   again (duplicates).
//! - `exactly-once` (`processing.guarantee=exactly_once_v2`): outputs and offsets go in one
//!   transaction committed every 100 ms; a crash leaves an open transaction that the restarted
//!   instance (same `transactional.id`) fences and aborts, and `read_committed` readers never
//!   see its outputs.
//!
//! A verifier reads the output topic with `read_committed` and checks every output against
//! its source (partition and offset of the input record, carried in the output's value):
//! duplicates are sources seen twice, missing outputs are committed inputs never seen.

use super::assignor::TopicPartition;
use super::error::{ErrorCode, KafkaError};
use crate::metrics::MetricSet;
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// Input records one processor handles per tick at most.
pub const RECORDS_PER_TICK_MAX: u64 = 100_000;
/// Processors one simulation may run ([`crate::budget::PROCESSORS`]).
pub const PROCESSORS_MAX: usize = crate::budget::PROCESSORS;
/// Sources the verifier remembers (a processor lab is small; past this it stops checking).
pub const VERIFIED_MAX: usize = 5_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guarantee {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

impl Guarantee {
    pub fn parse(s: &str) -> Option<Guarantee> {
        match s {
            "at-most-once" | "at_most_once" => Some(Guarantee::AtMostOnce),
            "at-least-once" | "at_least_once" => Some(Guarantee::AtLeastOnce),
            "exactly-once" | "exactly_once" | "exactly_once_v2" => Some(Guarantee::ExactlyOnce),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Guarantee::AtMostOnce => "at-most-once",
            Guarantee::AtLeastOnce => "at-least-once",
            Guarantee::ExactlyOnce => "exactly-once",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessorConfig {
    pub guarantee: Guarantee,
    pub rate_per_sec: u64,
    /// `commit.interval.ms` (30 s in Kafka Streams under at-least-once, 100 ms under
    /// exactly-once; the model defaults to 5 s, the plain consumer's auto-commit interval).
    pub commit_interval: SimDuration,
}

impl Default for ProcessorConfig {
    fn default() -> Self {
        ProcessorConfig {
            guarantee: Guarantee::AtLeastOnce,
            rate_per_sec: 1_000,
            commit_interval: SimDuration::from_secs(5),
        }
    }
}

/// What the verifier has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    pub outputs: u64,
    pub duplicates: u64,
    pub missing: u64,
}

#[derive(Clone, Debug)]
pub struct Processor {
    pub name: String,
    pub group: String,
    pub input: String,
    pub output: String,
    pub config: ProcessorConfig,
    pub alive: bool,
    /// A redeploy waiting for in-flight outputs before it restarts with this config.
    pub draining: Option<ProcessorConfig>,
    pub incarnation: u32,
    /// Next input offset per partition (in memory: lost on a crash).
    pub positions: BTreeMap<u32, u64>,
    pub last_commit: SimTime,
    /// An at-least-once commit is waiting for the producer to flush.
    pub(crate) flushing: bool,
    pub processed: u64,
    pub verification: Verification,
    pub metrics: MetricSet,
    /// (input partition, input offset) of every output seen.
    seen: Seen,
    /// The verifier's next offset per output partition.
    verify_positions: BTreeMap<u32, u64>,
    carry: u64,
    last_tick: SimTime,
}

impl Processor {
    pub fn new(
        name: &str,
        group: &str,
        input: &str,
        output: &str,
        config: ProcessorConfig,
        now: SimTime,
    ) -> Processor {
        Processor {
            name: name.to_string(),
            group: group.to_string(),
            input: input.to_string(),
            output: output.to_string(),
            config,
            alive: true,
            draining: None,
            incarnation: 1,
            positions: BTreeMap::new(),
            last_commit: now,
            flushing: false,
            processed: 0,
            verification: Verification::default(),
            metrics: MetricSet::default(),
            seen: Seen::default(),
            verify_positions: BTreeMap::new(),
            carry: 0,
            last_tick: now,
        }
    }

    /// A restarted instance keeps what the verifier has seen (it verifies the output topic,
    /// not one incarnation).
    pub(crate) fn carry_verifier_from(&mut self, old: Processor) {
        self.seen = old.seen;
        self.verify_positions = old.verify_positions;
    }

    /// The name of the processor's producer client.
    pub fn producer_name(&self) -> String {
        format!("{}-producer", self.name)
    }

    /// The `transactional.id` of its producer under exactly-once.
    pub fn transactional_id(&self) -> String {
        format!("{}-{}", self.group, self.input)
    }

    /// Input records this tick may process.
    pub(crate) fn budget(&mut self, now: SimTime) -> u64 {
        let dt = now.since(self.last_tick);
        self.last_tick = now;
        let total = u128::from(self.config.rate_per_sec) * u128::from(dt.0) / 1_000_000
            + u128::from(self.carry);
        let budget = (total.min(u128::from(RECORDS_PER_TICK_MAX))) as u64;
        self.carry = 0;
        budget
    }

    pub(crate) fn keep_carry(&mut self, left: u64) {
        self.carry = left.min(self.config.rate_per_sec);
    }

    /// Records an output seen by the verifier: its source, encoded in the value as `p:offset`.
    pub(crate) fn verify(
        &mut self,
        output_partition: u32,
        next: u64,
        sources: &[(u32, u64)],
        sec: u64,
    ) {
        self.verify_positions.insert(output_partition, next);
        for s in sources {
            self.verification.outputs += 1;
            self.metrics
                .add(crate::metrics::Metric::KafkaProcessorOutputs, sec, 1);
            if self.seen.len < VERIFIED_MAX && !self.seen.insert(*s) {
                self.verification.duplicates += 1;
                self.metrics
                    .add(crate::metrics::Metric::KafkaProcessorDuplicates, sec, 1);
            }
        }
    }

    pub(crate) fn verify_position(&self, output_partition: u32) -> u64 {
        self.verify_positions
            .get(&output_partition)
            .copied()
            .unwrap_or(0)
    }

    /// Committed inputs whose output the verifier has not seen.
    pub(crate) fn count_missing(&mut self, committed: &BTreeMap<u32, u64>, sec: u64) {
        let missing: u64 = committed
            .iter()
            .map(|(p, c)| c.saturating_sub(self.seen.below(*p, *c)))
            .sum();
        self.verification.missing = missing;
        self.metrics
            .set(crate::metrics::Metric::KafkaProcessorMissing, sec, missing);
    }
}

/// The sources the verifier has seen, per input partition, with a running count of those
/// below each partition's committed offset: counting the missing outputs each tick costs what
/// the committed offsets moved, not what was ever seen (which made long runs quadratic).
#[derive(Clone, Debug, Default)]
struct Seen {
    by_partition: BTreeMap<u32, BTreeSet<u64>>,
    len: usize,
    /// The committed offset per partition `below` counts up to.
    counted_to: BTreeMap<u32, u64>,
    /// Sources seen below `counted_to`, per partition.
    below: BTreeMap<u32, u64>,
}

impl Seen {
    /// Adds a source; false when it was seen before.
    fn insert(&mut self, (p, o): (u32, u64)) -> bool {
        if !self.by_partition.entry(p).or_default().insert(o) {
            return false;
        }
        self.len += 1;
        if o < self.counted_to.get(&p).copied().unwrap_or(0) {
            *self.below.entry(p).or_default() += 1;
        }
        true
    }

    /// Sources seen on partition `p` below offset `committed`.
    fn below(&mut self, p: u32, committed: u64) -> u64 {
        let from = self.counted_to.insert(p, committed).unwrap_or(0);
        let below = self.below.entry(p).or_default();
        if let Some(set) = self.by_partition.get(&p) {
            if committed > from {
                *below += set.range(from..committed).count() as u64;
            } else if committed < from {
                *below -= set.range(committed..from).count() as u64;
            }
        }
        *below
    }
}

/// Parses an output value `p:offset`.
pub(crate) fn source_of(value: &str) -> Option<(u32, u64)> {
    let (p, o) = value.split_once(':')?;
    Some((p.parse().ok()?, o.parse().ok()?))
}

pub(crate) fn tp(topic: &str, p: u32) -> TopicPartition {
    TopicPartition::new(topic, p)
}

pub(crate) fn not_found(name: &str) -> KafkaError {
    KafkaError::new(
        ErrorCode::InvalidRequest,
        format!("no processor named '{name}'"),
    )
}

#[cfg(test)]
mod seen_tests {
    use super::Seen;

    #[test]
    fn the_running_count_matches_a_full_count_as_commits_move_both_ways() {
        let mut seen = Seen::default();
        let mut all = Vec::new();
        let naive = |all: &Vec<(u32, u64)>, p: u32, c: u64| {
            all.iter().filter(|(q, o)| *q == p && *o < c).count() as u64
        };
        let commits = [(0, 5), (1, 3), (0, 12), (0, 4), (1, 20), (0, 30), (0, 0)];
        for (step, (p, c)) in commits.into_iter().enumerate() {
            for o in (step as u64..40).step_by(3) {
                let s = (p, o);
                if seen.insert(s) {
                    all.push(s);
                }
            }
            assert!(!seen.insert((p, step as u64)));
            assert_eq!(seen.below(p, c), naive(&all, p, c), "step {step}");
            assert_eq!(seen.len, all.len());
        }
    }
}
