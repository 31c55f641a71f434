//! The Kafka requests the door answers, read off a frame, and their responses: ApiVersions
//! (v0-v4; v4 is v3's shape), Metadata (v1-v8), Produce (v3-v8), Fetch (v4-v11) and ListOffsets (v1-v5). These
//! are the non-flexible versions (ApiVersions v3 aside), which kcat/librdkafka, kafka-python
//! and the Java client all speak when a broker advertises them. Pure: bytes in, values out.

use std::collections::BTreeMap;

use streamdrill_engine::api::kafka::MetadataView;
use streamdrill_engine::kafka::error::ErrorCode;

use super::admin::{self, AdminRequest};
use super::group_protocol::{self, GroupRequest};
use super::txn::{self, TxnRequest};
use super::wire::{Reader, WireError, Writer};

pub const API_PRODUCE: i16 = 0;
pub const API_FETCH: i16 = 1;
pub const API_LIST_OFFSETS: i16 = 2;
pub const API_METADATA: i16 = 3;
pub const API_VERSIONS: i16 = 18;
pub const API_INIT_PRODUCER_ID: i16 = 22;

/// Each API the door answers, with its versions.
pub const SUPPORTED: [(i16, i16, i16); 6] = [
    (API_PRODUCE, 3, 8),
    (API_FETCH, 4, 11),
    (API_LIST_OFFSETS, 1, 5),
    (API_METADATA, 1, 8),
    (API_VERSIONS, 0, 4),
    (API_INIT_PRODUCER_ID, 0, 1),
];

/// Kafka's error codes used here.
pub mod code {
    pub const NONE: i16 = 0;
    pub const OFFSET_OUT_OF_RANGE: i16 = 1;
    pub const CORRUPT_MESSAGE: i16 = 2;
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
    pub const UNSUPPORTED_VERSION: i16 = 35;
    pub const INVALID_REQUIRED_ACKS: i16 = 21;
    pub const INVALID_REQUEST: i16 = 42;
    pub const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
    pub const CLUSTER_AUTHORIZATION_FAILED: i16 = 31;
    pub const UNSUPPORTED_FOR_MESSAGE_FORMAT: i16 = 43;
    pub const UNSUPPORTED_COMPRESSION_TYPE: i16 = 76;
    pub const UNKNOWN_SERVER_ERROR: i16 = -1;
}

/// The wire code of an engine error.
pub fn error_code(e: ErrorCode) -> i16 {
    use ErrorCode as E;
    match e {
        E::OffsetOutOfRange => 1,
        E::UnknownTopicOrPartition => 3,
        E::LeaderNotAvailable => 5,
        E::NotLeaderOrFollower => 6,
        E::RequestTimedOut | E::DeliveryTimeout => 7,
        E::BrokerNotAvailable => 8,
        E::MessageTooLarge => 10,
        E::NetworkException => 13,
        E::CoordinatorLoadInProgress => 14,
        E::CoordinatorNotAvailable => 15,
        E::NotEnoughReplicas => 19,
        E::NotEnoughReplicasAfterAppend => 20,
        E::IllegalGeneration => 22,
        E::UnknownMemberId => 25,
        E::RebalanceInProgress => 27,
        E::TopicAlreadyExists => 36,
        E::InvalidPartitions => 37,
        E::InvalidReplicationFactor => 38,
        E::InvalidConfig => 40,
        E::ControllerNotAvailable => 41,
        E::InvalidRequest => 42,
        E::OutOfOrderSequenceNumber => 45,
        E::InvalidTxnState => 48,
        E::ConcurrentTransactions => 51,
        E::NonEmptyGroup => 68,
        E::GroupIdNotFound => 69,
        E::InvalidRecord => 87,
        E::ProducerFenced => 90,
        E::NotCoordinator => 16,
        E::MemberIdRequired => 79,
        E::InconsistentGroupProtocol => 23,
        E::InvalidGroupId => 24,
        E::InvalidSessionTimeout => 26,
        E::GroupMaxSizeReached => 81,
        E::FencedInstanceId => 82,
        E::OffsetMetadataTooLarge => 12,
        E::InvalidProducerIdMapping => 49,
        E::InvalidTransactionTimeout => 50,
        E::GroupAuthorizationFailed => 30,
        E::ProducerClosed | E::SimulationLimit => code::UNKNOWN_SERVER_ERROR,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPartition {
    pub partition: i32,
    pub offset: i64,
    pub max_bytes: i32,
}

/// A Produce request's data: per topic, per partition, the records bytes.
pub type ProduceTopics = Vec<(String, Vec<(i32, Option<Vec<u8>>)>)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    ApiVersions,
    Metadata {
        /// `None`: every topic.
        topics: Option<Vec<String>>,
    },
    Produce {
        acks: i16,
        timeout_ms: i32,
        topics: ProduceTopics,
    },
    Fetch {
        max_wait_ms: i32,
        min_bytes: i32,
        max_bytes: i32,
        read_committed: bool,
        topics: Vec<(String, Vec<FetchPartition>)>,
    },
    ListOffsets {
        topics: Vec<(String, Vec<(i32, i64)>)>,
    },
    InitProducerId {
        transactional_id: Option<String>,
        transaction_timeout_ms: i32,
    },
    Group(GroupRequest),
    Admin(AdminRequest),
    Txn(TxnRequest),
}

/// Why a frame gets no ordinary answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a request the door can read: the connection closes (with the reason logged).
    Malformed(String),
    /// A known API at a version it does not speak (ApiVersions answers UNSUPPORTED_VERSION
    /// with the versions it does; others close with the reason logged).
    UnsupportedVersion(Header),
    UnknownApi(Header),
}

impl From<WireError> for Refused {
    fn from(e: WireError) -> Self {
        Refused::Malformed(e.0)
    }
}

/// Every API the door answers, with its versions, in key order.
pub fn supported_apis() -> Vec<(i16, i16, i16)> {
    let mut all: Vec<(i16, i16, i16)> = SUPPORTED
        .iter()
        .chain(group_protocol::SUPPORTED.iter())
        .chain(admin::SUPPORTED.iter())
        .chain(txn::SUPPORTED.iter())
        .copied()
        .collect();
    all.sort_unstable();
    all
}

fn supported(api_key: i16) -> Option<(i16, i16)> {
    supported_apis()
        .iter()
        .find(|(k, ..)| *k == api_key)
        .map(|&(_, lo, hi)| (lo, hi))
}

/// Reads a request frame (without its size prefix).
pub fn parse(frame: &[u8]) -> Result<(Header, Request), Refused> {
    let mut r = Reader::new(frame);
    let header = Header {
        api_key: r.i16()?,
        api_version: r.i16()?,
        correlation_id: r.i32()?,
        client_id: r.nullable_string()?,
    };
    let Some((lo, hi)) = supported(header.api_key) else {
        return Err(Refused::UnknownApi(header));
    };
    if header.api_version < lo || header.api_version > hi {
        return Err(Refused::UnsupportedVersion(header));
    }
    let v = header.api_version;
    let request = match header.api_key {
        API_VERSIONS => {
            if v >= 3 {
                r.tagged_fields()?;
                r.compact_nullable_string()?;
                r.compact_nullable_string()?;
                r.tagged_fields()?;
            }
            Request::ApiVersions
        }
        API_METADATA => metadata_request(&mut r)?,
        API_PRODUCE => produce_request(&mut r)?,
        API_FETCH => fetch_request(&mut r, v)?,
        API_LIST_OFFSETS => list_offsets_request(&mut r, v)?,
        API_INIT_PRODUCER_ID => {
            let transactional_id = r.nullable_string()?;
            let transaction_timeout_ms = r.i32()?;
            Request::InitProducerId {
                transactional_id,
                transaction_timeout_ms,
            }
        }
        api if group_protocol::SUPPORTED.iter().any(|(k, ..)| *k == api) => {
            Request::Group(group_protocol::parse(&mut r, api, v)?)
        }
        api if admin::SUPPORTED.iter().any(|(k, ..)| *k == api) => {
            Request::Admin(admin::parse(&mut r, api, v)?)
        }
        api if txn::SUPPORTED.iter().any(|(k, ..)| *k == api) => {
            Request::Txn(txn::parse(&mut r, api, v)?)
        }
        _ => return Err(Refused::UnknownApi(header)),
    };
    Ok((header, request))
}

fn metadata_request(r: &mut Reader<'_>) -> Result<Request, WireError> {
    let topics = match r.array_len(2)? {
        None => None,
        Some(n) => {
            let mut names = Vec::with_capacity(n);
            for _ in 0..n {
                names.push(r.string()?);
            }
            Some(names)
        }
    };
    // allow_auto_topic_creation (v4+), authorized operations (v8+): not used.
    Ok(Request::Metadata { topics })
}

fn produce_request(r: &mut Reader<'_>) -> Result<Request, WireError> {
    let _transactional_id = r.nullable_string()?;
    let acks = r.i16()?;
    let timeout_ms = r.i32()?;
    let mut topics = Vec::new();
    for _ in 0..r.array_len(6)?.unwrap_or(0) {
        let name = r.string()?;
        let mut partitions = Vec::new();
        for _ in 0..r.array_len(8)?.unwrap_or(0) {
            let index = r.i32()?;
            let records = r.nullable_bytes()?.map(<[u8]>::to_vec);
            partitions.push((index, records));
        }
        topics.push((name, partitions));
    }
    Ok(Request::Produce {
        acks,
        timeout_ms,
        topics,
    })
}

fn fetch_request(r: &mut Reader<'_>, v: i16) -> Result<Request, WireError> {
    let _replica_id = r.i32()?;
    let max_wait_ms = r.i32()?;
    let min_bytes = r.i32()?;
    let max_bytes = r.i32()?;
    let isolation = r.i8()?;
    if v >= 7 {
        let _session_id = r.i32()?;
        let _session_epoch = r.i32()?;
    }
    let mut topics = Vec::new();
    for _ in 0..r.array_len(6)?.unwrap_or(0) {
        let name = r.string()?;
        let mut partitions = Vec::new();
        for _ in 0..r.array_len(16)?.unwrap_or(0) {
            let partition = r.i32()?;
            if v >= 9 {
                let _current_leader_epoch = r.i32()?;
            }
            let offset = r.i64()?;
            if v >= 5 {
                let _log_start_offset = r.i64()?;
            }
            let max_bytes = r.i32()?;
            partitions.push(FetchPartition {
                partition,
                offset,
                max_bytes,
            });
        }
        topics.push((name, partitions));
    }
    // Forgotten topics (v7+) and the rack (v11+) matter only to fetch sessions and follower
    // fetching, which the door does not offer.
    Ok(Request::Fetch {
        max_wait_ms,
        min_bytes,
        max_bytes,
        read_committed: isolation == 1,
        topics,
    })
}

fn list_offsets_request(r: &mut Reader<'_>, v: i16) -> Result<Request, WireError> {
    let _replica_id = r.i32()?;
    if v >= 2 {
        let _isolation = r.i8()?;
    }
    let mut topics = Vec::new();
    for _ in 0..r.array_len(6)?.unwrap_or(0) {
        let name = r.string()?;
        let mut partitions = Vec::new();
        for _ in 0..r.array_len(12)?.unwrap_or(0) {
            let partition = r.i32()?;
            if v >= 4 {
                let _current_leader_epoch = r.i32()?;
            }
            partitions.push((partition, r.i64()?));
        }
        topics.push((name, partitions));
    }
    Ok(Request::ListOffsets { topics })
}

/// A response frame (without its size prefix): the correlation id, then the body.
pub fn frame(correlation_id: i32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + body.len());
    let len = i32::try_from(4 + body.len()).unwrap_or(i32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&correlation_id.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// ApiVersions: the versions above (UNSUPPORTED_VERSION answers in v0, as brokers do).
pub fn api_versions(version: i16, error: i16) -> Vec<u8> {
    let mut w = Writer::default();
    let apis = supported_apis();
    w.i16(error);
    if version >= 3 {
        w.compact_array_len(apis.len());
    } else {
        w.array_len(apis.len());
    }
    for (key, lo, hi) in apis {
        w.i16(key).i16(lo).i16(hi);
        if version >= 3 {
            w.no_tagged_fields();
        }
    }
    if version >= 1 {
        w.i32(0);
    }
    if version >= 3 {
        w.no_tagged_fields();
    }
    w.buf
}

/// Metadata: the brokers a client can reach (with the ports their listeners have), the
/// controller, the topics.
pub fn metadata(version: i16, view: &MetadataView, ports: &BTreeMap<u32, u16>) -> Vec<u8> {
    let to_i32 = |id: u32| i32::try_from(id).unwrap_or(i32::MAX);
    let mut w = Writer::default();
    if version >= 3 {
        w.i32(0);
    }
    let listed: Vec<(u32, u16)> = view
        .brokers
        .iter()
        .filter_map(|b| ports.get(&b.id).map(|p| (b.id, *p)))
        .filter(|(id, _)| view.brokers.iter().any(|b| b.id == *id && b.up))
        .collect();
    w.array_len(listed.len());
    for (id, port) in &listed {
        w.i32(to_i32(*id)).string("127.0.0.1").i32(i32::from(*port));
        w.nullable_string(None);
    }
    if version >= 2 {
        w.nullable_string(Some("streamdrill"));
    }
    w.i32(view.controller.map_or(-1, to_i32));
    w.array_len(view.topics.len());
    for t in &view.topics {
        w.i16(t.error.map_or(code::NONE, error_code));
        w.string(&t.name);
        w.bool(t.name.starts_with("__"));
        w.array_len(t.partitions.len());
        for p in &t.partitions {
            w.i16(p.error.map_or(code::NONE, error_code));
            w.i32(to_i32(p.index));
            w.i32(p.leader.map_or(-1, to_i32));
            if version >= 7 {
                w.i32(to_i32(p.leader_epoch));
            }
            for list in [&p.replicas, &p.isr] {
                w.array_len(list.len());
                for id in list {
                    w.i32(to_i32(*id));
                }
            }
            if version >= 5 {
                w.array_len(p.offline.len());
                for id in &p.offline {
                    w.i32(to_i32(*id));
                }
            }
        }
        if version >= 8 {
            w.i32(i32::MIN);
        }
    }
    if version >= 8 {
        w.i32(i32::MIN);
    }
    w.buf
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Produced {
    pub index: i32,
    pub error: i16,
    pub base_offset: i64,
    pub log_start_offset: i64,
    pub message: Option<String>,
}

pub fn produce(version: i16, topics: &[(String, Vec<Produced>)]) -> Vec<u8> {
    let mut w = Writer::default();
    w.array_len(topics.len());
    for (name, partitions) in topics {
        w.string(name);
        w.array_len(partitions.len());
        for p in partitions {
            w.i32(p.index).i16(p.error).i64(p.base_offset).i64(-1);
            if version >= 5 {
                w.i64(p.log_start_offset);
            }
            if version >= 8 {
                w.array_len(0);
                w.nullable_string(p.message.as_deref());
            }
        }
    }
    w.i32(0);
    w.buf
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub index: i32,
    pub error: i16,
    pub high_watermark: i64,
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
    pub records: Vec<u8>,
}

pub fn fetch(version: i16, topics: &[(String, Vec<Fetched>)]) -> Vec<u8> {
    let mut w = Writer::default();
    w.i32(0);
    if version >= 7 {
        w.i16(code::NONE).i32(0);
    }
    w.array_len(topics.len());
    for (name, partitions) in topics {
        w.string(name);
        w.array_len(partitions.len());
        for p in partitions {
            w.i32(p.index)
                .i16(p.error)
                .i64(p.high_watermark)
                .i64(p.last_stable_offset);
            if version >= 5 {
                w.i64(p.log_start_offset);
            }
            // No aborted transactions listed: the engine has left their records out.
            w.array_len(0);
            if version >= 11 {
                w.i32(-1);
            }
            w.nullable_bytes(Some(&p.records));
        }
    }
    w.buf
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub index: i32,
    pub error: i16,
    pub timestamp: i64,
    pub offset: i64,
}

pub fn list_offsets(version: i16, topics: &[(String, Vec<Listed>)]) -> Vec<u8> {
    let mut w = Writer::default();
    if version >= 2 {
        w.i32(0);
    }
    w.array_len(topics.len());
    for (name, partitions) in topics {
        w.string(name);
        w.array_len(partitions.len());
        for p in partitions {
            w.i32(p.index).i16(p.error).i64(p.timestamp).i64(p.offset);
            if version >= 4 {
                w.i32(-1);
            }
        }
    }
    w.buf
}

/// InitProducerId v0-v1.
pub fn init_producer_id(error: i16, producer_id: i64, epoch: i16) -> Vec<u8> {
    let mut w = Writer::default();
    w.i32(0).i16(error).i64(producer_id).i16(epoch);
    w.buf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(api: i16, version: i16, body: &[u8]) -> Vec<u8> {
        let mut w = Writer::default();
        w.i16(api)
            .i16(version)
            .i32(42)
            .nullable_string(Some("test"));
        w.buf.extend_from_slice(body);
        w.buf
    }

    #[test]
    fn requests_parse_at_every_supported_version() {
        let mut body = Writer::default();
        body.array_len(1).string("orders");
        for v in 1..=8 {
            let (h, r) = parse(&request(API_METADATA, v, &body.buf)).unwrap();
            assert_eq!(h.correlation_id, 42);
            assert_eq!(
                r,
                Request::Metadata {
                    topics: Some(vec!["orders".into()])
                }
            );
        }
        let mut produce = Writer::default();
        produce
            .nullable_string(None)
            .i16(-1)
            .i32(30_000)
            .array_len(1)
            .string("t");
        produce.array_len(1).i32(0).nullable_bytes(Some(b"xyz"));
        let (_, r) = parse(&request(API_PRODUCE, 7, &produce.buf)).unwrap();
        assert_eq!(
            r,
            Request::Produce {
                acks: -1,
                timeout_ms: 30_000,
                topics: vec![("t".into(), vec![(0, Some(b"xyz".to_vec()))])],
            }
        );
        for v in 4..=11 {
            let mut fetch = Writer::default();
            fetch.i32(-1).i32(500).i32(1).i32(1 << 20).i8(1);
            if v >= 7 {
                fetch.i32(0).i32(-1);
            }
            fetch.array_len(1).string("t").array_len(1).i32(2);
            if v >= 9 {
                fetch.i32(-1);
            }
            fetch.i64(10);
            if v >= 5 {
                fetch.i64(0);
            }
            fetch.i32(1 << 20);
            if v >= 7 {
                fetch.array_len(0);
            }
            if v >= 11 {
                fetch.string("");
            }
            let (_, r) = parse(&request(API_FETCH, v, &fetch.buf)).unwrap();
            let Request::Fetch {
                topics,
                read_committed,
                ..
            } = r
            else {
                panic!("a fetch");
            };
            assert!(read_committed);
            assert_eq!(topics[0].1[0].offset, 10, "v{v}");
        }
    }

    #[test]
    fn what_the_door_does_not_speak_is_refused_with_a_reason() {
        assert!(matches!(
            parse(&request(API_METADATA, 12, &[])),
            Err(Refused::UnsupportedVersion(_))
        ));
        assert!(matches!(
            parse(&request(1_000, 0, &[])),
            Err(Refused::UnknownApi(_))
        ));
        assert!(matches!(parse(&[0, 3]), Err(Refused::Malformed(_))));
        // A metadata request claiming two billion topics in a few bytes.
        let mut w = Writer::default();
        w.i32(i32::MAX);
        assert!(matches!(
            parse(&request(API_METADATA, 4, &w.buf)),
            Err(Refused::Malformed(_))
        ));
        // Every truncation of a good request is refused, never a panic.
        let mut produce = Writer::default();
        produce
            .nullable_string(None)
            .i16(1)
            .i32(1)
            .array_len(1)
            .string("t");
        produce.array_len(1).i32(0).nullable_bytes(Some(b"abc"));
        let full = request(API_PRODUCE, 8, &produce.buf);
        for n in 0..full.len() {
            assert!(parse(&full[..n]).is_err(), "{n}");
        }
    }

    #[test]
    fn api_versions_lists_what_the_door_answers() {
        let body = api_versions(3, code::NONE);
        let mut r = Reader::new(&body);
        assert_eq!(r.i16().unwrap(), 0);
        assert_eq!(r.uvarint().unwrap() as usize, supported_apis().len() + 1);
        let body = api_versions(0, code::UNSUPPORTED_VERSION);
        let mut r = Reader::new(&body);
        assert_eq!(r.i16().unwrap(), code::UNSUPPORTED_VERSION);
        assert_eq!(r.i32().unwrap() as usize, supported_apis().len());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]
        /// Any body under any supported API and version parses or is refused; nothing panics
        /// and nothing allocates past the frame (the bounded reader).
        #[test]
        fn random_bodies_never_panic(
            which in 0usize..64,
            version_pick in 0i16..32,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
        ) {
            let apis = supported_apis();
            let (api, lo, hi) = apis[which % apis.len()];
            let version = lo + version_pick % (hi - lo + 1);
            let _ = parse(&request(api, version, &body));
        }
    }
}
