//! The real binary, end to end, with a temporary data directory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The fixture deck with one card of each kind, loaded with `--content`.
fn starter() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/valid/starter.toml")
        .display()
        .to_string()
}

fn streamdrill(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    streamdrill_on(data_dir, Path::new(&starter()), args, stdin)
}

/// The binary on one deck file, with `stdin` as its input.
fn streamdrill_on(data_dir: &Path, content: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamdrill"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--content")
        .arg(content)
        .args(args)
        .env_remove("STREAMDRILL_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("binary exits")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stats_json(data_dir: &Path) -> serde_json::Value {
    let output = streamdrill(data_dir, &["stats", "--json"], "");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("stats is JSON")
}

fn card_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("CARD ")).collect()
}

#[test]
fn plain_mode_grades_persist_across_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    let session = "acks=all and min.insync.replicas=2\ngood\nmyth\n7\n4\n";
    let output = streamdrill(data, &["drill", "--plain", "--deck", "starter"], session);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let cards = card_lines(&text);
    assert_eq!(
        cards[..2],
        [
            "CARD starter/producer-drops-on-broker-restart question",
            "CARD starter/myth-kafka-cheaper-at-any-scale myth"
        ]
    );
    assert!(text.contains("ANSWER>\n"));
    assert!(text.contains("GRADE> 1 again, 2 hard, 3 good, 4 easy\n"));
    assert!(text.contains("  [x] acks=all (not acks=1 or 0) (you said \"acks=all\")"));
    assert!(text.contains("  [ ] delivery.timeout.ms caps retries"));
    assert!(text.contains("CHECK correct"), "the myth was called a myth");
    assert!(
        text.contains("Not a grade: \"7\""),
        "a bad grade is answered and asked again"
    );
    assert!(text.ends_with("SESSION reviewed=2\n"), "{text}");

    let stats = stats_json(data);
    assert_eq!(stats["reviews_total"], 2);
    assert_eq!(stats["reviews_today"], 2);
    let starter = stats["decks"]
        .as_array()
        .expect("decks array")
        .iter()
        .find(|d| d["id"] == "starter")
        .expect("starter listed");
    assert_eq!(
        starter["new"],
        starter["cards"].as_u64().expect("count") - 2
    );
    let tag = |name: &str| {
        stats["tags"]
            .as_array()
            .expect("tags array")
            .iter()
            .find(|t| t["tag"] == name)
            .cloned()
            .expect("tag listed")
    };
    // The graded question is the one starter card tagged `producer` (bundled cards share the
    // tag, none of them reviewed); `partition-key` is on one starter card only, not reached.
    let producer = tag("producer");
    assert_eq!(
        producer["new"].as_u64(),
        producer["cards"].as_u64().map(|n| n - 1)
    );
    assert_eq!(tag("partition-key")["new"], 1);

    // Second run: the graded cards are scheduled for later, so the session starts elsewhere.
    let output = streamdrill(data, &["drill", "--plain", "--deck", "starter"], "q\n");
    let text = stdout(&output);
    assert_eq!(
        card_lines(&text),
        ["CARD starter/kinesis-hot-key-throttling failure"]
    );
    assert!(text.ends_with("SESSION reviewed=0\n"));
}

#[test]
fn end_of_input_ends_the_session_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = streamdrill(
        dir.path(),
        &["drill", "--plain", "--limit", "1"],
        "some answer\n",
    );
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).ends_with("SESSION reviewed=0\n"));
    assert_eq!(stats_json(dir.path())["reviews_total"], 0);
}

#[test]
fn deck_check_reports_every_problem_and_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let output = streamdrill(
        dir.path(),
        &["deck", "check", fixtures.to_str().expect("utf-8")],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let files = std::fs::read_dir(&fixtures).expect("fixtures").count();
    // One problem per fixture, three in many-errors.toml.
    let problems: Vec<&str> = text.lines().filter(|l| l.contains(".toml:")).collect();
    // And five in compare-ask-and-points.toml.
    let problems = problems.len().saturating_sub(4);
    assert_eq!(problems, files + 2, "{text}");
    assert!(text.contains("unknown-kind.toml:7:8: unknown kind `essay`"));
}

#[test]
fn deck_check_passes_on_bundled_content() {
    let dir = tempfile::tempdir().expect("temp dir");
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let output = streamdrill(
        dir.path(),
        &["deck", "check", content.to_str().expect("utf-8")],
        "",
    );
    assert!(output.status.success(), "{}", stdout(&output));
    let output = streamdrill(dir.path(), &["deck", "check"], "");
    assert!(output.status.success(), "{}", stdout(&output));
}

#[test]
fn deck_list_json_describes_each_deck() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = streamdrill(dir.path(), &["deck", "list", "--json"], "");
    assert!(output.status.success());
    let decks: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let starter = decks
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["id"] == "starter")
        .expect("starter");
    assert_eq!(starter["cards"], 6);
    assert_eq!(starter["kinds"]["question"], 1);
    assert!(starter["title"].is_string());
    assert_eq!(starter["origin"], self::starter());
}

#[test]
fn a_broken_user_deck_is_skipped_with_a_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let decks = dir.path().join("decks");
    std::fs::create_dir_all(&decks).expect("decks dir");
    std::fs::write(decks.join("mine.toml"), "[deck]\nid = \"mine\"\n").expect("write");
    let output = streamdrill(dir.path(), &["drill", "--plain", "--limit", "1"], "q\n");
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("skipped:") && stderr.contains("mine.toml"),
        "{stderr}"
    );
}

#[test]
fn the_tui_without_a_terminal_points_to_plain_mode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = streamdrill(dir.path(), &[], "");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("drill --plain"), "{stderr}");
    assert!(
        !dir.path().join("streamdrill.db").exists(),
        "nothing was created"
    );
}

#[test]
fn a_corrupt_database_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("streamdrill.db");
    let junk = vec![0xA5u8; 8192];
    std::fs::write(&db, &junk).expect("write junk");
    let output = streamdrill(dir.path(), &["stats", "--json"], "");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a streamdrill database"), "{stderr}");
    assert_eq!(std::fs::read(&db).expect("read"), junk);
}

#[test]
fn an_unknown_deck_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = streamdrill(dir.path(), &["drill", "--plain", "--deck", "nope"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no deck with id `nope`"));
}

#[test]
fn a_tag_drills_only_the_cards_carrying_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    // `partition-key` is on one starter card only, and on no bundled card.
    let output = streamdrill(
        dir.path(),
        &["drill", "--plain", "--tag", "partition-key"],
        "\n3\n",
    );
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert_eq!(
        card_lines(&text),
        ["CARD starter/kinesis-hot-key-throttling failure"]
    );
    assert!(text.contains("SESSION reviewed=1"), "{text}");

    let output = streamdrill(dir.path(), &["drill", "--plain", "--tag", "nope"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no card is tagged `nope`"));

    let output = streamdrill(
        dir.path(),
        &["drill", "--plain", "--tag", "cost", "--deck", "starter"],
        "",
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "--deck and --tag exclude each other"
    );
}

#[test]
fn plan_toward_an_interview_reports_pace_retention_and_readiness() {
    let dir = tempfile::tempdir().expect("temp dir");
    let today = streamdrill::shell::clock::now()
        .with_timezone(&chrono::Local)
        .date_naive();
    let interview = (today + chrono::Duration::days(30)).to_string();
    let output = streamdrill(
        dir.path(),
        &[
            "plan",
            "--interview",
            &interview,
            "--minutes-per-day",
            "30",
            "--json",
        ],
        "",
    );
    assert!(output.status.success(), "{output:?}");
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let retention = plan["desired_retention"].as_f64().expect("retention");
    assert!((0.7..=0.99).contains(&retention));
    assert!(plan["new_per_day"].as_u64().expect("pace") >= 1);
    assert!(plan["readiness_by_deck"]["starter"].as_f64().is_some());
    assert!(plan["all_learned"].as_bool().expect("flag"));

    let past = streamdrill(dir.path(), &["plan", "--interview", "2020-01-01"], "");
    assert_eq!(past.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&past.stderr).contains("at least one day ahead"));

    let cleared = streamdrill(dir.path(), &["plan", "--clear"], "");
    assert!(cleared.status.success());
}

#[test]
fn plan_counts_the_days_to_the_interview_as_a_calendar_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let today = streamdrill::shell::clock::now()
        .with_timezone(&chrono::Local)
        .date_naive();
    for (ahead, says) in [
        (21, "21 days from today"),
        (1, "1 day from today"),
        (0, "today,"),
    ] {
        let interview = (today + chrono::Duration::days(ahead)).to_string();
        let output = streamdrill(
            dir.path(),
            &["plan", "--interview", &interview, "--dry-run"],
            "",
        );
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains(&format!("interview {interview} ({says}")),
            "{ahead}: {stdout}"
        );
    }
}

#[test]
fn sim_answers_each_command_with_json_and_is_deterministic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = "aws kinesis create-stream --stream-name orders --shard-count 2\n\
                  aws kinesis put-record --stream-name orders --partition-key user-1 --data hello\n\
                  nonsense here\n\
                  aws kinesis list-shards --stream-name orders\n";
    let first = streamdrill(dir.path(), &["sim", "--seed", "3"], script);
    assert!(first.status.success(), "{first:?}");
    let lines: Vec<serde_json::Value> = stdout(&first)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 4, "one object per command, errors included");
    assert!(
        lines[1]["ShardId"]
            .as_str()
            .is_some_and(|s| s.starts_with("shardId-"))
    );
    assert_eq!(lines[2]["Error"]["Code"], "UsageError");
    assert_eq!(lines[3]["Shards"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        lines[3]["Shards"][0]["HashKeyRange"]["StartingHashKey"],
        "0"
    );
    let again = streamdrill(dir.path(), &["sim", "--seed", "3"], script);
    assert_eq!(
        first.stdout, again.stdout,
        "same input and seed, same bytes"
    );
}

#[test]
fn plain_mode_shows_the_evidence_and_the_wrong_claim_per_point() {
    let dir = tempfile::tempdir().expect("temp dir");
    let evidence = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/evidence.toml");
    let answer =
        "Disks are saturated, so the ISR shrinks. Then lower min.insync.replicas to 1.\n1\n";
    let output = streamdrill_on(
        dir.path(),
        &evidence,
        &["drill", "--plain", "--deck", "evidence-fixture"],
        answer,
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("RUBRIC 2/3 matched, 1 contradicted\n"),
        "{text}"
    );
    assert!(
        text.contains("  [x] ISR shrinkage (you said \"ISR shrinks\")\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  [!] acks=all with min.insync.replicas=2 rejects the writes\n      contradicted: \"lower min.insync.replicas\": That trades durability"
        ),
        "{text}"
    );
    assert!(
        text.contains("  [x] Root cause: saturated disk I/O (you said \"saturated\")"),
        "{text}"
    );
    assert!(text.contains("SUGGESTED 1 again"), "{text}");
}

#[test]
fn plain_mode_grades_a_compare_cell_by_its_points_and_shows_the_row_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/compare-evidence.toml");
    let answer = "Kinesis keeps records 24 hours by default, and you can raise that to 365 days at most.\n3\n";
    let output = streamdrill_on(
        dir.path(),
        &fixture,
        &["drill", "--plain", "--deck", "compare-fixture"],
        answer,
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains(
            "CARD compare-fixture/cmp-retention/kinesis compare\nRetention\nHow long can AWS Kinesis Data Streams keep records, and what decides how long they stay?\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "MODEL ANSWER\n24 hours by default, up to 365 days\nRUBRIC 2/2 matched, 0 contradicted\n  [x] 24 hours by default (you said \"24 hours by default\")\n  [x] Up to 365 days at most (you said \"365 days\")\nRetention on the other systems:\n  Self-hosted Kafka: "
        ),
        "{text}"
    );
    assert!(text.contains("SUGGESTED 3 good"), "{text}");
}
