//! Random command lines never panic the console, and each gets exactly one JSON line.

use proptest::prelude::*;
use streamdrill_engine::run_console;

const WORDS: &[&str] = &[
    "aws",
    "kinesis",
    "firehose",
    "s3",
    "ls",
    "create-stream",
    "put-record",
    "put-records",
    "get-records",
    "get-shard-iterator",
    "split-shard",
    "merge-shards",
    "update-shard-count",
    "list-shards",
    "describe-stream-summary",
    "register-stream-consumer",
    "subscribe-to-shard",
    "advance",
    "gen",
    "start",
    "stop",
    "kcl",
    "kill",
    "leases",
    "metrics",
    "cost",
    "fault",
    "inject",
    "capacity",
    "efo-events",
    "--stream-name",
    "--shard-count",
    "--partition-key",
    "--data",
    "--records",
    "--shard-id",
    "--shard-iterator",
    "--shard-iterator-type",
    "--new-starting-hash-key",
    "--shard-to-split",
    "--shard-to-merge",
    "--adjacent-shard-to-merge",
    "--target-shard-count",
    "--stream",
    "--rate",
    "--keys",
    "--app",
    "--worker",
    "--metric",
    "--throughput",
    "--limit",
    "--starting-position",
    "--consumer-arn",
    "--consumer-name",
    "--stream-mode-details",
    "s",
    "t",
    "0",
    "1",
    "2",
    "500",
    "99999999999999999999999999999999999999999",
    "-1",
    "1s",
    "5m",
    "TRIM_HORIZON",
    "LATEST",
    "AT_SEQUENCE_NUMBER",
    "shardId-000000000000",
    "shardId-000000000001",
    "$ITERATOR",
    "$SEQ",
    "uniform:10",
    "hot:0.5:10",
    "zipf:1:10",
    "1KB",
    "StreamMode=ON_DEMAND",
    "Type=LATEST",
    "'[]'",
    "'[{\"Data\":\"x\",\"PartitionKey\":\"k\"}]'",
    "Data=a,PartitionKey=b",
    "\"",
    "{",
    "}",
    "100MB/s",
];

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..9).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_lines_answer_one_json_line_each(lines in prop::collection::vec(line(), 1..40)) {
        let mut script = String::from("aws kinesis create-stream --stream-name s --shard-count 2\n");
        for l in &lines {
            script.push_str(l);
            script.push('\n');
        }
        let mut out = Vec::new();
        run_console(script.as_bytes(), &mut out, 3).unwrap();
        let text = String::from_utf8(out).unwrap();
        prop_assert_eq!(text.lines().count(), lines.len() + 1);
        for l in text.lines() {
            prop_assert!(serde_json::from_str::<serde_json::Value>(l).is_ok(), "{}", l);
        }
    }
}

const KAFKA_WORDS: &[&str] = &[
    "kafka-topics",
    "kafka-configs",
    "kafka-consumer-groups",
    "kafka-cluster",
    "kafka-metrics",
    "kafka-events",
    "produce",
    "consume",
    "producer",
    "consumer",
    "processor",
    "txn",
    "broker",
    "controller",
    "zookeeper",
    "create",
    "describe",
    "start",
    "stop",
    "pause",
    "fail",
    "status",
    "configure",
    "crash",
    "stall",
    "begin",
    "commit",
    "abort",
    "init",
    "send-offsets",
    "--create",
    "--describe",
    "--alter",
    "--list",
    "--delete",
    "--reset-offsets",
    "--execute",
    "--to-earliest",
    "--to-datetime",
    "--shift-by",
    "--topic",
    "--partitions",
    "--replication-factor",
    "--config",
    "--add-config",
    "--entity-type",
    "--entity-name",
    "--entity-default",
    "--group",
    "--member",
    "--key",
    "--value",
    "--acks",
    "--partition",
    "--producer",
    "--name",
    "--input",
    "--output",
    "--guarantee",
    "--for",
    "--hard",
    "--crash",
    "--rate",
    "--from-beginning",
    "--isolation-level",
    "read_committed",
    "topics",
    "brokers",
    "t",
    "u",
    "g",
    "p",
    "c1",
    "0",
    "1",
    "3",
    "-5",
    "999999999999",
    "all",
    "acks=1",
    "min.insync.replicas=2",
    "cleanup.policy=compact",
    "transactional.id=x",
    "partition.assignment.strategy=cooperative-sticky",
    "retention.ms=1",
    "segment.bytes=14",
    "exactly-once",
    "100/s",
    "1s",
    "30s",
    "2026-01-01T00:00:10Z",
    "advance",
];

fn kafka_line() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(KAFKA_WORDS), 1..9).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_kafka_lines_answer_one_json_line_each(lines in prop::collection::vec(kafka_line(), 1..40)) {
        let mut script = String::from(
            "kafka-cluster create --brokers 3\nkafka-topics --create --topic t --partitions 3 --replication-factor 3\n\
             kafka-topics --create --topic u --partitions 2 --replication-factor 2\n\
             producer start p --topic t --rate 200/s --size 100\n",
        );
        for l in &lines {
            script.push_str(l);
            script.push('\n');
        }
        let mut out = Vec::new();
        run_console(script.as_bytes(), &mut out, 3).unwrap();
        let text = String::from_utf8(out).unwrap();
        prop_assert_eq!(text.lines().count(), lines.len() + 4);
        for l in text.lines() {
            prop_assert!(serde_json::from_str::<serde_json::Value>(l).is_ok(), "{}", l);
        }
    }
}
