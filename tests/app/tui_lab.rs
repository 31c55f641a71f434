//! The lab screen as a learner works in it: a run that waits on its briefing, a clock that
//! follows the wall clock at the chosen speed, a console with a transcript, history and
//! completion, panes that scroll, and the verdict with its debrief. Key events and a fake
//! clock in, state and `TestBackend` snapshots out.

use chrono::Duration;
use crossterm::event::KeyCode;
use streamdrill::tui::app::LabPane;
use streamdrill::tui::{App, Effect, Msg, Screen};
use streamdrill_engine::SimDuration;

use super::tui::{app, ctrl, draw, key, press, screen_text, t0, type_text};

/// Starts the open lab (enter on an empty line) and pauses it at once.
fn start_paused(app: &mut App) {
    press(app, KeyCode::Enter);
    assert!(
        app.lab.as_ref().is_some_and(|l| l.started),
        "enter starts the lab"
    );
    app.update(ctrl('p'), t0());
    assert!(app.lab.as_ref().is_some_and(|l| l.paused));
}

fn open_hot_key_lab() -> App {
    let mut app = app();
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.screen, Screen::Labs);
    let index = app
        .labs
        .iter()
        .position(|l| l.id == "kinesis-hot-key")
        .expect("bundled lab");
    for _ in 0..index {
        press(&mut app, KeyCode::Char('j'));
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Lab);
    app
}

fn lab(app: &App) -> &streamdrill::tui::app::LabScreen {
    app.lab.as_ref().expect("a lab is open")
}

/// The console's text, every reply line of the transcript.
fn transcript(app: &App) -> String {
    lab(app)
        .transcript
        .iter()
        .flat_map(|e| std::iter::once(format!("> {}", e.command)).chain(e.reply.lines(100)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_lab_opens_paused_on_its_briefing_and_only_help_runs_before_the_start() {
    let mut app = open_hot_key_lab();
    assert!(!lab(&app).started);
    assert!(
        app.next_wake(t0()).is_none(),
        "a lab on its briefing does not wake the app"
    );
    insta::assert_snapshot!("lab_briefing_80x24", draw(&app, 80, 24).backend());
    // Time passing while the learner reads moves nothing.
    for s in 1..30 {
        app.update(Msg::Tick, t0() + Duration::seconds(s));
    }
    assert_eq!(lab(&app).live.now(), SimDuration::ZERO);

    type_text(&mut app, "gen list");
    press(&mut app, KeyCode::Enter);
    assert!(
        transcript(&app).contains("The lab has not started"),
        "{}",
        transcript(&app)
    );
    type_text(&mut app, "help");
    press(&mut app, KeyCode::Enter);
    let text = transcript(&app);
    assert!(
        text.contains("gen start"),
        "help lists the lab's commands: {text}"
    );
    assert_eq!(
        lab(&app).live.commands_used,
        0,
        "neither counts as a command"
    );
    assert_eq!(lab(&app).live.now(), SimDuration::ZERO);

    press(&mut app, KeyCode::Enter);
    let screen = lab(&app);
    assert!(screen.started && !screen.paused);
    assert_eq!(
        screen.live.now(),
        SimDuration::from_secs(60),
        "the lab plays to its page and hands over"
    );
    assert_eq!(screen.speed, 1, "control starts at 1x");
    assert!(app.next_wake(t0()).is_some(), "a running lab ticks");
}

#[test]
fn the_clock_follows_the_wall_clock_at_the_chosen_speed_and_waits_while_paused_or_away() {
    let mut app = open_hot_key_lab();
    let mut now = t0();
    app.update(
        Msg::Key(crossterm::event::KeyEvent::from(KeyCode::Enter)),
        now,
    );
    let at = |app: &App| lab(app).live.now().as_micros() / 1_000_000;
    assert_eq!(at(&app), 60);
    for _ in 0..4 {
        now += Duration::milliseconds(500);
        app.update(Msg::Tick, now);
    }
    assert_eq!(at(&app), 62, "two wall seconds at 1x");
    app.update(ctrl('f'), now);
    now += Duration::seconds(1);
    app.update(Msg::Tick, now);
    assert_eq!(at(&app), 72, "one wall second at 10x");
    // Paused: a minute of reading moves nothing, and resuming does not count it.
    app.update(ctrl('p'), now);
    now += Duration::seconds(60);
    app.update(Msg::Tick, now);
    app.update(ctrl('p'), now);
    now += Duration::seconds(1);
    app.update(Msg::Tick, now);
    assert_eq!(at(&app), 82);
    // Away on the lab list: the run waits and is there on return.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Labs);
    now += Duration::seconds(120);
    app.update(Msg::Tick, now);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Lab);
    assert!(lab(&app).started, "the same run, not a fresh one");
    now += Duration::seconds(1);
    app.update(Msg::Tick, now);
    now += Duration::seconds(1);
    app.update(Msg::Tick, now);
    assert_eq!(at(&app), 92, "only the second after the return counts");
    // A laptop that slept for an hour moves the lab by one bounded tick.
    now += Duration::hours(1);
    app.update(Msg::Tick, now);
    assert_eq!(at(&app), 112);
}

#[test]
fn the_console_keeps_a_transcript_history_and_completion() {
    let mut app = open_hot_key_lab();
    press(&mut app, KeyCode::Enter);
    app.update(ctrl('p'), t0());
    for command in [
        "gen list",
        "gen stpo orders",
        "advance 1h",
        "metrics --stream orders --by-shard",
    ] {
        type_text(&mut app, command);
        press(&mut app, KeyCode::Enter);
    }
    let text = transcript(&app);
    assert!(
        text.contains("unknown command 'gen stpo orders': did you mean 'gen stop'?"),
        "{text}"
    );
    assert!(
        text.contains("not allowed in this lab: 'advance 1h'"),
        "{text}"
    );
    assert!(
        !text.contains("{\""),
        "replies are readable, not JSON: {text}"
    );
    assert_eq!(lab(&app).transcript.len(), 4);

    // Up walks back through the history, down forward and back to what was typed.
    type_text(&mut app, "gen");
    press(&mut app, KeyCode::Up);
    assert_eq!(lab(&app).input.text(), "metrics --stream orders --by-shard");
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    assert_eq!(lab(&app).input.text(), "gen stpo orders");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(lab(&app).input.text(), "metrics --stream orders --by-shard");
    press(&mut app, KeyCode::Down);
    assert_eq!(
        lab(&app).input.text(),
        "gen",
        "back to the line being typed"
    );

    // Tab completes as far as the choices agree and shows them when several fit.
    type_text(&mut app, " st");
    press(&mut app, KeyCode::Tab);
    let screen = lab(&app);
    assert!(screen.choices.len() >= 2, "{:?}", screen.choices);
    assert!(
        screen.choices.iter().any(|c| c == "stop"),
        "{:?}",
        screen.choices
    );
    let shown = screen_text(&app, 120, 40);
    assert!(shown.contains("tab: "), "{shown}");
    type_text(&mut app, "op ");
    press(&mut app, KeyCode::Tab);
    assert_eq!(
        lab(&app).input.text(),
        "gen stop orders ",
        "the generator's name"
    );
    // History is per lab, and a new run of the same lab keeps it.
    app.update(ctrl('r'), t0());
    press(&mut app, KeyCode::Up);
    assert_eq!(lab(&app).input.text(), "metrics --stream orders --by-shard");
}

#[test]
fn the_console_scrolls_and_follows_its_newest_output() {
    let mut app = open_hot_key_lab();
    press(&mut app, KeyCode::Enter);
    app.update(ctrl('p'), t0());
    for _ in 0..8 {
        type_text(&mut app, "metrics --stream orders --by-shard");
        press(&mut app, KeyCode::Enter);
    }
    let bottom = screen_text(&app, 80, 24);
    assert!(
        bottom.contains("rows "),
        "the console says it scrolls:\n{bottom}"
    );
    let scroll = &lab(&app).console_scroll;
    assert!(scroll.at_end(), "new output is followed");
    let end = scroll.offset();
    press(&mut app, KeyCode::PageUp);
    let up = screen_text(&app, 80, 24);
    assert!(lab(&app).console_scroll.offset() < end);
    assert_ne!(bottom, up);
    type_text(&mut app, "gen list");
    press(&mut app, KeyCode::Enter);
    drop(screen_text(&app, 80, 24));
    assert!(
        lab(&app).console_scroll.at_end(),
        "a new command goes back to the end"
    );
    // F3 moves the focus; PgDn then scrolls that pane.
    press(&mut app, KeyCode::F(3));
    assert_eq!(lab(&app).focus, LabPane::Briefing);
    press(&mut app, KeyCode::PageDown);
    assert!(
        lab(&app).briefing_scroll.offset() > 0,
        "the briefing scrolls at 80x24"
    );
    app.update(Msg::Scroll(-30), t0());
    assert_eq!(
        lab(&app).briefing_scroll.offset(),
        0,
        "the wheel moves the pane in focus"
    );
    press(&mut app, KeyCode::F(3));
    assert_eq!(lab(&app).focus, LabPane::Goal);
    press(&mut app, KeyCode::F(3));
    assert_eq!(lab(&app).focus, LabPane::Picture);
    press(&mut app, KeyCode::F(3));
    assert_eq!(lab(&app).focus, LabPane::Events);
    press(&mut app, KeyCode::F(3));
    assert_eq!(lab(&app).focus, LabPane::Console);
}

#[test]
fn a_lab_runs_live_and_its_result_goes_to_the_store() {
    let mut app = open_hot_key_lab();
    insta::assert_snapshot!("lab_briefing_120x40", draw(&app, 120, 40).backend());
    start_paused(&mut app);
    // Step to two minutes with ctrl-n, then salt the hot key over 16 suffixes.
    for _ in 0..6 {
        app.update(ctrl('n'), t0());
    }
    for command in [
        "gen stop orders",
        "gen start orders --stream orders --rate 3000/s --size 1KB --keys hot:0.5:1000:16 --mode flow",
    ] {
        type_text(&mut app, command);
        press(&mut app, KeyCode::Enter);
    }
    app.update(key(KeyCode::F(2)), t0());
    assert_eq!(lab(&app).hints.len(), 1);
    insta::assert_snapshot!("lab_running_120x40", draw(&app, 120, 40).backend());
    insta::assert_snapshot!("lab_running_80x24", draw(&app, 80, 24).backend());
    let goal = screen_text(&app, 120, 40);
    assert!(goal.contains("needs < 1%"), "{goal}");
    assert!(
        goal.contains("window filling"),
        "the window has not filled: {goal}"
    );
    // Resume at 60x until the run ends; the result is handed to the shell once.
    let mut now = t0();
    app.update(ctrl('p'), now);
    app.update(ctrl('f'), now);
    app.update(ctrl('f'), now);
    assert_eq!(lab(&app).speed, 60);
    let mut saved = Vec::new();
    for _ in 0..20 {
        now += Duration::seconds(1);
        saved.extend(app.update(Msg::Tick, now));
    }
    let [Effect::SaveLabResult(result)] = saved.as_slice() else {
        panic!("one result expected: {saved:?}");
    };
    assert_eq!(result.lab_id, "kinesis-hot-key");
    assert!(result.passed);
    let (passed, total) = app.labs_passed(None);
    assert_eq!(passed, 1, "the home screen counts the lab as passed");
    assert!(total >= 2);
    assert_eq!((result.commands, result.hints), (2, 1));
    let (verdict_passed, reason) = lab(&app).live.verdict().expect("a verdict");
    assert!(verdict_passed);
    assert!(reason.starts_with("PASSED at t="), "{reason}");
    assert_eq!(
        lab(&app).focus,
        LabPane::Briefing,
        "the debrief has the focus"
    );
    insta::assert_snapshot!("lab_finished_80x24", draw(&app, 80, 24).backend());
    insta::assert_snapshot!("lab_finished_120x40", draw(&app, 120, 40).backend());
    // The whole debrief can be read at 80x24.
    let mut seen = screen_text(&app, 80, 24);
    for _ in 0..20 {
        press(&mut app, KeyCode::PageDown);
        seen.push_str(&screen_text(&app, 80, 24));
    }
    let last_card = lab(&app)
        .live
        .lab
        .debrief
        .cards
        .last()
        .cloned()
        .expect("cards");
    assert!(seen.contains(&last_card), "{seen}");
    // ctrl-r runs the same lab again from its setup; the new run is stored on its own.
    app.update(ctrl('r'), t0());
    let screen = lab(&app);
    assert_eq!(screen.live.lab.id, "kinesis-hot-key");
    assert!(!screen.live.finished() && !screen.saved && screen.hints.is_empty());
    assert!(!screen.started, "a new run waits on its briefing");
    assert_eq!(screen.live.now(), SimDuration::ZERO);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Labs);
    let list = format!("{:?}", draw(&app, 80, 24).backend());
    assert!(list.contains(&format!("Labs · 1/{total} passed")), "{list}");
    assert!(list.contains("│> ✓ kinesis-hot-key"), "{list}");
}

#[test]
fn giving_up_ends_the_run_not_passed_and_says_so() {
    let mut app = open_hot_key_lab();
    app.update(ctrl('g'), t0());
    assert!(
        !lab(&app).live.finished(),
        "nothing to give up before the start"
    );
    press(&mut app, KeyCode::Enter);
    let effects = app.update(ctrl('g'), t0());
    let [Effect::SaveLabResult(result)] = effects.as_slice() else {
        panic!("one result expected: {effects:?}");
    };
    assert!(!result.passed);
    let screen = screen_text(&app, 80, 24);
    assert!(
        screen.contains("NOT PASSED: you gave up at t=60s"),
        "{screen}"
    );
    assert!(screen.contains("finished"), "{screen}");
}

#[test]
fn a_lab_with_consumers_shows_their_lag() {
    let mut app = app();
    press(&mut app, KeyCode::Char('l'));
    let index = app
        .labs
        .iter()
        .position(|l| l.id == "kinesis-read-throttling")
        .expect("bundled lab");
    for _ in 0..index {
        press(&mut app, KeyCode::Char('j'));
    }
    press(&mut app, KeyCode::Enter);
    start_paused(&mut app);
    for _ in 0..6 {
        app.update(ctrl('n'), t0());
    }
    let lags = app.lab.as_ref().expect("lab").live.consumer_lag(60);
    assert_eq!(lags.len(), 6, "six KCL applications");
    let screen = format!("{}", draw(&app, 120, 40).backend());
    assert!(screen.contains("Last 60 s"), "{screen}");
    assert!(screen.contains("lag billing (ms)"), "{screen}");
}

const KAFKA_LAB: &str = r#"#:schema ../../schema/lab.schema.json
id = "kafka-screen-test"
title = "Kafka live view"
system = "kafka"
briefing = "A broker stops while a producer writes with acks=1."
setup = [
    "kafka-cluster create --brokers 3",
    "kafka-topics --create --topic orders --partitions 3 --replication-factor 3",
    "producer start p --topic orders --rate 2000/s --size 200 --config acks=1",
    "consumer start --group billing --member c1 --topic orders --config auto.offset.reset=earliest",
    "consumer start --group billing --member c2 --topic orders --config auto.offset.reset=earliest",
]
allowed = ["kafka-topics"]
duration = "2m"

[[schedule]]
at = "20s"
command = "broker stop 1 --hard"

[[goal]]
name = "no acknowledged record lost"
metric = "Producer.AckedRecordsLost"
scope = { producer = "p" }
stat = "sum"
op = "=="
threshold = 0.0
window = "2m"

[debrief]
text = "acks=1."
"#;

#[test]
fn a_kafka_lab_shows_brokers_partitions_clients_and_cluster_events() {
    let mut app = app();
    let lab =
        streamdrill::labs::parse_lab("kafka-screen-test.toml", KAFKA_LAB).expect("lab parses");
    app.labs.insert(0, lab);
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Lab);
    start_paused(&mut app);
    for _ in 0..4 {
        app.update(ctrl('n'), t0());
    }
    let live = &app.lab.as_ref().expect("lab").live;
    let view = live.kafka_view().expect("a Kafka cluster");
    assert_eq!(view.brokers.len(), 3);
    assert_eq!(view.brokers[0].state, "DOWN");
    assert_eq!(view.partitions_total, 3);
    assert!(
        view.partitions.iter().all(|p| p.leader != Some(1)),
        "{view:?}"
    );
    assert_eq!(view.members.len(), 2);
    assert!(
        live.log.iter().any(|l| l.contains("broker 1 fenced")),
        "cluster events reach the event log: {:?}",
        live.log
    );
    assert!(
        live.log
            .iter()
            .any(|l| l.contains("billing rebalance gen 1")),
        "rebalances reach the event log: {:?}",
        live.log
    );
    let screen = format!("{}", draw(&app, 120, 40).backend());
    assert!(screen.contains("Kafka cluster"), "{screen}");
    assert!(screen.contains("producer p (acks=1)"), "{screen}");
    assert!(screen.contains("billing/c1"), "{screen}");
    insta::assert_snapshot!("lab_kafka_running_120x40", draw(&app, 120, 40).backend());
    // A tiny terminal does not panic.
    draw(&app, 20, 6);
}

#[test]
fn long_partition_names_keep_their_own_column_and_hidden_partitions_are_counted() {
    let mut app = app();
    let source = KAFKA_LAB
        .replace("kafka-screen-test", "kafka-long-names")
        .replace(
            "    \"kafka-topics --create --topic orders",
            "    \"kafka-topics --create --topic legacy-audit-archive --partitions 40 \
             --replication-factor 3\",\n    \"kafka-topics --create --topic orders",
        );
    let long_names =
        streamdrill::labs::parse_lab("kafka-long-names.toml", &source).expect("lab parses");
    app.labs.insert(0, long_names);
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Lab);
    start_paused(&mut app);
    app.update(ctrl('n'), t0());
    let screen = screen_text(&app, 120, 40);
    assert!(!screen.contains("setup failed"), "{screen}");
    // `legacy-audit-archive-10` is the longest name shown: a space separates every name from
    // its leader column, and shorter names are padded to the same column.
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("ISR [")).collect();
    assert!(rows.len() > 3, "{screen}");
    let leader_columns: Vec<usize> = rows
        .iter()
        .map(|row| row.find(" L").expect("a leader column"))
        .collect();
    assert!(
        leader_columns.windows(2).all(|w| w[0] == w[1]),
        "one leader column:\n{screen}"
    );
    assert!(
        !screen.contains("-0L"),
        "a name ran into its leader:\n{screen}"
    );
    assert!(
        screen.contains("rows 1-11 of 53 · PgUp PgDn"),
        "43 partitions do not fit at 120x40, and the panel says so:\n{screen}"
    );
    assert!(!screen.contains("orders-2 "), "{screen}");
    // The cluster pane scrolls to its last partition.
    while lab(&app).focus != LabPane::Picture {
        press(&mut app, KeyCode::F(3));
    }
    app.update(
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::End,
            crossterm::event::KeyModifiers::CONTROL,
        )),
        t0(),
    );
    let end = screen_text(&app, 120, 40);
    assert!(end.contains("orders-2 "), "{end}");
}

#[test]
fn console_lines_go_to_the_store_and_come_back_as_history() {
    let mut first = open_hot_key_lab();
    press(&mut first, KeyCode::Enter);
    type_text(&mut first, "gen list");
    let effects = press(&mut first, KeyCode::Enter);
    assert!(
        effects.contains(&Effect::SaveLabCommand {
            lab_id: "kinesis-hot-key".to_owned(),
            command: "gen list".to_owned(),
        }),
        "{effects:?}"
    );
    type_text(&mut first, "gen list");
    let again = press(&mut first, KeyCode::Enter);
    assert!(
        !again
            .iter()
            .any(|e| matches!(e, Effect::SaveLabCommand { .. })),
        "a repeat of the last line is not stored twice: {again:?}"
    );

    // A later session starts with the stored history.
    let history = std::collections::BTreeMap::from([(
        "kinesis-hot-key".to_owned(),
        vec![
            "gen list".to_owned(),
            "metrics --stream orders --by-shard".to_owned(),
        ],
    )]);
    let mut app = app().with_lab_history(history);
    press(&mut app, KeyCode::Char('l'));
    let index = app
        .labs
        .iter()
        .position(|l| l.id == "kinesis-hot-key")
        .expect("lab");
    for _ in 0..index {
        press(&mut app, KeyCode::Char('j'));
    }
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    assert_eq!(lab(&app).input.text(), "gen list");
}

#[test]
fn the_lab_help_lists_every_key_whole_at_80x24() {
    let mut app = open_hot_key_lab();
    app.update(key(KeyCode::F(1)), t0());
    let screen = screen_text(&app, 80, 24);
    for (_, help) in streamdrill::tui::keys::help_lines(streamdrill::tui::keys::LAB) {
        assert!(screen.contains(help), "{help:?} is not whole:\n{screen}");
    }
}

#[test]
fn every_lab_screen_state_draws_at_any_size_without_panic() {
    let mut app = open_hot_key_lab();
    let sizes = [(1, 1), (12, 4), (30, 10), (45, 15), (80, 24), (200, 60)];
    let draw_all = |app: &App| {
        for (w, h) in sizes {
            draw(app, w, h);
        }
    };
    draw_all(&app);
    app.update(key(KeyCode::F(1)), t0());
    draw_all(&app);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "gen s");
    press(&mut app, KeyCode::Tab);
    draw_all(&app);
    app.update(ctrl('g'), t0());
    assert!(lab(&app).live.finished());
    draw_all(&app);
}

#[test]
fn a_run_the_engine_cannot_afford_ends_not_passed_and_says_why() {
    let source = KAFKA_LAB.replace(
        "--rate 2000/s --size 200 --config acks=1",
        "--rate 5000000/s --size 200 --config acks=1",
    );
    let lab = streamdrill::labs::parse_lab("kafka-costly.toml", &source).expect("lab parses");
    let mut live = streamdrill::labs::live::LiveLab::new(lab, 7);
    live.start();
    live.advance(SimDuration::from_secs(60));
    assert!(live.finished(), "the refused advance ends the run");
    let (passed, reason) = live.verdict().expect("a verdict");
    assert!(!passed);
    assert!(
        reason.contains("the simulator stopped the run") && reason.contains("budget::"),
        "{reason}"
    );
    let now = live.now();
    live.advance(SimDuration::from_secs(60));
    assert_eq!(live.now(), now, "nothing moves after the stop");
}
