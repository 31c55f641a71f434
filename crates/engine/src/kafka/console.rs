//! The Kafka commands of the `streamdrill sim` console, shaped like the Kafka CLI tools
//! (`kafka-topics`, `kafka-configs`, `kafka-consumer-groups`), with short verbs where no tool
//! has a one-shot form (`produce`, `consume`, `producer`, `txn`, `broker`, `controller`,
//! `zookeeper`). Output is one JSON object per command, as the rest of the console prints.

use super::cluster::{Acks, BrokerState, MetadataMode, Partition, Topic};
use super::coordinator::CoordinatorKind;
use super::error::{ErrorCode, KafkaError};
use super::processor::{Guarantee, ProcessorConfig};
use super::producer::{ProducerConfig, SendOutcome, TxnState};
use super::world::{KAFKA_TICK, Kafka};
use crate::console::{Args, Fail, Out, fail, metrics_json, param, parse_rate};
use crate::metrics::{Metric, MetricSet};
use crate::sim::Sim;
use crate::time::{SimDuration, SimTime, parse_timestamp};
use crate::workload::{KeyDist, SizeDist};
use serde_json::{Map, Value, json};

/// The Kafka commands and their synopses (appended to the console's `help`).
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "kafka-cluster create",
        "--brokers 3 [--mode kraft|zookeeper]",
    ),
    ("kafka-cluster describe", ""),
    (
        "kafka-topics --create",
        "--topic T --partitions N --replication-factor R [--config k=v]...",
    ),
    ("kafka-topics --describe", "[--topic T]"),
    ("kafka-topics --list", ""),
    ("kafka-topics --alter", "--topic T --partitions N"),
    ("kafka-topics --delete", "--topic T"),
    (
        "kafka-configs --alter",
        "--entity-type topics|brokers (--entity-name X | --entity-default) --add-config k=v[,k=v]",
    ),
    (
        "kafka-configs --describe",
        "--entity-type topics --entity-name T",
    ),
    (
        "produce",
        "--topic T [--key K] (--value V | --tombstone) [--partition N] [--acks 0|1|all] [--idempotent] [--producer P]  (a synchronous send: time advances until it is acknowledged or fails)",
    ),
    (
        "consume",
        "--topic T [--partition N] [--from-beginning | --offset N] [--max-messages 10] [--isolation-level read_uncommitted|read_committed]",
    ),
    (
        "producer start",
        "NAME --topic T [--rate 1000/s|5MB/s] [--size 1KB] [--keys uniform:N|zipf:S:N|hot:F:N|none] [--mode record|flow] [--config k=v]...  (acks, retries, delivery.timeout.ms, request.timeout.ms, retry.backoff.ms, enable.idempotence, max.in.flight.requests.per.connection, batch.size, buffer.memory, transactional.id, transaction.timeout.ms; no --rate: a client for produce and txn)",
    ),
    ("producer stop", "NAME"),
    (
        "producer configure",
        "NAME [--rate R] [--config k=v]...  (a redeploy: same workload, new client configs or rate)",
    ),
    ("producer status", "[NAME]"),
    ("txn init|begin|commit|abort", "--producer P"),
    (
        "txn send-offsets",
        "--producer P --group G --topic T --partition N --offset X",
    ),
    (
        "consumer start",
        "--group G --member M --topic T[,T2] [--rate 10000/s] [--config k=v]...  (partition.assignment.strategy, session.timeout.ms, heartbeat.interval.ms, max.poll.interval.ms, group.instance.id, isolation.level, auto.offset.reset, enable.auto.commit, auto.commit.interval.ms, max.poll.records)",
    ),
    ("consumer stop", "--group G --member M [--crash]"),
    (
        "consumer stall",
        "--group G --member M --for 6m  (the poll loop stops)",
    ),
    (
        "consumer configure",
        "--group G --config k=v...  (a redeploy: running members restart with the configs; later starts use them too)",
    ),
    ("kafka-consumer-groups --list", ""),
    ("kafka-consumer-groups --describe", "--group G"),
    (
        "kafka-consumer-groups --reset-offsets",
        "--group G --topic T[:P,P] (--to-earliest | --to-latest | --to-offset N | --to-datetime D | --shift-by N) [--execute | --dry-run]",
    ),
    (
        "processor start",
        "--name A --group G --input T --output U [--guarantee at-most-once|at-least-once|exactly-once] [--rate 1000/s] [--commit-interval 5s]  (read-process-write; a crashed one restarts with its last config unless options change it)",
    ),
    (
        "processor crash",
        "--name A  (the process dies between reading and writing)",
    ),
    (
        "processor configure",
        "--name A [--guarantee G] [--rate R] [--commit-interval D]  (a clean redeploy)",
    ),
    ("processor status", "--name A"),
    (
        "broker stop",
        "ID [--hard]  (controlled shutdown, or a crash)",
    ),
    ("broker start", "ID"),
    ("broker pause", "ID --for 20s  (a long GC or VM pause)"),
    ("broker list", ""),
    ("controller fail", ""),
    ("controller status", ""),
    ("zookeeper stop|start", "ID  (1..3)"),
    (
        "kafka-metrics",
        "(--topic T [--partition N] | --broker ID | --producer P | --group G [--member M] | --cluster) [--metric NAME] [--last 60s]",
    ),
    ("kafka-events", "[--last N]  (the cluster's event log)"),
];

impl From<KafkaError> for Fail {
    fn from(e: KafkaError) -> Self {
        Fail {
            code: e.code.name().to_string(),
            message: e.message,
        }
    }
}

fn kafka(sim: &mut Sim) -> Result<&mut Kafka, Fail> {
    sim.kafka.as_mut().ok_or_else(|| {
        fail(
            "UsageError",
            "no Kafka cluster: run `kafka-cluster create --brokers 3` first",
        )
    })
}

/// Moves values a boolean flag swallowed back to the positional arguments.
fn bool_flag(a: &mut Args, name: &str) -> bool {
    let present = a.flag(name);
    let swallowed = a.values(name);
    a.positional.extend(swallowed);
    present
}

fn configs(a: &mut Args, name: &str) -> Result<Vec<(String, String)>, Fail> {
    let mut out = Vec::new();
    for v in a.values(name) {
        for kv in v.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| param(format!("expected key=value in --{name}, got '{kv}'")))?;
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(out)
}

fn positional_u32(a: &Args, what: &str) -> Result<u32, Fail> {
    a.positional
        .first()
        .ok_or_else(|| param(format!("usage: {what} ID")))?
        .parse()
        .map_err(|_| param(format!("{what}: ID must be a number")))
}

/// Routes one Kafka command; `None` when the words are not a Kafka command.
pub(crate) fn dispatch(sim: &mut Sim, tokens: &[String]) -> Option<Out> {
    let words: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let rest = |n: usize| Args::parse(&tokens[n.min(tokens.len())..]);
    Some(match words.as_slice() {
        ["kafka-cluster", sub, ..] => cluster_cmd(sim, sub, rest(2)),
        ["kafka-topics", ..] => topics(sim, rest(1)),
        ["kafka-configs", ..] => configs_cmd(sim, rest(1)),
        ["produce", ..] => produce(sim, rest(1)),
        ["consume", ..] => consume(sim, rest(1)),
        ["producer", sub, ..] => producer_cmd(sim, sub, rest(2)),
        ["txn", sub, ..] => txn(sim, sub, rest(2)),
        ["consumer", sub, ..] => consumer_cmd(sim, sub, rest(2)),
        ["processor", sub, ..] => processor_cmd(sim, sub, rest(2)),
        ["kafka-consumer-groups", ..] => consumer_groups(sim, rest(1)),
        ["broker", sub, ..] => broker(sim, sub, rest(2)),
        ["controller", sub, ..] => controller(sim, sub, rest(2)),
        ["zookeeper", sub, ..] => zookeeper(sim, sub, rest(2)),
        ["kafka-metrics", ..] => kafka_metrics(sim, rest(1)),
        ["kafka-events", ..] => events(sim, rest(1)),
        _ => return None,
    })
}

fn cluster_cmd(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
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

fn topics(sim: &mut Sim, mut a: Args) -> Out {
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

fn configs_cmd(sim: &mut Sim, mut a: Args) -> Out {
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

/// The producer a console `produce` uses: one per (acks, idempotence) combination.
fn console_producer(
    k: &mut Kafka,
    topic: &str,
    acks: Acks,
    idempotent: bool,
    now: SimTime,
) -> Result<String, Fail> {
    let name = format!(
        "console-{topic}-acks{}-{}",
        acks.name(),
        if idempotent { "idempotent" } else { "plain" }
    );
    if !k.producers.contains_key(&name) {
        let config = ProducerConfig {
            acks,
            idempotence: Some(idempotent),
            ..ProducerConfig::default()
        };
        k.add_producer(&name, topic, config, now)?;
    }
    Ok(name)
}

fn produce(sim: &mut Sim, mut a: Args) -> Out {
    let now = sim.now();
    let topic = a.req("topic")?;
    let key = a.opt("key")?;
    let tombstone = bool_flag(&mut a, "tombstone");
    let value = a.opt("value")?;
    let partition = a.num::<u32>("partition")?;
    let acks = match a.opt("acks")? {
        None => None,
        Some(s) => Some(Acks::parse(&s).ok_or_else(|| param("--acks must be 0, 1 or all"))?),
    };
    let idempotent = bool_flag(&mut a, "idempotent");
    let named = a.opt("producer")?;
    a.finish(0)?;
    if value.is_none() && !tombstone {
        return Err(param("--value V (or --tombstone) is required"));
    }
    let k = kafka(sim)?;
    let name = match named {
        Some(n) => {
            if acks.is_some() || idempotent {
                return Err(param(
                    "--acks and --idempotent come from the producer's config when --producer is given",
                ));
            }
            let p = k.producer_mut(&n)?;
            if p.topic != topic {
                return Err(param(format!(
                    "producer '{n}' writes to topic '{}'",
                    p.topic
                )));
            }
            n
        }
        None => console_producer(k, &topic, acks.unwrap_or(Acks::All), idempotent, now)?,
    };
    let key_id = key
        .as_deref()
        .map(|kname| k.keys.intern(kname))
        .transpose()?;
    let Kafka {
        producers,
        cluster,
        ids,
        ..
    } = k;
    let p = producers.get_mut(&name).expect("exists");
    let deadline = SimDuration(p.config.delivery_timeout.0 + SimDuration::from_secs(1).0);
    let id = p.send(
        key_id.zip(key.as_deref()),
        value.as_deref(),
        partition,
        cluster,
        ids,
        now,
    )?;
    let started = now;
    // A synchronous send (`send().get()`): run the simulation until the outcome is known.
    let mut waited = SimDuration::ZERO;
    loop {
        let k = kafka(sim)?;
        let p = &k.producers[&name];
        match p.outcomes.get(&id) {
            Some(SendOutcome::Acked { partition, offset }) => {
                let (partition, offset) = (*partition, *offset);
                let k = kafka(sim)?;
                k.producer_mut(&name)?.outcomes.remove(&id);
                let mut v = json!({"Topic": topic, "Partition": partition, "ElapsedMs": sim.now().since(started).0 / 1000});
                if offset == u64::MAX {
                    v["Offset"] = json!(-1);
                    v["Note"] = json!("acks=0: sent without waiting for the broker");
                } else {
                    v["Offset"] = json!(offset);
                }
                return Ok(v);
            }
            Some(SendOutcome::Failed { error, .. }) => {
                let e = error.clone();
                kafka(sim)?.producer_mut(&name)?.outcomes.remove(&id);
                return Err(e.into());
            }
            _ => {}
        }
        if waited > deadline {
            return Err(fail("SimulationLimit", "the send did not complete"));
        }
        sim.advance(KAFKA_TICK)
            .map_err(|m| fail("SimulationLimit", m))?;
        waited = SimDuration(waited.0 + KAFKA_TICK.0);
    }
}

fn consume(sim: &mut Sim, mut a: Args) -> Out {
    let topic = a.req("topic")?;
    let partition = a.num::<u32>("partition")?;
    let from_beginning = bool_flag(&mut a, "from-beginning");
    let offset = a.num::<u64>("offset")?;
    let max = a.num::<u64>("max-messages")?.unwrap_or(10).min(10_000);
    let committed = match a.opt("isolation-level")?.as_deref() {
        None | Some("read_uncommitted") => false,
        Some("read_committed") => true,
        Some(o) => {
            return Err(param(format!(
                "--isolation-level must be read_committed or read_uncommitted, not '{o}'"
            )));
        }
    };
    a.finish(0)?;
    let k = kafka(sim)?;
    let t = k.cluster.topic(&topic)?;
    let parts: Vec<&Partition> = match partition {
        Some(p) => vec![k.cluster.partition(&topic, p)?],
        None => t.partitions.iter().collect(),
    };
    if offset.is_some() && partition.is_none() {
        return Err(param("--offset needs --partition"));
    }
    let mut records = Vec::new();
    let mut next = Map::new();
    for p in parts {
        let from = match (offset, from_beginning) {
            (Some(o), _) => {
                if o < p.log.start_offset || o > p.log.end_offset {
                    return Err(KafkaError::new(ErrorCode::OffsetOutOfRange, format!("Fetch position {o} is out of range for partition {topic}-{}: log start {}, end {}", p.index, p.log.start_offset, p.log.end_offset)).into());
                }
                o
            }
            (None, true) => p.log.start_offset,
            (None, false) => p.visible_end(committed),
        };
        let budget = max.saturating_sub(records.len() as u64);
        let n = p
            .log
            .read(from, p.visible_end(committed), budget, committed, |r| {
                records.push(json!({
                    "Partition": p.index,
                    "Offset": r.offset,
                    "Key": k.keys.name(r.key),
                    "Value": r.value,
                    "SizeBytes": r.size,
                    "Timestamp": r.timestamp.to_rfc3339(),
                    "Count": r.count,
                }));
            });
        next.insert(p.index.to_string(), json!(n));
    }
    Ok(json!({"Records": records, "NextOffsets": next}))
}

fn producer_json(k: &Kafka, name: &str) -> Result<Value, Fail> {
    let p = k
        .producers
        .get(name)
        .ok_or_else(|| fail("UsageError", format!("no producer named '{name}'")))?;
    let errors: Map<String, Value> = p
        .stats
        .errors
        .iter()
        .map(|(c, n)| (c.name().to_string(), json!(n)))
        .collect();
    Ok(json!({
        "Name": p.name,
        "Topic": p.topic,
        "Running": p.running && p.workload.is_some(),
        "Acks": p.config.acks.name(),
        "Idempotent": p.idempotent,
        "ProducerId": if p.producer_id == super::log::NO_PRODUCER { -1 } else { p.producer_id as i64 },
        "Epoch": p.epoch,
        "Transaction": format!("{:?}", p.txn),
        "Sent": p.stats.sent,
        "Acked": p.stats.acked,
        "Failed": p.stats.failed,
        "Retried": p.stats.retried,
        "Duplicated": p.stats.duplicated,
        "Blocked": p.stats.blocked,
        "AckedLost": k.lost(p),
        "InFlight": p.in_flight_records(),
        "Errors": errors,
        "LastError": p.stats.last_error.as_ref().map(|(t, e)| format!("{} {e}", t.to_rfc3339())),
    }))
}

fn producer_cmd(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
    let now = sim.now();
    match sub {
        "start" => {
            let name = a
                .positional
                .first()
                .cloned()
                .ok_or_else(|| param("usage: producer start NAME --topic T ..."))?;
            let topic = a.req("topic")?;
            let rate = a.opt("rate")?;
            let size = a.record_size()?;
            let keys = match a.opt("keys")?.as_deref() {
                None => Some(KeyDist::Uniform { keys: 1000 }),
                Some("none") => None,
                Some(d) => Some(KeyDist::parse(d).map_err(param)?),
            };
            let mode = a.gen_mode()?;
            let mut config = ProducerConfig::default();
            for (key, v) in configs(&mut a, "config")? {
                config.set(&key, &v)?;
            }
            a.finish(1)?;
            let rate = rate.map(|r| rate_per_sec(&r, size)).transpose()?;
            let k = kafka(sim)?;
            k.add_producer(&name, &topic, config, now)?;
            if let Some(rate) = rate {
                k.start_workload(&name, rate, size, keys, mode, now)?;
            }
            producer_json(k, &name)
        }
        "configure" => {
            let name = a
                .positional
                .first()
                .cloned()
                .ok_or_else(|| param("usage: producer configure NAME --config k=v"))?;
            let changes = configs(&mut a, "config")?;
            let rate = a.opt("rate")?;
            a.finish(1)?;
            let k = kafka(sim)?;
            if let Some(rate) = rate {
                let size = k
                    .producer_mut(&name)?
                    .workload
                    .as_ref()
                    .map_or(SizeDist::Fixed(1000), |w| w.size);
                let rate = rate_per_sec(&rate, size)?;
                k.producer_mut(&name)?.set_rate(rate, now)?;
            }
            if !changes.is_empty() {
                k.reconfigure_producer(&name, &changes, now)?;
            }
            producer_json(k, &name)
        }
        "stop" => {
            let name = a
                .positional
                .first()
                .cloned()
                .ok_or_else(|| param("usage: producer stop NAME"))?;
            a.finish(1)?;
            let k = kafka(sim)?;
            k.producer_mut(&name)?.running = false;
            producer_json(k, &name)
        }
        "status" => {
            let name = a.positional.first().cloned();
            a.finish(1)?;
            let k = kafka(sim)?;
            match name {
                Some(n) => producer_json(k, &n),
                None => Ok(
                    json!({"Producers": k.producers.keys().map(|n| producer_json(k, n)).collect::<Result<Vec<_>, _>>()?}),
                ),
            }
        }
        _ => Err(fail(
            "UsageError",
            format!("unknown producer command '{sub}'"),
        )),
    }
}

/// `1000/s` records per second, or `5MB/s` bytes per second at the mean record size.
/// The console's rate, with the unit Kafka producers are sized by spelled out (`/s`).
fn rate_per_sec(text: &str, size: SizeDist) -> Result<u64, Fail> {
    if !text.ends_with("/s") {
        return Err(param(format!("rate '{text}' must end in /s")));
    }
    parse_rate(text, size)
}

fn txn(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
    let now = sim.now();
    let name = a.req("producer")?;
    let k = kafka(sim)?;
    let Kafka {
        producers,
        cluster,
        coordinator,
        ids,
        ..
    } = k;
    let p = producers
        .get_mut(&name)
        .ok_or_else(|| fail("UsageError", format!("no producer named '{name}'")))?;
    if !p.is_transactional() {
        return Err(KafkaError::new(
            ErrorCode::InvalidTxnState,
            format!("producer '{name}' has no transactional.id"),
        )
        .into());
    }
    match sub {
        "init" => {
            a.finish(0)?;
            p.init_transactions(coordinator, ids, cluster, now)?;
        }
        "begin" => {
            a.finish(0)?;
            p.begin_transaction(now)?;
        }
        "commit" | "abort" => {
            a.finish(0)?;
            // EndTxn needs the coordinator: the Java client would block up to max.block.ms;
            // the console reports the retriable error at once and the transaction stays open.
            let id = p.config.transactional_id.clone().unwrap_or_default();
            let (partition, status) =
                cluster.coordinator_of(CoordinatorKind::Transaction, &id, now);
            if let Some(e) = status.error(CoordinatorKind::Transaction, partition, &id) {
                return Err(e.into());
            }
            p.end_transaction(sub == "commit")?;
            // Run until the transaction completes (commitTransaction blocks).
            for _ in 0..100_000 {
                let state = kafka(sim)?.producers[&name].txn.clone();
                if !matches!(state, TxnState::Committing | TxnState::Aborting) {
                    break;
                }
                sim.advance(KAFKA_TICK)
                    .map_err(|m| fail("SimulationLimit", m))?;
            }
        }
        "send-offsets" => {
            let group = a.req("group")?;
            let topic = a.req("topic")?;
            let partition = a.req_num::<u32>("partition")?;
            let offset = a.req_num::<u64>("offset")?;
            a.finish(0)?;
            p.send_offsets(
                coordinator,
                cluster,
                vec![(group, topic, partition, offset)],
                now,
            )?;
        }
        _ => return Err(fail("UsageError", format!("unknown txn command '{sub}'"))),
    }
    let k = kafka(sim)?;
    let p = &k.producers[&name];
    if p.txn == TxnState::Fenced {
        return Err(KafkaError::new(
            ErrorCode::ProducerFenced,
            "the producer has been fenced by a newer instance with the same transactional.id",
        )
        .into());
    }
    Ok(
        json!({"Producer": name, "ProducerId": p.producer_id, "Epoch": p.epoch, "State": format!("{:?}", p.txn)}),
    )
}

fn broker(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
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

fn controller(sim: &mut Sim, sub: &str, a: Args) -> Out {
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

fn zookeeper(sim: &mut Sim, sub: &str, a: Args) -> Out {
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

/// Sums several metric sets into one (counters add; gauges add, which for these gauges -
/// partitions, bytes, lag - is the total).
fn merged<'a>(sets: impl Iterator<Item = &'a MetricSet>) -> MetricSet {
    let mut out = MetricSet::default();
    for set in sets {
        for m in set.present() {
            if let Some(series) = set.get(m) {
                for (sec, v) in series.since(0) {
                    out.add(m, sec, v);
                }
            }
        }
    }
    out
}

fn kafka_metrics(sim: &mut Sim, mut a: Args) -> Out {
    let metric = a
        .opt("metric")?
        .map(|m| Metric::parse(&m).ok_or_else(|| param(format!("unknown metric '{m}'"))))
        .transpose()?;
    let last = a.duration("last")?.unwrap_or(SimDuration::from_secs(60));
    let from_sec = sim.now().saturating_sub(last).as_secs();
    let topic = a.opt("topic")?;
    let partition = a.num::<u32>("partition")?;
    let broker = a.num::<u32>("broker")?;
    let producer = a.opt("producer")?;
    let group = a.opt("group")?;
    let member = a.opt("member")?;
    let whole = bool_flag(&mut a, "cluster");
    a.finish(0)?;
    let k = kafka(sim)?;
    if let Some(g) = group {
        let cg = k.groups.get(&g).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::GroupIdNotFound,
                format!("Consumer group '{g}' does not exist."),
            )
        })?;
        let (scope, set) = match member {
            Some(m) => (
                format!("member {m} of {g}"),
                &cg.members
                    .get(&m)
                    .ok_or_else(|| fail("UsageError", format!("no member '{m}' in group '{g}'")))?
                    .metrics,
            ),
            None => (format!("group {g}"), &cg.metrics),
        };
        return Ok(json!({"Scope": scope, "Metrics": metrics_json(set, metric, from_sec)}));
    }
    let (scope, set) = match (topic, broker, producer, whole) {
        (Some(t), None, None, false) => match partition {
            Some(p) => (
                format!("partition {t}-{p}"),
                k.cluster.partition(&t, p)?.metrics.clone(),
            ),
            None => (
                format!("topic {t}"),
                merged(k.cluster.topic(&t)?.partitions.iter().map(|p| &p.metrics)),
            ),
        },
        (None, Some(b), None, false) => {
            (format!("broker {b}"), k.cluster.broker(b)?.metrics.clone())
        }
        (None, None, Some(p), false) => {
            let pr = k
                .producers
                .get(&p)
                .ok_or_else(|| fail("UsageError", format!("no producer named '{p}'")))?;
            (format!("producer {p}"), pr.metrics.clone())
        }
        (None, None, None, true) => ("cluster".to_string(), k.cluster.metrics.clone()),
        _ => {
            return Err(param(
                "give exactly one of --topic, --broker, --producer, --cluster",
            ));
        }
    };
    Ok(json!({"Scope": scope, "Metrics": metrics_json(&set, metric, from_sec)}))
}

fn events(sim: &mut Sim, mut a: Args) -> Out {
    let last = a.num::<usize>("last")?.unwrap_or(50);
    a.finish(0)?;
    let k = kafka(sim)?;
    let ev = &k.cluster.events;
    let skip = ev.len().saturating_sub(last);
    Ok(
        json!({"Events": ev.iter().skip(skip).map(|e| json!({"At": e.at.to_rfc3339(), "Event": e.text})).collect::<Vec<_>>()}),
    )
}

fn consumer_cmd(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
    let now = sim.now();
    let group = a.req("group")?;
    let k = kafka(sim)?;
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
            let mut config = super::consumer::ConsumerConfig::default();
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

fn group_json(k: &Kafka, id: &str, members: bool, now: SimTime) -> Out {
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
            let tp = super::assignor::TopicPartition::new(t, p.index);
            let committed = g.group.committed(&tp);
            let owner = g.group.owner_of(&tp);
            rows.push(json!({
                "Topic": t,
                "Partition": p.index,
                "CurrentOffset": committed.map_or(Value::from("-"), Value::from),
                "LogEndOffset": p.high_watermark,
                "Lag": committed.map_or(Value::from("-"), |o| Value::from(p.high_watermark.saturating_sub(o))),
                "ConsumerId": owner.unwrap_or("-"),
            }));
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

fn processor_cmd(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
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

fn consumer_groups(sim: &mut Sim, mut a: Args) -> Out {
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
            Ok(json!({"Groups": k.groups.keys().collect::<Vec<_>>()}))
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
                (true, false, None, None, None) => super::consumer::ResetTo::Earliest,
                (false, true, None, None, None) => super::consumer::ResetTo::Latest,
                (false, false, Some(o), None, None) => super::consumer::ResetTo::Offset(o),
                (false, false, None, Some(d), None) => {
                    super::consumer::ResetTo::Datetime(parse_timestamp(&d).map_err(param)?)
                }
                (false, false, None, None, Some(s)) => super::consumer::ResetTo::ShiftBy(s),
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
            k.group_mut(&group, now)?;
            let Kafka {
                cluster, groups, ..
            } = &mut *k;
            let g = groups.get_mut(&group).expect("created above");
            let out = g.reset_offsets(cluster, &topic, parts.as_deref(), to, execute)?;
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
