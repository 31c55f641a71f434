//! Kinesis model behaviour through the library API.

use streamdrill_engine::faults::Faults;
use streamdrill_engine::kinesis::{
    ErrorCode, IteratorType, Kinesis, MAX_HASH_KEY, PutRequest, StreamMode, hash_key,
    parse_sequence_number,
};
use streamdrill_engine::sim::Sim;
use streamdrill_engine::time::{SimDuration, SimTime};

fn kinesis_with(name: &str, shards: u32) -> (Kinesis, Faults) {
    let mut k = Kinesis::new(1);
    k.create_stream(name, Some(shards), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    (k, Faults::new(1))
}

#[test]
fn create_stream_splits_evenly_and_names_shards() {
    let (k, _) = kinesis_with("s", 4);
    let s = k.stream("s").unwrap();
    let ids: Vec<String> = s
        .shards
        .iter()
        .map(streamdrill_engine::kinesis::Shard::id)
        .collect();
    assert_eq!(ids[0], "shardId-000000000000");
    assert_eq!(ids[3], "shardId-000000000003");
    assert_eq!(
        s.shards[1].start,
        85_070_591_730_234_615_865_843_651_857_942_052_864
    );
    assert_eq!(s.shards[3].end, MAX_HASH_KEY);
}

#[test]
fn put_maps_md5_and_sequence_numbers_increase() {
    let (mut k, mut f) = kinesis_with("s", 4);
    let mut last = String::new();
    for i in 0..20 {
        let (shard, seq) = k
            .put_record(
                "s",
                &PutRequest::new("same-key", format!("r{i}")),
                SimTime(i * 1000),
                &mut f,
            )
            .unwrap();
        let s = k.stream("s").unwrap();
        assert!(s.shards[shard as usize].contains(hash_key("same-key")));
        assert_eq!(seq.len(), 56);
        assert!(seq > last, "{seq} <= {last}");
        assert_eq!(parse_sequence_number(&seq).unwrap().0, shard);
        last = seq;
    }
    // Explicit hash key overrides MD5.
    let req = PutRequest {
        explicit_hash_key: Some(MAX_HASH_KEY),
        ..PutRequest::new("x", "d")
    };
    let (shard, _) = k.put_record("s", &req, SimTime(1), &mut f).unwrap();
    assert_eq!(shard, 3);
}

#[test]
fn write_limits_records_and_bytes_per_second() {
    let (mut k, mut f) = kinesis_with("s", 1);
    let mut ok = 0;
    for i in 0..1500u64 {
        if k.put_record("s", &PutRequest::new("k", "x"), SimTime(i * 100), &mut f)
            .is_ok()
        {
            ok += 1;
        }
    }
    assert_eq!(ok, 1000);
    let err = k
        .put_record("s", &PutRequest::new("k", "x"), SimTime(150_000), &mut f)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ProvisionedThroughputExceeded);
    assert!(err.message.contains("shardId-000000000000"));
    // Bytes: two 600 KB records do not fit in one second.
    let big = vec![b'a'; 600_000];
    let t = SimTime::from_secs(10);
    assert!(
        k.put_record("s", &PutRequest::new("k", big.clone()), t, &mut f)
            .is_ok()
    );
    assert!(
        k.put_record("s", &PutRequest::new("k", big.clone()), t, &mut f)
            .is_err()
    );
    assert!(
        k.put_record(
            "s",
            &PutRequest::new("k", big),
            SimTime::from_secs(11),
            &mut f
        )
        .is_ok()
    );
    // Records above 1 MiB are rejected.
    let huge = vec![b'a'; 1_048_576];
    assert_eq!(
        k.put_record(
            "s",
            &PutRequest::new("k", huge),
            SimTime::from_secs(20),
            &mut f
        )
        .unwrap_err()
        .code,
        ErrorCode::Validation
    );
}

#[test]
fn put_records_partial_failure_and_batch_limit() {
    let (mut k, mut f) = kinesis_with("s", 1);
    let reqs: Vec<PutRequest> = (0..500)
        .map(|i| PutRequest::new(format!("k{i}"), "x"))
        .collect();
    let out = k.put_records("s", &reqs, SimTime::ZERO, &mut f).unwrap();
    assert!(out.iter().all(Result::is_ok));
    let out = k.put_records("s", &reqs, SimTime(1), &mut f).unwrap();
    assert!(
        out.iter().all(Result::is_ok),
        "1,000 records in one second fit exactly"
    );
    let reqs: Vec<PutRequest> = (0..501)
        .map(|i| PutRequest::new(format!("k{i}"), "x"))
        .collect();
    assert_eq!(
        k.put_records("s", &reqs, SimTime(2), &mut f)
            .unwrap_err()
            .code,
        ErrorCode::Validation
    );
    let reqs: Vec<PutRequest> = (0..10)
        .map(|i| PutRequest::new(format!("k{i}"), "x"))
        .collect();
    let out = k.put_records("s", &reqs, SimTime(3), &mut f).unwrap();
    assert_eq!(
        out.iter()
            .filter(|r| r
                .as_ref()
                .is_err_and(|e| e.code == ErrorCode::ProvisionedThroughputExceeded))
            .count(),
        10
    );
}

#[test]
fn iterators_of_every_type_and_expiry() {
    let (mut k, mut f) = kinesis_with("s", 1);
    let mut seqs = vec![];
    for i in 0..5u64 {
        seqs.push(
            k.put_record(
                "s",
                &PutRequest::new("k", format!("{i}")),
                SimTime::from_secs(i),
                &mut f,
            )
            .unwrap()
            .1,
        );
    }
    let now = SimTime::from_secs(10);
    let read = |k: &mut Kinesis, f: &mut Faults, kind: IteratorType, at: SimTime| {
        let it = k
            .get_shard_iterator("s", "shardId-000000000000", kind, at)
            .unwrap();
        k.get_records(&it, None, at, f)
            .unwrap()
            .records
            .iter()
            .map(|r| r.data.clone().unwrap().to_vec())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        read(&mut k, &mut f, IteratorType::TrimHorizon, now).len(),
        5
    );
    assert_eq!(
        read(&mut k, &mut f, IteratorType::Latest, SimTime::from_secs(11)).len(),
        0
    );
    assert_eq!(
        read(
            &mut k,
            &mut f,
            IteratorType::AtSequenceNumber(seqs[2].clone()),
            SimTime::from_secs(12)
        )[0],
        b"2"
    );
    assert_eq!(
        read(
            &mut k,
            &mut f,
            IteratorType::AfterSequenceNumber(seqs[2].clone()),
            SimTime::from_secs(13)
        )[0],
        b"3"
    );
    assert_eq!(
        read(
            &mut k,
            &mut f,
            IteratorType::AtTimestamp(SimTime::from_secs(4)),
            SimTime::from_secs(14)
        ),
        vec![b"4".to_vec()]
    );
    let it = k
        .get_shard_iterator("s", "shardId-000000000000", IteratorType::TrimHorizon, now)
        .unwrap();
    let err = k
        .get_records(&it, None, now + SimDuration::from_secs(301), &mut f)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ExpiredIterator);
    assert!(k.get_records("garbage", None, now, &mut f).is_err());
}

#[test]
fn read_limits_five_calls_and_ten_megabyte_penalty() {
    let (mut k, mut f) = kinesis_with("s", 1);
    let t0 = SimTime::from_secs(1);
    let mut throttled = 0;
    for i in 0..7u64 {
        let it = k
            .get_shard_iterator("s", "shardId-000000000000", IteratorType::Latest, t0)
            .unwrap();
        if k.get_records(&it, None, SimTime(t0.0 + i), &mut f).is_err() {
            throttled += 1;
        }
    }
    assert_eq!(throttled, 2);
    // Fill ~10 MiB over 11 seconds, then read it in one call: reads are held for ~5 s.
    for s in 0..11u64 {
        k.put_record(
            "s",
            &PutRequest::new("k", vec![b'a'; 1_000_000]),
            SimTime::from_secs(10 + s),
            &mut f,
        )
        .unwrap();
    }
    let t = SimTime::from_secs(30);
    let it = k
        .get_shard_iterator("s", "shardId-000000000000", IteratorType::TrimHorizon, t)
        .unwrap();
    let out = k.get_records(&it, None, t, &mut f).unwrap();
    assert_eq!(out.records.len(), 10);
    let next = out.next_iterator.unwrap();
    assert!(
        k.get_records(&next, None, SimTime::from_secs(34), &mut f)
            .is_err()
    );
    assert!(
        k.get_records(&next, None, SimTime::from_secs(36), &mut f)
            .is_ok()
    );
}

#[test]
fn split_and_merge_validate_and_keep_lineage() {
    let mut sim = Sim::new(3);
    let now = sim.now();
    sim.kinesis
        .create_stream("s", Some(2), StreamMode::Provisioned, now)
        .unwrap();
    let mid0 = (MAX_HASH_KEY / 4).to_string();
    // Starting key must be strictly above the parent's start and within its range.
    assert_eq!(
        sim.kinesis
            .split_shard("s", "shardId-000000000000", "0", now)
            .unwrap_err()
            .code,
        ErrorCode::InvalidArgument
    );
    let outside = (MAX_HASH_KEY / 2 + 10).to_string();
    assert!(
        sim.kinesis
            .split_shard("s", "shardId-000000000000", &outside, now)
            .is_err()
    );
    sim.kinesis
        .split_shard("s", "shardId-000000000000", &mid0, now)
        .unwrap();
    assert_eq!(sim.kinesis.stream("s").unwrap().status().name(), "UPDATING");
    // A second reshard while UPDATING is refused.
    assert_eq!(
        sim.kinesis
            .merge_shards("s", "shardId-000000000000", "shardId-000000000001", now)
            .unwrap_err()
            .code,
        ErrorCode::ResourceInUse
    );
    sim.advance(SimDuration::from_secs(30)).unwrap();
    let s = sim.kinesis.stream("s").unwrap();
    assert_eq!(s.status().name(), "ACTIVE");
    assert_eq!(s.shards[2].parent, Some(0));
    assert_eq!(s.shards[3].parent, Some(0));
    assert_eq!(s.shards[2].end + 1, s.shards[3].start);
    assert!(s.shards[0].closed.is_some());
    let now = sim.now();
    // Closed shards cannot be split or merged; merged shards must be adjacent.
    assert!(
        sim.kinesis
            .split_shard("s", "shardId-000000000000", &mid0, now)
            .unwrap_err()
            .message
            .contains("already been merged or split")
    );
    assert!(
        sim.kinesis
            .merge_shards("s", "shardId-000000000002", "shardId-000000000001", now)
            .is_err()
    );
    sim.kinesis
        .merge_shards("s", "shardId-000000000003", "shardId-000000000001", now)
        .unwrap();
    sim.advance(SimDuration::from_secs(30)).unwrap();
    let s = sim.kinesis.stream("s").unwrap();
    assert_eq!(s.shards[4].parent, Some(3));
    assert_eq!(s.shards[4].adjacent_parent, Some(1));
    assert_eq!(s.open_shards(), &[2, 4]);
}

#[test]
fn closed_parent_ends_with_child_shards() {
    let mut sim = Sim::new(3);
    sim.kinesis
        .create_stream("s", Some(1), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    sim.kinesis
        .put_record(
            "s",
            &PutRequest::new("k", "before"),
            SimTime::ZERO,
            &mut sim.faults,
        )
        .unwrap();
    sim.kinesis
        .update_shard_count("s", 2, SimTime::ZERO)
        .unwrap();
    sim.advance(SimDuration::from_secs(31)).unwrap();
    let now = sim.now();
    let it = sim
        .kinesis
        .get_shard_iterator("s", "shardId-000000000000", IteratorType::TrimHorizon, now)
        .unwrap();
    let out = sim
        .kinesis
        .get_records(&it, None, now, &mut sim.faults)
        .unwrap();
    assert_eq!(out.records.len(), 1);
    assert!(out.next_iterator.is_none());
    assert_eq!(out.child_shards.len(), 2);
    assert_eq!(out.child_shards[0].parents, vec![0]);
    // Closed parents stay listed until retention ends, then expire.
    assert_eq!(sim.kinesis.stream("s").unwrap().listed_shards().count(), 3);
    sim.advance(SimDuration::from_hours(25)).unwrap();
    assert_eq!(sim.kinesis.stream("s").unwrap().listed_shards().count(), 2);
}

#[test]
fn update_shard_count_bounds() {
    let mut k = Kinesis::new(1);
    k.create_stream("s", Some(4), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    assert!(k.update_shard_count("s", 9, SimTime::ZERO).is_err());
    assert!(k.update_shard_count("s", 1, SimTime::ZERO).is_err());
    assert!(k.update_shard_count("s", 3, SimTime::ZERO).is_ok());
}

#[test]
fn uniform_scaling_reaches_even_ranges_with_two_parent_lineage() {
    let mut sim = Sim::new(9);
    sim.kinesis
        .create_stream("s", Some(5), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    sim.kinesis
        .update_shard_count("s", 3, SimTime::ZERO)
        .unwrap();
    sim.advance(SimDuration::from_secs(60)).unwrap();
    let s = sim.kinesis.stream("s").unwrap();
    let open: Vec<(u128, u128)> = s
        .open_shards()
        .iter()
        .map(|&i| (s.shards[i as usize].start, s.shards[i as usize].end))
        .collect();
    assert_eq!(open, streamdrill_engine::kinesis::even_ranges(3));
}

#[test]
fn retention_bounds() {
    let (mut k, _) = kinesis_with("s", 1);
    let s = k.stream_mut("s").unwrap();
    assert!(s.set_retention(23, false).is_err());
    assert!(s.set_retention(8761, true).is_err());
    assert!(s.set_retention(8760, true).is_ok());
    assert!(s.set_retention(100, true).is_err());
    assert!(s.set_retention(24, false).is_ok());
}

#[test]
fn generated_bytes_count_data_plus_partition_key() {
    use streamdrill_engine::metrics::Metric;
    use streamdrill_engine::sim::GeneratorSpec;
    use streamdrill_engine::workload::{GenMode, KeyDist, SizeDist};
    let mut sim = Sim::new(5);
    sim.kinesis
        .create_stream("s", Some(1), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    sim.start_generator(GeneratorSpec {
        name: "g".into(),
        stream: "s".into(),
        rate_per_sec: 200,
        size: SizeDist::Fixed(100),
        keys: KeyDist::Uniform { keys: 50 },
        mode: GenMode::Record,
        tick: SimDuration::from_millis(10),
    })
    .unwrap();
    sim.advance(SimDuration::from_secs(2)).unwrap();
    let now = sim.now();
    let it = sim
        .kinesis
        .get_shard_iterator("s", "shardId-000000000000", IteratorType::TrimHorizon, now)
        .unwrap();
    let out = sim
        .kinesis
        .get_records(&it, None, now, &mut sim.faults)
        .unwrap();
    assert_eq!(out.records.len(), 400);
    let expect: u64 = out
        .records
        .iter()
        .map(|r| u64::from(r.size) + sim.kinesis.keys.name(r.key).len() as u64)
        .sum();
    let s = sim.kinesis.stream("s").unwrap();
    assert_eq!(s.metrics.total(Metric::IncomingBytes), expect);
    assert_eq!(s.shards[0].metrics.total(Metric::IncomingRecords), 400);
}

#[test]
fn storage_is_bounded_per_stream_and_evictions_are_counted() {
    use streamdrill_engine::kinesis::shard::ENTRIES_PER_STREAM_MAX;
    let (mut k, mut f) = kinesis_with("s", 10_000);
    let cap = (ENTRIES_PER_STREAM_MAX / 10_000).max(1_000) as u64;
    // One shard takes 1,000 records a second; run it past its bound.
    let mut t = 0u64;
    for _ in 0..(cap + 500) {
        let req = PutRequest {
            explicit_hash_key: Some(0),
            ..PutRequest::new("k", "x")
        };
        k.put_record("s", &req, SimTime(t), &mut f).unwrap();
        t += 1_000;
    }
    let sh = &k.stream("s").unwrap().shards[0];
    assert_eq!(sh.evicted, 500);
    assert_eq!(sh.stored_records(), cap);
}

/// A hand-written poller that holds its iterator past 5 minutes gets ExpiredIteratorException;
/// refreshing after the last processed record loses and repeats nothing.
#[test]
fn a_poller_holding_an_iterator_past_five_minutes_sees_it_expire() {
    use streamdrill_engine::Console;
    let run = |on_expired: &str| -> serde_json::Value {
        let mut c = Console::new(3);
        for cmd in [
            "aws kinesis create-stream --stream-name s --shard-count 1",
            "gen start g --stream s --rate 5/s --size 100 --keys uniform:10 --mode flow",
            &format!(
                "poller start --name p --stream s --shard-id shardId-000000000000 --poll 301s --on-expired {on_expired}"
            ),
            "advance 11m",
        ] {
            let out = c.execute(cmd).unwrap();
            assert!(!out.contains("\"Error\""), "{cmd}: {out}");
        }
        serde_json::from_str(&c.execute("poller status --name p").unwrap()).unwrap()
    };
    let failed = run("fail");
    assert_eq!(failed["Running"], false, "{failed}");
    assert_eq!(failed["ExpiredIterators"], 1, "{failed}");
    assert!(
        failed["LastError"].as_str().unwrap().contains("xpired"),
        "{failed}"
    );
    let after = run("after-last");
    assert_eq!(after["Running"], true, "{after}");
    assert_eq!(after["ExpiredIterators"], 2, "{after}");
    assert_eq!(after["RecordsSkipped"], 0, "{after}");
    assert_eq!(after["RecordsDuplicated"], 0, "{after}");
    assert!(after["RecordsRead"].as_u64().unwrap() >= 5 * 600, "{after}");
    let latest = run("latest");
    assert!(latest["RecordsSkipped"].as_u64().unwrap() > 0, "{latest}");
}
