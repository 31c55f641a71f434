//! A model of the Kinesis Client Library: a lease table (the DynamoDB table's role) with owners,
//! lease counters and checkpoints; workers that renew their leases, take expired or unowned
//! leases one at a time, poll shards with GetRecords, checkpoint, and process parents before
//! children after resharding. A killed worker's in-memory progress is lost: whoever takes its
//! leases (or the worker itself, restarted) resumes after the last checkpoint, so records after
//! it are processed again.

use super::shard::ReadRecord;
use super::{ErrorCode, IteratorType, KeyId, Kinesis, sequence_number, shard_id};
use crate::faults::{FaultPoint, Faults};
use crate::metrics::{Metric, MetricSet};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// Processed-record log entries kept per application (older ones are dropped; counters go on).
pub const PROCESSED_LOG_MAX: usize = 1_000_000;
/// Workers per application.
pub const WORKERS_MAX: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialPosition {
    TrimHorizon,
    Latest,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KclConfig {
    /// A lease not renewed for this long is expired and may be taken (failoverTimeMillis).
    pub failover: SimDuration,
    /// Time between GetRecords calls per shard (idleTimeBetweenReadsInMillis).
    pub poll_interval: SimDuration,
    pub max_records: u32,
    /// Checkpoint after this many records; 0 = after every batch.
    pub checkpoint_every: u64,
    pub initial_position: InitialPosition,
    /// What processing a record does downstream.
    pub sink: Sink,
}

/// The application's downstream side effect per processed record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    /// Every processed record applies its side effect (a payment posted, a row appended): a
    /// record processed again applies it again (`KCL.DuplicateSideEffects`).
    AtLeastOnce,
    /// Writes keyed by the record's shard and sequence number (a conditional put that skips a
    /// sequence number at or below the one stored for the shard): a record processed again is
    /// a no-op.
    IdempotentBySequence,
}

impl Default for KclConfig {
    fn default() -> Self {
        KclConfig {
            failover: SimDuration::from_secs(10),
            poll_interval: SimDuration::from_secs(1),
            max_records: 10_000,
            checkpoint_every: 0,
            initial_position: InitialPosition::TrimHorizon,
            sink: Sink::AtLeastOnce,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkpoint {
    TrimHorizon,
    Latest,
    /// After the record with this counter.
    Sequence(u64),
    ShardEnd,
}

/// A row of the lease table.
#[derive(Clone, Debug)]
pub struct Lease {
    pub shard: u32,
    pub owner: Option<String>,
    pub counter: u64,
    pub renewed_at: SimTime,
    pub checkpoint: Checkpoint,
    pub parents: Vec<u32>,
    pub owner_switches_since_checkpoint: u64,
}

#[derive(Clone, Debug, Default)]
struct ShardConsumer {
    iterator: Option<String>,
    last: Option<u64>,
    since_checkpoint: u64,
    next_poll: SimTime,
}

#[derive(Clone, Debug)]
pub struct Worker {
    pub id: String,
    pub alive: bool,
    pub incarnation: u64,
    next_take: SimTime,
    next_renew: SimTime,
    consumers: BTreeMap<u32, ShardConsumer>,
}

/// One processed record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processed {
    /// Index of the worker in [`KclApp::worker_names`].
    pub worker: u32,
    pub shard: u32,
    pub counter: u64,
    pub key: KeyId,
    pub at: SimTime,
    /// True if this record had been processed before (reprocessing after a restart/takeover).
    pub again: bool,
}

#[derive(Debug)]
pub struct KclApp {
    pub name: String,
    pub stream: String,
    pub config: KclConfig,
    pub leases: BTreeMap<u32, Lease>,
    pub workers: BTreeMap<String, Worker>,
    /// Worker ids in the order they first started (processed records refer to them by index).
    pub worker_names: Vec<String>,
    pub processed: Vec<Processed>,
    pub processed_total: u64,
    pub reprocessed_total: u64,
    high_water: BTreeMap<u32, u64>,
    pub metrics: MetricSet,
    /// Things that happened (lease taken, shard ended...), newest last, bounded.
    pub log: Vec<String>,
    rng: SimRng,
}

const LOG_MAX: usize = 10_000;

impl KclApp {
    pub fn new(name: &str, stream: &str, config: KclConfig, seed: u64) -> Self {
        KclApp {
            name: name.to_string(),
            stream: stream.to_string(),
            config,
            leases: BTreeMap::new(),
            workers: BTreeMap::new(),
            worker_names: Vec::new(),
            processed: Vec::new(),
            processed_total: 0,
            reprocessed_total: 0,
            high_water: BTreeMap::new(),
            metrics: MetricSet::default(),
            log: Vec::new(),
            rng: SimRng::fork(seed, &format!("kcl/{name}")),
        }
    }

    fn note(&mut self, now: SimTime, text: &str) {
        if self.log.len() >= LOG_MAX {
            self.log.remove(0);
        }
        self.log.push(format!("{} {text}", now.to_rfc3339()));
    }

    /// Starts (or restarts) a worker; returns its incarnation. A restarted worker keeps its id,
    /// so it renews the leases the table still shows it owning, and resumes from checkpoints.
    pub fn start_worker(&mut self, id: &str, now: SimTime) -> Result<u64, String> {
        if !self.workers.contains_key(id) && self.workers.len() >= WORKERS_MAX {
            return Err(format!("at most {WORKERS_MAX} workers per application"));
        }
        if !self.worker_names.iter().any(|n| n == id) {
            self.worker_names.push(id.to_string());
        }
        let w = self
            .workers
            .entry(id.to_string())
            .or_insert_with(|| Worker {
                id: id.to_string(),
                alive: false,
                incarnation: 0,
                next_take: now,
                next_renew: now,
                consumers: BTreeMap::new(),
            });
        if w.alive {
            return Err(format!(
                "worker {id} of application {} is already running",
                self.name
            ));
        }
        w.alive = true;
        w.incarnation += 1;
        w.next_take = now;
        w.next_renew = now;
        w.consumers.clear();
        let inc = w.incarnation;
        self.note(now, &format!("worker {id} started"));
        Ok(inc)
    }

    /// Kills a worker: it stops renewing and loses its in-memory progress.
    pub fn kill_worker(&mut self, id: &str, now: SimTime) -> Result<(), String> {
        match self.workers.get_mut(id) {
            Some(w) if w.alive => {
                w.alive = false;
                w.consumers.clear();
                self.note(now, &format!("worker {id} killed"));
                Ok(())
            }
            Some(_) => Err(format!(
                "worker {id} of application {} is not running",
                self.name
            )),
            None => Err(format!("no worker {id} in application {}", self.name)),
        }
    }

    fn expired(&self, l: &Lease, now: SimTime) -> bool {
        l.owner.is_none() || l.renewed_at + self.config.failover <= now
    }

    /// Creates leases for shards the table does not know yet (the shard sync). With
    /// TRIM_HORIZON every listed shard gets a lease, so ancestors are processed first; with
    /// LATEST only open shards do.
    fn sync_shards(&mut self, kinesis: &Kinesis) {
        let Ok(stream) = kinesis.stream(&self.stream) else {
            return;
        };
        for sh in stream.listed_shards() {
            if self.leases.contains_key(&sh.index) {
                continue;
            }
            let child_of_tracked = sh
                .parent
                .into_iter()
                .chain(sh.adjacent_parent)
                .any(|p| self.leases.contains_key(&p));
            let include = match self.config.initial_position {
                InitialPosition::TrimHorizon => true,
                InitialPosition::Latest => child_of_tracked,
            };
            let checkpoint = Checkpoint::TrimHorizon;
            if include {
                let parents: Vec<u32> = sh.parent.into_iter().chain(sh.adjacent_parent).collect();
                self.leases.insert(
                    sh.index,
                    Lease {
                        shard: sh.index,
                        owner: None,
                        counter: 0,
                        renewed_at: SimTime::ZERO,
                        checkpoint,
                        parents,
                        owner_switches_since_checkpoint: 0,
                    },
                );
            }
        }
    }

    /// One tick of worker `id`. Returns when it wants to run next, or None if it is dead.
    #[allow(clippy::too_many_lines)]
    pub fn tick_worker(
        &mut self,
        id: &str,
        kinesis: &mut Kinesis,
        faults: &mut Faults,
        now: SimTime,
    ) -> Option<SimTime> {
        let cfg = self.config.clone();
        let sec = now.as_secs();
        if !self.workers.get(id)?.alive {
            return None;
        }
        if self.leases.is_empty() {
            let latest_only = cfg.initial_position == InitialPosition::Latest;
            if latest_only {
                // Leases for the open shards only, starting at LATEST.
                if let Ok(stream) = kinesis.stream(&self.stream) {
                    // Their parents hold history from before the start: no lineage to wait for.
                    for &i in stream.open_shards() {
                        let parents = Vec::new();
                        self.leases.insert(
                            i,
                            Lease {
                                shard: i,
                                owner: None,
                                counter: 0,
                                renewed_at: SimTime::ZERO,
                                checkpoint: Checkpoint::Latest,
                                parents,
                                owner_switches_since_checkpoint: 0,
                            },
                        );
                    }
                }
            } else {
                self.sync_shards(kinesis);
            }
        }
        // 1. Renew the leases the table shows this worker owning; forget shards it lost.
        let worker = self.workers.get_mut(id)?;
        if now >= worker.next_renew {
            worker.next_renew = now + SimDuration(cfg.failover.0 / 3);
            for l in self.leases.values_mut() {
                if l.owner.as_deref() == Some(id) {
                    l.counter += 1;
                    l.renewed_at = now;
                }
            }
        }
        let worker = self.workers.get_mut(id)?;
        worker.consumers.retain(|s, _| {
            self.leases
                .get(s)
                .is_some_and(|l| l.owner.as_deref() == Some(id))
        });
        // 2. Take at most one lease per taking cycle.
        if now >= worker.next_take {
            worker.next_take = now + cfg.failover;
            self.take_one(id, now);
        }
        // 3. Process owned shards whose parents are done.
        let owned: Vec<u32> = self
            .leases
            .values()
            .filter(|l| l.owner.as_deref() == Some(id) && l.checkpoint != Checkpoint::ShardEnd)
            .map(|l| l.shard)
            .collect();
        for shard in owned {
            let parents_done = self.parents_done(shard, kinesis);
            if !parents_done {
                continue;
            }
            self.process_shard(id, shard, kinesis, faults, now, sec);
        }
        Some(now + cfg.poll_interval.min(SimDuration(cfg.failover.0 / 3)))
    }

    /// Whether every parent of `shard` has been processed to SHARD_END. A parent without a
    /// lease that the stream still lists gets one now (it is processed first); a parent past
    /// retention is done.
    fn parents_done(&mut self, shard: u32, kinesis: &Kinesis) -> bool {
        let parents = self.leases[&shard].parents.clone();
        let mut done = true;
        for p in parents {
            if let Some(l) = self.leases.get(&p) {
                done &= l.checkpoint == Checkpoint::ShardEnd;
                continue;
            }
            let Ok(stream) = kinesis.stream(&self.stream) else {
                continue;
            };
            let Some(sh) = stream.shards.get(p as usize).filter(|s| !s.expired) else {
                continue;
            };
            let grand = sh.parent.into_iter().chain(sh.adjacent_parent).collect();
            self.leases.insert(
                p,
                Lease {
                    shard: p,
                    owner: None,
                    counter: 0,
                    renewed_at: SimTime::ZERO,
                    checkpoint: Checkpoint::TrimHorizon,
                    parents: grand,
                    owner_switches_since_checkpoint: 0,
                },
            );
            done = false;
        }
        done
    }

    fn take_one(&mut self, id: &str, now: SimTime) {
        let active: Vec<&Lease> = self
            .leases
            .values()
            .filter(|l| l.checkpoint != Checkpoint::ShardEnd)
            .collect();
        if active.is_empty() {
            return;
        }
        let mut owners: BTreeMap<&str, usize> = BTreeMap::new();
        owners.insert(id, 0);
        for l in &active {
            if !self.expired(l, now)
                && let Some(o) = l.owner.as_deref()
            {
                *owners.entry(o).or_default() += 1;
            }
        }
        let target = active.len().div_ceil(owners.len());
        let mine = owners[id];
        if mine >= target {
            return;
        }
        // Leases nobody ever held are taken up to the target at once; leases of a worker that
        // stopped renewing are taken over one per taking cycle.
        let mut unowned: Vec<u32> = active
            .iter()
            .filter(|l| l.owner.is_none())
            .map(|l| l.shard)
            .collect();
        if !unowned.is_empty() {
            let want = (target - mine).min(unowned.len());
            for _ in 0..want {
                let i = self.rng.below(unowned.len() as u64) as usize;
                let pick = unowned.swap_remove(i);
                self.assign(pick, id, now);
            }
            return;
        }
        let available: Vec<u32> = active
            .iter()
            .filter(|l| self.expired(l, now))
            .map(|l| l.shard)
            .collect();
        let pick = if available.is_empty() {
            // Steal one lease from the most loaded worker if it holds more than the target.
            let (victim, n) = owners
                .iter()
                .filter(|(o, _)| **o != id)
                .max_by_key(|(o, n)| (**n, std::cmp::Reverse(**o)))
                .map(|(o, n)| ((*o).to_string(), *n))
                .unwrap_or_default();
            if n <= target {
                return;
            }
            let theirs: Vec<u32> = active
                .iter()
                .filter(|l| l.owner.as_deref() == Some(victim.as_str()))
                .map(|l| l.shard)
                .collect();
            theirs[self.rng.below(theirs.len() as u64) as usize]
        } else {
            available[self.rng.below(available.len() as u64) as usize]
        };
        self.assign(pick, id, now);
    }

    fn assign(&mut self, pick: u32, id: &str, now: SimTime) {
        let l = self.leases.get_mut(&pick).expect("picked lease exists");
        let prev = l.owner.replace(id.to_string());
        if prev.as_deref() != Some(id) {
            l.owner_switches_since_checkpoint += 1;
        }
        l.counter += 1;
        l.renewed_at = now;
        self.metrics.add(Metric::KclLeasesTaken, now.as_secs(), 1);
        let from = prev.map_or_else(|| "nobody".to_string(), |p| format!("worker {p}"));
        self.note(
            now,
            &format!("worker {id} took lease {} from {from}", shard_id(pick)),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn process_shard(
        &mut self,
        id: &str,
        shard: u32,
        kinesis: &mut Kinesis,
        faults: &mut Faults,
        now: SimTime,
        sec: u64,
    ) {
        let checkpoint = self.leases[&shard].checkpoint;
        let worker = self.workers.get_mut(id).expect("worker exists");
        let mut c = worker.consumers.remove(&shard).unwrap_or_default();
        if now < c.next_poll {
            worker.consumers.insert(shard, c);
            return;
        }
        if self.poll_shard(id, shard, &mut c, checkpoint, kinesis, faults, now, sec) {
            self.workers
                .get_mut(id)
                .expect("worker exists")
                .consumers
                .insert(shard, c);
        }
    }

    /// Polls one shard once; returns false when the shard is finished (drop the consumer).
    #[allow(clippy::too_many_arguments)]
    fn poll_shard(
        &mut self,
        id: &str,
        shard: u32,
        c: &mut ShardConsumer,
        checkpoint: Checkpoint,
        kinesis: &mut Kinesis,
        faults: &mut Faults,
        now: SimTime,
        sec: u64,
    ) -> bool {
        let cfg = self.config.clone();
        c.next_poll = now + cfg.poll_interval;
        if c.iterator.is_none() {
            let kind = match (c.last, checkpoint) {
                (Some(last), _) | (None, Checkpoint::Sequence(last)) => {
                    let Ok(stream) = kinesis.stream(&self.stream) else {
                        return true;
                    };
                    let Some(sh) = stream.shards.get(shard as usize) else {
                        return true;
                    };
                    IteratorType::AfterSequenceNumber(sequence_number(sh, last))
                }
                (None, Checkpoint::Latest) => IteratorType::Latest,
                (None, _) => IteratorType::TrimHorizon,
            };
            match kinesis.get_shard_iterator(&self.stream, &shard_id(shard), kind, now) {
                Ok(it) => c.iterator = Some(it),
                Err(e) if e.code == ErrorCode::ResourceNotFound => {
                    self.finish_shard(shard, Vec::new(), now);
                    return false;
                }
                Err(_) => return true,
            }
        }
        let it = c.iterator.clone().expect("iterator set above");
        let out = match kinesis.get_records(&it, Some(cfg.max_records), now, faults) {
            Ok(o) => o,
            Err(e) => {
                match e.code {
                    ErrorCode::ExpiredIterator => c.iterator = None,
                    ErrorCode::ResourceNotFound => {
                        self.finish_shard(shard, Vec::new(), now);
                        return false;
                    }
                    _ => {}
                }
                return true;
            }
        };
        let n = out.records.len() as u64;
        let duplicates = self.apply(id, shard, &out.records, now);
        if let Some(r) = out.records.last() {
            c.last = Some(r.counter);
        }
        c.since_checkpoint += n;
        self.metrics.add(Metric::KclRecordsProcessed, sec, n);
        self.metrics
            .add(Metric::KclDuplicateSideEffects, sec, duplicates);
        self.metrics
            .set(Metric::KclMillisBehindLatest, sec, out.millis_behind_latest);
        let due = if cfg.checkpoint_every == 0 {
            n > 0
        } else {
            c.since_checkpoint >= cfg.checkpoint_every
        };
        let last = c.last;
        if out.next_iterator.is_none() {
            let children = out
                .child_shards
                .iter()
                .map(|ch| (ch.shard, ch.parents.clone()))
                .collect();
            self.finish_shard(shard, children, now);
            return false;
        }
        c.iterator = out.next_iterator;
        if due && let Some(last) = last {
            if faults.fire(FaultPoint::KclCheckpointFailure) {
                self.note(
                    now,
                    &format!("worker {id} failed to checkpoint {}", shard_id(shard)),
                );
            } else {
                c.since_checkpoint = 0;
                let l = self.leases.get_mut(&shard).expect("lease exists");
                l.checkpoint = Checkpoint::Sequence(last);
                l.owner_switches_since_checkpoint = 0;
            }
        }
        self.count_reprocessed(sec);
        true
    }

    /// Runs the record processor over a batch: logs each record, notes the ones processed
    /// before, and returns how many of those applied their side effect again.
    fn apply(&mut self, id: &str, shard: u32, records: &[ReadRecord], now: SimTime) -> u64 {
        let worker_index = self.worker_names.iter().position(|w| w == id).unwrap_or(0) as u32;
        let mut duplicates = 0u64;
        for r in records {
            let hw = self.high_water.entry(shard).or_insert(0);
            let again = *hw > r.counter;
            *hw = (*hw).max(r.counter + 1);
            self.processed_total += 1;
            if again {
                self.reprocessed_total += 1;
                if self.config.sink == Sink::AtLeastOnce {
                    duplicates += 1;
                }
            }
            if self.processed.len() < PROCESSED_LOG_MAX {
                self.processed.push(Processed {
                    worker: worker_index,
                    shard,
                    counter: r.counter,
                    key: r.key,
                    at: now,
                    again,
                });
            }
        }
        duplicates
    }

    fn count_reprocessed(&mut self, sec: u64) {
        let before = self.metrics.total(Metric::KclRecordsReprocessed);
        if self.reprocessed_total > before {
            self.metrics.add(
                Metric::KclRecordsReprocessed,
                sec,
                self.reprocessed_total - before,
            );
        }
    }

    /// The shard is fully processed: checkpoint SHARD_END and create the children's leases.
    fn finish_shard(&mut self, shard: u32, children: Vec<(u32, Vec<u32>)>, now: SimTime) {
        if let Some(l) = self.leases.get_mut(&shard) {
            l.checkpoint = Checkpoint::ShardEnd;
            l.owner_switches_since_checkpoint = 0;
        }
        for w in self.workers.values_mut() {
            w.consumers.remove(&shard);
        }
        for (c, parents) in children {
            self.leases.entry(c).or_insert(Lease {
                shard: c,
                owner: None,
                counter: 0,
                renewed_at: SimTime::ZERO,
                checkpoint: Checkpoint::TrimHorizon,
                parents,
                owner_switches_since_checkpoint: 0,
            });
        }
        self.count_reprocessed(now.as_secs());
        self.note(now, &format!("{} reached SHARD_END", shard_id(shard)));
    }

    /// Periodic shard discovery (children of shards whose leases finished elsewhere, new
    /// shards of on-demand scaling).
    pub fn periodic_sync(&mut self, kinesis: &Kinesis) {
        if !self.leases.is_empty() {
            self.sync_shards(kinesis);
        }
    }

    /// The checkpoint of `shard` as AWS's lease table shows it.
    pub fn checkpoint_text(&self, kinesis: &Kinesis, l: &Lease) -> String {
        match l.checkpoint {
            Checkpoint::TrimHorizon => "TRIM_HORIZON".into(),
            Checkpoint::Latest => "LATEST".into(),
            Checkpoint::ShardEnd => "SHARD_END".into(),
            Checkpoint::Sequence(c) => kinesis
                .stream(&self.stream)
                .ok()
                .and_then(|s| s.shards.get(l.shard as usize))
                .map_or_else(|| c.to_string(), |sh| sequence_number(sh, c)),
        }
    }
}
