//! `cost` (a monthly estimate from the price sheet, for a throughput or a stream's measured
//! traffic) and `capacity` (a stream's write and read limits).

use super::Console;
use super::args::{Args, Out, param};
use crate::cost::{Workload, estimate};
use crate::metrics::Metric;
use crate::time::SimDuration;
use crate::workload::parse_bytes;
use serde_json::json;

impl Console {
    pub(super) fn cost(&mut self, mut a: Args) -> Out {
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

    pub(super) fn capacity(&mut self, mut a: Args) -> Out {
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
}
