//! The TUI state machine, driven by key events, and its screens as `TestBackend` snapshots.

use std::path::Path;
use streamdrill::queue::Progress;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use streamdrill::deck::{Library, Origin};
use streamdrill::scheduler::{Rating, Scheduler};
use streamdrill::session::Phase;
use streamdrill::store::ReviewOutcome;
use streamdrill::tui::view::render;
use streamdrill::tui::{App, Effect, Msg, Screen};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0)
        .single()
        .expect("valid date")
}

fn library_from(fixtures: &[&str]) -> Library {
    let mut library = Library::default();
    for name in fixtures {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let source = std::fs::read_to_string(&path).expect("fixture");
        library.add(Origin::File((*name).to_owned()), name, &source);
    }
    library
}

fn app() -> App {
    App::new(
        library_from(&["valid/tui.toml"]),
        Progress::default(),
        Scheduler::new(0.9).expect("retention"),
        t0(),
    )
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(app.update(key(KeyCode::Char(c)), t0()).is_empty());
    }
}

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|frame| render(app, frame)).expect("draw");
    terminal
}

fn phase(app: &App) -> Phase {
    app.drill
        .as_ref()
        .expect("drilling")
        .session
        .phase()
        .clone()
}

#[test]
fn a_grade_is_saved_before_the_next_card_shows() {
    let mut app = app();
    assert_eq!(app.screen, Screen::Home);
    app.update(key(KeyCode::Enter), t0()); // "All decks"
    assert_eq!(app.screen, Screen::Drill);

    type_text(&mut app, "q: acks=all");
    assert!(!app.quit, "q while typing is text, not quit");
    assert_eq!(
        app.drill.as_ref().map(|d| d.session.answer()),
        Some("q: acks=all")
    );
    app.update(key(KeyCode::Backspace), t0());
    app.update(key(KeyCode::Enter), t0());
    assert!(matches!(phase(&app), Phase::Revealed { .. }));

    let effects = app.update(key(KeyCode::Char('3')), t0() + Duration::seconds(30));
    let [Effect::SaveReview { review, state }] = effects.as_slice() else {
        panic!("one save effect expected, got {effects:?}");
    };
    assert_eq!(review.item_id, "tui-fixture/acks");
    assert_eq!(review.rating, Rating::Good);
    assert_eq!(review.answer, "q: acks=al");
    assert_eq!(review.duration_ms, 30_000);
    assert!(state.due > t0());
    // Until the shell confirms, the same card stays on screen.
    assert!(matches!(phase(&app), Phase::Saving { .. }));
    assert_eq!(
        app.drill
            .as_ref()
            .and_then(|d| d.session.current())
            .map(|i| i.id.as_str()),
        Some("tui-fixture/acks")
    );

    app.update(Msg::Saved(Ok(ReviewOutcome::default())), t0());
    let drill = app.drill.as_ref().expect("drilling");
    assert_eq!(
        drill.session.current().map(|i| i.id.as_str()),
        Some("tui-fixture/myth-cost")
    );
    assert_eq!(drill.session.answer(), "");

    // Back home, the graded card no longer counts as new.
    app.update(key(KeyCode::Esc), t0());
    assert_eq!(app.screen, Screen::Home);
    assert_eq!(app.decks[0].new, 1);
}

#[test]
fn a_failed_save_keeps_the_card_and_asks_to_grade_again() {
    let mut app = app();
    app.update(key(KeyCode::Enter), t0());
    app.update(key(KeyCode::Enter), t0());
    assert_eq!(app.update(key(KeyCode::Char('1')), t0()).len(), 1);
    app.update(Msg::Saved(Err("disk I/O error".into())), t0());
    let drill = app.drill.as_ref().expect("drilling");
    assert!(matches!(drill.session.phase(), Phase::Revealed { .. }));
    assert!(
        drill
            .error
            .as_deref()
            .is_some_and(|e| e.contains("disk I/O error"))
    );
    assert_eq!(drill.session.reviewed(), 0);
    assert_eq!(
        app.update(key(KeyCode::Char('2')), t0()).len(),
        1,
        "can grade again"
    );
}

#[test]
fn grade_keys_do_nothing_before_reveal_and_q_quits_after() {
    let mut app = app();
    app.update(key(KeyCode::Char('j')), t0());
    app.update(key(KeyCode::Enter), t0()); // the fixture deck itself
    assert!(
        app.update(key(KeyCode::Char('3')), t0()).is_empty(),
        "typed, not graded"
    );
    app.update(key(KeyCode::Enter), t0());
    app.update(key(KeyCode::Char('q')), t0());
    assert!(app.quit);
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let mut app = app();
    app.update(key(KeyCode::Enter), t0());
    app.update(
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        t0(),
    );
    assert!(app.quit);
}

#[test]
fn home_screen_snapshot() {
    let app = app();
    insta::assert_snapshot!("home_80x24", draw(&app, 80, 24).backend());
}

#[test]
fn home_screen_lists_skipped_decks() {
    let app = App::new(
        library_from(&["valid/tui.toml", "invalid/unknown-kind.toml"]),
        Progress::default(),
        Scheduler::new(0.9).expect("retention"),
        t0(),
    );
    insta::assert_snapshot!("home_with_problems_80x24", draw(&app, 80, 24).backend());
}

#[test]
fn drill_screen_snapshots() {
    let mut app = app();
    app.update(key(KeyCode::Enter), t0());
    type_text(&mut app, "acks=all, more retries");
    insta::assert_snapshot!("drill_answering_80x24", draw(&app, 80, 24).backend());
    app.update(key(KeyCode::Enter), t0());
    insta::assert_snapshot!("drill_revealed_80x24", draw(&app, 80, 24).backend());
}

#[test]
fn a_tiny_terminal_gets_a_message_not_a_panic() {
    let mut app = app();
    for (w, h) in [(1, 1), (20, 5), (39, 30), (100, 11)] {
        let terminal = draw(&app, w, h);
        let text = format!("{}", terminal.backend());
        assert!(text.contains("Terminal") || w < 10, "{w}x{h}: {text}");
    }
    app.update(key(KeyCode::Enter), t0());
    app.update(key(KeyCode::Enter), t0());
    insta::assert_snapshot!("too_small_30x8", draw(&app, 30, 8).backend());
}

#[test]
fn escape_sequences_from_decks_never_reach_the_screen() {
    let mut app = App::new(
        library_from(&["valid/escapes.toml"]),
        Progress::default(),
        Scheduler::new(0.9).expect("retention"),
        t0(),
    );
    app.update(key(KeyCode::Enter), t0());
    app.update(key(KeyCode::Enter), t0());
    let terminal = draw(&app, 100, 30);
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert!(
            cell.symbol().chars().all(|c| !c.is_control()),
            "control character {:?} reached the buffer",
            cell.symbol()
        );
    }
    let text = format!("{}", terminal.backend());
    assert!(text.contains("Clear screen? Still here."));
}
