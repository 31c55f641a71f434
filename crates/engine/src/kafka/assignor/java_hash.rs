//! The order in which Java's `HashMap` and `HashSet` iterate, for the few places where the
//! Java client's sticky assignor lets that order decide an assignment (which member keeps its
//! extra partition, which moved partition moves back). Iteration runs over the table's buckets
//! in index order and, within a bucket, in insertion order; the bucket is the key's spread hash
//! masked by the table's capacity, which starts at 16 and doubles whenever the entries exceed
//! three quarters of it (and never shrinks).
//!
//! Not modelled: a bucket of eight or more colliding keys in a table of 64 or more becomes a
//! tree (iterated in tree order), which takes groups far larger than the assignor meets.

use super::TopicPartition;
pub use crate::kafka::coordinator::java_string_hash as string_hash;

/// `TopicPartition.hashCode()`: `31 * (31 + partition) + topic.hashCode()`, wrapping.
pub fn topic_partition_hash(tp: &TopicPartition) -> i32 {
    let partition = i32::try_from(tp.partition).unwrap_or(i32::MAX);
    31i32
        .wrapping_mul(31i32.wrapping_add(partition))
        .wrapping_add(string_hash(&tp.topic))
}

/// `HashMap.hash(key)`: the hash with its high half folded into the low half.
fn spread(hash: i32) -> u32 {
    let h = hash as u32;
    h ^ (h >> 16)
}

/// The capacity of a table built with `new HashMap<>()` that has held at most `peak` entries.
pub fn capacity_for(peak: usize) -> usize {
    let mut capacity = 16;
    while peak > capacity / 4 * 3 {
        capacity *= 2;
    }
    capacity
}

/// The bucket a key with `hash` falls in, in a table of `capacity` (a power of two).
pub fn bucket(hash: i32, capacity: usize) -> usize {
    spread(hash) as usize & (capacity - 1)
}

/// The positions of `hashes` (keys inserted in that order into a `new HashMap<>()`) in the
/// order the map iterates them.
pub fn iteration_order(hashes: &[i32]) -> Vec<usize> {
    let capacity = capacity_for(hashes.len());
    let mut order: Vec<usize> = (0..hashes.len()).collect();
    // Stable: within a bucket, insertion order.
    order.sort_by_key(|&i| bucket(hashes[i], capacity));
    order
}

/// A `HashSet<TopicPartition>` as far as the assignor uses one: insert, remove, and the element
/// its iterator yields first.
#[derive(Debug, Clone, Default)]
pub struct JavaHashSet {
    /// Elements in insertion order, each with its hash.
    entries: Vec<(TopicPartition, i32)>,
    peak: usize,
}

impl JavaHashSet {
    pub fn insert(&mut self, tp: TopicPartition) {
        if !self.contains(&tp) {
            let hash = topic_partition_hash(&tp);
            self.entries.push((tp, hash));
            self.peak = self.peak.max(self.entries.len());
        }
    }

    pub fn remove(&mut self, tp: &TopicPartition) {
        self.entries.retain(|(t, _)| t != tp);
    }

    pub fn contains(&self, tp: &TopicPartition) -> bool {
        self.entries.iter().any(|(t, _)| t == tp)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What `iterator().next()` returns.
    pub fn first(&self) -> Option<&TopicPartition> {
        let capacity = capacity_for(self.peak);
        // min_by_key keeps the first of equal keys: the earliest inserted in the bucket.
        self.entries
            .iter()
            .min_by_key(|(_, hash)| bucket(*hash, capacity))
            .map(|(tp, _)| tp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_javas() {
        // Values a JVM prints ("hello".hashCode(); the coordinator's tests pin more).
        assert_eq!(string_hash("hello"), 99_162_322);
        assert_eq!(string_hash("polygenelubricants"), i32::MIN);
        assert_eq!(
            topic_partition_hash(&TopicPartition::new("t0", 3)),
            31 * (31 + 3) + string_hash("t0")
        );
    }

    #[test]
    fn tables_grow_past_three_quarters() {
        assert_eq!(capacity_for(0), 16);
        assert_eq!(capacity_for(12), 16);
        assert_eq!(capacity_for(13), 32);
        assert_eq!(capacity_for(24), 32);
        assert_eq!(capacity_for(25), 64);
    }

    /// Orders a JVM printed (a `HashMap` of these keys put in this order; a `HashSet` of
    /// partitions before and after it grew to 25 entries and shrank again).
    #[test]
    fn iteration_is_javas() {
        let keys = [
            "consumer-g-1-8f6d470d",
            "w23",
            "x1",
            "c7",
            "consumer5",
            "m12",
            "instance-3",
            "b",
            "q",
            "a",
        ];
        let hashes: Vec<i32> = keys.iter().map(|k| string_hash(k)).collect();
        let order: Vec<&str> = iteration_order(&hashes)
            .into_iter()
            .map(|i| keys[i])
            .collect();
        assert_eq!(
            order,
            [
                "consumer-g-1-8f6d470d",
                "q",
                "a",
                "b",
                "c7",
                "consumer5",
                "instance-3",
                "w23",
                "x1",
                "m12"
            ]
        );
        assert_eq!(string_hash("consumer-g-1-8f6d470d"), 514_597_964);
        assert_eq!(
            topic_partition_hash(&TopicPartition::new("orders", 7)),
            -1_008_769_153
        );

        let mut set = JavaHashSet::default();
        for p in [5, 1, 17, 3, 40] {
            set.insert(TopicPartition::new("t1", p));
        }
        assert_eq!(set.first(), Some(&TopicPartition::new("t1", 40)));
        for p in 0..20 {
            set.insert(TopicPartition::new("t0", p));
        }
        for p in 0..20 {
            set.remove(&TopicPartition::new("t0", p));
        }
        assert_eq!(set.first(), Some(&TopicPartition::new("t1", 17)));
        for p in [5, 1, 17, 3, 40] {
            set.remove(&TopicPartition::new("t1", p));
        }
        assert!(set.is_empty() && set.first().is_none());
    }
}
