//! The stats screen: snapshots at the usual sizes, NO_COLOR, the heatmap scale, and no panics at
//! any size.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Color;
use streamdrill::srs::stats::{DayCount, DeckStats, Retention, Stats, TagRetention, WeekRetention};
use streamdrill::store::LabSummary;
use streamdrill::tui::keys::Action;
use streamdrill::tui::scroll::Scroll;
use streamdrill::tui::stats_view::{SHADES, format_duration, render, shade_level};

fn today() -> NaiveDate {
    // A Monday.
    NaiveDate::from_ymd_opt(2026, 6, 1).expect("date")
}

fn retention(passed: u64, reviews: u64) -> Retention {
    Retention {
        passed,
        reviews,
        rate: (reviews > 0).then(|| passed as f64 / reviews as f64),
    }
}

/// The busiest day of the calendar: 20 days ago, 60 reviews.
const BUSIEST_DAYS_AGO: i64 = 20;

fn calendar() -> Vec<DayCount> {
    let today = today();
    (0..365i64)
        .map(|i| {
            let days_ago = 364 - i;
            let reviews = if days_ago == BUSIEST_DAYS_AGO {
                60
            } else if days_ago < 12 {
                // The streak: every one of the last 12 days.
                5 + (days_ago as u64 * 7) % 23
            } else if days_ago == 12 || days_ago > 200 || (i * 7) % 11 < 4 {
                0
            } else {
                (i as u64 * 13) % 31
            };
            DayCount {
                date: (today - Duration::days(days_ago))
                    .format("%Y-%m-%d")
                    .to_string(),
                reviews,
            }
        })
        .collect()
}

fn forecast() -> Vec<DayCount> {
    let today = today();
    let forecast = [
        18, 4, 7, 2, 0, 9, 5, 3, 6, 1, 0, 12, 4, 2, 3, 8, 0, 1, 5, 2, 7, 0, 3, 4, 1, 9, 2, 0, 6, 3,
    ];
    forecast
        .iter()
        .enumerate()
        .map(|(i, &reviews)| DayCount {
            date: (today + Duration::days(i as i64))
                .format("%Y-%m-%d")
                .to_string(),
            reviews,
        })
        .collect()
}

fn weeks() -> Vec<WeekRetention> {
    let today = today();
    let weeks = 52;
    (0..weeks)
        .map(|w| {
            let first = today - Duration::days((weeks - w) * 7 - 1);
            let r = if w < 24 || w == 40 {
                retention(0, 0)
            } else {
                let reviews = 40 + (w as u64 * 17) % 50;
                let passed = reviews * (70 + (w as u64 * 11) % 26) / 100;
                retention(passed, reviews)
            };
            WeekRetention {
                week: first.format("%Y-%m-%d").to_string(),
                retention: r,
            }
        })
        .collect()
}

fn stats() -> Stats {
    let decks = vec![
        DeckStats {
            id: "kafka-core".into(),
            title: "Kafka internals".into(),
            cards: 96,
            due: 12,
            new: 20,
        },
        DeckStats {
            id: "kinesis-ops".into(),
            title: "Kinesis operations".into(),
            cards: 74,
            due: 0,
            new: 31,
        },
        DeckStats {
            id: "failure-modes".into(),
            title: "Failure modes at 3 a.m.".into(),
            cards: 54,
            due: 6,
            new: 54,
        },
    ];
    let mut by_deck = BTreeMap::new();
    by_deck.insert("kafka-core".to_owned(), retention(181, 204));
    by_deck.insert("kinesis-ops".to_owned(), retention(97, 128));
    let mut by_tag = BTreeMap::new();
    by_tag.insert("acks".to_owned(), retention(40, 44));
    let weakest_tags = vec![
        TagRetention {
            tag: "shard-splitting".into(),
            retention: retention(3, 7),
        },
        TagRetention {
            tag: "exactly-once".into(),
            retention: retention(9, 14),
        },
        TagRetention {
            tag: "consumer-lag".into(),
            retention: retention(11, 13),
        },
    ];
    Stats {
        tags: Vec::new(),
        labs: Vec::new(),
        calibration: streamdrill::srs::stats::Calibration {
            sure_correct: 30,
            sure_wrong: 10,
            unsure_correct: 5,
            unsure_wrong: 5,
        },
        reviews_total: 4_321,
        reviews_today: 5,
        due_now: 18,
        cards_total: 224,
        decks,
        reviews_per_day: calendar(),
        streak_days: 12,
        time_spent_ms: 14 * 3_600_000 + 5 * 60_000 + 31_000,
        time_spent_today_ms: 25 * 60_000 + 10_000,
        true_retention: retention(278, 332),
        true_retention_by_deck: by_deck,
        true_retention_by_tag: by_tag,
        due_forecast: forecast(),
        weakest_tags,
        retention_by_week: weeks(),
        flagged: 0,
    }
}

fn draw(stats: &Stats, colors: bool, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| render(stats, colors, &Scroll::default(), frame, frame.area()))
        .expect("draw");
    terminal
}

#[test]
fn snapshot_80x24() {
    insta::assert_snapshot!(draw(&stats(), true, 80, 24).backend());
}

#[test]
fn snapshot_120x40() {
    insta::assert_snapshot!(draw(&stats(), true, 120, 40).backend());
}

#[test]
fn snapshot_200x60() {
    insta::assert_snapshot!(draw(&stats(), true, 200, 60).backend());
}

#[test]
fn snapshot_too_small_30x8() {
    insta::assert_snapshot!(draw(&stats(), true, 30, 8).backend());
}

#[test]
fn snapshot_empty_stats_80x24() {
    let empty = Stats {
        tags: Vec::new(),
        labs: Vec::new(),
        calibration: streamdrill::srs::stats::Calibration::default(),
        reviews_total: 0,
        reviews_today: 0,
        due_now: 0,
        cards_total: 0,
        decks: Vec::new(),
        reviews_per_day: Vec::new(),
        streak_days: 0,
        time_spent_ms: 0,
        time_spent_today_ms: 0,
        true_retention: retention(0, 0),
        true_retention_by_deck: BTreeMap::new(),
        true_retention_by_tag: BTreeMap::new(),
        due_forecast: Vec::new(),
        weakest_tags: Vec::new(),
        retention_by_week: Vec::new(),
        flagged: 0,
    };
    insta::assert_snapshot!(draw(&empty, true, 80, 24).backend());
}

#[test]
fn no_color_sets_no_colours() {
    for (width, height) in [(80, 24), (120, 40), (200, 60), (30, 8)] {
        let terminal = draw(&stats(), false, width, height);
        for cell in &terminal.backend().buffer().content {
            assert_eq!(
                (cell.fg, cell.bg),
                (Color::Reset, Color::Reset),
                "{width}x{height}: {cell:?}"
            );
        }
    }
    // And with colours on, there are some.
    let terminal = draw(&stats(), true, 80, 24);
    assert!(
        terminal
            .backend()
            .buffer()
            .content
            .iter()
            .any(|cell| cell.fg != Color::Reset)
    );
}

#[test]
fn no_color_keeps_the_same_text() {
    for (width, height) in [(80, 24), (120, 40)] {
        let plain = draw(&stats(), false, width, height);
        let coloured = draw(&stats(), true, width, height);
        assert_eq!(plain.backend().to_string(), coloured.backend().to_string());
    }
}

/// The heatmap's grid: (x, y) of the bottom-right week column and the first weekday row.
fn heatmap_cell(terminal: &Terminal<TestBackend>, days_ago: i64) -> String {
    // At 120x40 the calendar is at the top left: border, month row, then seven weekday rows;
    // the gutter is 4 columns; today (a Monday) is row 0 of the last column.
    let buffer = terminal.backend().buffer();
    let weeks = 53; // 365 days ending on a Monday span 53 week columns.
    let grid_x = 1 + 4;
    let grid_y = 1 + 1;
    let today_weekday = 0;
    let k = (6 - today_weekday) + days_ago;
    let (column_from_right, row) = (k / 7, 6 - k % 7);
    let x = grid_x + (weeks - 1 - column_from_right);
    buffer[(x as u16, (grid_y + row) as u16)]
        .symbol()
        .to_owned()
}

#[test]
fn heatmap_shows_the_busiest_day_darkest() {
    let stats = stats();
    let terminal = draw(&stats, true, 120, 40);
    let darkest = SHADES[4].to_string();
    assert_eq!(heatmap_cell(&terminal, BUSIEST_DAYS_AGO), darkest);
    // The busiest day is the only one at the darkest shade.
    for days_ago in 0..365 {
        let cell = heatmap_cell(&terminal, days_ago);
        let reviews = stats.reviews_per_day[364 - days_ago as usize].reviews;
        assert_eq!(
            cell == darkest,
            days_ago == BUSIEST_DAYS_AGO,
            "{days_ago} days ago, {reviews} reviews: {cell:?}"
        );
        if reviews == 0 {
            assert_eq!(cell, " ", "{days_ago} days ago has no reviews");
        } else {
            assert_ne!(cell, " ", "{days_ago} days ago has {reviews} reviews");
        }
    }
    // The weekday labels sit beside the rows.
    let buffer = terminal.backend().buffer();
    let label: String = (1..4).map(|x| buffer[(x, 2)].symbol()).collect();
    assert_eq!(label, "Mon");
}

#[test]
fn shade_levels_scale_to_the_busiest_day() {
    assert_eq!(shade_level(0, 60), 0);
    assert_eq!(shade_level(1, 60), 1);
    assert_eq!(shade_level(15, 60), 1);
    assert_eq!(shade_level(16, 60), 2);
    assert_eq!(shade_level(45, 60), 3);
    assert_eq!(shade_level(46, 60), 4);
    assert_eq!(shade_level(60, 60), 4);
    assert_eq!(shade_level(3, 0), 0);
}

#[test]
fn durations_read_like_a_clock() {
    assert_eq!(format_duration(0), "0s");
    assert_eq!(format_duration(45_000), "45s");
    assert_eq!(format_duration(25 * 60_000 + 59_000), "25m");
    assert_eq!(format_duration(3_600_000 + 5 * 60_000), "1h 05m");
    assert_eq!(
        format_duration(14 * 3_600_000 + 5 * 60_000 + 31_000),
        "14h 05m"
    );
}

#[test]
fn never_panics_at_any_size() {
    let stats = stats();
    for width in 0..=45 {
        for height in 0..=15 {
            for colors in [true, false] {
                draw(&stats, colors, width, height);
            }
        }
    }
    // An area larger than the frame, or outside it, is clipped.
    let mut terminal = Terminal::new(TestBackend::new(50, 20)).expect("test backend");
    terminal
        .draw(|frame| {
            render(
                &stats,
                true,
                &Scroll::default(),
                frame,
                Rect::new(10, 5, 200, 60),
            );
            render(
                &stats,
                true,
                &Scroll::default(),
                frame,
                Rect::new(300, 300, 80, 24),
            );
        })
        .expect("draw");
}

#[test]
fn the_too_small_message_is_one_line() {
    let terminal = draw(&stats(), true, 39, 30);
    let text = terminal.backend().to_string();
    assert!(
        text.contains("Terminal too small (39x30, need 40x12)"),
        "{text}"
    );
    let terminal = draw(&stats(), true, 40, 12);
    assert!(!terminal.backend().to_string().contains("too small"));
}

/// The bundled library's twelve decks, two labs passed of three, flags: more than any box
/// holds at 80x24.
fn long_stats() -> Stats {
    let mut stats = stats();
    stats.decks = (1..=12)
        .map(|n| DeckStats {
            id: format!("deck-{n:02}"),
            title: format!("Deck number {n:02}"),
            cards: 10 + n,
            due: n % 3,
            new: n,
        })
        .collect();
    stats.labs = ["hot-key", "isr", "reshard"]
        .iter()
        .enumerate()
        .map(|(i, lab)| LabSummary {
            lab_id: (*lab).to_owned(),
            runs: 2,
            passed: u64::from(i < 2),
            last_passed: None,
        })
        .collect();
    stats.flagged = 4;
    stats
}

fn draw_scrolled(stats: &Stats, scroll: &Scroll, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| render(stats, true, scroll, frame, frame.area()))
        .expect("draw");
    terminal.backend().to_string()
}

#[test]
fn snapshot_long_stats_80x24() {
    insta::assert_snapshot!(draw_scrolled(&long_stats(), &Scroll::default(), 80, 24));
}

#[test]
fn snapshot_long_stats_120x40() {
    insta::assert_snapshot!(draw_scrolled(&long_stats(), &Scroll::default(), 120, 40));
}

#[test]
fn the_summary_box_shows_every_line_it_holds() {
    for (width, height) in [(80, 24), (120, 40), (200, 60)] {
        let screen = draw_scrolled(&long_stats(), &Scroll::default(), width, height);
        for line in [
            "Labs       2 passed of 3",
            "Lab runs   6",
            "Flagged    4",
            "Sure calls 75% right",
            "Unsure     50% right",
            "Due now    18 of 224",
        ] {
            assert!(
                screen.contains(line),
                "{width}x{height}: {line:?} in\n{screen}"
            );
        }
    }
}

#[test]
fn every_deck_shows_at_120x40() {
    let screen = draw_scrolled(&long_stats(), &Scroll::default(), 120, 40);
    for n in 1..=12 {
        assert!(
            screen.contains(&format!("Deck number {n:02}")),
            "{n}:\n{screen}"
        );
    }
    assert!(!screen.contains("rows 1-"), "nothing to scroll:\n{screen}");
}

#[test]
fn the_deck_table_scrolls_to_its_last_row_at_80x24() {
    let mut scroll = Scroll::default();
    let first = draw_scrolled(&long_stats(), &scroll, 80, 24);
    assert!(first.contains("Deck number 01"), "{first}");
    assert!(!first.contains("Deck number 12"), "{first}");
    assert!(
        first.contains("of 12 · ↑↓ PgUp PgDn"),
        "the title says there is more:\n{first}"
    );
    scroll.on_action(Action::Bottom);
    let last = draw_scrolled(&long_stats(), &scroll, 80, 24);
    assert!(last.contains("Deck number 12"), "{last}");
    assert!(!last.contains("Deck number 01"), "{last}");
    // Paging back up from the end reaches the first row again.
    for _ in 0..12 {
        scroll.on_action(Action::PageUp);
    }
    let top = draw_scrolled(&long_stats(), &scroll, 80, 24);
    assert!(top.contains("Deck number 01"), "{top}");
}
