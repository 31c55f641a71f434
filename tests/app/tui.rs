//! The TUI state machine, driven by key events and a fake clock, and its screens as
//! `TestBackend` snapshots.

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use streamdrill::deck::{Library, Origin};
use streamdrill::shell::config::Config;
use streamdrill::srs::queue::Progress;
use streamdrill::srs::scheduler::{Rating, Scheduler};
use streamdrill::srs::session::Phase;
use streamdrill::store::{Confidence, Review, ReviewOutcome};
use streamdrill::tui::app::{Confirm, ListRow, Step, summarize};
use streamdrill::tui::view::render;
use streamdrill::tui::{App, Effect, Msg, Screen};

pub(crate) fn t0() -> DateTime<Utc> {
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

fn app_with(fixtures: &[&str]) -> App {
    App::new(
        library_from(fixtures),
        Progress::default(),
        Scheduler::new(0.9).expect("retention"),
        t0(),
    )
    .with_config(Config::default(), true)
    .with_seed(7)
}

pub(crate) fn app() -> App {
    app_with(&["valid/tui.toml"])
}

/// The fixture with one card of each kind, in queue order: question, myth, failure, compare,
/// choice, numeric.
fn starter() -> App {
    app_with(&["valid/starter.toml"])
}

pub(crate) fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(crate) fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub(crate) fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(key(code), t0())
}

pub(crate) fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(app.update(key(KeyCode::Char(c)), t0()).is_empty());
    }
}

pub(crate) fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
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

fn current_id(app: &App) -> Option<String> {
    app.drill
        .as_ref()
        .and_then(|d| d.session.current())
        .map(|i| i.id.clone())
}

fn saved(app: &mut App) {
    app.update(Msg::Saved(Ok(ReviewOutcome::default())), t0());
}

#[test]
fn a_grade_is_saved_before_the_next_card_shows() {
    let mut app = app();
    assert_eq!(app.screen, Screen::Home);
    press(&mut app, KeyCode::Enter); // "All decks"
    assert_eq!(app.screen, Screen::Drill);

    type_text(&mut app, "q: acks=all");
    assert!(!app.quit, "q while typing is text, not quit");
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Enter);
    assert!(matches!(phase(&app), Phase::Revealed { .. }));

    let effects = app.update(key(KeyCode::Char('3')), t0() + Duration::seconds(30));
    let [Effect::SaveReview { review, state, .. }] = effects.as_slice() else {
        panic!("one save effect expected, got {effects:?}");
    };
    assert_eq!(review.item_id, "tui-fixture/acks");
    assert_eq!(review.rating, Rating::Good);
    assert_eq!(review.answer, "q: acks=al");
    assert_eq!(review.duration_ms, 30_000);
    assert!(state.due > t0());
    // Until the shell confirms, the same card stays on screen.
    assert!(matches!(phase(&app), Phase::Saving { .. }));
    assert_eq!(current_id(&app).as_deref(), Some("tui-fixture/acks"));

    saved(&mut app);
    assert_eq!(current_id(&app).as_deref(), Some("tui-fixture/myth-cost"));

    // Back home, the graded card no longer counts as new.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Home);
    assert_eq!(app.decks[0].new, 1);
}

#[test]
fn a_long_answer_is_shown_whole_next_to_the_model_answer() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    let long = "Use acks=all with min.insync.replicas=2 so an acknowledged write is on two \
                replicas, keep retries high, and make delivery.timeout.ms cover the failover";
    type_text(&mut app, long);
    app.update(
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)),
        t0(),
    );
    type_text(
        &mut app,
        "last line: the controller may be the restarted broker",
    );
    press(&mut app, KeyCode::Enter);
    assert!(matches!(phase(&app), Phase::Revealed { .. }));
    let screen = format!("{}", draw(&app, 80, 24).backend());
    assert!(
        screen.contains("the controller may be the restarted broker"),
        "{screen}"
    );
    assert!(screen.contains("cover the failover"), "{screen}");
}

#[test]
fn a_failed_save_keeps_the_card_and_asks_to_grade_again() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    assert_eq!(press(&mut app, KeyCode::Char('1')).len(), 1);
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
        press(&mut app, KeyCode::Char('2')).len(),
        1,
        "can grade again"
    );
}

#[test]
fn quitting_with_a_typed_answer_asks_first() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "half an answer");
    app.update(ctrl('c'), t0());
    assert_eq!(app.confirm, Some(Confirm::Quit));
    assert!(!app.quit);
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.confirm, None);
    assert_eq!(
        app.drill.as_ref().map(|d| d.input.text()),
        Some("half an answer".into())
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.confirm, Some(Confirm::Leave));
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.screen, Screen::Home);

    // With nothing typed, q after the reveal quits at once.
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn a_myth_is_called_with_one_key_and_a_confidence() {
    let mut app = starter();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter); // question: reveal
    press(&mut app, KeyCode::Char('3'));
    saved(&mut app);
    assert_eq!(
        current_id(&app).as_deref(),
        Some("starter/myth-kafka-cheaper-at-any-scale")
    );
    assert_eq!(
        app.drill.as_ref().map(|d| d.step.clone()),
        Some(Step::Verdict)
    );
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(
        app.drill.as_ref().map(|d| d.step.clone()),
        Some(Step::Confidence { said_true: true })
    );
    press(&mut app, KeyCode::Char('s'));
    assert!(matches!(
        phase(&app),
        Phase::Revealed {
            assessment: streamdrill::grading::Assessment::Verdict { correct: false }
        }
    ));
    let effects = press(&mut app, KeyCode::Char('1'));
    let [Effect::SaveReview { observed, .. }] = effects.as_slice() else {
        panic!("save expected");
    };
    assert_eq!(observed.confidence, Some(Confidence::Sure));
    assert_eq!(
        observed.correct,
        Some(false),
        "sure but wrong: calibration sees it"
    );
}

#[test]
fn a_failure_is_staged_cause_then_fix_and_a_choice_takes_one_key() {
    let mut app = starter();
    press(&mut app, KeyCode::Enter);
    for _ in 0..2 {
        // question, then the myth
        if app.drill.as_ref().map(|d| d.step.clone()) == Some(Step::Verdict) {
            press(&mut app, KeyCode::Char('f'));
            press(&mut app, KeyCode::Char('u'));
        } else {
            press(&mut app, KeyCode::Enter);
        }
        press(&mut app, KeyCode::Char('3'));
        saved(&mut app);
    }
    assert_eq!(
        current_id(&app).as_deref(),
        Some("starter/kinesis-hot-key-throttling")
    );
    type_text(&mut app, "hot key");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(
        app.drill.as_ref().map(|d| d.step.clone()),
        Some(Step::Fix { .. })
    ));
    type_text(&mut app, "salt the key");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.drill.as_ref().map(|d| d.session.answer().to_owned()),
        Some("Cause: hot key\nFix: salt the key".into())
    );
    press(&mut app, KeyCode::Char('3'));
    saved(&mut app);
    // The comparison cell, then the choice.
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('3'));
    saved(&mut app);
    assert_eq!(
        current_id(&app).as_deref(),
        Some("starter/pick-lambda-per-event")
    );
    // Options are shuffled per showing: pick the letter the correct option shows under.
    let item = app
        .drill
        .as_ref()
        .and_then(|d| d.session.current().cloned())
        .expect("a choice");
    let letter = item.correct_choice_letter().expect("a letter");
    let prompt = item.prompt();
    assert!(prompt.contains(&format!("\n  {letter}) ")), "{prompt}");
    // Digits are grades, not picks: nothing happens while choosing.
    assert!(press(&mut app, KeyCode::Char('1')).is_empty());
    assert!(matches!(phase(&app), Phase::Answering));
    press(&mut app, KeyCode::Char(letter));
    assert!(matches!(
        phase(&app),
        Phase::Revealed {
            assessment: streamdrill::grading::Assessment::Verdict { correct: true }
        }
    ));
    // A double tap of the letter does not grade.
    assert!(press(&mut app, KeyCode::Char(letter)).is_empty());
    assert!(matches!(phase(&app), Phase::Revealed { .. }));
    // Graded and undone, the card shows its options in the same order.
    press(&mut app, KeyCode::Char('3'));
    saved(&mut app);
    assert_eq!(app.update(ctrl('z'), t0()), vec![Effect::UndoLastReview]);
    let review = Review {
        item_id: item.id.clone(),
        deck_id: item.deck_id.clone(),
        reviewed_at: t0(),
        rating: Rating::Good,
        duration_ms: 0,
        answer: letter.to_string(),
    };
    app.update(Msg::Undone(Ok(Some((review, None)))), t0());
    let shown_again = app.drill.as_ref().and_then(|d| {
        d.session
            .current()
            .map(streamdrill::deck::DrillItem::prompt)
    });
    assert_eq!(
        current_id(&app).as_deref(),
        Some("starter/pick-lambda-per-event")
    );
    assert_eq!(shown_again.as_deref(), Some(prompt.as_str()));
}

#[test]
fn the_card_clock_reveals_when_time_runs_out() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "acks");
    let limit = app.drill.as_ref().map(|d| d.card_limit).expect("drilling");
    assert_eq!(
        limit,
        Duration::seconds(180),
        "question cards get the config's 180 s"
    );
    assert!(
        app.next_wake(t0()).is_some(),
        "a running clock wakes the app"
    );
    app.update(Msg::Tick, t0() + limit - Duration::seconds(1));
    assert!(matches!(phase(&app), Phase::Answering));
    app.update(Msg::Tick, t0() + limit);
    assert!(matches!(phase(&app), Phase::Revealed { .. }));
    assert!(app.drill.as_ref().is_some_and(|d| d.over_time));
    assert!(
        app.next_wake(t0() + limit).is_none(),
        "no clock, no wake-ups: idle"
    );
}

#[test]
fn the_session_time_box_ends_the_session_after_the_current_card() {
    let config = Config {
        session_minutes: 5,
        ..Config::default()
    };
    let mut app = app().with_config(config, true);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let first = t0() + Duration::minutes(4);
    app.update(key(KeyCode::Char('3')), first);
    app.update(Msg::Saved(Ok(ReviewOutcome::default())), first);
    assert_eq!(app.screen, Screen::Drill, "4 of 5 minutes used");
    app.update(key(KeyCode::Enter), first + Duration::seconds(30));
    let second = first + Duration::minutes(2);
    app.update(key(KeyCode::Char('3')), second);
    app.update(Msg::Saved(Ok(ReviewOutcome::default())), second);
    assert_eq!(
        app.screen,
        Screen::Summary,
        "6 minutes of work: the box is used up"
    );
}

#[test]
fn an_idle_card_counts_for_its_limit_plus_a_minute_and_does_not_end_the_session() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    // The learner walked away for 18 minutes on a question card (limit 180 s).
    let back = t0() + Duration::minutes(18);
    let effects = app.update(key(KeyCode::Char('3')), back);
    let [Effect::SaveReview { review, .. }] = effects.as_slice() else {
        panic!("one save effect expected, got {effects:?}");
    };
    assert_eq!(review.duration_ms, 240_000, "180 s limit + 60 s overrun");
    app.update(Msg::Saved(Ok(ReviewOutcome::default())), back);
    assert_eq!(
        app.screen,
        Screen::Drill,
        "4 counted minutes of a 15-minute box"
    );
    let left = app.drill.as_ref().map(|d| d.session_remaining(back));
    assert_eq!(left, Some(Duration::minutes(11)));
}

#[test]
fn the_summary_offers_the_misses_again_as_practice() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('1'));
    saved(&mut app);
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('3'));
    saved(&mut app);
    assert_eq!(app.screen, Screen::Summary);
    insta::assert_snapshot!("summary_80x24", draw(&app, 80, 24).backend());
    insta::assert_snapshot!("summary_120x40", draw(&app, 120, 40).backend());

    // Both are misses: the card graded "again" and the myth answered wrong (whatever its
    // grade), so both come back, and the summary's accuracy and misses agree.
    let summary = app.drill.as_ref().map(|d| summarize(&d.results));
    assert_eq!(
        summary.as_ref().map(|s| (s.misses, s.accuracy)),
        Some((2, Some(0.0)))
    );
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(app.screen, Screen::Drill);
    assert_eq!(current_id(&app).as_deref(), Some("tui-fixture/acks"));
    press(&mut app, KeyCode::Enter);
    assert!(
        press(&mut app, KeyCode::Char('3')).is_empty(),
        "practice grades are not saved"
    );
    assert_eq!(current_id(&app).as_deref(), Some("tui-fixture/myth-cost"));
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Char('s'));
    assert!(
        press(&mut app, KeyCode::Char('3')).is_empty(),
        "practice grades are not saved"
    );
    assert_eq!(app.screen, Screen::Summary);
}

#[test]
fn a_hard_grade_is_not_a_miss_and_accuracy_counts_what_was_not_missed() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('2'));
    saved(&mut app);
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('3'));
    saved(&mut app);
    assert_eq!(app.screen, Screen::Summary);
    let summary = summarize(&app.drill.as_ref().expect("drill").results);
    assert_eq!((summary.misses, summary.accuracy), (0, Some(1.0)));
    let screen = format!("{:?}", draw(&app, 80, 24).backend());
    assert!(screen.contains("accuracy         100%"), "{screen}");
    assert!(screen.contains("misses           0"), "{screen}");
}

#[test]
fn todays_first_review_extends_the_streak_on_home() {
    let mut app = app().with_streak(4);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('3'));
    saved(&mut app);
    assert_eq!(
        app.streak_days, 5,
        "the first review today extends the streak"
    );
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('3'));
    saved(&mut app);
    assert_eq!(app.streak_days, 5, "later reviews today do not");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Home);
    let screen = format!("{:?}", draw(&app, 80, 24).backend());
    assert!(screen.contains("streak 5 day(s)"), "{screen}");
}

#[test]
fn suspend_moves_on_without_a_grade_and_undo_brings_the_card_back() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    let (_, total) = position(&app);
    press(&mut app, KeyCode::Enter);
    assert!(matches!(phase(&app), Phase::Revealed { .. }));
    assert_eq!(
        press(&mut app, KeyCode::Char('x')),
        vec![Effect::SetSuspended {
            item: "tui-fixture/acks".into(),
            suspended: true
        }]
    );
    assert_eq!(current_id(&app).as_deref(), Some("tui-fixture/myth-cost"));
    assert!(matches!(phase(&app), Phase::Answering));
    assert_eq!(position(&app), (2, total));
    assert!(
        app.drill.as_ref().expect("drill").results.is_empty(),
        "no grade recorded"
    );

    assert_eq!(
        app.update(ctrl('z'), t0()),
        vec![Effect::SetSuspended {
            item: "tui-fixture/acks".into(),
            suspended: false
        }]
    );
    assert_eq!(current_id(&app).as_deref(), Some("tui-fixture/acks"));
    assert_eq!(position(&app), (1, total));
    // Nothing more of this session to undo.
    assert!(app.update(ctrl('z'), t0()).is_empty());
}

#[test]
fn suspending_the_last_card_ends_the_session() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('3'));
    saved(&mut app);
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Char('s'));
    assert!(matches!(phase(&app), Phase::Revealed { .. }));
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.screen, Screen::Summary);
    assert_eq!(app.drill.as_ref().expect("drill").results.len(), 1);
}

pub(crate) fn screen_text(app: &App, width: u16, height: u16) -> String {
    let terminal = draw(app, width, height);
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_long_revealed_card_scrolls_to_its_last_rubric_line_by_key_and_wheel() {
    let mut app = app_with(&["valid/long.toml"]);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "acks=all");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(phase(&app), Phase::Revealed { .. }));
    let first = screen_text(&app, 80, 24);
    assert!(first.contains("Model answer · rows 1-"), "{first}");
    assert!(!first.contains("last rubric point"), "{first}");
    insta::assert_snapshot!("drill_revealed_long_80x24", first);

    // End shows the last rubric line; scrolling further does nothing.
    press(&mut app, KeyCode::End);
    let end = screen_text(&app, 80, 24);
    assert!(
        end.contains("last rubric point: replication factor 3"),
        "{end}"
    );
    let at_end = app.drill.as_ref().expect("drill").reveal_scroll.offset();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(
        app.drill.as_ref().expect("drill").reveal_scroll.offset(),
        at_end
    );

    // Back to the top by key, then down by the wheel and j, one row at a time.
    press(&mut app, KeyCode::Home);
    assert_eq!(app.drill.as_ref().expect("drill").reveal_scroll.offset(), 0);
    app.update(Msg::Scroll(3), t0());
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.drill.as_ref().expect("drill").reveal_scroll.offset(), 4);
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.drill.as_ref().expect("drill").reveal_scroll.offset(), 3);
    for _ in 0..40 {
        press(&mut app, KeyCode::PageDown);
    }
    draw(&app, 80, 24);
    assert!(screen_text(&app, 80, 24).contains("last rubric point"));

    // At 120x40 the whole card fits: no scrolling, no indicator.
    let wide = screen_text(&app, 120, 40);
    assert!(wide.contains("last rubric point"), "{wide}");
    assert!(!wide.contains("rows 1-"), "{wide}");
    insta::assert_snapshot!("drill_revealed_long_120x40", wide);
}

#[test]
fn home_and_lab_lists_page_and_jump_to_their_ends() {
    let mut app = app_with(&["valid/tui.toml", "valid/starter.toml", "valid/long.toml"]);
    press(&mut app, KeyCode::Char('t'));
    let rows = app.home_rows();
    assert!(rows > 2, "{rows} tags");
    press(&mut app, KeyCode::End);
    assert_eq!(app.selected, rows - 1);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.selected, 0);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.selected, rows - 1);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.selected, (rows - 1).saturating_sub(10));
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.selected, 10.min(rows - 1));

    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.screen, Screen::Labs);
    press(&mut app, KeyCode::End);
    assert_eq!(app.lab_selected, app.labs.len() - 1);
    press(&mut app, KeyCode::Home);
    assert_eq!(app.lab_selected, 0);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.lab_selected, 10.min(app.labs.len() - 1));
}

#[test]
fn a_flagged_card_says_so_in_its_title() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    assert!(!screen_text(&app, 80, 24).contains("flagged"));
    assert_eq!(
        press(&mut app, KeyCode::Char('!')),
        vec![Effect::Flag("tui-fixture/acks".into())]
    );
    assert!(app.is_flagged("tui-fixture/acks"));
    let screen = screen_text(&app, 120, 40);
    assert!(screen.contains("tui-fixture/acks · ! flagged"), "{screen}");

    // The finder's `!` word lists it, and only it.
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "!");
    let finder = app.finder.as_ref().expect("finder open");
    let found: Vec<&str> = finder.results().map(|e| e.item_id.as_str()).collect();
    assert_eq!(found, vec!["tui-fixture/acks"]);
}

#[test]
fn esc_on_home_does_nothing_and_q_quits() {
    let mut app = app();
    assert_eq!(app.screen, Screen::Home);
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(!app.quit, "esc on home must not quit");
    assert_eq!(app.screen, Screen::Home);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn undo_brings_the_last_card_back() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('2'));
    saved(&mut app);
    assert_eq!(current_id(&app).as_deref(), Some("tui-fixture/myth-cost"));
    assert_eq!(app.update(ctrl('z'), t0()), vec![Effect::UndoLastReview]);
    let review = Review {
        item_id: "tui-fixture/acks".into(),
        deck_id: "tui-fixture".into(),
        reviewed_at: t0(),
        rating: Rating::Hard,
        duration_ms: 0,
        answer: String::new(),
    };
    app.update(Msg::Undone(Ok(Some((review, None)))), t0());
    assert_eq!(current_id(&app).as_deref(), Some("tui-fixture/acks"));
    assert!(matches!(phase(&app), Phase::Answering));
}

fn position(app: &App) -> (usize, usize) {
    app.drill.as_ref().expect("drilling").session.position()
}

#[test]
fn undo_steps_the_card_counter_back_and_keeps_the_session_length() {
    let mut app = starter();
    press(&mut app, KeyCode::Enter);
    let (_, total) = position(&app);
    assert_eq!(position(&app), (1, total));
    press(&mut app, KeyCode::Enter);
    let effects = press(&mut app, KeyCode::Char('2'));
    let [Effect::SaveReview { review, .. }] = effects.as_slice() else {
        panic!("one save effect expected, got {effects:?}");
    };
    let first = review.clone();
    saved(&mut app);
    assert_eq!(position(&app), (2, total));
    for _ in 0..3 {
        assert_eq!(app.update(ctrl('z'), t0()), vec![Effect::UndoLastReview]);
        app.update(Msg::Undone(Ok(Some((first.clone(), None)))), t0());
        assert_eq!(position(&app), (1, total), "back on the first card");
        assert_eq!(current_id(&app).as_deref(), Some(first.item_id.as_str()));
        let screen = format!("{:?}", draw(&app, 80, 24).backend());
        assert!(screen.contains(&format!("1/{total}")), "{screen}");
        // Graded again, the session moves on to the second card as before.
        press(&mut app, KeyCode::Enter);
        press(&mut app, KeyCode::Char('2'));
        saved(&mut app);
        assert_eq!(position(&app), (2, total));
    }
}

#[test]
fn interview_mode_runs_a_speaking_clock_then_the_follow_ups() {
    let mut app = starter();
    press(&mut app, KeyCode::Char('i'));
    assert!(app.interview_mode);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.drill.as_ref().map(|d| d.step.clone()),
        Some(Step::Speaking)
    );
    insta::assert_snapshot!("interview_speaking_80x24", draw(&app, 80, 24).backend());
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.drill.as_ref().map(|d| d.step.clone()),
        Some(Step::FollowUp {
            index: 0,
            shown: false
        })
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.drill.as_ref().map(|d| d.step.clone()),
        Some(Step::FollowUp {
            index: 0,
            shown: true
        })
    );
    press(&mut app, KeyCode::Enter);
    assert!(
        matches!(phase(&app), Phase::Revealed { .. }),
        "then the self-check"
    );
}

#[test]
fn help_lists_the_keys_of_the_screen_and_any_key_closes_it() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    assert!(app.help);
    insta::assert_snapshot!("home_help_80x24", draw(&app, 80, 24).backend());
    insta::assert_snapshot!("home_help_120x40", draw(&app, 120, 40).backend());
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.help && !app.quit, "the closing key does nothing else");
}

#[test]
fn home_screen_snapshots() {
    let app = app();
    insta::assert_snapshot!("home_80x24", draw(&app, 80, 24).backend());
    insta::assert_snapshot!("home_120x40", draw(&app, 120, 40).backend());
}

#[test]
fn the_home_list_switches_to_tags_and_drills_one() {
    let mut app = starter();
    press(&mut app, KeyCode::Char('t'));
    let tags: Vec<String> = app.tags.iter().map(|t| t.tag.clone()).collect();
    // The card's own tags and its deck's (`kafka`, `kinesis` are on the deck only).
    assert_eq!(
        tags,
        [
            "cost",
            "decision",
            "durability",
            "kafka",
            "kinesis",
            "partition-key",
            "producer",
            "retention",
            "sizing",
            "throughput"
        ]
    );
    let kafka = &app.tags[3];
    assert_eq!(
        (kafka.cards, kafka.new, kafka.due),
        (app.decks[0].cards, app.decks[0].cards, 0)
    );
    insta::assert_snapshot!("home_tags_80x24", draw(&app, 80, 24).backend());

    press(&mut app, KeyCode::Up);
    assert_eq!(app.selected, app.tags.len() - 1, "the cursor wraps");
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Drill);
    let drill = app.drill.as_ref().expect("drilling");
    assert_eq!(drill.title, "#cost");
    assert_eq!(drill.session.position().1, 1, "one card is tagged `cost`");
    assert_eq!(
        current_id(&app).as_deref(),
        Some("starter/myth-kafka-cheaper-at-any-scale")
    );

    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(app.home_rows(), app.decks.len() + 1, "back to the decks");
}

#[test]
fn home_screen_lists_skipped_decks() {
    let app = app_with(&["valid/tui.toml", "invalid/unknown-kind.toml"]);
    insta::assert_snapshot!("home_with_problems_80x24", draw(&app, 80, 24).backend());
}

#[test]
fn drill_screen_snapshots() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "acks=all, more retries");
    insta::assert_snapshot!("drill_answering_80x24", draw(&app, 80, 24).backend());
    insta::assert_snapshot!("drill_answering_120x40", draw(&app, 120, 40).backend());
    press(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("drill_revealed_80x24", draw(&app, 80, 24).backend());
    insta::assert_snapshot!("drill_revealed_120x40", draw(&app, 120, 40).backend());
    app.update(ctrl('c'), t0());
    press(&mut app, KeyCode::Char('3'));
    saved(&mut app);
    insta::assert_snapshot!("drill_myth_verdict_80x24", draw(&app, 80, 24).backend());
}

#[test]
fn a_tiny_terminal_gets_a_message_not_a_panic() {
    let mut app = starter();
    for screen_step in 0..4 {
        drop(draw(&app, 0, 0)); // TestBackend cannot print an empty buffer; drawing must not panic
        for (w, h) in [(1, 1), (20, 5), (39, 30), (100, 11), (40, 12)] {
            let text = format!("{}", draw(&app, w, h).backend());
            assert!(
                w < 10 || h < 2 || text.contains("Terminal too small") || (w, h) == (40, 12),
                "{w}x{h}: {text}"
            );
        }
        if screen_step == 1 {
            type_text(&mut app, "an answer");
        } else {
            drop(press(&mut app, KeyCode::Enter));
        }
    }
    insta::assert_snapshot!("too_small_30x8", draw(&app, 30, 8).backend());
}

#[test]
fn escape_sequences_from_decks_never_reach_the_screen() {
    let mut app = app_with(&["valid/escapes.toml"]);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let terminal = draw(&app, 100, 30);
    for cell in terminal.backend().buffer().content() {
        assert!(
            cell.symbol().chars().all(|c| !c.is_control()),
            "control character {:?} reached the buffer",
            cell.symbol()
        );
    }
    let text = format!("{}", terminal.backend());
    assert!(text.contains("Clear screen? Still here."));
}

#[test]
fn pasted_text_lands_in_the_answer_without_controls() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    app.update(
        Msg::Paste("acks=all\u{1b}[2J\r\nmin.insync.replicas=2".into()),
        t0(),
    );
    assert_eq!(
        app.drill.as_ref().map(|d| d.input.text()),
        Some("acks=all[2J\nmin.insync.replicas=2".into())
    );
}

#[test]
fn settings_show_the_config_and_data_paths_whole_even_when_long() {
    let deep = format!(
        "/srv/{}/streamdrill-data",
        "very-long-directory-name/".repeat(6)
    );
    let mut app = starter().with_paths(None, &format!("{deep}\u{1b}]0;owned\u{7}"));
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.screen, Screen::Settings);
    for (width, height) in [(80, 24), (120, 40)] {
        let screen = screen_text(&app, width, height);
        let rows: Vec<&str> = screen.lines().collect();
        // The box wraps the path: its pieces, read in order inside the borders, are the path.
        let inside: String = rows
            .iter()
            .filter(|r| r.starts_with('│'))
            .map(|r| r.trim_matches(|c| c == '│' || c == ' ').to_owned())
            .collect();
        assert!(
            inside.contains("streamdrill-data"),
            "{width}x{height}: {rows:#?}"
        );
        assert!(inside.contains("none (no config directory"), "{rows:#?}");
        assert!(!inside.contains('\u{1b}'), "escape sequences are stripped");
    }
}

#[test]
fn settings_plans_toward_an_interview_and_applies_it() {
    let mut app = starter().with_paths(
        Some("/home/learner/.config/streamdrill/config.toml"),
        "/home/learner/.local/share/streamdrill",
    );
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.screen, Screen::Settings);
    type_text(&mut app, "2026-06-30");
    press(&mut app, KeyCode::Enter);
    let result = app.plan_form.result.clone().expect("planned");
    let (date, plan) = result.expect("a valid plan");
    assert_eq!(date.to_string(), "2026-06-30");
    assert!(plan.all_learned, "{plan:?}");
    insta::assert_snapshot!("settings_plan_80x24", draw(&app, 80, 24).backend());
    insta::assert_snapshot!("settings_plan_120x40", draw(&app, 120, 40).backend());
    let effects = press(&mut app, KeyCode::Char('a'));
    let [Effect::SavePlan(saved)] = effects.as_slice() else {
        panic!("save plan expected: {effects:?}");
    };
    assert_eq!(saved.new_per_day as usize, plan.new_per_day);
    assert!((app.config().desired_retention - plan.desired_retention).abs() < 1e-6);
    // Grades and undos from now on are scheduled at the plan's retention.
    assert!((app.scheduler().desired_retention() - plan.desired_retention).abs() < 1e-6);

    // A bad date is explained, not planned.
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    for _ in 0..10 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "2026-13-40");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.plan_form.result, Some(Err(ref e)) if e.contains("not a date")));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Home);
}

#[test]
fn the_stats_screen_loads_its_figures_through_the_shell() {
    let mut app = starter();
    let effects = press(&mut app, KeyCode::Char('s'));
    assert_eq!(effects, vec![Effect::LoadStats { day_start_hour: 4 }]);
    assert_eq!(app.screen, Screen::Stats);
    let figures = streamdrill::srs::stats::StoreFigures {
        reviews_total: 3,
        ..streamdrill::srs::stats::StoreFigures::default()
    };
    app.update(
        Msg::StatsLoaded(Ok(figures), t0() - Duration::hours(6)),
        t0(),
    );
    let stats = app.stats.clone().expect("loaded").expect("ok");
    assert_eq!(stats.reviews_total, 3);
    assert_eq!(stats.cards_total, 8);
    insta::assert_snapshot!("stats_80x24", draw(&app, 80, 24).backend());
    insta::assert_snapshot!("stats_120x40", draw(&app, 120, 40).backend());
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Home);
}

/// The app on the bundled decks and labs: twelve-odd decks, dozens of tags.
fn bundled_app() -> App {
    App::new(
        Library::bundled(),
        Progress::default(),
        Scheduler::new(0.9).expect("retention"),
        t0(),
    )
    .with_config(Config::default(), true)
}

#[test]
fn the_stats_deck_table_scrolls_by_key_and_wheel_to_the_last_bundled_deck() {
    let mut app = bundled_app();
    // Long titles end in "…" at 80 columns; their first words identify them.
    let opening = |title: &str| title.chars().take(20).collect::<String>();
    let last_deck = opening(&app.decks.last().expect("bundled decks").title);
    let first_deck = opening(&app.decks.first().expect("bundled decks").title);
    press(&mut app, KeyCode::Char('s'));
    app.update(
        Msg::StatsLoaded(
            Ok(streamdrill::srs::stats::StoreFigures::default()),
            t0() - Duration::hours(6),
        ),
        t0(),
    );
    let shown = |app: &App| screen_text(app, 80, 24);
    let top = shown(&app);
    assert!(
        top.contains("PgUp PgDn"),
        "the title says the table scrolls:\n{top}"
    );
    assert!(!top.contains(&last_deck), "{top}");
    press(&mut app, KeyCode::Char('G'));
    let bottom = shown(&app);
    assert!(bottom.contains(&last_deck), "{bottom}");
    press(&mut app, KeyCode::Char('g'));
    let back = shown(&app);
    assert!(back.contains(&first_deck), "{first_deck}:\n{back}");
    app.update(Msg::Scroll(50), t0());
    assert!(
        shown(&app).contains(&last_deck),
        "the wheel reaches the end"
    );
    // Leaving and coming back starts from the top again.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.stats_scroll.offset(), 0);
}

#[test]
fn the_finder_drills_its_results_as_practice() {
    let mut app = starter();
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.screen, Screen::Finder);
    type_text(&mut app, "lambda");
    insta::assert_snapshot!("finder_80x24", draw(&app, 80, 24).backend());
    insta::assert_snapshot!("finder_120x40", draw(&app, 120, 40).backend());
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Drill);
    assert_eq!(
        current_id(&app).as_deref(),
        Some("starter/pick-lambda-per-event")
    );
    press(&mut app, KeyCode::Char('a'));
    assert!(
        press(&mut app, KeyCode::Char('3')).is_empty(),
        "practice is not scheduled"
    );

    // Asked to, a finder session counts for scheduling.
    let mut app = starter();
    press(&mut app, KeyCode::Char('/'));
    app.update(ctrl('s'), t0());
    assert!(app.finder_schedules);
    type_text(&mut app, "lambda");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(
        press(&mut app, KeyCode::Char('3')).len(),
        1,
        "this grade is saved"
    );

    // From a revealed card, the finder returns to the drill on esc.
    let mut app = starter();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.screen, Screen::Finder);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Drill);
}

#[test]
fn clicks_select_decks_and_grade_cards() {
    let mut app = app_with(&["valid/tui.toml", "valid/starter.toml"]);
    let terminal = draw(&app, 80, 24);
    // Find the screen row of the second deck by its title, as a user would click it.
    let screen = format!("{}", terminal.backend());
    let row = screen
        .lines()
        .position(|l| l.contains("Kafka vs Kinesis: first drill"))
        .expect("deck listed") as u16;
    app.update(Msg::Click(10, row), t0());
    assert_eq!(app.selected, 2);
    drop(draw(&app, 80, 24));
    app.update(Msg::Click(10, row), t0());
    assert_eq!(
        app.screen,
        Screen::Drill,
        "a second click on the selection drills it"
    );

    press(&mut app, KeyCode::Enter);
    let terminal = draw(&app, 80, 24);
    let screen = format!("{}", terminal.backend());
    let (grade_row, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("Grade:"))
        .expect("grade bar");
    let column = line.find("3 good").expect("good button") as u16 - 1; // the line starts with a quote
    let effects = app.update(Msg::Click(column, grade_row as u16), t0());
    let [Effect::SaveReview { review, .. }] = effects.as_slice() else {
        panic!("a click on a grade saves it: {effects:?}");
    };
    assert_eq!(review.rating, Rating::Good);
}

#[test]
fn the_home_entries_take_clicks() {
    let mut app = app();
    let screen = format!("{}", draw(&app, 80, 24).backend());
    let (row, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("s  stats"))
        .expect("entries row");
    // The line starts with a quote in the backend's Display.
    let column = |text: &str| line.find(text).expect("entry shown") as u16;
    let effects = app.update(Msg::Click(column("stats"), row as u16), t0());
    assert_eq!(app.screen, Screen::Stats);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadStats { .. }]),
        "{effects:?}"
    );

    press(&mut app, KeyCode::Esc);
    drop(draw(&app, 80, 24));
    app.update(Msg::Click(column("labs"), row as u16), t0());
    assert_eq!(app.screen, Screen::Labs);
}

#[test]
fn clicks_select_and_start_labs() {
    let mut app = app();
    press(&mut app, KeyCode::Char('l'));
    let screen = format!("{}", draw(&app, 80, 24).backend());
    let row = screen
        .lines()
        .position(|l| l.contains("kafka-isr-shrinkage"))
        .expect("lab listed") as u16;
    app.update(Msg::Click(20, row), t0());
    assert_eq!(app.labs[app.lab_selected].id, "kafka-isr-shrinkage");
    assert_eq!(app.screen, Screen::Labs, "the first click selects");
    drop(draw(&app, 80, 24));
    app.update(Msg::Click(20, row), t0());
    assert_eq!(app.screen, Screen::Lab, "a second click starts it");
    assert_eq!(
        app.lab.as_ref().map(|l| l.live.lab.id.as_str()),
        Some("kafka-isr-shrinkage")
    );
}

#[test]
fn f_filters_the_home_list_and_enter_drills_the_row_left() {
    let mut app = bundled_app();
    let expected: Vec<String> = app
        .decks
        .iter()
        .filter(|d| d.id.contains("myths") || d.title.to_lowercase().contains("myths"))
        .map(|d| d.title.clone())
        .collect();
    assert!(!expected.is_empty());
    press(&mut app, KeyCode::Char('f'));
    // Letters are text now: `s` of "myths" does not open the stats.
    type_text(&mut app, "MYTHS");
    assert_eq!(app.screen, Screen::Home);
    assert_eq!(
        app.home_rows(),
        expected.len(),
        "no 'All decks' row while filtering"
    );
    let screen = screen_text(&app, 80, 24);
    assert!(screen.contains("filter: MYTHS▏ (esc clears)"), "{screen}");
    assert!(screen.contains(&expected[0]), "{screen}");
    assert!(!screen.contains("All decks"), "{screen}");
    assert!(
        screen.contains("esc  clear the filter"),
        "the hint bar says how out:\n{screen}"
    );

    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Drill);
    assert!(
        app.drill
            .as_ref()
            .expect("drill")
            .title
            .contains(&expected[0])
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Home);
    // Back home the filter still holds, closed: letters are commands again.
    assert_eq!(app.home_rows(), expected.len());
    assert!(screen_text(&app, 80, 24).contains("filter: MYTHS (f edits, esc clears)"));
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        app.home_rows(),
        app.decks.len() + 1,
        "esc clears the filter"
    );
    assert!(!app.quit);
}

#[test]
fn the_tag_list_pages_by_the_rows_in_view_and_filters_to_a_tag() {
    let mut app = bundled_app();
    press(&mut app, KeyCode::Char('t'));
    drop(screen_text(&app, 80, 24));
    let page = app.list_page.get();
    assert!(page > 10, "80x24 shows more than ten tags: {page}");
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.selected, page);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.selected, 0);

    press(&mut app, KeyCode::Char('f'));
    type_text(&mut app, "kcl");
    let rows = app.home_list_rows();
    assert!(!rows.is_empty());
    assert!(rows.len() < app.tags.len());
    for row in &rows {
        let ListRow::Tag(i) = *row else {
            panic!("a tag row: {row:?}")
        };
        assert!(app.tags[i].tag.contains("kcl"), "{}", app.tags[i].tag);
    }
    // Down moves within the filtered rows; j would be text.
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected, 1.min(rows.len() - 1));
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    assert_eq!(
        app.home_rows(),
        app.tags.len(),
        "an empty filter keeps every tag"
    );
    assert_eq!(
        app.selected, 0,
        "editing the filter goes back to the first row"
    );
}

#[test]
fn the_lab_list_filters_and_esc_clears_before_it_leaves() {
    let mut app = bundled_app();
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Char('f'));
    type_text(&mut app, "hot");
    let rows = app.lab_rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(app.labs[rows[0]].id, "kinesis-hot-key");
    let screen = screen_text(&app, 80, 24);
    assert!(screen.contains("kinesis-hot-key"), "{screen}");
    assert!(!screen.contains("kafka-isr-shrinkage"), "{screen}");

    type_text(&mut app, "zzz");
    assert!(app.lab_rows().is_empty());
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.screen, Screen::Labs, "enter on no row starts nothing");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Labs, "the first esc clears the filter");
    assert_eq!(app.lab_rows().len(), app.labs.len());
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Home);

    // A closed filter: enter starts the lab it left.
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Char('f'));
    type_text(&mut app, "isr");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Lab);
    assert_eq!(
        app.lab.as_ref().map(|l| l.live.lab.id.as_str()),
        Some("kafka-isr-shrinkage")
    );
}

/// A deck of 60 myth cards, each with its own tag, so the tag list is longer than any screen.
fn many_tags_app() -> App {
    let mut source =
        String::from("[deck]\nid = \"tags\"\ntitle = \"Many tags\"\ndescription = \"d\"\n");
    for n in 0..60 {
        source.push_str(&format!(
            "\n[[cards]]\nid = \"m{n:02}\"\nkind = \"myth\"\ntags = [\"topic-{n:02}\"]\n\
             source = \"s\"\nclaim = \"Claim {n}.\"\nis_true = false\nreality = \"r\"\n"
        ));
    }
    let mut library = Library::default();
    library.add(Origin::File("tags.toml".into()), "tags.toml", &source);
    assert!(library.problems.is_empty(), "{:?}", library.problems);
    App::new(
        library,
        Progress::default(),
        Scheduler::new(0.9).expect("retention"),
        t0(),
    )
    .with_config(Config::default(), true)
}

#[test]
fn a_long_tag_list_pages_and_filters_at_80x24_and_120x40() {
    let mut app = many_tags_app();
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Char('G'));
    insta::assert_snapshot!("tags_at_the_end_80x24", draw(&app, 80, 24).backend());
    assert!(screen_text(&app, 80, 24).contains("> #topic-59"));
    press(&mut app, KeyCode::Char('g'));
    press(&mut app, KeyCode::Char('f'));
    type_text(&mut app, "topic-4");
    assert_eq!(app.home_rows(), 10);
    insta::assert_snapshot!("tags_filtered_120x40", draw(&app, 120, 40).backend());
}

/// The screen, and under each row of the answer box a row that marks the words the scorer
/// used: `^` under evidence for a point, `!` under the words of a wrong claim.
fn screen_with_evidence(app: &App, width: u16, height: u16) -> String {
    use ratatui::style::Modifier;
    let terminal = draw(app, width, height);
    let buffer = terminal.backend().buffer();
    let mut rows = Vec::new();
    let mut in_answer_box = false;
    for y in 0..height {
        let row: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_owned())
            .collect();
        if row.contains(" Your answer ") {
            in_answer_box = true;
            rows.push(row);
            continue;
        }
        if in_answer_box && row.starts_with('└') {
            in_answer_box = false;
        }
        rows.push(row);
        if in_answer_box {
            let marks: String = (0..width)
                .map(|x| {
                    let modifier = buffer[(x, y)].modifier;
                    if modifier.contains(Modifier::CROSSED_OUT) {
                        '!'
                    } else if modifier.contains(Modifier::UNDERLINED) {
                        '^'
                    } else {
                        ' '
                    }
                })
                .collect();
            rows.push(marks.trim_end().to_owned());
        }
    }
    rows.join("\n")
}

fn revealed_evidence_card(answer: &str) -> App {
    let mut app = app_with(&["valid/evidence.toml"]);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, answer);
    press(&mut app, KeyCode::Enter);
    assert!(matches!(phase(&app), Phase::Revealed { .. }));
    app
}

const EVIDENCE_ANSWER: &str = "Followers fall behind on saturated disks, so the ISR shrinks and \
    writes get NotEnoughReplicas. Quick fix: lower min.insync.replicas to 1.";

#[test]
fn the_reveal_highlights_exactly_the_words_the_scorer_used() {
    let app = revealed_evidence_card(EVIDENCE_ANSWER);
    insta::assert_snapshot!(
        "drill_revealed_evidence_80x24",
        screen_with_evidence(&app, 80, 24)
    );
    insta::assert_snapshot!(
        "drill_revealed_evidence_120x40",
        screen_with_evidence(&app, 120, 40)
    );
    let screen = screen_text(&app, 120, 40);
    assert!(
        screen.contains("Rubric: 2/3 named, 1 contradicted"),
        "{screen}"
    );
    assert!(
        screen.contains("wrong: \"lower min.insync.replicas\""),
        "{screen}"
    );
    assert!(screen.contains("suggested: again"), "{screen}");
}

#[test]
fn enter_never_applies_an_again_the_learner_did_not_choose() {
    let mut app = revealed_evidence_card(EVIDENCE_ANSWER);
    let effects = press(&mut app, KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(matches!(phase(&app), Phase::Revealed { .. }));
    let notice = app.drill.as_ref().and_then(|d| d.notice.clone());
    assert!(notice.is_some_and(|n| n.contains("Press 1")));
    // Chosen, it applies.
    let effects = press(&mut app, KeyCode::Char('1'));
    assert!(!effects.is_empty());
    assert!(matches!(
        phase(&app),
        Phase::Saving {
            rating: Rating::Again
        }
    ));
}

#[test]
fn a_good_answer_is_taken_by_enter_and_a_thin_one_gets_no_suggestion() {
    let mut app = revealed_evidence_card(
        "Disk I/O is saturated, so followers drop out of the ISR and acks=all writes fail with \
         NotEnoughReplicas because min.insync.replicas is 2.",
    );
    assert!(!press(&mut app, KeyCode::Enter).is_empty());
    assert!(matches!(
        phase(&app),
        Phase::Saving {
            rating: Rating::Good
        }
    ));

    let mut app = revealed_evidence_card("ISR shrinks");
    assert!(!screen_text(&app, 120, 40).contains("suggested:"));
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(matches!(phase(&app), Phase::Revealed { .. }));
}

#[test]
fn the_planner_screen_uses_the_learners_pace_as_plan_does() {
    let plan_on_screen = |seconds: Option<f32>| {
        let mut app = app_with(&["valid/starter.toml", "valid/tui.toml"])
            .with_review_pace(seconds, chrono::Offset::fix(&Utc));
        press(&mut app, KeyCode::Char('p'));
        type_text(&mut app, "2026-06-08");
        press(&mut app, KeyCode::Tab);
        for _ in 0..4 {
            press(&mut app, KeyCode::Backspace);
        }
        type_text(&mut app, "1");
        press(&mut app, KeyCode::Enter);
        app.plan_form
            .result
            .clone()
            .expect("planned")
            .expect("a valid plan")
            .1
    };
    let library = library_from(&["valid/starter.toml", "valid/tui.toml"]);
    let input = streamdrill::srs::planner::PlanInput {
        now: t0(),
        days: 8,
        minutes_per_day: 1.0,
        seconds_per_review: Some(90.0),
        parameters: Scheduler::new(0.9)
            .expect("retention")
            .parameters()
            .to_vec(),
        cards: streamdrill::srs::planner::plan_cards(&library, &Progress::default()),
    };
    let by_cli = streamdrill::srs::planner::plan(&input).expect("plan");
    let slow = plan_on_screen(Some(90.0));
    assert_eq!(
        slow, by_cli,
        "the screen plans as `plan` does for the same pace"
    );
    let quick = plan_on_screen(Some(5.0));
    assert!(
        quick.new_per_day > slow.new_per_day || quick.predicted_recall > slow.predicted_recall,
        "a learner who takes 5 s a review can do more in a minute a day than one who takes 90 s: {quick:?} vs {slow:?}"
    );
}

/// The fixture's comparison row at its Kinesis cell (the first, and the one with rubric points),
/// with `answer` typed and revealed.
fn revealed_compare_cell(answer: &str) -> App {
    let mut app = app_with(&["valid/compare-evidence.toml"]);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        current_id(&app).as_deref(),
        Some("compare-fixture/cmp-retention/kinesis")
    );
    type_text(&mut app, answer);
    press(&mut app, KeyCode::Enter);
    assert!(matches!(phase(&app), Phase::Revealed { .. }));
    app
}

const COMPARE_ANSWER: &str = "By default a record stays 24 hours. You can raise it, but not \
    to 365 days: Kinesis keeps data forever if you pay for it.";

#[test]
fn a_revealed_compare_cell_shows_its_value_then_the_evidence_then_the_rest_of_the_row() {
    let app = revealed_compare_cell(COMPARE_ANSWER);
    insta::assert_snapshot!(
        "drill_revealed_compare_evidence_80x24",
        screen_with_evidence(&app, 80, 24)
    );
    insta::assert_snapshot!(
        "drill_revealed_compare_evidence_120x40",
        screen_with_evidence(&app, 120, 40)
    );
    let screen = screen_text(&app, 120, 40);
    assert!(
        screen.contains(
            "How long can AWS Kinesis Data Streams keep records, and what decides how long they stay?"
        ),
        "{screen}"
    );
    // At 80x24 the question wraps, and the revealed card still shows all of it.
    let small = screen_text(&app, 80, 24);
    assert!(
        small.contains("│Retention ")
            && small.contains("│How long can AWS Kinesis Data Streams keep records")
            && small.contains("│they stay? "),
        "{small}"
    );
    let value = screen
        .find("24 hours by default, up to 365 days")
        .expect(&screen);
    let rubric = screen
        .find("Rubric: 1/2 named, 1 contradicted")
        .expect(&screen);
    let rest = screen
        .find("Retention on the other systems:")
        .expect(&screen);
    let kafka = screen
        .find("Self-hosted Kafka: Configurable")
        .expect(&screen);
    assert!(value < rubric && rubric < rest && rest < kafka, "{screen}");
    assert!(screen.contains("wrong: \"forever\""), "{screen}");
    assert!(screen.contains("suggested: again"), "{screen}");
}

#[test]
fn the_lab_list_shows_every_bundled_lab() {
    let mut app = app();
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.screen, Screen::Labs);
    insta::assert_snapshot!("labs_list_80x24", draw(&app, 80, 24).backend());
}

#[test]
fn the_selected_decks_title_shows_whole_under_a_narrow_table() {
    let mut app = bundled_app();
    let longest = app
        .decks
        .iter()
        .map(|d| d.title.clone())
        .max_by_key(|t| t.chars().count())
        .expect("decks");
    let row = app
        .home_list_rows()
        .iter()
        .position(|r| matches!(r, ListRow::Deck(i) if app.decks[*i].title == longest))
        .expect("its row");
    for _ in 0..row {
        press(&mut app, KeyCode::Down);
    }
    let screen = screen_text(&app, 80, 24);
    assert!(
        !screen
            .lines()
            .any(|l| l.contains("│") && l.contains(&longest)),
        "the table cuts it at 80 columns:\n{screen}"
    );
    assert!(screen.contains(&format!(" {longest}")), "{screen}");
}
