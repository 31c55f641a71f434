//! Progress benchmarks on a large history: 10,000 cards and 1,000,000 reviews.
//!
//! Run: `cargo bench --features bench --bench progress`. The data set is made by the same command users can run,
//! `streamdrill --data-dir DIR synthesize --cards 10000 --reviews-per-card 100` (about a minute);
//! set `STREAMDRILL_BENCH_DIR` to reuse one between runs. Reported: building today's queue
//! (loading progress from SQLite and ordering it; target <= 50 ms), `stats --json` as a whole
//! process (target <= 300 ms), and the optimizer on 100,000 reviews.

#![allow(clippy::disallowed_methods)] // a benchmark reads the clock to time things

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use streamdrill::shell::workspace::{Locations, Workspace};
use streamdrill::srs::queue::build_queue;

const BIN: &str = env!("CARGO_BIN_EXE_streamdrill");

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn data_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    if let Some(dir) = std::env::var_os("STREAMDRILL_BENCH_DIR") {
        let dir = PathBuf::from(dir);
        if dir.join("streamdrill.db").exists() {
            return (dir, None);
        }
        generate(&dir);
        return (dir, None);
    }
    let temp = tempfile::tempdir().expect("temp dir");
    generate(temp.path());
    (temp.path().to_path_buf(), Some(temp))
}

fn generate(dir: &Path) {
    eprintln!(
        "generating 10,000 cards and 1,000,000 reviews in {} ...",
        dir.display()
    );
    let status = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args([
            "synthesize",
            "--cards",
            "10000",
            "--reviews-per-card",
            "100",
        ])
        .status()
        .expect("synthesize runs");
    assert!(status.success());
}

fn main() {
    let (dir, _keep) = data_dir();
    let locations = Locations {
        data_dir: Some(dir.clone()),
        config: Some(dir.join("bench-config.toml")),
        content: Vec::new(),
    };
    std::fs::write(dir.join("bench-config.toml"), "").expect("config");

    let workspace = Workspace::open(&locations).expect("workspace");
    let items = workspace.library.items(None);
    let mut samples = Vec::new();
    let mut queued = 0;
    for _ in 0..15 {
        let now = streamdrill::shell::clock::now();
        let started = Instant::now();
        let progress = workspace.progress(now).expect("progress");
        let limits = workspace.limits(now, 50).expect("limits");
        let queue = build_queue(items.clone(), &progress, &workspace.scheduler, now, limits);
        samples.push(started.elapsed());
        queued = queue.len();
    }
    println!(
        "queue: {} items, {} states: today's queue ({queued} cards) built in {:.1} ms (median of 15)",
        items.len(),
        workspace
            .progress(streamdrill::shell::clock::now())
            .expect("progress")
            .states
            .len(),
        median(samples).as_secs_f64() * 1e3
    );

    let mut samples = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        let output = Command::new(BIN)
            .arg("--data-dir")
            .arg(&dir)
            .arg("--config")
            .arg(dir.join("bench-config.toml"))
            .args(["stats", "--json"])
            .output()
            .expect("stats runs");
        samples.push(started.elapsed());
        assert!(output.status.success());
    }
    println!(
        "stats --json (whole process, 1,000,000 reviews): {:.0} ms (median of 9)",
        median(samples).as_secs_f64() * 1e3
    );

    // The whole history of 1,000 cards: 100,000 reviews.
    let reviews: Vec<_> = workspace
        .store
        .all_reviews()
        .expect("reviews")
        .into_iter()
        .filter(|r| {
            r.item_id
                .rsplit('-')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n < 1_000)
        })
        .collect();
    let started = Instant::now();
    let fit = streamdrill::srs::optimize::fit(&reviews).expect("fit");
    println!(
        "optimize on {} reviews: {:.1} s (log-loss {:.4} -> {:.4})",
        reviews.len(),
        started.elapsed().as_secs_f64(),
        fit.log_loss_before,
        fit.log_loss_after
    );
}
