//! The Kinesis commands of the console: the `aws kinesis` API (shaped like the AWS CLI, with
//! output keys as it prints them), `efo-events`, workload generators (`gen`) and hand-written
//! polling consumers (`poller`).

use super::Console;
use super::args::{Args, Fail, Out, fail, param, parse_rate, shorthand};
use super::output::base64;
use crate::kinesis::efo::StartingPosition;
use crate::kinesis::poller::OnExpired;
use crate::kinesis::{
    ChildShard, IteratorType, Kinesis, KinesisError, PutRequest, ReadRecord, Shard, Stream,
    StreamMode, parse_hash_key, parse_shard_id, sequence_number, shard_id,
};
use crate::metrics::Metric;
use crate::sim::GeneratorSpec;
use crate::time::{SimDuration, SimTime, parse_timestamp};
use crate::workload::{GenMode, KeyDist};
use serde_json::{Map, Value, json};

impl Console {
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
    pub(super) fn kinesis(&mut self, op: &str, mut a: Args) -> Out {
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
                json!({"StreamName": name, "CurrentShardCount": current, "TargetShardCount": target, "StreamARN": crate::kinesis::stream_arn(&name)})
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
                let res = (|| -> Result<Vec<crate::kinesis::efo::SubscribeEvent>, KinesisError> {
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
        events: &[crate::kinesis::efo::SubscribeEvent],
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

    pub(super) fn efo_events(&mut self, mut a: Args) -> Out {
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

fn consumer_json(c: &crate::kinesis::efo::Consumer, now: SimTime) -> Value {
    json!({
        "ConsumerName": c.name,
        "ConsumerARN": c.arn,
        "ConsumerStatus": c.status(now),
        "ConsumerCreationTimestamp": c.created.to_rfc3339(),
    })
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
