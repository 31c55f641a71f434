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

use super::cost::{PriceSheet, Workload, estimate};
use super::faults::FaultPoint;
use super::kinesis::efo::StartingPosition;
use super::kinesis::firehose::{Dedupe, Loader};
use super::kinesis::kcl::{Checkpoint, InitialPosition, KclConfig, Sink};
use super::kinesis::poller::OnExpired;

/// Loaders one console may start.
const LOADERS_MAX: usize = 100;
use super::kinesis::{
    ChildShard, IteratorType, Kinesis, KinesisError, PutRequest, ReadRecord, Shard, Stream,
    StreamMode, parse_hash_key, parse_shard_id, sequence_number, shard_id,
};
use super::metrics::{Metric, MetricSet};
use super::sim::{GeneratorSpec, Sim};
use super::time::{SimDuration, SimTime, parse_timestamp};
use super::workload::{GenMode, KeyDist, SizeDist, parse_bytes};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};

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
        "--bucket B  (records vs unique sequence numbers in a bucket)",
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
        "NAME --stream S --rate 1000/s|5MB/s [--size 1KB|100..2000] [--keys uniform:N|zipf:S:N|hot:FRACTION:N] [--mode record|flow] [--tick 10ms]",
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

/// AWS CLI global options accepted and ignored.
const IGNORED_FLAGS: &[&str] = &[
    "region",
    "output",
    "no-cli-pager",
    "cli-binary-format",
    "profile",
    "no-paginate",
    "endpoint-url",
];

/// A console error: a code and a message for the user.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) code: String,
    pub(crate) message: String,
}

pub(crate) fn fail(code: &str, message: impl Into<String>) -> Fail {
    Fail {
        code: code.to_string(),
        message: message.into(),
    }
}

pub(crate) fn param(message: impl Into<String>) -> Fail {
    fail("ParamValidation", message)
}

impl From<KinesisError> for Fail {
    fn from(e: KinesisError) -> Self {
        Fail {
            code: e.code.name().to_string(),
            message: e.message,
        }
    }
}

pub(crate) type Out = Result<Value, Fail>;

/// Parsed `--flag value...` arguments.
pub(crate) struct Args {
    pub(crate) positional: Vec<String>,
    flags: BTreeMap<String, Vec<String>>,
    used: BTreeSet<String>,
}

impl Args {
    pub(crate) fn parse(tokens: &[String]) -> Args {
        let mut positional = Vec::new();
        let mut flags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut current: Option<String> = None;
        for t in tokens {
            if let Some(name) = t.strip_prefix("--").filter(|n| !n.is_empty()) {
                if let Some((n, v)) = name.split_once('=') {
                    flags.entry(n.to_string()).or_default().push(v.to_string());
                    current = None;
                } else {
                    flags.entry(name.to_string()).or_default();
                    current = Some(name.to_string());
                }
            } else if let Some(c) = &current {
                flags.get_mut(c).expect("flag inserted").push(t.clone());
            } else {
                positional.push(t.clone());
            }
        }
        Args {
            positional,
            flags,
            used: BTreeSet::new(),
        }
    }

    pub(crate) fn values(&mut self, name: &str) -> Vec<String> {
        self.used.insert(name.to_string());
        self.flags.get(name).cloned().unwrap_or_default()
    }

    pub(crate) fn opt(&mut self, name: &str) -> Result<Option<String>, Fail> {
        let v = self.values(name);
        match (self.flags.contains_key(name), v.len()) {
            (false, _) => Ok(None),
            (true, 1) => Ok(v.into_iter().next()),
            (true, 0) => Err(param(format!("argument --{name}: expected one argument"))),
            (true, _) => Err(param(format!(
                "argument --{name}: expected one argument, got {}",
                v.len()
            ))),
        }
    }

    pub(crate) fn req(&mut self, name: &str) -> Result<String, Fail> {
        self.opt(name)?
            .ok_or_else(|| param(format!("the following arguments are required: --{name}")))
    }

    pub(crate) fn flag(&mut self, name: &str) -> bool {
        self.used.insert(name.to_string());
        self.flags.contains_key(name)
    }

    pub(crate) fn num<T: std::str::FromStr>(&mut self, name: &str) -> Result<Option<T>, Fail> {
        match self.opt(name)? {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                param(format!(
                    "invalid value for --{name}: '{v}' is not a valid number"
                ))
            }),
        }
    }

    /// A required numeric option.
    pub(crate) fn req_num<T: std::str::FromStr>(&mut self, name: &str) -> Result<T, Fail> {
        self.num(name)?
            .ok_or_else(|| param(format!("the following arguments are required: --{name}")))
    }

    /// A workload's `--size` (default 1KB).
    pub(crate) fn record_size(&mut self) -> Result<SizeDist, Fail> {
        SizeDist::parse(&self.opt("size")?.unwrap_or_else(|| "1KB".into())).map_err(param)
    }

    /// A workload's `--mode`: `record` (the default) or `flow`.
    pub(crate) fn gen_mode(&mut self) -> Result<GenMode, Fail> {
        match self.opt("mode")?.as_deref() {
            None | Some("record") => Ok(GenMode::Record),
            Some("flow") => Ok(GenMode::Flow),
            Some(m) => Err(param(format!("--mode must be record or flow, not '{m}'"))),
        }
    }

    pub(crate) fn duration(&mut self, name: &str) -> Result<Option<SimDuration>, Fail> {
        self.opt(name)?
            .map(|v| SimDuration::parse(&v).map_err(param))
            .transpose()
    }

    pub(crate) fn finish(self, max_positional: usize) -> Result<(), Fail> {
        let unknown: Vec<String> = self
            .flags
            .keys()
            .filter(|k| !self.used.contains(*k) && !IGNORED_FLAGS.contains(&k.as_str()))
            .map(|k| format!("--{k}"))
            .collect();
        if !unknown.is_empty() {
            return Err(param(format!("Unknown options: {}", unknown.join(", "))));
        }
        if self.positional.len() > max_positional {
            return Err(param(format!(
                "Unexpected arguments: {}",
                self.positional[max_positional..].join(" ")
            )));
        }
        Ok(())
    }
}

/// Parses AWS CLI shorthand (`A=1,B=x,C={D=2,E=3}`) or JSON into a JSON object.
fn shorthand(text: &str) -> Result<Map<String, Value>, Fail> {
    shorthand_at(text, 0)
}

/// Nesting deeper than this is refused (bounds the recursion on hostile input).
const SHORTHAND_DEPTH_MAX: usize = 8;

fn shorthand_at(text: &str, level: usize) -> Result<Map<String, Value>, Fail> {
    if level > SHORTHAND_DEPTH_MAX {
        return Err(param(format!(
            "shorthand nested deeper than {SHORTHAND_DEPTH_MAX} levels"
        )));
    }
    let t = text.trim();
    if t.starts_with('{') && t.contains('"') {
        return match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(param(format!("invalid JSON object: {text}"))),
        };
    }
    let mut out = Map::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = t.as_bytes();
    let mut parts = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth -= 1,
            b',' if depth == 0 => {
                parts.push(&t[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return Err(param(format!("unbalanced braces in '{text}'")));
        }
    }
    if depth != 0 {
        return Err(param(format!("unbalanced braces in '{text}'")));
    }
    parts.push(&t[start..]);
    for p in parts.into_iter().filter(|p| !p.trim().is_empty()) {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| param(format!("expected Key=Value in '{p}'")))?;
        let v = v.trim();
        let value = if let Some(inner) = v.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
            Value::Object(shorthand_at(inner, level + 1)?)
        } else {
            Value::String(v.to_string())
        };
        out.insert(k.trim().to_string(), value);
    }
    Ok(out)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (the AWS CLI prints record data this way).
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of a generated record (not stored; reproduced on read): `key#counter` padded with
/// dots to the record's size.
fn synthetic_data(key: &str, counter: u64, size: u32) -> Vec<u8> {
    let mut v = format!("{key}#{counter}").into_bytes();
    v.resize(size as usize, b'.');
    v
}

fn millis_rfc3339(t: SimTime) -> String {
    SimTime(t.0 / 1000 * 1000).to_rfc3339()
}

fn shard_json(sh: &Shard) -> Value {
    let mut m = Map::new();
    m.insert("ShardId".into(), json!(sh.id()));
    if let Some(p) = sh.parent {
        m.insert("ParentShardId".into(), json!(shard_id(p)));
    }
    if let Some(p) = sh.adjacent_parent {
        m.insert("AdjacentParentShardId".into(), json!(shard_id(p)));
    }
    m.insert(
        "HashKeyRange".into(),
        json!({"StartingHashKey": sh.start.to_string(), "EndingHashKey": sh.end.to_string()}),
    );
    let mut seq = Map::new();
    seq.insert(
        "StartingSequenceNumber".into(),
        json!(sequence_number(sh, sh.base)),
    );
    if sh.closed.is_some() {
        seq.insert(
            "EndingSequenceNumber".into(),
            json!(sequence_number(sh, sh.next.saturating_sub(1).max(sh.base))),
        );
    }
    m.insert("SequenceNumberRange".into(), Value::Object(seq));
    Value::Object(m)
}

fn child_shards_json(children: &[ChildShard]) -> Value {
    Value::Array(
        children
            .iter()
            .map(|c| {
                json!({
                    "ShardId": shard_id(c.shard),
                    "ParentShards": c.parents.iter().map(|p| shard_id(*p)).collect::<Vec<_>>(),
                    "HashKeyRange": {"StartingHashKey": c.start.to_string(), "EndingHashKey": c.end.to_string()},
                })
            })
            .collect(),
    )
}

fn records_json(k: &Kinesis, sh: &Shard, records: &[ReadRecord]) -> Value {
    Value::Array(
        records
            .iter()
            .map(|r| {
                let key = k.keys.name(r.key);
                let data = match &r.data {
                    Some(d) => base64(d),
                    None => base64(&synthetic_data(key, r.counter, r.size)),
                };
                json!({
                    "SequenceNumber": sequence_number(sh, r.counter),
                    "ApproximateArrivalTimestamp": millis_rfc3339(r.arrival),
                    "Data": data,
                    "PartitionKey": key,
                })
            })
            .collect(),
    )
}

pub(crate) fn metrics_json(set: &MetricSet, only: Option<Metric>, from_sec: u64) -> Value {
    let metrics: Vec<Metric> = match only {
        Some(m) => vec![m],
        None => set.present(),
    };
    Value::Array(
        metrics
            .into_iter()
            .map(|m| {
                let series = set.get(m);
                let points: Vec<Value> = series
                    .map(|s| {
                        s.since(from_sec)
                            .map(|(sec, v)| json!({"Timestamp": SimTime::from_secs(sec).to_rfc3339(), "Value": v}))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut v = json!({"Name": m.name(), "Datapoints": points});
                if m.is_gauge() {
                    v["Last"] = json!(series.map_or(0, super::metrics::Series::last));
                    v["Max"] = json!(series.map_or(0, |s| s.max_since(from_sec)));
                } else {
                    v["Total"] = json!(series.map_or(0, super::metrics::Series::total));
                    v["MaxPerSecond"] = json!(series.map_or(0, |s| s.max_since(from_sec)));
                }
                v
            })
            .collect(),
    )
}

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
        Some(value.to_string())
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
        if let Some(out) = super::kafka::console::dispatch(&mut self.sim, tokens) {
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
                json!({"Commands": COMMANDS.iter().chain(super::kafka::console::COMMANDS).map(|(c, a)| json!({"Command": c, "Arguments": a})).collect::<Vec<_>>()}),
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

    fn stream_name(args: &mut Args) -> Result<String, Fail> {
        if let Some(n) = args.opt("stream-name")? {
            return Ok(n);
        }
        if let Some(a) = args.opt("stream-arn")? {
            return Ok(Kinesis::resolve_name(&a).to_string());
        }
        Err(param(
            "the following arguments are required: --stream-name (or --stream-arn)",
        ))
    }

    #[allow(clippy::too_many_lines)]
    fn kinesis(&mut self, op: &str, mut a: Args) -> Out {
        let now = self.sim.now();
        let out = match op {
            "create-stream" => {
                let name = a.req("stream-name")?;
                let count = a.num::<u32>("shard-count")?;
                let mode = match a.opt("stream-mode-details")? {
                    None => StreamMode::Provisioned,
                    Some(d) => match shorthand(&d)?.get("StreamMode").and_then(Value::as_str) {
                        Some("ON_DEMAND") => StreamMode::OnDemand,
                        Some("PROVISIONED") => StreamMode::Provisioned,
                        _ => {
                            return Err(param(
                                "--stream-mode-details must be StreamMode=ON_DEMAND or StreamMode=PROVISIONED",
                            ));
                        }
                    },
                };
                a.finish(0)?;
                self.sim.kinesis.create_stream(&name, count, mode, now)?;
                json!({})
            }
            "delete-stream" => {
                let name = Self::stream_name(&mut a)?;
                a.flag("enforce-consumer-deletion");
                a.finish(0)?;
                self.sim.kinesis.delete_stream(&name)?;
                json!({})
            }
            "list-streams" => {
                a.finish(0)?;
                let names: Vec<&str> = self
                    .sim
                    .kinesis
                    .streams()
                    .map(|s| s.name.as_str())
                    .collect();
                json!({"StreamNames": names, "HasMoreStreams": false})
            }
            "describe-stream-summary" => {
                let name = Self::stream_name(&mut a)?;
                a.finish(0)?;
                let s = self.sim.kinesis.stream(&name)?;
                json!({"StreamDescriptionSummary": summary_json(s)})
            }
            "describe-stream" => {
                let name = Self::stream_name(&mut a)?;
                a.finish(0)?;
                let s = self.sim.kinesis.stream(&name)?;
                let mut d = summary_json(s);
                d["Shards"] = Value::Array(s.listed_shards().map(shard_json).collect());
                d["HasMoreShards"] = json!(false);
                json!({"StreamDescription": d})
            }
            "list-shards" => self.list_shards(a)?,
            "put-record" => {
                let name = Self::stream_name(&mut a)?;
                let key = a.req("partition-key")?;
                let data = a.req("data")?;
                let ehk = a
                    .opt("explicit-hash-key")?
                    .map(|h| parse_hash_key(&h).map_err(param))
                    .transpose()?;
                a.opt("sequence-number-for-ordering")?;
                a.finish(0)?;
                let req = PutRequest {
                    partition_key: key,
                    data: data.into_bytes(),
                    explicit_hash_key: ehk,
                };
                let (shard, seq) =
                    self.sim
                        .kinesis
                        .put_record(&name, &req, now, &mut self.sim.faults)?;
                json!({"ShardId": shard_id(shard), "SequenceNumber": seq, "EncryptionType": "NONE"})
            }
            "put-records" => {
                let name = Self::stream_name(&mut a)?;
                let raw = a.values("records");
                a.finish(0)?;
                let reqs = parse_put_records(&raw)?;
                let results =
                    self.sim
                        .kinesis
                        .put_records(&name, &reqs, now, &mut self.sim.faults)?;
                let failed = results.iter().filter(|r| r.is_err()).count();
                let entries: Vec<Value> = results
                    .into_iter()
                    .map(|r| match r {
                        Ok((shard, seq)) => {
                            json!({"SequenceNumber": seq, "ShardId": shard_id(shard)})
                        }
                        Err(e) => json!({"ErrorCode": e.code.name(), "ErrorMessage": e.message}),
                    })
                    .collect();
                json!({"FailedRecordCount": failed, "Records": entries, "EncryptionType": "NONE"})
            }
            "get-shard-iterator" => {
                let name = Self::stream_name(&mut a)?;
                let shard = a.req("shard-id")?;
                let kind = a.req("shard-iterator-type")?;
                let seq = a.opt("starting-sequence-number")?;
                let ts = a
                    .opt("timestamp")?
                    .map(|t| parse_timestamp(&t).map_err(param))
                    .transpose()?;
                a.finish(0)?;
                let kind = IteratorType::from_parts(&kind, seq.as_deref(), ts)?;
                let it = self
                    .sim
                    .kinesis
                    .get_shard_iterator(&name, &shard, kind, now)?;
                json!({"ShardIterator": it})
            }
            "get-records" => {
                let it = a.req("shard-iterator")?;
                let limit = a.num::<u32>("limit")?;
                a.finish(0)?;
                let out = self
                    .sim
                    .kinesis
                    .get_records(&it, limit, now, &mut self.sim.faults)?;
                let s = self.sim.kinesis.stream(&out.stream)?;
                let sh = &s.shards[out.shard as usize];
                let mut v = json!({
                    "Records": records_json(&self.sim.kinesis, sh, &out.records),
                    "NextShardIterator": out.next_iterator,
                    "MillisBehindLatest": out.millis_behind_latest,
                });
                if !out.child_shards.is_empty() {
                    v["ChildShards"] = child_shards_json(&out.child_shards);
                }
                v
            }
            "split-shard" => {
                let name = Self::stream_name(&mut a)?;
                let shard = a.req("shard-to-split")?;
                let key = a.req("new-starting-hash-key")?;
                a.finish(0)?;
                self.sim.kinesis.split_shard(&name, &shard, &key, now)?;
                json!({})
            }
            "merge-shards" => {
                let name = Self::stream_name(&mut a)?;
                let x = a.req("shard-to-merge")?;
                let y = a.req("adjacent-shard-to-merge")?;
                a.finish(0)?;
                self.sim.kinesis.merge_shards(&name, &x, &y, now)?;
                json!({})
            }
            "update-shard-count" => {
                let name = Self::stream_name(&mut a)?;
                let target = a.num::<u32>("target-shard-count")?.ok_or_else(|| {
                    param("the following arguments are required: --target-shard-count")
                })?;
                let scaling = a
                    .opt("scaling-type")?
                    .unwrap_or_else(|| "UNIFORM_SCALING".into());
                a.finish(0)?;
                if scaling != "UNIFORM_SCALING" {
                    return Err(param("--scaling-type must be UNIFORM_SCALING"));
                }
                let current = self.sim.kinesis.update_shard_count(&name, target, now)?;
                json!({"StreamName": name, "CurrentShardCount": current, "TargetShardCount": target, "StreamARN": super::kinesis::stream_arn(&name)})
            }
            "increase-stream-retention-period" | "decrease-stream-retention-period" => {
                let name = Self::stream_name(&mut a)?;
                let hours = a.num::<u32>("retention-period-hours")?.ok_or_else(|| {
                    param("the following arguments are required: --retention-period-hours")
                })?;
                a.finish(0)?;
                self.sim
                    .kinesis
                    .stream_mut(&name)?
                    .set_retention(hours, op.starts_with("increase"))?;
                json!({})
            }
            "register-stream-consumer" => {
                let name = Self::stream_name(&mut a)?;
                let consumer = a.req("consumer-name")?;
                a.finish(0)?;
                let c = self
                    .sim
                    .kinesis
                    .stream_mut(&name)?
                    .register_consumer(&consumer, now)?;
                json!({"Consumer": consumer_json(c, now)})
            }
            "deregister-stream-consumer" => {
                let (name, c) = Self::consumer_ref(&mut a)?;
                a.finish(0)?;
                self.sim
                    .kinesis
                    .stream_mut(&name)?
                    .deregister_consumer(&c)?;
                json!({})
            }
            "list-stream-consumers" => {
                let name = Self::stream_name(&mut a)?;
                a.finish(0)?;
                let s = self.sim.kinesis.stream(&name)?;
                json!({"Consumers": s.consumers.iter().map(|c| consumer_json(c, now)).collect::<Vec<_>>()})
            }
            "describe-stream-consumer" => {
                let (name, c) = Self::consumer_ref(&mut a)?;
                a.finish(0)?;
                let s = self.sim.kinesis.stream(&name)?;
                let c = &s.consumers[s.consumer_index(&c)?];
                let mut d = consumer_json(c, now);
                d["StreamARN"] = json!(s.arn());
                json!({"ConsumerDescription": d})
            }
            "subscribe-to-shard" => {
                let arn = a.req("consumer-arn")?;
                let shard = a.req("shard-id")?;
                let pos = shorthand(&a.req("starting-position")?)?;
                a.finish(0)?;
                let start = match pos.get("Type").and_then(Value::as_str) {
                    Some("TRIM_HORIZON") => StartingPosition::TrimHorizon,
                    Some("LATEST") => StartingPosition::Latest,
                    Some(t @ ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER")) => {
                        let seq = pos
                            .get("SequenceNumber")
                            .and_then(Value::as_str)
                            .ok_or_else(|| param(format!("{t} needs SequenceNumber=...")))?
                            .to_string();
                        if t == "AT_SEQUENCE_NUMBER" {
                            StartingPosition::AtSequenceNumber(seq)
                        } else {
                            StartingPosition::AfterSequenceNumber(seq)
                        }
                    }
                    Some("AT_TIMESTAMP") => {
                        let ts = pos
                            .get("Timestamp")
                            .and_then(Value::as_str)
                            .ok_or_else(|| param("AT_TIMESTAMP needs Timestamp=..."))?;
                        StartingPosition::AtTimestamp(parse_timestamp(ts).map_err(param)?)
                    }
                    _ => {
                        return Err(param(
                            "--starting-position Type must be one of TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP",
                        ));
                    }
                };
                let name = Kinesis::resolve_name(&arn).to_string();
                let keys = std::mem::take(&mut self.sim.kinesis.keys);
                let res = (|| -> Result<Vec<super::kinesis::efo::SubscribeEvent>, KinesisError> {
                    let s = self.sim.kinesis.stream_mut(&name)?;
                    let ci = s.consumer_index(&arn)?;
                    s.subscribe(ci, &shard, &start, now)?;
                    s.push_efo(now, &|k| keys.len_of(k));
                    let idx = parse_shard_id(&shard).unwrap_or_default();
                    Ok(s.drain_events(ci, idx))
                })();
                self.sim.kinesis.keys = keys;
                let events = res?;
                json!({"EventStream": self.events_json(&name, &events)?})
            }
            other => {
                return Err(fail(
                    "UsageError",
                    format!("unsupported kinesis command '{other}': try `help`"),
                ));
            }
        };
        Ok(out)
    }

    fn consumer_ref(a: &mut Args) -> Result<(String, String), Fail> {
        if let Some(arn) = a.opt("consumer-arn")? {
            return Ok((Kinesis::resolve_name(&arn).to_string(), arn));
        }
        let name = Self::stream_name(a)?;
        Ok((name, a.req("consumer-name")?))
    }

    fn events_json(
        &self,
        stream: &str,
        events: &[super::kinesis::efo::SubscribeEvent],
    ) -> Result<Value, Fail> {
        let s = self.sim.kinesis.stream(stream)?;
        Ok(Value::Array(
            events
                .iter()
                .map(|e| {
                    let sh = &s.shards[e.shard as usize];
                    let mut ev = json!({
                        "Records": records_json(&self.sim.kinesis, sh, &e.records),
                        "ContinuationSequenceNumber": e.continuation_sequence_number,
                        "MillisBehindLatest": e.millis_behind_latest,
                    });
                    if !e.child_shards.is_empty() {
                        ev["ChildShards"] = child_shards_json(&e.child_shards);
                    }
                    json!({"SubscribeToShardEvent": ev})
                })
                .collect(),
        ))
    }

    fn efo_events(&mut self, mut a: Args) -> Out {
        let arn = a.req("consumer-arn")?;
        let shard = a.req("shard-id")?;
        a.finish(0)?;
        let name = Kinesis::resolve_name(&arn).to_string();
        let s = self.sim.kinesis.stream_mut(&name)?;
        let ci = s.consumer_index(&arn)?;
        let idx = s.shard_by_id(&shard)?.index;
        let ended = s.consumers[ci]
            .subscriptions
            .get(&idx)
            .is_none_or(|x| x.ended);
        let events = s.drain_events(ci, idx);
        Ok(json!({"EventStream": self.events_json(&name, &events)?, "SubscriptionEnded": ended}))
    }

    fn list_shards(&mut self, mut a: Args) -> Out {
        let name = Self::stream_name(&mut a)?;
        let filter = a.opt("shard-filter")?.map(|f| shorthand(&f)).transpose()?;
        let max = a.num::<usize>("max-results")?;
        let token = a.opt("next-token")?;
        a.finish(0)?;
        let s = self.sim.kinesis.stream(&name)?;
        let kind = filter
            .as_ref()
            .and_then(|f| f.get("Type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let after = filter
            .as_ref()
            .and_then(|f| f.get("ShardId"))
            .and_then(Value::as_str)
            .and_then(parse_shard_id);
        let shards: Vec<&Shard> = s
            .listed_shards()
            .filter(|sh| match kind {
                "AT_LATEST" => sh.is_open(),
                "AFTER_SHARD_ID" => after.is_some_and(|x| sh.index > x),
                _ => true,
            })
            .collect();
        if ![
            "",
            "AT_LATEST",
            "AFTER_SHARD_ID",
            "AT_TRIM_HORIZON",
            "FROM_TRIM_HORIZON",
            "AT_TIMESTAMP",
            "FROM_TIMESTAMP",
        ]
        .contains(&kind)
        {
            return Err(param(format!("unknown ShardFilter Type '{kind}'")));
        }
        let offset = match token {
            Some(t) => t
                .strip_prefix("offset-")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| fail("InvalidArgumentException", "invalid NextToken"))?,
            None => 0,
        };
        let max = max.unwrap_or(usize::MAX).clamp(1, usize::MAX);
        let page: Vec<Value> = shards
            .iter()
            .skip(offset)
            .take(max)
            .map(|sh| shard_json(sh))
            .collect();
        let mut v = json!({"Shards": page});
        if offset.saturating_add(max) < shards.len() {
            v["NextToken"] = json!(format!("offset-{}", offset + max));
        }
        Ok(v)
    }

    fn firehose(&mut self, op: &str, mut a: Args) -> Out {
        match op {
            "create-delivery-stream" => {
                let name = a.req("delivery-stream-name")?;
                a.opt("delivery-stream-type")?;
                let src = shorthand(&a.req("kinesis-stream-source-configuration")?)?;
                let dest = match a.opt("extended-s3-destination-configuration")? {
                    Some(d) => d,
                    None => a.req("s3-destination-configuration")?,
                };
                a.finish(0)?;
                let dest = shorthand(&dest)?;
                let stream_arn = src
                    .get("KinesisStreamARN")
                    .and_then(Value::as_str)
                    .ok_or_else(|| param("KinesisStreamARN is required"))?;
                let stream = Kinesis::resolve_name(stream_arn).to_string();
                let bucket_arn = dest
                    .get("BucketARN")
                    .and_then(Value::as_str)
                    .ok_or_else(|| param("BucketARN is required"))?;
                let bucket = bucket_arn
                    .strip_prefix("arn:aws:s3:::")
                    .unwrap_or(bucket_arn)
                    .to_string();
                let prefix = dest
                    .get("Prefix")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let hints = dest.get("BufferingHints").and_then(Value::as_object);
                let get = |k: &str, d: u32| -> Result<u32, Fail> {
                    hints.and_then(|h| h.get(k)).map_or(Ok(d), |v| {
                        v.as_str()
                            .map_or_else(
                                || v.as_u64().map(|n| n as u32).ok_or(()),
                                |s| s.parse().map_err(|_| ()),
                            )
                            .map_err(|()| param(format!("{k} must be a number")))
                    })
                };
                let size = get("SizeInMBs", 5)?;
                let interval = get("IntervalInSeconds", 300)?;
                self.sim
                    .create_delivery_stream(
                        &name,
                        &stream,
                        &bucket,
                        &prefix,
                        size,
                        SimDuration::from_secs(u64::from(interval)),
                    )
                    .map_err(|m| fail("InvalidArgumentException", m))?;
                Ok(
                    json!({"DeliveryStreamARN": format!("arn:aws:firehose:{}:{}:deliverystream/{name}", super::kinesis::REGION, super::kinesis::ACCOUNT_ID)}),
                )
            }
            "describe-delivery-stream" => {
                let name = a.req("delivery-stream-name")?;
                a.finish(0)?;
                let f = self.sim.firehoses.get(&name).ok_or_else(|| {
                    fail(
                        "ResourceNotFoundException",
                        format!("Firehose {name} not found"),
                    )
                })?;
                let (recs, bytes) = f.buffered();
                Ok(json!({"DeliveryStreamDescription": {
                    "DeliveryStreamName": f.name,
                    "DeliveryStreamStatus": "ACTIVE",
                    "DeliveryStreamType": "KinesisStreamAsSource",
                    "Source": {"KinesisStreamSourceDescription": {"KinesisStreamARN": super::kinesis::stream_arn(&f.source_stream)}},
                    "Destinations": [{"ExtendedS3DestinationDescription": {
                        "BucketARN": format!("arn:aws:s3:::{}", f.bucket),
                        "Prefix": f.prefix,
                        "BufferingHints": {"SizeInMBs": f.buffer_size_bytes / 1_048_576, "IntervalInSeconds": f.buffer_interval.0 / 1_000_000},
                    }}],
                    "CreateTimestamp": f.created.to_rfc3339(),
                    "BufferedRecords": recs,
                    "BufferedBytes": bytes,
                }}))
            }
            other => Err(fail(
                "UsageError",
                format!("unsupported firehose command '{other}': try `help`"),
            )),
        }
    }

    fn s3_ls(&mut self, mut a: Args) -> Out {
        a.flag("recursive");
        let target = a
            .positional
            .first()
            .cloned()
            .ok_or_else(|| param("usage: aws s3 ls s3://BUCKET [--recursive]"))?;
        a.finish(1)?;
        let bucket = target
            .strip_prefix("s3://")
            .unwrap_or(&target)
            .trim_end_matches('/');
        let objs = self.sim.s3.buckets.get(bucket).ok_or_else(|| {
            fail(
                "NoSuchBucket",
                format!("The specified bucket does not exist: {bucket}"),
            )
        })?;
        Ok(json!({"Objects": objs.iter().map(|o| json!({
            "Key": o.key, "Size": o.size, "LastModified": o.last_modified.to_rfc3339(), "RecordCount": o.records.len(),
            "FirstSequenceNumber": o.records.first().map(|r| r.sequence_number.clone()),
            "LastSequenceNumber": o.records.last().map(|r| r.sequence_number.clone()),
        })).collect::<Vec<_>>()}))
    }

    fn loader(&mut self, sub: &str, mut a: Args) -> Out {
        let name = a.req("name")?;
        let dedupe = a
            .opt("dedupe")?
            .map(|d| {
                Dedupe::parse(&d).ok_or_else(|| {
                    param("--dedupe must be none, object-key, sequence-number or partition-key")
                })
            })
            .transpose()?;
        match sub {
            "start" => {
                let bucket = a.req("bucket")?;
                a.finish(0)?;
                if self.sim.loaders.contains_key(&name) {
                    return Err(fail(
                        "ResourceInUseException",
                        format!("loader {name} already exists"),
                    ));
                }
                if self.sim.loaders.len() >= LOADERS_MAX {
                    return Err(fail(
                        "LimitExceededException",
                        format!("at most {LOADERS_MAX} loaders"),
                    ));
                }
                let l = Loader::new(&name, &bucket, dedupe.unwrap_or(Dedupe::None));
                self.sim.loaders.insert(name.clone(), l);
            }
            "configure" => {
                a.finish(0)?;
                let d = dedupe
                    .ok_or_else(|| param("the following arguments are required: --dedupe"))?;
                self.loader_mut(&name)?.dedupe = d;
            }
            "status" => {
                a.finish(0)?;
            }
            other => {
                return Err(fail(
                    "UsageError",
                    format!("unknown loader command '{other}': use start, configure or status"),
                ));
            }
        }
        let l = self.loader_mut(&name)?;
        Ok(json!({
            "Loader": l.name,
            "Bucket": l.bucket,
            "Dedupe": l.dedupe.name(),
            "RowsLoaded": l.rows_total,
            "DuplicateRows": l.duplicate_rows_total,
        }))
    }

    fn poller(&mut self, sub: &str, mut a: Args) -> Out {
        let name = a.req("name")?;
        let poll = a
            .duration("poll")?
            .map(|d| d.max(SimDuration::from_millis(200)));
        let on_expired = a
            .opt("on-expired")?
            .map(|o| {
                OnExpired::parse(&o).ok_or_else(|| {
                    param("--on-expired must be fail, latest, trim-horizon or after-last")
                })
            })
            .transpose()?;
        match sub {
            "start" => {
                let stream = a.req("stream")?;
                let shard = a.req("shard-id")?;
                a.finish(0)?;
                self.sim
                    .poller_start(
                        &name,
                        &stream,
                        &shard,
                        poll.unwrap_or(SimDuration::from_secs(1)),
                        on_expired.unwrap_or(OnExpired::Fail),
                    )
                    .map_err(|m| fail("InvalidArgumentException", m))?;
            }
            "configure" => {
                a.finish(0)?;
                let now = self.sim.now();
                self.sim
                    .pollers
                    .get_mut(&name)
                    .ok_or_else(|| fail("ResourceNotFoundException", format!("no poller {name}")))?
                    .configure(poll, on_expired, now);
            }
            "status" => a.finish(0)?,
            other => {
                return Err(fail(
                    "UsageError",
                    format!("unknown poller command '{other}': use start, configure or status"),
                ));
            }
        }
        let p = self
            .sim
            .pollers
            .get(&name)
            .ok_or_else(|| fail("ResourceNotFoundException", format!("no poller {name}")))?;
        Ok(json!({
            "Poller": p.name,
            "Stream": p.stream,
            "ShardId": shard_id(p.shard),
            "Running": p.running,
            "PollMillis": p.poll.as_millis(),
            "OnExpired": p.on_expired.name(),
            "RecordsRead": p.metrics.total(Metric::PollerRecordsRead),
            "RecordsSkipped": p.metrics.total(Metric::PollerRecordsSkipped),
            "RecordsDuplicated": p.metrics.total(Metric::PollerRecordsDuplicated),
            "ExpiredIterators": p.metrics.total(Metric::PollerExpiredIterators),
            "LastError": p.last_error,
        }))
    }

    fn loader_mut(&mut self, name: &str) -> Result<&mut Loader, Fail> {
        self.sim
            .loaders
            .get_mut(name)
            .ok_or_else(|| fail("ResourceNotFoundException", format!("no loader {name}")))
    }

    fn s3_dedupe(&mut self, mut a: Args) -> Out {
        let bucket = a.req("bucket")?;
        a.finish(0)?;
        let (objects, records, unique) = self.sim.s3.dedupe_stats(&bucket).ok_or_else(|| {
            fail(
                "NoSuchBucket",
                format!("The specified bucket does not exist: {bucket}"),
            )
        })?;
        Ok(
            json!({"Bucket": bucket, "Objects": objects, "Records": records, "UniqueSequenceNumbers": unique, "DuplicateRecords": records - unique}),
        )
    }

    fn advance(&mut self, a: Args) -> Out {
        let text = a
            .positional
            .first()
            .cloned()
            .ok_or_else(|| param("usage: advance DURATION (e.g. 30s)"))?;
        let d = SimDuration::parse(&text).map_err(param)?;
        a.finish(1)?;
        let events = self
            .sim
            .advance(d)
            .map_err(|m| fail("SimulationLimit", m))?;
        Ok(json!({"Now": self.sim.now().to_rfc3339(), "Advanced": d.to_string(), "Events": events}))
    }

    fn generator(&mut self, sub: &str, mut a: Args) -> Out {
        match sub {
            "start" => {
                let name = a
                    .positional
                    .first()
                    .cloned()
                    .ok_or_else(|| param("usage: gen start NAME --stream S --rate R"))?;
                let stream = a.req("stream")?;
                let rate = a.req("rate")?;
                let size = a.record_size()?;
                let keys = KeyDist::parse(&a.opt("keys")?.unwrap_or_else(|| "uniform:1000".into()))
                    .map_err(param)?;
                let mode = a.gen_mode()?;
                let tick = a.duration("tick")?.unwrap_or(SimDuration::from_millis(10));
                a.finish(1)?;
                let rate_per_sec = parse_rate(&rate, size)?;
                let spec = GeneratorSpec {
                    name: name.clone(),
                    stream,
                    rate_per_sec,
                    size,
                    keys,
                    mode,
                    tick,
                };
                let v = gen_json(&spec, &super::sim::GeneratorStats::default());
                self.sim
                    .start_generator(spec)
                    .map_err(|m| fail("InvalidArgumentException", m))?;
                Ok(json!({"Generator": v}))
            }
            "stop" => {
                let name = a
                    .positional
                    .first()
                    .cloned()
                    .ok_or_else(|| param("usage: gen stop NAME"))?;
                a.finish(1)?;
                let spec = self.sim.generators.get(&name).map(|g| g.spec.clone());
                let stats = self
                    .sim
                    .stop_generator(&name)
                    .map_err(|m| fail("ResourceNotFoundException", m))?;
                Ok(json!({"Stopped": gen_json(&spec.expect("existed"), &stats)}))
            }
            "list" => {
                a.finish(0)?;
                Ok(
                    json!({"Generators": self.sim.generators.values().map(|g| gen_json(&g.spec, &g.stats)).collect::<Vec<_>>()}),
                )
            }
            other => Err(fail(
                "UsageError",
                format!("unknown gen command '{other}': use start, stop or list"),
            )),
        }
    }

    #[allow(clippy::too_many_lines)]
    fn kcl(&mut self, sub: &str, mut a: Args) -> Out {
        let app = a.req("app")?;
        match sub {
            "start" => {
                let stream = a.req("stream")?;
                let worker = a.req("worker")?;
                let mut cfg = KclConfig::default();
                if let Some(p) = a.opt("initial-position")? {
                    cfg.initial_position = match p.as_str() {
                        "TRIM_HORIZON" => InitialPosition::TrimHorizon,
                        "LATEST" => InitialPosition::Latest,
                        _ => {
                            return Err(param("--initial-position must be TRIM_HORIZON or LATEST"));
                        }
                    };
                }
                if let Some(n) = a.num::<u64>("checkpoint-every")? {
                    cfg.checkpoint_every = n;
                }
                if let Some(d) = a.duration("failover")? {
                    cfg.failover = d.max(SimDuration::from_millis(100));
                }
                if let Some(d) = a.duration("poll")? {
                    cfg.poll_interval = d.max(SimDuration::from_millis(10));
                }
                if let Some(n) = a.num::<u32>("max-records")? {
                    cfg.max_records = n.clamp(1, 10_000);
                }
                if let Some(sink) = a.opt("sink")? {
                    cfg.sink = parse_sink(&sink)?;
                }
                a.finish(0)?;
                let cfg = (!self.sim.kcl.contains_key(&app) || cfg != KclConfig::default())
                    .then_some(cfg);
                self.sim
                    .kcl_start(&app, &stream, &worker, cfg)
                    .map_err(|m| fail("InvalidArgumentException", m))?;
                Ok(json!({"Application": app, "Worker": worker, "Status": "RUNNING"}))
            }
            "configure" => {
                let sink = a.opt("sink")?.map(|s| parse_sink(&s)).transpose()?;
                let every = a.num::<u64>("checkpoint-every")?;
                a.finish(0)?;
                let k = self.sim.kcl.get_mut(&app).ok_or_else(|| {
                    fail(
                        "ResourceNotFoundException",
                        format!("no KCL application {app}"),
                    )
                })?;
                if let Some(sink) = sink {
                    k.config.sink = sink;
                }
                if let Some(n) = every {
                    k.config.checkpoint_every = n;
                }
                Ok(json!({
                    "Application": app,
                    "Sink": sink_name(k.config.sink),
                    "CheckpointEvery": k.config.checkpoint_every,
                }))
            }
            "kill" => {
                let worker = a.req("worker")?;
                a.finish(0)?;
                self.sim
                    .kcl_kill(&app, &worker)
                    .map_err(|m| fail("InvalidArgumentException", m))?;
                Ok(json!({"Application": app, "Worker": worker, "Status": "KILLED"}))
            }
            "leases" => {
                a.finish(0)?;
                let k = self.kcl_app(&app)?;
                let now = self.sim.now();
                let rows: Vec<Value> = k
                    .leases
                    .values()
                    .map(|l| {
                        json!({
                            "leaseKey": shard_id(l.shard),
                            "leaseOwner": l.owner,
                            "leaseCounter": l.counter,
                            "checkpoint": k.checkpoint_text(&self.sim.kinesis, l),
                            "parentShardId": l.parents.iter().map(|p| shard_id(*p)).collect::<Vec<_>>(),
                            "ownerSwitchesSinceCheckpoint": l.owner_switches_since_checkpoint,
                            "expired": l.checkpoint != Checkpoint::ShardEnd && (l.owner.is_none() || l.renewed_at + k.config.failover <= now),
                        })
                    })
                    .collect();
                Ok(json!({"Application": app, "Leases": rows}))
            }
            "status" => {
                a.finish(0)?;
                let k = self.kcl_app(&app)?;
                let tail: Vec<&String> = k.log.iter().rev().take(20).rev().collect();
                Ok(json!({
                    "Application": app,
                    "Stream": k.stream,
                    "Workers": k.workers.values().map(|w| json!({"WorkerId": w.id, "Alive": w.alive, "Leases": k.leases.values().filter(|l| l.owner.as_deref() == Some(w.id.as_str()) && l.checkpoint != Checkpoint::ShardEnd).count()})).collect::<Vec<_>>(),
                    "RecordsProcessed": k.processed_total,
                    "RecordsReprocessed": k.reprocessed_total,
                    "Sink": sink_name(k.config.sink),
                    "CheckpointEvery": k.config.checkpoint_every,
                    "Log": tail,
                }))
            }
            "processed" => {
                let last = a.num::<usize>("last")?.unwrap_or(20).min(10_000);
                a.finish(0)?;
                let k = self.kcl_app(&app)?;
                let s = self.sim.kinesis.stream(&k.stream)?;
                let from = k.processed.len().saturating_sub(last);
                let rows: Vec<Value> = k.processed[from..]
                    .iter()
                    .map(|p| {
                        json!({
                            "Worker": k.worker_names.get(p.worker as usize),
                            "ShardId": shard_id(p.shard),
                            "SequenceNumber": s.shards.get(p.shard as usize).map(|sh| sequence_number(sh, p.counter)),
                            "PartitionKey": self.sim.kinesis.keys.name(p.key),
                            "At": p.at.to_rfc3339(),
                            "Reprocessed": p.again,
                        })
                    })
                    .collect();
                Ok(
                    json!({"Application": app, "RecordsProcessed": k.processed_total, "RecordsReprocessed": k.reprocessed_total, "Records": rows}),
                )
            }
            other => Err(fail(
                "UsageError",
                format!(
                    "unknown kcl command '{other}': use start, configure, kill, leases, status or processed"
                ),
            )),
        }
    }

    fn kcl_app(&self, app: &str) -> Result<&super::kinesis::kcl::KclApp, Fail> {
        self.sim.kcl.get(app).ok_or_else(|| {
            fail(
                "ResourceNotFoundException",
                format!("no KCL application named {app}"),
            )
        })
    }

    fn metrics(&mut self, mut a: Args) -> Out {
        let metric = a
            .opt("metric")?
            .map(|m| {
                Metric::parse(&m).ok_or_else(|| {
                    param(format!(
                        "unknown metric '{m}'; known: {}",
                        Metric::ALL.map(Metric::name).join(", ")
                    ))
                })
            })
            .transpose()?;
        let last = a.duration("last")?.unwrap_or(SimDuration::from_secs(60));
        let from_sec = self.sim.now().saturating_sub(last).as_secs();
        let stream = a.opt("stream-name")?.or(a.opt("stream")?);
        let shard = a.opt("shard-id")?.or(a.opt("shard")?);
        let app = a.opt("app")?;
        let consumer = a.opt("consumer-arn")?;
        let firehose = a.opt("delivery-stream-name")?;
        let loader = a.opt("loader")?;
        let poller = a.opt("poller")?;
        let by_shard = a.flag("by-shard");
        a.finish(0)?;
        if by_shard {
            let stream = stream.ok_or_else(|| param("--by-shard needs --stream S"))?;
            return self.metrics_by_shard(&stream, from_sec);
        }
        let (scope, set) = if let Some(app) = app {
            (format!("kcl {app}"), &self.kcl_app(&app)?.metrics)
        } else if let Some(arn) = consumer {
            let s = self.sim.kinesis.stream(Kinesis::resolve_name(&arn))?;
            (
                format!("consumer {arn}"),
                &s.consumers[s.consumer_index(&arn)?].metrics,
            )
        } else if let Some(f) = firehose {
            (
                format!("firehose {f}"),
                &self
                    .sim
                    .firehoses
                    .get(&f)
                    .ok_or_else(|| {
                        fail(
                            "ResourceNotFoundException",
                            format!("Firehose {f} not found"),
                        )
                    })?
                    .metrics,
            )
        } else if let Some(l) = loader {
            let set = &self
                .sim
                .loaders
                .get(&l)
                .ok_or_else(|| fail("ResourceNotFoundException", format!("no loader {l}")))?
                .metrics;
            (format!("loader {l}"), set)
        } else if let Some(p) = poller {
            let set = &self
                .sim
                .pollers
                .get(&p)
                .ok_or_else(|| fail("ResourceNotFoundException", format!("no poller {p}")))?
                .metrics;
            (format!("poller {p}"), set)
        } else if let Some(stream) = stream {
            let s = self.sim.kinesis.stream(&stream)?;
            match shard {
                Some(id) => (
                    format!("stream {stream} shard {id}"),
                    &s.shard_by_id(&id)?.metrics,
                ),
                None => (format!("stream {stream}"), &s.metrics),
            }
        } else {
            return Err(param(
                "metrics needs --stream S [--shard ID], --app A, --consumer-arn ARN, --delivery-stream-name F, --loader L or --poller C",
            ));
        };
        Ok(
            json!({"Scope": scope, "Since": SimTime::from_secs(from_sec).to_rfc3339(), "Metrics": metrics_json(set, metric, from_sec)}),
        )
    }

    /// Per-shard sums over the window, to find a hot shard.
    fn metrics_by_shard(&self, stream: &str, from_sec: u64) -> Out {
        let s = self.sim.kinesis.stream(stream)?;
        let sum = |set: &MetricSet, m: Metric| {
            set.get(m)
                .map_or(0, |x| x.since(from_sec).map(|(_, v)| v).sum::<u64>())
        };
        let mut hottest: Option<(u64, String)> = None;
        let rows: Vec<Value> = s
            .listed_shards()
            .map(|sh| {
                let incoming = sum(&sh.metrics, Metric::IncomingRecords);
                let throttled = sum(&sh.metrics, Metric::WriteProvisionedThroughputExceeded);
                if hottest.as_ref().is_none_or(|(h, _)| incoming + throttled > *h) {
                    hottest = Some((incoming + throttled, sh.id()));
                }
                json!({
                    "ShardId": sh.id(),
                    "Open": sh.is_open(),
                    "IncomingRecords": incoming,
                    "IncomingBytes": sum(&sh.metrics, Metric::IncomingBytes),
                    "WriteProvisionedThroughputExceeded": throttled,
                    "ReadProvisionedThroughputExceeded": sum(&sh.metrics, Metric::ReadProvisionedThroughputExceeded),
                })
            })
            .collect();
        Ok(json!({
            "Scope": format!("stream {stream} by shard"),
            "Since": SimTime::from_secs(from_sec).to_rfc3339(),
            "Shards": rows,
            "HottestShard": hottest.map(|(_, id)| id),
        }))
    }

    fn cost(&mut self, mut a: Args) -> Out {
        let throughput = a.opt("throughput")?;
        let stream = a.opt("stream")?.or(a.opt("stream-name")?);
        let window = a.duration("window")?.unwrap_or(SimDuration::from_secs(60));
        let record = a
            .opt("record-size")?
            .map(|r| parse_bytes(&r).map_err(param))
            .transpose()?;
        let retention = a.num::<u32>("retention-hours")?;
        let efo = a.num::<u32>("efo-consumers")?.unwrap_or(0);
        let consumers = a.num::<u32>("consumers")?.unwrap_or(1);
        let headroom = a.num::<f64>("headroom")?.unwrap_or(0.0);
        a.finish(0)?;
        let mut w = match (throughput, stream) {
            (Some(t), None) => {
                Workload::new(parse_bytes(t.trim_end_matches("/s")).map_err(param)? as f64)
            }
            (None, Some(s)) => {
                let st = self.sim.kinesis.stream(&s)?;
                let from = self.sim.now().saturating_sub(window).as_secs();
                let secs = (window.0 / 1_000_000).max(1) as f64;
                let sum = |m: Metric| {
                    st.metrics
                        .get(m)
                        .map_or(0, |x| x.since(from).map(|(_, v)| v).sum::<u64>())
                };
                let (bytes, recs) = (sum(Metric::IncomingBytes), sum(Metric::IncomingRecords));
                let mut w = Workload::new(bytes as f64 / secs);
                w.record_size_bytes = bytes.checked_div(recs).unwrap_or(1000);
                w.retention_hours = st.retention_hours;
                w
            }
            _ => {
                return Err(param(
                    "cost needs exactly one of --throughput (e.g. 100MB/s) or --stream S",
                ));
            }
        };
        if !(0.0..=1e13).contains(&w.bytes_per_sec) || !(0.0..=10.0).contains(&headroom) {
            return Err(param("throughput or headroom out of range"));
        }
        if let Some(r) = record {
            w.record_size_bytes = r.clamp(1, 1_048_576);
        }
        if let Some(h) = retention {
            w.retention_hours = h.clamp(24, 8760);
        }
        w.efo_consumers = efo.min(20);
        w.polling_consumers = consumers.min(1000);
        w.headroom = headroom;
        Ok(estimate(&self.prices, &w))
    }

    fn capacity(&mut self, mut a: Args) -> Out {
        let name = a
            .opt("stream")?
            .or(a.opt("stream-name")?)
            .ok_or_else(|| param("usage: capacity --stream S"))?;
        a.finish(0)?;
        let s = self.sim.kinesis.stream(&name)?;
        let open = s.open_shards().len() as u64;
        let shard_w = (open * 1_048_576, open * 1_000);
        let mut v = json!({
            "StreamName": name,
            "StreamMode": s.mode.name(),
            "OpenShardCount": open,
            "ShardWriteBytesPerSecond": shard_w.0,
            "ShardWriteRecordsPerSecond": shard_w.1,
            "ShardReadBytesPerSecond": open * 2 * 1_048_576,
        });
        if let Some(od) = &s.on_demand {
            let (pb, pr) = od.peak();
            v["OnDemand"] = json!({
                "WriteBytesPerSecond": od.cap_bytes_per_sec,
                "WriteRecordsPerSecond": od.cap_records_per_sec,
                "ReadBytesPerSecond": 2 * od.cap_bytes_per_sec,
                "PeakBytesPerSecond30d": pb,
                "PeakRecordsPerSecond30d": pr,
            });
        }
        Ok(v)
    }

    fn fault(&mut self, sub: &str, mut a: Args) -> Out {
        match sub {
            "inject" => {
                let name = a.positional.first().cloned().ok_or_else(|| {
                    param("usage: fault inject POINT [--probability P] [--count N]")
                })?;
                let point = FaultPoint::parse(&name).ok_or_else(|| {
                    param(format!(
                        "unknown fault point '{name}'; known: {}",
                        FaultPoint::ALL.map(FaultPoint::name).join(", ")
                    ))
                })?;
                let p = a.num::<f64>("probability")?.unwrap_or(1.0);
                let count = a.num::<u64>("count")?;
                a.finish(1)?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(param("--probability must be between 0 and 1"));
                }
                self.sim.faults.arm(point, p, count);
                Ok(json!({"Fault": point.name(), "Probability": p, "Count": count}))
            }
            "clear" => {
                let point = match a.positional.first() {
                    Some(n) => Some(
                        FaultPoint::parse(n)
                            .ok_or_else(|| param(format!("unknown fault point '{n}'")))?,
                    ),
                    None => None,
                };
                a.finish(1)?;
                self.sim.faults.clear(point);
                Ok(json!({"Cleared": point.map_or("all", FaultPoint::name)}))
            }
            "list" => {
                a.finish(0)?;
                Ok(
                    json!({"Faults": self.sim.faults.rules().iter().map(|r| json!({"Fault": r.point.name(), "Probability": r.probability, "Remaining": r.remaining, "Fired": r.fired})).collect::<Vec<_>>()}),
                )
            }
            other => Err(fail(
                "UsageError",
                format!("unknown fault command '{other}': use inject, clear or list"),
            )),
        }
    }

    fn config(&mut self, mut a: Args) -> Out {
        if let Some(d) = a.duration("reshard-delay")? {
            self.sim.kinesis.reshard_delay = d;
        }
        a.finish(0)?;
        Ok(
            json!({"ReshardDelay": self.sim.kinesis.reshard_delay.to_string(), "Seed": self.sim.seed}),
        )
    }
}

fn summary_json(s: &Stream) -> Value {
    json!({
        "StreamName": s.name,
        "StreamARN": s.arn(),
        "StreamStatus": s.status().name(),
        "StreamModeDetails": {"StreamMode": s.mode.name()},
        "RetentionPeriodHours": s.retention_hours,
        "StreamCreationTimestamp": s.created.to_rfc3339(),
        "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
        "EncryptionType": "NONE",
        "OpenShardCount": s.open_shards().len(),
        "ConsumerCount": s.consumers.len(),
    })
}

fn consumer_json(c: &super::kinesis::efo::Consumer, now: SimTime) -> Value {
    json!({
        "ConsumerName": c.name,
        "ConsumerARN": c.arn,
        "ConsumerStatus": c.status(now),
        "ConsumerCreationTimestamp": c.created.to_rfc3339(),
    })
}

fn gen_json(spec: &GeneratorSpec, stats: &super::sim::GeneratorStats) -> Value {
    json!({
        "Name": spec.name,
        "Stream": spec.stream,
        "RecordsPerSecond": spec.rate_per_sec,
        "Size": spec.size.describe(),
        "Keys": spec.keys.describe(),
        "Mode": match spec.mode { GenMode::Record => "record", GenMode::Flow => "flow" },
        "Offered": stats.offered,
        "Accepted": stats.accepted,
        "Throttled": stats.throttled,
        "Failed": stats.failed,
    })
}

/// `1000`, `1000/s` (records per second) or `5MB/s` (bytes per second at the mean size).
/// A workload's rate: records per second (`1000/s`) or bytes per second (`5MB/s`) turned into
/// records of the workload's mean size.
pub(crate) fn parse_rate(text: &str, size: SizeDist) -> Result<u64, Fail> {
    let t = text.trim().trim_end_matches("/s");
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    let bytes = parse_bytes(t)
        .map_err(|_| param(format!("invalid --rate '{text}': use e.g. 1000/s or 5MB/s")))?;
    Ok((bytes as f64 / size.mean().max(1.0)).round() as u64)
}

fn parse_put_records(raw: &[String]) -> Result<Vec<PutRequest>, Fail> {
    if raw.is_empty() {
        return Err(param("the following arguments are required: --records"));
    }
    let entries: Vec<Map<String, Value>> = if raw.len() == 1 && raw[0].trim_start().starts_with('[')
    {
        match serde_json::from_str::<Value>(&raw[0]) {
            Ok(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::Object(m) => Ok(m),
                    _ => Err(param(
                        "each record must be an object with Data and PartitionKey",
                    )),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(param("--records: invalid JSON array")),
        }
    } else {
        raw.iter().map(|r| shorthand(r)).collect::<Result<_, _>>()?
    };
    entries
        .into_iter()
        .map(|m| {
            let key = m
                .get("PartitionKey")
                .and_then(Value::as_str)
                .ok_or_else(|| param("each record needs PartitionKey"))?;
            let data = m
                .get("Data")
                .and_then(Value::as_str)
                .ok_or_else(|| param("each record needs Data"))?;
            let ehk = m
                .get("ExplicitHashKey")
                .and_then(Value::as_str)
                .map(|h| parse_hash_key(h).map_err(param))
                .transpose()?;
            Ok(PutRequest {
                partition_key: key.to_string(),
                data: data.as_bytes().to_vec(),
                explicit_hash_key: ehk,
            })
        })
        .collect()
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
pub fn run_console(input: impl BufRead, mut output: impl Write, seed: u64) -> std::io::Result<()> {
    let mut console = Console::new(seed);
    for line in input.lines() {
        let line = line?;
        let reply = if line.len() > LINE_BYTES_MAX {
            Some(json!({"Error": {"Code": "ParamValidation", "Message": format!("command line longer than {LINE_BYTES_MAX} bytes")}}).to_string())
        } else {
            console.execute(&line)
        };
        if let Some(r) = reply {
            writeln!(output, "{r}")?;
        }
    }
    output.flush()
}

fn parse_sink(text: &str) -> Result<Sink, Fail> {
    match text {
        "at-least-once" => Ok(Sink::AtLeastOnce),
        "idempotent" => Ok(Sink::IdempotentBySequence),
        _ => Err(param("--sink must be at-least-once or idempotent")),
    }
}

fn sink_name(sink: Sink) -> &'static str {
    match sink {
        Sink::AtLeastOnce => "at-least-once",
        Sink::IdempotentBySequence => "idempotent",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn shorthand_nested() {
        let m =
            shorthand("BucketARN=arn:aws:s3:::b,BufferingHints={SizeInMBs=1,IntervalInSeconds=60}")
                .unwrap();
        assert_eq!(m["BucketARN"], "arn:aws:s3:::b");
        assert_eq!(m["BufferingHints"]["IntervalInSeconds"], "60");
    }
}
