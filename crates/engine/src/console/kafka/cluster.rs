//! The Kafka cluster and its administration: `kafka-cluster`, `kafka-topics`, `kafka-configs`,
//! `broker`, `controller` and `zookeeper`.

use super::{bool_flag, configs, kafka, positional_u32};
use crate::console::args::{Args, Out, fail, param};
use crate::kafka::cluster::{BrokerState, MetadataMode, Partition, Topic};
use crate::sim::Sim;
use serde_json::{Map, Value, json};

pub(super) fn cluster_cmd(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
    match sub {
        "create" => {
            let brokers = a.num::<u32>("brokers")?.unwrap_or(3);
            let mode = match a.opt("mode")?.as_deref() {
                None | Some("kraft") => MetadataMode::KRaft,
                Some("zookeeper" | "zk") => MetadataMode::ZooKeeper,
                Some(m) => {
                    return Err(param(format!(
                        "--mode must be kraft or zookeeper, not '{m}'"
                    )));
                }
            };
            a.finish(0)?;
            sim.create_kafka(brokers, mode)?;
            cluster_json(sim)
        }
        "describe" => {
            a.finish(0)?;
            cluster_json(sim)
        }
        _ => Err(fail(
            "UsageError",
            format!("unknown kafka-cluster command '{sub}'"),
        )),
    }
}

fn cluster_json(sim: &mut Sim) -> Out {
    let now = sim.now();
    let k = kafka(sim)?;
    let c = &k.cluster;
    let brokers: Vec<Value> = c
        .brokers
        .values()
        .map(|b| {
            json!({
                "Id": b.id,
                "State": broker_state(b.state),
                "Fenced": b.fenced,
                "Leaderships": c.topics.values().flat_map(|t| &t.partitions).filter(|p| p.leader == Some(b.id)).count(),
            })
        })
        .collect();
    let mut v = json!({
        "Mode": match c.mode { MetadataMode::KRaft => "kraft", MetadataMode::ZooKeeper => "zookeeper" },
        "Controller": c.controller_description(now),
        "ControllerReady": c.controller_ready(now),
        "Brokers": brokers,
        "Topics": c.topics.len(),
        "Partitions": c.partition_count(),
    });
    if c.mode == MetadataMode::ZooKeeper {
        v["ZooKeeper"] = json!({"Nodes": c.zk_nodes(), "Quorum": c.zk_has_quorum()});
        v["ControllerBroker"] = json!(c.controller_broker());
    }
    Ok(v)
}

fn broker_state(s: BrokerState) -> String {
    match s {
        BrokerState::Running => "running".into(),
        BrokerState::Stopped => "stopped".into(),
        BrokerState::Paused(until) => format!("paused until {}", until.to_rfc3339()),
    }
}

fn partition_json(name: &str, p: &Partition) -> Value {
    json!({
        "Topic": name,
        "Partition": p.index,
        "Leader": p.leader.map_or(-1, i64::from),
        "LeaderEpoch": p.leader_epoch,
        "Replicas": p.replica_ids(),
        "Isr": p.isr,
        "LogStartOffset": p.log.start_offset,
        "LogEndOffset": p.log.end_offset,
        "HighWatermark": p.high_watermark,
        "LastStableOffset": p.last_stable_offset(),
        "ReplicaLogEndOffsets": p.replicas.iter().map(|r| json!({"Broker": r.broker, "LogEndOffset": r.leo})).collect::<Vec<_>>(),
        "SizeBytes": p.log.bytes,
        "Segments": p.log.segment_count(),
    })
}

fn topic_json(t: &Topic) -> Value {
    let configs: Map<String, Value> = t
        .config
        .overrides()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    json!({
        "Topic": t.name,
        "TopicId": t.id,
        "PartitionCount": t.partitions.len(),
        "ReplicationFactor": t.replication_factor,
        "Configs": configs,
        "Partitions": t.partitions.iter().map(|p| partition_json(&t.name, p)).collect::<Vec<_>>(),
    })
}

pub(super) fn topics(sim: &mut Sim, mut a: Args) -> Out {
    let now = sim.now();
    let create = bool_flag(&mut a, "create");
    let describe = bool_flag(&mut a, "describe");
    let list = bool_flag(&mut a, "list");
    let alter = bool_flag(&mut a, "alter");
    let delete = bool_flag(&mut a, "delete");
    a.opt("bootstrap-server")?;
    let k = kafka(sim)?;
    match (create, describe, list, alter, delete) {
        (true, false, false, false, false) => {
            let topic = a.req("topic")?;
            let partitions = a.req_num::<u32>("partitions")?;
            let rf = a.req_num::<u32>("replication-factor")?;
            let cfg = configs(&mut a, "config")?;
            a.finish(0)?;
            k.cluster.create_topic(&topic, partitions, rf, &cfg, now)?;
            Ok(json!({"Created": topic}))
        }
        (false, true, false, false, false) => {
            let topic = a.opt("topic")?;
            a.finish(0)?;
            let topics: Vec<Value> = match topic {
                Some(t) => vec![topic_json(k.cluster.topic(&t)?)],
                None => k.cluster.topics.values().map(topic_json).collect(),
            };
            Ok(json!({"Topics": topics}))
        }
        (false, false, true, false, false) => {
            a.finish(0)?;
            Ok(json!({"Topics": k.cluster.topics.keys().collect::<Vec<_>>()}))
        }
        (false, false, false, true, false) => {
            let topic = a.req("topic")?;
            let partitions = a
                .num::<u32>("partitions")?
                .ok_or_else(|| param("--alter needs --partitions N"))?;
            a.finish(0)?;
            k.cluster.add_partitions(&topic, partitions, now)?;
            Ok(json!({"Topic": topic, "PartitionCount": partitions}))
        }
        (false, false, false, false, true) => {
            let topic = a.req("topic")?;
            a.finish(0)?;
            k.cluster.delete_topic(&topic, now)?;
            Ok(json!({"Deleted": topic}))
        }
        _ => Err(param(
            "kafka-topics needs exactly one of --create, --describe, --list, --alter, --delete",
        )),
    }
}

pub(super) fn configs_cmd(sim: &mut Sim, mut a: Args) -> Out {
    let now = sim.now();
    let alter = bool_flag(&mut a, "alter");
    let describe = bool_flag(&mut a, "describe");
    let entity_default = bool_flag(&mut a, "entity-default");
    a.opt("bootstrap-server")?;
    let entity_type = a.req("entity-type")?;
    let name = a.opt("entity-name")?;
    let cfg = configs(&mut a, "add-config")?;
    a.finish(0)?;
    let k = kafka(sim)?;
    match (alter, describe, entity_type.as_str()) {
        (true, false, "topics") => {
            let name = name.ok_or_else(|| param("--entity-name T is required for topics"))?;
            k.cluster.alter_topic_config(&name, &cfg, now)?;
            Ok(
                json!({"Topic": name, "Altered": cfg.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>()}),
            )
        }
        (true, false, "brokers") => {
            let broker = match (name, entity_default) {
                (Some(n), false) => Some(
                    n.parse::<u32>()
                        .map_err(|_| param("--entity-name must be a broker id"))?,
                ),
                (None, true) => None,
                _ => return Err(param("brokers need --entity-name ID or --entity-default")),
            };
            k.cluster.alter_broker_config(broker, &cfg)?;
            Ok(
                json!({"Broker": broker.map_or("default".to_string(), |b| b.to_string()), "Altered": cfg.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>()}),
            )
        }
        (false, true, "topics") => {
            let name = name.ok_or_else(|| param("--entity-name T is required"))?;
            let t = k.cluster.topic(&name)?;
            let c: Map<String, Value> = t
                .config
                .overrides()
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            Ok(json!({"Topic": name, "Configs": c}))
        }
        (_, _, t) if t != "topics" && t != "brokers" => Err(param(format!(
            "--entity-type must be topics or brokers, not '{t}'"
        ))),
        _ => Err(param("kafka-configs needs --alter or --describe")),
    }
}

pub(super) fn broker(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
    let now = sim.now();
    let hard = bool_flag(&mut a, "hard");
    let k = kafka(sim)?;
    match sub {
        "stop" => {
            let id = positional_u32(&a, "broker stop")?;
            a.finish(1)?;
            k.cluster.stop_broker(id, !hard, now)?;
        }
        "start" => {
            let id = positional_u32(&a, "broker start")?;
            a.finish(1)?;
            k.cluster.start_broker(id, now)?;
        }
        "pause" => {
            let id = positional_u32(&a, "broker pause")?;
            let d = a
                .duration("for")?
                .ok_or_else(|| param("--for DURATION is required"))?;
            a.finish(1)?;
            k.cluster.pause_broker(id, d, now)?;
        }
        "list" => a.finish(0)?,
        _ => {
            return Err(fail(
                "UsageError",
                format!("unknown broker command '{sub}'"),
            ));
        }
    }
    cluster_json(sim)
}

pub(super) fn controller(sim: &mut Sim, sub: &str, a: Args) -> Out {
    let now = sim.now();
    a.finish(0)?;
    let k = kafka(sim)?;
    match sub {
        "fail" => k.cluster.fail_controller(now)?,
        "status" => {}
        _ => {
            return Err(fail(
                "UsageError",
                format!("unknown controller command '{sub}'"),
            ));
        }
    }
    let c = &k.cluster;
    Ok(json!({
        "Controller": c.controller_description(now),
        "Ready": c.controller_ready(now),
        "Failovers": c.controller_failovers(),
        "Partitions": c.partition_count(),
    }))
}

pub(super) fn zookeeper(sim: &mut Sim, sub: &str, a: Args) -> Out {
    let now = sim.now();
    let node = positional_u32(&a, "zookeeper")? as usize;
    a.finish(1)?;
    let k = kafka(sim)?;
    match sub {
        "stop" => k.cluster.stop_zookeeper(node, now)?,
        "start" => k.cluster.start_zookeeper(node, now)?,
        _ => {
            return Err(fail(
                "UsageError",
                format!("unknown zookeeper command '{sub}'"),
            ));
        }
    }
    cluster_json(sim)
}
