//! Firehose delivery from a Kinesis stream into a simulated S3 bucket. Firehose reads the
//! stream's shards (starting at LATEST, parents before children), buffers records until the
//! buffer reaches `SizeInMBs` or `IntervalInSeconds` has passed since its first record, then
//! writes one object. If the write's acknowledgement is lost (fault
//! [`FaultPoint::FirehoseAckLost`]) Firehose retries, and the same records land in a second
//! object: consumers must deduplicate. Firehose has no deduplication of its own, and the objects
//! hold only the record data: a record's Kinesis sequence number is in the object only when a
//! transformation Lambda adds it (`ProcessingConfiguration`), so a loader can merge on it only
//! then.

use super::{IteratorType, KeyId, Kinesis, sequence_number, shard_id};
use crate::faults::{FaultPoint, Faults};
use crate::metrics::{Metric, MetricSet};
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// Objects kept per bucket (oldest dropped beyond it).
pub const OBJECTS_PER_BUCKET_MAX: usize = 100_000;
/// Firehose polls each shard this often.
pub const POLL_INTERVAL: SimDuration = SimDuration::from_secs(1);
/// A failed delivery is retried after this long.
pub const RETRY_DELAY: SimDuration = SimDuration::from_secs(5);

/// One delivered record inside an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRecord {
    /// The record's Kinesis sequence number (the simulation's truth, always known).
    pub sequence_number: String,
    pub partition_key: KeyId,
    pub size: u32,
    /// Whether the object's copy of the record carries its sequence number (a transformation
    /// Lambda added it); without it a reader cannot merge on it.
    pub sequence_in_record: bool,
}

#[derive(Clone, Debug)]
pub struct S3Object {
    pub key: String,
    pub size: u64,
    pub last_modified: SimTime,
    pub records: Vec<ObjectRecord>,
    /// 1 for the first attempt; 2+ for retries (the duplicates).
    pub attempt: u32,
}

/// The simulated S3: buckets of objects in write order.
#[derive(Clone, Debug, Default)]
pub struct S3 {
    pub buckets: BTreeMap<String, Vec<S3Object>>,
    /// Objects ever put per bucket (the bucket keeps the newest [`OBJECTS_PER_BUCKET_MAX`]).
    pub puts: BTreeMap<String, u64>,
}

impl S3 {
    pub fn put(&mut self, bucket: &str, obj: S3Object) {
        *self.puts.entry(bucket.to_string()).or_default() += 1;
        let b = self.buckets.entry(bucket.to_string()).or_default();
        if b.len() >= OBJECTS_PER_BUCKET_MAX {
            b.remove(0);
        }
        b.push(obj);
    }

    /// (objects, records, unique sequence numbers) in a bucket.
    pub fn dedupe_stats(&self, bucket: &str) -> Option<(usize, usize, usize)> {
        let b = self.buckets.get(bucket)?;
        let mut seen = BTreeSet::new();
        let mut total = 0;
        for o in b {
            for r in &o.records {
                total += 1;
                seen.insert(r.sequence_number.as_str());
            }
        }
        Some((b.len(), total, seen.len()))
    }

    /// What a reader of the bucket can see: (objects, records, records that carry their
    /// sequence number, unique sequence numbers among those).
    pub fn readable_sequence_stats(&self, bucket: &str) -> Option<(usize, usize, usize, usize)> {
        let b = self.buckets.get(bucket)?;
        let mut seen = BTreeSet::new();
        let (mut total, mut carried) = (0, 0);
        for o in b {
            for r in &o.records {
                total += 1;
                if r.sequence_in_record {
                    carried += 1;
                    seen.insert(r.sequence_number.as_str());
                }
            }
        }
        Some((b.len(), total, carried, seen.len()))
    }
}

/// Rows a loader's table remembers for deduplication (the oldest are forgotten beyond it).
pub const LOADER_ROWS_MAX: usize = 2_000_000;

/// How a loader decides that an S3 object's records are already in its table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dedupe {
    /// Append every record of every new object (a plain COPY).
    None,
    /// Skip an object whose key was loaded before. A Firehose retry writes a new key, so this
    /// catches nothing.
    ObjectKey,
    /// Merge on the record's Kinesis sequence number (unique per record within a stream):
    /// a record already in the table is skipped. Only records whose object carries the
    /// sequence number can be matched; the others are appended.
    SequenceNumber,
    /// Merge on the partition key: skips duplicates, and every distinct record with the same key.
    PartitionKey,
}

impl Dedupe {
    pub fn parse(text: &str) -> Option<Dedupe> {
        match text {
            "none" => Some(Dedupe::None),
            "object-key" => Some(Dedupe::ObjectKey),
            "sequence-number" => Some(Dedupe::SequenceNumber),
            "partition-key" => Some(Dedupe::PartitionKey),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dedupe::None => "none",
            Dedupe::ObjectKey => "object-key",
            Dedupe::SequenceNumber => "sequence-number",
            Dedupe::PartitionKey => "partition-key",
        }
    }
}

/// A downstream job that loads a bucket's new objects into a table every run (a warehouse
/// COPY or MERGE, a Glue job). Its metrics: `Loader.RowsLoaded` (rows written) and
/// `Loader.DuplicateRows` (rows written whose sequence number the table already held).
#[derive(Clone, Debug)]
pub struct Loader {
    pub name: String,
    pub bucket: String,
    pub dedupe: Dedupe,
    /// Objects of the bucket already looked at (counted over all puts).
    seen_objects: u64,
    object_keys: BTreeSet<String>,
    /// Sequence numbers (and partition keys) in the table, oldest first for eviction.
    rows: BTreeSet<String>,
    row_order: std::collections::VecDeque<String>,
    keys: BTreeSet<KeyId>,
    pub rows_total: u64,
    pub duplicate_rows_total: u64,
    pub metrics: MetricSet,
}

impl Loader {
    pub fn new(name: &str, bucket: &str, dedupe: Dedupe) -> Self {
        Loader {
            name: name.to_string(),
            bucket: bucket.to_string(),
            dedupe,
            seen_objects: 0,
            object_keys: BTreeSet::new(),
            rows: BTreeSet::new(),
            row_order: std::collections::VecDeque::new(),
            keys: BTreeSet::new(),
            rows_total: 0,
            duplicate_rows_total: 0,
            metrics: MetricSet::default(),
        }
    }

    /// Loads the objects put since the last run.
    pub fn run(&mut self, s3: &S3, now: SimTime) {
        let sec = now.as_secs();
        let total = s3.puts.get(&self.bucket).copied().unwrap_or(0);
        let Some(objects) = s3.buckets.get(&self.bucket) else {
            return;
        };
        let first_kept = total - objects.len() as u64;
        let from = self.seen_objects.max(first_kept);
        let (mut loaded, mut duplicates) = (0u64, 0u64);
        for i in from..total {
            let o = &objects[(i - first_kept) as usize];
            if self.dedupe == Dedupe::ObjectKey && self.object_keys.contains(&o.key) {
                continue;
            }
            if self.object_keys.len() < LOADER_ROWS_MAX {
                self.object_keys.insert(o.key.clone());
            }
            for r in &o.records {
                let in_table = self.rows.contains(&r.sequence_number);
                let skip = match self.dedupe {
                    Dedupe::None | Dedupe::ObjectKey => false,
                    Dedupe::SequenceNumber => in_table && r.sequence_in_record,
                    Dedupe::PartitionKey => self.keys.contains(&r.partition_key),
                };
                if skip {
                    continue;
                }
                loaded += 1;
                self.keys.insert(r.partition_key);
                if in_table {
                    duplicates += 1;
                } else {
                    if self.row_order.len() >= LOADER_ROWS_MAX
                        && let Some(old) = self.row_order.pop_front()
                    {
                        self.rows.remove(&old);
                    }
                    self.rows.insert(r.sequence_number.clone());
                    self.row_order.push_back(r.sequence_number.clone());
                }
            }
        }
        self.seen_objects = total;
        self.rows_total += loaded;
        self.duplicate_rows_total += duplicates;
        self.metrics.add(Metric::LoaderRowsLoaded, sec, loaded);
        self.metrics
            .add(Metric::LoaderDuplicateRows, sec, duplicates);
    }
}

#[derive(Clone, Debug)]
pub struct DeliveryStream {
    pub name: String,
    pub source_stream: String,
    /// The source stream's id: a stream deleted and created again under the same name is a
    /// different stream, and delivery stops.
    source_id: u32,
    pub bucket: String,
    pub prefix: String,
    pub buffer_size_bytes: u64,
    pub buffer_interval: SimDuration,
    /// A transformation Lambda that adds each record's Kinesis sequence number to the record.
    pub transform_adds_sequence_number: bool,
    pub created: SimTime,
    /// Per shard: next counter to read; `None` once the shard is finished.
    positions: BTreeMap<u32, Option<u64>>,
    /// Shards open when the delivery stream was created: their parents hold earlier history.
    roots: BTreeSet<u32>,
    buffer: Vec<ObjectRecord>,
    buffer_bytes: u64,
    buffer_started: Option<SimTime>,
    retry: Option<(SimTime, Vec<ObjectRecord>, u64, u32)>,
    objects_written: u64,
    pub metrics: MetricSet,
}

impl DeliveryStream {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &str,
        source: &str,
        bucket: &str,
        prefix: &str,
        size_mb: u32,
        interval: SimDuration,
        kinesis: &Kinesis,
        now: SimTime,
    ) -> Result<Self, String> {
        if !(1..=128).contains(&size_mb) {
            return Err(format!("SizeInMBs {size_mb} must be between 1 and 128"));
        }
        if !(SimDuration::ZERO..=SimDuration::from_secs(900)).contains(&interval) {
            return Err("IntervalInSeconds must be between 0 and 900".into());
        }
        let stream = kinesis.stream(source).map_err(|e| e.to_string())?;
        let roots = stream.open_shards().iter().copied().collect();
        let positions = stream
            .open_shards()
            .iter()
            .map(|&i| (i, Some(stream.shards[i as usize].next)))
            .collect();
        Ok(DeliveryStream {
            name: name.to_string(),
            source_stream: source.to_string(),
            source_id: stream.id,
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            buffer_size_bytes: u64::from(size_mb) * 1_048_576,
            buffer_interval: interval,
            transform_adds_sequence_number: false,
            created: now,
            positions,
            roots,
            buffer: Vec::new(),
            buffer_bytes: 0,
            buffer_started: None,
            retry: None,
            objects_written: 0,
            metrics: MetricSet::default(),
        })
    }

    fn object_key(&self, now: SimTime, attempt: u32) -> String {
        let (y, mo, d, h, mi, s) = now.civil();
        format!(
            "{}{y:04}/{mo:02}/{d:02}/{h:02}/{}-1-{y:04}-{mo:02}-{d:02}-{h:02}-{mi:02}-{s:02}-{:08x}-{attempt}",
            self.prefix, self.name, self.objects_written
        )
    }

    fn write(
        &mut self,
        s3: &mut S3,
        faults: &mut Faults,
        now: SimTime,
        records: Vec<ObjectRecord>,
        bytes: u64,
        attempt: u32,
    ) {
        let key = self.object_key(now, attempt);
        self.objects_written += 1;
        let sec = now.as_secs();
        self.metrics.add(Metric::FirehoseDeliveredObjects, sec, 1);
        self.metrics
            .add(Metric::FirehoseDeliveredRecords, sec, records.len() as u64);
        if attempt > 1 {
            self.metrics.add(Metric::FirehoseDuplicateObjects, sec, 1);
        }
        let lost_ack = faults.fire(FaultPoint::FirehoseAckLost);
        s3.put(
            &self.bucket,
            S3Object {
                key,
                size: bytes,
                last_modified: now,
                records: records.clone(),
                attempt,
            },
        );
        if lost_ack {
            self.retry = Some((now + RETRY_DELAY, records, bytes, attempt + 1));
        }
    }

    /// One poll: read the shards, buffer, deliver when the buffer is full or old enough.
    pub fn tick(&mut self, kinesis: &mut Kinesis, s3: &mut S3, faults: &mut Faults, now: SimTime) {
        if kinesis
            .stream(&self.source_stream)
            .map_or(true, |st| st.id != self.source_id)
        {
            return;
        }
        if let Some((at, _, _, _)) = &self.retry
            && *at <= now
        {
            let (_, recs, bytes, attempt) = self.retry.take().expect("checked");
            self.write(s3, faults, now, recs, bytes, attempt);
        }
        let shards: Vec<(u32, u64)> = self
            .positions
            .iter()
            .filter_map(|(s, p)| p.map(|p| (*s, p)))
            .collect();
        for (shard, pos) in shards {
            // Parents before children: a parent not yet tracked (the stream still lists it) is
            // tracked now and read first.
            let parents: Vec<u32> = kinesis
                .stream(&self.source_stream)
                .map(|st| {
                    let sh = &st.shards[shard as usize];
                    sh.parent
                        .into_iter()
                        .chain(sh.adjacent_parent)
                        .filter(|&p| !st.shards[p as usize].expired && !self.roots.contains(&shard))
                        .collect()
                })
                .unwrap_or_default();
            let mut parents_done = true;
            for p in parents {
                match self.positions.get(&p) {
                    Some(None) => {}
                    Some(Some(_)) => parents_done = false,
                    None => {
                        let base = kinesis
                            .stream(&self.source_stream)
                            .map_or(0, |st| st.shards[p as usize].base);
                        self.positions.insert(p, Some(base));
                        parents_done = false;
                    }
                }
            }
            if !parents_done {
                continue;
            }
            let seq = kinesis.stream(&self.source_stream).ok().and_then(|st| {
                let sh = &st.shards[shard as usize];
                (pos > sh.base).then(|| sequence_number(sh, pos - 1))
            });
            let kind = seq.map_or(IteratorType::TrimHorizon, IteratorType::AfterSequenceNumber);
            let Ok(it) =
                kinesis.get_shard_iterator(&self.source_stream, &shard_id(shard), kind, now)
            else {
                continue;
            };
            let Ok(out) = kinesis.get_records(&it, None, now, faults) else {
                continue;
            };
            let Ok(st) = kinesis.stream(&self.source_stream) else {
                return;
            };
            let sh = &st.shards[shard as usize];
            for r in &out.records {
                if self.buffer.is_empty() {
                    self.buffer_started = Some(now);
                }
                self.buffer_bytes += u64::from(r.size);
                self.buffer.push(ObjectRecord {
                    sequence_number: sequence_number(sh, r.counter),
                    partition_key: r.key,
                    size: r.size,
                    sequence_in_record: self.transform_adds_sequence_number,
                });
            }
            if out.next_iterator.is_none() {
                self.positions.insert(shard, None);
                for c in &out.child_shards {
                    let first = st.shards[c.shard as usize].base;
                    self.positions.entry(c.shard).or_insert(Some(first));
                }
            } else {
                self.positions.insert(shard, Some(out.next_position));
            }
            if self.buffer_bytes >= self.buffer_size_bytes {
                self.flush(s3, faults, now);
            }
        }
        if self
            .buffer_started
            .is_some_and(|t| now.since(t) >= self.buffer_interval)
        {
            self.flush(s3, faults, now);
        }
    }

    fn flush(&mut self, s3: &mut S3, faults: &mut Faults, now: SimTime) {
        if self.buffer.is_empty() {
            return;
        }
        let mut recs = std::mem::take(&mut self.buffer);
        // The transformation runs on the buffered batch before delivery.
        if self.transform_adds_sequence_number {
            for r in &mut recs {
                r.sequence_in_record = true;
            }
        }
        let bytes = std::mem::take(&mut self.buffer_bytes);
        self.buffer_started = None;
        self.write(s3, faults, now, recs, bytes, 1);
    }

    pub fn buffered(&self) -> (usize, u64) {
        (self.buffer.len(), self.buffer_bytes)
    }
}
