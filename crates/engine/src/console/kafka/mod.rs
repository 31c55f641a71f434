//! The Kafka commands of the `streamdrill sim` console, shaped like the Kafka CLI tools
//! (`kafka-topics`, `kafka-configs`, `kafka-consumer-groups`), with short verbs where no tool
//! has a one-shot form (`produce`, `consume`, `producer`, `txn`, `broker`, `controller`,
//! `zookeeper`). Output is one JSON object per command, as the rest of the console prints.
//!
//! The routing (`dispatch`), `kafka-metrics` and `kafka-events` are here; the commands stand
//! in `cluster` (`kafka-cluster`, `kafka-topics`, `kafka-configs`, `broker`, `controller`,
//! `zookeeper`), `clients` (`produce`, `consume`, `producer`, `txn`) and `groups`
//! (`consumer`, `kafka-consumer-groups`, `processor`). Like the Kinesis commands, they import
//! only the console's shared `args` and `output`.

mod classic;
mod clients;
mod cluster;
mod groups;

use crate::console::args::{Args, Fail, Out, fail, param};
use crate::console::output::metrics_json;
use crate::kafka::error::{ErrorCode, KafkaError};
use crate::kafka::world::Kafka;
use crate::metrics::{Metric, MetricSet};
use crate::sim::Sim;
use crate::time::SimDuration;
use clients::{consume, produce, producer_cmd, txn};
use cluster::{broker, cluster_cmd, configs_cmd, controller, topics, zookeeper};
use groups::{consumer_cmd, consumer_groups, processor_cmd};
use serde_json::json;

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
        "--group G --member M --topic T[,T2] [--rate 10000/s] [--config k=v]...  (partition.assignment.strategy, session.timeout.ms, heartbeat.interval.ms, max.poll.interval.ms, group.instance.id, isolation.level, auto.offset.reset, enable.auto.commit, auto.commit.interval.ms, max.poll.records; in a group real clients formed through the front door, a simulated member beside them, with only partition.assignment.strategy)",
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
