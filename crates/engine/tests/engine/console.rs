//! The console, driven through `run_console` with scripts.

use serde_json::Value;
use streamdrill_engine::run_console;

/// The console's whole output for `script`.
pub(crate) fn run(script: &str, seed: u64) -> String {
    let mut out = Vec::new();
    run_console(script.as_bytes(), &mut out, seed).unwrap();
    String::from_utf8(out).unwrap()
}

/// Each output line of `script` (seed 7), parsed.
pub(crate) fn lines(script: &str) -> Vec<Value> {
    run(script, 7)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const BUSY: &str = r"
aws kinesis create-stream --stream-name orders --shard-count 4
config --reshard-delay 5s
gen start g1 --stream orders --rate 4500/s --keys zipf:1.1:500 --size 100..2000
kcl start --app billing --stream orders --worker w1 --checkpoint-every 5000
kcl start --app billing --stream orders --worker w2
advance 20s
aws kinesis split-shard --stream-name orders --shard-to-split shardId-000000000001 --new-starting-hash-key 100000000000000000000000000000000000000
advance 20s
kcl kill --app billing --worker w1
advance 40s
kcl leases --app billing
kcl status --app billing
metrics --stream orders --metric IncomingRecords --last 10s
metrics --stream orders --by-shard --last 10s
gen stop g1
aws kinesis list-shards --stream-name orders
";

#[test]
fn same_seed_same_bytes_different_seed_differs() {
    let a = run(BUSY, 42);
    let b = run(BUSY, 42);
    assert_eq!(a, b);
    assert_eq!(a.lines().count(), 16);
    let c = run(BUSY, 43);
    assert_ne!(a, c, "a different seed should draw different keys");
}

#[test]
fn every_command_answers_one_json_line_and_errors_do_not_stop_the_console() {
    let out = lines(
        r#"
# comments and blank lines print nothing

aws kinesis create-stream --stream-name s --shard-count 1
bogus command
aws kinesis put-record --stream-name s --partition-key "unterminated
aws kinesis put-record --stream-name nope --partition-key k --data d
aws kinesis put-record --stream-name s --partition-key k --data d --frobnicate 3
aws kinesis create-stream --stream-name s --shard-count 1
aws kinesis put-record --stream-name s --partition-key 'key with spaces' --data "d"
"#,
    );
    assert_eq!(out.len(), 7);
    assert_eq!(out[0], serde_json::json!({}));
    assert_eq!(out[1]["Error"]["Code"], "UsageError");
    assert_eq!(out[2]["Error"]["Code"], "ParamValidation");
    assert_eq!(out[3]["Error"]["Code"], "ResourceNotFoundException");
    assert!(
        out[4]["Error"]["Message"]
            .as_str()
            .unwrap()
            .contains("--frobnicate")
    );
    assert_eq!(out[5]["Error"]["Code"], "ResourceInUseException");
    assert_eq!(out[6]["ShardId"], "shardId-000000000000");
}

#[test]
fn output_keys_are_the_aws_cli_names() {
    let out = lines(
        r#"
aws kinesis create-stream --stream-name s --shard-count 2
aws kinesis put-record --stream-name s --partition-key a --data hello
aws kinesis put-records --stream-name s --records Data=x,PartitionKey=a Data=y,PartitionKey=b
aws kinesis put-records --stream-name s --records '[{"Data":"z","PartitionKey":"a","ExplicitHashKey":"0"}]'
aws kinesis list-shards --stream-name s
aws kinesis get-shard-iterator --stream-name s --shard-id shardId-000000000000 --shard-iterator-type TRIM_HORIZON
aws kinesis get-records --shard-iterator $ITERATOR --limit 1
aws kinesis update-shard-count --stream-name s --target-shard-count 3 --scaling-type UNIFORM_SCALING
aws kinesis describe-stream-summary --stream-name s
advance 31s
aws kinesis describe-stream-summary --stream-name s
"#,
    );
    assert_eq!(out[1]["SequenceNumber"].as_str().unwrap().len(), 56);
    assert_eq!(out[2]["FailedRecordCount"], 0);
    assert_eq!(out[2]["Records"].as_array().unwrap().len(), 2);
    assert_eq!(out[3]["Records"][0]["ShardId"], "shardId-000000000000");
    let shards = out[4]["Shards"].as_array().unwrap();
    assert_eq!(
        shards[1]["HashKeyRange"]["StartingHashKey"],
        "170141183460469231731687303715884105728"
    );
    assert!(shards[0]["SequenceNumberRange"]["StartingSequenceNumber"].is_string());
    let recs = out[6]["Records"].as_array().unwrap();
    assert_eq!(recs.len(), 1);
    for k in [
        "SequenceNumber",
        "ApproximateArrivalTimestamp",
        "Data",
        "PartitionKey",
    ] {
        assert!(recs[0].get(k).is_some(), "{k}");
    }
    assert!(out[6]["NextShardIterator"].is_string());
    assert_eq!(out[6]["MillisBehindLatest"], 0);
    assert_eq!(out[7]["CurrentShardCount"], 2);
    assert_eq!(
        out[8]["StreamDescriptionSummary"]["StreamStatus"],
        "UPDATING"
    );
    assert_eq!(
        out[10]["StreamDescriptionSummary"]["StreamStatus"],
        "ACTIVE"
    );
    assert_eq!(out[10]["StreamDescriptionSummary"]["OpenShardCount"], 3);
}

#[test]
fn put_records_partial_failure_reports_error_codes() {
    let mut script = String::from("aws kinesis create-stream --stream-name s --shard-count 1\n");
    for _ in 0..3 {
        script.push_str("aws kinesis put-records --stream-name s --records");
        for i in 0..400 {
            script.push_str(&format!(" Data=x,PartitionKey=k{i}"));
        }
        script.push('\n');
    }
    let out = lines(&script);
    assert_eq!(out[1]["FailedRecordCount"], 0);
    assert_eq!(out[2]["FailedRecordCount"], 0);
    assert_eq!(out[3]["FailedRecordCount"], 200);
    assert!(out[3]["Records"][199]["SequenceNumber"].is_string());
    assert_eq!(
        out[3]["Records"][200]["ErrorCode"],
        "ProvisionedThroughputExceededException"
    );
}

#[test]
fn closed_parent_returns_child_shards_and_null_iterator() {
    let out = lines(
        r"
aws kinesis create-stream --stream-name s --shard-count 1
aws kinesis put-record --stream-name s --partition-key a --data one
config --reshard-delay 1s
aws kinesis split-shard --stream-name s --shard-to-split shardId-000000000000 --new-starting-hash-key 170141183460469231731687303715884105728
advance 2s
aws kinesis get-shard-iterator --stream-name s --shard-id shardId-000000000000 --shard-iterator-type TRIM_HORIZON
aws kinesis get-records --shard-iterator $ITERATOR
aws kinesis list-shards --stream-name s --shard-filter Type=AT_LATEST
",
    );
    let gr = &out[6];
    assert_eq!(gr["Records"].as_array().unwrap().len(), 1);
    assert!(gr["NextShardIterator"].is_null());
    let children = gr["ChildShards"].as_array().unwrap();
    assert_eq!(children.len(), 2);
    assert_eq!(children[0]["ParentShards"][0], "shardId-000000000000");
    let open = out[7]["Shards"].as_array().unwrap();
    assert_eq!(open.len(), 2);
    assert_eq!(open[0]["ParentShardId"], "shardId-000000000000");
}

#[test]
fn enhanced_fan_out_pushes_and_limits_consumers() {
    let mut script = String::from(
        "aws kinesis create-stream --stream-name s --shard-count 1\n\
         aws kinesis put-record --stream-name s --partition-key a --data one\n\
         aws kinesis register-stream-consumer --stream-arn arn:aws:kinesis:us-east-1:123456789012:stream/s --consumer-name c0\n\
         aws kinesis subscribe-to-shard --consumer-arn $CONSUMER_ARN --shard-id shardId-000000000000 --starting-position Type=TRIM_HORIZON\n\
         advance 6s\n\
         aws kinesis subscribe-to-shard --consumer-arn $CONSUMER_ARN --shard-id shardId-000000000000 --starting-position Type=TRIM_HORIZON\n\
         aws kinesis put-record --stream-name s --partition-key a --data two\n\
         advance 1s\n\
         efo-events --consumer-arn $CONSUMER_ARN --shard-id shardId-000000000000\n",
    );
    for i in 1..=20 {
        script.push_str(&format!(
            "aws kinesis register-stream-consumer --stream-name s --consumer-name c{i}\n"
        ));
    }
    let out = lines(&script);
    assert_eq!(out[2]["Consumer"]["ConsumerStatus"], "CREATING");
    assert_eq!(out[3]["Error"]["Code"], "ResourceInUseException");
    let ev = &out[5]["EventStream"][0]["SubscribeToShardEvent"];
    assert_eq!(ev["Records"][0]["Data"], "b25l");
    assert!(ev["ContinuationSequenceNumber"].is_string());
    assert_eq!(
        out[8]["EventStream"][0]["SubscribeToShardEvent"]["Records"][0]["Data"],
        "dHdv"
    );
    assert_eq!(out[27]["Consumer"]["ConsumerName"], "c19");
    assert_eq!(out[28]["Error"]["Code"], "LimitExceededException");
}

#[test]
fn firehose_buffers_and_lost_acks_duplicate_objects() {
    let out = lines(
        r"
aws kinesis create-stream --stream-name s --shard-count 2
aws firehose create-delivery-stream --delivery-stream-name f --delivery-stream-type KinesisStreamAsSource --kinesis-stream-source-configuration KinesisStreamARN=arn:aws:kinesis:us-east-1:123456789012:stream/s,RoleARN=r --extended-s3-destination-configuration BucketARN=arn:aws:s3:::lake,Prefix=raw/,BufferingHints={SizeInMBs=1,IntervalInSeconds=60},ProcessingConfiguration={Enabled=true}
gen start g --stream s --rate 10/s --size 1KB
advance 65s
aws s3 ls s3://lake --recursive
fault inject firehose-ack-lost --count 1
advance 70s
s3-dedupe --bucket lake
",
    );
    let objs = out[4]["Objects"].as_array().unwrap();
    assert_eq!(
        objs.len(),
        1,
        "one object after the 60 s buffer interval: {objs:?}"
    );
    assert!(
        objs[0]["Key"]
            .as_str()
            .unwrap()
            .starts_with("raw/2026/01/01/00/f-1-2026-01-01-00-01-")
    );
    let d = &out[7];
    assert_eq!(d["Objects"], 3, "{d}");
    assert!(d["DuplicateRecords"].as_u64().unwrap() > 0);
    assert_eq!(
        d["Records"].as_u64().unwrap() - d["DuplicateRecords"].as_u64().unwrap(),
        d["UniqueSequenceNumbers"].as_u64().unwrap()
    );
}

#[test]
fn on_demand_absorbs_double_the_peak_and_throttles_a_tenfold_spike() {
    let out = lines(
        r"
aws kinesis create-stream --stream-name od --stream-mode-details StreamMode=ON_DEMAND
aws kinesis create-stream --stream-name bad --shard-count 2 --stream-mode-details StreamMode=ON_DEMAND
gen start base --stream od --rate 3000/s --keys uniform:10000 --mode flow
advance 20m
gen stop base
gen start spike --stream od --rate 30000/s --keys uniform:10000 --mode flow
advance 1m
gen stop spike
gen start spike2 --stream od --rate 30000/s --keys uniform:10000 --mode flow
advance 59m
gen stop spike2
aws kinesis describe-stream-summary --stream-name od
",
    );
    assert_eq!(out[1]["Error"]["Code"], "InvalidArgumentException");
    let base = &out[4]["Stopped"];
    assert_eq!(
        base["Throttled"], 0,
        "3,000 records/s fit the initial 4,000 records/s: {base}"
    );
    let spike = &out[7]["Stopped"];
    let accepted = spike["Accepted"].as_u64().unwrap();
    assert!(spike["Throttled"].as_u64().unwrap() > 1_000_000, "{spike}");
    // Capacity is twice the previous peak (~6,000/s) while the ramp catches up.
    assert!((300_000..=400_000).contains(&accepted), "{spike}");
    let later = &out[10]["Stopped"];
    let ratio = later["Accepted"].as_f64().unwrap() / later["Offered"].as_f64().unwrap();
    assert!(
        ratio > 0.5,
        "capacity catches up by doubling every 15 minutes: {later}"
    );
    assert!(
        out[11]["StreamDescriptionSummary"]["OpenShardCount"]
            .as_u64()
            .unwrap()
            >= 30
    );
}

#[test]
fn cost_reproduces_the_guide_table() {
    let out = lines("cost --throughput 100MB/s\ncost --throughput 1GB/s\ncost --throughput fast\n");
    assert_eq!(out[0]["KinesisProvisioned"]["Shards"], 100);
    assert_eq!(out[1]["KinesisProvisioned"]["Shards"], 1000);
    assert_eq!(out[1]["MskProvisioned"]["Brokers"], 6);
    assert_eq!(out[2]["Error"]["Code"], "ParamValidation");
}

#[test]
fn help_lists_commands() {
    let out = lines("help\n");
    assert!(out[0]["Commands"].as_array().unwrap().len() > 30);
}

#[test]
#[ignore = "prints the busy script for eyeballing"]
fn print_busy() {
    for l in run(BUSY, 42).lines() {
        println!("{}", &l[..l.len().min(1500)]);
    }
}

const EVERYTHING: &str = r"
aws kinesis create-stream --stream-name a --shard-count 3
aws kinesis create-stream --stream-name od --stream-mode-details StreamMode=ON_DEMAND
aws kinesis register-stream-consumer --stream-name a --consumer-name fan
aws firehose create-delivery-stream --delivery-stream-name f --kinesis-stream-source-configuration KinesisStreamARN=arn:aws:kinesis:us-east-1:123456789012:stream/a --extended-s3-destination-configuration BucketARN=arn:aws:s3:::b,BufferingHints={SizeInMBs=1,IntervalInSeconds=10}
fault inject firehose-ack-lost --probability 0.5
fault inject put-internal-failure --probability 0.01
gen start hot --stream a --rate 2500/s --keys hot:0.5:300 --size 10..900
gen start od --stream od --rate 9000/s --keys zipf:0.9:5000 --size 200
kcl start --app k --stream a --worker w1 --checkpoint-every 300
kcl start --app k --stream a --worker w2
advance 6s
aws kinesis subscribe-to-shard --consumer-arn $CONSUMER_ARN --shard-id shardId-000000000002 --starting-position Type=LATEST
aws kinesis update-shard-count --stream-name a --target-shard-count 5
advance 45s
kcl kill --app k --worker w2
efo-events --consumer-arn $CONSUMER_ARN --shard-id shardId-000000000002
advance 30s
fault list
gen list
kcl processed --app k --last 5
metrics --stream od
metrics --app k --metric KCL.MillisBehindLatest
metrics --delivery-stream-name f
s3-dedupe --bucket b
cost --stream a
capacity --stream od
aws kinesis list-shards --stream-name od --shard-filter Type=AT_LATEST
";

#[test]
fn everything_at_once_is_deterministic() {
    let a = run(EVERYTHING, 9);
    assert_eq!(a, run(EVERYTHING, 9));
    assert_ne!(a, run(EVERYTHING, 10));
    assert!(!a.contains("\"Error\""), "{a}");
    assert_eq!(
        a.lines().count(),
        EVERYTHING.lines().filter(|l| !l.trim().is_empty()).count()
    );
}

#[test]
fn bad_generator_and_shorthand_inputs_are_refused() {
    let out = lines(
        "aws kinesis create-stream --stream-name s --shard-count 1\n\
         gen start big --stream s --rate 10/s --size 2MB\n\
         gen start g --stream s --rate 10/s --keys zipf:x:10\n\
         gen start g --stream nope --rate 10/s\n\
         aws kinesis list-shards --stream-name s --shard-filter Type={a={b={c={d={e={f={g={h={i={j=1}}}}}}}}}}\n",
    );
    assert!(
        out[1]["Error"]["Message"]
            .as_str()
            .unwrap()
            .contains("1 MiB")
    );
    assert!(
        out[2]["Error"]["Message"]
            .as_str()
            .unwrap()
            .contains("zipf")
    );
    assert_eq!(out[3]["Error"]["Code"], "InvalidArgumentException");
    assert!(
        out[4]["Error"]["Message"]
            .as_str()
            .unwrap()
            .contains("nested"),
        "{}",
        out[4]
    );
}

#[test]
fn deleting_and_recreating_a_stream_under_load_does_not_panic() {
    let out = lines(
        "aws kinesis create-stream --stream-name s --shard-count 8\n\
         gen start g --stream s --rate 2000/s\n\
         gen start fl --stream s --rate 2000/s --mode flow\n\
         kcl start --app k --stream s --worker w\n\
         aws kinesis register-stream-consumer --stream-name s --consumer-name c\n\
         aws firehose create-delivery-stream --delivery-stream-name f --kinesis-stream-source-configuration KinesisStreamARN=s --extended-s3-destination-configuration BucketARN=arn:aws:s3:::b\n\
         advance 10s\n\
         aws kinesis delete-stream --stream-name s\n\
         aws kinesis create-stream --stream-name s --shard-count 1\n\
         advance 30s\n\
         kcl status --app k\n\
         gen list\n",
    );
    assert_eq!(out.len(), 12);
    assert!(out[9]["Now"].is_string());
}
