//! The `streamdrill sim` console: one command per line in, one JSON object per line out.
//!
//! Commands are shaped like the AWS CLI (`aws kinesis put-record --stream-name S ...`) with
//! output keys as the CLI prints them, plus short verbs for the simulator (`advance 30s`,
//! `gen start`, `kcl start`, `metrics`, `cost`, `fault`). Arguments are split as a shell would
//! (quotes, escapes). Blank lines and `#` comments print nothing. A bad command prints
//! `{"Error":{"Code":...,"Message":...}}` and the console goes on. `$ITERATOR`, `$SEQ` and
//! `$CONSUMER_ARN` stand for the last shard iterator, sequence number and consumer ARN printed.
//!
//! Record data given to `put-record --data` and `put-records` is taken as raw text (as with the
//! AWS CLI's `--cli-binary-format raw-in-base64-out`); `Data` in output is base64, as the CLI
//! prints it. Generated records carry no stored payload: their `Data` is `key#counter` padded
//! with dots to the record's size. JSON object keys are printed in sorted order.
//!
//! # Layout
//!
//! Here: [`Console`], [`run_console`], the top-level dispatch and the table `help` prints
//! ([`COMMANDS`], then [`kafka::COMMANDS`]). The commands stand side by side in submodules
//! along the command families. The Kinesis side, as `impl Console` blocks: `kinesis` (the
//! `aws kinesis` API, `efo-events`, `gen`, `poller`), `firehose` (`aws firehose`,
//! `aws s3 ls`, `s3-dedupe`, `loader`), `kcl`, `metrics`, `cost` (`cost`, `capacity`) and
//! `control` (`advance`, `fault`, `config`). The Kafka side, as functions of the [`Sim`]:
//! [`kafka`]. Both take what they share from two leaves that import neither: `args`
//! (argument parsing, the error type, workload rates) and `output` (JSON helpers: base64,
//! metric series). Neither side imports the other.

mod args;
mod control;
mod cost;
mod firehose;
pub mod kafka;
mod kcl;
mod kinesis;
mod metrics;
mod output;

pub use output::{base64, terminal_safe_json};

use crate::cost::PriceSheet;
use crate::sim::Sim;
use args::{Args, Out, fail, param};
use serde_json::{Value, json};
use std::io::{BufRead, Read, Write};

/// Longest accepted command line, bytes.
pub const LINE_BYTES_MAX: usize = 16 * 1_048_576;

/// Commands and their synopses; `help` prints this table, so help cannot drift from dispatch.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "aws kinesis create-stream",
        "--stream-name S (--shard-count N | --stream-mode-details StreamMode=ON_DEMAND)",
    ),
    ("aws kinesis delete-stream", "--stream-name S"),
    ("aws kinesis list-streams", ""),
    ("aws kinesis describe-stream-summary", "--stream-name S"),
    ("aws kinesis describe-stream", "--stream-name S"),
    (
        "aws kinesis list-shards",
        "--stream-name S [--shard-filter Type=AT_LATEST|AT_TRIM_HORIZON|AFTER_SHARD_ID,ShardId=ID] [--max-results N] [--next-token T]",
    ),
    (
        "aws kinesis put-record",
        "--stream-name S --partition-key K --data D [--explicit-hash-key H]",
    ),
    (
        "aws kinesis put-records",
        "--stream-name S --records '[{\"Data\":\"d\",\"PartitionKey\":\"k\"}]' | --records Data=d,PartitionKey=k [Data=...,PartitionKey=...]...",
    ),
    (
        "aws kinesis get-shard-iterator",
        "--stream-name S --shard-id ID --shard-iterator-type TRIM_HORIZON|LATEST|AT_SEQUENCE_NUMBER|AFTER_SEQUENCE_NUMBER|AT_TIMESTAMP [--starting-sequence-number N] [--timestamp T]",
    ),
    ("aws kinesis get-records", "--shard-iterator IT [--limit N]"),
    (
        "aws kinesis split-shard",
        "--stream-name S --shard-to-split ID --new-starting-hash-key H",
    ),
    (
        "aws kinesis merge-shards",
        "--stream-name S --shard-to-merge ID --adjacent-shard-to-merge ID",
    ),
    (
        "aws kinesis update-shard-count",
        "--stream-name S --target-shard-count N [--scaling-type UNIFORM_SCALING]",
    ),
    (
        "aws kinesis increase-stream-retention-period",
        "--stream-name S --retention-period-hours H",
    ),
    (
        "aws kinesis decrease-stream-retention-period",
        "--stream-name S --retention-period-hours H",
    ),
    (
        "aws kinesis register-stream-consumer",
        "--stream-arn ARN --consumer-name C",
    ),
    (
        "aws kinesis deregister-stream-consumer",
        "--stream-arn ARN (--consumer-name C | --consumer-arn ARN)",
    ),
    ("aws kinesis list-stream-consumers", "--stream-arn ARN"),
    (
        "aws kinesis describe-stream-consumer",
        "--consumer-arn ARN | --stream-arn ARN --consumer-name C",
    ),
    (
        "aws kinesis subscribe-to-shard",
        "--consumer-arn ARN --shard-id ID --starting-position Type=LATEST|TRIM_HORIZON|AT_SEQUENCE_NUMBER|AFTER_SEQUENCE_NUMBER|AT_TIMESTAMP[,SequenceNumber=N][,Timestamp=T]",
    ),
    (
        "aws firehose create-delivery-stream",
        "--delivery-stream-name F --kinesis-stream-source-configuration KinesisStreamARN=ARN,RoleARN=R --extended-s3-destination-configuration BucketARN=arn:aws:s3:::B,Prefix=P,BufferingHints={SizeInMBs=5,IntervalInSeconds=300}",
    ),
    (
        "aws firehose update-destination",
        "--delivery-stream-name F --extended-s3-destination-update ProcessingConfiguration={Enabled=true,Processors={Type=Lambda,LambdaArn=ARN}}  (a transformation Lambda that adds each record's Kinesis sequence number to it)",
    ),
    (
        "aws firehose describe-delivery-stream",
        "--delivery-stream-name F",
    ),
    ("aws s3 ls", "s3://BUCKET [--recursive]"),
    (
        "efo-events",
        "--consumer-arn ARN --shard-id ID  (take the events pushed since the last call)",
    ),
    (
        "s3-dedupe",
        "--bucket B  (records, and unique sequence numbers among the records that carry one)",
    ),
    (
        "loader start",
        "--name L --bucket B [--dedupe none|object-key|sequence-number|partition-key]  (a downstream job loading new objects into a table every 10 s)",
    ),
    (
        "loader configure",
        "--name L --dedupe none|object-key|sequence-number|partition-key",
    ),
    ("loader status", "--name L"),
    (
        "poller start",
        "--name C --stream S --shard-id ID [--poll 1s] [--on-expired fail|latest|trim-horizon|after-last]  (a hand-written GetRecords loop from LATEST; --poll is the time between calls)",
    ),
    (
        "poller configure",
        "--name C [--poll 1s] [--on-expired fail|latest|trim-horizon|after-last]  (a redeploy; a stopped poller starts again)",
    ),
    ("poller status", "--name C"),
    ("advance", "DURATION  (e.g. 500ms, 30s, 5m, 2m30s, 2h)"),
    ("now", ""),
    (
        "gen start",
        "NAME --stream S --rate 1000/s|5MB/s [--size 1KB|100..2000] [--keys uniform:N|zipf:S:N|hot:FRACTION:N[:SALTS]] [--mode record|flow] [--tick 10ms]",
    ),
    ("gen stop", "NAME"),
    ("gen list", ""),
    (
        "kcl start",
        "--app A --stream S --worker W [--initial-position TRIM_HORIZON|LATEST] [--checkpoint-every N] [--failover 10s] [--poll 1s] [--max-records N] [--sink at-least-once|idempotent]",
    ),
    (
        "kcl configure",
        "--app A [--sink at-least-once|idempotent] [--checkpoint-every N]  (a redeploy of the record processor: the sink and checkpoint policy change, the lease table stays)",
    ),
    ("kcl kill", "--app A --worker W"),
    ("kcl leases", "--app A"),
    ("kcl status", "--app A"),
    ("kcl processed", "--app A [--last N]"),
    (
        "metrics",
        "(--stream S [--shard ID] | --app A | --consumer-arn ARN | --delivery-stream-name F | --loader L | --poller C) [--metric NAME] [--last 60s]",
    ),
    (
        "cost",
        "(--throughput 100MB/s | --stream S [--window 60s]) [--record-size 1KB] [--retention-hours 24] [--efo-consumers N] [--consumers N] [--headroom 0.25]",
    ),
    (
        "fault inject",
        "POINT [--probability P] [--count N]  (points: put-internal-failure, firehose-ack-lost, get-records-internal-failure, kcl-checkpoint-failure)",
    ),
    ("fault clear", "[POINT]"),
    ("fault list", ""),
    ("config", "[--reshard-delay 30s]"),
    ("help", ""),
];

/// The console state: the simulation plus the values `$ITERATOR` etc. stand for.
pub struct Console {
    pub sim: Sim,
    prices: PriceSheet,
    last_iterator: Option<String>,
    last_sequence: Option<String>,
    last_consumer_arn: Option<String>,
}

impl Console {
    pub fn new(seed: u64) -> Self {
        Console {
            sim: Sim::new(seed),
            prices: PriceSheet::default(),
            last_iterator: None,
            last_sequence: None,
            last_consumer_arn: None,
        }
    }

    /// Runs one line; returns the JSON line to print, or None for blank lines and comments.
    pub fn execute(&mut self, line: &str) -> Option<String> {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return None;
        }
        let result = match shlex::split(trimmed) {
            None => Err(param(
                "unbalanced quotes or trailing backslash in command line",
            )),
            Some(tokens) => {
                let tokens = self.substitute(tokens);
                self.dispatch(&tokens)
            }
        };
        let value =
            result.unwrap_or_else(|f| json!({"Error": {"Code": f.code, "Message": f.message}}));
        self.remember(&value);
        Some(terminal_safe_json(&value.to_string()))
    }

    fn substitute(&self, tokens: Vec<String>) -> Vec<String> {
        tokens
            .into_iter()
            .map(|t| match t.as_str() {
                "$ITERATOR" => self.last_iterator.clone().unwrap_or(t),
                "$SEQ" => self.last_sequence.clone().unwrap_or(t),
                "$CONSUMER_ARN" => self.last_consumer_arn.clone().unwrap_or(t),
                _ => t,
            })
            .collect()
    }

    fn remember(&mut self, v: &Value) {
        if let Some(it) = v
            .get("ShardIterator")
            .or_else(|| v.get("NextShardIterator"))
            .and_then(Value::as_str)
        {
            self.last_iterator = Some(it.to_string());
        }
        if let Some(s) = v.get("SequenceNumber").and_then(Value::as_str) {
            self.last_sequence = Some(s.to_string());
        }
        if let Some(a) = v
            .get("Consumer")
            .and_then(|c| c.get("ConsumerARN"))
            .and_then(Value::as_str)
        {
            self.last_consumer_arn = Some(a.to_string());
        }
    }

    fn dispatch(&mut self, tokens: &[String]) -> Out {
        if let Some(out) = kafka::dispatch(&mut self.sim, tokens) {
            return out;
        }
        let words: Vec<&str> = tokens.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["aws", "kinesis", op, ..] | ["kinesis", op, ..] => {
                let rest = &tokens[tokens.iter().position(|t| t == op).expect("present") + 1..];
                self.kinesis(op, Args::parse(rest))
            }
            ["aws", "firehose", op, ..] => self.firehose(op, Args::parse(&tokens[3..])),
            ["aws", "s3", "ls", ..] => self.s3_ls(Args::parse(&tokens[3..])),
            ["efo-events", ..] => self.efo_events(Args::parse(&tokens[1..])),
            ["s3-dedupe", ..] => self.s3_dedupe(Args::parse(&tokens[1..])),
            ["loader", sub, ..] => self.loader(sub, Args::parse(&tokens[2..])),
            ["poller", sub, ..] => self.poller(sub, Args::parse(&tokens[2..])),
            ["advance", ..] => self.advance(Args::parse(&tokens[1..])),
            ["now"] => {
                Ok(json!({"Now": self.sim.now().to_rfc3339(), "ElapsedMicros": self.sim.now().0}))
            }
            ["gen", sub, ..] => self.generator(sub, Args::parse(&tokens[2..])),
            ["kcl", sub, ..] => self.kcl(sub, Args::parse(&tokens[2..])),
            ["metrics", ..] => self.metrics(Args::parse(&tokens[1..])),
            ["cost", ..] => self.cost(Args::parse(&tokens[1..])),
            ["capacity", ..] => self.capacity(Args::parse(&tokens[1..])),
            ["fault", sub, ..] => self.fault(sub, Args::parse(&tokens[2..])),
            ["config", ..] => self.config(Args::parse(&tokens[1..])),
            ["help"] => Ok(
                json!({"Commands": COMMANDS.iter().chain(kafka::COMMANDS).map(|(c, a)| json!({"Command": c, "Arguments": a})).collect::<Vec<_>>()}),
            ),
            ["aws", svc, ..] => Err(fail(
                "UsageError",
                format!("unsupported service or command 'aws {svc}': try `help`"),
            )),
            [w, ..] => Err(fail(
                "UsageError",
                format!("unknown command '{w}': try `help`"),
            )),
            [] => Err(fail("UsageError", "empty command")),
        }
    }
}

/// Runs the console: reads one command per line from `input`, writes one JSON object per
/// command to `output`. The same input and seed give byte-identical output.
///
/// ```
/// let script = "aws kinesis create-stream --stream-name s --shard-count 2\n\
///               aws kinesis put-record --stream-name s --partition-key k --data hi\n\
///               advance 30s\n";
/// let mut out = Vec::new();
/// streamdrill_engine::run_console(script.as_bytes(), &mut out, 42).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert_eq!(text.lines().count(), 3);
/// assert!(text.lines().nth(1).unwrap().contains("\"ShardId\":\"shardId-000000000001\""));
/// ```
pub fn run_console(
    mut input: impl BufRead,
    mut output: impl Write,
    seed: u64,
) -> std::io::Result<()> {
    let mut console = Console::new(seed);
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        number += 1;
        // At most LINE_BYTES_MAX + 1 bytes of a line are ever held: a longer one is skipped to
        // its end and answered with an error, so no input line can exhaust memory.
        let read = (&mut input)
            .take(LINE_BYTES_MAX as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        let complete = line.last() == Some(&b'\n');
        let reply = if line.len() > LINE_BYTES_MAX && !complete {
            skip_rest_of_line(&mut input)?;
            Some(error_line(&format!(
                "line {number}: command line longer than {LINE_BYTES_MAX} bytes"
            )))
        } else {
            match std::str::from_utf8(&line) {
                Ok(text) => console.execute(text.trim_end_matches(['\n', '\r'])),
                Err(e) => Some(error_line(&format!(
                    "line {number}: not UTF-8 text (byte 0x{:02x} at byte {} of the line)",
                    line[e.valid_up_to()],
                    e.valid_up_to() + 1
                ))),
            }
        };
        if let Some(r) = reply {
            writeln!(output, "{r}")?;
        }
    }
    output.flush()
}

fn error_line(message: &str) -> String {
    json!({"Error": {"Code": "ParamValidation", "Message": message}}).to_string()
}

fn skip_rest_of_line(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        if let Some(end) = buffer.iter().position(|&b| b == b'\n') {
            input.consume(end + 1);
            return Ok(());
        }
        let all = buffer.len();
        input.consume(all);
    }
}
