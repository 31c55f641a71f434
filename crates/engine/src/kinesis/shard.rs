//! A shard: its hash key range, lineage, stored records, and its write and read limiters.

use super::KeyId;
use crate::metrics::MetricSet;
use crate::time::{MICROS_PER_SEC, SimDuration, SimTime};
use std::collections::VecDeque;

/// Write limit per shard: bytes (data + partition key) in any one-second window.
pub const WRITE_BYTES_PER_SEC: u64 = 1_048_576;
/// Write limit per shard: records in any one-second window.
pub const WRITE_RECORDS_PER_SEC: u64 = 1_000;
/// Read limit per shard: bytes per second, shared by all polling consumers.
pub const READ_BYTES_PER_SEC: u64 = 2 * 1_048_576;
/// Read limit per shard: GetRecords calls in any one-second window.
pub const READ_CALLS_PER_SEC: u64 = 5;
/// GetRecords returns at most this many bytes per call.
pub const GET_RECORDS_BYTES_MAX: u64 = 10 * 1_048_576;
/// GetRecords returns at most this many records per call.
pub const GET_RECORDS_RECORDS_MAX: u32 = 10_000;
/// Stored record entries per shard at most; beyond the shard's bound the oldest are evicted
/// before retention ends (a memory bound of the simulator, counted in `Shard::evicted`).
pub const ENTRIES_PER_SHARD_MAX: usize = 2_000_000;
/// Stored record entries per stream (40 bytes each; a packed run or a flow segment is one):
/// each shard's bound is this divided by the stream's listed shards, between 1,000 and
/// [`ENTRIES_PER_SHARD_MAX`].
pub const ENTRIES_PER_STREAM_MAX: usize = 25_000_000;

/// A sliding one-second window of accepted amounts: at any instant `t` it holds what was taken
/// in `(t - 1s, t]`, so "at most N in any one-second window" holds by construction.
#[derive(Clone, Debug, Default)]
pub struct Window {
    entries: VecDeque<(u64, u64, u64)>,
    count: u64,
    bytes: u64,
}

impl Window {
    #[inline]
    fn evict(&mut self, now: SimTime) {
        while let Some(&(t, c, b)) = self.entries.front() {
            if t + MICROS_PER_SEC > now.0 {
                break;
            }
            self.entries.pop_front();
            self.count -= c;
            self.bytes -= b;
        }
    }

    /// Takes `count` and `bytes` at `now` if the window stays within the limits.
    #[inline]
    pub fn try_take(
        &mut self,
        now: SimTime,
        count: u64,
        bytes: u64,
        max_count: u64,
        max_bytes: u64,
    ) -> bool {
        self.evict(now);
        if self.count + count > max_count || self.bytes + bytes > max_bytes {
            return false;
        }
        self.count += count;
        self.bytes += bytes;
        match self.entries.back_mut() {
            Some((t, c, b)) if *t == now.0 => {
                *c += count;
                *b += bytes;
            }
            _ => self.entries.push_back((now.0, count, bytes)),
        }
        true
    }

    /// Room left at `now`: (records, bytes).
    pub fn room(&mut self, now: SimTime, max_count: u64, max_bytes: u64) -> (u64, u64) {
        self.evict(now);
        (
            max_count.saturating_sub(self.count),
            max_bytes.saturating_sub(self.bytes),
        )
    }
}

/// Most generated records one packed run holds.
pub const RUN_RECORDS_MAX: u32 = 1_024;
/// Most time one packed run spans, microseconds: retention trims whole entries, so a run is
/// kept at most this much past its first record's expiry (as a flow segment of a second is).
pub const RUN_SPAN_US_MAX: u32 = 1_000_000;

/// Stored records, one of:
/// - one record (with its data when it was put with some);
/// - a flow segment of `count` synthetic records of `size` bytes spread evenly over
///   `[arrival, arrival + span)`;
/// - a packed run of `count` generated records of `size` bytes (no data), the first at
///   `arrival` with `key`, each later one stored as two varints, the microseconds since the
///   record before and its key: 3 to 5 bytes a record instead of an entry of 40. `span_us`
///   is the last record's arrival minus the first's.
#[derive(Clone, Debug)]
pub struct Entry {
    pub first: u64,
    pub count: u32,
    pub arrival: SimTime,
    pub span_us: u32,
    pub size: u32,
    pub key: KeyId,
    /// Boxed once more (a thin pointer) so an entry stays 40 bytes on the hot path.
    tail: Option<Box<Tail>>,
}

/// What an entry holds beyond its fixed fields.
#[derive(Clone, Debug)]
enum Tail {
    /// The bytes of a record put with data (generated records carry none).
    Data(Vec<u8>),
    /// A packed run's records after its first.
    Run(Vec<u8>),
}

impl Entry {
    fn end(&self) -> u64 {
        self.first + u64::from(self.count)
    }

    fn is_run(&self) -> bool {
        matches!(self.tail.as_deref(), Some(Tail::Run(_)))
    }

    /// A packed run's records in order, from its first.
    fn run(&self) -> Option<RunRecords<'_>> {
        match self.tail.as_deref() {
            Some(Tail::Run(packed)) => Some(RunRecords {
                packed,
                at: 0,
                next: Some((self.arrival, self.key)),
            }),
            _ => None,
        }
    }

    fn data(&self) -> Option<&[u8]> {
        match self.tail.as_deref() {
            Some(Tail::Data(bytes)) => Some(bytes),
            _ => None,
        }
    }

    /// Heap bytes the entry holds beyond itself.
    fn tail_bytes(&self) -> u64 {
        match self.tail.as_deref() {
            Some(Tail::Data(bytes) | Tail::Run(bytes)) => bytes.len() as u64,
            None => 0,
        }
    }

    fn last_arrival(&self) -> SimTime {
        if self.is_run() {
            return SimTime(self.arrival.0 + u64::from(self.span_us));
        }
        self.arrival_of(self.end() - 1)
    }

    pub fn arrival_of(&self, counter: u64) -> SimTime {
        if self.count <= 1 {
            return self.arrival;
        }
        if let Some(mut run) = self.run() {
            let skip = (counter - self.first) as usize;
            return run.nth(skip).map_or(self.arrival, |(arrival, _)| arrival);
        }
        let i = u128::from(counter - self.first);
        SimTime(self.arrival.0 + (u128::from(self.span_us) * i / u128::from(self.count)) as u64)
    }

    /// A lone generated record, or a run with room: `size` bytes at `now` may join it as the
    /// record numbered `counter`.
    fn can_pack(&self, counter: u64, size: u32, now: SimTime) -> bool {
        let lone = self.count == 1 && self.tail.is_none();
        let open_run = self.is_run() && self.count < RUN_RECORDS_MAX;
        (lone || open_run)
            && self.end() == counter
            && self.size == size
            && now.0.saturating_sub(self.arrival.0) <= u64::from(RUN_SPAN_US_MAX)
    }

    /// Adds a record to the run (making one of a lone record). Returns the bytes it took.
    fn pack(&mut self, now: SimTime, key: KeyId) -> u64 {
        let delta = now.0 - self.last_arrival().0;
        let tail = self
            .tail
            .get_or_insert_with(|| Box::new(Tail::Run(Vec::new())));
        let Tail::Run(bytes) = tail.as_mut() else {
            return 0;
        };
        let before = bytes.len();
        crate::varint::put(bytes, delta);
        crate::varint::put(bytes, u64::from(key));
        self.count += 1;
        self.span_us = (now.0 - self.arrival.0) as u32;
        (bytes.len() - before) as u64
    }
}

/// A packed run's records in order: (arrival, key).
struct RunRecords<'a> {
    packed: &'a [u8],
    at: usize,
    next: Option<(SimTime, KeyId)>,
}

impl Iterator for RunRecords<'_> {
    type Item = (SimTime, KeyId);

    fn next(&mut self) -> Option<Self::Item> {
        let current = self.next.take()?;
        if self.at < self.packed.len() {
            let delta = crate::varint::take(self.packed, &mut self.at);
            let key = crate::varint::take(self.packed, &mut self.at) as KeyId;
            self.next = Some((SimTime(current.0.0 + delta), key));
        }
        Some(current)
    }
}

/// One record as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadRecord {
    pub counter: u64,
    pub arrival: SimTime,
    pub size: u32,
    pub key: KeyId,
    /// Stored bytes; `None` for generated records, whose bytes are synthesised on output.
    pub data: Option<Box<[u8]>>,
}

#[derive(Clone, Debug)]
pub struct Shard {
    pub index: u32,
    pub start: u128,
    pub end: u128,
    pub parent: Option<u32>,
    pub adjacent_parent: Option<u32>,
    pub children: Vec<u32>,
    pub created: SimTime,
    pub closed: Option<SimTime>,
    pub expired: bool,
    /// First sequence counter of this shard, and the next one to assign.
    pub base: u64,
    pub next: u64,
    entries: VecDeque<Entry>,
    /// Counters below this were trimmed (retention) or evicted.
    pub trimmed_to: u64,
    pub evicted: u64,
    /// This shard's entry bound (set by the stream from [`ENTRIES_PER_STREAM_MAX`]).
    pub(super) entries_max: usize,
    /// Heap bytes the entries hold beyond themselves (packed runs and put data).
    tail_bytes: u64,
    /// Latest arrival stored (arrivals never go backwards within a shard).
    last_arrival: SimTime,
    pub write: Window,
    read_calls: Window,
    read_free_at: SimTime,
    pub metrics: MetricSet,
    /// Generated writes not yet added to `metrics`: (second, records, bytes, throttled).
    pub(super) pending: (u64, u64, u64, u64),
}

impl Shard {
    /// Record entries stored (a flow segment or a packed run is one entry).
    pub fn stored_entries(&self) -> usize {
        self.entries.len()
    }

    /// Memory the stored records take: the entries and what they hold.
    pub fn stored_bytes(&self) -> u64 {
        self.entries.len() as u64 * std::mem::size_of::<Entry>() as u64 + self.tail_bytes
    }

    pub fn new(index: u32, start: u128, end: u128, created: SimTime, base: u64) -> Self {
        Shard {
            index,
            start,
            end,
            parent: None,
            adjacent_parent: None,
            children: Vec::new(),
            created,
            closed: None,
            expired: false,
            base,
            next: base,
            entries: VecDeque::new(),
            trimmed_to: base,
            evicted: 0,
            entries_max: ENTRIES_PER_SHARD_MAX,
            tail_bytes: 0,
            last_arrival: created,
            write: Window::default(),
            read_calls: Window::default(),
            read_free_at: SimTime::ZERO,
            metrics: MetricSet::default(),
            pending: (0, 0, 0, 0),
        }
    }

    pub fn id(&self) -> String {
        shard_id(self.index)
    }

    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }

    pub fn contains(&self, hash: u128) -> bool {
        self.start <= hash && hash <= self.end
    }

    /// Checks the write window and, if it has room, takes it.
    #[inline]
    pub fn admit_write(&mut self, now: SimTime, count: u64, bytes: u64) -> bool {
        self.write.try_take(
            now,
            count,
            bytes,
            WRITE_RECORDS_PER_SEC,
            WRITE_BYTES_PER_SEC,
        )
    }

    /// Appends one accepted record; returns its counter.
    #[inline]
    pub fn append(&mut self, now: SimTime, key: KeyId, size: u32, data: Option<Box<[u8]>>) -> u64 {
        let c = self.next;
        self.next += 1;
        let now = now.max(self.last_arrival);
        self.last_arrival = now;
        if data.is_none()
            && let Some(last) = self.entries.back_mut()
            && last.can_pack(c, size, now)
        {
            self.tail_bytes += last.pack(now, key);
            return c;
        }
        self.push_entry(Entry {
            first: c,
            count: 1,
            arrival: now,
            span_us: 0,
            size,
            key,
            tail: data.map(|d| Box::new(Tail::Data(d.into_vec()))),
        });
        c
    }

    /// Appends `count` synthetic flow records spread over `[from, from + span)`.
    pub fn append_flow(
        &mut self,
        from: SimTime,
        span: SimDuration,
        key: KeyId,
        count: u32,
        size: u32,
    ) {
        if count == 0 {
            return;
        }
        let first = self.next;
        self.next += u64::from(count);
        let from = from.max(self.last_arrival);
        self.last_arrival = from + span;
        // Coalesce with the previous segment when it is the same flow continuing at the same rate.
        if let Some(last) = self.entries.back_mut()
            && last.count > 1
            && last.tail.is_none()
            && last.key == key
            && last.size == size
            && last.arrival.0 + u64::from(last.span_us) == from.0
            && u32::try_from(u64::from(last.span_us) + span.0).is_ok()
            && u128::from(last.count) * u128::from(span.0)
                == u128::from(count) * u128::from(last.span_us)
            && u64::from(last.count) + u64::from(count) < u64::from(u32::MAX)
            && last.end() == first
        {
            last.count += count;
            last.span_us += span.0 as u32;
            return;
        }
        self.push_entry(Entry {
            first,
            count,
            arrival: from,
            span_us: span.0.min(u64::from(u32::MAX)) as u32,
            size,
            key,
            tail: None,
        });
    }

    fn push_entry(&mut self, e: Entry) {
        // The entry before is complete: its run gives back what doubling reserved.
        if let Some(Tail::Run(bytes)) = self.entries.back_mut().and_then(|l| l.tail.as_deref_mut())
        {
            bytes.shrink_to_fit();
        }
        if self.entries.len() >= self.entries_max
            && let Some(old) = self.entries.pop_front()
        {
            self.evicted += u64::from(old.count);
            self.trimmed_to = old.end();
            self.tail_bytes -= old.tail_bytes();
        }
        self.tail_bytes += e.tail_bytes();
        self.entries.push_back(e);
    }

    /// Drops records that arrived before `horizon`. Whole entries only (a flow segment goes when
    /// its last record is past the horizon).
    pub fn trim(&mut self, horizon: SimTime) {
        while let Some(e) = self.entries.front() {
            if e.last_arrival() >= horizon {
                break;
            }
            self.trimmed_to = e.end();
            self.tail_bytes -= e.tail_bytes();
            self.entries.pop_front();
        }
    }

    /// Counter of the oldest retained record (or `next` if none).
    pub fn first_retained(&self) -> u64 {
        self.entries
            .front()
            .map_or(self.next, |e| e.first)
            .max(self.trimmed_to)
    }

    pub fn stored_records(&self) -> u64 {
        self.next - self.first_retained()
    }

    /// Arrival time of the record with this counter, if retained.
    pub fn arrival_of(&self, counter: u64) -> Option<SimTime> {
        let i = self.entry_index(counter)?;
        Some(self.entries[i].arrival_of(counter))
    }

    fn entry_index(&self, counter: u64) -> Option<usize> {
        let i = self.entries.partition_point(|e| e.end() <= counter);
        (i < self.entries.len() && self.entries[i].first <= counter).then_some(i)
    }

    /// Counter of the first record that arrived at or after `t` (or `next`).
    pub fn counter_at_time(&self, t: SimTime) -> u64 {
        let i = self.entries.partition_point(|e| e.last_arrival() < t);
        let Some(e) = self.entries.get(i) else {
            return self.next;
        };
        if e.arrival >= t || e.count <= 1 {
            return e.first;
        }
        if let Some(run) = e.run() {
            let before = run.take_while(|&(arrival, _)| arrival < t).count();
            return e.first + before as u64;
        }
        // Inside a flow segment: first i with arrival_of(i) >= t.
        let (mut lo, mut hi) = (e.first, e.end() - 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if e.arrival_of(mid) >= t {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// Reads up to `max_records` / `max_bytes` from counter `from` (clamped to the trim horizon).
    /// Returns the records and the counter to continue from. At least one record is returned if
    /// any is available, whatever its size.
    pub fn read(
        &self,
        from: u64,
        max_records: u32,
        max_bytes: u64,
        key_len: impl Fn(KeyId) -> u64,
    ) -> (Vec<ReadRecord>, u64) {
        let mut pos = from.max(self.first_retained());
        let mut out = Vec::new();
        let mut bytes = 0u64;
        let Some(mut i) = self.entry_index(pos) else {
            return (out, pos.min(self.next));
        };
        'outer: while i < self.entries.len() {
            let e = &self.entries[i];
            if let Some(run) = e.run() {
                let skip = (pos - e.first) as usize;
                for (arrival, key) in run.skip(skip) {
                    let per = u64::from(e.size) + key_len(key);
                    if out.len() as u32 >= max_records
                        || (!out.is_empty() && bytes + per > max_bytes)
                    {
                        break 'outer;
                    }
                    out.push(ReadRecord {
                        counter: pos,
                        arrival,
                        size: e.size,
                        key,
                        data: None,
                    });
                    bytes += per;
                    pos += 1;
                }
                i += 1;
                continue;
            }
            let per = u64::from(e.size) + key_len(e.key);
            while pos < e.end() {
                if out.len() as u32 >= max_records || (!out.is_empty() && bytes + per > max_bytes) {
                    break 'outer;
                }
                out.push(ReadRecord {
                    counter: pos,
                    arrival: e.arrival_of(pos),
                    size: e.size,
                    key: e.key,
                    data: e.data().map(Box::from),
                });
                bytes += per;
                pos += 1;
            }
            i += 1;
        }
        (out, pos)
    }

    /// Read admission: at most 5 calls in any one-second window, and a byte budget of 2 MiB/s
    /// (a call that returned B bytes holds the shard's reads for B / 2 MiB seconds, so a 10 MiB
    /// call blocks reads for 5 seconds).
    pub fn admit_read(&mut self, now: SimTime) -> bool {
        if now < self.read_free_at {
            return false;
        }
        self.read_calls
            .try_take(now, 1, 0, READ_CALLS_PER_SEC, u64::MAX)
    }

    pub fn charge_read(&mut self, now: SimTime, bytes: u64) {
        let hold = u128::from(bytes) * u128::from(MICROS_PER_SEC) / u128::from(READ_BYTES_PER_SEC);
        self.read_free_at = SimTime(self.read_free_at.max(now).0 + hold as u64);
    }
}

/// `shardId-000000000042`.
pub fn shard_id(index: u32) -> String {
    format!("shardId-{index:012}")
}

/// Parses `shardId-000000000042` (or a bare number) into an index.
pub fn parse_shard_id(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("shardId-").unwrap_or(text);
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_limits_any_second() {
        let mut w = Window::default();
        for i in 0..1000u64 {
            assert!(w.try_take(SimTime(i * 500), 1, 10, 1000, 1_000_000));
        }
        assert!(!w.try_take(SimTime(999_999), 1, 10, 1000, 1_000_000));
        // At t = 1s the record taken at t = 0 leaves the window (t - 1s, t].
        assert!(w.try_take(SimTime(1_000_000), 1, 10, 1000, 1_000_000));
        assert!(!w.try_take(SimTime(1_000_000), 1, 10, 1000, 1_000_000));
    }

    #[test]
    fn flow_segments_read_back_evenly() {
        let mut s = Shard::new(0, 0, u128::MAX, SimTime::ZERO, 100);
        s.append_flow(SimTime::ZERO, SimDuration::from_secs(1), KeyId::MAX, 10, 5);
        s.append_flow(
            SimTime::from_secs(1),
            SimDuration::from_secs(1),
            KeyId::MAX,
            10,
            5,
        );
        assert_eq!(s.entries.len(), 1);
        let (recs, next) = s.read(105, 3, u64::MAX, |_| 0);
        assert_eq!(
            recs.iter().map(|r| r.counter).collect::<Vec<_>>(),
            vec![105, 106, 107]
        );
        assert_eq!(recs[0].arrival, SimTime::from_millis(500));
        assert_eq!(next, 108);
        assert_eq!(s.counter_at_time(SimTime::from_millis(1500)), 115);
        s.trim(SimTime::from_secs(3));
        assert_eq!(s.first_retained(), 120);
    }

    /// What the shard must read back: every record as appended.
    #[derive(Clone, Debug)]
    struct Put {
        gap_us: u64,
        key: KeyId,
        size: u32,
        data: Option<Vec<u8>>,
    }

    fn filled(puts: &[Put]) -> (Shard, Vec<ReadRecord>) {
        let mut s = Shard::new(0, 0, u128::MAX, SimTime::ZERO, 1_000);
        let mut now = SimTime::ZERO;
        let mut expected = Vec::new();
        for put in puts {
            now = SimTime(now.0 + put.gap_us);
            let data = put.data.clone().map(Vec::into_boxed_slice);
            let counter = s.append(now, put.key, put.size, data.clone());
            expected.push(ReadRecord {
                counter,
                arrival: now,
                size: put.size,
                key: put.key,
                data,
            });
        }
        (s, expected)
    }

    #[test]
    fn generated_records_pack_into_runs_of_a_few_bytes_each() {
        let puts: Vec<Put> = (0..10_000u32)
            .map(|i| Put {
                gap_us: 1_000,
                key: i * 7_919 % 100_000,
                size: 100,
                data: None,
            })
            .collect();
        let (s, expected) = filled(&puts);
        // One run a second at most: ten seconds of records in about ten entries.
        assert!(s.stored_entries() <= 11, "{}", s.stored_entries());
        let per_record = s.stored_bytes() as f64 / 10_000.0;
        assert!(per_record < 6.0, "{per_record:.1} bytes a record");
        let (read, next) = s.read(1_000, 20_000, u64::MAX, |_| 0);
        assert_eq!(read, expected);
        assert_eq!(next, 11_000);
        // Whole runs go when their last record is past the horizon.
        let mut trimmed = s.clone();
        trimmed.trim(SimTime::from_secs(5));
        let first = trimmed.first_retained();
        assert!(
            (4_000..=5_000).contains(&(first - 1_000)),
            "first retained {first}"
        );
        assert!(trimmed.stored_bytes() < s.stored_bytes());
        assert_eq!(
            trimmed.arrival_of(first),
            Some(expected[(first - 1_000) as usize].arrival)
        );
    }

    fn put_strategy() -> impl proptest::strategy::Strategy<Value = Put> {
        use proptest::prelude::*;
        (
            prop_oneof![Just(0u64), 0u64..2_000, 0u64..3_000_000],
            0u32..200_000,
            prop_oneof![Just(100u32), Just(200u32)],
            proptest::option::weighted(0.05, proptest::collection::vec(any::<u8>(), 0..8)),
        )
            .prop_map(|(gap_us, key, size, data)| Put {
                gap_us,
                key,
                size,
                data,
            })
    }

    proptest::proptest! {
        #[test]
        fn packed_runs_read_back_every_record_as_it_was_put(
            puts in proptest::collection::vec(put_strategy(), 1..3_000),
            from_index in 0usize..3_000,
            max_records in 1u32..500,
        ) {
            let (s, expected) = filled(&puts);
            let from_index = from_index % expected.len();
            let from = expected[from_index].counter;
            let (read, next) = s.read(from, max_records, u64::MAX, |_| 0);
            let want: Vec<ReadRecord> = expected[from_index..]
                .iter()
                .take(max_records as usize)
                .cloned()
                .collect();
            proptest::prop_assert_eq!(next, from + want.len() as u64);
            proptest::prop_assert_eq!(read, want);
            let probe = &expected[from_index];
            proptest::prop_assert_eq!(s.arrival_of(probe.counter), Some(probe.arrival));
            // The first record at or after an instant, by the model: arrivals never go back.
            let first_at = expected
                .iter()
                .find(|r| r.arrival >= probe.arrival)
                .map(|r| r.counter);
            proptest::prop_assert_eq!(Some(s.counter_at_time(probe.arrival)), first_at);
            let total: u64 = expected.iter().map(|r| r.data.as_ref().map_or(0, |d| d.len() as u64)).sum();
            proptest::prop_assert!(s.stored_bytes() >= total);
        }
    }
}
