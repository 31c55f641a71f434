//! Firehose delivery across resharding: parents before children, nothing lost, and duplicates
//! only from lost acknowledgements.

use std::collections::BTreeMap;
use streamdrill_engine::faults::FaultPoint;
use streamdrill_engine::kinesis::{PutRequest, StreamMode, parse_sequence_number};
use streamdrill_engine::sim::Sim;
use streamdrill_engine::time::{SimDuration, SimTime};

fn run(lost_acks: bool) -> (Sim, usize) {
    let mut sim = Sim::new(21);
    sim.kinesis.reshard_delay = SimDuration::from_secs(2);
    sim.kinesis
        .create_stream("s", Some(2), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    sim.create_delivery_stream("f", "s", "b", "", 1, SimDuration::from_secs(5))
        .unwrap();
    if lost_acks {
        sim.faults.arm(FaultPoint::FirehoseAckLost, 0.3, None);
    }
    let mut written = 0;
    for step in 0..120u64 {
        if step == 30 {
            let now = sim.now();
            sim.kinesis
                .split_shard("s", "shardId-000000000000", "1000", now)
                .unwrap();
        }
        if step == 70 {
            let now = sim.now();
            sim.kinesis
                .merge_shards("s", "shardId-000000000002", "shardId-000000000003", now)
                .unwrap();
        }
        for k in 0..20 {
            let now = sim.now();
            let req = PutRequest::new(format!("k{k}"), format!("{step}"));
            if sim
                .kinesis
                .put_record("s", &req, now, &mut sim.faults)
                .is_ok()
            {
                written += 1;
            }
        }
        sim.advance(SimDuration::from_millis(250)).unwrap();
    }
    sim.advance(SimDuration::from_secs(60)).unwrap();
    (sim, written)
}

#[test]
fn every_record_lands_in_key_order_across_split_and_merge() {
    let (sim, written) = run(false);
    let (objects, records, unique) = sim.s3.dedupe_stats("b").unwrap();
    assert!(objects >= 3, "{objects}");
    assert_eq!((records, unique), (written, written));
    // Children's sequence numbers exceed their parents', so with parents delivered first, each
    // key's sequence numbers increase in delivery order.
    let mut last: BTreeMap<u32, String> = BTreeMap::new();
    for o in &sim.s3.buckets["b"] {
        for r in &o.records {
            let prev = last.insert(r.partition_key, r.sequence_number.clone());
            assert!(
                prev.is_none_or(|p| p < r.sequence_number),
                "key {} out of order",
                r.partition_key
            );
            assert!(parse_sequence_number(&r.sequence_number).is_some());
        }
    }
}

#[test]
fn lost_acknowledgements_duplicate_whole_objects() {
    let (sim, written) = run(true);
    let (_, records, unique) = sim.s3.dedupe_stats("b").unwrap();
    assert_eq!(
        unique, written,
        "deduplicating by sequence number recovers every record once"
    );
    assert!(records > unique);
    let retries: Vec<_> = sim.s3.buckets["b"]
        .iter()
        .filter(|o| o.attempt > 1)
        .collect();
    assert!(!retries.is_empty());
    for r in retries {
        let first = sim.s3.buckets["b"]
            .iter()
            .find(|o| o.attempt == 1 && o.records == r.records);
        assert!(
            first.is_some(),
            "a retry repeats an earlier object's records exactly"
        );
    }
}

/// A loader reading a Firehose bucket: lost acknowledgements duplicate objects, and only a merge
/// on the sequence number keeps the table free of duplicate rows.
#[test]
fn a_loader_merging_on_sequence_numbers_drops_firehose_retries() {
    use streamdrill_engine::Console;
    let run_with = |dedupe: &str, transform: bool| -> serde_json::Value {
        let mut c = Console::new(9);
        let processing = if transform {
            ",ProcessingConfiguration={Enabled=true,Processors={Type=Lambda,LambdaArn=arn:aws:lambda:us-east-1:123456789012:function:add-seq}}"
        } else {
            ""
        };
        let create = format!(
            "aws firehose create-delivery-stream --delivery-stream-name f --kinesis-stream-source-configuration KinesisStreamARN=arn:aws:kinesis:us-east-1:123456789012:stream/s,RoleARN=r --extended-s3-destination-configuration BucketARN=arn:aws:s3:::b,BufferingHints={{SizeInMBs=1,IntervalInSeconds=10}}{processing}"
        );
        for cmd in [
            "aws kinesis create-stream --stream-name s --shard-count 1",
            create.as_str(),
            "gen start g --stream s --rate 10/s --size 100 --keys uniform:5 --mode flow",
            &format!("loader start --name l --bucket b --dedupe {dedupe}"),
            "fault inject firehose-ack-lost --probability 1 --count 3",
            "advance 3m",
        ] {
            let out = c.execute(cmd).unwrap();
            assert!(!out.contains("\"Error\""), "{cmd}: {out}");
        }
        serde_json::from_str(&c.execute("loader status --name l").unwrap()).unwrap()
    };
    let run = |dedupe: &str| run_with(dedupe, true);
    // Without a transformation the objects hold no sequence number: nothing to merge on.
    let blind = run_with("sequence-number", false);
    assert!(blind["DuplicateRows"].as_u64().unwrap() > 0, "{blind}");
    let plain = run("none");
    let by_key = run("object-key");
    let merged = run("sequence-number");
    assert!(plain["DuplicateRows"].as_u64().unwrap() > 0, "{plain}");
    assert_eq!(by_key["DuplicateRows"], plain["DuplicateRows"], "{by_key}");
    assert_eq!(merged["DuplicateRows"], 0, "{merged}");
    assert_eq!(
        merged["RowsLoaded"].as_u64().unwrap() + plain["DuplicateRows"].as_u64().unwrap(),
        plain["RowsLoaded"].as_u64().unwrap()
    );
    let partition = run("partition-key");
    // Flow records share one partition key: a merge on it keeps a single row.
    assert_eq!(partition["RowsLoaded"], 1, "{partition}");
}
