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

/// Hostile numbers: zero, the budgets' edges, past them, past every integer type, negative.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "3",
    "12",
    "101",
    "10000",
    "10001",
    "50001",
    "100000",
    "5000001",
    "1000000000",
    "4294967296",
    "18446744073709551615",
    "99999999999999999999999",
    "-1",
    "1e9",
];

/// Hostile names: ordinary, an OSC title change, a C1 CSI, a bidi override, long, empty.
const NAMES: &[&str] = &[
    "t",
    "u",
    "s",
    "\"x\u{1b}]0;pwned\u{7}\"",
    "\"y\u{9b}2J\"",
    "\"z\u{202e}\"",
    "\"\"",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

const DURATIONS: &[&str] = &[
    "10ms",
    "1s",
    "30s",
    "5m",
    "1h",
    "400d",
    "99999999999h",
    "-1s",
];

/// Command templates: `N` a number, `S` a name, `D` a duration.
const TEMPLATES: &[&str] = &[
    "kafka-cluster create --brokers N",
    "kafka-cluster create --brokers N --mode zookeeper",
    "kafka-topics --create --topic S --partitions N --replication-factor N",
    "kafka-topics --alter --topic S --partitions N",
    "kafka-topics --describe",
    "producer start S --topic S --rate N/s",
    "producer start S --topic S --rate N/s --mode flow --keys uniform:N",
    "producer configure S --rate N/s",
    "producer start S --topic S --config buffer.memory=N --config delivery.timeout.ms=N",
    "producer status",
    "consumer start --group S --member S --topic S",
    "produce --topic S --key S --value S --acks all",
    "broker stop N",
    "broker start N",
    "controller fail",
    "zookeeper stop N",
    "advance D",
    "aws kinesis create-stream --stream-name S --shard-count N",
    "aws kinesis update-shard-count --stream-name S --target-shard-count N",
    "aws kinesis put-record --stream-name S --partition-key S --data S",
    "gen start S --stream S --rate N/s --size N",
    "gen start S --stream S --rate N/s --mode flow",
    "kafka-events --last N",
    "metrics --stream S",
];

fn hostile_line() -> impl Strategy<Value = String> {
    (
        prop::sample::select(TEMPLATES),
        prop::collection::vec(prop::sample::select(NUMBERS), 4),
        prop::collection::vec(prop::sample::select(NAMES), 4),
        prop::sample::select(DURATIONS),
    )
        .prop_map(|(t, ns, ss, d)| {
            let (mut n, mut s) = (ns.into_iter(), ss.into_iter().cycle());
            let mut out = String::new();
            for c in t.chars() {
                match c {
                    'N' => out.push_str(n.next().unwrap_or("1")),
                    'S' => out.push_str(s.next().unwrap()),
                    'D' => out.push_str(d),
                    c => out.push(c),
                }
            }
            out
        })
}

fn hostile_cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: hostile_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Random sessions of hostile numbers and names (issue 19): no panic, one terminal-safe
    /// JSON line per command, and every budget refusal names its limit. The per-advance
    /// budget is scaled down so each case stays small; the entity limits are the real ones,
    /// and work per command is bounded by the budget, not timed.
    #[test]
    fn hostile_sessions_answer_every_command_safely_within_the_budget(
        lines in prop::collection::vec(hostile_line(), 1..30)
    ) {
        let mut c = streamdrill_engine::Console::new(5);
        c.sim.budget = streamdrill_engine::budget::Budget {
            records_per_advance: 200_000,
            retained_bytes: 16_000_000,
            work_per_advance: 100_000,
        };
        let setup = [
            "kafka-cluster create --brokers 3",
            "kafka-topics --create --topic t --partitions 3 --replication-factor 3",
            "aws kinesis create-stream --stream-name s --shard-count 2",
        ];
        for line in setup.iter().copied().chain(lines.iter().map(String::as_str)) {
            let reply = c.execute(line).expect("every command answers");
            prop_assert!(
                !reply.chars().any(|ch| ch.is_control()
                    || matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
                "{line}: {reply}"
            );
            let v: serde_json::Value = serde_json::from_str(&reply).expect("JSON");
            if v["Error"]["Code"] == streamdrill_engine::budget::CODE {
                let m = v["Error"]["Message"].as_str().unwrap_or_default();
                prop_assert!(m.contains("(budget::") || m.contains("did not complete"), "{line}: {m}");
            }
        }
    }
}
