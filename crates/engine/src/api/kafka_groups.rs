//! The broker's group-coordinator side of the protocol: FindCoordinator, JoinGroup,
//! SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups and
//! ListGroups, answered from the cluster's state. A group's coordinator is the leader of its
//! `__consumer_offsets` partition, so a request sent elsewhere answers NOT_COORDINATOR, and a
//! coordinator that is moving answers COORDINATOR_NOT_AVAILABLE or
//! COORDINATOR_LOAD_IN_PROGRESS, as a real cluster does while it fails over.

use crate::kafka::assignor::TopicPartition;
use crate::kafka::classic::consumer_protocol as cp;
use crate::kafka::classic::{ClassicGroup, JoinRequest, JoinResponse, OFFSET_ENTRY_BYTES, Reply};
use crate::kafka::cluster::BrokerId;
use crate::kafka::coordinator::{CoordinatorKind, CoordinatorStatus};
use crate::kafka::error::{ErrorCode, KafkaError, Result};
use crate::kafka::world::Kafka;
use crate::time::SimTime;

/// Bytes all client-run groups together may hold ([`crate::budget::CLIENT_GROUPS_BYTES`]): a
/// client that sends megabytes of metadata per member, or commits offsets with large metadata
/// for many partitions, is refused before the process runs out.
pub const CLIENT_GROUPS_BYTES_MAX: usize = crate::budget::CLIENT_GROUPS_BYTES;

/// Refuses what would take the client-run groups past [`CLIENT_GROUPS_BYTES_MAX`].
fn within_budget(kafka: &Kafka, adding: usize) -> Result<()> {
    let held: usize = kafka
        .classic_groups
        .values()
        .map(ClassicGroup::held_bytes)
        .sum();
    if held.saturating_add(adding) > CLIENT_GROUPS_BYTES_MAX {
        return Err(KafkaError::limit(crate::budget::refusal(
            format_args!("{adding} more bytes of group state"),
            CLIENT_GROUPS_BYTES_MAX as u64,
            "bytes of client-run group state",
            "CLIENT_GROUPS_BYTES",
            "nothing was changed",
        )));
    }
    Ok(())
}

/// Partitions one OffsetCommit or OffsetFetch may name.
pub const OFFSET_PARTITIONS_MAX: usize = 100_000;

/// FindCoordinator: the broker hosting `key`'s coordinator (a group id, or a transactional
/// id).
pub fn find_coordinator(
    kafka: &Kafka,
    kind: CoordinatorKind,
    key: &str,
    now: SimTime,
) -> Result<BrokerId> {
    let (partition, status) = kafka.cluster.coordinator_of(kind, key, now);
    match (status, status.error(kind, partition, key)) {
        // A loading coordinator is named: the client's requests then wait for the load.
        (
            CoordinatorStatus::Ready { broker, .. } | CoordinatorStatus::Loading { broker, .. },
            _,
        ) => Ok(broker),
        (_, Some(e)) => Err(e),
        (_, None) => Err(KafkaError::new(
            ErrorCode::CoordinatorNotAvailable,
            format!("'{key}' has no coordinator"),
        )),
    }
}

/// The request for `group` went to `broker`: it must be the group's coordinator, loaded.
fn coordinates(kafka: &Kafka, broker: BrokerId, group: &str, now: SimTime) -> Result<()> {
    super::kafka::coordinates(kafka, CoordinatorKind::Group, broker, group, now)
}

fn classic<'a>(
    kafka: &'a mut Kafka,
    broker: BrokerId,
    group: &str,
    now: SimTime,
) -> Result<&'a mut ClassicGroup> {
    coordinates(kafka, broker, group, now)?;
    kafka.classic_group_mut(group)
}

fn known<'a>(
    kafka: &'a mut Kafka,
    broker: BrokerId,
    group: &str,
    now: SimTime,
) -> Result<&'a mut ClassicGroup> {
    coordinates(kafka, broker, group, now)?;
    kafka.classic_groups.get_mut(group).ok_or_else(|| {
        KafkaError::new(
            ErrorCode::UnknownMemberId,
            format!("group '{group}' has no members"),
        )
    })
}

pub fn join_group(
    kafka: &mut Kafka,
    broker: BrokerId,
    group: &str,
    request: JoinRequest,
    now: SimTime,
) -> Result<Reply<JoinResponse>> {
    if group.is_empty() {
        return Err(KafkaError::new(
            ErrorCode::InvalidGroupId,
            "the group id is empty",
        ));
    }
    let adding = request
        .protocols
        .iter()
        .map(|(n, m)| n.len() + m.len())
        .sum::<usize>()
        + request.client_id.len()
        + request.client_host.len();
    within_budget(kafka, adding)?;
    classic(kafka, broker, group, now)?.join(now, request)
}

/// The answer to a held JoinGroup (`None`: still held).
pub fn take_join(kafka: &mut Kafka, group: &str, member_id: &str) -> Option<Result<JoinResponse>> {
    kafka.classic_groups.get_mut(group)?.take_join(member_id)
}

#[allow(clippy::too_many_arguments)]
pub fn sync_group(
    kafka: &mut Kafka,
    broker: BrokerId,
    group: &str,
    member_id: &str,
    instance_id: Option<&str>,
    generation: i32,
    assignments: Vec<(String, Vec<u8>)>,
    now: SimTime,
) -> Result<Reply<Vec<u8>>> {
    within_budget(
        kafka,
        assignments.iter().map(|(id, a)| id.len() + a.len()).sum(),
    )?;
    known(kafka, broker, group, now)?.sync(now, member_id, instance_id, generation, assignments)
}

pub fn take_sync(kafka: &mut Kafka, group: &str, member_id: &str) -> Option<Result<Vec<u8>>> {
    kafka.classic_groups.get_mut(group)?.take_sync(member_id)
}

pub fn heartbeat(
    kafka: &mut Kafka,
    broker: BrokerId,
    group: &str,
    member_id: &str,
    instance_id: Option<&str>,
    generation: i32,
    now: SimTime,
) -> Result<()> {
    known(kafka, broker, group, now)?.heartbeat(now, member_id, instance_id, generation)
}

/// LeaveGroup for each `(member id, instance id)`: one answer per member.
pub fn leave_group(
    kafka: &mut Kafka,
    broker: BrokerId,
    group: &str,
    members: &[(String, Option<String>)],
    now: SimTime,
) -> Result<Vec<Result<()>>> {
    let g = known(kafka, broker, group, now)?;
    Ok(members
        .iter()
        .map(|(id, instance)| g.leave(now, id, instance.as_deref()))
        .collect())
}

/// One partition of an OffsetCommit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffsetToCommit {
    pub topic: String,
    pub partition: u32,
    pub offset: i64,
    pub metadata: String,
}

/// OffsetCommit: an answer per partition (a group-level refusal answers every partition).
#[allow(clippy::too_many_arguments)]
pub fn offset_commit(
    kafka: &mut Kafka,
    broker: BrokerId,
    group: &str,
    member_id: &str,
    instance_id: Option<&str>,
    generation: i32,
    offsets: Vec<OffsetToCommit>,
    now: SimTime,
) -> Result<Vec<Result<()>>> {
    if offsets.len() > OFFSET_PARTITIONS_MAX {
        return Err(KafkaError::new(
            ErrorCode::InvalidRequest,
            format!("at most {OFFSET_PARTITIONS_MAX} partitions per OffsetCommit"),
        ));
    }
    coordinates(kafka, broker, group, now)?;
    if !kafka.classic_groups.contains_key(group) && kafka.groups.contains_key(group) {
        return admin_commit(kafka, group, generation, offsets);
    }
    within_budget(
        kafka,
        offsets
            .iter()
            .map(|o| OFFSET_ENTRY_BYTES + o.topic.len() + o.metadata.len())
            .sum(),
    )?;
    let exists: Vec<bool> = offsets
        .iter()
        .map(|o| kafka.cluster.partition(&o.topic, o.partition).is_ok())
        .collect();
    let g = kafka.classic_group_mut(group)?;
    g.check_commit(member_id, instance_id, generation)?;
    Ok(offsets
        .into_iter()
        .zip(exists)
        .map(|(o, exists)| {
            if !exists {
                return Err(KafkaError::new(
                    ErrorCode::UnknownTopicOrPartition,
                    format!("{}-{} does not exist", o.topic, o.partition),
                ));
            }
            g.commit(
                now,
                TopicPartition::new(&o.topic, o.partition),
                o.offset,
                o.metadata,
            )
        })
        .collect())
}

/// An OffsetCommit to a group of the simulation's own consumers: the admin path a client takes
/// to reset a group's offsets (what `kafka-consumer-groups --reset-offsets` and
/// `AdminClient.alterConsumerGroupOffsets` send), generation -1 and only while the group has
/// no running members.
fn admin_commit(
    kafka: &mut Kafka,
    group: &str,
    generation: i32,
    offsets: Vec<OffsetToCommit>,
) -> Result<Vec<Result<()>>> {
    let refused = |message: String| KafkaError::new(ErrorCode::UnknownMemberId, message);
    if generation >= 0 {
        return Err(refused(format!(
            "group '{group}' is run by the simulation's consumers: a client commits to it only as an admin (generation -1)"
        )));
    }
    let Kafka {
        cluster, groups, ..
    } = kafka;
    let Some(g) = groups.get_mut(group) else {
        return Err(refused(format!("group '{group}' does not exist")));
    };
    if !g.group.can_reset_offsets() {
        return Err(refused(format!(
            "group '{group}' has running members: stop them before resetting its offsets"
        )));
    }
    Ok(offsets
        .into_iter()
        .map(|o| {
            cluster.partition(&o.topic, o.partition)?;
            let offset = u64::try_from(o.offset).map_err(|_| {
                KafkaError::new(ErrorCode::InvalidRequest, format!("offset {}", o.offset))
            })?;
            g.group
                .set_committed(TopicPartition::new(&o.topic, o.partition), offset)
                .map_err(|e| KafkaError::new(ErrorCode::InvalidRequest, e.to_string()))
        })
        .collect())
}

/// A committed offset as OffsetFetch answers it (-1: none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedOffset {
    pub topic: String,
    pub partition: u32,
    pub offset: i64,
    pub metadata: String,
}

/// OffsetFetch of the partitions named (`None`: every partition the group has an offset
/// for). A client-run group answers from its commits; a group of the simulation's own
/// consumers from theirs, so a real client can read where they are.
pub fn offset_fetch(
    kafka: &Kafka,
    broker: BrokerId,
    group: &str,
    partitions: Option<Vec<(String, u32)>>,
    now: SimTime,
) -> Result<Vec<FetchedOffset>> {
    coordinates(kafka, broker, group, now)?;
    let committed = |tp: &TopicPartition| -> Option<(i64, String)> {
        if let Some(g) = kafka.classic_groups.get(group) {
            return g.committed(tp).map(|c| (c.offset, c.metadata.clone()));
        }
        kafka
            .groups
            .get(group)
            .and_then(|g| g.group.committed(tp))
            .map(|o| (i64::try_from(o).unwrap_or(i64::MAX), String::new()))
    };
    let wanted: Vec<TopicPartition> = match partitions {
        Some(list) => list
            .into_iter()
            .take(OFFSET_PARTITIONS_MAX)
            .map(|(t, p)| TopicPartition::new(&t, p))
            .collect(),
        None => match kafka.classic_groups.get(group) {
            Some(g) => g.offsets().keys().cloned().collect(),
            None => Vec::new(),
        },
    };
    Ok(wanted
        .into_iter()
        .map(|tp| {
            let (offset, metadata) = committed(&tp).unwrap_or((-1, String::new()));
            FetchedOffset {
                topic: tp.topic,
                partition: tp.partition,
                offset,
                metadata,
            }
        })
        .collect())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribedMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub metadata: Vec<u8>,
    pub assignment: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribedGroup {
    pub group: String,
    /// `Dead` for a group nobody has used, as a broker answers.
    pub state: String,
    pub protocol_type: String,
    pub protocol: String,
    pub members: Vec<DescribedMember>,
}

/// DescribeGroups for one group.
pub fn describe_group(
    kafka: &Kafka,
    broker: BrokerId,
    group: &str,
    now: SimTime,
) -> Result<DescribedGroup> {
    coordinates(kafka, broker, group, now)?;
    if let Some(g) = kafka.classic_groups.get(group) {
        let protocol = g.protocol().unwrap_or("").to_string();
        return Ok(DescribedGroup {
            group: group.to_string(),
            state: g.state().name().to_string(),
            protocol_type: g.protocol_type().unwrap_or("").to_string(),
            members: g
                .members()
                .into_iter()
                .map(|m| DescribedMember {
                    member_id: m.id.clone(),
                    instance_id: m.instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    metadata: m
                        .protocols
                        .iter()
                        .find(|(p, _)| *p == protocol)
                        .map(|(_, b)| b.clone())
                        .unwrap_or_default(),
                    assignment: m.assignment.clone(),
                })
                .collect(),
            protocol,
        });
    }
    if let Some(g) = kafka.groups.get(group) {
        return Ok(DescribedGroup {
            group: group.to_string(),
            state: g.group.state().name().to_string(),
            protocol_type: cp::CONSUMER.to_string(),
            protocol: g.group.assignor().map_or("", |a| a.name()).to_string(),
            members: g
                .group
                .members()
                .map(|m| DescribedMember {
                    member_id: m.id.to_string(),
                    instance_id: m.instance_id.map(str::to_string),
                    client_id: m.id.to_string(),
                    client_host: "/simulated".to_string(),
                    metadata: cp::encode_subscription(&cp::Subscription {
                        topics: m.topics.iter().cloned().collect(),
                        owned: m.assignment.clone(),
                        generation: -1,
                    }),
                    assignment: cp::encode_assignment(m.assignment),
                })
                .collect(),
        });
    }
    Ok(DescribedGroup {
        group: group.to_string(),
        state: "Dead".to_string(),
        protocol_type: String::new(),
        protocol: String::new(),
        members: Vec::new(),
    })
}

/// ListGroups: the groups `broker` coordinates, with their protocol type and state.
pub fn list_groups(kafka: &Kafka, broker: BrokerId, now: SimTime) -> Vec<(String, String, String)> {
    let mine = |id: &str| coordinates(kafka, broker, id, now).is_ok();
    let classic = kafka
        .classic_groups
        .values()
        .filter(|g| mine(g.id()))
        .map(|g| {
            (
                g.id().to_string(),
                g.protocol_type().unwrap_or(cp::CONSUMER).to_string(),
                g.state().name().to_string(),
            )
        });
    let simulated = kafka
        .groups
        .iter()
        .filter(|(id, _)| mine(id) && !kafka.classic_groups.contains_key(*id))
        .map(|(id, g)| {
            (
                id.clone(),
                cp::CONSUMER.to_string(),
                g.group.state().name().to_string(),
            )
        });
    let mut all: Vec<_> = classic.chain(simulated).collect();
    all.sort();
    all
}
