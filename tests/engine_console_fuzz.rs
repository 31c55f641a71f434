//! Random command lines never panic the console, and each gets exactly one JSON line.

use proptest::prelude::*;
use streamdrill::engine::run_console;

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
