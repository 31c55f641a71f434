//! The group and transaction coordinators: where Kafka's hashCode rule puts them, and what a
//! failure of their broker does to commits, joins and transactions.

use serde_json::Value;
use streamdrill_engine::Sim;
use streamdrill_engine::kafka::assignor::TopicPartition;
use streamdrill_engine::kafka::cluster::MetadataMode;
use streamdrill_engine::kafka::consumer::ConsumerConfig;
use streamdrill_engine::kafka::coordinator::{
    COORDINATOR_LOAD_TIME, CoordinatorKind, CoordinatorStatus, java_string_hash,
};
use streamdrill_engine::kafka::error::ErrorCode;
use streamdrill_engine::kafka::producer::{ProducerConfig, TxnState};
use streamdrill_engine::kafka::world::Kafka;
use streamdrill_engine::metrics::Metric;
use streamdrill_engine::run_console;
use streamdrill_engine::time::SimDuration;
use streamdrill_engine::workload::{GenMode, KeyDist, SizeDist};

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

fn kafka(sim: &mut Sim) -> &mut Kafka {
    sim.kafka.as_mut().unwrap()
}

/// A KRaft cluster with a 6-partition `events` topic (RF 3) written at 1,000 records/s.
fn cluster_with_traffic(brokers: u32) -> Sim {
    let mut sim = Sim::new(11);
    let now = sim.now();
    let k = sim.create_kafka(brokers, MetadataMode::KRaft).unwrap();
    k.cluster.create_topic("events", 6, 3, &[], now).unwrap();
    k.add_producer("p", "events", ProducerConfig::default(), now)
        .unwrap();
    k.start_workload(
        "p",
        1_000,
        SizeDist::Fixed(100),
        Some(KeyDist::Uniform { keys: 100 }),
        GenMode::Record,
        now,
    )
    .unwrap();
    sim
}

/// Starts members `ids` of `group` on `events`, committing every second.
fn start_members(sim: &mut Sim, group: &str, ids: &[&str]) {
    let now = sim.now();
    let k = kafka(sim);
    k.group_mut(group, now).unwrap();
    for id in ids {
        let mut config = ConsumerConfig::default();
        config.set("auto.commit.interval.ms", "1000").unwrap();
        config.set("auto.offset.reset", "earliest").unwrap();
        let topics = ["events".to_string()].into_iter().collect();
        k.groups
            .get_mut(group)
            .unwrap()
            .start_member(id, topics, config, &k.cluster, now)
            .unwrap();
    }
}

fn group_status(sim: &mut Sim, group: &str) -> CoordinatorStatus {
    let now = sim.now();
    kafka(sim)
        .cluster
        .coordinator_of(CoordinatorKind::Group, group, now)
        .1
}

fn committed(sim: &mut Sim, group: &str, partition: u32) -> Option<u64> {
    kafka(sim).groups[group]
        .group
        .committed(&TopicPartition::new("events", partition))
}

fn commits_failed(sim: &mut Sim, group: &str) -> u64 {
    kafka(sim).groups[group]
        .metrics
        .total(Metric::KafkaCommitsFailedNoCoordinator)
}

/// Every partition of `events` has exactly one owner among the group's members.
fn assert_one_owner_each(sim: &mut Sim, group: &str) {
    let g = &kafka(sim).groups[group].group;
    for p in 0..6 {
        let tp = TopicPartition::new("events", p);
        let owners = g.members().filter(|m| m.assignment.contains(&tp)).count();
        assert_eq!(owners, 1, "events-{p} has {owners} owners");
    }
}

fn events_text(sim: &mut Sim) -> Vec<String> {
    kafka(sim)
        .cluster
        .events
        .iter()
        .map(|e| e.text.clone())
        .collect()
}

#[test]
fn the_group_coordinator_is_on_the_leader_of_the_hash_code_partition() {
    // Java: "orders".hashCode() == -1008770331; Utils.abs masks the sign bit:
    // -1008770331 & 0x7fffffff == 1138713317, and 1138713317 % 50 == 17.
    assert_eq!(java_string_hash("orders"), -1_008_770_331);
    assert_eq!(CoordinatorKind::Group.partition_for("orders"), 17);
    // Partition 17's replicas are placed as topic creation places them: its leader is the
    // broker at index 17 % n of the broker list.
    for (brokers, leader) in [(3, 3), (4, 2), (5, 3)] {
        let mut sim = Sim::new(1);
        let now = sim.now();
        let k = sim.create_kafka(brokers, MetadataMode::KRaft).unwrap();
        let (partition, status) = k
            .cluster
            .coordinator_of(CoordinatorKind::Group, "orders", now);
        assert_eq!(partition, 17);
        assert_eq!(status.broker(), Some(leader), "{brokers} brokers");
        assert!(status.is_ready());
    }
    // The virtual internal topics are not partitions of the cluster.
    let mut sim = Sim::new(1);
    let k = sim.create_kafka(3, MetadataMode::KRaft).unwrap();
    assert_eq!(k.cluster.partition_count(), 0);
    assert!(k.cluster.topic("__consumer_offsets").is_err());
}

#[test]
fn kafka_consumer_groups_describe_names_the_coordinator() {
    let script = "kafka-cluster create --brokers 3
kafka-topics --create --topic events --partitions 3 --replication-factor 3
consumer start --group orders --member c1 --topic events
advance 5s
kafka-consumer-groups --describe --group orders
broker stop 3 --hard
advance 1s
kafka-consumer-groups --describe --group orders
advance 10s
kafka-consumer-groups --describe --group orders
";
    let mut out = Vec::new();
    run_console(script.as_bytes(), &mut out, 7).unwrap();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let described: Vec<&Value> = lines.iter().filter(|v| v.get("Group").is_some()).collect();
    let before = described[described.len() - 3];
    assert_eq!(before["Coordinator"], 3);
    assert_eq!(before["CoordinatorPartition"], "__consumer_offsets-17");
    // Crashed: the controller has not noticed yet, so the dead broker still leads.
    let during = described[described.len() - 2];
    assert_eq!(during["Coordinator"], 3);
    assert!(
        during["CoordinatorStatus"]
            .as_str()
            .unwrap()
            .contains("not answering"),
        "{during}"
    );
    // After the KRaft session timeout (9 s) the next replica in line leads and has loaded.
    let after = described[described.len() - 1];
    assert_eq!(after["Coordinator"], 2);
    assert!(after["CoordinatorUnavailableMs"].as_u64().unwrap() >= 9_000);
}

#[test]
fn a_crashed_coordinator_fails_commits_until_its_successor_has_loaded_and_forces_no_rebalance() {
    let mut sim = cluster_with_traffic(3);
    start_members(&mut sim, "orders", &["c1", "c2"]);
    sim.advance(secs(20)).unwrap();
    assert_eq!(group_status(&mut sim, "orders").broker(), Some(3));
    let generation = kafka(&mut sim).groups["orders"].group.generation();
    let rebalances = kafka(&mut sim).groups["orders"].group.rebalances_total();
    assert_one_owner_each(&mut sim, "orders");
    // events-0 is led by broker 1, so its records keep coming while broker 3 is down.
    let committed_before = committed(&mut sim, "orders", 0).unwrap();
    assert!(committed_before > 0);
    assert_eq!(commits_failed(&mut sim, "orders"), 0);

    let crash_at = sim.now();
    kafka(&mut sim)
        .cluster
        .stop_broker(3, false, crash_at)
        .unwrap();
    sim.advance(secs(1)).unwrap();
    let stuck = committed(&mut sim, "orders", 0).unwrap();
    sim.advance(secs(7)).unwrap();
    // Eight seconds in, the controller has not yet fenced broker 3 (9 s): every commit fails
    // and the committed offset stays where it was, while the members keep consuming.
    assert!(matches!(
        group_status(&mut sim, "orders"),
        CoordinatorStatus::Unavailable {
            broker: Some(3),
            ..
        }
    ));
    assert_eq!(committed(&mut sim, "orders", 0), Some(stuck));
    assert!(
        commits_failed(&mut sim, "orders") >= 2 * 6,
        "{}",
        commits_failed(&mut sim, "orders")
    );
    let consumed_during = kafka(&mut sim).groups["orders"].stats.consumed;

    // Fenced at 9 s: broker 2 leads __consumer_offsets-17 and loads the group.
    sim.advance(SimDuration::from_millis(1_100)).unwrap();
    let status = group_status(&mut sim, "orders");
    let CoordinatorStatus::Loading {
        broker: 2,
        since,
        ready_at,
    } = status
    else {
        panic!("expected broker 2 loading, got {status:?}");
    };
    assert_eq!(ready_at.since(since), COORDINATOR_LOAD_TIME);
    assert_eq!(since.since(crash_at), secs(9));
    sim.advance(secs(5)).unwrap();
    assert!(group_status(&mut sim, "orders").is_ready());
    // Commits go through again; the members and their generation are as before the move.
    assert!(committed(&mut sim, "orders", 0).unwrap() > stuck);
    let g = &kafka(&mut sim).groups["orders"];
    assert!(g.stats.consumed > consumed_during);
    assert_eq!(g.group.generation(), generation);
    assert_eq!(g.group.rebalances_total(), rebalances);
    assert_eq!(g.group.members().filter(|m| m.alive).count(), 2);
    assert_one_owner_each(&mut sim, "orders");
    let events = events_text(&mut sim);
    assert!(
        events
            .iter()
            .any(|e| e == "group orders coordinator moved to broker 2 (load 300 ms)"),
        "{events:?}"
    );
    // Sessions restarted at the load: the members outlive a 45 s session counted from it.
    sim.advance(secs(60)).unwrap();
    let g = &kafka(&mut sim).groups["orders"];
    assert_eq!(g.group.rebalances_total(), rebalances);
}

#[test]
fn a_controlled_shutdown_moves_the_coordinator_at_once_and_it_serves_after_the_load() {
    let mut sim = cluster_with_traffic(3);
    start_members(&mut sim, "orders", &["c1"]);
    sim.advance(secs(10)).unwrap();
    let now = sim.now();
    kafka(&mut sim).cluster.stop_broker(3, true, now).unwrap();
    assert!(matches!(
        group_status(&mut sim, "orders"),
        CoordinatorStatus::Loading { broker: 2, .. }
    ));
    sim.advance(COORDINATOR_LOAD_TIME).unwrap();
    assert!(group_status(&mut sim, "orders").is_ready());
    sim.advance(secs(3)).unwrap();
    let now = sim.now();
    let outage = kafka(&mut sim).groups["orders"].coordinator_unavailable_total(now);
    assert!(
        outage.as_millis() <= COORDINATOR_LOAD_TIME.as_millis() + 10,
        "{outage:?}"
    );
}

#[test]
fn with_every_replica_of_the_coordinator_partition_down_commits_keep_failing() {
    // With 4 brokers, __consumer_offsets-17 lives on brokers 2, 4 and 1; broker 3 stays up.
    let mut sim = cluster_with_traffic(4);
    start_members(&mut sim, "orders", &["c1", "c2"]);
    sim.advance(secs(15)).unwrap();
    let replicas = kafka(&mut sim)
        .cluster
        .coordinator_partition(CoordinatorKind::Group, 17)
        .unwrap()
        .replicas
        .clone();
    assert_eq!(replicas, vec![2, 4, 1]);
    let now = sim.now();
    for b in &replicas {
        kafka(&mut sim).cluster.stop_broker(*b, false, now).unwrap();
    }
    sim.advance(secs(30)).unwrap();
    assert!(matches!(
        group_status(&mut sim, "orders"),
        CoordinatorStatus::Unavailable { broker: None, .. }
    ));
    let failed = commits_failed(&mut sim, "orders");
    let stuck: Vec<Option<u64>> = (0..6).map(|p| committed(&mut sim, "orders", p)).collect();
    sim.advance(secs(30)).unwrap();
    assert!(commits_failed(&mut sim, "orders") > failed);
    let now_committed: Vec<Option<u64>> =
        (0..6).map(|p| committed(&mut sim, "orders", p)).collect();
    assert_eq!(now_committed, stuck);
    // Resetting offsets needs the coordinator too.
    let now = sim.now();
    let k = kafka(&mut sim);
    let g = k.groups.get_mut("orders").unwrap();
    let err = g
        .reset_offsets(
            &k.cluster,
            "events",
            None,
            streamdrill_engine::kafka::consumer::ResetTo::Earliest,
            false,
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::CoordinatorNotAvailable);
    // Only the last replica left in the ISR can lead again (no unclean election by default).
    let isr = k
        .cluster
        .coordinator_partition(CoordinatorKind::Group, 17)
        .unwrap()
        .isr
        .clone();
    assert_eq!(isr.len(), 1);
    let last = isr[0];
    for b in replicas.iter().filter(|b| **b != last) {
        k.cluster.start_broker(*b, now).unwrap();
    }
    sim.advance(secs(10)).unwrap();
    assert!(!group_status(&mut sim, "orders").is_ready());
    let now = sim.now();
    kafka(&mut sim).cluster.start_broker(last, now).unwrap();
    sim.advance(secs(5)).unwrap();
    assert_eq!(group_status(&mut sim, "orders").broker(), Some(last));
    assert!(group_status(&mut sim, "orders").is_ready());
    assert!(committed(&mut sim, "orders", 0) > stuck[0]);
}

#[test]
fn the_loaded_coordinator_restarts_session_timers_from_the_load() {
    let mut sim = cluster_with_traffic(3);
    start_members(&mut sim, "orders", &["c1", "c2"]);
    sim.advance(secs(10)).unwrap();
    let rebalances = kafka(&mut sim).groups["orders"].group.rebalances_total();
    let crash_at = sim.now();
    kafka(&mut sim)
        .cluster
        .stop_broker(3, false, crash_at)
        .unwrap();
    sim.advance(secs(5)).unwrap();
    // c2 dies during the outage (15 s); its last heartbeat reached nobody.
    let now = sim.now();
    kafka(&mut sim)
        .groups
        .get_mut("orders")
        .unwrap()
        .stop_member("c2", true, now)
        .unwrap();
    // The new coordinator loads at 19.3 s and gives c2 a full session (45 s) from then:
    // c2 is still a member at 64 s, where its old session would have ended by 60 s.
    sim.advance(secs(49)).unwrap();
    let g = &kafka(&mut sim).groups["orders"].group;
    assert!(g.member("c2").is_some());
    assert_eq!(g.rebalances_total(), rebalances);
    sim.advance(secs(1)).unwrap();
    let g = &kafka(&mut sim).groups["orders"].group;
    assert!(g.member("c2").is_none());
    assert_eq!(g.rebalances_total(), rebalances + 1);
    let reason = &g.rebalances().back().unwrap().reason;
    assert!(reason.contains("c2 session timed out"), "{reason}");
}

#[test]
fn a_member_started_while_the_coordinator_is_down_joins_once_it_has_loaded() {
    let mut sim = cluster_with_traffic(3);
    start_members(&mut sim, "orders", &["c1"]);
    sim.advance(secs(10)).unwrap();
    let rebalances = kafka(&mut sim).groups["orders"].group.rebalances_total();
    let now = sim.now();
    kafka(&mut sim).cluster.stop_broker(3, false, now).unwrap();
    sim.advance(secs(2)).unwrap();
    start_members(&mut sim, "orders", &["c2"]);
    sim.advance(secs(5)).unwrap();
    // Its JoinGroup waits: no rebalance, c2 owns nothing.
    let g = &kafka(&mut sim).groups["orders"].group;
    assert_eq!(g.rebalances_total(), rebalances);
    assert!(g.member("c2").is_none());
    sim.advance(secs(20)).unwrap();
    let g = &kafka(&mut sim).groups["orders"].group;
    assert_eq!(g.rebalances_total(), rebalances + 1);
    assert!(!g.member("c2").unwrap().assignment.is_empty());
    assert_one_owner_each(&mut sim, "orders");
}

/// A KRaft cluster with topic `t` and a transactional producer `tx` (id `app`, coordinated by
/// `__transaction_state-1`: "app".hashCode() == 96801, and 96801 % 50 == 1) committing a
/// transaction every 100 ms, after 5 s of traffic.
fn transactional(timeout_ms: &str) -> Sim {
    assert_eq!(java_string_hash("app"), 96_801);
    let mut sim = Sim::new(5);
    let now = sim.now();
    let k = sim.create_kafka(3, MetadataMode::KRaft).unwrap();
    k.cluster.create_topic("t", 3, 3, &[], now).unwrap();
    let mut config = ProducerConfig::default();
    config.set("transactional.id", "app").unwrap();
    config.set("transaction.timeout.ms", timeout_ms).unwrap();
    k.add_producer("tx", "t", config, now).unwrap();
    k.start_workload("tx", 500, SizeDist::Fixed(100), None, GenMode::Record, now)
        .unwrap();
    sim.advance(secs(5)).unwrap();
    sim
}

/// What `read_committed` consumers of `t` can read: the sum of the last stable offsets.
fn stable(sim: &mut Sim) -> u64 {
    kafka(sim)
        .cluster
        .topic("t")
        .unwrap()
        .partitions
        .iter()
        .map(streamdrill_engine::kafka::cluster::Partition::last_stable_offset)
        .sum()
}

fn txn_coordinator(sim: &mut Sim, id: &str) -> CoordinatorStatus {
    let now = sim.now();
    kafka(sim)
        .cluster
        .coordinator_of(CoordinatorKind::Transaction, id, now)
        .1
}

#[test]
fn a_transactional_producer_waits_for_its_coordinator_then_proceeds() {
    let mut sim = transactional("60000");
    assert!(stable(&mut sim) > 1_000);
    // __transaction_state-1's replicas are [2, 3, 1].
    assert_eq!(txn_coordinator(&mut sim, "app").broker(), Some(2));
    let now = sim.now();
    kafka(&mut sim).cluster.stop_broker(2, false, now).unwrap();
    sim.advance(secs(1)).unwrap();
    let blocked_at = stable(&mut sim);
    sim.advance(secs(7)).unwrap();
    // Blocked in commitTransaction: nothing more becomes readable for read_committed.
    assert_eq!(kafka(&mut sim).producers["tx"].txn, TxnState::Committing);
    assert_eq!(stable(&mut sim), blocked_at);
    // Calls to the coordinator fail with the retriable coordinator error.
    let now = sim.now();
    let Kafka {
        producers,
        cluster,
        coordinator,
        ids,
        ..
    } = kafka(&mut sim);
    let err = producers
        .get_mut("tx")
        .unwrap()
        .init_transactions(coordinator, ids, cluster, now)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::CoordinatorNotAvailable);
    assert!(err.code.is_retriable());
    // A new producer whose id the same partition coordinates waits in initTransactions
    // instead of failing to start.
    let waiting_id = (0..1_000)
        .map(|i| format!("app-{i}"))
        .find(|id| CoordinatorKind::Transaction.partition_for(id) == 1)
        .unwrap();
    let mut config = ProducerConfig::default();
    config.set("transactional.id", &waiting_id).unwrap();
    let k = kafka(&mut sim);
    k.add_producer("tx2", "t", config, now).unwrap();
    assert_eq!(k.producers["tx2"].txn, TxnState::Initializing);

    // Broker 2 is fenced at 9 s; broker 3 loads the transactions and the producer goes on.
    sim.advance(secs(10)).unwrap();
    assert_eq!(txn_coordinator(&mut sim, "app").broker(), Some(3));
    assert!(txn_coordinator(&mut sim, "app").is_ready());
    assert!(stable(&mut sim) > blocked_at + 1_000);
    let k = kafka(&mut sim);
    assert_ne!(k.producers["tx"].txn, TxnState::Fenced);
    assert_eq!(k.producers["tx"].stats.failed, 0);
    assert_eq!(k.producers["tx2"].txn, TxnState::Ready);
    let events = events_text(&mut sim);
    assert!(
        events
            .iter()
            .any(|e| e == "transactional id 'app' coordinator moved to broker 3 (load 300 ms)"),
        "{events:?}"
    );
}

#[test]
fn no_transaction_times_out_while_nobody_coordinates_it() {
    // A 5 s transaction timeout, shorter than the 9.3 s the coordinator is away.
    let mut sim = transactional("5000");
    let now = sim.now();
    kafka(&mut sim).cluster.stop_broker(2, false, now).unwrap();
    sim.advance(secs(9)).unwrap();
    // Open for about 9 s: overdue, but no coordinator is there to abort it.
    assert!(kafka(&mut sim).coordinator.is_open("app"));
    assert_eq!(kafka(&mut sim).producers["tx"].txn, TxnState::Committing);
    let events = events_text(&mut sim);
    assert!(
        !events.iter().any(|e| e.starts_with("transaction of")),
        "{events:?}"
    );
    // The loaded coordinator finds it overdue (the timeout counts from the transaction's
    // start, as Kafka's does) and aborts it, fencing the producer.
    sim.advance(secs(2)).unwrap();
    let k = kafka(&mut sim);
    let timed_out = k
        .cluster
        .events
        .iter()
        .find(|e| e.text.contains("transaction of 'app' timed out"))
        .expect("aborted after the load");
    let loaded = k
        .cluster
        .events
        .iter()
        .find(|e| e.text == "transactional id 'app' coordinator on broker 3 ready")
        .unwrap();
    assert!(timed_out.at >= loaded.at);
}

const FAILOVER: &str = "kafka-cluster create --brokers 3
kafka-topics --create --topic events --partitions 6 --replication-factor 3
producer start p --topic events --rate 2000/s --size 200 --keys uniform:100
consumer start --group orders --member c1 --topic events --config auto.offset.reset=earliest
consumer start --group orders --member c2 --topic events --config auto.offset.reset=earliest
advance 10s
broker stop 3 --hard
advance 5s
consumer stop --group orders --member c2 --crash
advance 20s
broker start 3
advance 20s
kafka-consumer-groups --describe --group orders
kafka-metrics --group orders
kafka-events --last 30
";

#[test]
fn a_coordinator_failover_replays_byte_for_byte() {
    let run = |seed| {
        let mut out = Vec::new();
        run_console(FAILOVER.as_bytes(), &mut out, seed).unwrap();
        String::from_utf8(out).unwrap()
    };
    let first = run(42);
    assert_eq!(first, run(42));
    assert!(
        first.contains("group orders coordinator moved to broker 2"),
        "{first}"
    );
}
