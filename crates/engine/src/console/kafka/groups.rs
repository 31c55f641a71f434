//! Consumer groups and stream processors: `consumer`, `kafka-consumer-groups` and
//! `processor` (read-process-write).

use super::{bool_flag, configs, kafka};
use crate::console::args::{Args, Fail, Out, fail, param};
use crate::kafka::coordinator::CoordinatorKind;
use crate::kafka::error::{ErrorCode, KafkaError};
use crate::kafka::processor::{Guarantee, ProcessorConfig};
use crate::kafka::world::Kafka;
use crate::metrics::Metric;
use crate::sim::Sim;
use crate::time::{SimDuration, SimTime, parse_timestamp};
use serde_json::{Map, Value, json};

pub(super) fn consumer_cmd(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
    let now = sim.now();
    let group = a.req("group")?;
    let k = kafka(sim)?;
    if k.classic_groups.contains_key(&group) {
        return super::classic::classic_consumer_cmd(k, &group, sub, a, now);
    }
    if sub == "configure" {
        let changes = configs(&mut a, "config")?;
        a.finish(0)?;
        k.group_mut(&group, now)?;
        let Kafka {
            cluster, groups, ..
        } = &mut *k;
        groups
            .get_mut(&group)
            .expect("created above")
            .deploy(&changes, cluster, now)?;
        return group_json(k, &group, true, now);
    }
    let member = a.req("member")?;
    match sub {
        "start" => {
            let topics: std::collections::BTreeSet<String> = a
                .req("topic")?
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            let mut config = crate::kafka::consumer::ConsumerConfig::default();
            if let Some(r) = a.opt("rate")? {
                let body = r
                    .strip_suffix("/s")
                    .ok_or_else(|| param("--rate must be records per second, e.g. 5000/s"))?;
                config.rate_per_sec = body
                    .parse()
                    .map_err(|_| param("--rate must be records per second, e.g. 5000/s"))?;
            }
            for (key, v) in configs(&mut a, "config")? {
                config.set(&key, &v)?;
            }
            a.finish(0)?;
            k.group_mut(&group, now)?;
            let Kafka {
                cluster, groups, ..
            } = &mut *k;
            let g = groups.get_mut(&group).expect("created above");
            g.start_member(&member, topics, config, cluster, now)?;
        }
        "stop" => {
            let crash = bool_flag(&mut a, "crash");
            a.finish(0)?;
            k.group_mut(&group, now)?.stop_member(&member, crash, now)?;
        }
        "stall" => {
            let d = a
                .duration("for")?
                .ok_or_else(|| param("--for DURATION is required"))?;
            a.finish(0)?;
            k.group_mut(&group, now)?.stall_member(&member, d, now)?;
        }
        _ => {
            return Err(fail(
                "UsageError",
                format!("unknown consumer command '{sub}'"),
            ));
        }
    }
    group_json(k, &group, true, now)
}

/// One partition of `kafka-consumer-groups --describe`: the committed offset, the log end,
/// the lag and who owns it.
pub(super) fn offset_row(
    topic: &str,
    partition: u32,
    committed: Option<u64>,
    end: u64,
    owner: Option<&str>,
) -> Value {
    json!({
        "Topic": topic,
        "Partition": partition,
        "CurrentOffset": committed.map_or(Value::from("-"), Value::from),
        "LogEndOffset": end,
        "Lag": committed.map_or(Value::from("-"), |o| Value::from(end.saturating_sub(o))),
        "ConsumerId": owner.unwrap_or("-"),
    })
}

fn group_json(k: &Kafka, id: &str, members: bool, now: SimTime) -> Out {
    if let Some(out) = super::classic::classic_group_json(k, id, now) {
        return out;
    }
    let g = k.groups.get(id).ok_or_else(|| {
        KafkaError::new(
            ErrorCode::GroupIdNotFound,
            format!("Consumer group '{id}' does not exist."),
        )
    })?;
    let c = &k.cluster;
    // The COORDINATOR (ID) column of the real tool, and where that coordinator stands.
    let coordinator = c.coordinator_status(CoordinatorKind::Group, g.coordinator_partition, now);
    let mut rows = Vec::new();
    let topics: std::collections::BTreeSet<&String> =
        g.members.values().flat_map(|m| m.topics.iter()).collect();
    for t in topics {
        let Ok(topic) = c.topic(t) else { continue };
        for p in &topic.partitions {
            let tp = crate::kafka::assignor::TopicPartition::new(t, p.index);
            let committed = g.group.committed(&tp);
            let owner = g.group.owner_of(&tp);
            rows.push(offset_row(t, p.index, committed, p.high_watermark, owner));
        }
    }
    let mut v = json!({
        "Group": id,
        "Coordinator": coordinator.broker(),
        "CoordinatorPartition": format!("{}-{}", CoordinatorKind::Group.topic(), g.coordinator_partition),
        "CoordinatorStatus": coordinator.describe(),
        "CoordinatorUnavailableMs": g.coordinator_unavailable_total(now).as_millis(),
        "State": g.group.state().name(),
        "Generation": g.group.generation(),
        "Protocol": g.group.protocol().map_or("-", |p| p.name()),
        "Assignor": g.group.assignor().map_or("-".to_string(), |a| a.name().to_string()),
        "Offsets": rows,
        "Consumed": g.stats.consumed,
        "Reprocessed": g.stats.reprocessed,
        "Skipped": g.stats.skipped,
        "KeyOrderViolations": g.stats.order_violations,
        "PartitionPauseMs": g.group.partition_pause_total().0 / 1000,
        "Rebalances": g.group.rebalances_total(),
    });
    if members {
        v["Members"] = Value::Array(
            g.group
                .members()
                .map(|m| {
                    let lag = g.member_by_id(m.id).and_then(|x| x.metrics.get(Metric::KafkaConsumerLag)).map_or(0, crate::metrics::Series::last);
                    json!({
                        "MemberId": m.id,
                        "InstanceId": m.instance_id,
                        "Alive": m.alive,
                        "Processing": m.processing,
                        "Assignment": m.assignment.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "PauseMs": m.pause_total.0 / 1000,
                        "Lag": lag,
                    })
                })
                .collect(),
        );
        v["RecentRebalances"] = Value::Array(
            g.group
                .rebalances()
                .iter()
                .rev()
                .take(5)
                .map(|r| json!({
                    "Generation": r.generation,
                    "Started": r.started.to_rfc3339(),
                    "Completed": r.completed.map(SimTime::to_rfc3339),
                    "Reason": r.reason,
                    "Protocol": r.protocol.name(),
                    "Revoked": r.revoked.iter().map(|(m, s)| (m.clone(), json!(s.iter().map(ToString::to_string).collect::<Vec<_>>()))).collect::<Map<String, Value>>(),
                    "Assigned": r.assigned.iter().map(|(m, s)| (m.clone(), json!(s.iter().map(ToString::to_string).collect::<Vec<_>>()))).collect::<Map<String, Value>>(),
                }))
                .collect(),
        );
    }
    Ok(v)
}

/// The config a processor was last deployed with (the defaults for a new one).
fn deployed(k: &Kafka, name: &str) -> ProcessorConfig {
    k.processors
        .get(name)
        .map(|p| p.config.clone())
        .unwrap_or_default()
}

fn processor_config(a: &mut Args, base: ProcessorConfig) -> Result<ProcessorConfig, Fail> {
    let mut c = base;
    if let Some(g) = a.opt("guarantee")? {
        c.guarantee = Guarantee::parse(&g).ok_or_else(|| {
            param("--guarantee must be at-most-once, at-least-once or exactly-once")
        })?;
    }
    if let Some(r) = a.opt("rate")? {
        c.rate_per_sec = r
            .strip_suffix("/s")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| param("--rate must be records per second, e.g. 1000/s"))?;
    }
    if let Some(d) = a.duration("commit-interval")? {
        c.commit_interval = d.max(SimDuration::from_millis(1));
    }
    Ok(c)
}

fn processor_json(k: &Kafka, name: &str) -> Out {
    let p = k
        .processors
        .get(name)
        .ok_or_else(|| fail("UsageError", format!("no processor named '{name}'")))?;
    Ok(json!({
        "Name": p.name,
        "Group": p.group,
        "Input": p.input,
        "Output": p.output,
        "Guarantee": p.config.guarantee.name(),
        "Alive": p.alive,
        "Incarnation": p.incarnation,
        "Processed": p.processed,
        "VerifiedOutputs": p.verification.outputs,
        "DuplicateOutputs": p.verification.duplicates,
        "MissingOutputs": p.verification.missing,
    }))
}

pub(super) fn processor_cmd(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
    let now = sim.now();
    let name = a.req("name")?;
    let k = kafka(sim)?;
    match sub {
        "start" => {
            let group = a.req("group")?;
            let input = a.req("input")?;
            let output = a.req("output")?;
            // A restart keeps the deployed config; the options given here change it.
            let config = processor_config(&mut a, deployed(k, &name))?;
            a.finish(0)?;
            k.start_processor(&name, &group, &input, &output, config, now)?;
        }
        "crash" => {
            a.finish(0)?;
            k.crash_processor(&name)?;
        }
        "configure" => {
            let config = processor_config(&mut a, deployed(k, &name))?;
            a.finish(0)?;
            k.reconfigure_processor(&name, config)?;
        }
        "status" => a.finish(0)?,
        _ => {
            return Err(fail(
                "UsageError",
                format!("unknown processor command '{sub}'"),
            ));
        }
    }
    processor_json(k, &name)
}

pub(super) fn consumer_groups(sim: &mut Sim, mut a: Args) -> Out {
    let now = sim.now();
    let list = bool_flag(&mut a, "list");
    let describe = bool_flag(&mut a, "describe");
    let reset = bool_flag(&mut a, "reset-offsets");
    bool_flag(&mut a, "members");
    a.opt("bootstrap-server")?;
    let k = kafka(sim)?;
    match (list, describe, reset) {
        (true, false, false) => {
            a.finish(0)?;
            let all: std::collections::BTreeSet<&String> =
                k.groups.keys().chain(k.classic_groups.keys()).collect();
            Ok(json!({"Groups": all}))
        }
        (false, true, false) => {
            let g = a.req("group")?;
            a.finish(0)?;
            group_json(k, &g, true, now)
        }
        (false, false, true) => {
            let group = a.req("group")?;
            let topic_spec = a.req("topic")?;
            let earliest = bool_flag(&mut a, "to-earliest");
            let latest = bool_flag(&mut a, "to-latest");
            let to_offset = a.num::<u64>("to-offset")?;
            let datetime = a.opt("to-datetime")?;
            let shift = a.num::<i64>("shift-by")?;
            let execute = bool_flag(&mut a, "execute");
            let dry = bool_flag(&mut a, "dry-run");
            a.finish(0)?;
            if execute && dry {
                return Err(param("--execute and --dry-run are exclusive"));
            }
            let to = match (earliest, latest, to_offset, datetime, shift) {
                (true, false, None, None, None) => crate::kafka::consumer::ResetTo::Earliest,
                (false, true, None, None, None) => crate::kafka::consumer::ResetTo::Latest,
                (false, false, Some(o), None, None) => crate::kafka::consumer::ResetTo::Offset(o),
                (false, false, None, Some(d), None) => {
                    crate::kafka::consumer::ResetTo::Datetime(parse_timestamp(&d).map_err(param)?)
                }
                (false, false, None, None, Some(s)) => crate::kafka::consumer::ResetTo::ShiftBy(s),
                _ => {
                    return Err(param(
                        "give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by",
                    ));
                }
            };
            let (topic, parts) =
                match topic_spec.split_once(':') {
                    Some((t, ps)) => {
                        let parts: Result<Vec<u32>, _> = ps.split(',').map(str::parse).collect();
                        (
                            t.to_string(),
                            Some(parts.map_err(|_| {
                                param("partitions in --topic T:P,P must be numbers")
                            })?),
                        )
                    }
                    None => (topic_spec, None),
                };
            let out = if k.classic_groups.contains_key(&group) {
                super::classic::reset_classic(
                    k,
                    &group,
                    &topic,
                    parts.as_deref(),
                    to,
                    execute,
                    now,
                )?
            } else {
                k.group_mut(&group, now)?;
                let Kafka {
                    cluster, groups, ..
                } = &mut *k;
                let g = groups.get_mut(&group).expect("created above");
                g.reset_offsets(cluster, &topic, parts.as_deref(), to, execute)?
            };
            Ok(json!({
                "Group": group,
                "Executed": execute,
                "Offsets": out.iter().map(|(p, o)| json!({"Topic": topic, "Partition": p, "NewOffset": o})).collect::<Vec<_>>(),
            }))
        }
        _ => Err(param(
            "kafka-consumer-groups needs exactly one of --list, --describe, --reset-offsets",
        )),
    }
}
