//! Produce throughput of confluent-kafka through the Kafka door against librdkafka's own mock
//! cluster, side by side in one run: `cargo bench --features bench --bench kafka_door`.
//! The client side is `kafka_door_vs_mock.py`, run with the venv `.ci/run` makes
//! (`target/doors-venv`, or `STREAMDRILL_PYTHON`); `RECORDS` and `RUNS` size it.

use std::path::Path;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var("STREAMDRILL_PYTHON").unwrap_or_else(|_| {
        root.join("target/doors-venv/bin/python")
            .display()
            .to_string()
    });
    if !Path::new(&python).exists() {
        eprintln!(
            "kafka_door: no Python with confluent-kafka at {python}: run .ci/run once (it makes target/doors-venv) or set STREAMDRILL_PYTHON"
        );
        return ExitCode::FAILURE;
    }
    let status = Command::new(&python)
        .arg(root.join("benches/kafka_door_vs_mock.py"))
        .env("STREAMDRILL", env!("CARGO_BIN_EXE_streamdrill"))
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("kafka_door: the benchmark client failed ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("kafka_door: cannot run {python}: {e}");
            ExitCode::FAILURE
        }
    }
}
