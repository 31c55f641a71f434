//! The labs compiled into the binary, in the order they are offered.

use super::{Lab, parse_lab};
use crate::deck::Diagnostic;

/// `(path, source, reference solution)` of every bundled lab.
pub const LABS: &[(&str, &str, &str)] = &[
    (
        "content/labs/kinesis-hot-key.toml",
        include_str!("../../content/labs/kinesis-hot-key.toml"),
        include_str!("../../content/labs/kinesis-hot-key.solution"),
    ),
    (
        "content/labs/kinesis-scale-10k.toml",
        include_str!("../../content/labs/kinesis-scale-10k.toml"),
        include_str!("../../content/labs/kinesis-scale-10k.solution"),
    ),
    (
        "content/labs/kinesis-read-throttling.toml",
        include_str!("../../content/labs/kinesis-read-throttling.toml"),
        include_str!("../../content/labs/kinesis-read-throttling.solution"),
    ),
    (
        "content/labs/kinesis-reshard-double-processing.toml",
        include_str!("../../content/labs/kinesis-reshard-double-processing.toml"),
        include_str!("../../content/labs/kinesis-reshard-double-processing.solution"),
    ),
    (
        "content/labs/kinesis-on-demand-ramp.toml",
        include_str!("../../content/labs/kinesis-on-demand-ramp.toml"),
        include_str!("../../content/labs/kinesis-on-demand-ramp.solution"),
    ),
    (
        "content/labs/kinesis-firehose-exactly-once.toml",
        include_str!("../../content/labs/kinesis-firehose-exactly-once.toml"),
        include_str!("../../content/labs/kinesis-firehose-exactly-once.solution"),
    ),
    (
        "content/labs/kinesis-stale-iterator.toml",
        include_str!("../../content/labs/kinesis-stale-iterator.toml"),
        include_str!("../../content/labs/kinesis-stale-iterator.solution"),
    ),
    (
        "content/labs/kafka-producer-broker-restart.toml",
        include_str!("../../content/labs/kafka-producer-broker-restart.toml"),
        include_str!("../../content/labs/kafka-producer-broker-restart.solution"),
    ),
    (
        "content/labs/kafka-isr-shrinkage.toml",
        include_str!("../../content/labs/kafka-isr-shrinkage.toml"),
        include_str!("../../content/labs/kafka-isr-shrinkage.solution"),
    ),
    (
        "content/labs/kafka-rebalance-storm.toml",
        include_str!("../../content/labs/kafka-rebalance-storm.toml"),
        include_str!("../../content/labs/kafka-rebalance-storm.solution"),
    ),
    (
        "content/labs/kafka-compaction-lag.toml",
        include_str!("../../content/labs/kafka-compaction-lag.toml"),
        include_str!("../../content/labs/kafka-compaction-lag.solution"),
    ),
    (
        "content/labs/kafka-zookeeper-quorum-loss.toml",
        include_str!("../../content/labs/kafka-zookeeper-quorum-loss.toml"),
        include_str!("../../content/labs/kafka-zookeeper-quorum-loss.solution"),
    ),
    (
        "content/labs/kafka-controller-failover.toml",
        include_str!("../../content/labs/kafka-controller-failover.toml"),
        include_str!("../../content/labs/kafka-controller-failover.solution"),
    ),
    (
        "content/labs/kafka-adding-partitions.toml",
        include_str!("../../content/labs/kafka-adding-partitions.toml"),
        include_str!("../../content/labs/kafka-adding-partitions.solution"),
    ),
    (
        "content/labs/kafka-exactly-once.toml",
        include_str!("../../content/labs/kafka-exactly-once.toml"),
        include_str!("../../content/labs/kafka-exactly-once.solution"),
    ),
    (
        "content/labs/cost-crossover.toml",
        include_str!("../../content/labs/cost-crossover.toml"),
        include_str!("../../content/labs/cost-crossover.solution"),
    ),
    (
        "content/labs/kafka-replay-backfill.toml",
        include_str!("../../content/labs/kafka-replay-backfill.toml"),
        include_str!("../../content/labs/kafka-replay-backfill.solution"),
    ),
];

/// Every bundled lab, parsed.
pub fn labs() -> Result<Vec<Lab>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (path, source, _) in LABS {
        match parse_lab(path, source) {
            Ok(lab) => out.push(lab),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The bundled lab with this id.
pub fn find(id: &str) -> Option<Lab> {
    labs().ok()?.into_iter().find(|l| l.id == id)
}

/// The reference solution of the bundled lab with this id.
pub fn solution(id: &str) -> Option<&'static str> {
    LABS.iter()
        .find(|(path, _, _)| path.ends_with(&format!("/{id}.toml")))
        .map(|(_, _, s)| *s)
}
