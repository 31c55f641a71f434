//! Kafka model scenarios: the behaviours the guide's failure modes rest on.

use streamdrill_engine::Sim;
use streamdrill_engine::kafka::cluster::{Acks, MetadataMode};
use streamdrill_engine::kafka::error::ErrorCode;
use streamdrill_engine::kafka::producer::ProducerConfig;
use streamdrill_engine::time::SimDuration;
use streamdrill_engine::workload::{GenMode, KeyDist, SizeDist};

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

#[test]
fn a_redeploy_fails_the_batches_a_silent_leader_never_answered() {
    let mut sim = cluster(3, "1");
    producer(&mut sim, "p", Acks::Leader);
    sim.advance(SimDuration::from_secs(2)).unwrap();
    let now = sim.now();
    let k = sim.kafka.as_mut().unwrap();
    k.cluster
        .pause_broker(1, SimDuration::from_secs(60), now)
        .unwrap();
    sim.advance(SimDuration::from_millis(500)).unwrap();
    let now = sim.now();
    let k = sim.kafka.as_mut().unwrap();
    let before = k.producers["p"].stats.clone();
    let unanswered = k.producers["p"].in_flight_records();
    assert!(unanswered > 0, "a paused leader leaves batches in flight");
    assert_eq!(before.errors.get(&ErrorCode::ProducerClosed), None);

    k.reconfigure_producer("p", &[("retries".into(), "5".into())], now)
        .unwrap();
    let p = &k.producers["p"];
    let closed = p.stats.errors.get(&ErrorCode::ProducerClosed).copied();
    assert!(closed.is_some_and(|n| n > 0), "{:?}", p.stats.errors);
    assert_eq!(p.stats.failed, before.failed + closed.unwrap());
    assert_eq!(
        p.stats.sent,
        p.stats.acked + p.stats.failed + p.in_flight_records(),
        "every record sent is acked, failed or still in flight"
    );
    // The abandoned batches gave their buffer back: the workload is not blocked afterwards.
    sim.advance(SimDuration::from_secs(5)).unwrap();
    let p = &sim.kafka.as_ref().unwrap().producers["p"];
    assert!(p.stats.acked > before.acked, "{:?}", p.stats);
}
