//! The Kinesis Data Streams model: streams (provisioned and on-demand), shards and their hash
//! key ranges, sequence numbers, per-shard limits, shard iterators, resharding with lineage,
//! retention, and enhanced fan-out consumers ([`efo`]). The KCL ([`kcl`]) and Firehose
//! ([`firehose`]) are clients of this model, as they are of the real service; so are the
//! workload generators ([`generator`]).
//!
//! Simplifications (what the labs do not need, or what the guide does not discuss): streams are
//! ACTIVE as soon as they are created (no CREATING/DELETING states); control-plane call rates
//! (ListShards, DescribeStreamSummary...) and account shard quotas are not limited; on-demand
//! streams scale up (as real splits) but never down; `ListShards` filters `AT_TIMESTAMP` and
//! `FROM_TIMESTAMP` list every shard still retained; SubscribeToShard may be called again as
//! soon as a subscription ends (AWS allows one call per 5 seconds); KPL aggregation,
//! encryption and tags are absent; records of a generator are stored without payload and
//! synthesised on read; storage per stream is bounded (see
//! [`shard::ENTRIES_PER_STREAM_MAX`]); the oldest records beyond it are evicted early and
//! counted in [`Shard::evicted`].

pub mod efo;
pub mod firehose;
pub mod generator;
pub mod hashkey;
pub mod kcl;
pub mod poller;
pub mod shard;
mod stream;

pub use hashkey::{MAX_HASH_KEY, even_ranges, hash_key, parse_hash_key};
pub use shard::{ReadRecord, Shard, parse_shard_id, shard_id};
pub use stream::{
    ChildShard, GetRecordsOutput, IteratorType, PutOutcome, PutRequest, Stream, StreamMode,
    StreamStatus,
};

use crate::faults::Faults;
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// The simulated AWS account and region, used in ARNs and error messages.
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";
/// Largest record: data plus partition key, 1 MiB (the default maximum record size).
pub const RECORD_BYTES_MAX: u64 = 1_048_576;
/// PutRecords: at most 500 records and 5 MiB per request.
pub const PUT_RECORDS_MAX: usize = 500;
pub const PUT_RECORDS_BYTES_MAX: u64 = 5 * 1_048_576;
/// Shard iterators expire five minutes after they are issued.
pub const ITERATOR_TTL: SimDuration = SimDuration::from_secs(300);
/// Retention bounds, hours: 24 hours to 365 days.
pub const RETENTION_HOURS_MIN: u32 = 24;
pub const RETENTION_HOURS_MAX: u32 = 8_760;
/// Simulator bounds (see [`crate::budget`]): shards one stream holds (open and closed; all
/// streams together hold at most as many), streams, distinct partition keys.
pub const SHARDS_PER_STREAM_MAX: usize = crate::budget::SHARDS_TOTAL;
pub const STREAMS_MAX: usize = crate::budget::STREAMS;
pub const KEYS_MAX: usize = 5_000_000;
/// A reshard completes this long after it is requested unless configured otherwise.
pub const RESHARD_DELAY_DEFAULT: SimDuration = SimDuration::from_secs(30);

/// Interned partition key.
pub type KeyId = u32;
/// The key of aggregated flow records (see the module docs of [`crate`]).
pub const FLOW_KEY: KeyId = u32::MAX;

/// Error codes, named as the AWS API names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    ResourceNotFound,
    ResourceInUse,
    InvalidArgument,
    LimitExceeded,
    ProvisionedThroughputExceeded,
    ExpiredIterator,
    Validation,
    InternalFailure,
    /// The request is not what the API model describes (a member of the wrong JSON type).
    Serialization,
    /// The caller may not make this request (a lab allows only some).
    AccessDenied,
    /// The `X-Amz-Target` names no operation of the API.
    UnknownOperation,
    /// Not the service's: the simulator's resource budget refused the request
    /// ([`crate::budget`]).
    SimulationLimit,
}

impl ErrorCode {
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::ResourceNotFound => "ResourceNotFoundException",
            ErrorCode::ResourceInUse => "ResourceInUseException",
            ErrorCode::InvalidArgument => "InvalidArgumentException",
            ErrorCode::LimitExceeded => "LimitExceededException",
            ErrorCode::ProvisionedThroughputExceeded => "ProvisionedThroughputExceededException",
            ErrorCode::ExpiredIterator => "ExpiredIteratorException",
            ErrorCode::Validation => "ValidationException",
            ErrorCode::InternalFailure => "InternalFailure",
            ErrorCode::Serialization => "SerializationException",
            ErrorCode::UnknownOperation => "UnknownOperationException",
            ErrorCode::AccessDenied => "AccessDeniedException",
            ErrorCode::SimulationLimit => crate::budget::CODE,
        }
    }
}

/// An error as the service reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KinesisError {
    pub code: ErrorCode,
    pub message: String,
}

impl KinesisError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        KinesisError {
            code,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }
    /// A refusal by the simulator's budget (see [`crate::budget::refusal`]).
    pub fn limit(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::SimulationLimit, message)
    }
}

impl fmt::Display for KinesisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

impl std::error::Error for KinesisError {}

pub type Result<T> = std::result::Result<T, KinesisError>;

/// Interned partition keys with their hash keys.
#[derive(Clone, Debug, Default)]
pub struct KeyTable {
    names: Vec<Box<str>>,
    hashes: Vec<u128>,
    index: HashMap<Box<str>, KeyId>,
}

impl KeyTable {
    pub fn intern(&mut self, name: &str) -> Result<KeyId> {
        if let Some(&id) = self.index.get(name) {
            return Ok(id);
        }
        if self.names.len() >= KEYS_MAX {
            return Err(KinesisError::new(
                ErrorCode::LimitExceeded,
                format!("the simulator holds at most {KEYS_MAX} distinct partition keys"),
            ));
        }
        let id = self.names.len() as KeyId;
        self.names.push(name.into());
        self.hashes.push(hash_key(name));
        self.index.insert(name.into(), id);
        Ok(id)
    }

    pub fn name(&self, id: KeyId) -> &str {
        if id == FLOW_KEY {
            "flow"
        } else {
            &self.names[id as usize]
        }
    }

    #[inline]
    pub fn hash(&self, id: KeyId) -> u128 {
        self.hashes[id as usize]
    }

    #[inline]
    pub fn len_of(&self, id: KeyId) -> u64 {
        if id == FLOW_KEY {
            0
        } else {
            self.names[id as usize].len() as u64
        }
    }
}

/// A sequence number: "49", the shard index (14 digits), the shard's creation time in
/// microseconds (20 digits) and a per-shard counter (20 digits): 56 decimal digits that increase
/// within a shard, and children's numbers exceed their parents'.
pub fn sequence_number(shard: &Shard, counter: u64) -> String {
    format!(
        "49{:014}{:020}{:020}",
        shard.index, shard.created.0, counter
    )
}

/// Parses a sequence number into (shard index, counter).
pub fn parse_sequence_number(text: &str) -> Option<(u32, u64)> {
    if text.len() != 56 || !text.starts_with("49") || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let shard: u32 = text[2..16].parse().ok()?;
    let counter: u64 = text[36..56].parse().ok()?;
    Some((shard, counter))
}

/// A decoded shard iterator. Iterators are stateless, as AWS's are: they carry the position and
/// the time they were issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IteratorToken {
    pub stream_id: u32,
    pub shard: u32,
    pub position: u64,
    pub issued: SimTime,
}

impl IteratorToken {
    fn check(&self) -> u32 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for v in [
            u64::from(self.stream_id),
            u64::from(self.shard),
            self.position,
            self.issued.0,
        ] {
            h ^= v;
            h = h.wrapping_mul(0x0100_0000_01b3).rotate_left(29);
        }
        (h >> 32) as u32
    }

    pub fn encode(&self) -> String {
        format!(
            "AAAAAAAAAAH{:08x}{:08x}{:016x}{:016x}{:08x}",
            self.stream_id,
            self.shard,
            self.position,
            self.issued.0,
            self.check()
        )
    }

    pub fn decode(text: &str) -> Option<IteratorToken> {
        let hex = text.strip_prefix("AAAAAAAAAAH")?;
        if hex.len() != 56 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let t = IteratorToken {
            stream_id: u32::from_str_radix(&hex[0..8], 16).ok()?,
            shard: u32::from_str_radix(&hex[8..16], 16).ok()?,
            position: u64::from_str_radix(&hex[16..32], 16).ok()?,
            issued: SimTime(u64::from_str_radix(&hex[32..48], 16).ok()?),
        };
        (u32::from_str_radix(&hex[48..56], 16).ok()? == t.check()).then_some(t)
    }
}

/// The Kinesis service of one simulated account and region.
#[derive(Debug)]
pub struct Kinesis {
    streams: BTreeMap<String, Stream>,
    pub keys: KeyTable,
    next_stream_id: u32,
    pub reshard_delay: SimDuration,
}

impl Kinesis {
    /// A new, empty service. (`_seed` is reserved for randomness the model may need; Kinesis
    /// itself is deterministic given its inputs.)
    pub fn new(_seed: u64) -> Self {
        Kinesis {
            streams: BTreeMap::new(),
            keys: KeyTable::default(),
            next_stream_id: 1,
            reshard_delay: RESHARD_DELAY_DEFAULT,
        }
    }

    pub fn create_stream(
        &mut self,
        name: &str,
        shard_count: Option<u32>,
        mode: StreamMode,
        now: SimTime,
    ) -> Result<()> {
        validate_stream_name(name)?;
        if self.streams.contains_key(name) {
            return Err(KinesisError::new(
                ErrorCode::ResourceInUse,
                format!("Stream {name} under account {ACCOUNT_ID} already exists."),
            ));
        }
        if self.streams.len() >= STREAMS_MAX {
            return Err(KinesisError::limit(crate::budget::refusal(
                format_args!("stream {name}"),
                STREAMS_MAX as u64,
                "streams",
                "STREAMS",
                "delete one first",
            )));
        }
        let count = match (mode, shard_count) {
            (StreamMode::Provisioned, None) => {
                return Err(KinesisError::invalid(
                    "ShardCount is required for a PROVISIONED stream",
                ));
            }
            (StreamMode::Provisioned, Some(n)) => {
                if n == 0 {
                    return Err(KinesisError::invalid("ShardCount must be at least 1"));
                }
                self.check_shard_budget(name, n, n as usize)?;
                n
            }
            (StreamMode::OnDemand, Some(_)) => {
                return Err(KinesisError::invalid(
                    "ShardCount must not be given for an ON_DEMAND stream",
                ));
            }
            (StreamMode::OnDemand, None) => stream::ON_DEMAND_INITIAL_SHARDS,
        };
        let id = self.next_stream_id;
        self.next_stream_id += 1;
        self.streams
            .insert(name.to_string(), Stream::new(name, id, count, mode, now));
        Ok(())
    }

    /// Records retained over all shards.
    pub fn stored_records(&self) -> u64 {
        self.streams
            .values()
            .flat_map(|s| &s.shards)
            .map(shard::Shard::stored_records)
            .sum()
    }

    /// Memory the retained records take over all shards (what
    /// [`crate::budget::RETAINED_BYTES`] bounds with Kafka's).
    pub fn stored_bytes(&self) -> u64 {
        self.streams
            .values()
            .flat_map(|s| &s.shards)
            .map(shard::Shard::stored_bytes)
            .sum()
    }

    /// Shards held by every stream, open and closed.
    pub fn shards_held(&self) -> usize {
        self.streams.values().map(|s| s.shards.len()).sum()
    }

    /// Stream `name` with `open` open shards, `added` more held, fits the budget.
    fn check_shard_budget(&self, name: &str, open: u32, added: usize) -> Result<()> {
        use crate::budget::{SHARDS_PER_STREAM, SHARDS_TOTAL, refusal};
        if open > SHARDS_PER_STREAM {
            return Err(KinesisError::limit(refusal(
                format_args!("stream {name} with {open} open shards"),
                u64::from(SHARDS_PER_STREAM),
                "open shards per stream",
                "SHARDS_PER_STREAM",
                "nothing was changed",
            )));
        }
        let held = self.shards_held();
        if held + added > SHARDS_TOTAL {
            return Err(KinesisError::limit(refusal(
                format_args!(
                    "{} shards held over all streams with stream {name} ({held} now, open and closed)",
                    held + added
                ),
                SHARDS_TOTAL as u64,
                "shards in total",
                "SHARDS_TOTAL",
                "nothing was changed; delete a stream first",
            )));
        }
        Ok(())
    }

    pub fn delete_stream(&mut self, name: &str) -> Result<()> {
        self.streams
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| not_found(name))
    }

    pub fn stream(&self, name: &str) -> Result<&Stream> {
        self.streams.get(name).ok_or_else(|| not_found(name))
    }

    pub fn stream_mut(&mut self, name: &str) -> Result<&mut Stream> {
        self.streams.get_mut(name).ok_or_else(|| not_found(name))
    }

    /// A stream and the key table, borrowed together.
    pub fn stream_and_keys_mut(&mut self, name: &str) -> Result<(&mut Stream, &KeyTable)> {
        let s = self.streams.get_mut(name).ok_or_else(|| not_found(name))?;
        Ok((s, &self.keys))
    }

    pub fn streams(&self) -> impl Iterator<Item = &Stream> {
        self.streams.values()
    }

    pub fn streams_mut(&mut self) -> impl Iterator<Item = &mut Stream> {
        self.streams.values_mut()
    }

    /// Resolves a stream given by name or ARN.
    pub fn resolve_name(text: &str) -> &str {
        text.rsplit_once(":stream/")
            .map_or(text, |(_, rest)| rest.split('/').next().unwrap_or(rest))
    }

    pub fn put_record(
        &mut self,
        stream: &str,
        req: &PutRequest,
        now: SimTime,
        faults: &mut Faults,
    ) -> Result<(u32, String)> {
        req.validate()?;
        let key = self.keys.intern(&req.partition_key)?;
        let hash = match req.explicit_hash_key {
            Some(h) => h,
            None => self.keys.hash(key),
        };
        let key_len = self.keys.len_of(key);
        let s = self
            .streams
            .get_mut(stream)
            .ok_or_else(|| not_found(stream))?;
        let shard = s.shard_for_hash(hash);
        match s.put(
            shard,
            key,
            key_len,
            req.data.len() as u32,
            Some(req.data.clone().into_boxed_slice()),
            now,
            faults,
        ) {
            PutOutcome::Accepted(counter) => {
                Ok((shard, sequence_number(&s.shards[shard as usize], counter)))
            }
            PutOutcome::Throttled => Err(KinesisError::new(
                ErrorCode::ProvisionedThroughputExceeded,
                throttle_message(&s.shards[shard as usize], stream),
            )),
            PutOutcome::InternalFailure => Err(KinesisError::new(
                ErrorCode::InternalFailure,
                "Internal service failure.",
            )),
        }
    }

    /// PutRecords: validates the whole request, then writes records in order; each record
    /// succeeds or fails on its own.
    pub fn put_records(
        &mut self,
        stream: &str,
        reqs: &[PutRequest],
        now: SimTime,
        faults: &mut Faults,
    ) -> Result<Vec<Result<(u32, String)>>> {
        self.stream(stream)?;
        if reqs.is_empty() || reqs.len() > PUT_RECORDS_MAX {
            return Err(KinesisError::new(
                ErrorCode::Validation,
                format!(
                    "1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length between 1 and {PUT_RECORDS_MAX} (got {})",
                    reqs.len()
                ),
            ));
        }
        let total: u64 = reqs
            .iter()
            .map(|r| r.data.len() as u64 + r.partition_key.len() as u64)
            .sum();
        if total > PUT_RECORDS_BYTES_MAX {
            return Err(KinesisError::invalid(format!(
                "PutRecords request of {total} bytes exceeds the 5 MiB request limit"
            )));
        }
        for r in reqs {
            r.validate()?;
        }
        let mut out = Vec::with_capacity(reqs.len());
        for r in reqs {
            out.push(self.put_record(stream, r, now, faults));
        }
        Ok(out)
    }

    pub fn get_shard_iterator(
        &mut self,
        stream: &str,
        shard_id: &str,
        kind: IteratorType,
        now: SimTime,
    ) -> Result<String> {
        let s = self.stream_mut(stream)?;
        s.shard_iterator(shard_id, kind, now).map(|t| t.encode())
    }

    pub fn get_records(
        &mut self,
        iterator: &str,
        limit: Option<u32>,
        now: SimTime,
        faults: &mut Faults,
    ) -> Result<GetRecordsOutput> {
        let token = IteratorToken::decode(iterator)
            .ok_or_else(|| KinesisError::invalid(format!("Invalid ShardIterator: {iterator}")))?;
        let limit = limit.unwrap_or(shard::GET_RECORDS_RECORDS_MAX);
        if limit == 0 || limit > shard::GET_RECORDS_RECORDS_MAX {
            return Err(KinesisError::new(
                ErrorCode::Validation,
                format!(
                    "Limit {limit} must be between 1 and {}",
                    shard::GET_RECORDS_RECORDS_MAX
                ),
            ));
        }
        if now.since(token.issued) > ITERATOR_TTL {
            return Err(KinesisError::new(
                ErrorCode::ExpiredIterator,
                format!(
                    "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of 300000 milliseconds.",
                    token.issued.to_rfc3339(),
                    now.to_rfc3339()
                ),
            ));
        }
        if faults.fire(crate::faults::FaultPoint::GetRecordsInternalFailure) {
            return Err(KinesisError::new(
                ErrorCode::InternalFailure,
                "Internal service failure.",
            ));
        }
        let keys = &self.keys;
        let Some(s) = self.streams.values_mut().find(|s| s.id == token.stream_id) else {
            return Err(KinesisError::new(
                ErrorCode::ResourceNotFound,
                "The stream of this iterator no longer exists",
            ));
        };
        s.get_records(token, limit, now, |k| keys.len_of(k))
    }

    pub fn split_shard(
        &mut self,
        stream: &str,
        shard_id: &str,
        new_start: &str,
        now: SimTime,
    ) -> Result<()> {
        let delay = self.reshard_delay;
        let open = self.stream(stream)?.open_shards().len() as u32;
        self.check_shard_budget(stream, open + 1, 2)?;
        self.stream_mut(stream)?
            .request_split(shard_id, new_start, now, delay)
    }

    pub fn merge_shards(&mut self, stream: &str, a: &str, b: &str, now: SimTime) -> Result<()> {
        let delay = self.reshard_delay;
        let open = self.stream(stream)?.open_shards().len() as u32;
        self.check_shard_budget(stream, open, 1)?;
        self.stream_mut(stream)?.request_merge(a, b, now, delay)
    }

    pub fn update_shard_count(&mut self, stream: &str, target: u32, now: SimTime) -> Result<u32> {
        let delay = self.reshard_delay;
        let open = self.stream(stream)?.open_shards().len();
        // A uniform reshard splits and merges: at most the current and the target shards are
        // created.
        self.check_shard_budget(stream, target, open + target as usize)?;
        self.stream_mut(stream)?
            .request_update_count(target, now, delay)
    }

    /// Completes due reshards, trims retention, expires closed shards, rolls on-demand capacity.
    /// Returns the earliest time something is due next (a pending reshard), if any.
    pub fn housekeeping(&mut self, now: SimTime) -> Option<SimTime> {
        let mut next = None;
        let mut held = self.shards_held();
        for s in self.streams.values_mut() {
            let before = s.shards.len();
            let room = crate::budget::SHARDS_TOTAL.saturating_sub(held);
            let due = s.housekeeping(now, room);
            held = held + s.shards.len() - before;
            if let Some(at) = due {
                next = Some(next.map_or(at, |n: SimTime| n.min(at)));
            }
        }
        next
    }

    /// Adds every stream's pending generated-write tallies to its metric series.
    pub fn flush_metrics(&mut self) {
        for s in self.streams.values_mut() {
            s.flush_metrics();
        }
    }

    /// Advances all pending reshards that are due at `now`.
    pub fn complete_due_reshards(&mut self, now: SimTime) {
        for s in self.streams.values_mut() {
            s.complete_reshard_if_due(now);
        }
    }

    /// Pushes to the enhanced fan-out subscriptions of every stream with registered consumers.
    pub fn push_efo(&mut self, now: SimTime) {
        // Split borrows: the key table is read while streams are mutated.
        let keys = std::mem::take(&mut self.keys);
        let key_len = |k: KeyId| keys.len_of(k);
        for s in self.streams_mut() {
            if !s.consumers.is_empty() {
                s.push_efo(now, &key_len);
            }
        }
        self.keys = keys;
    }
}

pub fn not_found(name: &str) -> KinesisError {
    KinesisError::new(
        ErrorCode::ResourceNotFound,
        format!("Stream {name} under account {ACCOUNT_ID} not found."),
    )
}

pub fn throttle_message(shard: &Shard, stream: &str) -> String {
    format!(
        "Rate exceeded for shard {} in stream {stream} under account {ACCOUNT_ID}.",
        shard.id()
    )
}

fn validate_stream_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(KinesisError::new(
            ErrorCode::Validation,
            format!(
                "1 validation error detected: Value '{name}' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length 1..128"
            ),
        ))
    }
}

pub fn stream_arn(name: &str) -> String {
    format!("arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{name}")
}
