//! The Kinesis commands of the console: the `aws kinesis` API (shaped like the AWS CLI, with
//! output keys as it prints them), `efo-events`, workload generators (`gen`) and hand-written
//! polling consumers (`poller`).

use super::Console;
use super::args::{Args, Fail, Out, fail, param, parse_rate, shorthand};
use super::output::{base64, cli_timestamps};
use crate::api::kinesis::{self as api, unix_seconds};
use crate::kinesis::poller::OnExpired;
use crate::kinesis::{Kinesis, parse_hash_key, shard_id, stream_arn};
use crate::metrics::Metric;
use crate::sim::GeneratorSpec;
use crate::time::{SimDuration, parse_timestamp};
use crate::workload::{GenMode, KeyDist};
use serde_json::{Map, Value, json};

impl Console {
    /// `--stream-name S` or `--stream-arn ARN`, as the request member AWS names.
    fn stream_member(args: &mut Args, request: &mut Map<String, Value>) -> Result<(), Fail> {
        if let Some(n) = args.opt("stream-name")? {
            request.insert("StreamName".into(), json!(n));
        } else if let Some(a) = args.opt("stream-arn")? {
            request.insert("StreamARN".into(), json!(a));
        } else {
            return Err(param(
                "the following arguments are required: --stream-name (or --stream-arn)",
            ));
        }
        Ok(())
    }

    /// Runs an `aws kinesis` command: the arguments become the request the AWS CLI would send,
    /// answered by the same API the HTTP front door serves, and printed as the CLI prints it
    /// (timestamps as RFC 3339 text).
    #[allow(clippy::too_many_lines)] // one arm per command, each a few lines
    pub(super) fn kinesis(&mut self, op: &str, mut a: Args) -> Out {
        let operation = operation_name(op).ok_or_else(|| {
            fail(
                "UsageError",
                format!("unsupported kinesis command '{op}': try `help`"),
            )
        })?;
        let mut r = Map::new();
        match op {
            "create-stream" => {
                r.insert("StreamName".into(), json!(a.req("stream-name")?));
                if let Some(n) = a.num::<u32>("shard-count")? {
                    r.insert("ShardCount".into(), json!(n));
                }
                if let Some(d) = a.opt("stream-mode-details")? {
                    match shorthand(&d)?.get("StreamMode").and_then(Value::as_str) {
                        Some(mode @ ("ON_DEMAND" | "PROVISIONED")) => {
                            r.insert("StreamModeDetails".into(), json!({"StreamMode": mode}));
                        }
                        _ => {
                            return Err(param(
                                "--stream-mode-details must be StreamMode=ON_DEMAND or StreamMode=PROVISIONED",
                            ));
                        }
                    }
                }
            }
            "delete-stream" => {
                Self::stream_member(&mut a, &mut r)?;
                if a.flag("enforce-consumer-deletion") {
                    r.insert("EnforceConsumerDeletion".into(), json!(true));
                }
            }
            "list-streams" => {}
            "describe-stream-summary" | "describe-stream" => Self::stream_member(&mut a, &mut r)?,
            "list-shards" => {
                Self::stream_member(&mut a, &mut r)?;
                if let Some(f) = a.opt("shard-filter")? {
                    r.insert("ShardFilter".into(), Value::Object(shorthand(&f)?));
                }
                if let Some(n) = a.num::<u32>("max-results")? {
                    r.insert("MaxResults".into(), json!(n));
                }
                if let Some(t) = a.opt("next-token")? {
                    r.insert("NextToken".into(), json!(t));
                }
            }
            "put-record" => {
                Self::stream_member(&mut a, &mut r)?;
                r.insert("PartitionKey".into(), json!(a.req("partition-key")?));
                r.insert("Data".into(), json!(base64(a.req("data")?.as_bytes())));
                if let Some(h) = a.opt("explicit-hash-key")? {
                    parse_hash_key(&h).map_err(param)?;
                    r.insert("ExplicitHashKey".into(), json!(h));
                }
                a.opt("sequence-number-for-ordering")?;
            }
            "put-records" => {
                Self::stream_member(&mut a, &mut r)?;
                let raw = a.values("records");
                r.insert("Records".into(), Value::Array(parse_put_records(&raw)?));
            }
            "get-shard-iterator" => {
                Self::stream_member(&mut a, &mut r)?;
                r.insert("ShardId".into(), json!(a.req("shard-id")?));
                r.insert(
                    "ShardIteratorType".into(),
                    json!(a.req("shard-iterator-type")?),
                );
                if let Some(seq) = a.opt("starting-sequence-number")? {
                    r.insert("StartingSequenceNumber".into(), json!(seq));
                }
                if let Some(t) = a.opt("timestamp")? {
                    let t = parse_timestamp(&t).map_err(param)?;
                    r.insert("Timestamp".into(), json!(unix_seconds(t)));
                }
            }
            "get-records" => {
                r.insert("ShardIterator".into(), json!(a.req("shard-iterator")?));
                if let Some(n) = a.num::<u32>("limit")? {
                    r.insert("Limit".into(), json!(n));
                }
            }
            "split-shard" => {
                Self::stream_member(&mut a, &mut r)?;
                r.insert("ShardToSplit".into(), json!(a.req("shard-to-split")?));
                r.insert(
                    "NewStartingHashKey".into(),
                    json!(a.req("new-starting-hash-key")?),
                );
            }
            "merge-shards" => {
                Self::stream_member(&mut a, &mut r)?;
                r.insert("ShardToMerge".into(), json!(a.req("shard-to-merge")?));
                r.insert(
                    "AdjacentShardToMerge".into(),
                    json!(a.req("adjacent-shard-to-merge")?),
                );
            }
            "update-shard-count" => {
                Self::stream_member(&mut a, &mut r)?;
                let target = a.num::<u32>("target-shard-count")?.ok_or_else(|| {
                    param("the following arguments are required: --target-shard-count")
                })?;
                r.insert("TargetShardCount".into(), json!(target));
                let scaling = a
                    .opt("scaling-type")?
                    .unwrap_or_else(|| "UNIFORM_SCALING".into());
                if scaling != "UNIFORM_SCALING" {
                    return Err(param("--scaling-type must be UNIFORM_SCALING"));
                }
                r.insert("ScalingType".into(), json!(scaling));
            }
            "increase-stream-retention-period" | "decrease-stream-retention-period" => {
                Self::stream_member(&mut a, &mut r)?;
                let hours = a.num::<u32>("retention-period-hours")?.ok_or_else(|| {
                    param("the following arguments are required: --retention-period-hours")
                })?;
                r.insert("RetentionPeriodHours".into(), json!(hours));
            }
            "register-stream-consumer" => {
                Self::stream_arn_member(&mut a, &mut r)?;
                r.insert("ConsumerName".into(), json!(a.req("consumer-name")?));
            }
            "deregister-stream-consumer" | "describe-stream-consumer" => {
                if let Some(arn) = a.opt("consumer-arn")? {
                    r.insert("ConsumerARN".into(), json!(arn));
                } else {
                    Self::stream_arn_member(&mut a, &mut r)?;
                    r.insert("ConsumerName".into(), json!(a.req("consumer-name")?));
                }
            }
            "list-stream-consumers" => Self::stream_arn_member(&mut a, &mut r)?,
            "subscribe-to-shard" => {
                r.insert("ConsumerARN".into(), json!(a.req("consumer-arn")?));
                r.insert("ShardId".into(), json!(a.req("shard-id")?));
                r.insert(
                    "StartingPosition".into(),
                    starting_position(&a.req("starting-position")?)?,
                );
                a.finish(0)?;
                let request = Value::Object(r);
                let sub = api::subscribe(&mut self.sim, &request)?;
                let (events, _) = api::subscription_events(&mut self.sim, &sub)?;
                return Ok(event_stream_json(events));
            }
            _ => unreachable!("operation_name knows every command matched here"),
        }
        a.finish(0)?;
        let mut out = api::call(&mut self.sim, operation, &Value::Object(r))?;
        cli_timestamps(&mut out);
        Ok(out)
    }

    /// `--stream-arn ARN` (a stream name is taken too, as the simulator names streams).
    fn stream_arn_member(args: &mut Args, request: &mut Map<String, Value>) -> Result<(), Fail> {
        let arn = match (args.opt("stream-arn")?, args.opt("stream-name")?) {
            (Some(arn), _) => arn,
            (None, Some(name)) => stream_arn(&name),
            (None, None) => {
                return Err(param(
                    "the following arguments are required: --stream-arn (or --stream-name)",
                ));
            }
        };
        request.insert("StreamARN".into(), json!(arn));
        Ok(())
    }

    pub(super) fn efo_events(&mut self, mut a: Args) -> Out {
        let arn = a.req("consumer-arn")?;
        let shard = a.req("shard-id")?;
        a.finish(0)?;
        let stream = Kinesis::resolve_name(&arn).to_string();
        let shard = self.sim.kinesis.stream(&stream)?.shard_by_id(&shard)?.index;
        let sub = api::Subscription {
            stream,
            consumer_arn: arn,
            shard,
        };
        let (events, ended) = api::subscription_events(&mut self.sim, &sub)?;
        let mut out = event_stream_json(events);
        out["SubscriptionEnded"] = json!(ended);
        Ok(out)
    }

    pub(super) fn generator(&mut self, sub: &str, mut a: Args) -> Out {
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
                let v = gen_json(&spec, &crate::sim::GeneratorStats::default());
                self.sim.start_generator(spec)?;
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

    pub(super) fn poller(&mut self, sub: &str, mut a: Args) -> Out {
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
}

/// The API operation of an `aws kinesis` command: `put-records` is `PutRecords`.
fn operation_name(command: &str) -> Option<&'static str> {
    api::OPERATIONS
        .iter()
        .copied()
        .find(|op| api::cli_name(op) == command)
}

/// `--starting-position Type=...,SequenceNumber=...,Timestamp=...` as the request member.
fn starting_position(text: &str) -> Result<Value, Fail> {
    let mut pos = shorthand(text)?;
    let allowed = "TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP";
    let kind = pos
        .get("Type")
        .and_then(Value::as_str)
        .ok_or_else(|| param(format!("--starting-position Type must be one of {allowed}")))?;
    match kind {
        "TRIM_HORIZON" | "LATEST" => {}
        "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER" => {
            if pos.get("SequenceNumber").and_then(Value::as_str).is_none() {
                return Err(param(format!("{kind} needs SequenceNumber=...")));
            }
        }
        "AT_TIMESTAMP" => {
            let ts = pos
                .get("Timestamp")
                .and_then(Value::as_str)
                .ok_or_else(|| param("AT_TIMESTAMP needs Timestamp=..."))?;
            let t = parse_timestamp(ts).map_err(param)?;
            pos.insert("Timestamp".into(), json!(unix_seconds(t)));
        }
        _ => {
            return Err(param(format!(
                "--starting-position Type must be one of {allowed}"
            )));
        }
    }
    Ok(Value::Object(pos))
}

/// Events as the AWS CLI prints a `subscribe-to-shard` stream.
fn event_stream_json(events: Vec<Value>) -> Value {
    let events: Vec<Value> = events
        .into_iter()
        .map(|mut e| {
            cli_timestamps(&mut e);
            json!({"SubscribeToShardEvent": e})
        })
        .collect();
    json!({"EventStream": events})
}

fn gen_json(spec: &GeneratorSpec, stats: &crate::sim::GeneratorStats) -> Value {
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

/// `--records` (a JSON list or shorthand entries) as the request's `Records`, data in base64.
fn parse_put_records(raw: &[String]) -> Result<Vec<Value>, Fail> {
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
            let mut entry = json!({"PartitionKey": key, "Data": base64(data.as_bytes())});
            if let Some(h) = m.get("ExplicitHashKey").and_then(Value::as_str) {
                parse_hash_key(h).map_err(param)?;
                entry["ExplicitHashKey"] = json!(h);
            }
            Ok(entry)
        })
        .collect()
}
