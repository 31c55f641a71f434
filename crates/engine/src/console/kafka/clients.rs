//! Kafka clients: `produce` (a synchronous send), `consume` (a read of partitions),
//! `producer` (workloads and client configs) and `txn` (transactions).

use super::{bool_flag, configs, kafka};
use crate::console::args::{Args, Fail, Out, fail, param, parse_rate};
use crate::kafka::cluster::{Acks, Partition};
use crate::kafka::coordinator::CoordinatorKind;
use crate::kafka::error::{ErrorCode, KafkaError};
use crate::kafka::producer::{ProducerConfig, SendOutcome, TxnState, check_record_rate};
use crate::kafka::world::{KAFKA_TICK, Kafka};
use crate::sim::Sim;
use crate::time::{SimDuration, SimTime};
use crate::workload::{KeyDist, SizeDist};
use serde_json::{Map, Value, json};

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

pub(super) fn produce(sim: &mut Sim, mut a: Args) -> Out {
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
            if *p.topic != *topic {
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
    let mut spent = 0;
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
            return Err(fail(crate::budget::CODE, "the send did not complete"));
        }
        sim.advance_metered(KAFKA_TICK, &mut spent)
            .map_err(|m| fail(crate::budget::CODE, m))?;
        waited = SimDuration(waited.0 + KAFKA_TICK.0);
    }
}

pub(super) fn consume(sim: &mut Sim, mut a: Args) -> Out {
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
        "Topic": &*p.topic,
        "Running": p.running && p.workload.is_some(),
        "Acks": p.config.acks.name(),
        "Idempotent": p.idempotent,
        "ProducerId": if p.producer_id == crate::kafka::log::NO_PRODUCER { -1 } else { p.producer_id as i64 },
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

pub(super) fn producer_cmd(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
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
            if let Some(rate) = rate {
                check_record_rate(rate, mode)?;
            }
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

pub(super) fn txn(sim: &mut Sim, sub: &str, mut a: Args) -> Out {
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
            let mut spent = 0;
            for _ in 0..100_000 {
                let state = kafka(sim)?.producers[&name].txn.clone();
                if !matches!(state, TxnState::Committing | TxnState::Aborting) {
                    break;
                }
                sim.advance_metered(KAFKA_TICK, &mut spent)
                    .map_err(|m| fail(crate::budget::CODE, m))?;
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
