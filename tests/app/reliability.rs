//! Data is sacred: kill the process at any point and every acknowledged grade is in a consistent
//! database; two instances grading at once both succeed and lose nothing.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use streamdrill::store::Store;

fn spawn_plain(data_dir: &Path, deck: Option<&str>) -> Child {
    // No daily limit may cut these sessions short.
    let config = data_dir.join("config.toml");
    std::fs::write(&config, "new_per_day = 10000\nreviews_per_day = 10000\n").expect("config");
    Command::new(env!("CARGO_BIN_EXE_streamdrill"))
        .args(["drill", "--plain", "--limit", "40", "--seed", "1"])
        .args(deck.map(|d| vec!["--deck", d]).unwrap_or_default())
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("STREAMDRILL_DATA_DIR")
        .arg("--config")
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs")
}

/// Answers and grades cards until `acks` grades were acknowledged, then kills the process
/// (SIGKILL) after a short pause, while it may be in the middle of the next write. Returns the
/// item ids whose grades were acknowledged.
fn grade_then_kill(data_dir: &Path, acks: usize, pause: Duration) -> Vec<String> {
    let mut child = spawn_plain(data_dir, None);
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut acknowledged = Vec::new();
    for line in stdout.lines() {
        let Ok(line) = line else { break };
        if line == "ANSWER>" {
            let _ = stdin.write_all(b"some answer\n");
        } else if line.starts_with("GRADE>") {
            let _ = stdin.write_all(b"3\n");
            if acknowledged.len() == acks {
                // The grade is on its way; kill while it may be being written.
                std::thread::sleep(pause);
                break;
            }
        } else if let Some(rest) = line.strip_prefix("SAVED ") {
            acknowledged.push(rest.split(' ').next().unwrap_or_default().to_owned());
        }
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    acknowledged
}

#[test]
fn killing_the_process_never_loses_an_acknowledged_grade() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut expected_at_least = 0;
    // Different kill points: after 0..6 acknowledgements, with pauses from none to a few ms.
    for round in 0..12u64 {
        let acks = (round % 6) as usize;
        let pause = Duration::from_micros((round * 397) % 3000);
        let acknowledged = grade_then_kill(dir.path(), acks, pause);
        assert_eq!(acknowledged.len(), acks, "round {round}");
        expected_at_least += acks;

        let store = Store::open(&dir.path().join("streamdrill.db")).expect("reopens after a kill");
        assert!(
            store.integrity_ok().expect("integrity check runs"),
            "round {round}"
        );
        let logged = store.review_count().expect("count") as usize;
        assert!(
            logged >= expected_at_least,
            "round {round}: {logged} < {expected_at_least}"
        );
        for item in &acknowledged {
            assert!(
                !store.reviews_of(item).expect("log").is_empty(),
                "round {round}: {item} lost"
            );
        }
        // Keep the count exact for the next round: whatever the kill raced, it is in the log.
        expected_at_least = logged;
    }
}

#[test]
fn two_instances_grading_at_once_both_succeed() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Create the database first so both instances race on grades, not on creation.
    drop(Store::open(&dir.path().join("streamdrill.db")).expect("create"));
    let script = "an answer\n3\n".repeat(14) + "q\n";
    let mut children: Vec<Child> = ["kafka-kinesis-myths", "kafka-kinesis-failures"]
        .iter()
        .map(|deck| spawn_plain(dir.path(), Some(deck)))
        .collect();
    for child in &mut children {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(script.as_bytes())
            .expect("script");
    }
    let mut saved = 0;
    for child in children {
        let output = child.wait_with_output().expect("exits");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(stderr.is_empty(), "an instance reported an error: {stderr}");
        saved += stdout.lines().filter(|l| l.starts_with("SAVED ")).count();
    }
    assert_eq!(saved, 28);
    let store = Store::open(&dir.path().join("streamdrill.db")).expect("open");
    assert_eq!(store.review_count().expect("count"), 28);
    assert!(store.integrity_ok().expect("integrity"));
}
