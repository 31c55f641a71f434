//! Metrics that labs query: per-second time series for counters and gauges, owned by the thing
//! they measure (a shard, a stream, a KCL application, a consumer) so the hot path is a field
//! update, not a map lookup. [`MetricSet`] is the registry of one scope; the simulation walks
//! scopes to answer queries.

use std::collections::VecDeque;

/// Seconds of history a series keeps (older buckets are dropped).
pub const SERIES_SECONDS_MAX: usize = 3_600;

/// Names of the metrics, as CloudWatch names them where a CloudWatch metric exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    IncomingRecords,
    IncomingBytes,
    WriteProvisionedThroughputExceeded,
    ReadProvisionedThroughputExceeded,
    GetRecordsCalls,
    GetRecordsRecords,
    GetRecordsBytes,
    IteratorAgeMilliseconds,
    SubscribeToShardEventRecords,
    SubscribeToShardEventBytes,
    KclRecordsProcessed,
    KclRecordsReprocessed,
    KclMillisBehindLatest,
    KclLeasesTaken,
    KclDuplicateSideEffects,
    FirehoseDeliveredObjects,
    FirehoseDeliveredRecords,
    FirehoseDuplicateObjects,
    LoaderRowsLoaded,
    LoaderDuplicateRows,
    PollerRecordsRead,
    PollerRecordsSkipped,
    PollerRecordsDuplicated,
    PollerExpiredIterators,
    KafkaMessagesIn,
    KafkaBytesIn,
    KafkaReplicationBytesIn,
    KafkaUnderReplicatedPartitions,
    KafkaOfflinePartitions,
    KafkaIsrShrinks,
    KafkaIsrExpands,
    KafkaRecordsSent,
    KafkaRecordsAcked,
    KafkaRecordsFailed,
    KafkaRecordsRetried,
    KafkaRecordsLost,
    KafkaRecordsDuplicated,
    KafkaRecordsBlocked,
    KafkaRecordsConsumed,
    KafkaConsumerLag,
    KafkaRecordsReprocessed,
    KafkaKeyOrderViolations,
    KafkaRecordsSkipped,
    KafkaPartitionPauseMillis,
    KafkaCoordinatorUnavailableMillis,
    KafkaCommitsFailedNoCoordinator,
    KafkaCleanerDirtyBytes,
    KafkaLogSizeBytes,
    KafkaProcessorProcessed,
    KafkaProcessorOutputs,
    KafkaProcessorDuplicates,
    KafkaProcessorMissing,
}

impl Metric {
    pub const ALL: [Metric; 52] = [
        Metric::IncomingRecords,
        Metric::IncomingBytes,
        Metric::WriteProvisionedThroughputExceeded,
        Metric::ReadProvisionedThroughputExceeded,
        Metric::GetRecordsCalls,
        Metric::GetRecordsRecords,
        Metric::GetRecordsBytes,
        Metric::IteratorAgeMilliseconds,
        Metric::SubscribeToShardEventRecords,
        Metric::SubscribeToShardEventBytes,
        Metric::KclRecordsProcessed,
        Metric::KclRecordsReprocessed,
        Metric::KclMillisBehindLatest,
        Metric::KclLeasesTaken,
        Metric::KclDuplicateSideEffects,
        Metric::FirehoseDeliveredObjects,
        Metric::FirehoseDeliveredRecords,
        Metric::FirehoseDuplicateObjects,
        Metric::LoaderRowsLoaded,
        Metric::LoaderDuplicateRows,
        Metric::PollerRecordsRead,
        Metric::PollerRecordsSkipped,
        Metric::PollerRecordsDuplicated,
        Metric::PollerExpiredIterators,
        Metric::KafkaMessagesIn,
        Metric::KafkaBytesIn,
        Metric::KafkaReplicationBytesIn,
        Metric::KafkaUnderReplicatedPartitions,
        Metric::KafkaOfflinePartitions,
        Metric::KafkaIsrShrinks,
        Metric::KafkaIsrExpands,
        Metric::KafkaRecordsSent,
        Metric::KafkaRecordsAcked,
        Metric::KafkaRecordsFailed,
        Metric::KafkaRecordsRetried,
        Metric::KafkaRecordsLost,
        Metric::KafkaRecordsDuplicated,
        Metric::KafkaRecordsBlocked,
        Metric::KafkaRecordsConsumed,
        Metric::KafkaConsumerLag,
        Metric::KafkaRecordsReprocessed,
        Metric::KafkaKeyOrderViolations,
        Metric::KafkaRecordsSkipped,
        Metric::KafkaPartitionPauseMillis,
        Metric::KafkaCoordinatorUnavailableMillis,
        Metric::KafkaCommitsFailedNoCoordinator,
        Metric::KafkaCleanerDirtyBytes,
        Metric::KafkaLogSizeBytes,
        Metric::KafkaProcessorProcessed,
        Metric::KafkaProcessorOutputs,
        Metric::KafkaProcessorDuplicates,
        Metric::KafkaProcessorMissing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::IncomingRecords => "IncomingRecords",
            Metric::IncomingBytes => "IncomingBytes",
            Metric::WriteProvisionedThroughputExceeded => "WriteProvisionedThroughputExceeded",
            Metric::ReadProvisionedThroughputExceeded => "ReadProvisionedThroughputExceeded",
            Metric::GetRecordsCalls => "GetRecords.Calls",
            Metric::GetRecordsRecords => "GetRecords.Records",
            Metric::GetRecordsBytes => "GetRecords.Bytes",
            Metric::IteratorAgeMilliseconds => "GetRecords.IteratorAgeMilliseconds",
            Metric::SubscribeToShardEventRecords => "SubscribeToShardEvent.Records",
            Metric::SubscribeToShardEventBytes => "SubscribeToShardEvent.Bytes",
            Metric::KclRecordsProcessed => "KCL.RecordsProcessed",
            Metric::KclRecordsReprocessed => "KCL.RecordsReprocessed",
            Metric::KclMillisBehindLatest => "KCL.MillisBehindLatest",
            Metric::KclLeasesTaken => "KCL.LeasesTaken",
            Metric::KclDuplicateSideEffects => "KCL.DuplicateSideEffects",
            Metric::FirehoseDeliveredObjects => "Firehose.DeliveredObjects",
            Metric::FirehoseDeliveredRecords => "Firehose.DeliveredRecords",
            Metric::FirehoseDuplicateObjects => "Firehose.DuplicateObjects",
            Metric::LoaderRowsLoaded => "Loader.RowsLoaded",
            Metric::LoaderDuplicateRows => "Loader.DuplicateRows",
            Metric::PollerRecordsRead => "Poller.RecordsRead",
            Metric::PollerRecordsSkipped => "Poller.RecordsSkipped",
            Metric::PollerRecordsDuplicated => "Poller.RecordsDuplicated",
            Metric::PollerExpiredIterators => "Poller.ExpiredIterators",
            Metric::KafkaMessagesIn => "MessagesInPerSec",
            Metric::KafkaBytesIn => "BytesInPerSec",
            Metric::KafkaReplicationBytesIn => "ReplicationBytesInPerSec",
            Metric::KafkaUnderReplicatedPartitions => "UnderReplicatedPartitions",
            Metric::KafkaOfflinePartitions => "OfflinePartitionsCount",
            Metric::KafkaIsrShrinks => "IsrShrinksPerSec",
            Metric::KafkaIsrExpands => "IsrExpandsPerSec",
            Metric::KafkaRecordsSent => "Producer.RecordsSent",
            Metric::KafkaRecordsAcked => "Producer.RecordsAcked",
            Metric::KafkaRecordsFailed => "Producer.RecordsFailed",
            Metric::KafkaRecordsRetried => "Producer.RecordsRetried",
            Metric::KafkaRecordsLost => "Producer.AckedRecordsLost",
            Metric::KafkaRecordsDuplicated => "Producer.RecordsDuplicated",
            Metric::KafkaRecordsBlocked => "Producer.RecordsBlocked",
            Metric::KafkaRecordsConsumed => "Consumer.RecordsConsumed",
            Metric::KafkaConsumerLag => "Consumer.RecordsLag",
            Metric::KafkaRecordsReprocessed => "Consumer.RecordsReprocessed",
            Metric::KafkaKeyOrderViolations => "Consumer.KeyOrderViolations",
            Metric::KafkaRecordsSkipped => "Consumer.RecordsSkipped",
            Metric::KafkaPartitionPauseMillis => "Group.PartitionPauseMillis",
            // Running total of the time without a loaded coordinator (like the pause above).
            Metric::KafkaCoordinatorUnavailableMillis => "Group.CoordinatorUnavailableMillis",
            // OffsetCommit requests of members (and processors) that failed for want of one.
            Metric::KafkaCommitsFailedNoCoordinator => "Group.CommitsFailedNoCoordinator",
            Metric::KafkaCleanerDirtyBytes => "Cleaner.DirtyBytes",
            Metric::KafkaLogSizeBytes => "Log.SizeBytes",
            Metric::KafkaProcessorProcessed => "Processor.RecordsProcessed",
            Metric::KafkaProcessorOutputs => "Processor.OutputRecords",
            Metric::KafkaProcessorDuplicates => "Processor.DuplicateOutputs",
            Metric::KafkaProcessorMissing => "Processor.MissingOutputs",
        }
    }

    /// Gauges keep the last value of a second; counters sum.
    pub fn is_gauge(self) -> bool {
        matches!(
            self,
            Metric::IteratorAgeMilliseconds
                | Metric::KclMillisBehindLatest
                | Metric::KafkaUnderReplicatedPartitions
                | Metric::KafkaOfflinePartitions
                | Metric::KafkaConsumerLag
                | Metric::KafkaCleanerDirtyBytes
                | Metric::KafkaLogSizeBytes
                | Metric::KafkaProcessorMissing
        )
    }

    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }
}

/// One per-second time series: sparse buckets `(second, value)` plus a running total.
#[derive(Clone, Debug, Default)]
pub struct Series {
    buckets: VecDeque<(u64, u64)>,
    total: u64,
    last: u64,
}

impl Series {
    /// Adds `v` to the bucket of second `sec` (counter).
    #[inline]
    pub fn add(&mut self, sec: u64, v: u64) {
        self.total = self.total.saturating_add(v);
        self.last = v;
        match self.buckets.back_mut() {
            Some((s, val)) if *s == sec => *val = val.saturating_add(v),
            _ => self.push(sec, v),
        }
    }

    /// Records gauge value `v` at second `sec` (the bucket keeps the maximum of the second).
    pub fn set(&mut self, sec: u64, v: u64) {
        self.last = v;
        match self.buckets.back_mut() {
            Some((s, val)) if *s == sec => *val = (*val).max(v),
            _ => self.push(sec, v),
        }
    }

    fn push(&mut self, sec: u64, v: u64) {
        if self.buckets.len() >= SERIES_SECONDS_MAX {
            self.buckets.pop_front();
        }
        self.buckets.push_back((sec, v));
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn last(&self) -> u64 {
        self.last
    }

    /// Buckets with `sec >= from_sec`, oldest first.
    pub fn since(&self, from_sec: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.buckets
            .iter()
            .copied()
            .filter(move |(s, _)| *s >= from_sec)
    }

    /// The value of second `sec`: 0 for a second nothing was recorded in (unlike [`Series::last`],
    /// which keeps the last value recorded however long ago).
    pub fn at(&self, sec: u64) -> u64 {
        // Buckets are in second order; most reads are of the latest seconds.
        self.buckets
            .iter()
            .rev()
            .take_while(|(s, _)| *s >= sec)
            .find(|(s, _)| *s == sec)
            .map_or(0, |(_, v)| *v)
    }

    /// Largest per-second value at or after `from_sec`.
    pub fn max_since(&self, from_sec: u64) -> u64 {
        self.since(from_sec).map(|(_, v)| v).max().unwrap_or(0)
    }
}

/// The metrics of one scope (a shard, a stream, an application...).
#[derive(Clone, Debug, Default)]
pub struct MetricSet {
    series: Vec<(Metric, Series)>,
}

impl MetricSet {
    fn slot(&mut self, m: Metric) -> &mut Series {
        let i = if let Some(i) = self.series.iter().position(|(k, _)| *k == m) {
            i
        } else {
            self.series.push((m, Series::default()));
            self.series.len() - 1
        };
        &mut self.series[i].1
    }

    #[inline]
    pub fn add(&mut self, m: Metric, sec: u64, v: u64) {
        if v > 0 {
            self.slot(m).add(sec, v);
        }
    }

    pub fn set(&mut self, m: Metric, sec: u64, v: u64) {
        self.slot(m).set(sec, v);
    }

    pub fn get(&self, m: Metric) -> Option<&Series> {
        self.series.iter().find(|(k, _)| *k == m).map(|(_, s)| s)
    }

    pub fn total(&self, m: Metric) -> u64 {
        self.get(m).map_or(0, Series::total)
    }

    /// Metrics present in this set, in declaration order.
    pub fn present(&self) -> Vec<Metric> {
        let mut v: Vec<Metric> = self.series.iter().map(|(k, _)| *k).collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_bucket_by_second() {
        let mut m = MetricSet::default();
        m.add(Metric::IncomingRecords, 0, 3);
        m.add(Metric::IncomingRecords, 0, 2);
        m.add(Metric::IncomingRecords, 2, 1);
        let s = m.get(Metric::IncomingRecords).unwrap();
        assert_eq!(s.since(0).collect::<Vec<_>>(), vec![(0, 5), (2, 1)]);
        assert_eq!(s.total(), 6);
        assert_eq!(s.max_since(1), 1);
        assert_eq!((s.at(0), s.at(1), s.at(2), s.at(3)), (5, 0, 1, 0));
        assert_eq!(s.last(), 1, "last keeps the last value recorded");
    }
}
