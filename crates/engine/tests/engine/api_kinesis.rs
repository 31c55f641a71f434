//! The Kinesis wire API ([`streamdrill_engine::api::kinesis`]): requests and answers as a real
//! client sends and reads them, and the console agreeing with it.

use serde_json::{Value, json};
use streamdrill_engine::api::kinesis::{self as api, from_unix_seconds, unix_seconds};
use streamdrill_engine::time::EPOCH_UNIX_SECONDS;
use streamdrill_engine::{Console, Sim, SimDuration, SimTime};

#[allow(clippy::needless_pass_by_value)] // the tests read best with a json! literal in place
fn call(sim: &mut Sim, op: &str, request: Value) -> Result<Value, (String, String)> {
    api::call(sim, op, &request).map_err(|e| (e.code.name().to_string(), e.message))
}

fn with_stream(shards: u32) -> Sim {
    let mut sim = Sim::new(3);
    call(
        &mut sim,
        "CreateStream",
        json!({"StreamName": "orders", "ShardCount": shards}),
    )
    .unwrap();
    sim
}

#[test]
fn records_go_in_and_come_out_as_base64_with_unix_timestamps() {
    let mut sim = with_stream(2);
    sim.advance(SimDuration::from_millis(1_500)).unwrap();
    // "hello\0\xff" in base64: binary data survives.
    let put = call(
        &mut sim,
        "PutRecord",
        json!({"StreamName": "orders", "PartitionKey": "k1", "Data": "aGVsbG8A/w=="}),
    )
    .unwrap();
    let shard = put["ShardId"].as_str().unwrap().to_string();
    let it = call(
        &mut sim,
        "GetShardIterator",
        json!({"StreamName": "orders", "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .unwrap()["ShardIterator"]
        .as_str()
        .unwrap()
        .to_string();
    let got = call(
        &mut sim,
        "GetRecords",
        json!({"ShardIterator": it, "Limit": 10}),
    )
    .unwrap();
    let records = got["Records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["Data"], "aGVsbG8A/w==");
    assert_eq!(records[0]["PartitionKey"], "k1");
    assert_eq!(records[0]["SequenceNumber"], put["SequenceNumber"]);
    let arrival = records[0]["ApproximateArrivalTimestamp"].as_f64().unwrap();
    assert!(
        (arrival - (EPOCH_UNIX_SECONDS as f64 + 1.5)).abs() < 1e-6,
        "{arrival}"
    );
}

#[test]
fn timestamps_round_trip_at_millisecond_precision() {
    let t = SimTime(86_400_123_456);
    assert_eq!(from_unix_seconds(unix_seconds(t)), SimTime(86_400_123_000));
    assert_eq!(
        from_unix_seconds(0.0),
        SimTime::ZERO,
        "before virtual time zero clamps"
    );
}

#[test]
fn members_of_the_wrong_type_missing_or_unknown_get_aws_errors() {
    let mut sim = with_stream(1);
    let code = |r: Result<Value, (String, String)>| r.unwrap_err().0;
    assert_eq!(
        code(call(&mut sim, "CreateStream", json!({"StreamName": 5}))),
        "SerializationException"
    );
    assert_eq!(
        code(call(
            &mut sim,
            "CreateStream",
            json!({"StreamName": "x", "ShardCount": "2"})
        )),
        "SerializationException"
    );
    assert_eq!(
        code(call(&mut sim, "CreateStream", json!([]))),
        "SerializationException"
    );
    let (c, m) = call(
        &mut sim,
        "GetShardIterator",
        json!({"StreamName": "orders"}),
    )
    .unwrap_err();
    assert_eq!(c, "ValidationException");
    assert!(m.contains("'shardId'"), "{m}");
    assert_eq!(
        code(call(
            &mut sim,
            "PutRecord",
            json!({"StreamName": "orders", "PartitionKey": "k", "Data": "not base64!"})
        )),
        "SerializationException"
    );
    assert_eq!(
        code(call(&mut sim, "FlyToTheMoon", json!({}))),
        "UnknownOperationException"
    );
    assert_eq!(
        code(call(
            &mut sim,
            "DescribeStream",
            json!({"StreamName": "nope"})
        )),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(call(&mut sim, "ListStreams", json!({"Limit": 0}))),
        "ValidationException"
    );
    // Nothing of the refused requests was applied.
    let listed = call(&mut sim, "ListStreams", json!({})).unwrap();
    assert_eq!(listed["StreamNames"], json!(["orders"]));
}

#[test]
fn put_records_reports_each_entry_and_throttles_a_hot_shard() {
    let mut sim = with_stream(1);
    // 1,500 records of 1 KB in one second on one shard: the shard takes 1,000 records/s or
    // 1 MiB/s, the rest is refused entry by entry.
    let data = "QUFB".repeat(256); // 768 bytes
    let mut failed = 0;
    let mut ok = 0;
    for _ in 0..3 {
        let records: Vec<Value> = (0..500)
            .map(|i| json!({"PartitionKey": format!("k{i}"), "Data": data}))
            .collect();
        let out = call(
            &mut sim,
            "PutRecords",
            json!({"StreamName": "orders", "Records": records}),
        )
        .unwrap();
        let entries = out["Records"].as_array().unwrap();
        assert_eq!(entries.len(), 500);
        let this_failed = entries
            .iter()
            .filter(|e| e.get("ErrorCode").is_some())
            .count();
        assert_eq!(out["FailedRecordCount"], json!(this_failed));
        for e in entries.iter().filter(|e| e.get("ErrorCode").is_some()) {
            assert_eq!(e["ErrorCode"], "ProvisionedThroughputExceededException");
        }
        failed += this_failed;
        ok += 500 - this_failed;
    }
    assert!(failed > 0, "a shard over its limit throttles");
    assert!(ok >= 1_000, "a shard takes its 1,000 records/s: {ok}");
}

#[test]
fn pages_follow_their_tokens_to_the_end() {
    let mut sim = with_stream(5);
    for name in ["a", "b", "c"] {
        call(
            &mut sim,
            "CreateStream",
            json!({"StreamName": name, "ShardCount": 1}),
        )
        .unwrap();
    }
    let mut names = Vec::new();
    let mut request = json!({"Limit": 2});
    loop {
        let page = call(&mut sim, "ListStreams", request.clone()).unwrap();
        names.extend(page["StreamNames"].as_array().unwrap().iter().cloned());
        match page.get("NextToken") {
            Some(t) => request = json!({"Limit": 2, "NextToken": t}),
            None => break,
        }
    }
    assert_eq!(
        names,
        json!(["a", "b", "c", "orders"]).as_array().unwrap().clone()
    );

    let mut shards = Vec::new();
    let mut request = json!({"StreamName": "orders", "MaxResults": 2});
    loop {
        let page = call(&mut sim, "ListShards", request).unwrap();
        shards.extend(
            page["Shards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["ShardId"].clone()),
        );
        match page.get("NextToken") {
            // As AWS requires, the follow-up names the token alone.
            Some(t) => request = json!({"NextToken": t, "MaxResults": 2}),
            None => break,
        }
    }
    assert_eq!(shards.len(), 5);
}

#[test]
fn the_console_answers_what_the_api_answers() {
    let mut console = Console::new(3);
    let mut sim = Sim::new(3);
    console.execute("aws kinesis create-stream --stream-name s --shard-count 2");
    call(
        &mut sim,
        "CreateStream",
        json!({"StreamName": "s", "ShardCount": 2}),
    )
    .unwrap();
    console.execute("advance 2s");
    sim.advance(SimDuration::from_secs(2)).unwrap();
    let from_console: Value = serde_json::from_str(
        &console
            .execute("aws kinesis put-record --stream-name s --partition-key k --data hello")
            .unwrap(),
    )
    .unwrap();
    let from_api = call(
        &mut sim,
        "PutRecord",
        json!({"StreamName": "s", "PartitionKey": "k", "Data": "aGVsbG8="}),
    )
    .unwrap();
    assert_eq!(from_console, from_api);
    let from_console: Value = serde_json::from_str(
        &console
            .execute("aws kinesis describe-stream --stream-name s")
            .unwrap(),
    )
    .unwrap();
    let mut from_api = call(&mut sim, "DescribeStream", json!({"StreamName": "s"})).unwrap();
    // The CLI prints Unix seconds as RFC 3339 text.
    let created = from_api["StreamDescription"]["StreamCreationTimestamp"]
        .as_f64()
        .unwrap();
    from_api["StreamDescription"]["StreamCreationTimestamp"] =
        json!(from_unix_seconds(created).to_rfc3339());
    assert_eq!(from_console, from_api);
}

#[test]
fn a_subscription_streams_what_is_put_after_it_opens() {
    let mut sim = with_stream(1);
    let arn = call(
        &mut sim,
        "RegisterStreamConsumer",
        json!({"StreamARN": streamdrill_engine::kinesis::stream_arn("orders"), "ConsumerName": "c"}),
    )
    .unwrap()["Consumer"]["ConsumerARN"]
        .as_str()
        .unwrap()
        .to_string();
    let early = api::subscribe(
        &mut sim,
        &json!({"ConsumerARN": arn, "ShardId": "shardId-000000000000", "StartingPosition": {"Type": "LATEST"}}),
    );
    assert_eq!(
        early.unwrap_err().code.name(),
        "ResourceInUseException",
        "still CREATING"
    );
    sim.advance(SimDuration::from_secs(10)).unwrap();
    let sub = api::subscribe(
        &mut sim,
        &json!({"ConsumerARN": arn, "ShardId": "shardId-000000000000", "StartingPosition": {"Type": "LATEST"}}),
    )
    .unwrap();
    call(
        &mut sim,
        "PutRecord",
        json!({"StreamName": "orders", "PartitionKey": "k", "Data": "eA=="}),
    )
    .unwrap();
    sim.advance(SimDuration::from_secs(1)).unwrap();
    let (events, ended) = api::subscription_events(&mut sim, &sub).unwrap();
    assert!(!ended);
    let records: Vec<&Value> = events
        .iter()
        .flat_map(|e| e["Records"].as_array().unwrap())
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["Data"], "eA==");
    sim.advance(SimDuration::from_secs(300)).unwrap();
    let (_, ended) = api::subscription_events(&mut sim, &sub).unwrap();
    assert!(ended, "a subscription lasts five minutes");
}
