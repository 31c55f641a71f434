//! The Kafka workload the benchmarks share: one producer with `acks=all` (idempotent) sending
//! uniform keys (100,000 of them) into topic `t` at RF=3 with `min.insync.replicas=2`, on
//! brokers whose disk and network limits are lifted so only the engine's own cost is measured.

use streamdrill_engine::Sim;
use streamdrill_engine::kafka::cluster::{Acks, MetadataMode};
use streamdrill_engine::kafka::producer::ProducerConfig;
use streamdrill_engine::workload::{GenMode, KeyDist, SizeDist};

pub fn sim_with(brokers: u32, partitions: u32, rate: u64, size: u32, mode: GenMode) -> Sim {
    let mut sim = Sim::new(1);
    // The workloads are sized here: past a console session's budget by design.
    sim.budget = streamdrill_engine::budget::Budget::UNLIMITED;
    let now = sim.now();
    let k = sim.create_kafka(brokers, MetadataMode::KRaft).unwrap();
    k.cluster
        .alter_broker_config(
            None,
            &[
                ("sim.disk.bytes.per.second".into(), "8000000000".into()),
                ("sim.network.bytes.per.second".into(), "8000000000".into()),
            ],
        )
        .unwrap();
    k.cluster
        .create_topic(
            "t",
            partitions,
            3,
            &[("min.insync.replicas".into(), "2".into())],
            now,
        )
        .unwrap();
    let config = ProducerConfig {
        acks: Acks::All,
        buffer_memory: 1 << 34,
        ..ProducerConfig::default()
    };
    k.add_producer("p", "t", config, now).unwrap();
    k.start_workload(
        "p",
        rate,
        SizeDist::Fixed(size),
        Some(KeyDist::Uniform { keys: 100_000 }),
        mode,
        now,
    )
    .unwrap();
    sim
}

/// Records the producer has had acknowledged.
pub fn acked(sim: &Sim) -> u64 {
    sim.kafka.as_ref().unwrap().producers["p"].stats.acked
}
