//! The simulation: a virtual clock and event queue driving the Kinesis world (the model in
//! [`crate::kinesis`], workload generators ([`crate::kinesis::generator`]), KCL applications,
//! enhanced fan-out pushes, Firehose deliveries, loaders and pollers) and the Kafka world
//! ([`Kafka`]). Here are the clock, the queue, the event dispatch and the public methods that
//! register generators, applications and consumers and schedule their events; what runs on each
//! event stands with its model. Everything is a function of the seed and the calls made; nothing
//! reads a clock.

use super::budget::{self, Budget, refusal};
use super::faults::Faults;
use super::kafka::cluster::MetadataMode;
use super::kafka::error::{ErrorCode, KafkaError};
use super::kafka::producer::Producer;
use super::kafka::world::{KAFKA_TICK, Kafka};
use super::kinesis::firehose::{DeliveryStream, Loader, S3};
use super::kinesis::kcl::{KclApp, KclConfig};
use super::kinesis::poller::{OnExpired, POLLER_TICK, Poller};
use super::kinesis::{Kinesis, KinesisError};
use super::sched::Scheduler;
use super::time::{SimDuration, SimTime};
use super::workload::GenMode;
use std::collections::BTreeMap;

pub use super::kinesis::generator::{
    Generator, GeneratorSpec, GeneratorStats, RECORDS_PER_TICK_MAX,
};

/// Polling consumers one simulation runs.
pub const POLLERS_MAX: usize = 100;
/// Longest single advance.
pub const ADVANCE_MAX: SimDuration = SimDuration::from_hours(24 * 400);
/// Housekeeping (retention, shard expiry, on-demand capacity) runs this often.
pub const HOUSEKEEPING_INTERVAL: SimDuration = SimDuration::from_secs(10);
/// Enhanced fan-out pushes run this often.
pub const EFO_INTERVAL: SimDuration = SimDuration::from_millis(200);
/// KCL shard sync (discovery of new shards) runs this often.
pub const KCL_SYNC_INTERVAL: SimDuration = SimDuration::from_secs(60);
/// Generators one simulation runs ([`crate::budget::GENERATORS`]).
pub const GENERATORS_MAX: usize = crate::budget::GENERATORS;

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
    /// What one `advance` may cost ([`Budget::SESSION`] unless lifted).
    pub budget: Budget,
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
            budget: Budget::SESSION,
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

    /// Records per second the running record-mode workloads offer (Kafka producers and
    /// Kinesis generators).
    pub fn record_rate(&self) -> u64 {
        self.generator_record_rate() + self.kafka.as_ref().map_or(0, Kafka::record_rate)
    }

    /// Records per second the running record-mode Kinesis generators offer.
    fn generator_record_rate(&self) -> u64 {
        self.generators
            .values()
            .filter(|g| g.spec.mode == GenMode::Record)
            .map(|g| g.spec.rate_per_sec)
            .sum()
    }

    /// Records held one by one in Kafka logs and Kinesis shards.
    pub fn stored_records(&self) -> u64 {
        self.kinesis.stored_records()
            + self
                .kafka
                .as_ref()
                .map_or(0, |k| k.cluster.stored_records())
    }

    /// Memory the records held in Kafka logs and Kinesis shards take, bytes (what
    /// [`Budget::retained_bytes`] bounds).
    pub fn stored_bytes(&self) -> u64 {
        self.kinesis.stored_bytes() + self.kafka.as_ref().map_or(0, |k| k.cluster.stored_bytes())
    }

    /// Bytes per second the running record-mode workloads are expected to retain.
    fn retained_rate(&self) -> u64 {
        self.generator_record_rate() * budget::KINESIS_RECORD_BYTES
            + self.kafka.as_ref().map_or(0, Kafka::record_rate) * budget::KAFKA_RECORD_BYTES
    }

    /// Records drawn by every workload so far (the meter's record count).
    fn records_drawn(&self) -> u64 {
        let generators: u64 = self
            .generators
            .values()
            .filter(|g| g.spec.mode == GenMode::Record)
            .map(|g| g.stats.offered)
            .sum();
        generators
            + self.kafka.as_ref().map_or(0, |k| {
                k.producers.values().map(Producer::records_drawn).sum()
            })
    }

    /// Refuses an advance of `d` the budget cannot pay for, before anything runs: the records
    /// the record-mode workloads would offer, and what would then be retained.
    fn check_advance(&self, d: SimDuration) -> Result<(), String> {
        let rate = self.record_rate();
        let offered =
            u64::try_from(u128::from(rate) * u128::from(d.0) / 1_000_000).unwrap_or(u64::MAX);
        let stored = self.stored_bytes();
        let retained_rate = self.retained_rate();
        let retained = u64::try_from(u128::from(retained_rate) * u128::from(d.0) / 1_000_000)
            .unwrap_or(u64::MAX);
        let step = budget::longest_advance(self.budget.records_per_advance, rate).min(
            budget::longest_advance(
                self.budget.retained_bytes.saturating_sub(stored),
                retained_rate,
            ),
        );
        if offered > self.budget.records_per_advance {
            return Err(refusal(
                format_args!(
                    "advance {d}: the running record-mode workloads ({} records/s) would offer {} records",
                    budget::thousands(rate),
                    budget::thousands(offered)
                ),
                self.budget.records_per_advance,
                "records per advance",
                "RECORDS_PER_ADVANCE",
                &format!(
                    "nothing ran; advance at most {step} at a time, lower the rates or use --mode flow"
                ),
            ));
        }
        if stored.saturating_add(retained) > self.budget.retained_bytes {
            let advice = if step.0 > 0 {
                format!(
                    "nothing ran; advance at most {step} at a time, stop a workload, shorten retention (retention.ms, the stream's retention) or use --mode flow"
                )
            } else {
                "nothing ran; stop a workload, shorten retention (retention.ms, the stream's retention) or use --mode flow".to_string()
            };
            return Err(refusal(
                format_args!(
                    "advance {d}: {} bytes of records retained now and about {} more to come ({} records offered)",
                    budget::thousands(stored),
                    budget::thousands(retained),
                    budget::thousands(offered)
                ),
                self.budget.retained_bytes,
                "bytes retained",
                "RETAINED_BYTES",
                &advice,
            ));
        }
        Ok(())
    }

    /// Runs every event up to `now + d`, then sets the clock there. Returns events processed.
    ///
    /// Checked against [`Sim::budget`]: refused up front (nothing runs) when the record-mode
    /// workloads would offer or retain too much; stopped at the event where the work meter
    /// passes [`Budget::work_per_advance`] or the records held pass
    /// [`Budget::retained_bytes`] (checked every housekeeping interval), the clock then
    /// standing at that event.
    pub fn advance(&mut self, d: SimDuration) -> Result<u64, String> {
        self.advance_metered(d, &mut 0)
    }

    /// [`Sim::advance`] for a command that advances in many small steps (a synchronous
    /// `produce` waiting for its acknowledgement): `spent` carries the work of the earlier
    /// steps, so the whole command stays within one advance's work budget.
    pub fn advance_metered(&mut self, d: SimDuration, spent: &mut u64) -> Result<u64, String> {
        if d > ADVANCE_MAX {
            return Err(format!("cannot advance more than {ADVANCE_MAX} at once"));
        }
        self.check_advance(d)?;
        let until = self.now() + d;
        let mut n = 0u64;
        let mut work = *spent;
        let mut drawn = self.records_drawn();
        while let Some((t, ev)) = self.sched.pop_until(until) {
            n += 1;
            let (cost, counts_records, housekeeping) = match &ev {
                Event::Kafka => (self.kafka.as_ref().map_or(1, Kafka::tick_work), true, false),
                Event::Generator(_) => (1, true, false),
                Event::Housekeeping => (1, false, true),
                _ => (1, false, false),
            };
            self.handle(t, ev);
            work = work.saturating_add(cost);
            *spent = work;
            if counts_records {
                let now_drawn = self.records_drawn();
                // A record costs about a third of a partition visit.
                work = work.saturating_add(now_drawn.saturating_sub(drawn) / 3);
                drawn = now_drawn;
            }
            if work > self.budget.work_per_advance {
                return Err(refusal(
                    format_args!("advance {d} stopped at {} after {n} events", t.to_rfc3339()),
                    self.budget.work_per_advance,
                    "work units per advance",
                    "WORK_PER_ADVANCE",
                    "the clock stands there; advance in shorter steps, or with fewer busy partitions, producers or consumers",
                ));
            }
            if housekeeping {
                let stored = self.stored_bytes();
                if stored > self.budget.retained_bytes {
                    return Err(refusal(
                        format_args!(
                            "advance {d} stopped at {}: {} bytes of records retained",
                            t.to_rfc3339(),
                            budget::thousands(stored)
                        ),
                        self.budget.retained_bytes,
                        "bytes retained",
                        "RETAINED_BYTES",
                        "the clock stands there; stop a workload or shorten retention",
                    ));
                }
            }
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
                self.kinesis.push_efo(now);
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

    // ----- generators -----

    pub fn start_generator(&mut self, spec: GeneratorSpec) -> Result<(), KinesisError> {
        use crate::budget::{RECORD_RATE_PER_SEC, refusal};
        if self.generators.contains_key(&spec.name) {
            return Err(KinesisError::invalid(format!(
                "generator {} is already running",
                spec.name
            )));
        }
        if self.generators.len() >= GENERATORS_MAX {
            return Err(KinesisError::limit(refusal(
                format_args!("generator {}", spec.name),
                GENERATORS_MAX as u64,
                "generators",
                "GENERATORS",
                "stop one first (`gen stop NAME`)",
            )));
        }
        if spec.mode == GenMode::Record && spec.rate_per_sec > RECORD_RATE_PER_SEC {
            return Err(KinesisError::limit(refusal(
                format_args!("{} records/s in record mode", spec.rate_per_sec),
                RECORD_RATE_PER_SEC,
                "records/s per generator in record mode",
                "RECORD_RATE_PER_SEC",
                "use --mode flow for rates, not records",
            )));
        }
        if spec.rate_per_sec > budget::RATE_PER_SEC {
            return Err(KinesisError::limit(refusal(
                format_args!("{} records/s", spec.rate_per_sec),
                budget::RATE_PER_SEC,
                "records/s per generator",
                "RATE_PER_SEC",
                "",
            )));
        }
        let tick = if spec.mode == GenMode::Flow {
            SimDuration::from_secs(1)
        } else {
            spec.tick
        };
        let id = self.next_generator;
        let now = self.now();
        let g = Generator::new(id, spec, &mut self.kinesis, self.seed, now)
            .map_err(KinesisError::invalid)?;
        self.next_generator += 1;
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
        g.run(&mut self.kinesis, &mut self.faults, now)
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
