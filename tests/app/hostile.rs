//! Hostile input (issue 19): whatever a deck, config, import file, lab script or console line
//! says, the app answers with a located error, never an escape sequence on the terminal, a
//! hang or an abort.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use streamdrill::deck::parse::{CARDS_PER_DECK_MAX, PROBLEMS_PER_FILE_MAX, STRING_BYTES_MAX};
use streamdrill::deck::parse_deck;

/// An OSC title change: ESC ] 0 ; ... BEL, as TOML escapes.
const OSC: &str = "\\u001b]0;pwned\\u0007";

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamdrill"))
        .arg("--data-dir")
        .arg(data.path())
        .args(args)
        .env_remove("STREAMDRILL_DATA_DIR")
        .env_remove("STREAMDRILL_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("binary exits")
}

/// No byte of `out` can start or take part in a terminal control sequence.
fn assert_terminal_safe(what: &str, out: &[u8]) {
    let text = String::from_utf8_lossy(out);
    for (i, c) in text.char_indices() {
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(
            !bidi && (!c.is_control() || c == '\n'),
            "{what}: control character {c:?} at byte {i} in:\n{text}"
        );
    }
}

fn hostile_deck() -> String {
    format!(
        r#"[deck]
id = "hostile"
title = "T"
systems = [{{ id = "k{OSC}", name = "K" }}]
"top{OSC}" = 1

[[cards]]
id = "kind"
kind = "myth{OSC}"
source = "s"

[[cards]]
id = "field"
kind = "myth"
source = "s"
claim = "c"
is_true = true
reality = "r"
"bogus{OSC}" = 1

[[cards]]
id = "id{OSC}"
kind = "choice"
source = "s"
situation = "s"
options = ["a", "b"]
answer = "z{OSC}"
reason = "r"

[[cards]]
id = "calc"
kind = "calc"
source = "s"
prompt = "{{q{OSC}}}"
answer = "x + y{OSC}"
working = "w"
unit = "u"
tolerance = 0
[[cards.vars]]
name = "x{OSC}"
min = 1
max = 2
step = 1

[[cards]]
id = "rubric"
kind = "question"
source = "s"
prompt = "p"
answer = "a"
[[cards.rubric]]
point = "p{OSC}"
terms = []
"#
    )
}

#[test]
fn deck_check_shows_quoted_escapes_as_visible_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.toml");
    std::fs::write(&path, hostile_deck()).unwrap();
    let out = run(&["deck", "check", path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_terminal_safe("deck check", &out.stdout);
    assert_terminal_safe("deck check stderr", &out.stderr);
    let text = String::from_utf8_lossy(&out.stdout);
    for quoted in [
        "unknown field `top\\u{1b}]0;pwned\\u{7}`",
        "unknown kind `myth\\u{1b}]0;pwned\\u{7}`",
        "unknown field `bogus\\u{1b}]0;pwned\\u{7}`",
        "card id `id\\u{1b}]0;pwned\\u{7}` must be kebab-case",
        "answer `z\\u{1b}]0;pwned\\u{7}` is not one of the options",
        "system id `k\\u{1b}]0;pwned\\u{7}` must be kebab-case",
        "rubric point `p\\u{1b}]0;pwned\\u{7}` has no terms",
        "`{q\\u{1b}]0;pwned\\u{7}}` is not a variable",
    ] {
        assert!(text.contains(quoted), "missing {quoted} in:\n{text}");
    }
}

#[test]
fn a_skipped_deck_line_of_a_drill_is_sanitised() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hostile.toml"), hostile_deck()).unwrap();
    let out = run(
        &[
            "--content",
            dir.path().to_str().unwrap(),
            "drill",
            "--plain",
        ],
        b"q\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped: "), "{stderr}");
    assert!(stderr.contains("\\u{1b}]0;pwned"), "{stderr}");
    assert_terminal_safe("drill stderr", &out.stderr);
    assert_terminal_safe("drill stdout", &out.stdout);
}

#[test]
fn config_and_import_errors_are_sanitised() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("\"key{OSC}\" = 1\n")).unwrap();
    let out = run(&["--config", config.to_str().unwrap(), "stats"], b"");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("key\\u{1b}]0;pwned"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_terminal_safe("config error", &out.stderr);

    let import = dir.path().join("progress.jsonl");
    std::fs::write(&import, "{\"kind\":\"\u{1b}]0;pwned\u{7}\"}\n").unwrap();
    let out = run(&["import", import.to_str().unwrap()], b"");
    assert_ne!(out.status.code(), Some(0));
    assert_terminal_safe("import error", &out.stderr);

    let out = run(&["drill", "--plain", "--deck", "x\u{1b}]0;pwned\u{7}"], b"");
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no deck with id"));
    assert_terminal_safe("unknown deck", &out.stderr);
}

#[test]
fn an_unknown_field_does_not_hide_a_duplicate_id_or_an_unknown_system() {
    let source = r#"
[deck]
id = "d"
title = "T"
bogus = 1
systems = [{ id = "kafka", name = "Kafka" }]

[[cards]]
id = "a"
kind = "myth"
source = "s"
claim = "c"
is_true = true
reality = "r"

[[cards]]
id = "a"
kind = "myth"
source = "s"
claim = "c"
is_true = true
reality = "r"
typo = 1

[[cards]]
id = "row"
kind = "compare"
source = "s"
dimension = "Retention"
also_unknown = 2
[cards.values]
kafka = "forever"
kinesis = "365 days"
"#;
    let problems = parse_deck("d.toml", source).unwrap_err();
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let has = |needle: &str| messages.iter().any(|m| m.contains(needle));
    assert!(has("d.toml:5:1: unknown field `bogus`"), "{messages:#?}");
    assert!(has("d.toml:23:1: unknown field `typo`"), "{messages:#?}");
    assert!(
        has("d.toml:17:6: duplicate card id `a` (first used on line 9)"),
        "{messages:#?}"
    );
    assert!(has("unknown field `also_unknown`"), "{messages:#?}");
    assert!(has("unknown system `kinesis` in values"), "{messages:#?}");
}

fn myth_cards(count: usize, same_id: bool) -> String {
    let mut source = String::from("[deck]\nid = \"d\"\ntitle = \"T\"\n");
    for i in 0..count {
        let id = if same_id {
            "same".to_owned()
        } else {
            format!("c{i}")
        };
        source.push_str(&format!(
            "[[cards]]\nid = \"{id}\"\nkind = \"myth\"\nsource = \"s\"\nclaim = \"c\"\nis_true = true\nreality = \"r\"\n"
        ));
    }
    source
}

#[test]
fn a_deck_of_a_hundred_thousand_cards_with_one_id_is_refused_at_the_first_card_too_many() {
    let problems = parse_deck("big.toml", &myth_cards(100_000, true)).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let first_over = 4 + 7 * CARDS_PER_DECK_MAX;
    assert_eq!(problems[0].line, first_over, "{}", problems[0]);
    assert!(problems[0].message.contains("the deck has 100000 cards"));
}

#[test]
fn a_full_deck_of_duplicates_is_checked_with_a_bounded_report() {
    let problems = parse_deck("dups.toml", &myth_cards(CARDS_PER_DECK_MAX, true)).unwrap_err();
    assert_eq!(problems.len(), PROBLEMS_PER_FILE_MAX + 1);
    let last = problems.last().unwrap().to_string();
    assert!(
        last.contains(&format!(
            "{} more problem(s) from here on not shown",
            CARDS_PER_DECK_MAX - 1 - PROBLEMS_PER_FILE_MAX
        )),
        "{last}"
    );
    let total: usize = problems
        .iter()
        .map(streamdrill::deck::Diagnostic::count)
        .sum();
    assert_eq!(
        total,
        CARDS_PER_DECK_MAX - 1,
        "the total counts every duplicate, shown or not"
    );
    assert!(parse_deck("ok.toml", &myth_cards(CARDS_PER_DECK_MAX, false)).is_ok());
}

#[test]
fn a_hundred_thousand_table_headers_are_a_located_error() {
    let mut source = String::from("[deck]\nid = \"d\"\ntitle = \"T\"\n");
    for i in 0..100_000 {
        source.push_str(&format!("[t{i}]\n"));
    }
    let problems = parse_deck("headers.toml", &source).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("at most"), "{}", problems[0]);
    // Just under the limit: every header is an unknown key, reported up to the cap.
    let mut source = String::from("[deck]\nid = \"d\"\ntitle = \"T\"\n");
    for i in 0..50_000 {
        source.push_str(&format!("[t{i}]\n"));
    }
    let problems = parse_deck("headers.toml", &source).unwrap_err();
    assert_eq!(problems.len(), PROBLEMS_PER_FILE_MAX + 1);
}

#[test]
fn long_strings_and_deep_nesting_are_located_errors() {
    let source = format!(
        "[deck]\nid = \"d\"\ntitle = \"T\"\ndescription = \"{}\"\n",
        "a".repeat(STRING_BYTES_MAX + 1)
    );
    let problems = parse_deck("long.toml", &source).unwrap_err();
    assert_eq!((problems[0].line, problems[0].column), (4, 15));
    assert!(problems[0].message.contains("limited to"));
    let source = format!(
        "[deck]\nid = \"d\"\ntitle = \"T\"\ntags = {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let problems = parse_deck("deep.toml", &source).unwrap_err();
    assert_eq!(problems[0].line, 4, "{}", problems[0]);
}

fn lab_run(script: &[u8], json: bool) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.script");
    std::fs::write(&path, script).unwrap();
    let mut args = vec![
        "lab",
        "run",
        "kinesis-hot-key",
        "--script",
        path.to_str().unwrap(),
    ];
    if json {
        args.push("--json");
    }
    run(&args, b"")
}

#[test]
fn a_lab_script_that_is_not_utf8_is_one_json_error_with_its_place() {
    let out = lab_run(b"# fine\nat 1s: gen stop \xff\xfe\n", true);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["error"]["code"], "script_invalid");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("line 2, column 17"), "{message}");
    assert!(message.contains("0xff"), "{message}");
}

#[test]
fn lab_run_json_is_one_object_for_every_kind_of_refusal() {
    let refusal = |lab: &str| {
        let out = run(
            &["lab", "run", lab, "--script", "/nonexistent", "--json"],
            b"",
        );
        assert_eq!(out.status.code(), Some(2));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["error"]["code"].clone()
    };
    assert_eq!(refusal("no-such-lab"), "unknown_lab");
    assert_eq!(refusal("kinesis-hot-key"), "script_unreadable");
    let out = lab_run(b"at soon: advance 1s\n", true);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "script_invalid");
}

#[test]
fn a_lab_run_quoting_hostile_commands_prints_no_escape() {
    let script = "advance 1s\u{1b}]0;pwned\u{7}\ngen stop x\u{9b}2J\u{202e}\n";
    let out = lab_run(script.as_bytes(), false);
    assert_eq!(out.status.code(), Some(1));
    assert_terminal_safe("lab run", &out.stdout);
    assert_terminal_safe("lab run stderr", &out.stderr);
    let out = lab_run(script.as_bytes(), true);
    assert_terminal_safe("lab run --json", &out.stdout);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["actions"][1]["command"]
            .as_str()
            .unwrap()
            .contains('\u{9b}')
    );
}

#[test]
fn the_console_answers_a_line_that_is_not_utf8_and_goes_on() {
    let out = run(
        &["sim"],
        b"now\n\xff\xfeadvance 1s\nadvance 1s\x1b]0;x\x07\nnow\n",
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[1].contains("line 2: not UTF-8"), "{}", lines[1]);
    assert_terminal_safe("sim", stdout.as_bytes());
}

#[test]
fn a_deck_file_that_is_not_utf8_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bytes.toml");
    std::fs::write(&path, b"[deck]\nid = \"d\xff\"\n").unwrap();
    let out = run(&["deck", "check", path.to_str().unwrap()], b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("bytes.toml:2:8: "), "{stdout}");
    assert!(stdout.contains("not UTF-8"), "{stdout}");
}

/// The simulator cases of issue 19, as a learner would type them: each is answered at once
/// with a `SimulationLimit` error naming its budget, and the console goes on.
#[test]
fn the_simulators_hostile_cases_are_refused_by_their_budgets() {
    let mut script = String::from(
        "kafka-cluster create --brokers 3 --mode zookeeper\n\
         kafka-topics --create --topic t --partitions 12 --replication-factor 3\n\
         producer start fast --topic t --rate 1000000000/s\n\
         producer start p0 --topic t --rate 5000000/s\n\
         advance 1h\n\
         kafka-topics --create --topic wide --partitions 100000 --replication-factor 3\n\
         controller fail\n",
    );
    for i in 1..1_000 {
        script.push_str(&format!("producer start p{i} --topic t\n"));
    }
    for i in 0..30 {
        script.push_str(&format!(
            "aws kinesis create-stream --stream-name s{i} --shard-count 100000\n"
        ));
    }
    script.push_str("now\n");
    let out = run(&["sim"], script.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let replies: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(replies.len(), 7 + 999 + 30 + 1);
    let limit = |i: usize| -> String {
        let e = &replies[i]["Error"];
        assert_eq!(e["Code"], "SimulationLimit", "reply {i}: {}", replies[i]);
        e["Message"].as_str().unwrap().to_string()
    };
    assert!(limit(2).contains("budget::RECORD_RATE_PER_SEC"));
    assert!(limit(4).contains("budget::RECORDS_PER_ADVANCE"));
    assert!(limit(5).contains("budget::PARTITIONS_PER_TOPIC"));
    // The failover runs over what exists: 12 partitions.
    assert_eq!(replies[6]["Partitions"], 12, "{}", replies[6]);
    // Producers p0..p99 fit; the rest are refused, one by one.
    let producers_max = streamdrill_engine::budget::PRODUCERS;
    assert!(replies[7 + producers_max - 2].get("Error").is_none());
    for i in 7 + producers_max - 1..7 + 999 {
        assert!(limit(i).contains("budget::PRODUCERS"), "reply {i}");
    }
    for i in 7 + 999..7 + 999 + 30 {
        assert!(limit(i).contains("budget::SHARDS_PER_STREAM"), "reply {i}");
    }
    assert_eq!(replies.last().unwrap()["ElapsedMicros"], 0);
}

/// A lab script whose workload would cost more than the budget ends the run with the budget's
/// error among the schedule errors, in one JSON object, instead of running for minutes.
#[test]
fn a_lab_script_past_the_budget_ends_with_the_limit_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.script");
    std::fs::write(
        &path,
        "producer start flood --topic orders --rate 4000000/s\nat 1m: producer status\n",
    )
    .unwrap();
    let out = run(
        &[
            "lab",
            "run",
            "kafka-adding-partitions",
            "--script",
            path.to_str().unwrap(),
            "--json",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["passed"], false);
    let errors = v["schedule_errors"].to_string();
    assert!(errors.contains("budget::RECORDS_PER_ADVANCE"), "{errors}");
    // The run stopped at the refused advance: the command at 1m never ran.
    assert_eq!(v["actions"].as_array().unwrap().len(), 1, "{v}");
}
