//! A hand-written polling consumer of one shard (no KCL): it holds a shard iterator, calls
//! GetRecords, then spends `poll` (its processing time, or a sleep) before the next call. An
//! iterator older than 5 minutes fails with ExpiredIteratorException; what the consumer does
//! then is its `on_expired` policy. It remembers the last record it processed, so its metrics
//! can tell records skipped (a gap) from records read twice.

use super::{ErrorCode, IteratorType, Kinesis, sequence_number, shard_id};
use crate::faults::Faults;
use crate::metrics::{Metric, MetricSet};
use crate::time::{SimDuration, SimTime};

/// How often a poller's event runs (it calls GetRecords only when its `poll` has passed).
pub const POLLER_TICK: SimDuration = SimDuration::from_secs(1);
/// Records per GetRecords call (the API's maximum).
pub const POLLER_LIMIT: u32 = 10_000;

/// What a poller does when GetRecords says its iterator expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnExpired {
    /// The exception is unhandled: the consumer stops.
    Fail,
    /// A new LATEST iterator: whatever arrived since the last read is skipped.
    Latest,
    /// A new TRIM_HORIZON iterator: everything retained is read again.
    TrimHorizon,
    /// A new AFTER_SEQUENCE_NUMBER iterator after the last processed record.
    AfterLast,
}

impl OnExpired {
    pub fn parse(text: &str) -> Option<OnExpired> {
        match text {
            "fail" => Some(OnExpired::Fail),
            "latest" => Some(OnExpired::Latest),
            "trim-horizon" => Some(OnExpired::TrimHorizon),
            "after-last" => Some(OnExpired::AfterLast),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OnExpired::Fail => "fail",
            OnExpired::Latest => "latest",
            OnExpired::TrimHorizon => "trim-horizon",
            OnExpired::AfterLast => "after-last",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Poller {
    pub name: String,
    pub stream: String,
    pub shard: u32,
    pub poll: SimDuration,
    pub on_expired: OnExpired,
    pub running: bool,
    iterator: Option<String>,
    next_poll: SimTime,
    /// The next counter the consumer expects (one past the last processed record).
    expected: u64,
    pub last_error: Option<String>,
    pub metrics: MetricSet,
}

impl Poller {
    /// A poller starting at LATEST now.
    pub fn start(
        name: &str,
        kinesis: &mut Kinesis,
        stream: &str,
        shard: &str,
        poll: SimDuration,
        on_expired: OnExpired,
        now: SimTime,
    ) -> Result<Poller, String> {
        let it = kinesis
            .get_shard_iterator(stream, shard, IteratorType::Latest, now)
            .map_err(|e| e.to_string())?;
        let s = kinesis.stream(stream).map_err(|e| e.to_string())?;
        let index = super::shard::parse_shard_id(shard).ok_or("bad shard id")?;
        let expected = s.shards.get(index as usize).map_or(0, |sh| sh.next);
        Ok(Poller {
            name: name.to_string(),
            stream: stream.to_string(),
            shard: index,
            poll,
            on_expired,
            running: true,
            iterator: Some(it),
            next_poll: now,
            expected,
            last_error: None,
            metrics: MetricSet::default(),
        })
    }

    /// A redeploy: new settings; a stopped consumer starts again (with its stale iterator, so
    /// its `on_expired` policy decides where it resumes). The next call is at most `poll` away.
    pub fn configure(
        &mut self,
        poll: Option<SimDuration>,
        on_expired: Option<OnExpired>,
        now: SimTime,
    ) {
        if let Some(p) = poll {
            self.poll = p;
            self.next_poll = self.next_poll.min(now + p);
        }
        if let Some(o) = on_expired {
            self.on_expired = o;
        }
        if !self.running {
            self.running = true;
            self.next_poll = now;
        }
    }

    pub fn tick(&mut self, kinesis: &mut Kinesis, faults: &mut Faults, now: SimTime) {
        if !self.running || now < self.next_poll {
            return;
        }
        self.next_poll = now + self.poll;
        let sec = now.as_secs();
        let Some(it) = self.iterator.clone() else {
            return;
        };
        let out = match kinesis.get_records(&it, Some(POLLER_LIMIT), now, faults) {
            Ok(o) => o,
            Err(e) if e.code == ErrorCode::ExpiredIterator => {
                self.metrics.add(Metric::PollerExpiredIterators, sec, 1);
                self.last_error = Some(e.to_string());
                let kind = match self.on_expired {
                    OnExpired::Fail => {
                        self.running = false;
                        return;
                    }
                    OnExpired::Latest => IteratorType::Latest,
                    OnExpired::TrimHorizon => IteratorType::TrimHorizon,
                    OnExpired::AfterLast => {
                        let Ok(s) = kinesis.stream(&self.stream) else {
                            return;
                        };
                        let Some(sh) = s.shards.get(self.shard as usize) else {
                            return;
                        };
                        if self.expected > sh.base {
                            IteratorType::AfterSequenceNumber(sequence_number(
                                sh,
                                self.expected - 1,
                            ))
                        } else {
                            IteratorType::TrimHorizon
                        }
                    }
                };
                self.iterator = kinesis
                    .get_shard_iterator(&self.stream, &shard_id(self.shard), kind, now)
                    .ok();
                // Retry at once with the fresh iterator.
                self.next_poll = now;
                return;
            }
            Err(e) => {
                self.last_error = Some(e.to_string());
                return;
            }
        };
        let (mut read, mut skipped, mut again) = (0u64, 0u64, 0u64);
        for r in &out.records {
            read += 1;
            if r.counter < self.expected {
                again += 1;
            } else {
                skipped += r.counter - self.expected;
                self.expected = r.counter + 1;
            }
        }
        self.metrics.add(Metric::PollerRecordsRead, sec, read);
        self.metrics.add(Metric::PollerRecordsSkipped, sec, skipped);
        self.metrics
            .add(Metric::PollerRecordsDuplicated, sec, again);
        self.iterator = out.next_iterator;
    }
}
