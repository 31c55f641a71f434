//! Workload generators writing to Kinesis streams, in record mode (every record drawn: a key
//! and a size, its shard from a per-generator cache rebuilt when the stream's topology epoch
//! changes) or flow mode (once per second, each shard's share of the rate as one segment); see
//! the module docs of [`crate`]. The simulation ([`crate::sim::Sim`]) keeps the registry and
//! schedules the ticks.

use super::{KeyId, Kinesis};
use crate::faults::Faults;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::workload::{GenMode, KeyDist, KeySampler, Pacer, SizeDist};
use std::collections::BTreeMap;

/// Record mode: most records drawn in one generator tick (bounds the tick's buffers).
pub const RECORDS_PER_TICK_MAX: u64 = 2_000_000;

/// A workload generator's definition.
#[derive(Clone, Debug)]
pub struct GeneratorSpec {
    pub name: String,
    pub stream: String,
    pub rate_per_sec: u64,
    pub size: SizeDist,
    pub keys: KeyDist,
    pub mode: GenMode,
    /// Record mode: records are emitted in batches this far apart, spread evenly in between.
    pub tick: SimDuration,
}

/// What a generator has done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GeneratorStats {
    pub offered: u64,
    pub accepted: u64,
    pub throttled: u64,
    pub failed: u64,
}

#[derive(Debug)]
pub struct Generator {
    pub id: u64,
    pub spec: GeneratorSpec,
    pub stats: GeneratorStats,
    pacer: Pacer,
    sampler: KeySampler,
    rng: SimRng,
    keys: Vec<GenKey>,
    /// The open shard of each key (hot path: 4 bytes per key), valid for `cache_epoch`.
    shard_of: Vec<u32>,
    /// When the generator's keys were interned as one contiguous run of ids (the usual case),
    /// the first id: key `i` is then `base + i` and its length follows from `i`, so a draw
    /// touches only `shard_of`.
    key_base: Option<KeyId>,
    last_tick: SimTime,
    /// flow mode: (shard, probability) pairs, valid for `cache_epoch`.
    flow_weights: Vec<(u32, f64)>,
    flow_carry: BTreeMap<u32, f64>,
    /// (stream id, topology epoch) the caches were built for.
    cache_epoch: (u32, u64),
    /// Record mode: the current tick's draws, and buffers for grouping them by shard.
    batch: Vec<Draw>,
    sorted: Vec<Draw>,
    counts: Vec<u32>,
}

/// One drawn record of a tick.
#[derive(Clone, Copy, Debug, Default)]
struct Draw {
    shard: u32,
    t: u64,
    key: KeyId,
    key_len: u32,
    size: u32,
}

/// A generator key: its interned id, length and (cached) open shard, packed so one cache line
/// fetch serves a draw.
#[derive(Clone, Copy, Debug, Default)]
struct GenKey {
    id: KeyId,
    len: u32,
    shard: u32,
}

impl Generator {
    /// Checks `spec` against the stream it writes to and builds generator `id`, interning its
    /// keys in `kinesis`'s key table.
    pub(crate) fn new(
        id: u64,
        spec: GeneratorSpec,
        kinesis: &mut Kinesis,
        seed: u64,
        now: SimTime,
    ) -> Result<Generator, String> {
        kinesis.stream(&spec.stream).map_err(|e| e.to_string())?;
        if spec.rate_per_sec == 0 || spec.rate_per_sec > crate::workload::RATE_MAX {
            return Err(format!(
                "rate must be between 1 and {} records/s",
                crate::workload::RATE_MAX
            ));
        }
        if spec.tick < SimDuration::from_millis(1) || spec.tick > SimDuration::from_secs(10) {
            return Err("tick must be between 1ms and 10s".into());
        }
        let per_tick = u128::from(spec.rate_per_sec) * u128::from(spec.tick.0) / 1_000_000;
        if spec.mode == GenMode::Record && per_tick > u128::from(RECORDS_PER_TICK_MAX) {
            return Err(format!(
                "{} records/s with a {} tick is {per_tick} records per tick; at most {RECORDS_PER_TICK_MAX} (shorten --tick or use --mode flow)",
                spec.rate_per_sec, spec.tick
            ));
        }
        let longest_key = spec.keys.key_name(spec.keys.slots() - 1).len() as u64;
        let largest = match spec.size {
            SizeDist::Fixed(n) => n,
            SizeDist::Uniform { max, .. } => max,
        };
        if u64::from(largest) + longest_key > super::RECORD_BYTES_MAX {
            return Err(format!(
                "records of up to {largest} bytes plus a {longest_key}-byte key exceed the 1 MiB maximum record size"
            ));
        }
        let n = spec.keys.slots();
        let mut keys = Vec::with_capacity(n as usize);
        for i in 0..n {
            let name = spec.keys.key_name(i);
            let id = kinesis.keys.intern(&name).map_err(|e| e.to_string())?;
            keys.push(GenKey {
                id,
                len: name.len() as u32,
                shard: 0,
            });
        }
        let key_base = keys
            .iter()
            .enumerate()
            .all(|(i, k)| k.id == keys[0].id + i as u32)
            .then(|| keys[0].id);
        Ok(Generator {
            id,
            pacer: Pacer::new(spec.rate_per_sec, now),
            sampler: KeySampler::new(spec.keys.clone()),
            rng: SimRng::fork(seed, &format!("gen/{}", spec.name)),
            keys,
            shard_of: Vec::new(),
            key_base,
            last_tick: now,
            flow_weights: Vec::new(),
            flow_carry: BTreeMap::new(),
            cache_epoch: (0, u64::MAX),
            batch: Vec::new(),
            sorted: Vec::new(),
            counts: Vec::new(),
            stats: GeneratorStats::default(),
            spec,
        })
    }

    /// Runs one tick at `now`: draws (record mode) or computes (flow mode) the records due
    /// since the last tick and writes them. Returns when the next tick is due; `None` when the
    /// generator's stream was deleted.
    pub(crate) fn run(
        &mut self,
        kinesis: &mut Kinesis,
        faults: &mut Faults,
        now: SimTime,
    ) -> Option<SimTime> {
        let g = self;
        // A generator whose stream was deleted stops.
        let (stream, keys) = kinesis.stream_and_keys_mut(&g.spec.stream).ok()?;
        if g.cache_epoch != (stream.id, stream.epoch) {
            // The shard of each key, valid until the topology changes.
            for k in &mut g.keys {
                k.shard = stream.shard_for_hash(keys.hash(k.id));
            }
            g.shard_of = g.keys.iter().map(|k| k.shard).collect();
            if g.spec.mode == GenMode::Flow {
                let mut w: BTreeMap<u32, f64> = BTreeMap::new();
                for (k, p) in g.sampler.probabilities().into_iter().enumerate() {
                    *w.entry(g.keys[k].shard).or_default() += p;
                }
                g.flow_weights = w.into_iter().collect();
            }
            g.cache_epoch = (stream.id, stream.epoch);
        }
        let due = g.pacer.due(now);
        let span = now.since(g.last_tick);
        match g.spec.mode {
            GenMode::Record => {
                // Draw the tick's records in time order, then write them grouped by shard
                // (a stable counting sort, so each shard still sees its records in time
                // order): each shard's limiter and storage are touched once per tick rather
                // than once per record, which keeps them in cache at millions of records/s.
                // On-demand streams share a stream-wide window, so they take records in
                // global time order instead.
                // span <= 10 s and due <= 1e9 per tick, so span * due fits in u64.
                let span_us = span.0;
                g.batch.clear();
                for j in 0..due {
                    let t = g.last_tick.0 + span_us * (j + 1) / due;
                    let k = g.sampler.sample(&mut g.rng) as usize;
                    let size = g.spec.size.sample(&mut g.rng);
                    let (id, len) = match g.key_base {
                        // "key-" plus the decimal digits of k.
                        Some(base) => (base + k as u32, 5 + k.checked_ilog10().unwrap_or(0)),
                        None => (g.keys[k].id, g.keys[k].len),
                    };
                    g.batch.push(Draw {
                        shard: g.shard_of[k],
                        t,
                        key: id,
                        key_len: len,
                        size,
                    });
                }
                let order: &[Draw] = if stream.on_demand.is_none() && g.batch.len() > 1 {
                    g.counts.clear();
                    g.counts.resize(stream.shards.len() + 1, 0);
                    for d in &g.batch {
                        g.counts[d.shard as usize + 1] += 1;
                    }
                    for i in 1..g.counts.len() {
                        g.counts[i] += g.counts[i - 1];
                    }
                    g.sorted.clear();
                    g.sorted.resize(g.batch.len(), Draw::default());
                    for d in &g.batch {
                        let slot = &mut g.counts[d.shard as usize];
                        g.sorted[*slot as usize] = *d;
                        *slot += 1;
                    }
                    &g.sorted
                } else {
                    &g.batch
                };
                let mut rest = order;
                while let Some(first) = rest.first() {
                    let run = rest.iter().take_while(|d| d.shard == first.shard).count();
                    let (now_run, later) = rest.split_at(run);
                    let items = now_run
                        .iter()
                        .map(|d| (SimTime(d.t), d.key, d.key_len, d.size));
                    let (a, t, f) = stream.put_generated(first.shard, items, faults);
                    g.stats.offered += run as u64;
                    g.stats.accepted += a;
                    g.stats.throttled += t;
                    g.stats.failed += f;
                    rest = later;
                }
            }
            GenMode::Flow => {
                let size = g.spec.size.mean().round() as u32;
                for &(shard, w) in &g.flow_weights {
                    let carry = g.flow_carry.entry(shard).or_insert(0.0);
                    let exact = due as f64 * w + *carry;
                    let offered = exact.floor();
                    *carry = exact - offered;
                    let offered = offered as u64;
                    let accepted = stream.put_flow(shard, offered, size, span, now);
                    g.stats.offered += offered;
                    g.stats.accepted += accepted;
                    g.stats.throttled += offered - accepted;
                }
            }
        }
        g.last_tick = now;
        let tick = if g.spec.mode == GenMode::Flow {
            SimDuration::from_secs(1)
        } else {
            g.spec.tick
        };
        Some(now + tick)
    }
}
