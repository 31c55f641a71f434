//! The `kcl` commands: KCL applications, their workers, leases and processed records.

use super::Console;
use super::args::{Args, Fail, Out, fail, param};
use crate::kinesis::kcl::{Checkpoint, InitialPosition, KclConfig, Sink};
use crate::kinesis::{sequence_number, shard_id};
use crate::time::SimDuration;
use serde_json::{Value, json};

impl Console {
    #[allow(clippy::too_many_lines)]
    pub(super) fn kcl(&mut self, sub: &str, mut a: Args) -> Out {
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

    pub(super) fn kcl_app(&self, app: &str) -> Result<&crate::kinesis::kcl::KclApp, Fail> {
        self.sim.kcl.get(app).ok_or_else(|| {
            fail(
                "ResourceNotFoundException",
                format!("no KCL application named {app}"),
            )
        })
    }
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
