//! Engine benchmarks.
//!
//! `cargo bench --features bench --bench engine` (add `-- --quick` for a shorter run). Two workloads from issue 6:
//! - record mode: 5,000,000 records/s offered, uniform keys, into a 6,000-shard stream, limits
//!   enforced, one second of virtual time per iteration;
//! - flow mode: 1 GB/s of 1 KB records over 1,000 shards for one hour of virtual time.

#[path = "common/cpu.rs"]
mod cpu;
use cpu::cpu_seconds;
use criterion::{BatchSize, Criterion, criterion_group};
use std::hint::black_box;
use streamdrill_engine::kinesis::StreamMode;
use streamdrill_engine::sim::{GeneratorSpec, Sim};
use streamdrill_engine::time::{SimDuration, SimTime};
use streamdrill_engine::workload::{GenMode, KeyDist, SizeDist};

fn sim_with(shards: u32, rate: u64, keys: u32, mode: GenMode) -> Sim {
    let mut sim = Sim::new(1);
    // The workloads are sized here: past a console session's budget by design.
    sim.budget = streamdrill_engine::budget::Budget::UNLIMITED;
    sim.kinesis
        .create_stream("s", Some(shards), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    sim.start_generator(GeneratorSpec {
        name: "g".into(),
        stream: "s".into(),
        rate_per_sec: rate,
        size: SizeDist::Fixed(1000),
        keys: KeyDist::Uniform { keys },
        mode,
        tick: SimDuration::from_millis(10),
    })
    .unwrap();
    sim
}

fn record_mode(c: &mut Criterion) {
    let mut g = c.benchmark_group("record_mode");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(5_000_000));
    g.bench_function("put_5M_records_6000_shards_1s_virtual", |b| {
        b.iter_batched(
            || sim_with(6_000, 5_000_000, 200_000, GenMode::Record),
            |mut sim| {
                sim.advance(SimDuration::from_secs(1)).unwrap();
                let st = &sim.generators["g"].stats;
                assert_eq!(st.offered, 5_000_000);
                assert!(st.accepted > 4_900_000, "{st:?}");
                black_box(sim)
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn flow_mode(c: &mut Criterion) {
    let mut g = c.benchmark_group("flow_mode");
    g.sample_size(10);
    g.bench_function("1GBps_1KB_1000_shards_1h_virtual", |b| {
        b.iter_batched(
            || sim_with(1_000, 1_000_000, 100_000, GenMode::Flow),
            |mut sim| {
                sim.advance(SimDuration::from_hours(1)).unwrap();
                let st = &sim.generators["g"].stats;
                assert!(st.accepted > 3_000_000_000, "{st:?}");
                black_box(sim)
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, record_mode, flow_mode);

/// `ENGINE_BENCH_ONCE=1 cargo bench --features bench --bench engine`: run each workload once and print wall and
/// CPU time.
#[allow(clippy::disallowed_methods)] // a benchmark measures wall time; the engine never does
fn once() {
    let run = |name: &str, mut sim: Sim, d: SimDuration, records: f64| {
        let (w0, c0) = (std::time::Instant::now(), cpu_seconds());
        sim.advance(d).unwrap();
        let (wall, cpu) = (w0.elapsed().as_secs_f64(), cpu_seconds() - c0);
        let st = &sim.generators["g"].stats;
        println!(
            "{name}: wall {wall:.3} s, cpu {cpu:.2} s, offered {} accepted {} throttled {}, {:.2} M records/s per CPU second",
            st.offered,
            st.accepted,
            st.throttled,
            records / cpu.max(0.01) / 1e6
        );
    };
    run(
        "record 5M/s x 1 s into 6,000 shards",
        sim_with(6_000, 5_000_000, 200_000, GenMode::Record),
        SimDuration::from_secs(1),
        5e6,
    );
    run(
        "record 5M/s x 4 s into 6,000 shards",
        sim_with(6_000, 5_000_000, 200_000, GenMode::Record),
        SimDuration::from_secs(4),
        2e7,
    );
    run(
        "flow 1 GB/s x 1 h over 1,000 shards",
        sim_with(1_000, 1_000_000, 100_000, GenMode::Flow),
        SimDuration::from_hours(1),
        3.6e9,
    );
}

fn main() {
    if std::env::var_os("ENGINE_BENCH_ONCE").is_some() {
        once();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
