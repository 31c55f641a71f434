//! `streamdrill serve` over a real socket: the Kinesis door answers raw HTTP as AWS does (bad
//! input included), agrees with the console on stdin, and real clients (boto3, the AWS CLI)
//! work against it.
//!
//! The client tests run `tests/doors/*.py` with the Python of `target/doors-venv` (`.ci/run`
//! creates it with boto3, awscli, kafka-python and confluent-kafka); the Kafka door's kcat
//! tests need kcat (`STREAMDRILL_REQUIRE_KCAT`). Without that venv they say so and pass, unless
//! `STREAMDRILL_REQUIRE_DOORS` is set (CI sets it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

/// A `streamdrill serve` process on a free port, its stdout read line by line.
struct Serve {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    port: u16,
    /// Broker 1's port, when the Kafka door is open.
    kafka_port: Option<u16>,
    _data: tempfile::TempDir,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let data = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_streamdrill"))
            .arg("--data-dir")
            .arg(data.path())
            .args(["serve", "--kinesis", "127.0.0.1:0"])
            .args(args)
            .env_remove("STREAMDRILL_DATA_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("binary runs");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        let banner = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("serve prints its address");
        let port = banner
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no address in the banner: {banner}"));
        // The rest of the banner, up to the console's line.
        let mut kafka_port = None;
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(20))
                .expect("serve prints its banner");
            if let Some(rest) = line.split("Kafka on 127.0.0.1:").nth(1) {
                kafka_port = rest.split_whitespace().next().and_then(|p| p.parse().ok());
            }
            if line.starts_with("console:") {
                break;
            }
        }
        Serve {
            child,
            stdin,
            lines,
            port,
            kafka_port,
            _data: data,
        }
    }

    /// Runs a console line and returns the first printed line that parses as JSON.
    fn console_json(&mut self, line: &str) -> Value {
        writeln!(self.stdin, "{line} --json").expect("console line");
        loop {
            let printed = self
                .lines
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("no answer to `{line}`"));
            if let Ok(value) = serde_json::from_str::<Value>(&printed) {
                return value;
            }
        }
    }

    /// Sends raw bytes as one request and returns the status and the JSON body.
    fn raw(&self, request: &[u8]) -> (u16, Value) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream.write_all(request).expect("send");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer);
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:?}"));
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// A request as the SDKs send it, with `headers` added or replacing theirs.
    fn post(&self, target: &str, body: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut head: Vec<(String, String)> = vec![
            ("Host".into(), format!("127.0.0.1:{}", self.port)),
            ("Content-Type".into(), "application/x-amz-json-1.1".into()),
            ("X-Amz-Target".into(), format!("Kinesis_20131202.{target}")),
            (
                "Authorization".into(),
                "AWS4-HMAC-SHA256 Credential=x/20261204/us-east-1/kinesis/aws4_request, \
                 SignedHeaders=host, Signature=0"
                    .into(),
            ),
            ("Content-Length".into(), body.len().to_string()),
            ("Connection".into(), "close".into()),
        ];
        for (name, value) in headers {
            head.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            if !value.is_empty() {
                head.push(((*name).into(), (*value).into()));
            }
        }
        let mut request = String::from("POST / HTTP/1.1\r\n");
        for (name, value) in head {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        self.raw(request.as_bytes())
    }

    fn call(&self, target: &str, body: &Value) -> Value {
        let (status, answer) = self.post(target, &body.to_string(), &[]);
        assert_eq!(status, 200, "{target} {body}: {answer}");
        answer
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The console prints timestamps as the AWS CLI does (RFC 3339); the wire carries Unix
/// seconds. Turns the first into the second so the two answers compare.
fn as_the_cli_prints(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, member) in map.iter_mut() {
                    if let (true, Some(text)) = (key.ends_with("Timestamp"), member.as_str()) {
                        let at = chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339");
                        *member = json!(at.timestamp_millis() as f64 / 1000.0);
                    } else {
                        walk(member);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

fn error_type(answer: &Value) -> &str {
    answer["__type"].as_str().unwrap_or("")
}

#[test]
fn bad_requests_get_the_errors_aws_gives() {
    let serve = Serve::start(&[]);
    let (status, answer) = serve.post("ListStreams", "{\"Limit\": ", &[]);
    assert_eq!(
        (status, error_type(&answer)),
        (400, "SerializationException")
    );

    let (status, answer) = serve.post("DescribeStream", r#"{"StreamName": 7}"#, &[]);
    assert_eq!(
        (status, error_type(&answer)),
        (400, "SerializationException")
    );

    let (status, answer) = serve.post("GetShardIterator", r#"{"StreamName": "s"}"#, &[]);
    assert_eq!((status, error_type(&answer)), (400, "ValidationException"));

    let (status, answer) = serve.post("FlyToTheMoon", "{}", &[]);
    assert_eq!(
        (status, error_type(&answer)),
        (400, "UnknownOperationException")
    );

    let (status, answer) = serve.post("ListStreams", "{}", &[("Authorization", "")]);
    assert_eq!(
        (status, error_type(&answer)),
        (403, "MissingAuthenticationTokenException")
    );

    let cbor = [("Content-Type", "application/x-amz-cbor-1.1")];
    let (status, answer) = serve.post("ListStreams", "{}", &cbor);
    assert_eq!(status, 400);
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or("")
            .contains("AWS_CBOR_DISABLE")
    );

    // A declared length over the limit is refused before a byte of the body is read...
    let huge = (20 * 1024 * 1024).to_string();
    let (status, answer) = serve.post("PutRecords", "", &[("Content-Length", &huge)]);
    assert_eq!(
        (status, error_type(&answer)),
        (413, "SerializationException")
    );
    // ... and a chunked body is cut off at the limit.
    let chunk = "a".repeat(1 << 20);
    let mut request = String::from(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: Kinesis_20131202.PutRecords\r\nAuthorization: x\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for _ in 0..11 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    let (status, answer) = serve.raw(request.as_bytes());
    assert_eq!(
        (status, error_type(&answer)),
        (413, "SerializationException")
    );

    // Not HTTP at all: the connection is answered 400 or closed, and the door goes on.
    let _ = TcpStream::connect(("127.0.0.1", serve.port))
        .and_then(|mut s| s.write_all(b"\x16\x03\x01 hello, TLS?\r\n\r\n"));
    let answer = serve.call("ListStreams", &json!({}));
    assert_eq!(answer["StreamNames"], json!([]));
}

#[test]
fn the_door_and_the_console_answer_alike() {
    let mut serve = Serve::start(&["--speed", "0.1"]);
    serve.call(
        "CreateStream",
        &json!({"StreamName": "orders", "ShardCount": 2}),
    );
    // The console on stdin sees what the client made, and the client sees the console's work.
    let from_console = serve.console_json("aws kinesis list-shards --stream-name orders");
    let from_door = serve.call("ListShards", &json!({"StreamName": "orders"}));
    assert_eq!(from_console, from_door);
    serve.console_json("aws kinesis create-stream --stream-name audit --shard-count 1");
    let listed = serve.call("ListStreams", &json!({}));
    assert_eq!(listed["StreamNames"], json!(["audit", "orders"]));
    assert_eq!(
        as_the_cli_prints(serve.console_json("aws kinesis list-streams")),
        listed
    );
    let put = serve.call(
        "PutRecord",
        &json!({"StreamName": "orders", "PartitionKey": "k", "Data": "aGVsbG8="}),
    );
    let shard = put["ShardId"].as_str().expect("a shard id").to_owned();
    let summary = serve.console_json("aws kinesis describe-stream-summary --stream-name orders");
    assert_eq!(summary["StreamDescriptionSummary"]["OpenShardCount"], 2);
    assert!(shard.starts_with("shardId-"));
}

#[test]
fn only_loopback_addresses_are_served() {
    let output = Command::new(env!("CARGO_BIN_EXE_streamdrill"))
        .args(["serve", "--kinesis", "0.0.0.0:0"])
        .stdin(Stdio::null())
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a loopback address"), "{stderr}");
}

/// The Python of the venv `.ci/run` makes, when it is there.
fn doors_python() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/doors-venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var_os("STREAMDRILL_REQUIRE_DOORS").is_none(),
        "STREAMDRILL_REQUIRE_DOORS is set but {} is missing",
        python.display()
    );
    eprintln!(
        "skipped: no {} (python3 -m venv target/doors-venv && target/doors-venv/bin/pip install boto3 awscli kafka-python confluent-kafka)",
        python.display()
    );
    None
}

fn run_python(script: &str) {
    let Some(python) = doors_python() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = tempfile::tempdir().expect("temp dir");
    let venv_bin = python.parent().expect("venv bin").to_owned();
    let path = std::env::join_paths(std::iter::once(venv_bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let output = Command::new(&python)
        .arg(root.join("tests/doors").join(script))
        .env("STREAMDRILL", env!("CARGO_BIN_EXE_streamdrill"))
        .env("STREAMDRILL_DATA_DIR", data.path())
        .env("PATH", path)
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn boto3_works_against_the_door() {
    run_python("boto3_kinesis.py");
}

#[test]
fn the_aws_cli_works_against_the_door() {
    run_python("aws_cli_kinesis.py");
}

#[test]
fn kafka_python_and_librdkafka_work_against_the_kafka_door() {
    run_python("kafka_clients.py");
}

#[test]
fn kafka_python_and_librdkafka_share_a_consumer_group_with_a_simulated_member() {
    run_python("kafka_groups.py");
}

#[test]
fn a_transactional_librdkafka_loop_hides_aborted_records_from_read_committed() {
    run_python("kafka_transactions.py");
}

#[test]
fn a_leaders_crash_loses_acks_1_records_of_a_real_producer_and_no_acks_all_ones() {
    run_python("kafka_leader_loss.py");
}

#[test]
fn a_kafka_lab_is_solved_with_kafka_python() {
    run_python("lab_replay_with_kafka_python.py");
}

#[test]
fn a_kinesis_lab_is_solved_with_a_real_client() {
    run_python("lab_scale_with_boto3.py");
}

// ---- The Kafka door, with kcat (librdkafka) as the client ----

/// kcat, when the machine has it (`.ci/run` installs it and sets `STREAMDRILL_REQUIRE_KCAT`).
fn kcat() -> Option<&'static str> {
    let present = Command::new("kcat")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Some("kcat");
    }
    assert!(
        std::env::var_os("STREAMDRILL_REQUIRE_KCAT").is_none(),
        "STREAMDRILL_REQUIRE_KCAT is set but kcat is missing"
    );
    eprintln!("skipped: no kcat (apt-get install kcat)");
    None
}

fn kcat_run(broker: u16, args: &[&str], input: &str) -> String {
    let mut child = Command::new("kcat")
        .arg("-b")
        .arg(format!("127.0.0.1:{broker}"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kcat runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("kcat input");
    let out = child.wait_with_output().expect("kcat ends");
    assert!(
        out.status.success(),
        "kcat {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn kafka_serve() -> Serve {
    let mut serve = Serve::start(&["--kafka", "127.0.0.1:0", "--speed", "5"]);
    serve
        .console_json("kafka-topics --create --topic orders --partitions 3 --replication-factor 3");
    serve
}

#[test]
fn kcat_produces_and_consumes_keyed_records_where_the_engine_partitions_them() {
    if kcat().is_none() {
        return;
    }
    let serve = kafka_serve();
    let port = serve.kafka_port.expect("a Kafka door");
    let metadata: Value =
        serde_json::from_str(&kcat_run(port, &["-L", "-J"], "")).expect("kcat -J prints JSON");
    assert_eq!(metadata["brokers"].as_array().map(Vec::len), Some(3));
    let topic = &metadata["topics"][0];
    assert_eq!(topic["topic"], "orders");
    assert_eq!(topic["partitions"].as_array().map(Vec::len), Some(3));

    let keys: Vec<String> = (0..30).map(|i| format!("user-{i}")).collect();
    let input = keys.iter().fold(String::new(), |mut all, k| {
        all.push_str(&format!("{k}:order of {k}\n"));
        all
    });
    kcat_run(
        port,
        &[
            "-P",
            "-t",
            "orders",
            "-K:",
            "-X",
            "partitioner=murmur2_random",
        ],
        &input,
    );
    let consumed = kcat_run(
        port,
        &["-C", "-t", "orders", "-o", "beginning", "-e", "-J"],
        "",
    );
    let records: Vec<Value> = consumed
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(records.len(), keys.len(), "{consumed}");
    for r in &records {
        let key = r["key"].as_str().expect("a key");
        assert_eq!(r["payload"], format!("order of {key}"));
        let expected = streamdrill_engine::kafka::partitioner::partition_for_key(key.as_bytes(), 3);
        assert_eq!(
            r["partition"], expected,
            "{key} landed where the engine puts it"
        );
    }
}

#[test]
fn a_stopped_broker_refuses_connections_and_a_new_leader_takes_its_partitions() {
    if kcat().is_none() {
        return;
    }
    let mut serve = kafka_serve();
    let port = serve.kafka_port.expect("a Kafka door");
    let leader_of_0 = || -> i64 {
        let m: Value = serde_json::from_str(&kcat_run(port, &["-L", "-J", "-t", "orders"], ""))
            .expect("metadata");
        m["topics"][0]["partitions"][0]["leader"]
            .as_i64()
            .expect("a leader")
    };
    let leader = leader_of_0();
    // Stop a broker that is not broker 1 (the bootstrap), the leader of partition 0 if it can.
    let victim = if leader == 1 { 2 } else { leader };
    let before: Value = serde_json::from_str(&kcat_run(port, &["-L", "-J"], "")).expect("metadata");
    let victim_port: u16 = before["brokers"]
        .as_array()
        .expect("brokers")
        .iter()
        .find(|b| b["id"] == victim)
        .and_then(|b| b["name"].as_str())
        .and_then(|name| name.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .expect("the victim's port");
    assert!(TcpStream::connect(("127.0.0.1", victim_port)).is_ok());
    serve.console_json(&format!("broker stop {victim}"));
    let refused = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        TcpStream::connect(("127.0.0.1", victim_port)).is_err()
    });
    assert!(refused, "a stopped broker's port refuses connections");
    let m: Value = serde_json::from_str(&kcat_run(port, &["-L", "-J"], "")).expect("metadata");
    let listed: Vec<i64> = m["brokers"]
        .as_array()
        .expect("brokers")
        .iter()
        .filter_map(|b| b["id"].as_i64())
        .collect();
    assert!(
        !listed.contains(&victim),
        "a stopped broker is not listed: {listed:?}"
    );
    serve.console_json("advance 30s");
    let moved = leader_of_0();
    assert_ne!(moved, victim, "partition 0 has a leader that runs");
    kcat_run(
        port,
        &["-P", "-t", "orders", "-p", "0"],
        "after the failover\n",
    );
}

#[test]
fn hostile_frames_close_their_connection_and_harm_nothing() {
    if kcat().is_none() {
        return;
    }
    let serve = kafka_serve();
    let port = serve.kafka_port.expect("a Kafka door");
    let send = |bytes: &[u8]| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.write_all(bytes);
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        answer
    };
    // A frame claiming 2 GiB, garbage, a truncated header, an unknown API, an array of two
    // billion topics: each closes its connection without an answer.
    assert!(send(&i32::MAX.to_be_bytes()).is_empty());
    assert!(send(b"\x00\x00\x00\x08garbage!").is_empty());
    assert!(send(&[0, 0, 0, 3, 0, 3, 0]).is_empty());
    assert!(send(&[0, 0, 0, 10, 0x03, 0xE8, 0, 0, 0, 0, 0, 1, 0xff, 0xff]).is_empty());
    let mut metadata = vec![0, 3, 0, 4, 0, 0, 0, 7, 0xff, 0xff];
    metadata.extend_from_slice(&i32::MAX.to_be_bytes());
    let mut frame = (metadata.len() as i32).to_be_bytes().to_vec();
    frame.extend_from_slice(&metadata);
    assert!(send(&frame).is_empty());
    // An ApiVersions the door does not speak gets UNSUPPORTED_VERSION and the versions it does.
    let answer = send(&[0, 0, 0, 10, 0, 18, 0, 9, 0, 0, 0, 5, 0xff, 0xff]);
    assert!(answer.len() > 10, "{answer:?}");
    assert_eq!(&answer[4..8], &[0, 0, 0, 5], "the correlation id");
    assert_eq!(&answer[8..10], &[0, 35], "UNSUPPORTED_VERSION");
    // The door goes on serving.
    let m: Value = serde_json::from_str(&kcat_run(port, &["-L", "-J"], "")).expect("metadata");
    assert_eq!(m["brokers"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_kafka_labs_cluster_can_be_watched_with_kcat_but_not_written() {
    if kcat().is_none() {
        return;
    }
    let serve = Serve::start(&[
        "--kafka",
        "127.0.0.1:0",
        "--lab",
        "kafka-isr-shrinkage",
        "--speed",
        "10",
    ]);
    let port = serve.kafka_port.expect("a Kafka door");
    let m: Value = serde_json::from_str(&kcat_run(port, &["-L", "-J"], "")).expect("metadata");
    let topics: Vec<&str> = m["topics"]
        .as_array()
        .expect("topics")
        .iter()
        .filter_map(|t| t["topic"].as_str())
        .collect();
    assert!(topics.contains(&"clicks"), "{topics:?}");
    // The lab's producers' records, read as they are written.
    let read = kcat_run(
        port,
        &[
            "-C",
            "-t",
            "clicks",
            "-p",
            "0",
            "-o",
            "beginning",
            "-c",
            "3",
            "-J",
        ],
        "",
    );
    assert_eq!(read.lines().count(), 3, "{read}");
    // Writing is the lab's producers' job.
    let out = Command::new("kcat")
        .args(["-b", &format!("127.0.0.1:{port}"), "-P", "-t", "clicks"])
        .args(["-X", "message.timeout.ms=3000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().expect("stdin").write_all(b"x\n")?;
            child.wait_with_output()
        })
        .expect("kcat runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("authorization failed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
