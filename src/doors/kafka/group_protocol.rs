//! The group coordinator's requests and responses on the wire: FindCoordinator (v0-v2),
//! JoinGroup (v0-v5), Heartbeat (v0-v3), LeaveGroup (v0-v3), SyncGroup (v0-v3), OffsetCommit
//! (v2-v7), OffsetFetch (v1-v5), DescribeGroups (v0-v4) and ListGroups (v0-v2): the
//! non-flexible versions, which librdkafka, kafka-python and the Java client all fall back to
//! when a broker advertises no newer ones. Pure: bytes in, values out.

use super::wire::{Reader, WireError, Writer};

pub const API_OFFSET_COMMIT: i16 = 8;
pub const API_OFFSET_FETCH: i16 = 9;
pub const API_FIND_COORDINATOR: i16 = 10;
pub const API_JOIN_GROUP: i16 = 11;
pub const API_HEARTBEAT: i16 = 12;
pub const API_LEAVE_GROUP: i16 = 13;
pub const API_SYNC_GROUP: i16 = 14;
pub const API_DESCRIBE_GROUPS: i16 = 15;
pub const API_LIST_GROUPS: i16 = 16;

pub const SUPPORTED: [(i16, i16, i16); 9] = [
    (API_OFFSET_COMMIT, 2, 7),
    (API_OFFSET_FETCH, 1, 5),
    (API_FIND_COORDINATOR, 0, 2),
    (API_JOIN_GROUP, 0, 5),
    (API_HEARTBEAT, 0, 3),
    (API_LEAVE_GROUP, 0, 3),
    (API_SYNC_GROUP, 0, 3),
    (API_DESCRIBE_GROUPS, 0, 4),
    (API_LIST_GROUPS, 0, 2),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroup {
    pub group: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub member_id: String,
    pub instance_id: Option<String>,
    pub protocol_type: String,
    pub protocols: Vec<(String, Vec<u8>)>,
}

/// One partition of an OffsetCommit: partition, offset, metadata.
pub type CommitPartition = (i32, i64, Option<String>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupRequest {
    FindCoordinator {
        key: String,
        /// 0: a group, 1: a transactional id.
        key_type: i8,
    },
    JoinGroup(JoinGroup),
    SyncGroup {
        group: String,
        generation: i32,
        member_id: String,
        instance_id: Option<String>,
        assignments: Vec<(String, Vec<u8>)>,
    },
    Heartbeat {
        group: String,
        generation: i32,
        member_id: String,
        instance_id: Option<String>,
    },
    LeaveGroup {
        group: String,
        /// One entry before v3.
        members: Vec<(String, Option<String>)>,
    },
    OffsetCommit {
        group: String,
        generation: i32,
        member_id: String,
        instance_id: Option<String>,
        topics: Vec<(String, Vec<CommitPartition>)>,
    },
    OffsetFetch {
        group: String,
        /// `None`: every partition with a committed offset.
        topics: Option<Vec<(String, Vec<i32>)>>,
    },
    DescribeGroups {
        groups: Vec<String>,
    },
    ListGroups,
}

fn strings(r: &mut Reader<'_>) -> Result<Vec<String>, WireError> {
    let mut out = Vec::new();
    for _ in 0..r.array_len(2)?.unwrap_or(0) {
        out.push(r.string()?);
    }
    Ok(out)
}

fn bytes(r: &mut Reader<'_>) -> Result<Vec<u8>, WireError> {
    Ok(r.nullable_bytes()?.map(<[u8]>::to_vec).unwrap_or_default())
}

/// Reads the body of a group request (`api`, `v` already checked as supported).
pub fn parse(r: &mut Reader<'_>, api: i16, v: i16) -> Result<GroupRequest, WireError> {
    Ok(match api {
        API_FIND_COORDINATOR => GroupRequest::FindCoordinator {
            key: r.string()?,
            key_type: if v >= 1 { r.i8()? } else { 0 },
        },
        API_JOIN_GROUP => join_group_request(r, v)?,
        API_SYNC_GROUP => {
            let group = r.string()?;
            let generation = r.i32()?;
            let member_id = r.string()?;
            let instance_id = if v >= 3 { r.nullable_string()? } else { None };
            let mut assignments = Vec::new();
            for _ in 0..r.array_len(6)?.unwrap_or(0) {
                assignments.push((r.string()?, bytes(r)?));
            }
            GroupRequest::SyncGroup {
                group,
                generation,
                member_id,
                instance_id,
                assignments,
            }
        }
        API_HEARTBEAT => GroupRequest::Heartbeat {
            group: r.string()?,
            generation: r.i32()?,
            member_id: r.string()?,
            instance_id: if v >= 3 { r.nullable_string()? } else { None },
        },
        API_LEAVE_GROUP => {
            let group = r.string()?;
            let members = if v >= 3 {
                let mut members = Vec::new();
                for _ in 0..r.array_len(4)?.unwrap_or(0) {
                    members.push((r.string()?, r.nullable_string()?));
                }
                members
            } else {
                vec![(r.string()?, None)]
            };
            GroupRequest::LeaveGroup { group, members }
        }
        API_OFFSET_COMMIT => offset_commit_request(r, v)?,
        API_OFFSET_FETCH => {
            let group = r.string()?;
            let topics = match r.array_len(6)? {
                None => None,
                Some(n) => {
                    let mut topics = Vec::with_capacity(n);
                    for _ in 0..n {
                        let name = r.string()?;
                        let mut partitions = Vec::new();
                        for _ in 0..r.array_len(4)?.unwrap_or(0) {
                            partitions.push(r.i32()?);
                        }
                        topics.push((name, partitions));
                    }
                    Some(topics)
                }
            };
            GroupRequest::OffsetFetch { group, topics }
        }
        API_DESCRIBE_GROUPS => {
            let groups = strings(r)?;
            if v >= 3 {
                let _include_authorized_operations = r.i8()?;
            }
            GroupRequest::DescribeGroups { groups }
        }
        API_LIST_GROUPS => GroupRequest::ListGroups,
        _ => return Err(WireError(format!("API {api} is not a group API"))),
    })
}

fn join_group_request(r: &mut Reader<'_>, v: i16) -> Result<GroupRequest, WireError> {
    let group = r.string()?;
    let session_timeout_ms = r.i32()?;
    let rebalance_timeout_ms = if v >= 1 { r.i32()? } else { session_timeout_ms };
    let member_id = r.string()?;
    let instance_id = if v >= 5 { r.nullable_string()? } else { None };
    let protocol_type = r.string()?;
    let mut protocols = Vec::new();
    for _ in 0..r.array_len(6)?.unwrap_or(0) {
        protocols.push((r.string()?, bytes(r)?));
    }
    Ok(GroupRequest::JoinGroup(JoinGroup {
        group,
        session_timeout_ms,
        rebalance_timeout_ms,
        member_id,
        instance_id,
        protocol_type,
        protocols,
    }))
}

fn offset_commit_request(r: &mut Reader<'_>, v: i16) -> Result<GroupRequest, WireError> {
    let group = r.string()?;
    let generation = r.i32()?;
    let member_id = r.string()?;
    let instance_id = if v >= 7 { r.nullable_string()? } else { None };
    if v <= 4 {
        let _retention_time_ms = r.i64()?;
    }
    let mut topics = Vec::new();
    for _ in 0..r.array_len(6)?.unwrap_or(0) {
        let name = r.string()?;
        let mut partitions = Vec::new();
        for _ in 0..r.array_len(14)?.unwrap_or(0) {
            let index = r.i32()?;
            let offset = r.i64()?;
            if v >= 6 {
                let _leader_epoch = r.i32()?;
            }
            partitions.push((index, offset, r.nullable_string()?));
        }
        topics.push((name, partitions));
    }
    Ok(GroupRequest::OffsetCommit {
        group,
        generation,
        member_id,
        instance_id,
        topics,
    })
}

// ----- responses -----

pub struct Coordinator<'a> {
    pub error: i16,
    pub message: Option<&'a str>,
    pub node: i32,
    pub port: i32,
}

pub fn find_coordinator(v: i16, c: &Coordinator<'_>) -> Vec<u8> {
    let mut w = Writer::default();
    if v >= 1 {
        w.i32(0);
    }
    w.i16(c.error);
    if v >= 1 {
        w.nullable_string(c.message);
    }
    w.i32(c.node).string("127.0.0.1").i32(c.port);
    w.buf
}

/// A JoinGroup response; `members` is `(member id, instance id, metadata)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Joined {
    pub error: i16,
    pub generation: i32,
    pub protocol: String,
    pub leader: String,
    pub member_id: String,
    pub members: Vec<(String, Option<String>, Vec<u8>)>,
}

pub fn join_group(v: i16, j: &Joined) -> Vec<u8> {
    let mut w = Writer::default();
    if v >= 2 {
        w.i32(0);
    }
    w.i16(j.error)
        .i32(j.generation)
        .string(&j.protocol)
        .string(&j.leader)
        .string(&j.member_id);
    w.array_len(j.members.len());
    for (id, instance, metadata) in &j.members {
        w.string(id);
        if v >= 5 {
            w.nullable_string(instance.as_deref());
        }
        w.nullable_bytes(Some(metadata));
    }
    w.buf
}

pub fn sync_group(v: i16, error: i16, assignment: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    if v >= 1 {
        w.i32(0);
    }
    w.i16(error).nullable_bytes(Some(assignment));
    w.buf
}

/// Heartbeat's response (and any other that is a throttle time and an error).
pub fn error_only(v: i16, error: i16) -> Vec<u8> {
    let mut w = Writer::default();
    if v >= 1 {
        w.i32(0);
    }
    w.i16(error);
    w.buf
}

/// LeaveGroup: the request's error, and from v3 one per member.
pub fn leave_group(v: i16, error: i16, members: &[(String, Option<String>, i16)]) -> Vec<u8> {
    let mut w = error_only(v, error);
    if v >= 3 {
        let mut m = Writer { buf: w };
        m.array_len(members.len());
        for (id, instance, code) in members {
            m.string(id).nullable_string(instance.as_deref()).i16(*code);
        }
        w = m.buf;
    }
    w
}

pub fn offset_commit(v: i16, topics: &[(String, Vec<(i32, i16)>)]) -> Vec<u8> {
    let mut w = Writer::default();
    if v >= 3 {
        w.i32(0);
    }
    w.array_len(topics.len());
    for (name, partitions) in topics {
        w.string(name).array_len(partitions.len());
        for (index, error) in partitions {
            w.i32(*index).i16(*error);
        }
    }
    w.buf
}

/// One partition of an OffsetFetch response.
pub struct FetchedOffset {
    pub index: i32,
    pub offset: i64,
    pub metadata: String,
    pub error: i16,
}

pub fn offset_fetch(v: i16, error: i16, topics: &[(String, Vec<FetchedOffset>)]) -> Vec<u8> {
    let mut w = Writer::default();
    if v >= 3 {
        w.i32(0);
    }
    w.array_len(topics.len());
    for (name, partitions) in topics {
        w.string(name).array_len(partitions.len());
        for p in partitions {
            w.i32(p.index).i64(p.offset);
            if v >= 5 {
                w.i32(-1);
            }
            w.nullable_string(Some(&p.metadata)).i16(p.error);
        }
    }
    if v >= 2 {
        w.i16(error);
    }
    w.buf
}

/// One member of a described group.
pub struct DescribedMember<'a> {
    pub member_id: &'a str,
    pub instance_id: Option<&'a str>,
    pub client_id: &'a str,
    pub client_host: &'a str,
    pub metadata: &'a [u8],
    pub assignment: &'a [u8],
}

pub struct DescribedGroup<'a> {
    pub error: i16,
    pub group: &'a str,
    pub state: &'a str,
    pub protocol_type: &'a str,
    pub protocol: &'a str,
    pub members: Vec<DescribedMember<'a>>,
}

pub fn describe_groups(v: i16, groups: &[DescribedGroup<'_>]) -> Vec<u8> {
    let mut w = Writer::default();
    if v >= 1 {
        w.i32(0);
    }
    w.array_len(groups.len());
    for g in groups {
        w.i16(g.error)
            .string(g.group)
            .string(g.state)
            .string(g.protocol_type)
            .string(g.protocol);
        w.array_len(g.members.len());
        for m in &g.members {
            w.string(m.member_id);
            if v >= 4 {
                w.nullable_string(m.instance_id);
            }
            w.string(m.client_id).string(m.client_host);
            w.nullable_bytes(Some(m.metadata))
                .nullable_bytes(Some(m.assignment));
        }
        if v >= 3 {
            // No ACLs here: every operation is allowed to everyone.
            w.i32(i32::MIN);
        }
    }
    w.buf
}

pub fn list_groups(v: i16, groups: &[(String, String, String)]) -> Vec<u8> {
    let mut w = error_only(v, 0);
    let mut m = Writer {
        buf: std::mem::take(&mut w),
    };
    m.array_len(groups.len());
    for (id, protocol_type, _state) in groups {
        m.string(id).string(protocol_type);
    }
    m.buf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join_body(v: i16) -> Vec<u8> {
        let mut w = Writer::default();
        w.string("g").i32(10_000);
        if v >= 1 {
            w.i32(60_000);
        }
        w.string("");
        if v >= 5 {
            w.nullable_string(Some("host-1"));
        }
        w.string("consumer").array_len(2);
        w.string("range").nullable_bytes(Some(b"r"));
        w.string("roundrobin").nullable_bytes(Some(b"rr"));
        w.buf
    }

    #[test]
    fn join_group_parses_at_every_version() {
        for v in 0..=5 {
            let body = join_body(v);
            let GroupRequest::JoinGroup(j) =
                parse(&mut Reader::new(&body), API_JOIN_GROUP, v).unwrap()
            else {
                panic!("a join");
            };
            assert_eq!(j.group, "g");
            assert_eq!(
                j.rebalance_timeout_ms,
                if v == 0 { 10_000 } else { 60_000 },
                "v0 has no rebalance timeout: the session timeout serves"
            );
            assert_eq!(j.instance_id.is_some(), v >= 5);
            assert_eq!(j.protocols[1], ("roundrobin".to_string(), b"rr".to_vec()));
            for n in 0..body.len() {
                assert!(
                    parse(&mut Reader::new(&body[..n]), API_JOIN_GROUP, v).is_err(),
                    "v{v} cut at {n}"
                );
            }
        }
    }

    #[test]
    fn offset_commit_reads_the_fields_each_version_has() {
        for v in 2..=7 {
            let mut w = Writer::default();
            w.string("g").i32(3).string("m-1");
            if v >= 7 {
                w.nullable_string(None);
            }
            if v <= 4 {
                w.i64(-1);
            }
            w.array_len(1).string("orders").array_len(1).i32(2).i64(99);
            if v >= 6 {
                w.i32(-1);
            }
            w.nullable_string(Some("meta"));
            let r = parse(&mut Reader::new(&w.buf), API_OFFSET_COMMIT, v).unwrap();
            assert_eq!(
                r,
                GroupRequest::OffsetCommit {
                    group: "g".into(),
                    generation: 3,
                    member_id: "m-1".into(),
                    instance_id: None,
                    topics: vec![("orders".into(), vec![(2, 99, Some("meta".into()))])],
                },
                "v{v}"
            );
        }
    }

    #[test]
    fn offset_fetch_of_every_partition_is_a_null_array() {
        let mut w = Writer::default();
        w.string("g").i32(-1);
        assert_eq!(
            parse(&mut Reader::new(&w.buf), API_OFFSET_FETCH, 3).unwrap(),
            GroupRequest::OffsetFetch {
                group: "g".into(),
                topics: None
            }
        );
    }

    #[test]
    fn a_join_response_lists_members_for_the_leader_with_instance_ids_from_v5() {
        let j = Joined {
            generation: 2,
            protocol: "range".into(),
            leader: "a".into(),
            member_id: "a".into(),
            members: vec![("a".into(), Some("h".into()), b"m".to_vec())],
            ..Joined::default()
        };
        let v5 = join_group(5, &j);
        let v1 = join_group(1, &j);
        // v2+ adds the throttle time; v5 the instance id (2 + 1 bytes).
        assert_eq!(v5.len(), v1.len() + 4 + 3);
        let mut r = Reader::new(&v1);
        assert_eq!(r.i16().unwrap(), 0);
        assert_eq!(r.i32().unwrap(), 2);
        assert_eq!(r.string().unwrap(), "range");
    }
}
