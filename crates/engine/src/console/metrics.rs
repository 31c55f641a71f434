//! `metrics`: the per-second series of a stream or shard, a KCL application, an EFO consumer,
//! a Firehose, a loader or a poller (`--by-shard` sums a stream's shards to find a hot one).

use super::Console;
use super::args::{Args, Out, fail, param};
use super::output::metrics_json;
use crate::kinesis::Kinesis;
use crate::metrics::{Metric, MetricSet};
use crate::time::{SimDuration, SimTime};
use serde_json::{Value, json};

impl Console {
    pub(super) fn metrics(&mut self, mut a: Args) -> Out {
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
}
