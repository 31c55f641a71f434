//! A stream: its shards, resharding, reads and writes, retention and on-demand capacity.

use super::efo::Consumer;
use super::hashkey::{MAX_HASH_KEY, even_ranges, even_start, parse_hash_key};
use super::shard::{
    GET_RECORDS_BYTES_MAX, ReadRecord, Shard, WRITE_BYTES_PER_SEC, WRITE_RECORDS_PER_SEC, Window,
    parse_shard_id,
};
use super::{
    ErrorCode, IteratorToken, KeyId, KinesisError, RECORD_BYTES_MAX, RETENTION_HOURS_MAX,
    RETENTION_HOURS_MIN, Result, SHARDS_PER_STREAM_MAX, parse_sequence_number, sequence_number,
};
use crate::faults::{FaultPoint, Faults};
use crate::metrics::{Metric, MetricSet};
use crate::time::{MICROS_PER_SEC, SimDuration, SimTime};
use std::collections::VecDeque;

/// An on-demand stream starts with 4 MiB/s and 4,000 records/s of write capacity (4 shards).
pub const ON_DEMAND_INITIAL_SHARDS: u32 = 4;
/// On-demand capacity looks back 30 days for the peak...
pub const ON_DEMAND_PEAK_WINDOW_MINUTES: u64 = 30 * 24 * 60;
/// ...and traffic within the last 15 minutes has not yet been provisioned for.
pub const ON_DEMAND_RAMP_MINUTES: u64 = 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamMode {
    Provisioned,
    OnDemand,
}

impl StreamMode {
    pub fn name(self) -> &'static str {
        match self {
            StreamMode::Provisioned => "PROVISIONED",
            StreamMode::OnDemand => "ON_DEMAND",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamStatus {
    Active,
    Updating,
}

impl StreamStatus {
    pub fn name(self) -> &'static str {
        match self {
            StreamStatus::Active => "ACTIVE",
            StreamStatus::Updating => "UPDATING",
        }
    }
}

/// A record to put.
#[derive(Clone, Debug, Default)]
pub struct PutRequest {
    pub partition_key: String,
    pub data: Vec<u8>,
    pub explicit_hash_key: Option<u128>,
}

impl PutRequest {
    pub fn new(partition_key: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        PutRequest {
            partition_key: partition_key.into(),
            data: data.into(),
            explicit_hash_key: None,
        }
    }

    pub fn validate(&self) -> Result<()> {
        let n = self.partition_key.chars().count();
        if n == 0 || n > 256 {
            return Err(KinesisError::new(
                ErrorCode::Validation,
                format!(
                    "1 validation error detected: Value at 'partitionKey' failed to satisfy constraint: Member must have length between 1 and 256 (got {n})"
                ),
            ));
        }
        let size = self.data.len() as u64 + self.partition_key.len() as u64;
        if size > RECORD_BYTES_MAX {
            return Err(KinesisError::new(
                ErrorCode::Validation,
                format!(
                    "Record of {size} bytes (data + partition key) exceeds the maximum record size of 1 MiB ({RECORD_BYTES_MAX} bytes)"
                ),
            ));
        }
        Ok(())
    }
}

/// The result of one write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    Accepted(u64),
    Throttled,
    InternalFailure,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IteratorType {
    AtSequenceNumber(String),
    AfterSequenceNumber(String),
    TrimHorizon,
    Latest,
    AtTimestamp(SimTime),
}

impl IteratorType {
    /// Builds an iterator type from its AWS name and optional argument.
    pub fn from_parts(kind: &str, seq: Option<&str>, ts: Option<SimTime>) -> Result<IteratorType> {
        let need_seq = || {
            seq.map(str::to_string).ok_or_else(|| {
                KinesisError::invalid(format!("StartingSequenceNumber is required for {kind}"))
            })
        };
        Ok(match kind {
            "AT_SEQUENCE_NUMBER" => IteratorType::AtSequenceNumber(need_seq()?),
            "AFTER_SEQUENCE_NUMBER" => IteratorType::AfterSequenceNumber(need_seq()?),
            "TRIM_HORIZON" => IteratorType::TrimHorizon,
            "LATEST" => IteratorType::Latest,
            "AT_TIMESTAMP" => {
                IteratorType::AtTimestamp(ts.ok_or_else(|| {
                    KinesisError::invalid("Timestamp is required for AT_TIMESTAMP")
                })?)
            }
            other => {
                return Err(KinesisError::new(
                    ErrorCode::Validation,
                    format!(
                        "Value '{other}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"
                    ),
                ));
            }
        })
    }
}

/// A child shard as GetRecords reports it at the end of a closed shard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildShard {
    pub shard: u32,
    pub parents: Vec<u32>,
    pub start: u128,
    pub end: u128,
}

#[derive(Clone, Debug)]
pub struct GetRecordsOutput {
    pub stream: String,
    pub shard: u32,
    pub records: Vec<ReadRecord>,
    pub next_iterator: Option<String>,
    /// Counter to continue from (the position the next iterator encodes).
    pub next_position: u64,
    pub millis_behind_latest: u64,
    pub child_shards: Vec<ChildShard>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ReshardOp {
    Split { shard: u32, at: u128 },
    Merge { a: u32, b: u32 },
    UpdateCount { target: u32 },
}

#[derive(Clone, Debug)]
struct PendingReshard {
    due: SimTime,
    op: ReshardOp,
}

/// On-demand capacity tracking.
#[derive(Clone, Debug)]
pub struct OnDemand {
    pub cap_bytes_per_sec: u64,
    pub cap_records_per_sec: u64,
    /// Reads are held until then (stream-wide read capacity, 2x write capacity).
    read_free_at: SimTime,
    window: Window,
    sec: u64,
    sec_bytes: u64,
    sec_records: u64,
    minute: u64,
    minute_peak: (u64, u64),
    /// (minute, peak bytes/s, peak records/s) per minute with traffic, last 30 days.
    peaks: VecDeque<(u64, u64, u64)>,
}

impl OnDemand {
    fn new() -> Self {
        OnDemand {
            cap_bytes_per_sec: u64::from(ON_DEMAND_INITIAL_SHARDS) * WRITE_BYTES_PER_SEC,
            cap_records_per_sec: u64::from(ON_DEMAND_INITIAL_SHARDS) * WRITE_RECORDS_PER_SEC,
            read_free_at: SimTime::ZERO,
            window: Window::default(),
            sec: 0,
            sec_bytes: 0,
            sec_records: 0,
            minute: 0,
            minute_peak: (0, 0),
            peaks: VecDeque::new(),
        }
    }

    fn roll(&mut self, now: SimTime) {
        let sec = now.as_secs();
        if sec != self.sec {
            self.minute_peak.0 = self.minute_peak.0.max(self.sec_bytes);
            self.minute_peak.1 = self.minute_peak.1.max(self.sec_records);
            self.sec = sec;
            self.sec_bytes = 0;
            self.sec_records = 0;
        }
        let minute = sec / 60;
        if minute != self.minute {
            if self.minute_peak != (0, 0) {
                self.peaks
                    .push_back((self.minute, self.minute_peak.0, self.minute_peak.1));
            }
            self.minute = minute;
            self.minute_peak = (0, 0);
            while self
                .peaks
                .front()
                .is_some_and(|p| p.0 + ON_DEMAND_PEAK_WINDOW_MINUTES < minute)
            {
                self.peaks.pop_front();
            }
        }
    }

    /// Capacity now: twice the peak of the previous 30 days, counting only traffic at least 15
    /// minutes old (so traffic that more than doubles within 15 minutes is throttled), never
    /// below the initial 4 MiB/s and 4,000 records/s.
    fn recompute(&mut self, now: SimTime) {
        self.roll(now);
        let minute = now.as_secs() / 60;
        let (mut b, mut r) = (0, 0);
        for &(m, pb, pr) in &self.peaks {
            if m + ON_DEMAND_RAMP_MINUTES <= minute {
                b = b.max(pb);
                r = r.max(pr);
            }
        }
        let initial = u64::from(ON_DEMAND_INITIAL_SHARDS);
        self.cap_bytes_per_sec = (2 * b).max(initial * WRITE_BYTES_PER_SEC);
        self.cap_records_per_sec = (2 * r).max(initial * WRITE_RECORDS_PER_SEC);
    }

    fn admit(&mut self, now: SimTime, count: u64, bytes: u64) -> bool {
        self.roll(now);
        if !self.window.try_take(
            now,
            count,
            bytes,
            self.cap_records_per_sec,
            self.cap_bytes_per_sec,
        ) {
            return false;
        }
        self.sec_bytes += bytes;
        self.sec_records += count;
        true
    }

    /// Peak of the previous 30 days (bytes/s, records/s), including the current minute.
    pub fn peak(&self) -> (u64, u64) {
        let mut p = (
            self.minute_peak.0.max(self.sec_bytes),
            self.minute_peak.1.max(self.sec_records),
        );
        for &(_, b, r) in &self.peaks {
            p = (p.0.max(b), p.1.max(r));
        }
        p
    }
}

#[derive(Debug)]
pub struct Stream {
    pub name: String,
    pub id: u32,
    pub mode: StreamMode,
    pub created: SimTime,
    pub retention_hours: u32,
    pub shards: Vec<Shard>,
    /// Open shard indices sorted by starting hash key, and their starts.
    open: Vec<u32>,
    open_starts: Vec<u128>,
    /// Bumped on every topology change (lets callers cache key -> shard maps).
    pub epoch: u64,
    pending: Option<PendingReshard>,
    pub consumers: Vec<Consumer>,
    pub on_demand: Option<OnDemand>,
    pub metrics: MetricSet,
    update_count_calls: VecDeque<SimTime>,
    /// PUT payload units (25 KB each, rounded up per record) accepted so far, for the cost model.
    pub put_payload_units: u64,
}

impl Stream {
    pub(super) fn new(name: &str, id: u32, count: u32, mode: StreamMode, now: SimTime) -> Self {
        let mut s = Stream {
            name: name.to_string(),
            id,
            mode,
            created: now,
            retention_hours: RETENTION_HOURS_MIN,
            shards: Vec::new(),
            open: Vec::new(),
            open_starts: Vec::new(),
            epoch: 0,
            pending: None,
            consumers: Vec::new(),
            on_demand: (mode == StreamMode::OnDemand).then(OnDemand::new),
            metrics: MetricSet::default(),
            update_count_calls: VecDeque::new(),
            put_payload_units: 0,
        };
        for (start, end) in even_ranges(count) {
            let i = s.shards.len() as u32;
            s.shards.push(Shard::new(i, start, end, now, 0));
        }
        s.rebuild_open();
        s
    }

    pub fn status(&self) -> StreamStatus {
        if self.pending.is_some() {
            StreamStatus::Updating
        } else {
            StreamStatus::Active
        }
    }

    pub fn arn(&self) -> String {
        super::stream_arn(&self.name)
    }

    fn rebuild_open(&mut self) {
        let mut open: Vec<u32> = self
            .shards
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.index)
            .collect();
        open.sort_by_key(|&i| self.shards[i as usize].start);
        self.open_starts = open
            .iter()
            .map(|&i| self.shards[i as usize].start)
            .collect();
        self.open = open;
        self.epoch += 1;
        let listed = self.shards.iter().filter(|s| !s.expired).count().max(1);
        let per_shard = (super::shard::ENTRIES_PER_STREAM_MAX / listed)
            .clamp(1_000, super::shard::ENTRIES_PER_SHARD_MAX);
        for sh in &mut self.shards {
            sh.entries_max = per_shard;
        }
    }

    /// Open shards, sorted by starting hash key.
    pub fn open_shards(&self) -> &[u32] {
        &self.open
    }

    /// Shards still listed (not expired), by index.
    pub fn listed_shards(&self) -> impl Iterator<Item = &Shard> {
        self.shards.iter().filter(|s| !s.expired)
    }

    /// The open shard whose range holds `hash`.
    #[inline]
    pub fn shard_for_hash(&self, hash: u128) -> u32 {
        let i = self.open_starts.partition_point(|&s| s <= hash);
        self.open[i.saturating_sub(1)]
    }

    pub fn shard_by_id(&self, shard_id: &str) -> Result<&Shard> {
        let i = parse_shard_id(shard_id).ok_or_else(|| {
            KinesisError::new(
                ErrorCode::Validation,
                format!("Invalid ShardId '{shard_id}': expected shardId-000000000000"),
            )
        })?;
        match self.shards.get(i as usize) {
            Some(s) if !s.expired => Ok(s),
            _ => Err(KinesisError::new(
                ErrorCode::ResourceNotFound,
                format!(
                    "Shard {shard_id} in stream {} under account {} does not exist",
                    self.name,
                    super::ACCOUNT_ID
                ),
            )),
        }
    }

    /// Writes one record to `shard` (the caller mapped its hash key) if the limits allow it.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn put(
        &mut self,
        shard: u32,
        key: KeyId,
        key_len: u64,
        size: u32,
        data: Option<Box<[u8]>>,
        now: SimTime,
        faults: &mut Faults,
    ) -> PutOutcome {
        let bytes = u64::from(size) + key_len;
        let sec = now.as_secs();
        if faults.fire(FaultPoint::PutInternalFailure) {
            return PutOutcome::InternalFailure;
        }
        let stream_ok = match self.on_demand.as_mut() {
            Some(od) => od.admit(now, 1, bytes),
            None => true,
        };
        let sh = &mut self.shards[shard as usize];
        if !stream_ok || !sh.admit_write(now, 1, bytes) {
            sh.metrics
                .add(Metric::WriteProvisionedThroughputExceeded, sec, 1);
            self.metrics
                .add(Metric::WriteProvisionedThroughputExceeded, sec, 1);
            return PutOutcome::Throttled;
        }
        let c = sh.append(now, key, size, data);
        sh.metrics.add(Metric::IncomingRecords, sec, 1);
        sh.metrics.add(Metric::IncomingBytes, sec, bytes);
        self.metrics.add(Metric::IncomingRecords, sec, 1);
        self.metrics.add(Metric::IncomingBytes, sec, bytes);
        self.put_payload_units += bytes.div_ceil(25_600).max(1);
        PutOutcome::Accepted(c)
    }

    /// Writes generated records (no payload) to `shard`, in the given order, with the same
    /// limits as [`Stream::put`]. Metrics are tallied per shard and second and added to the
    /// series when the second changes or on [`Stream::flush_metrics`] (the simulation flushes
    /// at the end of every advance). Each item is (arrival, key, key length, data size).
    /// Returns (accepted, throttled, failed).
    pub fn put_generated(
        &mut self,
        shard: u32,
        records: impl Iterator<Item = (SimTime, KeyId, u32, u32)>,
        faults: &mut Faults,
    ) -> (u64, u64, u64) {
        let (mut accepted, mut throttled, mut failed) = (0, 0, 0);
        let mut units = 0u64;
        for (now, key, key_len, size) in records {
            let sec = now.as_secs();
            if self.shards[shard as usize].pending.0 != sec {
                self.flush_shard(shard);
                self.shards[shard as usize].pending.0 = sec;
            }
            if faults.fire(FaultPoint::PutInternalFailure) {
                failed += 1;
                continue;
            }
            let bytes = u64::from(size) + u64::from(key_len);
            let stream_ok = match self.on_demand.as_mut() {
                Some(od) => od.admit(now, 1, bytes),
                None => true,
            };
            let sh = &mut self.shards[shard as usize];
            if !stream_ok || !sh.admit_write(now, 1, bytes) {
                throttled += 1;
                sh.pending.3 += 1;
                continue;
            }
            sh.append(now, key, size, None);
            accepted += 1;
            sh.pending.1 += 1;
            sh.pending.2 += bytes;
            units += bytes.div_ceil(25_600).max(1);
        }
        self.put_payload_units += units;
        (accepted, throttled, failed)
    }

    fn flush_shard(&mut self, shard: u32) {
        let sh = &mut self.shards[shard as usize];
        let (sec, records, bytes, throttled) = sh.pending;
        sh.pending = (sec, 0, 0, 0);
        if records == 0 && throttled == 0 {
            return;
        }
        for m in [&mut sh.metrics, &mut self.metrics] {
            m.add(Metric::IncomingRecords, sec, records);
            m.add(Metric::IncomingBytes, sec, bytes);
            m.add(Metric::WriteProvisionedThroughputExceeded, sec, throttled);
        }
    }

    /// Adds pending generated-write tallies to the metric series.
    pub fn flush_metrics(&mut self) {
        for i in 0..self.shards.len() as u32 {
            self.flush_shard(i);
        }
    }

    /// Writes an aggregated flow of `offered` records of `size` bytes to `shard` over the second
    /// ending at `now`: accepts what the shard's (and on-demand stream's) windows have room
    /// for, appends it as one segment, and counts the rest as throttled. Returns accepted count.
    pub fn put_flow(
        &mut self,
        shard: u32,
        offered: u64,
        size: u32,
        span: SimDuration,
        now: SimTime,
    ) -> u64 {
        if offered == 0 {
            return 0;
        }
        let sec = now.as_secs().saturating_sub(1);
        let per = u64::from(size).max(1);
        let sh = &mut self.shards[shard as usize];
        let (room_r, room_b) = sh
            .write
            .room(now, WRITE_RECORDS_PER_SEC, WRITE_BYTES_PER_SEC);
        let mut accept = offered.min(room_r).min(room_b / per);
        if let Some(od) = self.on_demand.as_mut() {
            od.roll(now);
            let (r, b) = od
                .window
                .room(now, od.cap_records_per_sec, od.cap_bytes_per_sec);
            accept = accept.min(r).min(b / per);
            if accept > 0 {
                od.admit(now, accept, accept * per);
            }
        }
        if accept > 0 {
            sh.admit_write(now, accept, accept * per);
            sh.append_flow(
                now.saturating_sub(span),
                span,
                super::FLOW_KEY,
                accept as u32,
                size,
            );
        }
        let throttled = offered - accept;
        sh.metrics.add(Metric::IncomingRecords, sec, accept);
        sh.metrics.add(Metric::IncomingBytes, sec, accept * per);
        sh.metrics
            .add(Metric::WriteProvisionedThroughputExceeded, sec, throttled);
        self.metrics.add(Metric::IncomingRecords, sec, accept);
        self.metrics.add(Metric::IncomingBytes, sec, accept * per);
        self.metrics
            .add(Metric::WriteProvisionedThroughputExceeded, sec, throttled);
        self.put_payload_units += accept * per.div_ceil(25_600);
        accept
    }

    pub(super) fn shard_iterator(
        &mut self,
        shard_id: &str,
        kind: IteratorType,
        now: SimTime,
    ) -> Result<IteratorToken> {
        let name = self.name.clone();
        let sh = self.shard_by_id(shard_id)?;
        let seq_counter = |seq: &str| -> Result<u64> {
            let (idx, counter) = parse_sequence_number(seq).ok_or_else(|| {
                KinesisError::invalid(format!("StartingSequenceNumber {seq} used in GetShardIterator on shard {shard_id} in stream {name} under account {} is invalid.", super::ACCOUNT_ID))
            })?;
            if idx != sh.index || counter >= sh.next || sequence_number(sh, counter) != seq {
                return Err(KinesisError::invalid(format!(
                    "StartingSequenceNumber {seq} used in GetShardIterator on shard {shard_id} in stream {name} under account {} is invalid because it did not come from this stream.",
                    super::ACCOUNT_ID
                )));
            }
            Ok(counter)
        };
        let position = match kind {
            IteratorType::TrimHorizon => sh.first_retained(),
            IteratorType::Latest => sh.next,
            IteratorType::AtSequenceNumber(s) => seq_counter(&s)?,
            IteratorType::AfterSequenceNumber(s) => seq_counter(&s)? + 1,
            IteratorType::AtTimestamp(t) => {
                if t > now {
                    sh.next
                } else {
                    sh.counter_at_time(t)
                }
            }
        };
        Ok(IteratorToken {
            stream_id: self.id,
            shard: sh.index,
            position,
            issued: now,
        })
    }

    pub(super) fn get_records(
        &mut self,
        token: IteratorToken,
        limit: u32,
        now: SimTime,
        key_len: impl Fn(KeyId) -> u64,
    ) -> Result<GetRecordsOutput> {
        let sec = now.as_secs();
        let stream_name = self.name.clone();
        let Some(sh) = self
            .shards
            .get_mut(token.shard as usize)
            .filter(|s| !s.expired)
        else {
            return Err(KinesisError::new(
                ErrorCode::ResourceNotFound,
                format!(
                    "Shard {} in stream {stream_name} under account {} does not exist",
                    super::shard_id(token.shard),
                    super::ACCOUNT_ID
                ),
            ));
        };
        // On-demand streams also have a stream-wide read capacity: twice the write capacity
        // (8 MiB/s for a new stream), shared by all polling consumers.
        let stream_read_ok = self
            .on_demand
            .as_ref()
            .is_none_or(|od| now >= od.read_free_at);
        if !stream_read_ok || !sh.admit_read(now) {
            sh.metrics
                .add(Metric::ReadProvisionedThroughputExceeded, sec, 1);
            self.metrics
                .add(Metric::ReadProvisionedThroughputExceeded, sec, 1);
            return Err(KinesisError::new(
                ErrorCode::ProvisionedThroughputExceeded,
                super::throttle_message(sh, &stream_name),
            ));
        }
        let (records, next_pos) = sh.read(token.position, limit, GET_RECORDS_BYTES_MAX, &key_len);
        let bytes: u64 = records
            .iter()
            .map(|r| u64::from(r.size) + key_len(r.key))
            .sum();
        sh.charge_read(now, bytes);
        if let Some(od) = self.on_demand.as_mut() {
            let rate = u128::from(2 * od.cap_bytes_per_sec.max(1));
            let hold = u128::from(bytes) * u128::from(MICROS_PER_SEC) / rate;
            od.read_free_at = SimTime(od.read_free_at.max(now).0 + hold as u64);
        }
        let millis_behind = if next_pos >= sh.next {
            0
        } else {
            sh.arrival_of(next_pos)
                .map_or(0, |t| now.since(t).as_millis())
        };
        sh.metrics.add(Metric::GetRecordsCalls, sec, 1);
        sh.metrics
            .add(Metric::GetRecordsRecords, sec, records.len() as u64);
        sh.metrics.add(Metric::GetRecordsBytes, sec, bytes);
        sh.metrics
            .set(Metric::IteratorAgeMilliseconds, sec, millis_behind);
        let at_end = sh.closed.is_some() && next_pos >= sh.next;
        let children = if at_end {
            sh.children.clone()
        } else {
            Vec::new()
        };
        let shard_index = sh.index;
        self.metrics.add(Metric::GetRecordsCalls, sec, 1);
        self.metrics
            .add(Metric::GetRecordsRecords, sec, records.len() as u64);
        self.metrics.add(Metric::GetRecordsBytes, sec, bytes);
        self.metrics
            .set(Metric::IteratorAgeMilliseconds, sec, millis_behind);
        let child_shards = children.iter().map(|&c| self.child_shard(c)).collect();
        let next_iterator = (!at_end).then(|| {
            IteratorToken {
                stream_id: self.id,
                shard: shard_index,
                position: next_pos,
                issued: now,
            }
            .encode()
        });
        Ok(GetRecordsOutput {
            stream: stream_name,
            shard: shard_index,
            records,
            next_iterator,
            next_position: next_pos,
            millis_behind_latest: millis_behind,
            child_shards,
        })
    }

    pub fn child_shard(&self, c: u32) -> ChildShard {
        let ch = &self.shards[c as usize];
        ChildShard {
            shard: c,
            parents: ch.parent.into_iter().chain(ch.adjacent_parent).collect(),
            start: ch.start,
            end: ch.end,
        }
    }

    fn ensure_active(&self) -> Result<()> {
        if self.pending.is_some() {
            return Err(KinesisError::new(
                ErrorCode::ResourceInUse,
                format!(
                    "Stream {} under account {} not ACTIVE, instead in state UPDATING",
                    self.name,
                    super::ACCOUNT_ID
                ),
            ));
        }
        if self.mode == StreamMode::OnDemand {
            return Err(KinesisError::invalid(format!(
                "Stream {} is in ON_DEMAND mode; resharding is managed by the service",
                self.name
            )));
        }
        Ok(())
    }

    fn open_shard(&self, shard_id: &str) -> Result<u32> {
        let sh = self.shard_by_id(shard_id)?;
        if !sh.is_open() {
            return Err(KinesisError::invalid(format!(
                "Shard {shard_id} in stream {} under account {} has already been merged or split, and thus is not eligible for merging or splitting.",
                self.name,
                super::ACCOUNT_ID
            )));
        }
        Ok(sh.index)
    }

    fn check_shard_room(&self, extra: usize) -> Result<()> {
        if self.shards.len() + extra > SHARDS_PER_STREAM_MAX {
            return Err(KinesisError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "the simulator holds at most {SHARDS_PER_STREAM_MAX} shards per stream (open and closed)"
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn request_split(
        &mut self,
        shard_id: &str,
        new_start: &str,
        now: SimTime,
        delay: SimDuration,
    ) -> Result<()> {
        self.ensure_active()?;
        let idx = self.open_shard(shard_id)?;
        let at = parse_hash_key(new_start).map_err(KinesisError::invalid)?;
        let sh = &self.shards[idx as usize];
        if at <= sh.start || at > sh.end {
            return Err(KinesisError::invalid(format!(
                "NewStartingHashKey {at} used in SplitShard() on shard {shard_id} in stream {} under account {} is not both greater than one plus the shard's StartingHashKey {} and less than the shard's EndingHashKey {}.",
                self.name,
                super::ACCOUNT_ID,
                sh.start,
                sh.end
            )));
        }
        self.check_shard_room(2)?;
        self.pending = Some(PendingReshard {
            due: now + delay,
            op: ReshardOp::Split { shard: idx, at },
        });
        Ok(())
    }

    pub(super) fn request_merge(
        &mut self,
        a: &str,
        b: &str,
        now: SimTime,
        delay: SimDuration,
    ) -> Result<()> {
        self.ensure_active()?;
        let ia = self.open_shard(a)?;
        let ib = self.open_shard(b)?;
        let (sa, sb) = (&self.shards[ia as usize], &self.shards[ib as usize]);
        let adjacent = (sa.end != MAX_HASH_KEY && sa.end + 1 == sb.start)
            || (sb.end != MAX_HASH_KEY && sb.end + 1 == sa.start);
        if ia == ib || !adjacent {
            return Err(KinesisError::invalid(format!(
                "Shards {a} and {b} in stream {} under account {} are not an adjacent pair of shards eligible for merging",
                self.name,
                super::ACCOUNT_ID
            )));
        }
        self.check_shard_room(1)?;
        self.pending = Some(PendingReshard {
            due: now + delay,
            op: ReshardOp::Merge { a: ia, b: ib },
        });
        Ok(())
    }

    pub(super) fn request_update_count(
        &mut self,
        target: u32,
        now: SimTime,
        delay: SimDuration,
    ) -> Result<u32> {
        self.ensure_active()?;
        let current = self.open.len() as u32;
        if target == 0 || target > current.saturating_mul(2) || target < current.div_ceil(2) {
            return Err(KinesisError::invalid(format!(
                "UpdateShardCount to {target} from {current} open shards: the target must be between half ({}) and double ({}) the current open shard count",
                current.div_ceil(2),
                current.saturating_mul(2)
            )));
        }
        while self
            .update_count_calls
            .front()
            .is_some_and(|t| now.since(*t) >= SimDuration::from_hours(24))
        {
            self.update_count_calls.pop_front();
        }
        if self.update_count_calls.len() >= 10 {
            return Err(KinesisError::new(
                ErrorCode::LimitExceeded,
                "UpdateShardCount may be called at most 10 times in a rolling 24-hour period",
            ));
        }
        self.check_shard_room(3 * (current + target) as usize)?;
        self.update_count_calls.push_back(now);
        self.pending = Some(PendingReshard {
            due: now + delay,
            op: ReshardOp::UpdateCount { target },
        });
        Ok(current)
    }

    /// When the pending reshard is due.
    pub fn pending_due(&self) -> Option<SimTime> {
        self.pending.as_ref().map(|p| p.due)
    }

    pub(super) fn complete_reshard_if_due(&mut self, now: SimTime) {
        let Some(p) = self.pending.take_if(|p| p.due <= now) else {
            return;
        };
        match p.op {
            ReshardOp::Split { shard, at } => self.apply_split(shard, at, p.due),
            ReshardOp::Merge { a, b } => {
                self.apply_merge(a, b, p.due);
            }
            ReshardOp::UpdateCount { target } => self.apply_uniform(target, p.due),
        }
    }

    fn new_child(
        &mut self,
        start: u128,
        end: u128,
        parent: u32,
        adjacent: Option<u32>,
        now: SimTime,
    ) -> u32 {
        let idx = self.shards.len() as u32;
        let mut ch = Shard::new(idx, start, end, now, 0);
        ch.parent = Some(parent);
        ch.adjacent_parent = adjacent;
        self.shards.push(ch);
        self.shards[parent as usize].children.push(idx);
        if let Some(a) = adjacent {
            self.shards[a as usize].children.push(idx);
        }
        idx
    }

    fn apply_split(&mut self, shard: u32, at: u128, now: SimTime) {
        let (start, end) = (
            self.shards[shard as usize].start,
            self.shards[shard as usize].end,
        );
        self.shards[shard as usize].closed = Some(now);
        self.new_child(start, at - 1, shard, None, now);
        self.new_child(at, end, shard, None, now);
        self.rebuild_open();
    }

    fn apply_merge(&mut self, a: u32, b: u32, now: SimTime) -> u32 {
        let start = self.shards[a as usize]
            .start
            .min(self.shards[b as usize].start);
        let end = self.shards[a as usize].end.max(self.shards[b as usize].end);
        self.shards[a as usize].closed = Some(now);
        self.shards[b as usize].closed = Some(now);
        let c = self.new_child(start, end, a, Some(b), now);
        self.rebuild_open();
        c
    }

    /// UNIFORM_SCALING as a series of real splits and merges (as AWS performs it), so every new
    /// shard has at most two parents: first split at each target boundary that is not already a
    /// boundary, then merge neighbours left to right inside each target range.
    fn apply_uniform(&mut self, target: u32, now: SimTime) {
        for i in 1..target {
            let b = even_start(i, target);
            let idx = self.shard_for_hash(b);
            if self.shards[idx as usize].start != b {
                self.apply_split(idx, b, now);
            }
        }
        for i in 0..target {
            let start = even_start(i, target);
            let end = if i + 1 == target {
                MAX_HASH_KEY
            } else {
                even_start(i + 1, target) - 1
            };
            let mut first = self.shard_for_hash(start);
            // Bounded: each merge removes one open shard from this range.
            for _ in 0..self.shards.len() {
                if self.shards[first as usize].end >= end {
                    break;
                }
                let next = self.shard_for_hash(self.shards[first as usize].end + 1);
                first = self.apply_merge(first, next, now);
            }
        }
    }

    /// Splits on-demand streams' shards to follow capacity (adding at most `shard_room` shards,
    /// what the simulation's shard budget has left), completes due reshards, trims retention
    /// and expires closed shards. Returns the pending reshard's due time.
    pub(super) fn housekeeping(&mut self, now: SimTime, shard_room: usize) -> Option<SimTime> {
        self.complete_reshard_if_due(now);
        let retention = SimDuration::from_hours(u64::from(self.retention_hours));
        let horizon = now.saturating_sub(retention);
        let mut changed = false;
        for sh in &mut self.shards {
            if sh.expired {
                continue;
            }
            sh.trim(horizon);
            if sh.closed.is_some_and(|c| c + retention <= now) {
                sh.expired = true;
                changed = true;
            }
        }
        if changed {
            self.epoch += 1;
        }
        if let Some(od) = self.on_demand.as_mut() {
            od.recompute(now);
            let need = od
                .cap_bytes_per_sec
                .div_ceil(WRITE_BYTES_PER_SEC)
                .max(od.cap_records_per_sec.div_ceil(WRITE_RECORDS_PER_SEC));
            let open = self.open.len() as u64;
            let target = need
                .min(2 * open)
                .min(u64::from(crate::budget::SHARDS_PER_STREAM));
            // A uniform reshard to `target` open shards adds at most three shards per target
            // shard (splits add two, the merges that fix slivers one).
            let added = 3 * target as usize;
            if target > open
                && self.pending.is_none()
                && self.shards.len() + added < SHARDS_PER_STREAM_MAX
                && added <= shard_room
            {
                self.apply_uniform(target as u32, now);
            }
        }
        self.pending_due()
    }

    pub fn set_retention(&mut self, hours: u32, increase: bool) -> Result<()> {
        if !(RETENTION_HOURS_MIN..=RETENTION_HOURS_MAX).contains(&hours) {
            return Err(KinesisError::invalid(format!(
                "Retention period {hours} hours is outside {RETENTION_HOURS_MIN}..={RETENTION_HOURS_MAX} hours (24 hours to 365 days)"
            )));
        }
        if increase && hours < self.retention_hours {
            return Err(KinesisError::invalid(format!(
                "Requested retention period ({hours} hours) for stream {} can not be shorter than existing retention period ({} hours). Use DecreaseRetentionPeriod API.",
                self.name, self.retention_hours
            )));
        }
        if !increase && hours > self.retention_hours {
            return Err(KinesisError::invalid(format!(
                "Requested retention period ({hours} hours) for stream {} can not be longer than existing retention period ({} hours). Use IncreaseRetentionPeriod API.",
                self.name, self.retention_hours
            )));
        }
        self.retention_hours = hours;
        Ok(())
    }

    /// Open-shard hours so far (closed shards count until they closed), for the cost model.
    pub fn shard_hours(&self, now: SimTime) -> f64 {
        let micros: u128 = self
            .shards
            .iter()
            .map(|s| u128::from(s.closed.unwrap_or(now).since(s.created).0))
            .sum();
        micros as f64 / (3600.0 * MICROS_PER_SEC as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An on-demand stream whose traffic 16 minutes ago asks for `shards` shards' capacity.
    fn busy_on_demand(shards: u64) -> Stream {
        let mut s = Stream::new(
            "od",
            1,
            ON_DEMAND_INITIAL_SHARDS,
            StreamMode::OnDemand,
            SimTime::ZERO,
        );
        let od = s.on_demand.as_mut().expect("on-demand");
        od.peaks
            .push_back((0, shards * WRITE_BYTES_PER_SEC / 2, shards * 500));
        s
    }

    #[test]
    fn on_demand_growth_stays_within_the_shards_the_simulation_has_left() {
        let now = SimTime::from_secs(16 * 60);
        let mut grown = busy_on_demand(100);
        grown.housekeeping(now, usize::MAX);
        assert_eq!(
            grown.open_shards().len(),
            2 * ON_DEMAND_INITIAL_SHARDS as usize
        );

        // The same demand with no room left in the simulation's shard budget: no growth.
        let mut held = busy_on_demand(100);
        held.housekeeping(now, 5);
        assert_eq!(held.open_shards().len(), ON_DEMAND_INITIAL_SHARDS as usize);
        assert_eq!(held.shards.len(), ON_DEMAND_INITIAL_SHARDS as usize);
    }
}
