//! Produce requests and reads of a partition's state: appending batches and transaction
//! markers, `acks`, where an `acks=all` request stands, fetchability and `ListOffsets`.

use super::{BrokerState, Cluster, Partition, SEGMENT_ROLL_DISK_BYTES, list, tp};
use crate::kafka::error::{ErrorCode, KafkaError, Result};
use crate::kafka::log::{Batch, NO_KEY, SequenceCheck, SequenceError};
use crate::metrics::Metric;
use crate::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acks {
    None,
    Leader,
    All,
}

impl Acks {
    pub fn parse(s: &str) -> Option<Acks> {
        match s {
            "0" => Some(Acks::None),
            "1" => Some(Acks::Leader),
            "all" | "-1" => Some(Acks::All),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        }
    }
}

/// Where a produce request stands once the leader has appended it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    pub base_offset: u64,
    pub leader_epoch: u32,
    /// An idempotent retry of a batch already written: acknowledged without writing.
    pub duplicate: bool,
}

/// An `acks=all` request waiting for the high watermark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckState {
    Pending,
    Committed,
    Failed(ErrorCode),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    Timestamp(SimTime),
}

impl Cluster {
    /// Produce: the leader checks and appends a batch. `Err(RequestTimedOut)` means the
    /// leader is unresponsive: the client learns it only after `request.timeout.ms`.
    #[allow(clippy::too_many_lines)]
    pub fn produce(
        &mut self,
        topic: &str,
        partition: u32,
        acks: Acks,
        batch: Batch,
        now: SimTime,
    ) -> Result<Appended> {
        let min_insync;
        let max_bytes;
        let compacted;
        {
            let t = self.topic(topic)?;
            min_insync = self.min_insync(t);
            max_bytes = t.config.max_message_bytes;
            compacted = t.config.log.cleanup_policy.compacts();
        }
        let p = self.partition(topic, partition)?;
        let Some(leader) = p.leader else {
            return Err(KafkaError::new(
                ErrorCode::LeaderNotAvailable,
                format!(
                    "There is no leader for this topic-partition: {}",
                    tp(topic, partition)
                ),
            ));
        };
        let broker = &self.brokers[&leader];
        match broker.state {
            BrokerState::Stopped => {
                return Err(KafkaError::new(
                    ErrorCode::NetworkException,
                    format!("Connection to node {leader} was refused"),
                ));
            }
            BrokerState::Paused(_) => {
                return Err(KafkaError::new(
                    ErrorCode::RequestTimedOut,
                    format!("broker {leader} did not answer"),
                ));
            }
            BrokerState::Running => {}
        }
        if broker.fenced {
            return Err(KafkaError::new(
                ErrorCode::NotLeaderOrFollower,
                format!(
                    "broker {leader} is no longer the leader of {}",
                    tp(topic, partition)
                ),
            ));
        }
        // The engine's batches aggregate a tick's records (and a flow batch a second's), so
        // the limit applies to each record, as it does to a producer's batch of one.
        let largest = u64::from(batch.records.max_size().unwrap_or(batch.flow_size));
        if largest > max_bytes {
            return Err(KafkaError::new(
                ErrorCode::MessageTooLarge,
                format!(
                    "The request included a message larger than the max message size the server will accept ({max_bytes})"
                ),
            ));
        }
        if compacted && (batch.is_flow() || batch.records.iter().any(|r| r.key == NO_KEY)) {
            return Err(KafkaError::new(
                ErrorCode::InvalidRecord,
                "Compacted topic cannot accept message without key",
            ));
        }
        if acks == Acks::All && (p.isr.len() as u32) < min_insync {
            return Err(KafkaError::new(
                ErrorCode::NotEnoughReplicas,
                format!(
                    "The size of the current ISR {} is insufficient to satisfy the min.isr requirement of {min_insync} for partition {}",
                    list(&p.isr),
                    tp(topic, partition)
                ),
            ));
        }
        match p.log.check_sequence(batch.writer, batch.count) {
            Err(SequenceError::ProducerFenced) => {
                return Err(KafkaError::new(
                    ErrorCode::ProducerFenced,
                    "There is a newer producer with the same transactionalId which fences the current one.",
                ));
            }
            Err(SequenceError::OutOfOrderSequence) => {
                return Err(KafkaError::new(
                    ErrorCode::OutOfOrderSequenceNumber,
                    format!(
                        "Out of order sequence number for producer {} at offset {} in partition {}",
                        batch.writer.producer_id,
                        p.log.end_offset,
                        tp(topic, partition)
                    ),
                ));
            }
            Ok(SequenceCheck::Duplicate(base_offset)) => {
                return Ok(Appended {
                    base_offset,
                    leader_epoch: p.leader_epoch,
                    duplicate: true,
                });
            }
            Ok(SequenceCheck::Append) => {}
        }
        let bytes = batch.bytes;
        let records = batch.record_count();
        let sec = now.as_secs();
        let p = self.partition_mut(topic, partition)?;
        let mut batch = batch;
        batch.leader_epoch = p.leader_epoch;
        let segments_before = p.log.segment_count();
        let base_offset = p.log.append(batch, now);
        let rolled = p.log.segment_count() > segments_before && segments_before > 0;
        let leader_epoch = p.leader_epoch;
        if let Some(r) = p.replicas.iter_mut().find(|r| r.broker == leader) {
            r.leo = p.log.end_offset;
            r.last_caught_up = now;
        }
        if p.isr.len() == 1 {
            p.high_watermark = p.log.end_offset;
        }
        let was_quiet = std::mem::replace(&mut p.quiet, false);
        p.metrics.add(Metric::KafkaMessagesIn, sec, records);
        p.metrics.add(Metric::KafkaBytesIn, sec, bytes);
        // A partition that is not quiet is in `active` already: no key to build per batch.
        if was_quiet {
            self.active.insert((topic.to_string(), partition));
        }
        let b = self.brokers.get_mut(&leader).expect("leader exists");
        let disk = bytes + if rolled { SEGMENT_ROLL_DISK_BYTES } else { 0 };
        b.disk_left -= disk as i64;
        b.net_in_left -= bytes as i64;
        b.metrics.add(Metric::KafkaBytesIn, sec, bytes);
        b.metrics.add(Metric::KafkaMessagesIn, sec, records);
        Ok(Appended {
            base_offset,
            leader_epoch,
            duplicate: false,
        })
    }

    /// Appends a transaction marker to a partition (from the transaction coordinator).
    pub fn write_marker(
        &mut self,
        topic: &str,
        partition: u32,
        batch: Batch,
        now: SimTime,
    ) -> Result<()> {
        let p = self.partition(topic, partition)?;
        let leader = p
            .leader
            .filter(|l| self.brokers.get(l).is_some_and(|b| b.is_up() && !b.fenced));
        if leader.is_none() {
            return Err(KafkaError::new(
                ErrorCode::LeaderNotAvailable,
                format!("no leader for {}", tp(topic, partition)),
            ));
        }
        let p = self.partition_mut(topic, partition)?;
        p.log.append(batch, now);
        if let Some(r) = p.replicas.iter_mut().find(|r| Some(r.broker) == leader) {
            r.leo = p.log.end_offset;
        }
        if p.isr.len() == 1 {
            p.high_watermark = p.log.end_offset;
        }
        if std::mem::replace(&mut p.quiet, false) {
            self.active.insert((topic.to_string(), partition));
        }
        Ok(())
    }

    /// Whether a consumer can fetch from the partition now: it has a leader and the leader is
    /// up and in the cluster.
    pub fn fetchable(&self, p: &Partition) -> bool {
        p.leader
            .and_then(|l| self.brokers.get(&l))
            .is_some_and(|b| b.is_up() && !b.fenced)
    }

    /// Where an `acks=all` request for `[base, end)` appended in `leader_epoch` stands.
    pub fn ack_state(&self, topic: &str, partition: u32, leader_epoch: u32, end: u64) -> AckState {
        let Ok(t) = self.topic(topic) else {
            return AckState::Failed(ErrorCode::UnknownTopicOrPartition);
        };
        let Some(p) = t.partitions.get(partition as usize) else {
            return AckState::Failed(ErrorCode::UnknownTopicOrPartition);
        };
        if p.leader_epoch != leader_epoch || p.leader.is_none() {
            return AckState::Failed(ErrorCode::NotLeaderOrFollower);
        }
        if p.high_watermark >= end {
            if (p.isr.len() as u32) < self.min_insync(t) {
                AckState::Failed(ErrorCode::NotEnoughReplicasAfterAppend)
            } else {
                AckState::Committed
            }
        } else {
            AckState::Pending
        }
    }

    /// The producer has been told the batch at `base_offset` is written.
    pub fn mark_acked(&mut self, topic: &str, partition: u32, base_offset: u64) {
        if let Ok(p) = self.partition_mut(topic, partition) {
            p.log.mark_acked(base_offset);
        }
    }

    /// Log size and cleaner backlog of a topic, for the live views.
    pub fn topic_bytes(&self, topic: &str) -> (u64, u64) {
        self.topic(topic).map_or((0, 0), |t| {
            t.partitions.iter().fold((0, 0), |(s, d), p| {
                (s + p.log.bytes, d + p.log.cleanable_bytes().0)
            })
        })
    }

    /// `ListOffsets`: earliest, latest (the high watermark) or by timestamp.
    pub fn list_offset(&self, topic: &str, partition: u32, spec: OffsetSpec) -> Result<u64> {
        let p = self.partition(topic, partition)?;
        Ok(match spec {
            OffsetSpec::Earliest => p.log.start_offset,
            OffsetSpec::Latest => p.high_watermark,
            OffsetSpec::Timestamp(t) => p.log.offset_for_time(t).min(p.high_watermark),
        })
    }
}
