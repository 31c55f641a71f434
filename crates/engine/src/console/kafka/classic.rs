//! Client-run consumer groups in the console: `kafka-consumer-groups --describe` of a group
//! real clients formed through the front door (its members with their client ids and hosts,
//! the assignment their leader chose, the offsets they committed, the lag), and `consumer
//! start|stop` of a simulated member that joins such a group beside them.

use super::groups::offset_row;
use super::{bool_flag, configs};
use crate::console::args::{Args, Fail, Out, fail, param};
use crate::kafka::assignor::{Assignor, TopicPartition};
use crate::kafka::classic::consumer_protocol as cp;
use crate::kafka::consumer::{ResetTo, reset_targets};
use crate::kafka::coordinator::CoordinatorKind;
use crate::kafka::group::GroupState;
use crate::kafka::world::Kafka;
use crate::time::SimTime;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// `kafka-consumer-groups --describe` of a client-run group.
pub(super) fn classic_group_json(k: &Kafka, id: &str, now: SimTime) -> Option<Out> {
    let g = k.classic_groups.get(id)?;
    let c = &k.cluster;
    let coordinator = c.coordinator_status(
        CoordinatorKind::Group,
        CoordinatorKind::Group.partition_for(id),
        now,
    );
    let members = g.members();
    let mut owner: BTreeMap<TopicPartition, &str> = BTreeMap::new();
    let mut topics: BTreeSet<String> = g.offsets().keys().map(|tp| tp.topic.clone()).collect();
    let protocol = g.protocol().unwrap_or("");
    let mut member_rows = Vec::new();
    for m in &members {
        let assigned = cp::decode_assignment(&m.assignment).unwrap_or_default();
        for tp in &assigned {
            owner.insert(tp.clone(), m.id.as_str());
        }
        if let Some((_, meta)) = m.protocols.iter().find(|(p, _)| p == protocol)
            && let Ok(sub) = cp::decode_subscription(meta)
        {
            topics.extend(sub.topics);
        }
        let mut row = json!({
            "MemberId": m.id,
            "ClientId": m.client_id,
            "Host": m.client_host,
            "InstanceId": m.instance_id,
            "Assignment": assigned.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        if let Some(sim) = &m.simulated {
            row["Simulated"] = json!(true);
            row["Alive"] = json!(!sim.crashed);
            row["Consumed"] = json!(sim.consumed);
        }
        member_rows.push(row);
    }
    let mut rows = Vec::new();
    for t in &topics {
        let Ok(topic) = c.topic(t) else { continue };
        for p in &topic.partitions {
            let tp = TopicPartition::new(t, p.index);
            let committed = g.committed(&tp).and_then(|o| u64::try_from(o.offset).ok());
            let owner = owner.get(&tp).copied();
            rows.push(offset_row(t, p.index, committed, p.high_watermark, owner));
        }
    }
    let cooperative = Assignor::parse(protocol).is_ok_and(Assignor::is_cooperative);
    Some(Ok(json!({
        "Group": id,
        "Coordinator": coordinator.broker(),
        "CoordinatorPartition": format!("{}-{}", CoordinatorKind::Group.topic(), CoordinatorKind::Group.partition_for(id)),
        "CoordinatorStatus": coordinator.describe(),
        "State": g.state().name(),
        "Generation": g.generation(),
        "Protocol": if protocol.is_empty() { "-" } else if cooperative { "cooperative" } else { "eager" },
        "Assignor": if protocol.is_empty() { "-" } else { protocol },
        "Leader": g.leader().unwrap_or("-"),
        "Rebalances": g.rebalances_total(),
        "Offsets": rows,
        "Members": member_rows,
    })))
}

/// `consumer start|stop` in a client-run group: a simulated member beside the clients.
pub(super) fn classic_consumer_cmd(
    k: &mut Kafka,
    group: &str,
    sub: &str,
    mut a: Args,
    now: SimTime,
) -> Out {
    let member = a.req("member")?;
    match sub {
        "start" => {
            let topics: Vec<String> = a
                .req("topic")?
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            for t in &topics {
                k.cluster.topic(t)?;
            }
            let mut assignor = Assignor::Range;
            for (key, value) in configs(&mut a, "config")? {
                match key.as_str() {
                    "partition.assignment.strategy" => {
                        let first = value.split(',').next().unwrap_or_default();
                        assignor = Assignor::parse(first).map_err(param)?;
                    }
                    _ => {
                        return Err(param(format!(
                            "a member of a client-run group takes only partition.assignment.strategy (not {key})"
                        )));
                    }
                }
            }
            a.finish(0)?;
            k.classic_group_mut(group)?
                .start_simulated(now, &member, assignor, topics)?;
        }
        "stop" => {
            let crash = bool_flag(&mut a, "crash");
            a.finish(0)?;
            k.classic_group_mut(group)?
                .stop_simulated(now, &member, crash)?;
        }
        _ => {
            return Err(fail(
                "UsageError",
                format!("a client-run group's members start and stop; '{sub}' is not for them"),
            ));
        }
    }
    classic_group_json(k, group, now).unwrap_or_else(|| Ok(json!({"Group": group})))
}

/// `kafka-consumer-groups --reset-offsets` of a client-run group: as for any group, only while
/// it has no members (the clients are stopped).
pub(super) fn reset_classic(
    k: &mut Kafka,
    group: &str,
    topic: &str,
    partitions: Option<&[u32]>,
    to: ResetTo,
    execute: bool,
    now: SimTime,
) -> Result<Vec<(u32, u64)>, Fail> {
    let Kafka {
        cluster,
        classic_groups,
        ..
    } = k;
    let Some(g) = classic_groups.get_mut(group) else {
        return Ok(Vec::new());
    };
    if g.state() != GroupState::Empty {
        return Err(fail(
            "NON_EMPTY_GROUP",
            format!(
                "Assignments can only be reset if the group '{group}' is inactive, but the current state is {}.",
                g.state().name()
            ),
        ));
    }
    let current = |tp: &TopicPartition| g.committed(tp).and_then(|c| u64::try_from(c.offset).ok());
    let out = reset_targets(cluster, topic, partitions, to, current)?;
    if execute {
        for (p, o) in &out {
            g.commit(
                now,
                TopicPartition::new(topic, *p),
                i64::try_from(*o).unwrap_or(i64::MAX),
                String::new(),
            )?;
        }
    }
    Ok(out)
}
