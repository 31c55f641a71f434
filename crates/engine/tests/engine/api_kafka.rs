//! The Kafka broker API ([`streamdrill_engine::api::kafka`]): what a broker answers a real
//! client's Metadata, Produce, Fetch and ListOffsets, faults included.

use streamdrill_engine::api::kafka as api;
use streamdrill_engine::kafka::cluster::Acks;
use streamdrill_engine::kafka::error::ErrorCode;
use streamdrill_engine::kafka::log::{ClientRecord, Writer};
use streamdrill_engine::{Console, SimDuration};

fn cluster() -> Console {
    let mut console = Console::new(7);
    for line in [
        "kafka-cluster create --brokers 3",
        "kafka-topics --create --topic orders --partitions 3 --replication-factor 3",
    ] {
        console.execute(line);
    }
    console
}

fn record(key: &[u8], value: &[u8]) -> ClientRecord {
    ClientRecord {
        key: Some(key.into()),
        value: Some(value.into()),
        headers: vec![(
            b"trace".to_vec().into_boxed_slice(),
            Some(b"abc".to_vec().into_boxed_slice()),
        )]
        .into_boxed_slice(),
        timestamp_ms: 1_700_000_000_000,
    }
}

fn leader_of(console: &Console, partition: u32) -> u32 {
    let kafka = console.sim.kafka.as_ref().expect("a cluster");
    let meta = api::metadata(kafka, Some(&["orders".to_string()]));
    meta.topics[0].partitions[partition as usize]
        .leader
        .expect("a leader")
}

#[test]
fn a_client_writes_bytes_and_reads_them_back_from_the_leader() {
    let mut console = cluster();
    let leader = leader_of(&console, 0);
    let follower = (1..=3).find(|b| *b != leader).unwrap();
    let now = console.sim.now();
    let kafka = console.sim.kafka.as_mut().unwrap();
    let meta = api::metadata(kafka, None);
    assert_eq!(meta.brokers.len(), 3);
    assert_eq!(meta.topics.len(), 1);
    assert_eq!(meta.topics[0].partitions.len(), 3);
    assert!(meta.controller.is_some());

    let binary = [0u8, 159, 146, 150];
    let written = api::produce(
        kafka,
        leader,
        "orders",
        0,
        Acks::Leader,
        vec![
            record(b"user-1", b"{\"total\": 42}"),
            record(&binary, b"second"),
        ],
        Writer::NONE,
        now,
    )
    .expect("the leader appends");
    assert_eq!(written.base_offset, 0);
    let refused = api::produce(
        kafka,
        follower,
        "orders",
        0,
        Acks::Leader,
        vec![record(b"k", b"v")],
        Writer::NONE,
        now,
    )
    .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotLeaderOrFollower);
    let unknown = api::metadata(kafka, Some(&["nope".to_string()]));
    assert_eq!(
        unknown.topics[0].error,
        Some(ErrorCode::UnknownTopicOrPartition)
    );

    // Replication moves the high watermark; then the records read back as written.
    console.sim.advance(SimDuration::from_secs(1)).unwrap();
    let kafka = console.sim.kafka.as_ref().unwrap();
    let fetched = api::fetch(kafka, leader, "orders", 0, 0, 1 << 20, false).expect("fetch");
    assert_eq!(fetched.high_watermark, 2);
    assert_eq!(fetched.records.len(), 2);
    assert_eq!(fetched.records[0].key.as_deref(), Some(&b"user-1"[..]));
    assert_eq!(
        fetched.records[0].value.as_deref(),
        Some(&b"{\"total\": 42}"[..])
    );
    assert_eq!(fetched.records[0].headers[0].0, b"trace");
    assert_eq!(fetched.records[0].timestamp_ms, 1_700_000_000_000);
    assert_eq!(fetched.records[1].key.as_deref(), Some(&binary[..]));
    assert_eq!(fetched.records[1].offset, 1);
    let from_follower = api::fetch(kafka, follower, "orders", 0, 0, 1 << 20, false).unwrap_err();
    assert_eq!(from_follower.code, ErrorCode::NotLeaderOrFollower);
    let past_end = api::fetch(kafka, leader, "orders", 0, 3, 1 << 20, false).unwrap_err();
    assert_eq!(past_end.code, ErrorCode::OffsetOutOfRange);
    assert_eq!(
        api::list_offsets(kafka, leader, "orders", 0, -2).unwrap().0,
        0
    );
    assert_eq!(
        api::list_offsets(kafka, leader, "orders", 0, -1).unwrap().0,
        2
    );
}

#[test]
fn a_stopped_leader_refuses_and_a_new_one_takes_over() {
    let mut console = cluster();
    let leader = leader_of(&console, 1);
    console.execute(&format!("broker stop {leader}"));
    let now = console.sim.now();
    let kafka = console.sim.kafka.as_mut().unwrap();
    let meta = api::metadata(kafka, None);
    assert!(meta.brokers.iter().any(|b| b.id == leader && !b.up));
    let refused = api::produce(
        kafka,
        leader,
        "orders",
        1,
        Acks::All,
        vec![record(b"k", b"v")],
        Writer::NONE,
        now,
    )
    .unwrap_err();
    assert!(
        matches!(
            refused.code,
            ErrorCode::NetworkException | ErrorCode::NotLeaderOrFollower
        ),
        "{refused:?}"
    );
    // After the controller has moved leadership, metadata names another leader.
    console.sim.advance(SimDuration::from_secs(30)).unwrap();
    let moved = leader_of(&console, 1);
    assert_ne!(moved, leader);
}

#[test]
fn simulated_records_read_as_their_keys_with_placeholder_values() {
    let mut console = cluster();
    console.execute("producer start p --topic orders --rate 100/s --size 20 --keys uniform:5");
    console.sim.advance(SimDuration::from_secs(2)).unwrap();
    let leader = leader_of(&console, 2);
    let kafka = console.sim.kafka.as_ref().unwrap();
    let fetched = api::fetch(kafka, leader, "orders", 2, 0, 1 << 20, false).expect("fetch");
    assert!(!fetched.records.is_empty());
    let first = &fetched.records[0];
    assert!(first.key.is_some());
    assert_eq!(first.value.as_ref().map(Vec::len), Some(20));
    // Offsets ascend from where the fetch started.
    assert!(
        fetched
            .records
            .windows(2)
            .all(|w| w[0].offset < w[1].offset)
    );
}
