//! The resource budget (issue 19): every limit answers with a `SimulationLimit` error that
//! names it, and a refused command changes nothing.

use serde_json::Value;
use streamdrill_engine::budget::{self, Budget};
use streamdrill_engine::{Console, SimDuration};

fn exec(c: &mut Console, line: &str) -> Value {
    serde_json::from_str(&c.execute(line).expect("a reply")).expect("JSON")
}

/// `line` is refused by the budget limit `name`; returns the message.
fn refused(c: &mut Console, line: &str, name: &str) -> String {
    let v = exec(c, line);
    assert_eq!(v["Error"]["Code"], budget::CODE, "{line}: {v}");
    let m = v["Error"]["Message"].as_str().unwrap().to_string();
    assert!(m.contains(&format!("(budget::{name})")), "{line}: {m}");
    m
}

fn ok(c: &mut Console, line: &str) -> Value {
    let v = exec(c, line);
    assert!(v.get("Error").is_none(), "{line}: {v}");
    v
}

fn kafka_console(brokers: u32) -> Console {
    let mut c = Console::new(1);
    ok(&mut c, &format!("kafka-cluster create --brokers {brokers}"));
    c
}

fn partitions(c: &Console) -> usize {
    c.sim.kafka.as_ref().unwrap().cluster.partition_count()
}

#[test]
fn brokers_past_the_budget_make_no_cluster() {
    let mut c = Console::new(1);
    let m = refused(
        &mut c,
        &format!("kafka-cluster create --brokers {}", budget::BROKERS + 1),
        "BROKERS",
    );
    assert!(m.contains("100 brokers"), "{m}");
    assert!(c.sim.kafka.is_none());
}

#[test]
fn a_topic_past_the_partition_budget_is_not_created_or_grown() {
    let mut c = kafka_console(3);
    let too_many = budget::PARTITIONS_PER_TOPIC + 1;
    refused(
        &mut c,
        &format!("kafka-topics --create --topic t --partitions {too_many} --replication-factor 3"),
        "PARTITIONS_PER_TOPIC",
    );
    refused(
        &mut c,
        "kafka-topics --create --topic t --partitions 100000 --replication-factor 3",
        "PARTITIONS_PER_TOPIC",
    );
    assert_eq!(partitions(&c), 0);
    ok(
        &mut c,
        "kafka-topics --create --topic t --partitions 3 --replication-factor 3",
    );
    refused(
        &mut c,
        &format!("kafka-topics --alter --topic t --partitions {too_many}"),
        "PARTITIONS_PER_TOPIC",
    );
    assert_eq!(partitions(&c), 3);
}

#[test]
fn the_cluster_holds_at_most_its_partition_budget() {
    let mut c = kafka_console(3);
    let per_topic = budget::PARTITIONS_PER_TOPIC as usize;
    let topics = budget::PARTITIONS_PER_CLUSTER / per_topic;
    for i in 0..topics {
        ok(
            &mut c,
            &format!(
                "kafka-topics --create --topic t{i} --partitions {per_topic} --replication-factor 1"
            ),
        );
    }
    refused(
        &mut c,
        "kafka-topics --create --topic one-more --partitions 1 --replication-factor 1",
        "PARTITIONS_PER_CLUSTER",
    );
    assert_eq!(partitions(&c), budget::PARTITIONS_PER_CLUSTER);
    assert!(
        !c.sim
            .kafka
            .as_ref()
            .unwrap()
            .cluster
            .topics
            .contains_key("one-more")
    );
}

#[test]
fn producers_groups_and_members_stop_at_their_budgets() {
    let mut c = kafka_console(3);
    ok(
        &mut c,
        "kafka-topics --create --topic t --partitions 3 --replication-factor 3",
    );
    for i in 0..budget::PRODUCERS {
        ok(&mut c, &format!("producer start p{i} --topic t"));
    }
    refused(&mut c, "producer start extra --topic t", "PRODUCERS");
    let k = c.sim.kafka.as_ref().unwrap();
    assert_eq!(k.producers.len(), budget::PRODUCERS);
    assert!(!k.producers.contains_key("extra"));

    for i in 0..budget::CONSUMER_GROUPS {
        ok(
            &mut c,
            &format!("consumer start --group g{i} --member m --topic t"),
        );
    }
    refused(
        &mut c,
        "consumer start --group extra --member m --topic t",
        "CONSUMER_GROUPS",
    );
    assert_eq!(
        c.sim.kafka.as_ref().unwrap().groups.len(),
        budget::CONSUMER_GROUPS
    );

    for i in 1..budget::GROUP_MEMBERS {
        ok(
            &mut c,
            &format!("consumer start --group g0 --member m{i} --topic t"),
        );
    }
    refused(
        &mut c,
        "consumer start --group g0 --member extra --topic t",
        "GROUP_MEMBERS",
    );
    let g = &c.sim.kafka.as_ref().unwrap().groups["g0"];
    assert_eq!(g.members.len(), budget::GROUP_MEMBERS);
    assert!(!g.members.contains_key("extra"));
}

#[test]
fn a_record_mode_rate_past_the_budget_starts_nothing() {
    let mut c = kafka_console(3);
    ok(
        &mut c,
        "kafka-topics --create --topic t --partitions 12 --replication-factor 3",
    );
    let m = refused(
        &mut c,
        "producer start p --topic t --rate 1000000000/s",
        "RECORD_RATE_PER_SEC",
    );
    assert!(m.contains("--mode flow"), "{m}");
    assert!(c.sim.kafka.as_ref().unwrap().producers.is_empty());
    ok(&mut c, "producer start p --topic t --rate 1000/s");
    refused(
        &mut c,
        "producer configure p --rate 1000000000/s",
        "RECORD_RATE_PER_SEC",
    );
    let w = c.sim.kafka.as_ref().unwrap().producers["p"]
        .workload
        .as_ref()
        .unwrap();
    assert_eq!(w.rate_per_sec, 1000);
    // Flow mode costs a batch per partition per second whatever the rate.
    ok(
        &mut c,
        "producer start f --topic t --rate 100000000/s --mode flow",
    );
    refused(
        &mut c,
        "producer start g --topic t --rate 18446744073709551615/s --mode flow",
        "RATE_PER_SEC",
    );

    ok(
        &mut c,
        "aws kinesis create-stream --stream-name s --shard-count 2",
    );
    refused(
        &mut c,
        "gen start g --stream s --rate 1000000000/s",
        "RECORD_RATE_PER_SEC",
    );
    refused(
        &mut c,
        "gen start g --stream s --rate 1000000000/s --mode flow",
        "RATE_PER_SEC",
    );
    assert!(c.sim.generators.is_empty());
}

#[test]
fn an_advance_that_would_offer_too_many_records_runs_nothing() {
    let mut c = kafka_console(3);
    ok(
        &mut c,
        "kafka-topics --create --topic t --partitions 12 --replication-factor 3",
    );
    ok(&mut c, "producer start p --topic t --rate 5000000/s");
    let m = refused(&mut c, "advance 1h", "RECORDS_PER_ADVANCE");
    assert!(m.contains("18,000,000,000 records"), "{m}");
    assert_eq!(c.sim.now().0, 0);
    assert_eq!(c.sim.kafka.as_ref().unwrap().producers["p"].stats.sent, 0);
    // The lab runner's path: `Sim::advance` itself refuses.
    let e = c.sim.advance(SimDuration::from_hours(1)).unwrap_err();
    assert!(e.contains("budget::RECORDS_PER_ADVANCE"), "{e}");
    assert_eq!(c.sim.now().0, 0);
}

#[test]
fn an_advance_that_would_retain_too_much_runs_nothing() {
    let mut c = kafka_console(3);
    c.sim.budget = Budget {
        retained_bytes: 60_000,
        ..Budget::SESSION
    };
    ok(
        &mut c,
        "kafka-topics --create --topic t --partitions 3 --replication-factor 3",
    );
    ok(&mut c, "producer start p --topic t --rate 1000/s");
    ok(&mut c, "advance 1s");
    let held = c.sim.stored_bytes();
    assert!(held > 0 && held <= 60_000, "{held}");
    let before = c.sim.now();
    let m = refused(&mut c, "advance 10s", "RETAINED_BYTES");
    assert!(m.contains("60,000 bytes retained"), "{m}");
    assert!(m.contains("advance at most"), "{m}");
    assert_eq!(c.sim.now(), before);
    assert_eq!(c.sim.stored_bytes(), held);
}

#[test]
fn an_advance_past_its_work_budget_stops_and_says_where() {
    let mut c = kafka_console(3);
    c.sim.budget = Budget {
        work_per_advance: 20_000,
        ..Budget::SESSION
    };
    ok(
        &mut c,
        "kafka-topics --create --topic t --partitions 1000 --replication-factor 3",
    );
    ok(&mut c, "producer start p --topic t --rate 10000/s");
    ok(&mut c, "consumer start --group g --member m --topic t");
    let m = refused(&mut c, "advance 10s", "WORK_PER_ADVANCE");
    assert!(m.contains("the clock stands there"), "{m}");
    let now = c.sim.now();
    assert!(now.0 > 0 && now.0 < 10_000_000, "{now:?}");
    assert!(m.contains(&now.to_rfc3339()), "{m}");
}

#[test]
fn streams_and_shards_stop_at_their_budgets() {
    let mut c = Console::new(1);
    refused(
        &mut c,
        &format!(
            "aws kinesis create-stream --stream-name big --shard-count {}",
            budget::SHARDS_PER_STREAM + 1
        ),
        "SHARDS_PER_STREAM",
    );
    refused(
        &mut c,
        "aws kinesis create-stream --stream-name big --shard-count 100000",
        "SHARDS_PER_STREAM",
    );
    assert_eq!(c.sim.kinesis.streams().count(), 0);
    let per_stream = budget::SHARDS_PER_STREAM as usize;
    for i in 0..budget::SHARDS_TOTAL / per_stream {
        ok(
            &mut c,
            &format!("aws kinesis create-stream --stream-name s{i} --shard-count {per_stream}"),
        );
    }
    refused(
        &mut c,
        "aws kinesis create-stream --stream-name one-more --shard-count 1",
        "SHARDS_TOTAL",
    );
    refused(
        &mut c,
        "aws kinesis update-shard-count --stream-name s0 --target-shard-count 20000",
        "SHARDS_PER_STREAM",
    );
    refused(
        &mut c,
        "aws kinesis update-shard-count --stream-name s0 --target-shard-count 5000",
        "SHARDS_TOTAL",
    );
    assert_eq!(c.sim.kinesis.shards_held(), budget::SHARDS_TOTAL);
    assert_eq!(
        c.sim.kinesis.stream("s0").unwrap().open_shards().len(),
        per_stream
    );
}

#[test]
fn streams_stop_at_their_budget() {
    let mut c = Console::new(1);
    for i in 0..budget::STREAMS {
        ok(
            &mut c,
            &format!("aws kinesis create-stream --stream-name s{i} --shard-count 1"),
        );
    }
    refused(
        &mut c,
        "aws kinesis create-stream --stream-name extra --shard-count 1",
        "STREAMS",
    );
    assert_eq!(c.sim.kinesis.streams().count(), budget::STREAMS);
}

#[test]
fn a_synchronous_send_shares_one_work_budget_over_its_many_small_advances() {
    let mut c = kafka_console(3);
    ok(
        &mut c,
        "kafka-topics --create --topic t --partitions 1 --replication-factor 3 --config min.insync.replicas=2",
    );
    ok(&mut c, "broker stop 2");
    ok(&mut c, "broker stop 3");
    ok(&mut c, "advance 40s");
    c.sim.budget = Budget {
        work_per_advance: 5_000,
        ..Budget::SESSION
    };
    let before = c.sim.now();
    // Each 10 ms step alone is far under the budget; the send would wait 120 s.
    refused(
        &mut c,
        "produce --topic t --key k --value v --acks all",
        "WORK_PER_ADVANCE",
    );
    let waited = c.sim.now().0 - before.0;
    assert!(waited > 0 && waited < 120_000_000, "{waited}");
}

#[test]
fn generated_kafka_records_retain_a_few_bytes_each_once_committed() {
    let mut c = kafka_console(3);
    ok(
        &mut c,
        "kafka-topics --create --topic t --partitions 12 --replication-factor 3",
    );
    ok(
        &mut c,
        "producer start p --topic t --rate 10000/s --size 100 --keys uniform:100000",
    );
    ok(&mut c, "advance 60s");
    let records = c.sim.stored_records();
    assert!(records > 590_000, "{records}");
    let per_record = c.sim.stored_bytes() as f64 / records as f64;
    // Unsealed, a record took 16 bytes and its share of a 150-byte batch header (about 35).
    assert!(
        per_record <= f64::from(budget::KAFKA_RECORD_BYTES as u32),
        "{per_record:.1} bytes per record"
    );
}

#[test]
fn generated_kinesis_records_retain_a_few_bytes_each() {
    let mut c = Console::new(1);
    ok(
        &mut c,
        "aws kinesis create-stream --stream-name s --shard-count 2",
    );
    ok(
        &mut c,
        "gen start g --stream s --rate 2000/s --size 100 --keys uniform:100000",
    );
    ok(&mut c, "advance 60s");
    let records = c.sim.kinesis.stored_records();
    assert!(records > 110_000, "{records}");
    // One 40-byte entry a record before generated records were packed into runs.
    let per_record = c.sim.stored_bytes() as f64 / records as f64;
    assert!(
        per_record <= budget::KINESIS_RECORD_BYTES as f64,
        "{per_record:.1} bytes per record"
    );
    // Every record is still there to read, in order, with its key.
    let shard = &c.sim.kinesis.stream("s").expect("stream").shards[0];
    let (read, _) = shard.read(shard.base, 10_000, u64::MAX, |_| 0);
    assert_eq!(read.len(), 10_000);
    assert!(
        read.windows(2)
            .all(|w| w[0].counter + 1 == w[1].counter && w[0].arrival <= w[1].arrival)
    );
    assert!(read.iter().any(|r| r.key != read[0].key));
}

#[test]
fn generators_stop_at_their_budget() {
    let mut c = Console::new(1);
    ok(
        &mut c,
        "aws kinesis create-stream --stream-name s --shard-count 2",
    );
    for i in 0..budget::GENERATORS {
        ok(&mut c, &format!("gen start g{i} --stream s --rate 1/s"));
    }
    let m = refused(
        &mut c,
        "gen start one-more --stream s --rate 1/s",
        "GENERATORS",
    );
    assert!(m.contains("100"), "{m}");
    assert_eq!(c.sim.generators.len(), budget::GENERATORS);
    ok(&mut c, "gen stop g0");
    ok(&mut c, "gen start one-more --stream s --rate 1/s");
}

#[test]
fn a_producer_holds_at_most_its_records_in_flight_and_blocks_the_rest() {
    let mut c = kafka_console(3);
    ok(
        &mut c,
        "kafka-topics --create --topic t --partitions 3 --replication-factor 3 --config min.insync.replicas=3",
    );
    // Nothing is acknowledged while the ISR is below min.insync.replicas: every record stays
    // in flight, so the producer fills up to its budget and then blocks.
    ok(&mut c, "broker stop 2");
    ok(
        &mut c,
        "producer start p --topic t --rate 500000/s --config buffer.memory=100000000000 --config delivery.timeout.ms=600000 --config request.timeout.ms=600000",
    );
    ok(&mut c, "advance 3s");
    let k = c.sim.kafka.as_ref().unwrap();
    let p = &k.producers["p"];
    assert!(
        p.in_flight_records() <= budget::RECORDS_IN_FLIGHT_PER_PRODUCER,
        "{}",
        p.in_flight_records()
    );
    assert!(
        p.in_flight_records() > budget::RECORDS_IN_FLIGHT_PER_PRODUCER / 2,
        "{}",
        p.in_flight_records()
    );
    assert!(p.stats.blocked > 0, "{:?}", p.stats);
}

#[test]
fn an_advance_that_retains_more_than_its_estimate_stops_where_it_passed_the_budget() {
    let mut c = kafka_console(3);
    c.sim.budget = Budget {
        retained_bytes: 3_000_000,
        ..Budget::SESSION
    };
    ok(
        &mut c,
        "kafka-topics --create --topic t --partitions 12 --replication-factor 3",
    );
    // A stopped follower's replica holds every batch's boundary open: nothing is sealed, so
    // each record keeps its share of a small batch's header (8 records a batch here), far
    // more than the 8 bytes the estimate assumes.
    ok(&mut c, "broker stop 2");
    ok(
        &mut c,
        "producer start p --topic t --rate 10000/s --size 100",
    );
    let m = refused(&mut c, "advance 30s", "RETAINED_BYTES");
    assert!(m.contains("stopped at"), "{m}");
    assert!(m.contains("the clock stands there"), "{m}");
    let stopped = c.sim.now();
    assert!(
        stopped.0 > 0 && stopped.0 < 30_000_000,
        "stopped at {stopped:?}"
    );
    assert!(c.sim.stored_bytes() > 3_000_000);
}
