//! Cost against size (issue 23, engine side): each figure at two or more sizes, so a cost that
//! grows faster than the work shows as a ratio.
//!
//! `cargo bench --features bench --bench scaling` runs every case, each in its own child
//! process so that the peak RSS it reports is that case's alone; `SCALING_CASE=<name>` runs
//! one. Figures are CPU time (the machine may be shared) and peak RSS (`VmHWM`).
//!
//! Cases:
//! - `partitions-30`, `partitions-300`, `partitions-3000`: 50,000 keyed records/s of 100 B,
//!   acks=all, RF=3 on 3 brokers, 30 s of virtual time: CPU ns per record;
//! - `hour-kafka`: 10,000 keyed records/s on a 12-partition topic, RF=3, one hour in one-minute
//!   steps: ns per record in the first and the last minute, and peak RSS;
//! - `lab-1000x100k`: 1,000 partitions, 100,000 keyed records/s, 90 s of virtual time: how many
//!   times faster than real time one core runs it;
//! - `hour-kinesis`: 1,000 records/s on 10 shards for one hour: peak RSS.

#[path = "common/cpu.rs"]
mod cpu;
#[path = "common/kafka_sim.rs"]
mod kafka_sim;
use cpu::cpu_seconds;
use kafka_sim::{acked, sim_with};
use streamdrill_engine::Sim;
use streamdrill_engine::kinesis::StreamMode;
use streamdrill_engine::sim::GeneratorSpec;
use streamdrill_engine::time::{SimDuration, SimTime};
use streamdrill_engine::workload::{GenMode, KeyDist, SizeDist};

const CASES: [&str; 6] = [
    "partitions-30",
    "partitions-300",
    "partitions-3000",
    "hour-kafka",
    "lab-1000x100k",
    "hour-kinesis",
];

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn kafka(partitions: u32, rate: u64) -> Sim {
    sim_with(3, partitions, rate, 100, GenMode::Record)
}

/// CPU seconds to advance `sim` by `d`.
fn timed(sim: &mut Sim, d: SimDuration) -> f64 {
    let c0 = cpu_seconds();
    sim.advance(d).unwrap();
    cpu_seconds() - c0
}

fn run(case: &str) {
    match case {
        "partitions-30" | "partitions-300" | "partitions-3000" => {
            let n: u32 = case["partitions-".len()..].parse().unwrap();
            let mut sim = kafka(n, 50_000);
            let cpu = timed(&mut sim, SimDuration::from_secs(30));
            let records = acked(&sim) as f64;
            println!(
                "{case}: {:.0} ns/record, {:.2} s CPU for {records} records acked, peak RSS {:.0} MB",
                cpu * 1e9 / records.max(1.0),
                cpu,
                peak_rss_mb()
            );
        }
        "hour-kafka" => {
            let mut sim = kafka(12, 10_000);
            let mut first = 0.0;
            let mut last = 0.0;
            let mut before = 0;
            for minute in 0..60 {
                let cpu = timed(&mut sim, SimDuration::from_secs(60));
                let now = acked(&sim);
                let ns = cpu * 1e9 / (now - before).max(1) as f64;
                before = now;
                if minute == 0 {
                    first = ns;
                }
                last = ns;
            }
            println!(
                "{case}: minute 1 {first:.0} ns/record, minute 60 {last:.0} ns/record (x{:.2}), {} records acked, peak RSS {:.0} MB",
                last / first.max(1.0),
                acked(&sim),
                peak_rss_mb()
            );
        }
        "lab-1000x100k" => {
            let mut sim = kafka(1_000, 100_000);
            let cpu = timed(&mut sim, SimDuration::from_secs(90));
            println!(
                "{case}: {cpu:.2} s CPU for 90 s virtual ({:.1}x real time), {} records acked, peak RSS {:.0} MB",
                90.0 / cpu.max(0.001),
                acked(&sim),
                peak_rss_mb()
            );
        }
        "hour-kinesis" => {
            let mut sim = Sim::new(1);
            sim.budget = streamdrill_engine::budget::Budget::UNLIMITED;
            sim.kinesis
                .create_stream("s", Some(10), StreamMode::Provisioned, SimTime::ZERO)
                .unwrap();
            sim.start_generator(GeneratorSpec {
                name: "g".into(),
                stream: "s".into(),
                rate_per_sec: 10_000,
                size: SizeDist::Fixed(100),
                keys: KeyDist::Uniform { keys: 100_000 },
                mode: GenMode::Record,
                tick: SimDuration::from_millis(100),
            })
            .unwrap();
            let cpu = timed(&mut sim, SimDuration::from_hours(1));
            let st = &sim.generators["g"].stats;
            println!(
                "{case}: {cpu:.2} s CPU, {} records accepted, {:.0} ns/record, {:.1} bytes/record retained ({} records), peak RSS {:.0} MB",
                st.accepted,
                cpu * 1e9 / st.accepted.max(1) as f64,
                sim.stored_bytes() as f64 / sim.kinesis.stored_records().max(1) as f64,
                sim.kinesis.stored_records(),
                peak_rss_mb()
            );
        }
        other => eprintln!("unknown case {other}; cases: {}", CASES.join(", ")),
    }
}

fn main() {
    if let Ok(case) = std::env::var("SCALING_CASE") {
        run(&case);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for case in CASES {
        let status = std::process::Command::new(&exe)
            .env("SCALING_CASE", case)
            .status()
            .unwrap();
        assert!(status.success(), "{case} failed");
    }
}
