//! The embedded streaming engine: a deterministic, in-process simulator of the streaming
//! systems the source guide discusses: Kinesis ([`kinesis`]) and Kafka ([`kafka`]) on one
//! core (virtual time, event queue, seeded randomness, workloads, metrics, faults).
//!
//! # Shape: a pure core with a thin shell
//!
//! Nothing in `engine` reads a clock, a file, a terminal or a global RNG, and nothing in it
//! depends on the rest of the app (it could move to its own crate unchanged):
//!
//! - [`time`]: virtual time ([`time::SimTime`], microseconds) comes in as a value.
//! - [`sched`]: the event queue ordered by (time, insertion), so runs are reproducible.
//! - [`rng`]: ChaCha8 seeded from the simulation seed; each component forks its own stream by
//!   name ([`rng::SimRng::fork`]) so adding one consumer does not perturb the draws of another.
//! - [`workload`]: generators (rate, record size distribution, key distribution: uniform, zipf,
//!   one hot key) with exact integer pacing.
//! - [`metrics`]: per-second time series (counters and gauges) owned by what they measure
//!   (shard, stream, KCL application, EFO consumer, Firehose), queried by labs.
//! - [`faults`]: named fault points armed with a probability and a count.
//! - [`sim`]: the world: clock, queue and event dispatch over Kinesis, generators
//!   ([`kinesis::generator`]), KCL apps, Firehose, S3, loaders (downstream jobs that load a
//!   bucket's new objects into a table, deduplicating by nothing, object key, sequence number
//!   or partition key), pollers (hand-written GetRecords loops on one shard, with a policy for
//!   expired iterators) and Kafka; what each event runs stands with its model.
//! - [`console`]: the `streamdrill sim` shell: text in, JSON lines out ([`run_console`]). The
//!   Kinesis commands (by family: Kinesis API, Firehose, KCL, metrics, cost, controls) and the
//!   Kafka commands ([`console::kafka`]) stand side by side on shared argument parsing and
//!   JSON helpers, neither importing the other; the [`kafka`] model holds no console code.
//! - [`budget`]: the resource budget of a session, checked up front where possible and
//!   answered with a `SimulationLimit` error that names the limit.
//! - [`cost`]: monthly cost from a price sheet that is data (`content/prices.toml`, embedded;
//!   its first line names its own schema, so deck checks of `content/` pass it by).
//!
//! Same commands + same seed => byte-identical output: every map that is iterated is a
//! `BTreeMap` (or a `Vec` in a defined order), `HashMap`s are only looked up, floating point is
//! only used in deterministic, platform-independent ways, and every loop is bounded (see the
//! `*_MAX` constants: entries per shard, keys, objects, log lengths; and [`budget`], the one
//! place for what a session may hold and do: entities per kind, record rates, records in
//! flight, records and work per advance, bytes of records retained).
//!
//! # Kinesis model
//!
//! See [`kinesis`]: MD5 hash keys over [0, 2^128-1], the even split of CreateStream (shard i
//! starts at i * floor(2^128 / N)), `shardId-000000000000` ids, 56-digit sequence numbers,
//! per-shard limits in sliding one-second windows (1 MiB and 1,000 records written; 5
//! GetRecords calls and 2 MiB read, a 10 MiB call holding reads for 5 s), PutRecords partial
//! failures, iterators of every type expiring after 5 minutes, SplitShard / MergeShards /
//! UpdateShardCount (as real splits and merges, so every shard has at most two parents) with
//! UPDATING status and lineage, retention 24 h to 365 days, on-demand capacity (2x the 30-day
//! peak, counting only traffic at least 15 minutes old), enhanced fan-out, the KCL (with an
//! at-least-once or idempotent-by-sequence-number sink, so reprocessing shows up as duplicate
//! side effects or as no-ops) and Firehose.
//!
//! # Kafka model
//!
//! See [`kafka`]: a cluster of brokers under a KRaft or ZooKeeper controller; topics whose
//! partitions are one log (segments of record batches) with each replica a log end offset
//! into it, so a new leader with a shorter log truncates what was never replicated (how
//! `acks=1` loses acknowledged records); ISR by `replica.lag.time.max.ms`, high watermark,
//! last stable offset; replication within each broker's disk and network budget; producers
//! batch by partition per tick (murmur2 of the key, sticky without one) and model `acks`,
//! retries, `delivery.timeout.ms`, idempotence (broker-side sequence checks) and transactions
//! (markers, fencing by epoch, timeouts); consumer groups (the coordinator in
//! [`kafka::group`], the assignors in [`kafka::assignor`], members fetching in
//! [`kafka::consumer`]); retention and a cleaner of limited throughput. Its tick (10 ms)
//! visits only partitions with something to do. Flow mode appends one batch per partition per
//! second, as for Kinesis.
//!
//! # Record mode and flow mode
//!
//! (Generators: [`kinesis::generator`].) A generator in *record mode* materialises every record: it draws a key and a size, looks the
//! key's shard up in a per-generator cache (rebuilt when the stream's topology epoch changes, so
//! MD5 runs once per key, not once per record), passes the shard's write window, and appends a
//! 56-byte entry (generated records store no payload; their bytes are reproduced on read).
//!
//! A generator in *flow mode* is for labs that need rates, not records (the guide's largest
//! scale, 1 GB/s over 1,000 shards, is 3.6 billion records an hour). Once per virtual second it
//! computes each shard's share of the traffic from the key distribution (the sum of the
//! probabilities of the keys that hash into the shard), offers `rate x share` records, accepts
//! what the shard's window (and an on-demand stream's capacity) has room for, and appends the
//! accepted records as one *segment*: `count` records of equal size spread evenly over the
//! second. Consecutive segments at the same rate coalesce. Sequence numbers, metrics, limits,
//! retention, iterators and GetRecords all work on segments (GetRecords synthesises the records
//! of a segment on demand, with partition key `flow`), so consumers, the KCL and Firehose see
//! flow traffic as records. What flows give up: per-record keys (order per key is not
//! observable), and limits are checked once per second for the whole segment (at the second's
//! end) rather than per record.
//!
//! # Time and events
//!
//! [`sim::Sim::advance`] pops events up to the target time: generator ticks (record mode every
//! `tick`, default 10 ms, spreading the tick's records evenly across it; flow mode every 1 s),
//! KCL worker ticks, EFO pushes (every 200 ms), Firehose polls (every 1 s), housekeeping
//! (retention, shard expiry, on-demand capacity, loader runs; every 10 s), pollers (every
//! 1 s, calling GetRecords when their own interval has passed) and KCL shard discovery (every
//! 60 s). Reshards complete at their due time, checked before every event.

pub mod api;
pub mod budget;
pub mod console;
pub mod cost;
pub mod faults;
pub mod kafka;
pub mod kinesis;
pub mod metrics;
pub mod rng;
pub mod sched;
pub mod sim;
pub mod time;
mod varint;
pub mod workload;

pub use console::{Console, run_console};
pub use sim::Sim;
pub use time::{SimDuration, SimTime};
