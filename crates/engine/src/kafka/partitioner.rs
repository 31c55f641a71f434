//! Which partition a record goes to, exactly as the Java producer's default (built-in)
//! partitioner decides: keyed records by `toPositive(murmur2(keyBytes)) % numPartitions`, so a
//! key's partition changes when partitions are added; records without a key stick to one
//! partition until a batch's worth has gone there, then switch (KIP-480 sticky partitioning).

use crate::rng::SimRng;

/// Kafka's `Utils.murmur2`: MurmurHash2, 32-bit, seed `0x9747b28c`, over the key's bytes,
/// returned as the Java `int` it computes.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    // Java's switch falls through from the highest remaining byte down; bytes are sign-free
    // here because Kafka masks each with 0xff.
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on `i32::MIN`).
pub fn to_positive(n: i32) -> u32 {
    (n & 0x7fff_ffff) as u32
}

/// The partition of a keyed record among `partitions` (>= 1).
pub fn partition_for_key(key: &[u8], partitions: u32) -> u32 {
    to_positive(murmur2(key)) % partitions.max(1)
}

/// The sticky choice for records without a key: one partition until `batch_size` bytes have
/// gone to it, then another, chosen at random among the others (the built-in partitioner's
/// behaviour since Kafka 3.3 without adaptive load balancing).
#[derive(Clone, Debug)]
pub struct StickyPartitioner {
    batch_size_bytes: u64,
    current: Option<u32>,
    bytes_in_batch: u64,
}

impl StickyPartitioner {
    pub fn new(batch_size_bytes: u64) -> Self {
        StickyPartitioner {
            batch_size_bytes: batch_size_bytes.max(1),
            current: None,
            bytes_in_batch: 0,
        }
    }

    /// The partition for a record of `size` bytes among `partitions`.
    pub fn next(&mut self, size: u64, partitions: u32, rng: &mut SimRng) -> u32 {
        let partitions = partitions.max(1);
        let current = match self.current {
            Some(p) if p < partitions && self.bytes_in_batch < self.batch_size_bytes => p,
            previous => {
                self.bytes_in_batch = 0;
                let mut pick = rng.below(u64::from(partitions)) as u32;
                if partitions > 1 && Some(pick) == previous {
                    pick = (pick + 1 + rng.below(u64::from(partitions - 1)) as u32) % partitions;
                }
                pick
            }
        };
        self.current = Some(current);
        self.bytes_in_batch += size;
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_the_values_kafkas_own_tests_pin() {
        // Apache Kafka's UtilsTest.testMurmur2: the Java implementation's results.
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (key, expected) in cases {
            assert_eq!(murmur2(key), expected, "{}", String::from_utf8_lossy(key));
        }
    }

    #[test]
    fn to_positive_clears_the_sign_bit_only() {
        assert_eq!(to_positive(-1), 0x7fff_ffff);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(42), 42);
    }

    #[test]
    fn adding_partitions_moves_some_keys_and_keeps_others() {
        let keys: Vec<String> = (0..1000).map(|i| format!("user-{i}")).collect();
        let moved = keys
            .iter()
            .filter(|k| partition_for_key(k.as_bytes(), 6) != partition_for_key(k.as_bytes(), 12))
            .count();
        // Going from 6 to 12 partitions, a key stays only if its hash mod 12 is below 6: about
        // half move.
        assert!((400..600).contains(&moved), "{moved} of 1000 moved");
        for k in &keys {
            let p = partition_for_key(k.as_bytes(), 12);
            assert!(p % 6 == partition_for_key(k.as_bytes(), 6));
        }
    }

    #[test]
    fn sticky_partitioner_switches_after_a_batch_and_never_to_the_same_partition() {
        let mut rng = SimRng::new(7);
        let mut s = StickyPartitioner::new(1000);
        let first = s.next(400, 6, &mut rng);
        assert_eq!(s.next(400, 6, &mut rng), first);
        assert_eq!(s.next(400, 6, &mut rng), first);
        // 1,200 bytes went to `first`: the batch is full, the next record goes elsewhere.
        let second = s.next(400, 6, &mut rng);
        assert_ne!(second, first);
        assert!(second < 6);
        let mut one = StickyPartitioner::new(1);
        assert_eq!(one.next(10, 1, &mut rng), 0);
        assert_eq!(one.next(10, 1, &mut rng), 0);
    }
}
