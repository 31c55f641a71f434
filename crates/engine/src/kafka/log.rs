//! One partition's log, as the leader holds it: record batches in segments, the log start and
//! end offsets, the producer state that makes idempotent retries no-ops, the transaction index
//! that gives the last stable offset and lets `read_committed` skip aborted records, time and
//! size retention over whole closed segments, and compaction of closed segments.
//!
//! Replicas are not copies: every replica's log is a prefix of the leader's (Kafka guarantees
//! this after a follower truncates to the new leader's epoch end offset), so a replica is just
//! its log end offset into this one log. When a new leader has a shorter log, the log is
//! truncated to it, which is how records acknowledged with `acks=1` but never replicated are
//! lost.

use super::records::{Boundary, Records};
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// The key id of a record without a key.
pub const NO_KEY: u32 = u32::MAX;
/// The producer id of a batch from a producer without idempotence (Kafka's -1).
pub const NO_PRODUCER: u64 = u64::MAX;
/// Segments one log may hold (a runaway guard: a tiny `segment.bytes` on a busy topic).
pub const SEGMENTS_MAX: usize = 200_000;
/// Batches of one producer the broker remembers per partition to recognise retries (Kafka
/// keeps the last five, matching `max.in.flight.requests.per.connection <= 5`).
pub const PRODUCER_BATCHES_REMEMBERED: usize = 5;
/// Records one sealed run holds at most: a reader starting inside a run decodes it from its
/// start, so a run stays about the size of a consumer's poll.
pub const RUN_RECORDS_MAX: usize = 1_024;

/// One record of a batch. Generated records carry no payload (their bytes are reproduced on
/// read); `key_seq` is the producer's count of records sent with this key, which is how a
/// consumer notices keys arriving out of order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rec {
    pub offset_delta: u32,
    pub key: u32,
    pub size: u32,
    pub key_seq: u32,
}

/// A record header: its key and its value (`None`: null).
pub type Header = (Box<[u8]>, Option<Box<[u8]>>);

/// A record a real client wrote (through the Kafka front door), with its own bytes: what a
/// client reads back. `value: None` is a null value (a tombstone on a compacted topic).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientRecord {
    pub key: Option<Box<[u8]>>,
    pub value: Option<Box<[u8]>>,
    pub headers: Box<[Header]>,
    /// The record's timestamp as the client set it (Unix milliseconds).
    pub timestamp_ms: i64,
}

impl ClientRecord {
    /// Bytes it takes on the wire (key, value, headers), as a log counts its size.
    pub fn wire_bytes(&self) -> u64 {
        let len = |b: &Option<Box<[u8]>>| b.as_ref().map_or(0, |b| b.len() as u64);
        len(&self.key)
            + len(&self.value)
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() as u64 + len(v))
                .sum::<u64>()
    }

    /// Memory it takes beyond its own size: its bytes and its headers' slots.
    pub fn heap_bytes(&self) -> u64 {
        self.wire_bytes() + (self.headers.len() * size_of::<Header>()) as u64
    }
}

/// A transaction marker (a control batch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Commit,
    Abort,
}

/// Who wrote a batch, as the record batch header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Writer {
    pub producer_id: u64,
    pub epoch: u16,
    pub base_sequence: u32,
    pub transactional: bool,
}

impl Writer {
    pub const NONE: Writer = Writer {
        producer_id: NO_PRODUCER,
        epoch: 0,
        base_sequence: 0,
        transactional: false,
    };
}

/// A record batch: the unit a producer sends, a follower copies and retention deletes.
#[derive(Clone, Debug)]
pub struct Batch {
    pub base_offset: u64,
    /// Offsets the batch spans (`base_offset..base_offset + count`), compacted gaps included.
    pub count: u32,
    /// The records, packed; empty for control and flow batches.
    pub records: Records,
    /// Payloads of records given as text (console `produce`), parallel to `records` when not
    /// empty; `None` is a tombstone.
    pub values: Vec<Option<Box<str>>>,
    /// Records a real client wrote, parallel to `records` when not empty.
    pub payloads: Box<[ClientRecord]>,
    /// Flow batches: `count` records of this many bytes each, without keys.
    pub flow_size: u32,
    pub bytes: u64,
    pub timestamp: SimTime,
    pub writer: Writer,
    pub control: Option<Control>,
    /// The engine's id of the producer batch; a retry keeps it, so a batch written twice is a
    /// duplicate.
    pub batch_id: u64,
    pub leader_epoch: u32,
    /// The engine's index of the client that wrote the batch (for per-producer accounting).
    pub client: u32,
    /// The producer was told the batch is written (so losing it loses acknowledged records).
    pub acked: bool,
    /// Bytes appended to the log up to the end of this batch, counted at append time (set by
    /// [`Log::append`]): the difference of two is what a follower must copy between them.
    pub cum_bytes: u64,
}

impl Batch {
    pub fn next_offset(&self) -> u64 {
        self.base_offset + u64::from(self.count)
    }
    pub fn is_flow(&self) -> bool {
        self.control.is_none() && self.records.is_empty() && self.flow_size > 0
    }
    /// The ids of the producer batches this batch holds: its own, and those merged into it
    /// when it is a sealed run.
    pub fn batch_ids(&self) -> impl Iterator<Item = u64> + '_ {
        std::iter::once(self.batch_id).chain(
            self.records
                .boundaries()
                .iter()
                .map(|b| self.batch_id + u64::from(b.id_delta)),
        )
    }

    /// Data records (not markers) the batch holds now.
    pub fn record_count(&self) -> u64 {
        if self.control.is_some() {
            0
        } else if self.is_flow() {
            u64::from(self.count)
        } else {
            self.records.len() as u64
        }
    }
}

#[derive(Clone, Debug)]
pub struct Segment {
    pub base_offset: u64,
    pub batches: Vec<Batch>,
    pub bytes: u64,
    pub created: SimTime,
    pub max_timestamp: SimTime,
}

impl Segment {
    fn next_offset(&self) -> u64 {
        self.batches
            .last()
            .map_or(self.base_offset, Batch::next_offset)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CleanupPolicy {
    Delete,
    Compact,
    CompactDelete,
}

impl CleanupPolicy {
    pub fn parse(s: &str) -> Option<CleanupPolicy> {
        match s.replace(' ', "").as_str() {
            "delete" => Some(CleanupPolicy::Delete),
            "compact" => Some(CleanupPolicy::Compact),
            "compact,delete" | "delete,compact" => Some(CleanupPolicy::CompactDelete),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            CleanupPolicy::Delete => "delete",
            CleanupPolicy::Compact => "compact",
            CleanupPolicy::CompactDelete => "compact,delete",
        }
    }
    pub fn compacts(self) -> bool {
        self != CleanupPolicy::Delete
    }
    pub fn deletes(self) -> bool {
        self != CleanupPolicy::Compact
    }
}

/// The topic configs a log obeys (Kafka's defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct LogConfig {
    pub segment_bytes: u64,
    pub segment_ms: SimDuration,
    /// `retention.ms`; `None` is -1 (keep forever).
    pub retention: Option<SimDuration>,
    /// `retention.bytes`; `None` is -1.
    pub retention_bytes: Option<u64>,
    pub cleanup_policy: CleanupPolicy,
    pub min_cleanable_dirty_ratio: f64,
    pub delete_retention: SimDuration,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1 << 30,
            segment_ms: SimDuration::from_hours(24 * 7),
            retention: Some(SimDuration::from_hours(24 * 7)),
            retention_bytes: None,
            cleanup_policy: CleanupPolicy::Delete,
            min_cleanable_dirty_ratio: 0.5,
            delete_retention: SimDuration::from_hours(24),
        }
    }
}

/// What the broker remembers of one idempotent producer on this partition.
#[derive(Clone, Debug, Default)]
struct ProducerEntry {
    epoch: u16,
    /// (first sequence, last sequence, base offset) of the last batches.
    recent: VecDeque<(u32, u32, u64)>,
}

/// An aborted transaction's range on this partition (the `.txnindex`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbortedTxn {
    pub producer_id: u64,
    pub first_offset: u64,
    pub last_offset: u64,
}

/// Why the log refused a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceError {
    /// A batch from an older epoch of this producer id (a zombie).
    ProducerFenced,
    /// A gap in the producer's sequence numbers.
    OutOfOrderSequence,
}

/// What checking a batch's producer sequence found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceCheck {
    Append,
    /// A retry of a batch already in the log, at this base offset: acknowledge, do not write.
    Duplicate(u64),
}

/// What a truncation removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Truncation {
    pub records: u64,
    /// Acknowledged records removed, by writing client: acknowledged writes lost.
    pub acked_by_client: BTreeMap<u32, u64>,
}

/// One record (or a run of flow records) as a reader sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordView<'a> {
    pub offset: u64,
    /// 1, or the number of flow records this view stands for.
    pub count: u64,
    pub key: u32,
    pub key_seq: u32,
    pub size: u32,
    pub value: Option<&'a str>,
    /// The record's bytes, when a real client wrote it.
    pub payload: Option<&'a ClientRecord>,
    pub timestamp: SimTime,
    pub batch_id: u64,
    pub producer_id: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Log {
    pub config: LogConfig,
    segments: VecDeque<Segment>,
    pub start_offset: u64,
    pub end_offset: u64,
    pub bytes: u64,
    /// Offsets below this are clean (compacted); the cleaner works from here.
    pub clean_until: u64,
    producers: BTreeMap<u64, ProducerEntry>,
    /// Producer id -> first offset of its open transaction on this partition.
    ongoing: BTreeMap<u64, u64>,
    aborted: Vec<AbortedTxn>,
    /// Records deleted by retention, ever.
    pub records_expired: u64,
    /// Bytes appended and not truncated, ever (see [`Batch::cum_bytes`]).
    pub appended_bytes: u64,
    /// Records the log holds one by one (`Batch::records`; flow batches hold none).
    pub stored_records: u64,
    /// Memory the batches take (headers and packed records): what
    /// [`crate::budget::RETAINED_BYTES`] counts.
    pub stored_bytes: u64,
    /// Offsets below this are sealed into runs (see [`Log::seal`]).
    sealed_until: u64,
    /// The bound asked for by the last [`Log::seal`], sealed at the next.
    seal_asked: u64,
}

/// Memory one batch takes.
fn footprint(b: &Batch) -> u64 {
    size_of::<Batch>() as u64
        + b.records.heap_bytes()
        + (b.values.len() * size_of::<Option<Box<str>>>()) as u64
        + b.values
            .iter()
            .map(|v| v.as_ref().map_or(0, |v| v.len() as u64))
            .sum::<u64>()
        + b.payloads
            .iter()
            .map(|r| size_of::<ClientRecord>() as u64 + r.heap_bytes())
            .sum::<u64>()
}

/// Whether `next` can join the run `run` ends with: the same writer continuing its sequence,
/// both acknowledged, plain records of one layout, and room left.
fn joins(run: &Batch, next: &Batch) -> bool {
    let data = |b: &Batch| {
        b.control.is_none() && !b.is_flow() && b.values.is_empty() && b.payloads.is_empty()
    };
    data(run)
        && data(next)
        && run.acked
        && next.acked
        && run.writer.producer_id == next.writer.producer_id
        && run.writer.epoch == next.writer.epoch
        && run.writer.transactional == next.writer.transactional
        && (run.writer.producer_id == NO_PRODUCER
            || next.writer.base_sequence == run.writer.base_sequence.wrapping_add(run.count))
        && run.client == next.client
        && run.leader_epoch == next.leader_epoch
        && next.base_offset == run.next_offset()
        && run.records.len() + next.records.len() <= RUN_RECORDS_MAX
        && run.records.can_append(&next.records, run.count)
        && boundary(run, next).is_some()
}

fn boundary(run: &Batch, next: &Batch) -> Option<Boundary> {
    Boundary::between(
        (run.base_offset, run.timestamp, run.batch_id),
        (next.base_offset, next.timestamp, next.batch_id),
    )
}

impl Log {
    pub fn new(config: LogConfig) -> Self {
        Log {
            config,
            ..Log::default()
        }
    }

    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter()
    }

    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    pub fn batches(&self) -> impl Iterator<Item = &Batch> {
        self.segments.iter().flat_map(|s| s.batches.iter())
    }

    /// The first offset a `read_committed` reader may not pass: the first offset of the
    /// earliest open transaction, or the high watermark.
    pub fn last_stable_offset(&self, high_watermark: u64) -> u64 {
        self.ongoing
            .values()
            .copied()
            .min()
            .map_or(high_watermark, |first| first.min(high_watermark))
    }

    pub fn has_open_transaction(&self, producer_id: u64) -> bool {
        self.ongoing.contains_key(&producer_id)
    }

    pub fn aborted_transactions(&self) -> &[AbortedTxn] {
        &self.aborted
    }

    /// Checks an idempotent producer's batch against what this partition has seen from it.
    pub fn check_sequence(
        &self,
        writer: Writer,
        count: u32,
    ) -> Result<SequenceCheck, SequenceError> {
        if writer.producer_id == NO_PRODUCER {
            return Ok(SequenceCheck::Append);
        }
        let Some(entry) = self.producers.get(&writer.producer_id) else {
            return Ok(SequenceCheck::Append);
        };
        if writer.epoch < entry.epoch {
            return Err(SequenceError::ProducerFenced);
        }
        if writer.epoch > entry.epoch {
            // A new epoch starts its sequences again at 0.
            return if writer.base_sequence == 0 {
                Ok(SequenceCheck::Append)
            } else {
                Err(SequenceError::OutOfOrderSequence)
            };
        }
        let last = writer.base_sequence + count.saturating_sub(1);
        if let Some(&(_, _, offset)) = entry
            .recent
            .iter()
            .find(|(first, l, _)| *first == writer.base_sequence && *l == last)
        {
            return Ok(SequenceCheck::Duplicate(offset));
        }
        let expected = entry.recent.back().map_or(0, |(_, l, _)| l + 1);
        if writer.base_sequence == expected {
            Ok(SequenceCheck::Append)
        } else {
            Err(SequenceError::OutOfOrderSequence)
        }
    }

    /// The epoch this partition last saw from a producer id.
    pub fn producer_epoch(&self, producer_id: u64) -> Option<u16> {
        self.producers.get(&producer_id).map(|e| e.epoch)
    }

    /// Appends a batch at the end of the log (its `base_offset` is set here) and returns it.
    /// Rolls a new segment when the active one is full or old.
    pub fn append(&mut self, mut batch: Batch, now: SimTime) -> u64 {
        let base = self.end_offset;
        batch.base_offset = base;
        let roll = self.segments.back().is_none_or(|s| {
            !s.batches.is_empty()
                && (s.bytes + batch.bytes > self.config.segment_bytes
                    || now.since(s.created) >= self.config.segment_ms)
        });
        if roll && self.segments.len() < SEGMENTS_MAX {
            self.segments.push_back(Segment {
                base_offset: base,
                batches: Vec::new(),
                bytes: 0,
                created: now,
                max_timestamp: now,
            });
        }
        self.note_writer(&batch);
        self.end_offset = batch.next_offset();
        self.bytes += batch.bytes;
        self.appended_bytes += batch.bytes;
        batch.cum_bytes = self.appended_bytes;
        let seg = self
            .segments
            .back_mut()
            .expect("a segment exists after the roll check");
        seg.bytes += batch.bytes;
        seg.max_timestamp = seg.max_timestamp.max(batch.timestamp);
        self.stored_records += batch.records.len() as u64;
        self.stored_bytes += footprint(&batch);
        seg.batches.push(batch);
        base
    }

    /// Updates producer state and the transaction index for a batch entering the log.
    fn note_writer(&mut self, batch: &Batch) {
        let w = batch.writer;
        if w.producer_id == NO_PRODUCER {
            return;
        }
        let entry = self.producers.entry(w.producer_id).or_default();
        if w.epoch != entry.epoch {
            entry.epoch = w.epoch;
            entry.recent.clear();
        }
        if let Some(control) = batch.control {
            if let Some(first) = self.ongoing.remove(&w.producer_id)
                && control == Control::Abort
            {
                self.aborted.push(AbortedTxn {
                    producer_id: w.producer_id,
                    first_offset: first,
                    last_offset: batch.base_offset,
                });
            }
        } else {
            let last = w.base_sequence + batch.count.saturating_sub(1);
            entry
                .recent
                .push_back((w.base_sequence, last, batch.base_offset));
            while entry.recent.len() > PRODUCER_BATCHES_REMEMBERED {
                entry.recent.pop_front();
            }
            if w.transactional {
                self.ongoing
                    .entry(w.producer_id)
                    .or_insert(batch.base_offset);
            }
        }
    }

    /// Drops everything at and above `offset` (a batch boundary: replicas copy whole
    /// batches). Producer state and the transaction index are rebuilt from what remains, as a
    /// broker rebuilds them from its log.
    pub fn truncate_to(&mut self, offset: u64) -> Truncation {
        let mut removed = Truncation::default();
        if offset >= self.end_offset {
            return removed;
        }
        self.split_run_at(offset);
        while let Some(seg) = self.segments.back_mut() {
            while seg.batches.last().is_some_and(|b| b.base_offset >= offset) {
                let b = seg.batches.pop().expect("checked");
                self.stored_records -= b.records.len() as u64;
                self.stored_bytes -= footprint(&b);
                removed.records += b.record_count();
                if b.acked {
                    *removed.acked_by_client.entry(b.client).or_default() += b.record_count();
                }
                seg.bytes -= b.bytes;
                self.bytes -= b.bytes;
            }
            if seg.batches.is_empty() && seg.base_offset >= offset {
                self.segments.pop_back();
            } else {
                break;
            }
        }
        self.end_offset = self
            .segments
            .back()
            .map_or(offset.max(self.start_offset), Segment::next_offset)
            .max(self.start_offset);
        self.clean_until = self.clean_until.min(self.end_offset);
        self.sealed_until = self.sealed_until.min(self.end_offset);
        self.seal_asked = self.seal_asked.min(self.end_offset);
        self.appended_bytes = self
            .batches()
            .last()
            .map_or(self.appended_bytes.min(self.bytes), |b| b.cum_bytes);
        self.rebuild_producer_state();
        removed
    }

    fn rebuild_producer_state(&mut self) {
        let kept_epochs: BTreeMap<u64, u16> = self
            .producers
            .iter()
            .map(|(id, e)| (*id, e.epoch))
            .collect();
        self.producers.clear();
        self.ongoing.clear();
        let end = self.end_offset;
        self.aborted.retain(|a| a.last_offset < end);
        let batches: Vec<Batch> = self
            .segments
            .iter()
            .flat_map(|s| s.batches.iter())
            .filter(|b| b.writer.producer_id != NO_PRODUCER)
            .map(|b| Batch {
                records: Records::default(),
                values: Vec::new(),
                payloads: Box::new([]),
                ..b.clone()
            })
            .collect();
        let aborted = std::mem::take(&mut self.aborted);
        for b in &batches {
            self.note_writer(b);
        }
        self.aborted = aborted;
        // A producer fenced before the truncation stays fenced.
        for (id, epoch) in kept_epochs {
            let e = self.producers.entry(id).or_default();
            if e.epoch < epoch {
                e.epoch = epoch;
                e.recent.clear();
            }
        }
    }

    /// Where the first batch ending after `offset` stands: (segment, batch) indexes, or `None`
    /// when no batch ends after it. Followers, acknowledgements and readers look near the end
    /// of the log, so the search gallops back from the end: O(1) for a caught-up replica and
    /// O(log d) for one `d` batches behind, however long the log has grown.
    fn locate_after(&self, offset: u64) -> Option<(usize, usize)> {
        let last = self.segments.len().checked_sub(1)?;
        let si = if self.segments[last].base_offset <= offset {
            last
        } else {
            self.segments
                .partition_point(|s| s.base_offset <= offset)
                .saturating_sub(1)
        };
        for (i, seg) in self.segments.iter().enumerate().skip(si) {
            let bi = gallop_from_end(&seg.batches, |b| b.next_offset() <= offset);
            if bi < seg.batches.len() {
                return Some((i, bi));
            }
        }
        None
    }

    /// Marks the batch at `base_offset` as acknowledged to its producer.
    pub fn mark_acked(&mut self, base_offset: u64) -> bool {
        let Some((si, bi)) = self.locate_after(base_offset) else {
            return false;
        };
        let b = &mut self.segments[si].batches[bi];
        if b.base_offset != base_offset {
            // Inside a run: only acknowledged batches are sealed.
            return b.base_offset < base_offset && b.acked;
        }
        b.acked = true;
        true
    }

    /// Whether the batch `batch_id` written at `offset` is still in the log (runs included).
    pub fn holds_batch(&self, offset: u64, batch_id: u64) -> bool {
        let Some(b) = self.batch_at(offset) else {
            return false;
        };
        if b.base_offset == offset {
            return b.batch_id == batch_id;
        }
        b.records.boundaries().iter().any(|x| {
            b.base_offset + u64::from(x.offset_delta) == offset
                && b.batch_id + u64::from(x.id_delta) == batch_id
        })
    }

    /// Merges the batches below the bound asked for by the previous call (and `bound`) into
    /// runs, then remembers `bound` for the next call. A bound at or below the high watermark
    /// and every replica's log end offset is never truncated again, so batch boundaries below
    /// it matter only as each batch's timestamp and id, which a run keeps. Waiting one call
    /// lets producers mark what the last tick committed as acknowledged first.
    pub fn seal(&mut self, bound: u64) {
        let upto = self.seal_asked.min(bound);
        self.seal_asked = bound;
        if upto <= self.sealed_until {
            return;
        }
        let from = self.sealed_until;
        let first = self
            .segments
            .partition_point(|s| s.base_offset <= from)
            .saturating_sub(1);
        // Memory before and after, of the batches touched.
        let (mut before, mut after) = (0u64, 0u64);
        for seg in self.segments.iter_mut().skip(first) {
            if seg.base_offset >= upto {
                break;
            }
            let batches = &mut seg.batches;
            let start = batches.partition_point(|b| b.next_offset() <= from);
            let end = batches.partition_point(|b| b.next_offset() <= upto);
            if start >= end {
                continue;
            }
            // [start, w) are the runs written, [w, k) the batches merged away, k the next.
            let mut run = start.checked_sub(1);
            let mut w = start;
            for k in start..end {
                if let Some(r) = run
                    && joins(&batches[r], &batches[k])
                {
                    let (left, right) = batches.split_at_mut(k);
                    let (run_batch, next) = (&mut left[r], &right[0]);
                    let b = boundary(run_batch, next).expect("checked by joins");
                    before += footprint(run_batch) + footprint(next);
                    run_batch.records.append(&next.records, b);
                    run_batch.count += next.count;
                    run_batch.bytes += next.bytes;
                    run_batch.cum_bytes = next.cum_bytes;
                    after += footprint(run_batch);
                } else {
                    if let Some(r) = run {
                        before += footprint(&batches[r]);
                        batches[r].records.shrink();
                        after += footprint(&batches[r]);
                    }
                    batches.swap(w, k);
                    run = Some(w);
                    w += 1;
                }
            }
            batches.drain(w..end);
        }
        self.stored_bytes = (self.stored_bytes + after).saturating_sub(before);
        self.sealed_until = upto;
    }

    /// Splits the run holding `offset` (a boundary of one of its batches) so that a
    /// truncation to `offset` removes whole batches.
    fn split_run_at(&mut self, offset: u64) {
        let Some((si, bi)) = self.locate_after(offset) else {
            return;
        };
        let b = &mut self.segments[si].batches[bi];
        if b.base_offset >= offset || b.records.boundaries().is_empty() {
            return;
        }
        let cut = (offset - b.base_offset) as u32;
        self.stored_bytes -= footprint(b);
        let (mut head, mut tail) = (Vec::new(), Vec::new());
        for r in &b.records {
            if r.offset_delta < cut {
                head.push(r);
            } else {
                tail.push(Rec {
                    offset_delta: r.offset_delta - cut,
                    ..r
                });
            }
        }
        let (kept, moved): (Vec<Boundary>, Vec<Boundary>) = b
            .records
            .boundaries()
            .iter()
            .partition(|x| x.offset_delta < cut);
        let mut rest = b.clone();
        let first = moved.first().copied();
        rest.base_offset = offset;
        rest.count = b.count - cut;
        rest.bytes = tail.iter().map(|r| u64::from(r.size)).sum();
        rest.records = Records::from_recs(&tail);
        if let Some(first) = first {
            rest.timestamp = SimTime(b.timestamp.0 + u64::from(first.after_us));
            rest.batch_id = b.batch_id + u64::from(first.id_delta);
            rest.writer.base_sequence = b.writer.base_sequence.wrapping_add(cut);
            for x in moved.iter().skip(1) {
                rest.records.push_boundary(Boundary {
                    offset_delta: x.offset_delta - first.offset_delta,
                    after_us: x.after_us - first.after_us,
                    id_delta: x.id_delta - first.id_delta,
                });
            }
        }
        b.count = cut;
        b.bytes -= rest.bytes;
        b.cum_bytes -= rest.bytes;
        b.records = Records::from_recs(&head);
        for x in kept {
            b.records.push_boundary(x);
        }
        self.stored_bytes += footprint(b) + footprint(&rest);
        self.segments[si].batches.insert(bi + 1, rest);
    }

    /// The batch holding `offset`, if it is still in the log.
    pub fn batch_at(&self, offset: u64) -> Option<&Batch> {
        self.batch_after(offset).filter(|b| b.base_offset <= offset)
    }

    /// The batch holding `offset`, or the first one after it; followers copy from here.
    pub fn batch_after(&self, offset: u64) -> Option<&Batch> {
        let (si, bi) = self.locate_after(offset)?;
        Some(&self.segments[si].batches[bi])
    }

    /// The batches from [`Log::batch_after`]`(offset)` to the end, in order.
    pub fn batches_after(&self, offset: u64) -> impl Iterator<Item = &Batch> {
        let (si, bi) = self
            .locate_after(offset)
            .unwrap_or((self.segments.len(), 0));
        self.segments
            .range(si.min(self.segments.len())..)
            .enumerate()
            .flat_map(move |(i, s)| s.batches[if i == 0 { bi } else { 0 }..].iter())
    }

    /// Bytes a replica whose log ends at `offset` must copy to catch up.
    pub fn bytes_behind(&self, offset: u64) -> u64 {
        let Some(b) = self.batch_after(offset) else {
            return 0;
        };
        // Inside a sealed run (no replica is, but the log answers for any offset), the run's
        // records before `offset` are copied already.
        let copied_in_run: u64 = if b.base_offset < offset {
            b.records
                .iter()
                .take_while(|r| b.base_offset + u64::from(r.offset_delta) < offset)
                .map(|r| u64::from(r.size))
                .sum()
        } else {
            0
        };
        self.appended_bytes
            .saturating_sub(b.cum_bytes.saturating_sub(b.bytes) + copied_in_run)
    }

    /// Visits the data records from `from` below `upper`, at most `max_records` of them
    /// (flow runs are split to fit), skipping markers and, with `committed_only`, records of
    /// aborted transactions. Returns the offset to read from next.
    pub fn read(
        &self,
        from: u64,
        upper: u64,
        max_records: u64,
        committed_only: bool,
        mut visit: impl FnMut(RecordView<'_>),
    ) -> u64 {
        let upper = upper.min(self.end_offset);
        let mut next = from.max(self.start_offset);
        if next >= upper || max_records == 0 {
            return next;
        }
        let mut budget = max_records;
        let si = self
            .segments
            .partition_point(|s| s.base_offset <= next)
            .saturating_sub(1);
        'outer: for seg in self.segments.iter().skip(si) {
            let bi = seg.batches.partition_point(|b| b.next_offset() <= next);
            for b in &seg.batches[bi..] {
                if b.base_offset >= upper {
                    break 'outer;
                }
                let aborted = committed_only
                    && b.writer.transactional
                    && self.aborted.iter().any(|a| {
                        a.producer_id == b.writer.producer_id
                            && a.first_offset <= b.base_offset
                            && b.base_offset <= a.last_offset
                    });
                if b.control.is_some() || aborted {
                    next = b.next_offset().min(upper).max(next);
                    continue;
                }
                if b.is_flow() {
                    let start = next.max(b.base_offset);
                    let end = b.next_offset().min(upper);
                    let take = (end - start).min(budget);
                    if take > 0 {
                        visit(RecordView {
                            offset: start,
                            count: take,
                            key: NO_KEY,
                            key_seq: 0,
                            size: b.flow_size,
                            value: None,
                            payload: None,
                            timestamp: b.timestamp,
                            batch_id: b.batch_id,
                            producer_id: b.writer.producer_id,
                        });
                    }
                    budget -= take;
                    next = start + take;
                    if budget == 0 {
                        break 'outer;
                    }
                    continue;
                }
                let mut origin = Origin::new(b);
                for (i, r) in b.records.iter().enumerate() {
                    let offset = b.base_offset + u64::from(r.offset_delta);
                    if offset < next {
                        continue;
                    }
                    if offset >= upper || budget == 0 {
                        break 'outer;
                    }
                    let (timestamp, batch_id) = origin.of(r.offset_delta);
                    visit(RecordView {
                        offset,
                        count: 1,
                        key: r.key,
                        key_seq: r.key_seq,
                        size: r.size,
                        value: b.values.get(i).and_then(|v| v.as_deref()),
                        payload: b.payloads.get(i),
                        timestamp,
                        batch_id,
                        producer_id: b.writer.producer_id,
                    });
                    budget -= 1;
                    next = offset + 1;
                }
                if budget > 0 || next >= b.next_offset() {
                    next = b.next_offset().min(upper).max(next);
                }
                if budget == 0 {
                    break 'outer;
                }
            }
        }
        next
    }

    /// The earliest offset whose batch timestamp is at or after `t` (ListOffsets by time);
    /// the log end offset when there is none.
    pub fn offset_for_time(&self, t: SimTime) -> u64 {
        self.batches()
            .filter(|b| b.control.is_none())
            .find_map(|b| {
                if b.timestamp >= t {
                    return Some(b.base_offset);
                }
                b.records.boundaries().iter().find_map(|x| {
                    (SimTime(b.timestamp.0 + u64::from(x.after_us)) >= t)
                        .then(|| b.base_offset + u64::from(x.offset_delta))
                })
            })
            .map_or(self.end_offset, |o| o.max(self.start_offset))
    }

    /// Deletes closed segments past `retention.ms` or beyond `retention.bytes`, never at or
    /// above the high watermark. Returns the records deleted.
    pub fn enforce_retention(&mut self, now: SimTime, high_watermark: u64) -> u64 {
        if !self.config.cleanup_policy.deletes() {
            return 0;
        }
        let mut deleted = 0;
        while self.segments.len() > 1 {
            let seg = &self.segments[0];
            let next = self.segments[1].base_offset;
            if next > high_watermark {
                break;
            }
            let too_old = self
                .config
                .retention
                .is_some_and(|r| now.since(seg.max_timestamp) > r);
            let too_big = self
                .config
                .retention_bytes
                .is_some_and(|limit| self.bytes.saturating_sub(seg.bytes) >= limit);
            if !(too_old || too_big) {
                break;
            }
            let seg = self.segments.pop_front().expect("checked");
            deleted += seg.batches.iter().map(Batch::record_count).sum::<u64>();
            self.stored_records -= seg
                .batches
                .iter()
                .map(|b| b.records.len() as u64)
                .sum::<u64>();
            self.stored_bytes -= seg.batches.iter().map(footprint).sum::<u64>();
            self.bytes -= seg.bytes;
            self.start_offset = next;
        }
        self.clean_until = self.clean_until.max(self.start_offset);
        let start = self.start_offset;
        self.aborted.retain(|a| a.last_offset >= start);
        self.records_expired += deleted;
        deleted
    }

    /// The base offset of the active segment: everything below is in closed segments.
    pub fn end_of_closed_segments(&self) -> u64 {
        self.segments
            .back()
            .map_or(self.end_offset, |s| s.base_offset)
    }

    /// Bytes the cleaner has not cleaned yet in closed segments, and all bytes of closed
    /// segments; the active segment is never cleaned.
    pub fn cleanable_bytes(&self) -> (u64, u64) {
        let closed = self.segments.len().saturating_sub(1);
        let mut dirty = 0;
        let mut total = 0;
        for s in self.segments.iter().take(closed) {
            total += s.bytes;
            if s.next_offset() > self.clean_until {
                dirty += s.bytes;
            }
        }
        (dirty, total)
    }

    /// Compacts every closed segment: keeps only the latest record of each key (latest
    /// across the cleaned range), drops aborted transactional records, and drops tombstones
    /// older than `delete.retention.ms`. Records without a key are kept. Returns the records
    /// removed.
    pub fn compact(&mut self, now: SimTime) -> u64 {
        self.compact_upto(now, u64::MAX)
    }

    /// [`Log::compact`] limited to the closed segments that end at or below `upto` (what the
    /// cleaner planned when it started a pass; segments closed since wait for the next one).
    pub fn compact_upto(&mut self, now: SimTime, upto: u64) -> u64 {
        let upto = self
            .segments
            .iter()
            .take(self.segments.len().saturating_sub(1))
            .map(Segment::next_offset)
            .take_while(|end| *end <= upto)
            .last()
            .unwrap_or(self.start_offset);
        if upto <= self.start_offset {
            return 0;
        }
        let mut latest: HashMap<u32, u64> = HashMap::new();
        for b in self
            .segments
            .iter()
            .flat_map(|s| s.batches.iter())
            .filter(|b| b.base_offset < upto)
        {
            for r in &b.records {
                if r.key != NO_KEY {
                    latest.insert(r.key, b.base_offset + u64::from(r.offset_delta));
                }
            }
        }
        let aborted = self.aborted.clone();
        let delete_retention = self.config.delete_retention;
        let mut removed = 0;
        let closed = self
            .segments
            .iter()
            .take_while(|s| s.next_offset() <= upto)
            .count()
            .min(self.segments.len() - 1);
        for seg in self.segments.iter_mut().take(closed) {
            for b in &mut seg.batches {
                if b.control.is_some() || b.is_flow() {
                    continue;
                }
                self.stored_bytes -= footprint(b);
                let is_aborted = b.writer.transactional
                    && aborted.iter().any(|a| {
                        a.producer_id == b.writer.producer_id
                            && a.first_offset <= b.base_offset
                            && b.base_offset <= a.last_offset
                    });
                let base = b.base_offset;
                let old_tombstones = now.since(b.timestamp) > delete_retention;
                let has_values = !b.values.is_empty();
                let mut keep_values = Vec::new();
                let mut keep_payloads = Vec::new();
                let before = b.records.len();
                let mut new_bytes = 0u64;
                let values = std::mem::take(&mut b.values);
                let payloads = std::mem::take(&mut b.payloads);
                b.records.retain(|i, r| {
                    let offset = base + u64::from(r.offset_delta);
                    let value = values.get(i).cloned().flatten();
                    let payload = payloads.get(i);
                    let tombstone = (has_values && value.is_none())
                        || payload.is_some_and(|p| p.value.is_none());
                    let superseded = r.key != NO_KEY && latest.get(&r.key) != Some(&offset);
                    if is_aborted || superseded || (tombstone && old_tombstones) {
                        return false;
                    }
                    new_bytes += u64::from(r.size);
                    if has_values {
                        keep_values.push(value);
                    }
                    if let Some(payload) = payload {
                        keep_payloads.push(payload.clone());
                    }
                    true
                });
                b.payloads = keep_payloads.into_boxed_slice();
                removed += (before - b.records.len()) as u64;
                seg.bytes = seg.bytes - b.bytes + new_bytes;
                self.bytes = self.bytes - b.bytes + new_bytes;
                b.bytes = new_bytes;
                b.values = keep_values;
                self.stored_bytes += footprint(b);
            }
            seg.batches.retain(|b| {
                let keep = b.control.is_some() || b.is_flow() || !b.records.is_empty();
                if !keep {
                    self.stored_bytes -= footprint(b);
                }
                keep
            });
        }
        self.clean_until = self.clean_until.max(upto);
        self.stored_records -= removed;
        removed
    }
}

/// Which original batch of a run a record came from, for its timestamp and batch id: walks
/// the run's boundaries alongside a reader going forward.
struct Origin<'a> {
    batch: &'a Batch,
    next: usize,
    timestamp: SimTime,
    batch_id: u64,
}

impl<'a> Origin<'a> {
    fn new(batch: &'a Batch) -> Self {
        Origin {
            batch,
            next: 0,
            timestamp: batch.timestamp,
            batch_id: batch.batch_id,
        }
    }

    /// (timestamp, batch id) of the record at `offset_delta` (asked in ascending order).
    fn of(&mut self, offset_delta: u32) -> (SimTime, u64) {
        let boundaries: &[Boundary] = self.batch.records.boundaries();
        while let Some(b) = boundaries.get(self.next) {
            if b.offset_delta > offset_delta {
                break;
            }
            self.timestamp = SimTime(self.batch.timestamp.0 + u64::from(b.after_us));
            self.batch_id = self.batch.batch_id + u64::from(b.id_delta);
            self.next += 1;
        }
        (self.timestamp, self.batch_id)
    }
}

/// The first index of `items` where `before` turns false (`before` holds on a prefix), found
/// by exponential search from the end: the cost follows the distance from the end, not the
/// length.
fn gallop_from_end<T>(items: &[T], before: impl Fn(&T) -> bool) -> usize {
    let n = items.len();
    let mut step = 1;
    let mut hi = n;
    // Invariant: everything at or past `hi` is not `before`.
    loop {
        let lo = n.saturating_sub(step);
        if lo == 0 || before(&items[lo]) {
            return lo + items[lo..hi].partition_point(&before);
        }
        hi = lo;
        step *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(keys: &[u32], size: u32, t: u64) -> Batch {
        Batch {
            base_offset: 0,
            count: keys.len() as u32,
            records: Records::from_recs(
                &keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| Rec {
                        offset_delta: i as u32,
                        key: *k,
                        size,
                        key_seq: 0,
                    })
                    .collect::<Vec<_>>(),
            ),
            values: Vec::new(),
            payloads: Box::new([]),
            flow_size: 0,
            bytes: u64::from(size) * keys.len() as u64,
            timestamp: SimTime::from_secs(t),
            writer: Writer::NONE,
            control: None,
            batch_id: t,
            leader_epoch: 0,
            client: 0,
            acked: false,
            cum_bytes: 0,
        }
    }

    fn offsets(log: &Log, from: u64, upper: u64, committed: bool) -> Vec<u64> {
        let mut out = vec![];
        log.read(from, upper, u64::MAX, committed, |r| out.push(r.offset));
        out
    }

    #[test]
    fn appends_assign_consecutive_offsets_and_roll_segments_by_size() {
        let mut log = Log::new(LogConfig {
            segment_bytes: 250,
            ..LogConfig::default()
        });
        for t in 0..5 {
            log.append(batch(&[1, 2], 100, t), SimTime::from_secs(t));
        }
        assert_eq!(log.end_offset, 10);
        assert_eq!(
            log.segment_count(),
            5,
            "200 bytes per batch, 250 per segment"
        );
        assert_eq!(offsets(&log, 3, 7, false), [3, 4, 5, 6]);
    }

    #[test]
    fn truncation_removes_the_tail_and_reports_what_was_lost() {
        let mut log = Log::default();
        for t in 0..4 {
            log.append(batch(&[1, 2, 3], 10, t), SimTime::from_secs(t));
        }
        log.mark_acked(9);
        let t = log.truncate_to(6);
        assert_eq!(t.records, 6);
        assert_eq!(t.acked_by_client.get(&0), Some(&3));
        assert_eq!(log.end_offset, 6);
        assert_eq!(log.append(batch(&[9], 10, 9), SimTime::from_secs(9)), 6);
    }

    #[test]
    fn idempotent_retries_are_recognised_and_gaps_refused() {
        let mut log = Log::default();
        let w = |seq| Writer {
            producer_id: 7,
            epoch: 0,
            base_sequence: seq,
            transactional: false,
        };
        let mut b = batch(&[1, 2], 10, 0);
        b.writer = w(0);
        assert_eq!(log.check_sequence(w(0), 2), Ok(SequenceCheck::Append));
        log.append(b, SimTime::ZERO);
        assert_eq!(log.check_sequence(w(0), 2), Ok(SequenceCheck::Duplicate(0)));
        assert_eq!(log.check_sequence(w(2), 2), Ok(SequenceCheck::Append));
        assert_eq!(
            log.check_sequence(w(5), 2),
            Err(SequenceError::OutOfOrderSequence)
        );
        let newer = Writer { epoch: 1, ..w(0) };
        let mut b = batch(&[3], 10, 1);
        b.writer = newer;
        log.append(b, SimTime::ZERO);
        assert_eq!(
            log.check_sequence(w(2), 2),
            Err(SequenceError::ProducerFenced)
        );
    }

    #[test]
    fn transactions_hold_the_last_stable_offset_and_aborts_are_skipped_by_committed_readers() {
        let mut log = Log::default();
        let tx = Writer {
            producer_id: 1,
            epoch: 0,
            base_sequence: 0,
            transactional: true,
        };
        log.append(batch(&[1], 10, 0), SimTime::ZERO); // offset 0, plain
        let mut b = batch(&[2, 3], 10, 1);
        b.writer = tx;
        log.append(b, SimTime::ZERO); // offsets 1-2, open transaction
        log.append(batch(&[4], 10, 2), SimTime::ZERO); // offset 3, plain
        assert_eq!(log.last_stable_offset(4), 1);
        let mut marker = batch(&[], 0, 3);
        marker.count = 1;
        marker.writer = tx;
        marker.control = Some(Control::Abort);
        log.append(marker, SimTime::ZERO); // offset 4
        assert_eq!(log.last_stable_offset(5), 5);
        assert_eq!(offsets(&log, 0, 5, true), [0, 3]);
        assert_eq!(offsets(&log, 0, 5, false), [0, 1, 2, 3]);
    }

    #[test]
    fn retention_deletes_whole_closed_segments_only() {
        let mut log = Log::new(LogConfig {
            segment_bytes: 100,
            retention: Some(SimDuration::from_secs(60)),
            ..LogConfig::default()
        });
        for t in 0..3 {
            log.append(batch(&[1], 100, t * 50), SimTime::from_secs(t * 50));
        }
        assert_eq!(log.enforce_retention(SimTime::from_secs(200), 3), 2);
        assert_eq!(log.start_offset, 2);
        assert_eq!(offsets(&log, 0, 3, false), [2]);
        assert_eq!(
            log.enforce_retention(SimTime::from_secs(10_000), 3),
            0,
            "the active segment stays"
        );
    }

    #[test]
    fn size_retention_keeps_the_log_under_retention_bytes_plus_a_segment() {
        let mut log = Log::new(LogConfig {
            segment_bytes: 100,
            retention: None,
            retention_bytes: Some(250),
            ..LogConfig::default()
        });
        for t in 0..10 {
            log.append(batch(&[1], 100, t), SimTime::from_secs(t));
        }
        assert_eq!(log.bytes, 1_000);
        let deleted = log.enforce_retention(SimTime::from_secs(10), log.end_offset);
        // Oldest segments go while what remains without them is still >= 250 bytes.
        assert_eq!(deleted, 7);
        assert_eq!(log.bytes, 300);
        assert_eq!(log.start_offset, 7);
        // Nothing at or above the high watermark is deleted.
        let mut log2 = Log::new(LogConfig {
            segment_bytes: 100,
            retention: None,
            retention_bytes: Some(1),
            ..LogConfig::default()
        });
        for t in 0..5 {
            log2.append(batch(&[1], 100, t), SimTime::from_secs(t));
        }
        log2.enforce_retention(SimTime::from_secs(10), 2);
        assert_eq!(log2.start_offset, 2);
    }

    #[test]
    fn compaction_keeps_the_latest_value_per_key_in_closed_segments() {
        let mut log = Log::new(LogConfig {
            segment_bytes: 30,
            cleanup_policy: CleanupPolicy::Compact,
            ..LogConfig::default()
        });
        log.append(batch(&[1, 2, 1], 10, 0), SimTime::ZERO); // 0..3
        log.append(batch(&[2, 1, 3], 10, 1), SimTime::ZERO); // 3..6
        log.append(batch(&[1], 10, 2), SimTime::ZERO); // 6, active
        assert_eq!(log.cleanable_bytes(), (60, 60));
        let removed = log.compact(SimTime::ZERO);
        // The cleaner never looks into the active segment: offset 4 stays the latest of key 1
        // in the cleaned range, though offset 6 supersedes it.
        assert_eq!(removed, 3);
        assert_eq!(offsets(&log, 0, 7, false), [3, 4, 5, 6]);
        assert_eq!(log.cleanable_bytes(), (0, 30));
        assert_eq!(log.end_offset, 7, "offsets never change");
    }

    #[test]
    fn offsets_for_time_find_the_first_batch_at_or_after() {
        let mut log = Log::default();
        for t in [10, 20, 30] {
            log.append(batch(&[1, 1], 10, t), SimTime::from_secs(t));
        }
        assert_eq!(log.offset_for_time(SimTime::from_secs(15)), 2);
        assert_eq!(log.offset_for_time(SimTime::from_secs(5)), 0);
        assert_eq!(log.offset_for_time(SimTime::from_secs(99)), 6);
    }

    proptest::proptest! {
        #[test]
        fn galloping_finds_what_a_binary_search_finds(len in 0usize..300, cut in 0usize..301) {
            let items: Vec<usize> = (0..len).collect();
            let cut = cut.min(len);
            proptest::prop_assert_eq!(
                gallop_from_end(&items, |i| *i < cut),
                items.partition_point(|i| *i < cut)
            );
        }

        #[test]
        fn batch_lookups_agree_with_a_scan_of_every_batch(
            sizes in proptest::collection::vec(1u32..5, 1..60),
            segment_bytes in 20u64..200,
            probe in 0u64..250,
        ) {
            let mut log = Log::new(LogConfig { segment_bytes, ..LogConfig::default() });
            for (t, n) in sizes.iter().enumerate() {
                let keys: Vec<u32> = (0..*n).collect();
                log.append(batch(&keys, 10, t as u64), SimTime::from_secs(t as u64));
            }
            let scanned = log.batches().find(|b| b.next_offset() > probe).map(|b| b.base_offset);
            proptest::prop_assert_eq!(log.batch_after(probe).map(|b| b.base_offset), scanned);
            let from: Vec<u64> = log.batches_after(probe).map(|b| b.base_offset).collect();
            let want: Vec<u64> = log
                .batches()
                .filter(|b| b.next_offset() > probe)
                .map(|b| b.base_offset)
                .collect();
            proptest::prop_assert_eq!(from, want);
            let held = log.batches().find(|b| b.base_offset <= probe && probe < b.next_offset());
            proptest::prop_assert_eq!(
                log.batch_at(probe).map(|b| b.base_offset),
                held.map(|b| b.base_offset)
            );
        }
    }

    fn views(log: &Log) -> Vec<(u64, u32, u32, u32, SimTime, u64)> {
        let mut out = vec![];
        log.read(0, u64::MAX, u64::MAX, false, |r| {
            out.push((r.offset, r.key, r.key_seq, r.size, r.timestamp, r.batch_id));
        });
        out
    }

    proptest::proptest! {
        #[test]
        fn sealing_changes_nothing_a_reader_or_a_truncation_can_see(
            shape in proptest::collection::vec((1usize..6, proptest::bool::weighted(0.85), 0u64..3), 1..40),
            bounds in proptest::collection::vec(0u64..200, 1..6),
            cut in 0usize..40,
        ) {
            let mut log = Log::new(LogConfig { segment_bytes: 400, ..LogConfig::default() });
            let mut boundaries = vec![];
            let mut t = 0;
            let mut seq = 0u32;
            for (i, (n, acked, dt)) in shape.iter().enumerate() {
                t += dt;
                let keys: Vec<u32> = (0..*n as u32).map(|k| k * 7 + i as u32).collect();
                let mut b = batch(&keys, 10, t);
                b.batch_id = 10 * i as u64;
                b.acked = *acked;
                b.writer = Writer { producer_id: 3, epoch: 0, base_sequence: seq, transactional: false };
                seq += *n as u32;
                boundaries.push(log.append(b, SimTime::from_secs(t)));
            }
            let plain = log.clone();
            for bound in &bounds {
                log.seal(*bound);
            }
            log.seal(log.end_offset);
            proptest::prop_assert_eq!(views(&log), views(&plain));
            proptest::prop_assert!(log.batches().count() <= plain.batches().count());
            for (i, at) in boundaries.iter().enumerate() {
                proptest::prop_assert!(log.holds_batch(*at, 10 * i as u64));
                proptest::prop_assert!(!log.holds_batch(*at, 10 * i as u64 + 1));
                proptest::prop_assert_eq!(log.bytes_behind(*at), plain.bytes_behind(*at));
            }
            for secs in 0..(t + 2) {
                let at = SimTime::from_secs(secs);
                proptest::prop_assert_eq!(log.offset_for_time(at), plain.offset_for_time(at));
            }
            let ids: Vec<u64> = log.batches().flat_map(Batch::batch_ids).collect();
            let want: Vec<u64> = plain.batches().map(|b| b.batch_id).collect();
            proptest::prop_assert_eq!(ids, want);
            // A truncation (never below the bound in the engine, but the log must not care).
            let to = boundaries[cut.min(boundaries.len() - 1)];
            let (mut sealed, mut unsealed) = (log.clone(), plain.clone());
            proptest::prop_assert_eq!(sealed.truncate_to(to), unsealed.truncate_to(to));
            proptest::prop_assert_eq!(views(&sealed), views(&unsealed));
            proptest::prop_assert_eq!(sealed.end_offset, unsealed.end_offset);
            proptest::prop_assert_eq!(sealed.appended_bytes, unsealed.appended_bytes);
            let footprints: u64 = sealed.batches().map(footprint).sum();
            proptest::prop_assert_eq!(sealed.stored_bytes, footprints);
        }
    }

    #[test]
    fn a_sealed_hour_of_small_batches_takes_a_fraction_of_the_memory() {
        let mut log = Log::default();
        for t in 0..10_000u64 {
            let keys: Vec<u32> = (0..8).map(|k| (t as u32 * 8 + k) % 100_000).collect();
            let mut b = batch(&keys, 100, t);
            b.acked = true;
            log.append(b, SimTime::from_secs(t));
        }
        let before = log.stored_bytes;
        log.seal(log.end_offset);
        log.seal(log.end_offset);
        assert_eq!(log.stored_bytes, log.batches().map(footprint).sum::<u64>());
        // Key ids to 100,000 take 3 bytes, a key sequence 1, a batch boundary 12 / 8.
        assert!(
            log.stored_bytes <= 6 * 80_000 && log.stored_bytes * 4 < before,
            "{} bytes sealed, {before} before",
            log.stored_bytes
        );
        assert_eq!(log.batches().count(), 80_000usize.div_ceil(RUN_RECORDS_MAX));
    }
}
