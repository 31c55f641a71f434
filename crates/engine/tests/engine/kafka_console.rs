//! The Kafka console commands, driven through `run_console` with scripts: the failure modes
//! of the guide as a learner would reproduce them.

use crate::console::{lines, run};
use serde_json::Value;

fn last(script: &str) -> Value {
    lines(script).pop().unwrap()
}

fn error_code(v: &Value) -> Option<&str> {
    v.get("Error")?.get("Code")?.as_str()
}

const CHURN: &str = r"
kafka-cluster create --brokers 3
kafka-topics --create --topic orders --partitions 6 --replication-factor 3 --config min.insync.replicas=2
producer start p --topic orders --rate 2000/s --size 200 --keys zipf:1.1:300
consumer start --group billing --member c1 --topic orders --config auto.offset.reset=earliest
consumer start --group billing --member c2 --topic orders --config auto.offset.reset=earliest
advance 12s
consumer stop --group billing --member c2 --crash
broker stop 2 --hard
advance 60s
broker start 2
advance 20s
kafka-topics --describe --topic orders
kafka-consumer-groups --describe --group billing
producer status p
kafka-events --last 20
";

#[test]
fn same_seed_same_bytes() {
    assert_eq!(run(CHURN, 42), run(CHURN, 42));
    assert_ne!(run(CHURN, 42), run(CHURN, 43));
}

#[test]
fn every_line_answers_and_bad_commands_change_nothing() {
    let out = lines(
        r"
kafka-topics --describe
kafka-cluster create --brokers 3
kafka-topics --create --topic t --partitions 0 --replication-factor 3
kafka-topics --create --topic t --partitions 3 --replication-factor 4
kafka-topics --create --topic t --partitions 3 --replication-factor 3 --config retention.ms=abc
kafka-topics --create --topic t --partitions 3 --replication-factor 3
kafka-topics --create --topic t --partitions 3 --replication-factor 3
kafka-topics --alter --topic t --partitions 2
produce --topic nope --value x
produce --topic t --value x --acks 2
producer start p --topic t --config acks=1 --config enable.idempotence=true
kafka-topics --list
",
    );
    let codes: Vec<Option<&str>> = out.iter().map(error_code).collect();
    assert_eq!(
        codes,
        [
            Some("UsageError"),
            None,
            Some("INVALID_PARTITIONS"),
            Some("INVALID_REPLICATION_FACTOR"),
            Some("INVALID_CONFIG"),
            None,
            Some("TOPIC_ALREADY_EXISTS"),
            Some("INVALID_PARTITIONS"),
            Some("UNKNOWN_TOPIC_OR_PARTITION"),
            Some("ParamValidation"),
            Some("INVALID_CONFIG"),
            None,
        ]
    );
    assert_eq!(out[11]["Topics"], serde_json::json!(["t"]));
}

#[test]
fn describe_shows_leaders_replicas_isr_and_offsets() {
    let v = last(
        r"
kafka-cluster create --brokers 3
kafka-topics --create --topic t --partitions 2 --replication-factor 3
produce --topic t --key k --value v1
produce --topic t --key k --value v2
kafka-topics --describe --topic t
",
    );
    let parts = v["Topics"][0]["Partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    let written: Vec<&Value> = parts.iter().filter(|p| p["LogEndOffset"] == 2).collect();
    assert_eq!(
        written.len(),
        1,
        "both records of key k go to one partition"
    );
    let p = written[0];
    assert_eq!(p["HighWatermark"], 2);
    assert_eq!(p["Isr"].as_array().unwrap().len(), 3);
    assert_eq!(p["Replicas"].as_array().unwrap().len(), 3);
}

#[test]
fn not_enough_replicas_when_the_isr_is_below_min_insync() {
    let out = lines(
        r"
kafka-cluster create --brokers 3
kafka-topics --create --topic t --partitions 1 --replication-factor 3 --config min.insync.replicas=2
broker stop 2
broker stop 3
produce --topic t --value x --acks 1
producer start strict --topic t --config acks=all --config delivery.timeout.ms=3000 --config request.timeout.ms=1000
produce --topic t --value y --producer strict
producer status strict
",
    );
    assert!(
        out[4].get("Offset").is_some(),
        "acks=1 still writes: {}",
        out[4]
    );
    assert_eq!(error_code(&out[6]), Some("DELIVERY_TIMEOUT"), "{}", out[6]);
    assert!(
        out[7]["Errors"]["NOT_ENOUGH_REPLICAS"].as_u64().unwrap() > 0,
        "{}",
        out[7]
    );
}

#[test]
fn zookeeper_quorum_loss_writes_go_on_then_fail_on_leader_not_available() {
    let out = lines(
        r"
kafka-cluster create --brokers 3 --mode zookeeper
kafka-topics --create --topic t --partitions 3 --replication-factor 3
zookeeper stop 1
zookeeper stop 2
kafka-topics --create --topic u --partitions 1 --replication-factor 1
produce --topic t --key a --value still-fine --acks 1
broker stop 3 --hard
advance 30s
kafka-topics --describe --topic t
zookeeper start 1
advance 1s
kafka-topics --describe --topic t
",
    );
    assert_eq!(error_code(&out[4]), Some("CONTROLLER_NOT_AVAILABLE"));
    assert!(out[5].get("Offset").is_some(), "{}", out[5]);
    let leaders = |v: &Value| -> Vec<i64> {
        v["Topics"][0]["Partitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["Leader"].as_i64().unwrap())
            .collect()
    };
    // Broker 3 led one partition; with no quorum nobody elects a new leader for it.
    assert!(leaders(&out[8]).contains(&3), "{:?}", leaders(&out[8]));
    assert!(!leaders(&out[11]).contains(&3), "{:?}", leaders(&out[11]));
    assert!(leaders(&out[11]).iter().all(|l| *l > 0));
}

/// How long writes to the failed broker's partitions are refused after a controller-broker
/// pause, by metadata mode and partition count.
fn degraded_window_secs(mode: &str, partitions: u32) -> f64 {
    degraded_window_secs_with(mode, partitions, "")
}

fn degraded_window_secs_with(mode: &str, partitions: u32, configure: &str) -> f64 {
    let mut s = format!(
        "kafka-cluster create --brokers 3 --mode {mode}\n{configure}kafka-topics --create --topic t --partitions {partitions} --replication-factor 3\nbroker pause 1 --for 30s\n"
    );
    for _ in 0..400 {
        s.push_str("advance 1s\nkafka-cluster describe\n");
    }
    let out = lines(&s);
    for (i, v) in out.iter().enumerate().skip(3) {
        let leaderships = v["Brokers"].as_array().map(|b| {
            b.iter()
                .map(|x| x["Leaderships"].as_u64().unwrap())
                .sum::<u64>()
        });
        if leaderships == Some(u64::from(partitions)) && v["Brokers"][0]["Leaderships"] == 0 {
            return (i - 2) as f64 / 2.0;
        }
    }
    f64::INFINITY
}

#[test]
fn controller_failover_takes_longer_with_zookeeper_and_more_partitions() {
    let zk_small = degraded_window_secs("zookeeper", 300);
    let zk_big = degraded_window_secs("zookeeper", 3_000);
    let kraft_big = degraded_window_secs("kraft", 3_000);
    // ZooKeeper: session timeout (18 s) + 20 ms per partition to load.
    assert!((20.0..=30.0).contains(&zk_small), "{zk_small}");
    assert!((70.0..=85.0).contains(&zk_big), "{zk_big}");
    // KRaft: broker session timeout (9 s), whatever the partition count.
    assert!(kraft_big < 12.0, "{kraft_big}");
    // The controller broker's own session timeout counts, not the cluster default.
    let zk_short = degraded_window_secs_with(
        "zookeeper",
        300,
        "kafka-configs --alter --entity-type brokers --entity-name 1 --add-config zookeeper.session.timeout.ms=6000\n",
    );
    assert!((8.0..=16.0).contains(&zk_short), "{zk_short}");
}

#[test]
fn adding_partitions_breaks_per_key_order_for_a_consumer_group() {
    let v = last(
        r"
kafka-cluster create --brokers 3
kafka-topics --create --topic t --partitions 3 --replication-factor 3
producer start p --topic t --rate 3000/s --size 100 --keys uniform:50 --config metadata.max.age.ms=1000
consumer start --group g --member c1 --topic t --rate 1000/s --config auto.offset.reset=earliest
advance 10s
kafka-topics --alter --topic t --partitions 6
advance 30s
kafka-consumer-groups --describe --group g
",
    );
    assert!(
        v["KeyOrderViolations"].as_u64().unwrap() > 0,
        "a lagging consumer reads the new partitions' records of a key before the old ones: {v}"
    );
    let same = last(
        r"
kafka-cluster create --brokers 3
kafka-topics --create --topic t --partitions 3 --replication-factor 3
producer start p --topic t --rate 3000/s --size 100 --keys uniform:50
consumer start --group g --member c1 --topic t --rate 1000/s --config auto.offset.reset=earliest
advance 40s
kafka-consumer-groups --describe --group g
",
    );
    assert_eq!(same["KeyOrderViolations"], 0, "{same}");
}

#[test]
fn reset_offsets_needs_an_inactive_group_and_replays_from_a_time() {
    let out = lines(
        r"
kafka-cluster create --brokers 3
kafka-topics --create --topic t --partitions 2 --replication-factor 3
producer start p --topic t --rate 100/s --size 100
consumer start --group g --member c1 --topic t --config auto.offset.reset=earliest
advance 60s
kafka-consumer-groups --reset-offsets --group g --topic t --to-datetime 2026-01-01T00:00:30Z --execute
consumer stop --group g --member c1
kafka-consumer-groups --reset-offsets --group g --topic t --to-datetime 2026-01-01T00:00:30Z --dry-run
kafka-consumer-groups --reset-offsets --group g --topic t --to-datetime 2026-01-01T00:00:30Z --execute
kafka-consumer-groups --describe --group g
",
    );
    assert_eq!(error_code(&out[5]), Some("NON_EMPTY_GROUP"));
    let planned: u64 = out[7]["Offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["NewOffset"].as_u64().unwrap())
        .sum();
    // 100 records/s: 30 s in, about 3,000 records were written.
    assert!((2_900..=3_100).contains(&planned), "{planned}");
    assert_eq!(out[7]["Executed"], false);
    let committed: u64 = out[9]["Offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["CurrentOffset"].as_u64().unwrap())
        .sum();
    assert_eq!(committed, planned);
}

#[test]
fn a_compacted_topic_written_faster_than_the_cleaner_cleans_grows() {
    let size_after = |threads: u32, io_max: &str| -> u64 {
        let v = last(&format!(
            r"
kafka-cluster create --brokers 3
kafka-configs --alter --entity-type brokers --entity-default --add-config log.cleaner.threads={threads},log.cleaner.io.max.bytes.per.second={io_max}
kafka-topics --create --topic changelog --partitions 1 --replication-factor 3 --config cleanup.policy=compact --config segment.bytes=10485760
producer start p --topic changelog --rate 40000/s --size 500 --keys uniform:1000
advance 120s
kafka-topics --describe --topic changelog
"
        ));
        v["Topics"][0]["Partitions"][0]["SizeBytes"]
            .as_u64()
            .unwrap()
    };
    let throttled = size_after(1, "5000000");
    let fast = size_after(4, "1000000000");
    // 20 MB/s written for 2 minutes is 2.4 GB; 1,000 keys of 500 B is 0.5 MB live data.
    assert!(throttled > 1_000_000_000, "{throttled}");
    assert!(fast < 100_000_000, "{fast}");
}

#[test]
fn a_transaction_is_invisible_to_read_committed_until_it_commits() {
    let out = lines(
        r"
kafka-cluster create --brokers 3
kafka-topics --create --topic out --partitions 1 --replication-factor 3
producer start tx --topic out --config transactional.id=app-1
txn begin --producer tx
produce --topic out --producer tx --key k --value inside
consume --topic out --from-beginning --isolation-level read_committed
consume --topic out --from-beginning --isolation-level read_uncommitted
txn commit --producer tx
consume --topic out --from-beginning --isolation-level read_committed
producer start zombie-replacement --topic out --config transactional.id=app-1
txn begin --producer tx
produce --topic out --producer tx --key k --value from-the-zombie
",
    );
    assert_eq!(out[5]["Records"].as_array().unwrap().len(), 0, "{}", out[5]);
    assert_eq!(out[6]["Records"].as_array().unwrap().len(), 1, "{}", out[6]);
    assert_eq!(out[8]["Records"].as_array().unwrap().len(), 1, "{}", out[8]);
    assert_eq!(error_code(&out[11]), Some("PRODUCER_FENCED"), "{}", out[11]);
}

#[test]
fn unclean_election_brings_a_partition_back_at_the_price_of_committed_records() {
    let script = |unclean: bool| {
        format!(
            r"
kafka-cluster create --brokers 3
kafka-topics --create --topic t --partitions 1 --replication-factor 3 --config unclean.leader.election.enable={unclean}
broker stop 3 --hard
advance 40s
producer start p --topic t --rate 500/s --size 100 --config acks=1
advance 10s
broker stop 2 --hard
advance 20s
broker stop 1 --hard
advance 20s
broker start 3
advance 20s
kafka-topics --describe --topic t
producer status p
"
        )
    };
    let clean = lines(&script(false));
    let p = &clean[12]["Topics"][0]["Partitions"][0];
    assert_eq!(p["Leader"], -1, "no in-sync replica: offline {p}");
    let unclean = lines(&script(true));
    let p = &unclean[12]["Topics"][0]["Partitions"][0];
    assert_eq!(p["Leader"], 3, "{p}");
    assert!(
        unclean[13]["AckedLost"].as_u64().unwrap() > 4_000,
        "broker 3 missed everything written while it was down: {}",
        unclean[13]
    );
}

#[test]
fn saturated_disks_shrink_the_isr_and_block_acks_all_producers() {
    let run_with = |disk: &str| {
        lines(&format!(
            r"
kafka-cluster create --brokers 3
kafka-configs --alter --entity-type brokers --entity-default --add-config sim.disk.bytes.per.second={disk}
kafka-topics --create --topic clicks --partitions 6 --replication-factor 3
kafka-topics --create --topic payments --partitions 3 --replication-factor 3 --config min.insync.replicas=2
producer start bulk --topic clicks --rate 60000/s --size 1000 --config acks=1
producer start critical --topic payments --rate 100/s --size 200 --config acks=all
advance 90s
kafka-metrics --cluster --metric IsrShrinksPerSec --last 90s
producer status critical
"
        ))
    };
    // 60 MB/s with RF=3 is 60 MB/s of writes on every broker: more than a 50 MB/s disk.
    let slow = run_with("50000000");
    assert!(
        slow[7]["Metrics"][0]["Total"].as_u64().unwrap() > 0,
        "{}",
        slow[7]
    );
    assert!(
        slow[8]["Errors"]["NOT_ENOUGH_REPLICAS"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "{}",
        slow[8]
    );
    let fast = run_with("500000000");
    assert_eq!(fast[7]["Metrics"][0]["Total"], 0, "{}", fast[7]);
    assert_eq!(fast[8]["Failed"], 0, "{}", fast[8]);
}

#[test]
fn a_crash_between_read_and_write_loses_duplicates_or_neither_by_guarantee() {
    let status = |guarantee: &str| {
        last(&format!(
            r"
kafka-cluster create --brokers 3
kafka-topics --create --topic in --partitions 3 --replication-factor 3
kafka-topics --create --topic out --partitions 3 --replication-factor 3
producer start src --topic in --rate 500/s --size 100 --keys uniform:100
processor start --name app --group app --input in --output out --guarantee {guarantee}
advance 12s
processor crash --name app
advance 2s
processor start --name app --group app --input in --output out --guarantee {guarantee}
advance 30s
processor status --name app
"
        ))
    };
    let at_most = status("at-most-once");
    assert!(at_most["MissingOutputs"].as_u64().unwrap() > 0, "{at_most}");
    assert_eq!(at_most["DuplicateOutputs"], 0, "{at_most}");
    let at_least = status("at-least-once");
    assert_eq!(at_least["MissingOutputs"], 0, "{at_least}");
    // The last commit was at 10 s (every 5 s, after a flush): the 2 s of outputs since are
    // written again, and only those.
    let dup = at_least["DuplicateOutputs"].as_u64().unwrap();
    assert!((500..=2_500).contains(&dup), "{at_least}");
    let exactly = status("exactly-once");
    assert_eq!(exactly["MissingOutputs"], 0, "{exactly}");
    assert_eq!(exactly["DuplicateOutputs"], 0, "{exactly}");
    assert!(
        exactly["VerifiedOutputs"].as_u64().unwrap() > 20_000,
        "{exactly}"
    );
}

#[test]
fn partitions_led_by_a_paused_broker_count_as_offline_until_leadership_moves() {
    let offline = |v: &Value| {
        v["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["Name"] == "OfflinePartitionsCount")
            .map(|m| m["Last"].as_u64().unwrap())
    };
    let out = lines(
        r"
kafka-cluster create --brokers 3 --mode zookeeper
kafka-topics --create --topic t --partitions 300 --replication-factor 3
advance 2s
kafka-metrics --cluster
broker pause 1 --for 30s
advance 5s
kafka-metrics --cluster
advance 40s
kafka-metrics --cluster
",
    );
    assert_eq!(offline(&out[3]), Some(0));
    // Broker 1 leads a third of the partitions; ZooKeeper's controller has not moved them yet.
    assert_eq!(offline(&out[6]), Some(100), "{}", out[6]);
    assert_eq!(offline(&out[8]), Some(0), "{}", out[8]);
}

/// A synchronous `acks=all` send into an ISR below `min.insync.replicas` times out, and the
/// failure says why: the broker's NOT_ENOUGH_REPLICAS and how often it was retried (issue 19).
#[test]
fn a_delivery_timeout_names_the_broker_error_that_caused_the_retries() {
    let out = lines(
        "kafka-cluster create --brokers 3
kafka-topics --create --topic t --partitions 1 --replication-factor 3 --config min.insync.replicas=2
broker stop 2
broker stop 3
advance 40s
produce --topic t --key k --value v --acks all
producer status",
    );
    let e = &out[5]["Error"];
    assert_eq!(e["Code"], "DELIVERY_TIMEOUT", "{e}");
    let m = e["Message"].as_str().unwrap();
    assert!(
        m.contains("120000 ms has passed since batch creation"),
        "{m}"
    );
    assert!(m.contains("last error NOT_ENOUGH_REPLICAS: "), "{m}");
    assert!(m.contains("min.isr requirement of 2"), "{m}");
    let p = &out[6]["Producers"][0];
    let retried = p["Retried"].as_u64().unwrap();
    assert!(retried > 0, "{p}");
    assert!(m.contains(&format!("retried {retried} time(s)")), "{m}");
    let last = p["LastError"].as_str().unwrap();
    assert!(last.contains("last error NOT_ENOUGH_REPLICAS"), "{last}");
    assert_eq!(
        p["Errors"]["NOT_ENOUGH_REPLICAS"].as_u64(),
        Some(retried),
        "{p}"
    );
}
