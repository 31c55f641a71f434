//! Kafka engine benchmarks (issue 7).
//!
//! `cargo bench --features bench --bench kafka` (criterion), or `KAFKA_BENCH_ONCE=1 cargo bench --features bench --bench kafka`
//! for one timed run of each workload with CPU time:
//! - record mode: 5,000,000 records/s of 100 B, 100,000 uniform keys, produced with
//!   `acks=all` (idempotent) into a 12-partition topic on 3 brokers with RF=3 and
//!   `min.insync.replicas=2`, one second of virtual time;
//! - flow mode: 1 GB/s of 1 KB records into 300 partitions on 30 brokers (RF=3) for one hour
//!   of virtual time.

#[path = "common/cpu.rs"]
mod cpu;
#[path = "common/kafka_sim.rs"]
mod kafka_sim;
use cpu::cpu_seconds;
use criterion::{BatchSize, Criterion, criterion_group};
use kafka_sim::{acked, sim_with};
use std::hint::black_box;
use streamdrill_engine::Sim;
use streamdrill_engine::time::SimDuration;
use streamdrill_engine::workload::GenMode;

fn record_mode(c: &mut Criterion) {
    let mut g = c.benchmark_group("kafka_record_mode");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(5_000_000));
    g.bench_function("produce_5M_acks_all_rf3_1s_virtual", |b| {
        b.iter_batched(
            || sim_with(3, 12, 5_000_000, 100, GenMode::Record),
            |mut sim| {
                sim.advance(SimDuration::from_secs(1)).unwrap();
                assert!(acked(&sim) > 4_900_000, "{}", acked(&sim));
                black_box(sim)
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn flow_mode(c: &mut Criterion) {
    let mut g = c.benchmark_group("kafka_flow_mode");
    g.sample_size(10);
    g.bench_function("1GBps_1KB_300_partitions_1h_virtual", |b| {
        b.iter_batched(
            || sim_with(30, 300, 1_000_000, 1000, GenMode::Flow),
            |mut sim| {
                sim.advance(SimDuration::from_hours(1)).unwrap();
                assert!(acked(&sim) > 3_500_000_000, "{}", acked(&sim));
                black_box(sim)
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, record_mode, flow_mode);

#[allow(clippy::disallowed_methods)] // a benchmark measures wall time; the engine never does
fn once() {
    let run = |name: &str, mut sim: Sim, d: SimDuration, records: f64| {
        let (w0, c0) = (std::time::Instant::now(), cpu_seconds());
        sim.advance(d).unwrap();
        let (wall, cpu) = (w0.elapsed().as_secs_f64(), cpu_seconds() - c0);
        let k = sim.kafka.as_ref().unwrap();
        let st = &k.producers["p"].stats;
        println!(
            "{name}: wall {wall:.3} s, cpu {cpu:.2} s, sent {} acked {} failed {} lost {}, {:.2} M records/s per CPU second",
            st.sent,
            st.acked,
            st.failed,
            k.lost(&k.producers["p"]),
            records / cpu.max(0.01) / 1e6
        );
    };
    run(
        "record 5M/s x 1 s, acks=all, RF=3, 12 partitions",
        sim_with(3, 12, 5_000_000, 100, GenMode::Record),
        SimDuration::from_secs(1),
        5e6,
    );
    run(
        "record 5M/s x 3 s, acks=all, RF=3, 12 partitions",
        sim_with(3, 12, 5_000_000, 100, GenMode::Record),
        SimDuration::from_secs(3),
        1.5e7,
    );
    run(
        "flow 1 GB/s x 1 h, 300 partitions, 30 brokers",
        sim_with(30, 300, 1_000_000, 1000, GenMode::Flow),
        SimDuration::from_hours(1),
        3.6e9,
    );
}

fn main() {
    if std::env::var_os("KAFKA_BENCH_ONCE").is_some() {
        once();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
