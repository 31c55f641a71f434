//! The records of a batch, packed. Generated records carry no payload, only a key id, a
//! per-key sequence, a size and an offset; stored one `Rec` (16 bytes) each plus a batch
//! header each, an hour of a busy topic took a gigabyte. Packed, a record costs what differs
//! from its neighbours: its key and key sequence as varints (3 to 5 bytes), its size only when
//! the sizes differ, its offset only when compaction has opened gaps.
//!
//! A run merges the committed batches of one writer (see `Log::seal`): it keeps each original
//! batch's first offset, timestamp and id as a boundary, so readers still see every record's
//! own timestamp and the producer can still tell whether an earlier attempt of a batch
//! survived.

use super::log::Rec;
use crate::time::SimTime;
use crate::varint::{put, take};

/// Where an original batch starts inside a run, relative to the run's own header (12 bytes
/// where three full fields would take 24).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Boundary {
    /// The batch's first offset, from the run's base offset.
    pub offset_delta: u32,
    /// The batch's timestamp, microseconds after the run's.
    pub after_us: u32,
    /// The batch's id, after the run's.
    pub id_delta: u32,
}

impl Boundary {
    /// The boundary of a batch at `offset`, `timestamp`, `id` in a run at `base`,
    /// `base_time`, `base_id`, when the deltas fit.
    pub fn between(
        (base, base_time, base_id): (u64, SimTime, u64),
        (offset, timestamp, id): (u64, SimTime, u64),
    ) -> Option<Boundary> {
        Some(Boundary {
            offset_delta: u32::try_from(offset.checked_sub(base)?).ok()?,
            after_us: u32::try_from(timestamp.0.checked_sub(base_time.0)?).ok()?,
            id_delta: u32::try_from(id.checked_sub(base_id)?).ok()?,
        })
    }
}

/// Records packed as varints; see the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Records {
    len: u32,
    /// The size of every record when `uniform`; otherwise sizes are in `data`.
    size: u32,
    uniform: bool,
    /// Offset deltas are `0, 1, 2, ...`; otherwise each record carries its gap.
    contiguous: bool,
    data: Vec<u8>,
    /// The batches merged after the first (the first is the run's own header).
    boundaries: Vec<Boundary>,
}

impl Records {
    /// Packs `recs` (offset deltas ascending).
    pub fn from_recs(recs: &[Rec]) -> Records {
        let size = recs.first().map_or(0, |r| r.size);
        let uniform = recs.iter().all(|r| r.size == size);
        let contiguous = recs
            .iter()
            .enumerate()
            .all(|(i, r)| r.offset_delta as usize == i);
        let mut out = Records {
            len: 0,
            size,
            uniform,
            contiguous,
            data: Vec::with_capacity(recs.len() * 5),
            boundaries: Vec::new(),
        };
        let mut prev = None;
        for r in recs {
            out.push_encoded(r, prev);
            prev = Some(r.offset_delta);
        }
        // No shrink: the estimate is within a byte or two a record, and a reallocation per
        // batch cost more than the bytes it gave back.
        out
    }

    /// The largest record's size.
    pub fn max_size(&self) -> Option<u32> {
        if self.is_empty() {
            None
        } else if self.uniform {
            Some(self.size)
        } else {
            self.iter().map(|r| r.size).max()
        }
    }

    fn push_encoded(&mut self, r: &Rec, prev_delta: Option<u32>) {
        if !self.contiguous {
            let gap = match prev_delta {
                Some(p) => r.offset_delta - p - 1,
                None => r.offset_delta,
            };
            put(&mut self.data, u64::from(gap));
        }
        if !self.uniform {
            put(&mut self.data, u64::from(r.size));
        }
        put(&mut self.data, u64::from(r.key.wrapping_add(1)));
        put(&mut self.data, u64::from(r.key_seq));
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The records, decoded in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            records: self,
            at: 0,
            index: 0,
            next_delta: 0,
        }
    }

    /// Original batches merged into this run after its first.
    pub fn boundaries(&self) -> &[Boundary] {
        &self.boundaries
    }

    /// Heap bytes in use (what the retained-memory budget counts; spare capacity, a few bytes
    /// a batch and at most that of the one run still growing per partition, is left out so a
    /// clone counts the same).
    pub fn heap_bytes(&self) -> u64 {
        (self.data.len() + self.boundaries.len() * size_of::<Boundary>()) as u64
    }

    /// Whether `other`, starting `shift` offsets after this run's base, can join it without
    /// re-encoding: same layout, no gap between them.
    pub fn can_append(&self, other: &Records, shift: u32) -> bool {
        self.contiguous
            && other.contiguous
            && self.uniform
            && other.uniform
            && (self.size == other.size || self.is_empty() || other.is_empty())
            && shift == self.len
            && other.boundaries.is_empty()
    }

    /// Appends `other` (checked with [`Records::can_append`]) as a new original batch.
    pub fn append(&mut self, other: &Records, boundary: Boundary) {
        debug_assert!(self.can_append(other, boundary.offset_delta));
        if self.is_empty() {
            self.size = other.size;
        }
        self.data.extend_from_slice(&other.data);
        self.len += other.len;
        self.boundaries.push(boundary);
    }

    /// Adds the boundary of a batch already in the records (splitting a run).
    pub fn push_boundary(&mut self, boundary: Boundary) {
        self.boundaries.push(boundary);
    }

    /// Gives back spare capacity once a run stops growing.
    pub fn shrink(&mut self) {
        self.data.shrink_to_fit();
        self.boundaries.shrink_to_fit();
    }

    /// Keeps the records `keep` says yes to (compaction), boundaries included.
    pub fn retain(&mut self, mut keep: impl FnMut(usize, &Rec) -> bool) {
        let kept: Vec<Rec> = self
            .iter()
            .enumerate()
            .filter(|(i, r)| keep(*i, r))
            .map(|(_, r)| r)
            .collect();
        let boundaries = std::mem::take(&mut self.boundaries);
        *self = Records::from_recs(&kept);
        self.boundaries = boundaries;
    }
}

impl<'a> IntoIterator for &'a Records {
    type Item = Rec;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

pub struct Iter<'a> {
    records: &'a Records,
    at: usize,
    index: u32,
    next_delta: u32,
}

impl Iterator for Iter<'_> {
    type Item = Rec;

    fn next(&mut self) -> Option<Rec> {
        let r = self.records;
        if self.index >= r.len {
            return None;
        }
        let offset_delta = if r.contiguous {
            self.index
        } else {
            self.next_delta + take(&r.data, &mut self.at) as u32
        };
        let size = if r.uniform {
            r.size
        } else {
            take(&r.data, &mut self.at) as u32
        };
        let key = (take(&r.data, &mut self.at) as u32).wrapping_sub(1);
        let key_seq = take(&r.data, &mut self.at) as u32;
        self.index += 1;
        self.next_delta = offset_delta + 1;
        Some(Rec {
            offset_delta,
            key,
            size,
            key_seq,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.records.len - self.index) as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::log::NO_KEY;
    use proptest::prelude::*;

    fn rec() -> impl Strategy<Value = (u32, u32, u32, u32)> {
        (
            0u32..3,
            prop_oneof![Just(NO_KEY), 0u32..200_000, Just(u32::MAX - 1)],
            prop_oneof![Just(100u32), 0u32..2_000_000],
            any::<u32>(),
        )
    }

    proptest! {
        #[test]
        fn packing_gives_back_every_record(parts in proptest::collection::vec(rec(), 0..80)) {
            let mut delta = 0u32;
            let recs: Vec<Rec> = parts
                .iter()
                .map(|(gap, key, size, key_seq)| {
                    delta += gap;
                    let r = Rec { offset_delta: delta, key: *key, size: *size, key_seq: *key_seq };
                    delta += 1;
                    r
                })
                .collect();
            let packed = Records::from_recs(&recs);
            prop_assert_eq!(packed.len(), recs.len());
            prop_assert_eq!(packed.iter().collect::<Vec<_>>(), recs);
        }

        #[test]
        fn appended_runs_read_as_one_contiguous_batch(a in 0usize..40, b in 0usize..40) {
            let make = |n: usize, from: u32| -> Vec<Rec> {
                (0..n as u32)
                    .map(|i| Rec { offset_delta: i, key: from + i, size: 100, key_seq: i })
                    .collect()
            };
            let mut run = Records::from_recs(&make(a, 0));
            let next = Records::from_recs(&make(b, 1_000));
            prop_assert!(run.can_append(&next, a as u32));
            run.append(&next, Boundary { offset_delta: a as u32, after_us: 0, id_delta: 9 });
            let keys: Vec<u32> = run.iter().map(|r| r.key).collect();
            let want: Vec<u32> = (0..a as u32).chain(1_000..1_000 + b as u32).collect();
            prop_assert_eq!(keys, want);
            let deltas: Vec<u32> = run.iter().map(|r| r.offset_delta).collect();
            prop_assert_eq!(deltas, (0..(a + b) as u32).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_generated_record_packs_into_a_few_bytes() {
        let recs: Vec<Rec> = (0..1_000)
            .map(|i| Rec {
                offset_delta: i,
                key: 99_000 + i,
                size: 100,
                key_seq: 300,
            })
            .collect();
        let packed = Records::from_recs(&recs);
        assert!(packed.heap_bytes() <= 5 * 1_000, "{}", packed.heap_bytes());
    }

    #[test]
    fn compaction_opens_gaps_that_reading_keeps() {
        let recs: Vec<Rec> = (0..10)
            .map(|i| Rec {
                offset_delta: i,
                key: i % 3,
                size: 10 + i,
                key_seq: i,
            })
            .collect();
        let mut packed = Records::from_recs(&recs);
        packed.retain(|i, _| i % 4 == 0);
        let deltas: Vec<u32> = packed.iter().map(|r| r.offset_delta).collect();
        assert_eq!(deltas, [0, 4, 8]);
        let sizes: Vec<u32> = packed.iter().map(|r| r.size).collect();
        assert_eq!(sizes, [10, 14, 18]);
    }
}
