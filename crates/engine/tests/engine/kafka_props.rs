//! Kafka model invariants over random workloads and fault schedules (issue 7's correctness
//! list). Each case drives a seeded simulation; a failing case prints its inputs, which
//! replay it exactly.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use streamdrill_engine::Sim;
use streamdrill_engine::kafka::assignor::TopicPartition;
use streamdrill_engine::kafka::cluster::{Acks, MetadataMode};
use streamdrill_engine::kafka::consumer::ConsumerConfig;
use streamdrill_engine::kafka::log::NO_KEY;
use streamdrill_engine::kafka::producer::{ProducerConfig, TxnState};
use streamdrill_engine::time::SimDuration;
use streamdrill_engine::workload::{GenMode, KeyDist, SizeDist};

#[derive(Clone, Debug)]
enum Fault {
    /// Controlled shutdown, restarted after the given seconds.
    Stop(u32, u64),
    /// A crash, restarted after the given seconds.
    Crash(u32, u64),
    /// A pause of the given milliseconds.
    Pause(u32, u64),
    ControllerFail,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        (1u32..=3, 1u64..40).prop_map(|(b, s)| Fault::Stop(b, s)),
        (1u32..=3, 1u64..40).prop_map(|(b, s)| Fault::Crash(b, s)),
        (1u32..=3, 100u64..60_000).prop_map(|(b, ms)| Fault::Pause(b, ms)),
        Just(Fault::ControllerFail),
    ]
}

fn sim_with_topic(seed: u64, partitions: u32, min_insync: u32) -> Sim {
    let mut sim = Sim::new(seed);
    let now = sim.now();
    let k = sim.create_kafka(3, MetadataMode::KRaft).unwrap();
    k.cluster
        .create_topic(
            "t",
            partitions,
            3,
            &[("min.insync.replicas".into(), min_insync.to_string())],
            now,
        )
        .unwrap();
    sim
}

fn apply(sim: &mut Sim, f: &Fault) {
    let now = sim.now();
    let c = &mut sim.kafka.as_mut().unwrap().cluster;
    let restart = |sim: &mut Sim, b: u32, secs: u64| {
        sim.advance(SimDuration::from_secs(secs)).unwrap();
        let now = sim.now();
        sim.kafka
            .as_mut()
            .unwrap()
            .cluster
            .start_broker(b, now)
            .unwrap();
    };
    match *f {
        Fault::Stop(b, secs) => {
            c.stop_broker(b, true, now).unwrap();
            restart(sim, b, secs);
        }
        Fault::Crash(b, secs) => {
            c.stop_broker(b, false, now).unwrap();
            restart(sim, b, secs);
        }
        Fault::Pause(b, ms) => {
            c.pause_broker(b, SimDuration::from_millis(ms), now)
                .unwrap();
            sim.advance(SimDuration::from_millis(ms)).unwrap();
        }
        Fault::ControllerFail => c.fail_controller(now).unwrap(),
    }
}

/// For every key, the producer's per-key sequence only grows along the partition's offsets:
/// nothing reordered, nothing written twice.
fn assert_log_in_order(sim: &Sim) {
    let k = sim.kafka.as_ref().unwrap();
    for p in &k.cluster.topic("t").unwrap().partitions {
        let mut last: BTreeMap<u32, u32> = BTreeMap::new();
        let mut batches = BTreeSet::new();
        for b in p.log.batches() {
            for id in b.batch_ids() {
                assert!(batches.insert(id), "batch {id} written twice");
            }
            for r in &b.records {
                if r.key == NO_KEY {
                    continue;
                }
                let prev = last.insert(r.key, r.key_seq).unwrap_or(0);
                assert!(
                    r.key_seq > prev,
                    "partition {}: key {} seq {} after {prev}",
                    p.index,
                    r.key,
                    r.key_seq
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// `acks=all` with `min.insync.replicas=2` (and the default idempotence) survives any
    /// single broker failure: nothing acknowledged is lost, no retry is written twice, and
    /// every key's records stay in order within their partition.
    #[test]
    fn acks_all_survives_any_single_broker_failure(
        seed in 0u64..1_000,
        rate in 200u64..3_000,
        partitions in 1u32..6,
        before in 1u64..20,
        f in fault(),
    ) {
        let mut sim = sim_with_topic(seed, partitions, 2);
        let now = sim.now();
        let k = sim.kafka.as_mut().unwrap();
        k.add_producer("p", "t", ProducerConfig::default(), now).unwrap();
        k.start_workload("p", rate, SizeDist::Fixed(100), Some(KeyDist::Uniform { keys: 50 }), GenMode::Record, now).unwrap();
        sim.advance(SimDuration::from_secs(before)).unwrap();
        apply(&mut sim, &f);
        sim.advance(SimDuration::from_secs(30)).unwrap();
        let k = sim.kafka.as_ref().unwrap();
        let p = &k.producers["p"];
        prop_assert_eq!(k.lost(p), 0, "{:?} {:?}", p.stats, k.cluster.events);
        prop_assert_eq!(p.stats.duplicated, 0);
        prop_assert!(p.stats.acked > 0);
        assert_log_in_order(&sim);
    }

    /// `read_committed` never returns a record of an aborted transaction nor one at or past
    /// the last stable offset, whatever mix of commits, aborts, fencing crashes and plain
    /// writes came before.
    #[test]
    fn read_committed_never_sees_aborted_or_unstable_records(
        seed in 0u64..1_000,
        steps in prop::collection::vec((0u8..4, 1u32..5, 0u32..3), 1..12),
    ) {
        let mut sim = sim_with_topic(seed, 3, 2);
        let now = sim.now();
        let k = sim.kafka.as_mut().unwrap();
        let txn_config = |id: &str| {
            let mut c = ProducerConfig::default();
            c.set("transactional.id", id).unwrap();
            c
        };
        k.add_producer("tx", "t", txn_config("app"), now).unwrap();
        k.add_producer("plain", "t", ProducerConfig { acks: Acks::All, ..ProducerConfig::default() }, now).unwrap();
        let mut aborted: BTreeSet<u64> = BTreeSet::new();
        let mut open: Vec<u64> = Vec::new();
        let mut incarnation = 0;
        for (op, n, partition) in steps {
            let now = sim.now();
            let k = sim.kafka.as_mut().unwrap();
            match op {
                // Send n records in a transaction (begun if needed).
                0 => {
                    let kafka = &mut *k;
                    let p = kafka.producers.get_mut("tx").unwrap();
                    if p.txn == TxnState::Ready {
                        p.begin_transaction(now).unwrap();
                    }
                    if matches!(p.txn, TxnState::InTransaction { .. }) {
                        for _ in 0..n {
                            let id = p.send(None, Some("v"), Some(partition), &kafka.cluster, &mut kafka.ids, now).unwrap();
                            open.push(id);
                        }
                    }
                }
                // Commit or abort what is open.
                1 | 2 => {
                    let p = k.producers.get_mut("tx").unwrap();
                    if matches!(p.txn, TxnState::InTransaction { .. }) {
                        let commit = op == 1;
                        p.end_transaction(commit).unwrap();
                        if !commit {
                            aborted.extend(open.drain(..));
                        }
                        open.clear();
                    }
                }
                // The application crashes mid-transaction; a new instance with the same
                // transactional.id fences it and aborts what it left open.
                _ => {
                    incarnation += 1;
                    let name = format!("tx{incarnation}");
                    let old = k.producers.remove("tx").unwrap();
                    let _ = old;
                    k.add_producer(&name, "t", txn_config("app"), now).unwrap();
                    let p = k.producers.remove(&name).unwrap();
                    k.producers.insert("tx".into(), p);
                    aborted.extend(open.drain(..));
                    let kafka = &mut *k;
                    let p = kafka.producers.get_mut("plain").unwrap();
                    p.send(None, Some("plain"), Some(partition), &kafka.cluster, &mut kafka.ids, now).unwrap();
                }
            }
            sim.advance(SimDuration::from_millis(200)).unwrap();
            let k = sim.kafka.as_ref().unwrap();
            for p in &k.cluster.topic("t").unwrap().partitions {
                let lso = p.last_stable_offset();
                prop_assert!(lso <= p.high_watermark);
                p.log.read(0, p.visible_end(true), u64::MAX, true, |r| {
                    assert!(r.offset < lso, "offset {} at or past the LSO {lso}", r.offset);
                    assert!(!aborted.contains(&r.batch_id), "aborted batch {} visible", r.batch_id);
                });
            }
        }
    }
}

/// How many members of `group` own each partition of `t` (6 partitions).
fn owners(sim: &Sim, group: &str) -> Vec<usize> {
    let g = &sim.kafka.as_ref().unwrap().groups[group].group;
    (0..6)
        .map(|p| {
            let tp = TopicPartition::new("t", p);
            g.members().filter(|m| m.assignment.contains(&tp)).count()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever brokers fail and come back (the group coordinator's among them: "orders",
    /// "billing" and "app" are coordinated by brokers 3, 1 and 2), a group whose members stay
    /// up never has two owners of a partition, and once the faults are over it has exactly
    /// one owner per partition again, with a loaded coordinator.
    #[test]
    fn a_group_keeps_one_owner_per_partition_through_any_fault_schedule(
        seed in 0u64..1_000,
        group in prop::sample::select(vec!["orders", "billing", "app"]),
        members in 1usize..4,
        cooperative in any::<bool>(),
        faults in prop::collection::vec((1u64..12, fault()), 1..4),
    ) {
        let mut sim = sim_with_topic(seed, 6, 1);
        let now = sim.now();
        let k = sim.kafka.as_mut().unwrap();
        k.group_mut(group, now).unwrap();
        for i in 0..members {
            let mut config = ConsumerConfig::default();
            if cooperative {
                config.set("partition.assignment.strategy", "cooperative-sticky").unwrap();
            }
            let topics = ["t".to_string()].into_iter().collect();
            k.groups.get_mut(group).unwrap()
                .start_member(&format!("c{i}"), topics, config, &k.cluster, now)
                .unwrap();
        }
        for (wait, f) in &faults {
            apply(&mut sim, f);
            // At least a second before the next fault: a pause ends at the next tick.
            for _ in 0..*wait {
                prop_assert!(owners(&sim, group).iter().all(|n| *n <= 1), "{:?}", owners(&sim, group));
                sim.advance(SimDuration::from_secs(1)).unwrap();
            }
        }
        sim.advance(SimDuration::from_secs(90)).unwrap();
        let k = sim.kafka.as_ref().unwrap();
        let g = &k.groups[group];
        prop_assert!(g.group.coordinator_unavailable_since().is_none(), "{:?}", k.cluster.events);
        prop_assert_eq!(owners(&sim, group), vec![1; 6], "{:?}", k.cluster.events);
        prop_assert_eq!(g.group.members().filter(|m| m.alive).count(), members);
    }
}

/// Without idempotence, a retry of a write the leader appended but never confirmed is
/// written twice: the failure idempotence exists for.
#[test]
fn retries_without_idempotence_duplicate_and_with_it_do_not() {
    for idempotent in [false, true] {
        let mut sim = sim_with_topic(3, 1, 2);
        let now = sim.now();
        let k = sim.kafka.as_mut().unwrap();
        let config = ProducerConfig {
            idempotence: Some(idempotent),
            request_timeout: SimDuration::from_secs(5),
            ..ProducerConfig::default()
        };
        k.add_producer("p", "t", config, now).unwrap();
        k.start_workload(
            "p",
            1_000,
            SizeDist::Fixed(100),
            Some(KeyDist::Uniform { keys: 10 }),
            GenMode::Record,
            now,
        )
        .unwrap();
        sim.advance(SimDuration::from_secs(5)).unwrap();
        // Both followers stall long enough that requests time out while the leader holds the
        // appended records; the high watermark moves once they return.
        let now = sim.now();
        let c = &mut sim.kafka.as_mut().unwrap().cluster;
        let leader = c.partition("t", 0).unwrap().leader.unwrap();
        for b in (1..=3).filter(|b| *b != leader) {
            c.pause_broker(b, SimDuration::from_secs(8), now).unwrap();
        }
        sim.advance(SimDuration::from_secs(30)).unwrap();
        let k = sim.kafka.as_ref().unwrap();
        let p = &k.producers["p"];
        assert_eq!(k.lost(p), 0);
        if idempotent {
            assert_eq!(p.stats.duplicated, 0, "{:?}", p.stats);
            assert_log_in_order(&sim);
        } else {
            assert!(p.stats.duplicated > 0, "{:?}", p.stats);
        }
    }
}
