//! End to end through a real terminal: drive the binary in tmux (`send-keys`), read what a user
//! sees (`capture-pane`): start, drill two cards, quit, restart, see the progress; scroll a
//! revealed card taller than an 80x24 screen to its last rubric line.
//!
//! Needs tmux. Without it the test says so and passes, unless `STREAMDRILL_REQUIRE_TMUX` is set
//! (CI sets it, after installing tmux).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(session: &str, command: &str) -> Self {
        Self::start_sized(session, command, 110, 32)
    }

    fn start_sized(session: &str, command: &str, width: u16, height: u16) -> Self {
        let (width, height) = (width.to_string(), height.to_string());
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                &width,
                "-y",
                &height,
                command,
            ])
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        Self {
            session: session.to_owned(),
        }
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    fn text(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session, "-l", text])
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits (bounded) until the screen shows `needle`; returns the screen.
    fn wait_for(&self, needle: &str) -> String {
        self.wait_within(needle, Duration::from_secs(5))
    }

    fn wait_within(&self, needle: &str, limit: Duration) -> String {
        let polls = limit.as_millis() / 50;
        for _ in 0..polls {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {needle:?}; screen:\n{}",
            self.screen()
        );
    }

    fn running(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.session])
            .status()
            .is_ok_and(|s| s.success())
    }

    fn wait_until_closed(&self) {
        for _ in 0..100 {
            if !self.running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the app did not quit; screen:\n{}", self.screen());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Answers whatever card is showing, reveals it and grades it good.
fn answer_and_grade(tmux: &Tmux) {
    let screen = tmux.wait_for("card ");
    if screen.contains("Your call") {
        tmux.keys(&["t"]);
        tmux.wait_for("How sure");
        tmux.keys(&["s"]);
    } else if screen.contains("Press the letter") {
        tmux.keys(&["a"]);
    } else {
        tmux.text("an answer");
        tmux.keys(&["Enter"]);
    }
    tmux.wait_for("Grade:");
    tmux.keys(&["3"]);
}

/// Without tmux a test says so and passes, unless CI requires tmux.
fn skip_without_tmux() -> bool {
    if tmux_available() {
        return false;
    }
    assert!(
        std::env::var_os("STREAMDRILL_REQUIRE_TMUX").is_none(),
        "tmux is required here but missing"
    );
    eprintln!("tmux is not installed: skipping the terminal end-to-end test");
    true
}

#[test]
fn a_long_revealed_card_scrolls_to_its_last_rubric_line_at_80x24() {
    if skip_without_tmux() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").expect("config");
    let decks = dir.path().join("decks-extra");
    std::fs::create_dir(&decks).expect("deck dir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/long.toml");
    std::fs::copy(&fixture, decks.join("long.toml")).expect("copy the long fixture");
    let command = format!(
        "{} --data-dir {} --config {} --content {} drill --deck long-fixture",
        env!("CARGO_BIN_EXE_streamdrill"),
        dir.path().display(),
        config.display(),
        decks.display()
    );
    let session = format!("streamdrill-e2e-long-{}", std::process::id());
    let tmux = Tmux::start_sized(&session, &command, 80, 24);
    tmux.wait_for("Diagnose, step by");
    tmux.text("acks=all");
    tmux.keys(&["Enter"]);
    let revealed = tmux.wait_for("Model answer · rows 1-");
    assert!(!revealed.contains("last rubric point"), "{revealed}");
    tmux.keys(&["NPage"]);
    tmux.wait_for("Model answer · rows ");
    tmux.keys(&["End"]);
    let end = tmux.wait_for("last rubric point: replication factor 3");
    assert!(end.contains("Grade:"), "the grade row stays in view: {end}");
    tmux.keys(&["Home"]);
    tmux.wait_for("Walk the stack from the producer");
    tmux.keys(&["q"]);
    tmux.wait_until_closed();
}

#[test]
fn drill_two_cards_quit_restart_and_see_the_progress() {
    if skip_without_tmux() {
        return;
    }
    let (dir, command) = fresh_app();
    let session = format!("streamdrill-e2e-{}", std::process::id());

    let tmux = Tmux::start(&session, &command);
    let home = tmux.wait_for("All decks");
    let new_before = new_cards_on_home(&home);
    tmux.keys(&["Enter"]);
    answer_and_grade(&tmux);
    tmux.wait_for("2/");
    answer_and_grade(&tmux);
    tmux.wait_for("3/");
    tmux.keys(&["Escape"]);
    tmux.wait_for("Session over: 2 reviewed");
    tmux.keys(&["q"]);
    tmux.wait_until_closed();
    drop(tmux);

    let tmux = Tmux::start(&session, &command);
    let home = tmux.wait_for("All decks");
    assert_eq!(new_cards_on_home(&home), new_before - 2, "{home}");
    assert!(home.contains("today 2/"), "{home}");
    tmux.keys(&["q"]);
    tmux.wait_until_closed();
    assert!(Path::new(&dir.path().join("streamdrill.db")).exists());
}

/// A data directory of its own with an empty config, and the command that starts the app on it.
fn fresh_app() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").expect("config");
    let command = format!(
        "{} --data-dir {} --config {}",
        env!("CARGO_BIN_EXE_streamdrill"),
        dir.path().display(),
        config.display()
    );
    (dir, command)
}

/// Whether the pane titled `pane` shows its last row: it fits, or its "rows a-b of b".
fn pane_at_end(screen: &str, pane: &str) -> bool {
    let Some(top) = screen
        .lines()
        .position(|l| l.contains(&format!("┌ {pane} ")))
    else {
        return false;
    };
    // The pane's bottom border is the first line below its top that closes the box at the
    // pane's own column.
    let column = screen
        .lines()
        .nth(top)
        .and_then(|l| l.find(&format!("┌ {pane} ")));
    let bottom = screen
        .lines()
        .skip(top + 1)
        .find(|l| column.is_some_and(|c| l.get(c..).is_some_and(|rest| rest.starts_with('└'))));
    let Some(bottom) = bottom else {
        return false;
    };
    let Some(at) = bottom.find("rows ") else {
        return true;
    };
    let counts: Vec<&str> = bottom[at + 5..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .take(3)
        .collect();
    counts.len() == 3 && counts[1] == counts[2]
}

/// The hot-key lab as a learner works it: read the whole briefing, ask for help, start,
/// complete a command, recall it, apply the fix at 60x, read the whole debrief.
fn work_the_hot_key_lab(width: u16, height: u16) {
    let (_dir, command) = fresh_app();
    let session = format!("streamdrill-e2e-lab-{width}-{}", std::process::id());
    let tmux = Tmux::start_sized(&session, &command, width, height);
    tmux.wait_for("All decks");
    tmux.keys(&["l"]);
    tmux.wait_for("kinesis-hot-key");
    tmux.keys(&["Enter"]);
    let briefing = tmux.wait_for("not started");
    assert!(briefing.contains("Hot key"), "{briefing}");

    // The whole briefing, by scrolling its pane.
    tmux.keys(&["F3"]);
    let mut screen = tmux.screen();
    for _ in 0..40 {
        if pane_at_end(&screen, "Briefing") {
            break;
        }
        tmux.keys(&["NPage"]);
        std::thread::sleep(Duration::from_millis(60));
        screen = tmux.screen();
    }
    assert!(
        pane_at_end(&screen, "Briefing"),
        "the briefing's end:\n{screen}"
    );
    tmux.keys(&["F3", "F3", "F3"]);

    tmux.text("help");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Tab completes");
    tmux.keys(&["Enter"]);
    tmux.wait_for("running 1x");

    // Completion, then the history brings the line back.
    tmux.text("gen st");
    tmux.keys(&["Tab"]);
    tmux.wait_for("tab: start  stop");
    tmux.text("op ");
    tmux.keys(&["Tab"]);
    tmux.wait_for("> gen stop orders ▏");
    tmux.keys(&["Enter"]);
    tmux.wait_for("commands 1");
    tmux.keys(&["Up"]);
    tmux.wait_for("> gen stop orders▏");
    tmux.keys(&["Down"]);
    tmux.wait_for("> ▏");

    tmux.text(
        "gen start orders --stream orders --rate 3000/s --size 1KB --keys hot:0.5:1000:16 \
         --mode flow",
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("commands 2");
    tmux.keys(&["C-f", "C-f"]);
    tmux.wait_for("running 60x");
    let verdict = tmux.wait_within("PASSED at t=", Duration::from_secs(60));
    assert!(!verdict.contains("NOT PASSED"), "{verdict}");

    // The whole debrief, down to the cards to drill next.
    let mut seen = tmux.screen();
    let mut screen = seen.clone();
    for _ in 0..40 {
        if pane_at_end(&screen, "Debrief") {
            break;
        }
        tmux.keys(&["NPage"]);
        std::thread::sleep(Duration::from_millis(60));
        screen = tmux.screen();
        seen.push_str(&screen);
    }
    assert!(
        pane_at_end(&screen, "Debrief"),
        "the debrief's end:\n{screen}"
    );
    assert!(seen.contains("Cards to drill next"), "{seen}");

    tmux.keys(&["Escape"]);
    let list = tmux.wait_for("Labs · 1/");
    assert!(list.contains("✓ kinesis-hot-key"), "{list}");
    tmux.keys(&["q"]);
    tmux.wait_until_closed();
}

#[test]
fn the_hot_key_lab_is_worked_end_to_end_at_80x24() {
    if skip_without_tmux() {
        return;
    }
    work_the_hot_key_lab(80, 24);
}

#[test]
fn the_hot_key_lab_is_worked_end_to_end_at_120x40() {
    if skip_without_tmux() {
        return;
    }
    work_the_hot_key_lab(120, 40);
}

/// The "New" column of the "All decks" row.
fn new_cards_on_home(screen: &str) -> usize {
    let row = screen
        .lines()
        .find(|l| l.contains("All decks"))
        .expect("All decks row");
    let numbers: Vec<usize> = row
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    numbers[1]
}
