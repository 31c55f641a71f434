//! The simulation: a virtual clock and event queue driving the Kinesis model, workload
//! generators, KCL applications, enhanced fan-out pushes and Firehose deliveries. Everything is
//! a function of the seed and the calls made; nothing reads a clock.

use super::faults::Faults;
use super::kafka::cluster::MetadataMode;
use super::kafka::error::{ErrorCode, KafkaError};
use super::kafka::world::{KAFKA_TICK, Kafka};
use super::kinesis::firehose::{DeliveryStream, Loader, S3};
use super::kinesis::kcl::{KclApp, KclConfig};
use super::kinesis::poller::{OnExpired, POLLER_TICK, Poller};
use super::kinesis::{KeyId, Kinesis};
use super::rng::SimRng;
use super::sched::Scheduler;
use super::time::{SimDuration, SimTime};
use super::workload::{GenMode, KeyDist, KeySampler, Pacer, SizeDist, key_name};
use std::collections::BTreeMap;

/// Most events one `advance` may process (a runaway guard, far above any lab's needs).
/// Polling consumers one simulation runs.
pub const POLLERS_MAX: usize = 100;
pub const EVENTS_PER_ADVANCE_MAX: u64 = 200_000_000;
/// Longest single advance.
pub const ADVANCE_MAX: SimDuration = SimDuration::from_hours(24 * 400);
/// Housekeeping (retention, shard expiry, on-demand capacity) runs this often.
pub const HOUSEKEEPING_INTERVAL: SimDuration = SimDuration::from_secs(10);
/// Enhanced fan-out pushes run this often.
pub const EFO_INTERVAL: SimDuration = SimDuration::from_millis(200);
/// KCL shard sync (discovery of new shards) runs this often.
pub const KCL_SYNC_INTERVAL: SimDuration = SimDuration::from_secs(60);
pub const GENERATORS_MAX: usize = 100;
/// Record mode: most records drawn in one generator tick (bounds the tick's buffers).
pub const RECORDS_PER_TICK_MAX: u64 = 2_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Housekeeping,
    Efo,
    Generator(u64),
    KclWorker {
        app: String,
        worker: String,
        incarnation: u64,
    },
    KclSync,
    Firehose(String),
    Poller(String),
    Kafka,
}

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

pub struct Sim {
    pub seed: u64,
    sched: Scheduler<Event>,
    pub kinesis: Kinesis,
    pub faults: Faults,
    pub generators: BTreeMap<String, Generator>,
    next_generator: u64,
    pub kcl: BTreeMap<String, KclApp>,
    pub firehoses: BTreeMap<String, DeliveryStream>,
    pub s3: S3,
    /// Downstream jobs loading S3 objects into tables, run every housekeeping interval.
    pub loaders: BTreeMap<String, Loader>,
    /// Hand-written polling consumers.
    pub pollers: BTreeMap<String, Poller>,
    /// The Kafka cluster and its clients, once one is created.
    pub kafka: Option<Kafka>,
}

impl Sim {
    pub fn new(seed: u64) -> Self {
        let mut sched = Scheduler::default();
        sched.schedule(SimTime::ZERO + HOUSEKEEPING_INTERVAL, Event::Housekeeping);
        sched.schedule(SimTime::ZERO + EFO_INTERVAL, Event::Efo);
        sched.schedule(SimTime::ZERO + KCL_SYNC_INTERVAL, Event::KclSync);
        Sim {
            seed,
            sched,
            kinesis: Kinesis::new(seed),
            faults: Faults::new(seed),
            generators: BTreeMap::new(),
            next_generator: 1,
            kcl: BTreeMap::new(),
            firehoses: BTreeMap::new(),
            s3: S3::default(),
            loaders: BTreeMap::new(),
            pollers: BTreeMap::new(),
            kafka: None,
        }
    }

    /// Creates the Kafka cluster (one per simulation) and starts ticking it.
    pub fn create_kafka(
        &mut self,
        brokers: u32,
        mode: MetadataMode,
    ) -> Result<&mut Kafka, KafkaError> {
        if self.kafka.is_some() {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                "this simulation already has a Kafka cluster",
            ));
        }
        let now = self.now();
        self.kafka = Some(Kafka::new(self.seed, brokers, mode, now)?);
        self.sched.schedule(now + KAFKA_TICK, Event::Kafka);
        Ok(self.kafka.as_mut().expect("just created"))
    }

    pub fn now(&self) -> SimTime {
        self.sched.now()
    }

    /// Runs every event up to `now + d`, then sets the clock there. Returns events processed.
    pub fn advance(&mut self, d: SimDuration) -> Result<u64, String> {
        if d > ADVANCE_MAX {
            return Err(format!("cannot advance more than {ADVANCE_MAX} at once"));
        }
        let until = self.now() + d;
        let mut n = 0u64;
        while let Some((t, ev)) = self.sched.pop_until(until) {
            n += 1;
            if n > EVENTS_PER_ADVANCE_MAX {
                return Err(format!(
                    "advance stopped after {EVENTS_PER_ADVANCE_MAX} events at {}",
                    t.to_rfc3339()
                ));
            }
            self.handle(t, ev);
        }
        self.sched.set_now(until);
        // Settle anything due exactly now (e.g. a reshard completing at `until`).
        self.kinesis.complete_due_reshards(until);
        self.kinesis.flush_metrics();
        Ok(n)
    }

    fn handle(&mut self, now: SimTime, ev: Event) {
        match ev {
            Event::Kafka => {
                if let Some(k) = &mut self.kafka {
                    k.tick(now);
                }
                self.sched.schedule(now + KAFKA_TICK, Event::Kafka);
            }
            Event::Housekeeping => {
                self.kinesis.housekeeping(now);
                for l in self.loaders.values_mut() {
                    l.run(&self.s3, now);
                }
                self.sched
                    .schedule(now + HOUSEKEEPING_INTERVAL, Event::Housekeeping);
            }
            Event::Efo => {
                self.kinesis.complete_due_reshards(now);
                self.push_efo(now);
                // Idle streams (no registered consumers) are checked only every 10 s.
                let busy = self.kinesis.streams().any(|s| !s.consumers.is_empty());
                let next = if busy {
                    EFO_INTERVAL
                } else {
                    SimDuration::from_secs(10)
                };
                self.sched.schedule(now + next, Event::Efo);
            }
            Event::Generator(id) => {
                self.kinesis.complete_due_reshards(now);
                let Some(name) = self
                    .generators
                    .values()
                    .find(|g| g.id == id)
                    .map(|g| g.spec.name.clone())
                else {
                    return;
                };
                if let Some(next) = self.run_generator(&name, now) {
                    self.sched.schedule(next, Event::Generator(id));
                }
            }
            Event::KclWorker {
                app,
                worker,
                incarnation,
            } => {
                self.kinesis.complete_due_reshards(now);
                let Some(a) = self.kcl.get_mut(&app) else {
                    return;
                };
                if a.workers
                    .get(&worker)
                    .is_none_or(|w| !w.alive || w.incarnation != incarnation)
                {
                    return;
                }
                if let Some(next) = a.tick_worker(&worker, &mut self.kinesis, &mut self.faults, now)
                {
                    self.sched.schedule(
                        next,
                        Event::KclWorker {
                            app,
                            worker,
                            incarnation,
                        },
                    );
                }
            }
            Event::KclSync => {
                for a in self.kcl.values_mut() {
                    a.periodic_sync(&self.kinesis);
                }
                self.sched.schedule(now + KCL_SYNC_INTERVAL, Event::KclSync);
            }
            Event::Firehose(name) => {
                self.kinesis.complete_due_reshards(now);
                let Some(f) = self.firehoses.get_mut(&name) else {
                    return;
                };
                f.tick(&mut self.kinesis, &mut self.s3, &mut self.faults, now);
                self.sched.schedule(
                    now + super::kinesis::firehose::POLL_INTERVAL,
                    Event::Firehose(name),
                );
            }
            Event::Poller(name) => {
                self.kinesis.complete_due_reshards(now);
                let Some(p) = self.pollers.get_mut(&name) else {
                    return;
                };
                p.tick(&mut self.kinesis, &mut self.faults, now);
                self.sched.schedule(now + POLLER_TICK, Event::Poller(name));
            }
        }
    }

    fn push_efo(&mut self, now: SimTime) {
        // Split borrows: the key table is read while streams are mutated.
        let keys = std::mem::take(&mut self.kinesis.keys);
        let key_len = |k: KeyId| keys.len_of(k);
        for s in self.kinesis.streams_mut() {
            if !s.consumers.is_empty() {
                s.push_efo(now, &key_len);
            }
        }
        self.kinesis.keys = keys;
    }

    // ----- generators -----

    pub fn start_generator(&mut self, spec: GeneratorSpec) -> Result<(), String> {
        if self.generators.contains_key(&spec.name) {
            return Err(format!("generator {} is already running", spec.name));
        }
        if self.generators.len() >= GENERATORS_MAX {
            return Err(format!("at most {GENERATORS_MAX} generators"));
        }
        self.kinesis
            .stream(&spec.stream)
            .map_err(|e| e.to_string())?;
        if spec.rate_per_sec == 0 || spec.rate_per_sec > super::workload::RATE_MAX {
            return Err(format!(
                "rate must be between 1 and {} records/s",
                super::workload::RATE_MAX
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
        let longest_key = key_name(spec.keys.keys() - 1).len() as u64;
        let largest = match spec.size {
            SizeDist::Fixed(n) => n,
            SizeDist::Uniform { max, .. } => max,
        };
        if u64::from(largest) + longest_key > super::kinesis::RECORD_BYTES_MAX {
            return Err(format!(
                "records of up to {largest} bytes plus a {longest_key}-byte key exceed the 1 MiB maximum record size"
            ));
        }
        let n = spec.keys.keys();
        let mut keys = Vec::with_capacity(n as usize);
        for i in 0..n {
            let name = key_name(i);
            let id = self.kinesis.keys.intern(&name).map_err(|e| e.to_string())?;
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
        let id = self.next_generator;
        self.next_generator += 1;
        let now = self.now();
        let tick = if spec.mode == GenMode::Flow {
            SimDuration::from_secs(1)
        } else {
            spec.tick
        };
        let g = Generator {
            id,
            pacer: Pacer::new(spec.rate_per_sec, now),
            sampler: KeySampler::new(spec.keys.clone()),
            rng: SimRng::fork(self.seed, &format!("gen/{}", spec.name)),
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
        };
        self.generators.insert(g.spec.name.clone(), g);
        self.sched.schedule(now + tick, Event::Generator(id));
        Ok(())
    }

    pub fn stop_generator(&mut self, name: &str) -> Result<GeneratorStats, String> {
        let g = self
            .generators
            .remove(name)
            .ok_or_else(|| format!("no generator named {name}"))?;
        let id = g.id;
        self.sched.retain(|e| *e != Event::Generator(id));
        Ok(g.stats)
    }

    fn run_generator(&mut self, name: &str, now: SimTime) -> Option<SimTime> {
        let g = self.generators.get_mut(name)?;
        // A generator whose stream was deleted stops.
        let (stream, keys) = self.kinesis.stream_and_keys_mut(&g.spec.stream).ok()?;
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
                    let (a, t, f) = stream.put_generated(first.shard, items, &mut self.faults);
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

    // ----- KCL -----

    /// Starts worker `worker` of KCL application `app` on `stream` (creating the application,
    /// with `config`, on first use).
    pub fn kcl_start(
        &mut self,
        app: &str,
        stream: &str,
        worker: &str,
        config: Option<KclConfig>,
    ) -> Result<(), String> {
        if !self.kcl.contains_key(app) {
            self.kinesis.stream(stream).map_err(|e| e.to_string())?;
            let cfg = config.clone().unwrap_or_default();
            self.kcl
                .insert(app.to_string(), KclApp::new(app, stream, cfg, self.seed));
        }
        let now = self.now();
        let a = self.kcl.get_mut(app).expect("inserted above");
        if config.is_some_and(|c| c != a.config) {
            return Err(format!(
                "application {app} already exists; its configuration is fixed when its first worker starts"
            ));
        }
        if a.stream != stream {
            return Err(format!(
                "application {app} consumes stream {}, not {stream}",
                a.stream
            ));
        }
        let incarnation = a.start_worker(worker, now)?;
        self.sched.schedule(
            now,
            Event::KclWorker {
                app: app.to_string(),
                worker: worker.to_string(),
                incarnation,
            },
        );
        Ok(())
    }

    /// Starts a polling consumer of one shard at LATEST.
    pub fn poller_start(
        &mut self,
        name: &str,
        stream: &str,
        shard: &str,
        poll: SimDuration,
        on_expired: OnExpired,
    ) -> Result<(), String> {
        if self.pollers.contains_key(name) {
            return Err(format!("poller {name} already exists"));
        }
        if self.pollers.len() >= POLLERS_MAX {
            return Err(format!("at most {POLLERS_MAX} pollers"));
        }
        let now = self.now();
        let p = Poller::start(
            name,
            &mut self.kinesis,
            stream,
            shard,
            poll,
            on_expired,
            now,
        )?;
        self.pollers.insert(name.to_string(), p);
        self.sched.schedule(now, Event::Poller(name.to_string()));
        Ok(())
    }

    pub fn kcl_kill(&mut self, app: &str, worker: &str) -> Result<(), String> {
        let now = self.now();
        self.kcl
            .get_mut(app)
            .ok_or_else(|| format!("no KCL application named {app}"))?
            .kill_worker(worker, now)
    }

    // ----- Firehose -----

    #[allow(clippy::too_many_arguments)]
    pub fn create_delivery_stream(
        &mut self,
        name: &str,
        source: &str,
        bucket: &str,
        prefix: &str,
        size_mb: u32,
        interval: SimDuration,
    ) -> Result<(), String> {
        if self.firehoses.contains_key(name) {
            return Err(format!(
                "Firehose {name} under account {} already exists",
                super::kinesis::ACCOUNT_ID
            ));
        }
        let now = self.now();
        let f = DeliveryStream::new(
            name,
            source,
            bucket,
            prefix,
            size_mb,
            interval,
            &self.kinesis,
            now,
        )?;
        self.s3.buckets.entry(bucket.to_string()).or_default();
        self.firehoses.insert(name.to_string(), f);
        self.sched.schedule(
            now + super::kinesis::firehose::POLL_INTERVAL,
            Event::Firehose(name.to_string()),
        );
        Ok(())
    }
}
