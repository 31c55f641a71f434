//! Kafka model scenarios: the behaviours the guide's failure modes rest on.

use streamdrill::engine::Sim;
use streamdrill::engine::kafka::cluster::{Acks, MetadataMode};
use streamdrill::engine::kafka::producer::ProducerConfig;
use streamdrill::engine::time::SimDuration;
use streamdrill::engine::workload::{GenMode, KeyDist, SizeDist};

fn cluster(seed: u64, min_insync: &str) -> Sim {
    let mut sim = Sim::new(seed);
    let now = sim.now();
    let k = sim.create_kafka(3, MetadataMode::KRaft).unwrap();
    k.cluster
        .create_topic(
            "orders",
            6,
            3,
            &[("min.insync.replicas".into(), min_insync.into())],
            now,
        )
        .unwrap();
    sim
}

fn producer(sim: &mut Sim, name: &str, acks: Acks) {
    let now = sim.now();
    let k = sim.kafka.as_mut().unwrap();
    let config = ProducerConfig {
        acks,
        idempotence: Some(acks == Acks::All),
        ..ProducerConfig::default()
    };
    k.add_producer(name, "orders", config, now).unwrap();
    k.start_workload(
        name,
        20_000,
        SizeDist::Fixed(200),
        Some(KeyDist::Uniform { keys: 1000 }),
        GenMode::Record,
        now,
    )
    .unwrap();
}

#[test]
fn acks_1_loses_acknowledged_records_when_the_leader_moves_and_acks_all_does_not() {
    for (acks, min_insync) in [(Acks::Leader, "1"), (Acks::All, "2")] {
        let mut sim = cluster(1, min_insync);
        producer(&mut sim, "p", acks);
        sim.advance(SimDuration::from_secs(5)).unwrap();
        let now = sim.now();
        sim.kafka
            .as_mut()
            .unwrap()
            .cluster
            .stop_broker(1, true, now)
            .unwrap();
        sim.advance(SimDuration::from_secs(20)).unwrap();
        let now = sim.now();
        sim.kafka
            .as_mut()
            .unwrap()
            .cluster
            .start_broker(1, now)
            .unwrap();
        sim.advance(SimDuration::from_secs(20)).unwrap();
        let k = sim.kafka.as_ref().unwrap();
        let p = &k.producers["p"];
        let lost = k.lost(p);
        assert!(p.stats.acked > 800_000, "{:?}", p.stats);
        if acks == Acks::Leader {
            assert!(
                lost > 0,
                "acks=1 should lose what the old leader never replicated"
            );
        } else {
            assert_eq!(lost, 0);
            assert_eq!(p.stats.failed, 0);
            assert_eq!(
                p.stats.duplicated, 0,
                "idempotent retries are not written twice"
            );
        }
    }
}
