//! Firehose and what lies downstream of it: `aws firehose`, `aws s3 ls`, `s3-dedupe` and the
//! `loader` jobs that load a bucket's new objects into a table.

use super::Console;
use super::args::{Args, Fail, Out, fail, param, shorthand};
use crate::kinesis::Kinesis;
use crate::kinesis::firehose::{Dedupe, Loader};
use crate::time::SimDuration;
use serde_json::{Value, json};

/// Loaders one console may start.
const LOADERS_MAX: usize = 100;

impl Console {
    #[allow(clippy::too_many_lines)] // one dispatch over the Firehose operations
    pub(super) fn firehose(&mut self, op: &str, mut a: Args) -> Out {
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
                let transform = processing_enabled(&dest)?;
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
                if let Some(f) = self.sim.firehoses.get_mut(&name) {
                    f.transform_adds_sequence_number = transform.unwrap_or(false);
                }
                Ok(
                    json!({"DeliveryStreamARN": format!("arn:aws:firehose:{}:{}:deliverystream/{name}", crate::kinesis::REGION, crate::kinesis::ACCOUNT_ID)}),
                )
            }
            "update-destination" => {
                let name = a.req("delivery-stream-name")?;
                a.opt("current-delivery-stream-version-id")?;
                a.opt("destination-id")?;
                let update = a.req("extended-s3-destination-update")?;
                a.finish(0)?;
                let update = shorthand(&update)?;
                let transform = processing_enabled(&update)?;
                let f = self.sim.firehoses.get_mut(&name).ok_or_else(|| {
                    fail(
                        "ResourceNotFoundException",
                        format!("Firehose {name} not found"),
                    )
                })?;
                if let Some(t) = transform {
                    f.transform_adds_sequence_number = t;
                }
                Ok(json!({}))
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
                    "Source": {"KinesisStreamSourceDescription": {"KinesisStreamARN": crate::kinesis::stream_arn(&f.source_stream)}},
                    "Destinations": [{"ExtendedS3DestinationDescription": {
                        "BucketARN": format!("arn:aws:s3:::{}", f.bucket),
                        "Prefix": f.prefix,
                        "BufferingHints": {"SizeInMBs": f.buffer_size_bytes / 1_048_576, "IntervalInSeconds": f.buffer_interval.0 / 1_000_000},
                        "ProcessingConfiguration": {"Enabled": f.transform_adds_sequence_number},
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

    pub(super) fn s3_ls(&mut self, mut a: Args) -> Out {
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
            "FirstSequenceNumber": o.records.first().filter(|r| r.sequence_in_record).map(|r| r.sequence_number.clone()),
            "LastSequenceNumber": o.records.last().filter(|r| r.sequence_in_record).map(|r| r.sequence_number.clone()),
        })).collect::<Vec<_>>()}))
    }

    pub(super) fn loader(&mut self, sub: &str, mut a: Args) -> Out {
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

    fn loader_mut(&mut self, name: &str) -> Result<&mut Loader, Fail> {
        self.sim
            .loaders
            .get_mut(name)
            .ok_or_else(|| fail("ResourceNotFoundException", format!("no loader {name}")))
    }

    pub(super) fn s3_dedupe(&mut self, mut a: Args) -> Out {
        let bucket = a.req("bucket")?;
        a.finish(0)?;
        let (objects, records, carried, unique) = self
            .sim
            .s3
            .readable_sequence_stats(&bucket)
            .ok_or_else(|| {
                fail(
                    "NoSuchBucket",
                    format!("The specified bucket does not exist: {bucket}"),
                )
            })?;
        Ok(
            json!({"Bucket": bucket, "Objects": objects, "Records": records, "RecordsWithSequenceNumber": carried, "UniqueSequenceNumbers": unique, "DuplicateRecords": carried - unique}),
        )
    }
}

/// `ProcessingConfiguration={Enabled=true,...}` in a destination configuration or update: a
/// transformation Lambda that adds each record's Kinesis sequence number (from the
/// `kinesisRecordMetadata` Firehose passes it) to the record. `None` when absent.
fn processing_enabled(dest: &serde_json::Map<String, Value>) -> Result<Option<bool>, Fail> {
    let Some(p) = dest.get("ProcessingConfiguration") else {
        return Ok(None);
    };
    let enabled = p.get("Enabled").map_or(Some(false), |v| match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    });
    enabled
        .map(Some)
        .ok_or_else(|| param("ProcessingConfiguration.Enabled must be true or false"))
}
