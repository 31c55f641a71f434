//! Frame rendering time at 200x60 (target: <= 2 ms a frame). Run: `cargo bench --features bench --bench render`.

#![allow(clippy::disallowed_methods)] // a benchmark reads the clock to time things

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use streamdrill::deck::Library;
use streamdrill::shell::config::Config;
use streamdrill::srs::queue::Progress;
use streamdrill::srs::scheduler::Scheduler;
use streamdrill::tui::view::render;
use streamdrill::tui::{App, Msg};

fn time_frames(name: &str, app: &App) {
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("backend");
    let mut samples: Vec<Duration> = Vec::with_capacity(500);
    for _ in 0..500 {
        let started = Instant::now();
        terminal.draw(|frame| render(app, frame)).expect("draw");
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "{name:<22} 200x60: median {:.3} ms, p99 {:.3} ms",
        samples[samples.len() / 2].as_secs_f64() * 1e3,
        samples[samples.len() * 99 / 100].as_secs_f64() * 1e3
    );
}

fn main() {
    let now = Utc
        .with_ymd_and_hms(2026, 6, 1, 10, 0, 0)
        .single()
        .expect("date");
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let mut app = App::new(
        Library::bundled(),
        Progress::default(),
        Scheduler::new(0.9).expect("retention"),
        now,
    )
    .with_config(Config::default(), false);
    time_frames("home", &app);
    app.update(key(KeyCode::Enter), now);
    for c in "acks=all with min.insync.replicas=2 and idempotence".chars() {
        app.update(key(KeyCode::Char(c)), now);
    }
    time_frames("drill, answering", &app);
    app.update(key(KeyCode::Enter), now);
    time_frames("drill, revealed", &app);

    // The stats screen on a year of synthetic activity.
    let mut app = App::new(
        Library::bundled(),
        Progress::default(),
        Scheduler::new(0.9).expect("retention"),
        now,
    )
    .with_config(Config::default(), false);
    app.update(key(KeyCode::Char('s')), now);
    let day_start = now - chrono::Duration::hours(6);
    let today =
        streamdrill::srs::stats::day_number(now, streamdrill::srs::stats::day_offset_ms(day_start));
    let figures = streamdrill::srs::stats::StoreFigures {
        reviews_total: 40_000,
        time_spent_ms: 9_000_000,
        activity: (0..365)
            .map(|d| streamdrill::store::DayActivity {
                day: today - d,
                reviews: (d * 37 % 90) as u64,
                duration_ms: 600_000,
                passed: (d * 31 % 80) as u64,
            })
            .collect(),
        ..streamdrill::srs::stats::StoreFigures::default()
    };
    app.update(Msg::StatsLoaded(Ok(figures), day_start), now);
    time_frames("stats", &app);
}
