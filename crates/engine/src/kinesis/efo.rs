//! Enhanced fan-out: registered consumers (at most 20 per stream) each get their own 2 MiB/s per
//! shard, pushed over a subscription that lasts five minutes. Pushed reads do not count against
//! the shard's shared GetRecords limits.

use super::shard::{GET_RECORDS_RECORDS_MAX, ReadRecord};
use super::stream::{ChildShard, Stream};
use super::{ErrorCode, KeyId, KinesisError, Result, parse_sequence_number, sequence_number};
use crate::metrics::{Metric, MetricSet};
use crate::time::{MICROS_PER_SEC, SimDuration, SimTime};
use std::collections::{BTreeMap, VecDeque};

pub const CONSUMERS_PER_STREAM_MAX: usize = 20;
pub const EFO_BYTES_PER_SEC: u64 = 2 * 1_048_576;
pub const SUBSCRIPTION_TTL: SimDuration = SimDuration::from_secs(300);
/// A registered consumer is CREATING for this long, then ACTIVE.
pub const CONSUMER_CREATION: SimDuration = SimDuration::from_secs(5);
/// Undrained events kept per subscription (oldest dropped beyond it).
pub const EVENTS_BUFFERED_MAX: usize = 1_000;

/// One SubscribeToShardEvent.
#[derive(Clone, Debug)]
pub struct SubscribeEvent {
    pub shard: u32,
    pub records: Vec<ReadRecord>,
    pub continuation_sequence_number: String,
    pub millis_behind_latest: u64,
    pub child_shards: Vec<ChildShard>,
    pub at: SimTime,
}

#[derive(Clone, Debug)]
pub struct Subscription {
    pub position: u64,
    pub started: SimTime,
    pub expires: SimTime,
    pub ended: bool,
    pub events: VecDeque<SubscribeEvent>,
    pub dropped_events: u64,
    free_at: SimTime,
}

#[derive(Clone, Debug)]
pub struct Consumer {
    pub name: String,
    pub arn: String,
    pub created: SimTime,
    pub subscriptions: BTreeMap<u32, Subscription>,
    pub metrics: MetricSet,
}

impl Consumer {
    pub fn status(&self, now: SimTime) -> &'static str {
        if now < self.created + CONSUMER_CREATION {
            "CREATING"
        } else {
            "ACTIVE"
        }
    }
}

/// Where a subscription starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartingPosition {
    TrimHorizon,
    Latest,
    AtSequenceNumber(String),
    AfterSequenceNumber(String),
    AtTimestamp(SimTime),
}

impl Stream {
    pub fn register_consumer(&mut self, name: &str, now: SimTime) -> Result<&Consumer> {
        if name.is_empty() || name.len() > 128 {
            return Err(KinesisError::new(
                ErrorCode::Validation,
                "ConsumerName must have length 1..128",
            ));
        }
        if self.consumers.iter().any(|c| c.name == name) {
            return Err(KinesisError::new(
                ErrorCode::ResourceInUse,
                format!("Consumer {name} already exists on stream {}", self.arn()),
            ));
        }
        if self.consumers.len() >= CONSUMERS_PER_STREAM_MAX {
            return Err(KinesisError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "Stream {} already has {CONSUMERS_PER_STREAM_MAX} registered consumers, the maximum",
                    self.name
                ),
            ));
        }
        let arn = format!(
            "{}/consumer/{name}:{}",
            self.arn(),
            crate::time::epoch_unix_seconds() + now.as_secs()
        );
        self.consumers.push(Consumer {
            name: name.to_string(),
            arn,
            created: now,
            subscriptions: BTreeMap::new(),
            metrics: MetricSet::default(),
        });
        Ok(self.consumers.last().expect("just pushed"))
    }

    pub fn deregister_consumer(&mut self, name_or_arn: &str) -> Result<()> {
        let before = self.consumers.len();
        self.consumers
            .retain(|c| c.name != name_or_arn && c.arn != name_or_arn);
        if self.consumers.len() == before {
            return Err(KinesisError::new(
                ErrorCode::ResourceNotFound,
                format!("Consumer {name_or_arn} not found"),
            ));
        }
        Ok(())
    }

    pub fn consumer_index(&self, name_or_arn: &str) -> Result<usize> {
        self.consumers
            .iter()
            .position(|c| c.name == name_or_arn || c.arn == name_or_arn)
            .ok_or_else(|| {
                KinesisError::new(
                    ErrorCode::ResourceNotFound,
                    format!("Consumer {name_or_arn} not found on stream {}", self.name),
                )
            })
    }

    pub fn subscribe(
        &mut self,
        consumer: usize,
        shard_id: &str,
        start: &StartingPosition,
        now: SimTime,
    ) -> Result<()> {
        let sh = self.shard_by_id(shard_id)?;
        let c = &self.consumers[consumer];
        if c.status(now) != "ACTIVE" {
            return Err(KinesisError::new(
                ErrorCode::ResourceInUse,
                format!("Consumer {} is not ACTIVE yet (CREATING)", c.arn),
            ));
        }
        if c.subscriptions
            .get(&sh.index)
            .is_some_and(|s| !s.ended && now < s.expires)
        {
            return Err(KinesisError::new(
                ErrorCode::ResourceInUse,
                format!(
                    "Another active subscription exists for consumer {} on shard {shard_id}",
                    c.arn
                ),
            ));
        }
        let seq = |s: &str| -> Result<u64> {
            match parse_sequence_number(s) {
                Some((i, ctr)) if i == sh.index && ctr < sh.next => Ok(ctr),
                _ => Err(KinesisError::invalid(format!(
                    "StartingSequenceNumber {s} is invalid for shard {shard_id}"
                ))),
            }
        };
        let position = match start {
            StartingPosition::TrimHorizon => sh.first_retained(),
            StartingPosition::Latest => sh.next,
            StartingPosition::AtSequenceNumber(s) => seq(s)?,
            StartingPosition::AfterSequenceNumber(s) => seq(s)? + 1,
            StartingPosition::AtTimestamp(t) => sh.counter_at_time(*t),
        };
        let idx = sh.index;
        self.consumers[consumer].subscriptions.insert(
            idx,
            Subscription {
                position,
                started: now,
                expires: now + SUBSCRIPTION_TTL,
                ended: false,
                events: VecDeque::new(),
                dropped_events: 0,
                free_at: now,
            },
        );
        Ok(())
    }

    /// Pushes records to every live subscription, at most 2 MiB/s each.
    pub fn push_efo(&mut self, now: SimTime, key_len: &impl Fn(KeyId) -> u64) {
        let sec = now.as_secs();
        for ci in 0..self.consumers.len() {
            let shards: Vec<u32> = self.consumers[ci].subscriptions.keys().copied().collect();
            for si in shards {
                let sub = &self.consumers[ci].subscriptions[&si];
                if sub.ended || now < sub.free_at {
                    continue;
                }
                if now >= sub.expires {
                    self.consumers[ci]
                        .subscriptions
                        .get_mut(&si)
                        .expect("exists")
                        .ended = true;
                    continue;
                }
                let sh = &self.shards[si as usize];
                let (records, next) = sh.read(
                    sub.position,
                    GET_RECORDS_RECORDS_MAX,
                    EFO_BYTES_PER_SEC,
                    key_len,
                );
                let at_end = sh.closed.is_some() && next >= sh.next;
                if records.is_empty() && !at_end {
                    continue;
                }
                let bytes: u64 = records
                    .iter()
                    .map(|r| u64::from(r.size) + key_len(r.key))
                    .sum();
                let millis = if next >= sh.next {
                    0
                } else {
                    sh.arrival_of(next).map_or(0, |t| now.since(t).as_millis())
                };
                let cont = sequence_number(sh, next.saturating_sub(1).max(sh.base));
                let children = if at_end {
                    sh.children.clone()
                } else {
                    Vec::new()
                };
                let child_shards = children.iter().map(|&c| self.child_shard(c)).collect();
                let n = records.len() as u64;
                let c = &mut self.consumers[ci];
                c.metrics.add(Metric::SubscribeToShardEventRecords, sec, n);
                c.metrics
                    .add(Metric::SubscribeToShardEventBytes, sec, bytes);
                let sub = c.subscriptions.get_mut(&si).expect("exists");
                sub.position = next;
                let hold =
                    u128::from(bytes) * u128::from(MICROS_PER_SEC) / u128::from(EFO_BYTES_PER_SEC);
                sub.free_at = SimTime(sub.free_at.max(now).0 + hold as u64);
                if sub.events.len() >= EVENTS_BUFFERED_MAX {
                    sub.events.pop_front();
                    sub.dropped_events += 1;
                }
                sub.events.push_back(SubscribeEvent {
                    shard: si,
                    records,
                    continuation_sequence_number: cont,
                    millis_behind_latest: millis,
                    child_shards,
                    at: now,
                });
                if at_end {
                    sub.ended = true;
                }
                self.metrics
                    .add(Metric::SubscribeToShardEventRecords, sec, n);
                self.metrics
                    .add(Metric::SubscribeToShardEventBytes, sec, bytes);
            }
        }
    }

    /// Takes the buffered events of a consumer's subscription to `shard`.
    pub fn drain_events(&mut self, consumer: usize, shard: u32) -> Vec<SubscribeEvent> {
        self.consumers[consumer]
            .subscriptions
            .get_mut(&shard)
            .map(|s| s.events.drain(..).collect())
            .unwrap_or_default()
    }
}
