//! The door's group coordinator: each group request decoded by [`group_protocol`] goes to the
//! engine's broker API ([`api`]), and a request the broker holds (a JoinGroup until the join
//! phase ends, a follower's SyncGroup until the leader's) waits here, looking again every few
//! milliseconds while the engine's clock follows the wall clock.

use std::time::Duration;

use streamdrill_engine::SimDuration;
use streamdrill_engine::api::kafka_groups::{self as api, OffsetToCommit};
use streamdrill_engine::kafka::classic::{JoinRequest, JoinResponse, Reply};
use streamdrill_engine::kafka::coordinator::CoordinatorKind;
use streamdrill_engine::kafka::error::{ErrorCode, KafkaError};
use streamdrill_engine::kafka::world::Kafka;

use super::group_protocol::{self as wire, Coordinator, DescribedMember, GroupRequest, Joined};
use super::protocol::{code, error_code};
use super::{POLL, Ports};
use crate::doors::Served;

/// The console command a client's OffsetCommit to a simulated group stands for.
const RESET: &str = "kafka-consumer-groups --reset-offsets";

/// A held JoinGroup or SyncGroup waits at most this long past the group's rebalance timeout
/// (the group answers by then: it drops members at the timeout).
const HELD_SLACK: Duration = Duration::from_secs(5);

/// Who sent the request: its `client.id` and address, as DescribeGroups shows them.
pub struct Caller<'a> {
    pub client_id: &'a str,
    pub host: &'a str,
}

fn no_cluster() -> KafkaError {
    KafkaError::new(
        ErrorCode::CoordinatorNotAvailable,
        "no Kafka cluster is served",
    )
}

/// Runs `f` on the cluster at the current virtual time.
fn with_kafka<T>(
    served: &Served,
    f: impl FnOnce(&mut Kafka, streamdrill_engine::SimTime) -> Result<T, KafkaError>,
) -> Result<T, KafkaError> {
    served.with(|world| match world.kafka() {
        Some((kafka, now)) => f(kafka, now),
        None => Err(no_cluster()),
    })
}

fn millis(ms: i32) -> SimDuration {
    SimDuration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// Waits for a held request's answer: `take` looks for it.
async fn held<T>(
    served: &Served,
    wait: Duration,
    mut take: impl FnMut(&mut Kafka) -> Option<Result<T, KafkaError>>,
) -> Result<T, KafkaError> {
    let deadline = tokio::time::Instant::now() + wait + HELD_SLACK;
    loop {
        let got = served.with(|world| world.kafka().and_then(|(kafka, _)| take(kafka)));
        if let Some(answer) = got {
            return answer;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(KafkaError::new(
                ErrorCode::RebalanceInProgress,
                "the group did not answer in time",
            ));
        }
        tokio::time::sleep(POLL * 20).await;
    }
}

fn joined(r: JoinResponse) -> Joined {
    Joined {
        error: code::NONE,
        generation: r.generation,
        protocol: r.protocol,
        leader: r.leader,
        member_id: r.member_id,
        members: r
            .members
            .into_iter()
            .map(|m| (m.member_id, m.instance_id, m.metadata))
            .collect(),
    }
}

fn join_refused(e: &KafkaError, member_id: String) -> Joined {
    eprintln!(
        "kafka door: JoinGroup refused: {}",
        crate::text::sanitize_line(&e.to_string())
    );
    Joined {
        error: error_code(e.code),
        generation: -1,
        member_id,
        ..Joined::default()
    }
}

/// The response body for a group request.
pub async fn answer(
    served: &Served,
    ports: &Ports,
    broker: u32,
    v: i16,
    caller: &Caller<'_>,
    request: GroupRequest,
) -> Vec<u8> {
    match request {
        GroupRequest::FindCoordinator { key, key_type } => {
            find_coordinator(served, ports, v, &key, key_type)
        }
        GroupRequest::JoinGroup(j) => join_group(served, broker, v, caller, j).await,
        GroupRequest::SyncGroup {
            group,
            generation,
            member_id,
            instance_id,
            assignments,
        } => {
            let who = (member_id.as_str(), instance_id.as_deref(), generation);
            sync_group(served, broker, v, &group, who, assignments).await
        }
        GroupRequest::Heartbeat {
            group,
            generation,
            member_id,
            instance_id,
        } => {
            let r = with_kafka(served, |kafka, now| {
                api::heartbeat(
                    kafka,
                    broker,
                    &group,
                    &member_id,
                    instance_id.as_deref(),
                    generation,
                    now,
                )
            });
            wire::error_only(v, r.err().map_or(code::NONE, |e| error_code(e.code)))
        }
        GroupRequest::LeaveGroup { group, members } => {
            let r = with_kafka(served, |kafka, now| {
                api::leave_group(kafka, broker, &group, &members, now)
            });
            match r {
                Ok(each) => {
                    let per: Vec<(String, Option<String>, i16)> = members
                        .into_iter()
                        .zip(each)
                        .map(|((id, instance), r)| {
                            (
                                id,
                                instance,
                                r.err().map_or(code::NONE, |e| error_code(e.code)),
                            )
                        })
                        .collect();
                    // Before v3 a request is one member: its error is the request's.
                    let top = if v >= 3 {
                        code::NONE
                    } else {
                        per.first().map_or(code::NONE, |m| m.2)
                    };
                    wire::leave_group(v, top, &per)
                }
                Err(e) => wire::leave_group(v, error_code(e.code), &[]),
            }
        }
        GroupRequest::OffsetCommit {
            group,
            generation,
            member_id,
            instance_id,
            topics,
        } => offset_commit(
            served,
            broker,
            v,
            &group,
            generation,
            &member_id,
            instance_id.as_deref(),
            &topics,
        ),
        GroupRequest::OffsetFetch { group, topics } => {
            offset_fetch(served, broker, v, &group, topics)
        }
        GroupRequest::DescribeGroups { groups } => describe_groups(served, broker, v, &groups),
        GroupRequest::ListGroups => {
            let groups = with_kafka(served, |kafka, now| {
                Ok(api::list_groups(kafka, broker, now))
            })
            .unwrap_or_default();
            wire::list_groups(v, &groups)
        }
    }
}

fn find_coordinator(served: &Served, ports: &Ports, v: i16, key: &str, key_type: i8) -> Vec<u8> {
    let kind = if key_type == 1 {
        CoordinatorKind::Transaction
    } else {
        CoordinatorKind::Group
    };
    let found = with_kafka(served, |kafka, now| {
        api::find_coordinator(kafka, kind, key, now)
    });
    let c = match &found {
        Ok(node) => Coordinator {
            error: code::NONE,
            message: None,
            node: i32::try_from(*node).unwrap_or(-1),
            port: ports.get(node).map_or(-1, |p| i32::from(*p)),
        },
        Err(e) => Coordinator {
            error: error_code(e.code),
            message: Some(&e.message),
            node: -1,
            port: -1,
        },
    };
    wire::find_coordinator(v, &c)
}

async fn join_group(
    served: &Served,
    broker: u32,
    v: i16,
    caller: &Caller<'_>,
    j: wire::JoinGroup,
) -> Vec<u8> {
    let group = j.group.clone();
    let member_id = j.member_id.clone();
    let wait = Duration::from_millis(u64::try_from(j.rebalance_timeout_ms).unwrap_or(0));
    let request = JoinRequest {
        member_id: j.member_id,
        instance_id: j.instance_id,
        client_id: caller.client_id.to_string(),
        client_host: format!("/{}", caller.host),
        session_timeout: millis(j.session_timeout_ms),
        rebalance_timeout: millis(j.rebalance_timeout_ms),
        protocol_type: j.protocol_type,
        protocols: j.protocols,
        require_known_member_id: v >= 4,
    };
    let reply = with_kafka(served, |kafka, now| {
        api::join_group(kafka, broker, &group, request, now)
    });
    let body = match reply {
        Ok(Reply::Now(r)) => joined(r),
        Ok(Reply::MemberIdRequired(id)) => Joined {
            error: error_code(ErrorCode::MemberIdRequired),
            generation: -1,
            member_id: id,
            ..Joined::default()
        },
        Ok(Reply::Later(id)) => {
            match held(served, wait, |kafka| api::take_join(kafka, &group, &id)).await {
                Ok(r) => joined(r),
                Err(e) => join_refused(&e, id),
            }
        }
        Err(e) => join_refused(&e, member_id),
    };
    wire::join_group(v, &body)
}

/// SyncGroup from `who` (member id, instance id, generation).
async fn sync_group(
    served: &Served,
    broker: u32,
    v: i16,
    group: &str,
    who: (&str, Option<&str>, i32),
    assignments: Vec<(String, Vec<u8>)>,
) -> Vec<u8> {
    let (member_id, instance_id, generation) = who;
    let reply = with_kafka(served, |kafka, now| {
        api::sync_group(
            kafka,
            broker,
            group,
            member_id,
            instance_id,
            generation,
            assignments,
            now,
        )
    });
    let wait = served.with(|world| {
        world
            .kafka()
            .and_then(|(k, _)| k.classic_groups.get(group))
            .and_then(|g| g.member(member_id))
            .map_or(Duration::ZERO, |m| {
                Duration::from_micros(m.rebalance_timeout.as_micros())
            })
    });
    let result = match reply {
        Ok(Reply::Now(a)) => Ok(a),
        Ok(Reply::Later(id) | Reply::MemberIdRequired(id)) => {
            held(served, wait, |kafka| api::take_sync(kafka, group, &id)).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(a) => wire::sync_group(v, code::NONE, &a),
        Err(e) => wire::sync_group(v, error_code(e.code), &[]),
    }
}

fn describe_groups(served: &Served, broker: u32, v: i16, groups: &[String]) -> Vec<u8> {
    let described: Vec<Result<api::DescribedGroup, (String, KafkaError)>> = groups
        .iter()
        .map(|g| {
            with_kafka(served, |kafka, now| {
                api::describe_group(kafka, broker, g, now)
            })
            .map_err(|e| (g.clone(), e))
        })
        .collect();
    let views: Vec<wire::DescribedGroup<'_>> = described
        .iter()
        .map(|d| match d {
            Ok(g) => wire::DescribedGroup {
                error: code::NONE,
                group: &g.group,
                state: &g.state,
                protocol_type: &g.protocol_type,
                protocol: &g.protocol,
                members: g
                    .members
                    .iter()
                    .map(|m| DescribedMember {
                        member_id: &m.member_id,
                        instance_id: m.instance_id.as_deref(),
                        client_id: &m.client_id,
                        client_host: &m.client_host,
                        metadata: &m.metadata,
                        assignment: &m.assignment,
                    })
                    .collect(),
            },
            Err((group, e)) => wire::DescribedGroup {
                error: error_code(e.code),
                group,
                state: "",
                protocol_type: "",
                protocol: "",
                members: Vec::new(),
            },
        })
        .collect();
    wire::describe_groups(v, &views)
}

#[allow(clippy::too_many_arguments)]
fn offset_commit(
    served: &Served,
    broker: u32,
    v: i16,
    group: &str,
    generation: i32,
    member_id: &str,
    instance_id: Option<&str>,
    topics: &[(String, Vec<wire::CommitPartition>)],
) -> Vec<u8> {
    let mut offsets = Vec::new();
    let mut negative = Vec::new();
    for (name, partitions) in topics {
        for (index, offset, metadata) in partitions {
            match u32::try_from(*index) {
                Ok(partition) => offsets.push(OffsetToCommit {
                    topic: name.clone(),
                    partition,
                    offset: *offset,
                    metadata: metadata.clone().unwrap_or_default(),
                }),
                Err(_) => negative.push((name.clone(), *index)),
            }
        }
    }
    // Committing to a group of the simulation's own consumers is resetting its offsets: in a
    // lab, only where the lab's console may.
    let result = served.with(|world| {
        let admin = world.kafka().is_some_and(|(k, _)| {
            k.groups.contains_key(group) && !k.classic_groups.contains_key(group)
        });
        if admin && !world.kafka_client_may(RESET) {
            return Err(KafkaError::new(
                ErrorCode::GroupAuthorizationFailed,
                format!("this lab does not let a client reset group '{group}'"),
            ));
        }
        let Some((kafka, now)) = world.kafka() else {
            return Err(no_cluster());
        };
        let result = api::offset_commit(
            kafka,
            broker,
            group,
            member_id,
            instance_id,
            generation,
            offsets,
            now,
        );
        if admin {
            let failed = match &result {
                Err(e) => Some(e.code.name()),
                Ok(each) => each
                    .iter()
                    .find_map(|r| r.as_ref().err())
                    .map(|e| e.code.name()),
            };
            world.note_kafka_client(RESET, failed);
        }
        result
    });
    let mut each = match &result {
        Ok(each) => each
            .iter()
            .map(|r| r.as_ref().err().map_or(code::NONE, |e| error_code(e.code)))
            .collect::<Vec<i16>>()
            .into_iter(),
        Err(_) => Vec::new().into_iter(),
    };
    let group_error = result.as_ref().err().map(|e| error_code(e.code));
    let answers: Vec<(String, Vec<(i32, i16)>)> = topics
        .iter()
        .map(|(name, partitions)| {
            let codes = partitions
                .iter()
                .map(|(index, ..)| {
                    let code = if negative.contains(&(name.clone(), *index)) {
                        code::UNKNOWN_TOPIC_OR_PARTITION
                    } else {
                        group_error.unwrap_or_else(|| each.next().unwrap_or(code::NONE))
                    };
                    (*index, code)
                })
                .collect();
            (name.clone(), codes)
        })
        .collect();
    wire::offset_commit(v, &answers)
}

fn offset_fetch(
    served: &Served,
    broker: u32,
    v: i16,
    group: &str,
    topics: Option<Vec<(String, Vec<i32>)>>,
) -> Vec<u8> {
    let wanted = topics.map(|ts| {
        ts.into_iter()
            .flat_map(|(t, ps)| {
                ps.into_iter()
                    .filter_map(move |p| u32::try_from(p).ok().map(|p| (t.clone(), p)))
            })
            .collect::<Vec<_>>()
    });
    match with_kafka(served, |kafka, now| {
        api::offset_fetch(kafka, broker, group, wanted, now)
    }) {
        Ok(found) => {
            let mut by_topic: Vec<(String, Vec<wire::FetchedOffset>)> = Vec::new();
            for f in found {
                let entry = wire::FetchedOffset {
                    index: i32::try_from(f.partition).unwrap_or(i32::MAX),
                    offset: f.offset,
                    metadata: f.metadata,
                    error: code::NONE,
                };
                match by_topic.iter_mut().find(|(t, _)| *t == f.topic) {
                    Some((_, ps)) => ps.push(entry),
                    None => by_topic.push((f.topic, vec![entry])),
                }
            }
            wire::offset_fetch(v, code::NONE, &by_topic)
        }
        Err(e) => wire::offset_fetch(v, error_code(e.code), &[]),
    }
}
