//! The Kinesis Data Streams API (`Kinesis_20131202`) over the simulation: each operation takes
//! the request object a client sends (member names as AWS names them, record data in base64,
//! timestamps as Unix seconds) and returns the response object AWS returns, or the error AWS
//! would answer with ([`KinesisError`], whose code is the `__type` on the wire).
//!
//! [`call`] runs every operation but `SubscribeToShard`, whose answer is a stream of events
//! over time: [`subscribe`] opens it and [`subscription_events`] takes what was pushed since.

use crate::kinesis::efo::StartingPosition;
use crate::kinesis::{
    ChildShard, ErrorCode, IteratorType, Kinesis, KinesisError, PutRequest, ReadRecord, Result,
    Shard, Stream, StreamMode, parse_hash_key, parse_shard_id, sequence_number, shard_id,
    stream_arn,
};
use crate::sim::Sim;
use crate::time::{MICROS_PER_MILLI, SimTime, epoch_unix_seconds};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

/// The `X-Amz-Target` prefix of every operation.
pub const TARGET_PREFIX: &str = "Kinesis_20131202.";

/// The operations [`call`] answers, plus `SubscribeToShard` ([`subscribe`]).
pub const OPERATIONS: &[&str] = &[
    "CreateStream",
    "DeleteStream",
    "ListStreams",
    "DescribeStream",
    "DescribeStreamSummary",
    "ListShards",
    "PutRecord",
    "PutRecords",
    "GetShardIterator",
    "GetRecords",
    "SplitShard",
    "MergeShards",
    "UpdateShardCount",
    "IncreaseStreamRetentionPeriod",
    "DecreaseStreamRetentionPeriod",
    "RegisterStreamConsumer",
    "DeregisterStreamConsumer",
    "ListStreamConsumers",
    "DescribeStreamConsumer",
    "SubscribeToShard",
];

/// The AWS CLI's name of an operation: `PutRecords` is `put-records`.
pub fn cli_name(operation: &str) -> String {
    let mut kebab = String::with_capacity(operation.len() + 4);
    for (i, c) in operation.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            kebab.push('-');
        }
        kebab.push(c.to_ascii_lowercase());
    }
    kebab
}

/// Default and largest page sizes, as AWS documents them.
const LIST_STREAMS_LIMIT_DEFAULT: usize = 100;
const LIST_STREAMS_LIMIT_MAX: usize = 10_000;
const DESCRIBE_STREAM_LIMIT_DEFAULT: usize = 100;
const DESCRIBE_STREAM_LIMIT_MAX: usize = 10_000;
const LIST_SHARDS_MAX_RESULTS_DEFAULT: usize = 1_000;
const LIST_SHARDS_MAX_RESULTS_MAX: usize = 10_000;

/// Runs one operation at the simulation's present.
#[allow(clippy::too_many_lines)] // one arm per operation, each a few lines
pub fn call(sim: &mut Sim, operation: &str, request: &Value) -> Result<Value> {
    let r = Fields::of(request)?;
    let now = sim.now();
    match operation {
        "CreateStream" => {
            let name = r.required_str("StreamName")?;
            let count = r.u32("ShardCount")?;
            let mode = match r.object("StreamModeDetails")? {
                None => StreamMode::Provisioned,
                Some(d) => match d.required_str("StreamMode")? {
                    "ON_DEMAND" => StreamMode::OnDemand,
                    "PROVISIONED" => StreamMode::Provisioned,
                    other => {
                        return Err(enum_error(
                            "streamModeDetails.streamMode",
                            other,
                            &["PROVISIONED", "ON_DEMAND"],
                        ));
                    }
                },
            };
            sim.kinesis.create_stream(name, count, mode, now)?;
            Ok(json!({}))
        }
        "DeleteStream" => {
            let name = r.stream_name()?;
            r.bool("EnforceConsumerDeletion")?;
            sim.kinesis.delete_stream(&name)?;
            Ok(json!({}))
        }
        "ListStreams" => list_streams(&sim.kinesis, &r),
        "DescribeStreamSummary" => {
            let s = sim.kinesis.stream(&r.stream_name()?)?;
            Ok(json!({"StreamDescriptionSummary": summary_json(s)}))
        }
        "DescribeStream" => describe_stream(&sim.kinesis, &r),
        "ListShards" => list_shards(&sim.kinesis, &r),
        "PutRecord" => {
            let name = r.stream_name()?;
            r.str("SequenceNumberForOrdering")?;
            let req = put_request(&r)?;
            let (shard, seq) = sim.kinesis.put_record(&name, &req, now, &mut sim.faults)?;
            Ok(json!({"ShardId": shard_id(shard), "SequenceNumber": seq, "EncryptionType": "NONE"}))
        }
        "PutRecords" => {
            let name = r.stream_name()?;
            let entries = r.array("Records")?.ok_or_else(|| null_member("records"))?;
            let reqs = entries
                .iter()
                .map(|e| put_request(&Fields::of(e)?))
                .collect::<Result<Vec<_>>>()?;
            let results = sim
                .kinesis
                .put_records(&name, &reqs, now, &mut sim.faults)?;
            let failed = results.iter().filter(|r| r.is_err()).count();
            let records: Vec<Value> = results
                .into_iter()
                .map(|r| match r {
                    Ok((shard, seq)) => json!({"SequenceNumber": seq, "ShardId": shard_id(shard)}),
                    Err(e) => json!({"ErrorCode": e.code.name(), "ErrorMessage": e.message}),
                })
                .collect();
            Ok(json!({"FailedRecordCount": failed, "Records": records, "EncryptionType": "NONE"}))
        }
        "GetShardIterator" => {
            let name = r.stream_name()?;
            let shard = r.required_str("ShardId")?;
            let kind = r.required_str("ShardIteratorType")?;
            let seq = r.str("StartingSequenceNumber")?;
            let ts = r.timestamp("Timestamp")?;
            let kind = IteratorType::from_parts(kind, seq, ts)?;
            let it = sim.kinesis.get_shard_iterator(&name, shard, kind, now)?;
            Ok(json!({"ShardIterator": it}))
        }
        "GetRecords" => {
            let it = r.required_str("ShardIterator")?;
            let limit = r.u32("Limit")?;
            let out = sim.kinesis.get_records(it, limit, now, &mut sim.faults)?;
            let s = sim.kinesis.stream(&out.stream)?;
            let sh = &s.shards[out.shard as usize];
            let mut v = json!({
                "Records": records_json(&sim.kinesis, sh, &out.records),
                "NextShardIterator": out.next_iterator,
                "MillisBehindLatest": out.millis_behind_latest,
            });
            if !out.child_shards.is_empty() {
                v["ChildShards"] = child_shards_json(&out.child_shards);
            }
            Ok(v)
        }
        "SplitShard" => {
            let name = r.stream_name()?;
            let shard = r.required_str("ShardToSplit")?;
            let key = r.required_str("NewStartingHashKey")?;
            sim.kinesis.split_shard(&name, shard, key, now)?;
            Ok(json!({}))
        }
        "MergeShards" => {
            let name = r.stream_name()?;
            let a = r.required_str("ShardToMerge")?;
            let b = r.required_str("AdjacentShardToMerge")?;
            sim.kinesis.merge_shards(&name, a, b, now)?;
            Ok(json!({}))
        }
        "UpdateShardCount" => {
            let name = r.stream_name()?;
            let target = r
                .u32("TargetShardCount")?
                .ok_or_else(|| null_member("targetShardCount"))?;
            let scaling = r.required_str("ScalingType")?;
            if scaling != "UNIFORM_SCALING" {
                return Err(enum_error("scalingType", scaling, &["UNIFORM_SCALING"]));
            }
            let current = sim.kinesis.update_shard_count(&name, target, now)?;
            Ok(json!({
                "StreamName": name,
                "CurrentShardCount": current,
                "TargetShardCount": target,
                "StreamARN": stream_arn(&name),
            }))
        }
        "IncreaseStreamRetentionPeriod" | "DecreaseStreamRetentionPeriod" => {
            let name = r.stream_name()?;
            let hours = r
                .u32("RetentionPeriodHours")?
                .ok_or_else(|| null_member("retentionPeriodHours"))?;
            sim.kinesis
                .stream_mut(&name)?
                .set_retention(hours, operation.starts_with("Increase"))?;
            Ok(json!({}))
        }
        "RegisterStreamConsumer" => {
            let name = Kinesis::resolve_name(r.required_str("StreamARN")?).to_string();
            let consumer = r.required_str("ConsumerName")?;
            let c = sim
                .kinesis
                .stream_mut(&name)?
                .register_consumer(consumer, now)?;
            Ok(json!({"Consumer": consumer_json(c, now)}))
        }
        "DeregisterStreamConsumer" => {
            let (name, consumer) = consumer_ref(&r)?;
            sim.kinesis
                .stream_mut(&name)?
                .deregister_consumer(&consumer)?;
            Ok(json!({}))
        }
        "ListStreamConsumers" => {
            let name = Kinesis::resolve_name(r.required_str("StreamARN")?).to_string();
            let s = sim.kinesis.stream(&name)?;
            let consumers: Vec<Value> = s.consumers.iter().map(|c| consumer_json(c, now)).collect();
            Ok(json!({"Consumers": consumers}))
        }
        "DescribeStreamConsumer" => {
            let (name, consumer) = consumer_ref(&r)?;
            let s = sim.kinesis.stream(&name)?;
            let c = &s.consumers[s.consumer_index(&consumer)?];
            let mut d = consumer_json(c, now);
            d["StreamARN"] = json!(s.arn());
            Ok(json!({"ConsumerDescription": d}))
        }
        "SubscribeToShard" => Err(KinesisError::invalid(
            "SubscribeToShard answers with an event stream: open it with subscribe",
        )),
        other => Err(KinesisError::new(
            ErrorCode::UnknownOperation,
            format!("unknown operation {other}"),
        )),
    }
}

/// An open `SubscribeToShard`: which consumer reads which shard of which stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub stream: String,
    pub consumer_arn: String,
    pub shard: u32,
}

/// `SubscribeToShard`: starts the subscription (the EFO limits apply: one per consumer and
/// shard, five minutes long).
pub fn subscribe(sim: &mut Sim, request: &Value) -> Result<Subscription> {
    let r = Fields::of(request)?;
    let arn = r.required_str("ConsumerARN")?;
    let shard = r.required_str("ShardId")?;
    let position = r
        .object("StartingPosition")?
        .ok_or_else(|| null_member("startingPosition"))?;
    let start = match position.required_str("Type")? {
        "TRIM_HORIZON" => StartingPosition::TrimHorizon,
        "LATEST" => StartingPosition::Latest,
        kind @ ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER") => {
            let seq = position.required_str("SequenceNumber")?.to_string();
            if kind == "AT_SEQUENCE_NUMBER" {
                StartingPosition::AtSequenceNumber(seq)
            } else {
                StartingPosition::AfterSequenceNumber(seq)
            }
        }
        "AT_TIMESTAMP" => StartingPosition::AtTimestamp(
            position
                .timestamp("Timestamp")?
                .ok_or_else(|| null_member("startingPosition.timestamp"))?,
        ),
        other => {
            return Err(enum_error(
                "startingPosition.type",
                other,
                &[
                    "AT_SEQUENCE_NUMBER",
                    "AFTER_SEQUENCE_NUMBER",
                    "TRIM_HORIZON",
                    "LATEST",
                    "AT_TIMESTAMP",
                ],
            ));
        }
    };
    let name = Kinesis::resolve_name(arn).to_string();
    let now = sim.now();
    // The first event goes out at once, as AWS sends it right after the initial response.
    let keys = std::mem::take(&mut sim.kinesis.keys);
    let opened = (|| -> Result<u32> {
        let stream = sim.kinesis.stream_mut(&name)?;
        let consumer = stream.consumer_index(arn)?;
        stream.subscribe(consumer, shard, &start, now)?;
        stream.push_efo(now, &|k| keys.len_of(k));
        Ok(stream.shard_by_id(shard)?.index)
    })();
    sim.kinesis.keys = keys;
    Ok(Subscription {
        stream: name,
        consumer_arn: arn.to_string(),
        shard: opened?,
    })
}

/// The events of a subscription pushed since the last call (each a `SubscribeToShardEvent`
/// object), and whether the subscription has ended (its five minutes are up, or its shard is
/// closed and read to the end). Events are pushed as the simulation advances.
pub fn subscription_events(sim: &mut Sim, sub: &Subscription) -> Result<(Vec<Value>, bool)> {
    let s = sim.kinesis.stream_mut(&sub.stream)?;
    let consumer = s.consumer_index(&sub.consumer_arn)?;
    let ended = s.consumers[consumer]
        .subscriptions
        .get(&sub.shard)
        .is_none_or(|x| x.ended);
    let events = s.drain_events(consumer, sub.shard);
    let s = sim.kinesis.stream(&sub.stream)?;
    let events = events
        .iter()
        .map(|e| {
            let sh = &s.shards[e.shard as usize];
            let mut ev = json!({
                "Records": records_json(&sim.kinesis, sh, &e.records),
                "ContinuationSequenceNumber": e.continuation_sequence_number,
                "MillisBehindLatest": e.millis_behind_latest,
            });
            if !e.child_shards.is_empty() {
                ev["ChildShards"] = child_shards_json(&e.child_shards);
            }
            ev
        })
        .collect();
    Ok((events, ended))
}

/// Unix seconds (milliseconds in the fraction, as AWS sends them) of a virtual instant.
pub fn unix_seconds(t: SimTime) -> f64 {
    let millis = epoch_unix_seconds() * 1_000 + t.0 / MICROS_PER_MILLI;
    millis as f64 / 1_000.0
}

/// The virtual instant of Unix seconds; before virtual time zero clamps to zero.
pub fn from_unix_seconds(secs: f64) -> SimTime {
    let millis = (secs * 1_000.0).round() - (epoch_unix_seconds() * 1_000) as f64;
    SimTime(millis.max(0.0) as u64 * MICROS_PER_MILLI)
}

fn list_streams(k: &Kinesis, r: &Fields) -> Result<Value> {
    let limit = bounded(
        r.u32("Limit")?,
        LIST_STREAMS_LIMIT_DEFAULT,
        LIST_STREAMS_LIMIT_MAX,
        "limit",
    )?;
    let after = match (r.str("NextToken")?, r.str("ExclusiveStartStreamName")?) {
        (Some(token), _) => Some(
            token
                .strip_prefix("after-")
                .ok_or_else(|| KinesisError::invalid("Invalid NextToken"))?,
        ),
        (None, start) => start,
    };
    let streams: Vec<&Stream> = k
        .streams()
        .filter(|s| after.is_none_or(|a| s.name.as_str() > a))
        .collect();
    let page = &streams[..streams.len().min(limit)];
    let more = streams.len() > page.len();
    let mut v = json!({
        "StreamNames": page.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        "HasMoreStreams": more,
        "StreamSummaries": page.iter().map(|s| json!({
            "StreamName": s.name,
            "StreamARN": s.arn(),
            "StreamStatus": s.status().name(),
            "StreamModeDetails": {"StreamMode": s.mode.name()},
            "StreamCreationTimestamp": unix_seconds(s.created),
        })).collect::<Vec<_>>(),
    });
    if let (true, Some(last)) = (more, page.last()) {
        v["NextToken"] = json!(format!("after-{}", last.name));
    }
    Ok(v)
}

fn describe_stream(k: &Kinesis, r: &Fields) -> Result<Value> {
    let s = k.stream(&r.stream_name()?)?;
    let limit = bounded(
        r.u32("Limit")?,
        DESCRIBE_STREAM_LIMIT_DEFAULT,
        DESCRIBE_STREAM_LIMIT_MAX,
        "limit",
    )?;
    let after = r
        .str("ExclusiveStartShardId")?
        .map(shard_index)
        .transpose()?;
    let shards: Vec<&Shard> = s
        .listed_shards()
        .filter(|sh| after.is_none_or(|a| sh.index > a))
        .collect();
    let page = &shards[..shards.len().min(limit)];
    let mut d = summary_json(s);
    d["Shards"] = Value::Array(page.iter().map(|sh| shard_json(sh)).collect());
    d["HasMoreShards"] = json!(shards.len() > page.len());
    Ok(json!({"StreamDescription": d}))
}

fn list_shards(k: &Kinesis, r: &Fields) -> Result<Value> {
    let token = r.str("NextToken")?;
    let name = match (token, r.stream_name()) {
        (_, Ok(name)) => name,
        (Some(t), Err(_)) => t
            .strip_prefix("offset-")
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, stream)| stream.to_string())
            .ok_or_else(|| KinesisError::invalid("Invalid NextToken"))?,
        (None, Err(e)) => return Err(e),
    };
    let s = k.stream(&name)?;
    let max = bounded(
        r.u32("MaxResults")?,
        LIST_SHARDS_MAX_RESULTS_DEFAULT,
        LIST_SHARDS_MAX_RESULTS_MAX,
        "maxResults",
    )?;
    let filter = r.object("ShardFilter")?;
    let kind = filter
        .as_ref()
        .map(|f| f.required_str("Type"))
        .transpose()?
        .unwrap_or("");
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
        return Err(enum_error(
            "shardFilter.type",
            kind,
            &[
                "AFTER_SHARD_ID",
                "AT_TRIM_HORIZON",
                "FROM_TRIM_HORIZON",
                "AT_LATEST",
                "AT_TIMESTAMP",
                "FROM_TIMESTAMP",
            ],
        ));
    }
    let filter_after = match &filter {
        Some(f) if kind == "AFTER_SHARD_ID" => Some(shard_index(f.required_str("ShardId")?)?),
        _ => None,
    };
    let exclusive_start = r
        .str("ExclusiveStartShardId")?
        .map(shard_index)
        .transpose()?;
    let shards: Vec<&Shard> = s
        .listed_shards()
        .filter(|sh| match kind {
            "AT_LATEST" => sh.is_open(),
            "AFTER_SHARD_ID" => filter_after.is_some_and(|x| sh.index > x),
            _ => true,
        })
        .filter(|sh| exclusive_start.is_none_or(|x| sh.index > x))
        .collect();
    let offset = match token {
        Some(t) => t
            .strip_prefix("offset-")
            .and_then(|rest| rest.split(':').next())
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| KinesisError::invalid("Invalid NextToken"))?,
        None => 0,
    };
    let page: Vec<Value> = shards
        .iter()
        .skip(offset)
        .take(max)
        .map(|sh| shard_json(sh))
        .collect();
    let mut v = json!({"Shards": page});
    if offset.saturating_add(max) < shards.len() {
        v["NextToken"] = json!(format!("offset-{}:{}", offset + max, s.name));
    }
    Ok(v)
}

fn put_request(r: &Fields) -> Result<PutRequest> {
    let key = r.required_str("PartitionKey")?;
    let data = r.required_str("Data")?;
    let data = BASE64.decode(data).map_err(|e| {
        KinesisError::new(
            ErrorCode::Serialization,
            format!("Data is not valid base64: {e}"),
        )
    })?;
    let explicit_hash_key = r
        .str("ExplicitHashKey")?
        .map(|h| parse_hash_key(h).map_err(KinesisError::invalid))
        .transpose()?;
    Ok(PutRequest {
        partition_key: key.to_string(),
        data,
        explicit_hash_key,
    })
}

fn consumer_ref(r: &Fields) -> Result<(String, String)> {
    if let Some(arn) = r.str("ConsumerARN")? {
        return Ok((Kinesis::resolve_name(arn).to_string(), arn.to_string()));
    }
    let stream = r.str("StreamARN")?.ok_or_else(|| {
        KinesisError::invalid("Either ConsumerARN or both StreamARN and ConsumerName must be given")
    })?;
    let name = r.str("ConsumerName")?.ok_or_else(|| {
        KinesisError::invalid("Either ConsumerARN or both StreamARN and ConsumerName must be given")
    })?;
    Ok((Kinesis::resolve_name(stream).to_string(), name.to_string()))
}

fn shard_index(id: &str) -> Result<u32> {
    parse_shard_id(id).ok_or_else(|| KinesisError::invalid(format!("Invalid ShardId {id}")))
}

fn bounded(value: Option<u32>, default: usize, max: usize, member: &str) -> Result<usize> {
    match value {
        None => Ok(default),
        Some(v) if (1..=max).contains(&(v as usize)) => Ok(v as usize),
        Some(v) => Err(KinesisError::new(
            ErrorCode::Validation,
            format!(
                "1 validation error detected: Value '{v}' at '{member}' failed to satisfy constraint: Member must have value between 1 and {max}"
            ),
        )),
    }
}

fn null_member(member: &str) -> KinesisError {
    KinesisError::new(
        ErrorCode::Validation,
        format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ),
    )
}

fn enum_error(member: &str, value: &str, allowed: &[&str]) -> KinesisError {
    KinesisError::new(
        ErrorCode::Validation,
        format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ),
    )
}

/// The members of a request object, read with the types the API model gives them: a member of
/// the wrong JSON type is a `SerializationException`, a missing required one a
/// `ValidationException`, as AWS answers.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn of(value: &'a Value) -> Result<Fields<'a>> {
        match value {
            Value::Object(m) => Ok(Fields(m)),
            _ => Err(serialization("the request must be a JSON object")),
        }
    }

    fn present(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn str(&self, name: &str) -> Result<Option<&'a str>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(serialization(format!("{name} must be a string"))),
        }
    }

    fn required_str(&self, name: &str) -> Result<&'a str> {
        self.str(name)?
            .ok_or_else(|| null_member(&lower_first(name)))
    }

    fn u32(&self, name: &str) -> Result<Option<u32>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .map(Some)
                .ok_or_else(|| {
                    serialization(format!(
                        "{name} must be a whole number from 0 to {}",
                        u32::MAX
                    ))
                }),
            Some(_) => Err(serialization(format!("{name} must be a number"))),
        }
    }

    fn bool(&self, name: &str) -> Result<Option<bool>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(serialization(format!("{name} must be true or false"))),
        }
    }

    /// A timestamp: Unix seconds, as the SDKs send it (RFC 3339 text is accepted too).
    fn timestamp(&self, name: &str) -> Result<Option<SimTime>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .filter(|s| s.is_finite())
                .map(|s| Some(from_unix_seconds(s)))
                .ok_or_else(|| serialization(format!("{name} must be a timestamp"))),
            Some(Value::String(s)) => crate::time::parse_timestamp(s)
                .map(Some)
                .map_err(serialization),
            Some(_) => Err(serialization(format!("{name} must be a timestamp"))),
        }
    }

    fn object(&self, name: &str) -> Result<Option<Fields<'a>>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Fields(m))),
            Some(_) => Err(serialization(format!("{name} must be an object"))),
        }
    }

    fn array(&self, name: &str) -> Result<Option<&'a [Value]>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(serialization(format!("{name} must be a list"))),
        }
    }

    /// `StreamName`, or the name in `StreamARN`.
    fn stream_name(&self) -> Result<String> {
        if let Some(name) = self.str("StreamName")? {
            return Ok(name.to_string());
        }
        if let Some(arn) = self.str("StreamARN")? {
            return Ok(Kinesis::resolve_name(arn).to_string());
        }
        Err(KinesisError::invalid(
            "Either StreamName or StreamARN must be given",
        ))
    }
}

fn serialization(message: impl Into<String>) -> KinesisError {
    KinesisError::new(ErrorCode::Serialization, message)
}

/// AWS names members in validation messages with a lower-case first letter.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The bytes of a generated record (not stored; reproduced on read): `key#counter` padded with
/// dots to the record's size.
fn synthetic_data(key: &str, counter: u64, size: u32) -> Vec<u8> {
    let mut v = format!("{key}#{counter}").into_bytes();
    v.resize(size as usize, b'.');
    v
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
                    Some(d) => BASE64.encode(d),
                    None => BASE64.encode(synthetic_data(key, r.counter, r.size)),
                };
                json!({
                    "SequenceNumber": sequence_number(sh, r.counter),
                    "ApproximateArrivalTimestamp": unix_seconds(r.arrival),
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
        "StreamCreationTimestamp": unix_seconds(s.created),
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
        "ConsumerCreationTimestamp": unix_seconds(c.created),
    })
}
