//! Progress-store benchmarks at two sizes: 10,000 cards with 1,000,000 reviews and 50,000 cards
//! with 5,000,000, so that a cost growing faster than the data shows as a ratio above x5.
//!
//! Run: `cargo bench --features bench --bench progress`. Each data set is made by the command
//! users can run, `streamdrill --data-dir DIR synthesize --cards N --reviews-per-card 100` (about
//! a minute per million reviews); set `STREAMDRILL_BENCH_DIR` to keep them between runs (one
//! folder per size inside it) and `PROGRESS_BENCH_SIZES=10k` (or `50k`) to run one size.
//! `PROGRESS_BENCH_SKIP=import,optimize` leaves out the slowest figures.
//!
//! Reported per size:
//! - `queue`: today's queue, loading progress from SQLite and ordering it (target <= 50 ms);
//! - `start-up`: the TUI from opening the workspace to its first frame at 80x24, in process;
//! - `stats`, `plan`: `stats --json` and `plan --dry-run` as whole processes;
//! - `export`, `import` (into an empty data directory), `optimize`: whole processes, wall time
//!   and peak RSS (the child's `VmHWM`, sampled every 5 ms).

#![allow(clippy::disallowed_methods)] // a benchmark reads the clock to time things

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use streamdrill::shell::startup::{StartOptions, start};
use streamdrill::shell::workspace::{Locations, Workspace};
use streamdrill::srs::queue::build_queue;

const BIN: &str = env!("CARGO_BIN_EXE_streamdrill");
const REVIEWS_PER_CARD: usize = 100;
const SIZES: [(&str, usize); 2] = [("10k", 10_000), ("50k", 50_000)];

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// The data directory of one size: kept under `STREAMDRILL_BENCH_DIR`, else a temporary one.
fn data_dir(size: &str, cards: usize) -> (PathBuf, Option<tempfile::TempDir>) {
    let (dir, temp) = if let Some(root) = std::env::var_os("STREAMDRILL_BENCH_DIR") {
        (PathBuf::from(root).join(size), None)
    } else {
        let temp = tempfile::tempdir().expect("temp dir");
        (temp.path().to_path_buf(), Some(temp))
    };
    if !dir.join("streamdrill.db").exists() {
        eprintln!(
            "generating {cards} cards and {} reviews in {} ...",
            cards * REVIEWS_PER_CARD,
            dir.display()
        );
        let status = Command::new(BIN)
            .arg("--data-dir")
            .arg(&dir)
            .arg("synthesize")
            .arg("--cards")
            .arg(cards.to_string())
            .arg("--reviews-per-card")
            .arg(REVIEWS_PER_CARD.to_string())
            .status()
            .expect("synthesize runs");
        assert!(status.success());
    }
    std::fs::write(dir.join("bench-config.toml"), "").expect("config");
    (dir, temp)
}

fn streamdrill(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(dir)
        .arg("--config")
        .arg(dir.join("bench-config.toml"))
        .stdout(Stdio::null());
    command
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs a command to its end: (wall time, peak RSS in MB as last sampled).
fn run_measured(mut command: Command) -> (Duration, f64) {
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn");
    let mut peak_kb = 0;
    loop {
        if let Some(kb) = peak_rss_kb(child.id()) {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{command:?} failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (started.elapsed(), peak_kb as f64 / 1024.0)
}

fn median_process(runs: usize, make: impl Fn() -> Command) -> Duration {
    median((0..runs).map(|_| run_measured(make()).0).collect())
}

fn bench_size(size: &str, cards: usize, skip: &[String]) {
    let (dir, _keep) = data_dir(size, cards);
    in_process(size, &dir);
    whole_processes(size, &dir, cards * REVIEWS_PER_CARD, skip);
}

/// Today's queue and the TUI's start-up, inside this process.
fn in_process(size: &str, dir: &Path) {
    let locations = Locations {
        data_dir: Some(dir.to_path_buf()),
        config: Some(dir.join("bench-config.toml")),
        content: Vec::new(),
    };

    let workspace = Workspace::open(&locations).expect("workspace");
    let items = workspace
        .library
        .scoped_items(&streamdrill::deck::Scope::All);
    let mut samples = Vec::new();
    let mut queued = 0;
    for _ in 0..15 {
        let now = streamdrill::shell::clock::now();
        let started = Instant::now();
        let progress = workspace.progress(now).expect("progress");
        let limits = workspace.limits(now, 50).expect("limits");
        let queue = build_queue(
            items.iter().copied(),
            &progress,
            &workspace.scheduler,
            now,
            limits,
        );
        samples.push(started.elapsed());
        queued = queue.len();
    }
    let cards = items.len();
    drop(items);
    drop(workspace);
    println!(
        "{size} queue: today's queue ({queued} of {cards} cards) in {:.1} ms (median of 15)",
        ms(median(samples))
    );

    let mut samples = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        let started_app = start(
            &locations,
            streamdrill::shell::clock::now(),
            StartOptions::default(),
        )
        .expect("start");
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("backend");
        terminal
            .draw(|frame| streamdrill::tui::view::render(&started_app.app, frame))
            .expect("draw");
        samples.push(started.elapsed());
    }
    println!(
        "{size} start-up: first frame in {:.0} ms (median of 9)",
        ms(median(samples))
    );
}

/// Commands as a user runs them, each in its own process.
fn whole_processes(size: &str, dir: &Path, reviews: usize, skip: &[String]) {
    let stats = median_process(9, || {
        let mut command = streamdrill(dir);
        command.args(["stats", "--json"]);
        command
    });
    println!(
        "{size} stats: `stats --json` in {:.0} ms (median of 9)",
        ms(stats)
    );

    let plan = median_process(3, || {
        let mut command = streamdrill(dir);
        command.args([
            "plan",
            "--interview",
            &(chrono::Local::now().date_naive() + chrono::Duration::days(30)).to_string(),
            "--minutes-per-day",
            "60",
            "--dry-run",
        ]);
        command
    });
    println!(
        "{size} plan: `plan --dry-run` 30 days ahead in {:.2} s (median of 3)",
        plan.as_secs_f64()
    );

    let file = dir.join("bench-export.jsonl");
    let mut command = streamdrill(dir);
    command.arg("export").arg(&file);
    let (export, export_mb) = run_measured(command);
    println!(
        "{size} export: {reviews} reviews in {:.1} s, peak RSS {export_mb:.0} MB",
        export.as_secs_f64()
    );

    if !skip.iter().any(|s| s == "import") {
        let empty = tempfile::tempdir().expect("temp dir");
        std::fs::write(empty.path().join("bench-config.toml"), "").expect("config");
        let mut command = streamdrill(empty.path());
        command.arg("import").arg(&file);
        let (import, import_mb) = run_measured(command);
        println!(
            "{size} import: {reviews} reviews into an empty store in {:.1} s (x{:.1} export), peak RSS {import_mb:.0} MB",
            import.as_secs_f64(),
            import.as_secs_f64() / export.as_secs_f64()
        );
    }
    let _ = std::fs::remove_file(&file);

    if !skip.iter().any(|s| s == "optimize") {
        // On a copy: optimize stores the fitted parameters, which later runs would then use.
        let copy = tempfile::tempdir().expect("temp dir");
        for file in ["streamdrill.db", "streamdrill.db-wal"] {
            if dir.join(file).exists() {
                std::fs::copy(dir.join(file), copy.path().join(file)).expect("copy the database");
            }
        }
        std::fs::write(copy.path().join("bench-config.toml"), "").expect("config");
        let mut command = streamdrill(copy.path());
        command.arg("optimize");
        let (optimize, optimize_mb) = run_measured(command);
        println!(
            "{size} optimize: {reviews} reviews in {:.1} s, peak RSS {optimize_mb:.0} MB",
            optimize.as_secs_f64()
        );
    }
}

fn main() {
    let wanted: Vec<String> = std::env::var("PROGRESS_BENCH_SIZES").map_or_else(
        |_| SIZES.iter().map(|(name, _)| (*name).to_owned()).collect(),
        |v| v.split(',').map(str::to_owned).collect(),
    );
    let skip: Vec<String> = std::env::var("PROGRESS_BENCH_SKIP")
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    for (size, cards) in SIZES {
        if wanted.iter().any(|w| w == size) {
            bench_size(size, cards, &skip);
        }
    }
}
