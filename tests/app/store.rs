//! The progress store: durable grades, migrations, and refusal to touch foreign files.

use chrono::{DateTime, Duration, TimeZone, Utc};
use streamdrill::srs::scheduler::{Rating, Scheduler};
use streamdrill::store::{Review, SCHEMA_VERSION, Store, StoreError};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 30, 0)
        .single()
        .expect("valid date")
}

fn review(item: &str, rating: Rating, at: DateTime<Utc>) -> Review {
    Review {
        item_id: item.to_owned(),
        deck_id: item.split('/').next().unwrap_or_default().to_owned(),
        reviewed_at: at,
        rating,
        duration_ms: 4_200,
        answer: "acks=all with min.insync.replicas=2".to_owned(),
    }
}

#[test]
fn reopening_keeps_states_and_the_review_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested/streamdrill.db");
    let scheduler = Scheduler::new(0.9).expect("retention");
    let state = scheduler.review(None, Rating::Good, t0()).expect("state");
    {
        let mut store = Store::open(&path).expect("open new");
        store
            .record_review(&review("d/c", Rating::Good, t0()), &state)
            .expect("record");
    }
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.card_state("d/c").expect("query"), Some(state));
    assert_eq!(store.review_count().expect("count"), 1);
    let log = store.reviews_of("d/c").expect("log");
    assert_eq!(log, vec![review("d/c", Rating::Good, t0())]);
    assert!(store.integrity_ok().expect("integrity"));
}

#[test]
fn migrating_twice_is_a_no_op() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("streamdrill.db");
    let first = Store::open(&path).expect("first open migrates");
    assert_eq!(first.schema_version().expect("version"), SCHEMA_VERSION);
    drop(first);
    let second = Store::open(&path).expect("second open");
    assert_eq!(second.schema_version().expect("version"), SCHEMA_VERSION);
    let memory = Store::open_in_memory().expect("in memory");
    assert_eq!(memory.schema_version().expect("version"), SCHEMA_VERSION);
}

#[test]
fn an_empty_sqlite_file_of_version_zero_is_migrated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("streamdrill.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("plain sqlite");
        conn.execute_batch("CREATE TABLE unrelated(x); PRAGMA user_version = 0;")
            .expect("setup");
    }
    let store = Store::open(&path).expect("migrates");
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("streamdrill.db");
    let garbage = b"this is not a database, it is my thesis draft\n".repeat(200);
    std::fs::write(&path, &garbage).expect("write");
    let error = Store::open(&path).err().expect("refused");
    assert!(matches!(error, StoreError::NotADatabase { .. }), "{error}");
    assert!(error.to_string().contains("left untouched"));
    assert_eq!(std::fs::read(&path).expect("read"), garbage);
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("streamdrill.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("set version");
    }
    let error = Store::open(&path).err().expect("refused");
    assert!(matches!(error, StoreError::TooNew { .. }), "{error}");
}

#[test]
fn reviews_today_counts_from_the_given_instant() {
    let mut store = Store::open_in_memory().expect("store");
    let scheduler = Scheduler::new(0.9).expect("retention");
    let yesterday = t0() - Duration::days(1);
    for (item, at) in [("d/a", yesterday), ("d/b", t0()), ("d/c", t0())] {
        let state = scheduler.review(None, Rating::Good, at).expect("state");
        store
            .record_review(&review(item, Rating::Good, at), &state)
            .expect("record");
    }
    assert_eq!(store.review_count().expect("total"), 3);
    assert_eq!(
        store
            .review_count_since(t0() - Duration::hours(1))
            .expect("today"),
        2
    );
}

/// Databases written by every shipped schema version must open and migrate. Add a fixture here
/// whenever a migration is added.
#[test]
fn fixture_databases_of_every_shipped_version_open_and_keep_progress() {
    /// (file, reviews it holds), one per shipped schema version.
    const FIXTURES: &[(&str, u64)] = &[
        ("schema-v1.db", 2),
        ("schema-v5.db", 3),
        ("schema-v8.db", 3),
    ];
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db");
    for &(file, reviews) in FIXTURES {
        let dir = tempfile::tempdir().expect("temp dir");
        let copy = dir.path().join("streamdrill.db");
        std::fs::copy(fixtures.join(file), &copy).expect("copy fixture");
        let store = Store::open(&copy).expect(file);
        assert_eq!(
            store.schema_version().expect("version"),
            SCHEMA_VERSION,
            "{file}"
        );
        assert_eq!(store.review_count().expect("count"), reviews, "{file}");
        let states = store.card_states().expect("states");
        assert!(
            states.contains_key("starter/producer-drops-on-broker-restart"),
            "{file}"
        );
        assert!(store.integrity_ok().expect("integrity"), "{file}");
        assert!(
            store.lab_histories().expect("histories").is_empty(),
            "{file}"
        );
    }
}

#[test]
fn lab_history_keeps_the_newest_lines_per_lab_in_order() {
    let mut store = Store::open_in_memory().expect("store");
    for i in 0..5 {
        store
            .record_lab_command("hot-key", &format!("gen list {i}"), 3)
            .expect("saved");
    }
    store
        .record_lab_command("isr", "kafka-topics --describe", 3)
        .expect("saved");
    let histories = store.lab_histories().expect("histories");
    assert_eq!(
        histories["hot-key"],
        ["gen list 2", "gen list 3", "gen list 4"],
        "the oldest lines go past the limit"
    );
    assert_eq!(histories["isr"], ["kafka-topics --describe"]);
}
