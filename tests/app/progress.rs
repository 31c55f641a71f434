//! Progress operations: export and import, undo, leeches, suspend and reset, content changes.

use std::io::Cursor;

use chrono::{DateTime, Duration, TimeZone, Utc};
use streamdrill::srs::optimize::TrainingHistories;
use streamdrill::srs::scheduler::{Rating, Scheduler};
use streamdrill::store::exchange::ExchangeError;
use streamdrill::store::{LEECH_LAPSES, LabResult, Review, Store};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 2, 9, 0, 0)
        .single()
        .expect("valid date")
}

fn grade(store: &mut Store, scheduler: &Scheduler, item: &str, rating: Rating, at: DateTime<Utc>) {
    let previous = store.card_state(item).expect("query");
    let state = scheduler
        .review(previous.as_ref(), rating, at)
        .expect("state");
    let review = Review {
        item_id: item.to_owned(),
        deck_id: "d".to_owned(),
        reviewed_at: at,
        rating,
        duration_ms: 1_000,
        answer: format!("answer at {at}"),
    };
    store.record_review(&review, &state).expect("durable");
}

fn exported(store: &Store) -> Vec<u8> {
    let mut out = Vec::new();
    store.export(&mut out, t0()).expect("export");
    out
}

#[test]
fn flags_travel_with_export_and_import_and_importing_twice_changes_nothing() {
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut source = Store::open_in_memory().expect("store");
    grade(&mut source, &scheduler, "d/a", Rating::Good, t0());
    grade(&mut source, &scheduler, "d/b", Rating::Good, t0());
    source.set_flagged("d/a", true).expect("flag");
    let file = exported(&source);
    assert!(
        String::from_utf8_lossy(&file).contains("\"flagged\":true"),
        "the flag is in the file"
    );

    let mut target = Store::open_in_memory().expect("store");
    target
        .import(Cursor::new(&file), &scheduler)
        .expect("import");
    target
        .import(Cursor::new(&file), &scheduler)
        .expect("again");
    let flags = target.flags().expect("flags");
    assert!(flags["d/a"].flagged);
    assert!(!flags.get("d/b").is_some_and(|f| f.flagged));
    assert_eq!(exported(&target), file, "a second import changes nothing");

    // A file from before flags were exported (no `flagged` key) still imports.
    let old = String::from_utf8(file)
        .expect("utf-8")
        .replace(",\"flagged\":true", "")
        .replace(",\"flagged\":false", "");
    let mut older = Store::open_in_memory().expect("store");
    older
        .import(Cursor::new(old.as_bytes()), &scheduler)
        .expect("an older file imports");
    assert!(!older.flags().expect("flags")["d/a"].flagged);
}

#[test]
fn lab_results_travel_with_export_and_import_and_importing_twice_changes_nothing() {
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut source = Store::open_in_memory().expect("store");
    grade(&mut source, &scheduler, "d/a", Rating::Good, t0());
    for (minutes, lab, passed) in [(5, "kinesis-hot-key", false), (9, "kinesis-hot-key", true)] {
        source
            .record_lab_result(&LabResult {
                lab_id: lab.to_owned(),
                finished_at: t0() + Duration::minutes(minutes),
                passed,
                commands: 7,
                hints: 1,
            })
            .expect("recorded");
    }
    let file = exported(&source);
    let text = String::from_utf8_lossy(&file).into_owned();
    assert_eq!(text.matches("{\"lab\":").count(), 2, "{text}");

    let mut target = Store::open_in_memory().expect("store");
    // The target ran a lab of its own: a merge keeps it beside the imported runs.
    target
        .record_lab_result(&LabResult {
            lab_id: "kafka-isr-shrinkage".to_owned(),
            finished_at: t0() + Duration::minutes(1),
            passed: true,
            commands: 3,
            hints: 0,
        })
        .expect("recorded");
    let first = target
        .import(Cursor::new(&file), &scheduler)
        .expect("import");
    assert_eq!((first.lab_runs_in_file, first.lab_runs_added), (2, 2));
    let again = target
        .import(Cursor::new(&file), &scheduler)
        .expect("again");
    assert_eq!((again.lab_runs_in_file, again.lab_runs_added), (2, 0));
    let summaries = target.lab_summaries().expect("summaries");
    let hot_key = summaries
        .iter()
        .find(|s| s.lab_id == "kinesis-hot-key")
        .expect("imported lab");
    assert_eq!((hot_key.runs, hot_key.passed), (2, 1));
    assert_eq!(hot_key.last_passed, Some(t0() + Duration::minutes(9)));
    assert_eq!(target.lab_results().expect("runs").len(), 3);

    // A version 1 file (no lab lines, no lab count) still imports.
    let version_1: String = text
        .lines()
        .filter(|l| !l.starts_with("{\"lab\":"))
        .map(|l| {
            l.replace("\"version\":2", "\"version\":1")
                .replace(",\"labs\":2", "")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut older = Store::open_in_memory().expect("store");
    let summary = older
        .import(Cursor::new(version_1.as_bytes()), &scheduler)
        .expect("a version 1 file imports");
    assert_eq!((summary.reviews_added, summary.lab_runs_in_file), (1, 0));

    // A lab line dropped from the middle is a truncated file, and nothing is imported.
    let cut: String = text
        .lines()
        .filter(|l| !l.contains("\"finished_at\":\"2026-02-02T09:05:00Z\""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut untouched = Store::open_in_memory().expect("store");
    assert!(matches!(
        untouched.import(Cursor::new(cut.as_bytes()), &scheduler),
        Err(ExchangeError::Truncated(_))
    ));
    assert!(untouched.lab_results().expect("runs").is_empty());
    assert!(untouched.all_reviews().expect("reviews").is_empty());
}

#[test]
fn export_then_import_into_an_empty_store_reproduces_progress() {
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut source = Store::open_in_memory().expect("store");
    for (i, item) in ["d/a", "d/b", "d/c/kafka"].iter().enumerate() {
        grade(
            &mut source,
            &scheduler,
            item,
            Rating::Good,
            t0() + Duration::minutes(i as i64),
        );
        grade(
            &mut source,
            &scheduler,
            item,
            Rating::Hard,
            t0() + Duration::days(3),
        );
    }
    source.set_suspended("d/b", true).expect("suspend");
    let file = exported(&source);

    let mut target = Store::open_in_memory().expect("store");
    let summary = target
        .import(Cursor::new(&file), &scheduler)
        .expect("import");
    assert_eq!((summary.reviews_in_file, summary.reviews_added), (6, 6));
    assert_eq!(
        target.card_states().expect("states"),
        source.card_states().expect("states")
    );
    assert_eq!(
        target.all_reviews().expect("log"),
        source.all_reviews().expect("log")
    );
    assert!(target.flags().expect("flags")["d/b"].suspended);

    // Importing the same file again changes nothing.
    let again = target
        .import(Cursor::new(&file), &scheduler)
        .expect("import");
    assert_eq!(again.reviews_added, 0);
    assert_eq!(exported(&target), file);
}

#[test]
fn a_bulk_import_builds_indexes_and_totals_once_with_the_same_result() {
    // 6,000 reviews into an empty store take the bulk path (indexes and triggers deferred);
    // the same reviews as two files of 3,000 take the review-by-review path.
    let scheduler = Scheduler::new(0.9).expect("retention");
    let history =
        streamdrill::srs::synthetic::history(60, 100, t0(), t0() + Duration::days(3650), 3);
    let file_of = |history: &[(Review, streamdrill::srs::scheduler::CardState)]| {
        let mut store = Store::open_in_memory().expect("store");
        store.bulk_load(history).expect("load");
        exported(&store)
    };
    let file = file_of(&history);
    let mut source = Store::open_in_memory().expect("store");
    for half in history.chunks(3_000) {
        let summary = source
            .import(Cursor::new(&file_of(half)), &scheduler)
            .expect("import");
        assert_eq!(summary.reviews_added, 3_000);
    }

    let mut target = Store::open_in_memory().expect("store");
    let summary = target
        .import(Cursor::new(&file), &scheduler)
        .expect("import");
    assert_eq!(summary.reviews_added, 6_000);
    assert!(target.integrity_ok().expect("check"), "totals recounted");
    assert_eq!(
        target.card_states().expect("states"),
        source.card_states().expect("states")
    );
    let sorted = |store: &Store| {
        let mut log = store.all_reviews().expect("log");
        log.sort_by(|a, b| (&a.item_id, a.reviewed_at).cmp(&(&b.item_id, b.reviewed_at)));
        log
    };
    assert_eq!(sorted(&target), sorted(&source));
    let since = t0() + Duration::days(3000);
    let figures = |store: &Store| {
        use streamdrill::store::PassFilter;
        let mut mature = store.pass_counts(PassFilter::Mature).expect("mature");
        mature.sort();
        // `Since` reads the activity index by name: it fails if the index was not built again.
        let mut recent = store.pass_counts(PassFilter::Since(since)).expect("recent");
        recent.sort();
        (
            store.review_count().expect("count"),
            store.total_duration_ms().expect("time"),
            store.daily_activity(t0(), 0).expect("activity"),
            mature,
            recent,
        )
    };
    assert_eq!(figures(&target), figures(&source));

    // The triggers are back: a new grade is counted.
    grade(
        &mut target,
        &scheduler,
        "synthetic-0/card-0",
        Rating::Good,
        t0() + Duration::days(3651),
    );
    assert_eq!(target.review_count().expect("count"), 6_001);
    assert!(target.integrity_ok().expect("check"));
    // And importing the file again adds nothing.
    let again = target
        .import(Cursor::new(&file), &scheduler)
        .expect("import");
    assert_eq!(again.reviews_added, 0);
}

#[test]
fn newer_reviews_from_another_machine_continue_each_schedule_as_a_replay_would() {
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut laptop = Store::open_in_memory().expect("store");
    let ratings = [
        Rating::Good,
        Rating::Good,
        Rating::Again,
        Rating::Hard,
        Rating::Easy,
    ];
    for (day, rating) in ratings.iter().enumerate().take(2) {
        grade(
            &mut laptop,
            &scheduler,
            "d/a",
            *rating,
            t0() + Duration::days(day as i64 * 5),
        );
    }
    let mut desktop = Store::open_in_memory().expect("store");
    desktop
        .import(Cursor::new(exported(&laptop)), &scheduler)
        .expect("import");
    // The desktop goes on alone for weeks: mature reviews, a lapse, a new card.
    for (day, rating) in ratings.iter().enumerate().skip(2) {
        grade(
            &mut desktop,
            &scheduler,
            "d/a",
            *rating,
            t0() + Duration::days(day as i64 * 20),
        );
    }
    grade(
        &mut desktop,
        &scheduler,
        "d/new",
        Rating::Good,
        t0() + Duration::days(90),
    );
    let summary = laptop
        .import(Cursor::new(exported(&desktop)), &scheduler)
        .expect("merge");
    assert_eq!(summary.reviews_added, 4);
    let expected = scheduler
        .replay(ratings.iter().enumerate().map(|(day, rating)| {
            let days = if day < 2 {
                day as i64 * 5
            } else {
                day as i64 * 20
            };
            (t0() + Duration::days(days), *rating)
        }))
        .expect("replay")
        .expect("state");
    assert_eq!(laptop.card_state("d/a").expect("q"), Some(expected));
    assert_eq!(
        laptop.all_reviews().expect("log"),
        desktop.all_reviews().expect("log")
    );
    assert_eq!(
        laptop.card_states().expect("s"),
        desktop.card_states().expect("s")
    );
    assert!(
        laptop.integrity_ok().expect("check"),
        "totals follow the appended reviews"
    );
    assert_eq!(exported(&laptop), exported(&desktop));
}

#[test]
fn two_machines_histories_merge_without_duplicates() {
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut laptop = Store::open_in_memory().expect("store");
    let mut desktop = Store::open_in_memory().expect("store");
    grade(&mut laptop, &scheduler, "d/a", Rating::Good, t0());
    let shared = exported(&laptop);
    desktop
        .import(Cursor::new(&shared), &scheduler)
        .expect("import");
    // Each machine then reviews on its own.
    grade(
        &mut laptop,
        &scheduler,
        "d/a",
        Rating::Again,
        t0() + Duration::days(2),
    );
    grade(
        &mut desktop,
        &scheduler,
        "d/a",
        Rating::Easy,
        t0() + Duration::days(1),
    );
    grade(
        &mut desktop,
        &scheduler,
        "d/b",
        Rating::Good,
        t0() + Duration::days(1),
    );

    laptop
        .import(Cursor::new(exported(&desktop)), &scheduler)
        .expect("merge");
    desktop
        .import(Cursor::new(exported(&laptop)), &scheduler)
        .expect("merge");
    let log = laptop.all_reviews().expect("log");
    assert_eq!(log.len(), 4, "three of d/a, one of d/b, no duplicates");
    assert_eq!(log, desktop.all_reviews().expect("log"));
    assert_eq!(
        laptop.card_states().expect("s"),
        desktop.card_states().expect("s")
    );

    // The merged state is the replay of the merged history, in time order.
    let expected = scheduler
        .replay([
            (t0(), Rating::Good),
            (t0() + Duration::days(1), Rating::Easy),
            (t0() + Duration::days(2), Rating::Again),
        ])
        .expect("replay")
        .expect("state");
    assert_eq!(laptop.card_state("d/a").expect("q"), Some(expected));
    assert!(laptop.integrity_ok().expect("check") && desktop.integrity_ok().expect("check"));
}

#[test]
fn bad_or_truncated_files_are_rejected_and_change_nothing() {
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut source = Store::open_in_memory().expect("store");
    grade(&mut source, &scheduler, "d/a", Rating::Good, t0());
    grade(&mut source, &scheduler, "d/b", Rating::Good, t0());
    let file = exported(&source);
    let text = String::from_utf8(file.clone()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();

    let truncated = lines[..lines.len() - 1].join("\n");
    let cut_mid_line = &text[..text.len() / 2];
    let corrupt = text.replacen("\"rating\":\"Good\"", "\"rating\":\"Great\"", 1);
    let cases: [(&str, &[u8]); 5] = [
        ("truncated", truncated.as_bytes()),
        ("cut mid-line", cut_mid_line.as_bytes()),
        ("corrupt line", corrupt.as_bytes()),
        ("not progress", b"id,rating\na,3\n"),
        ("empty", b""),
    ];
    let mut target = Store::open_in_memory().expect("store");
    grade(&mut target, &scheduler, "d/z", Rating::Hard, t0());
    let before = exported(&target);
    for (name, bytes) in cases {
        let error = target
            .import(Cursor::new(bytes), &scheduler)
            .expect_err(name);
        assert!(
            matches!(
                error,
                ExchangeError::Truncated(_)
                    | ExchangeError::BadLine { .. }
                    | ExchangeError::NotProgress(_)
            ),
            "{name}: {error}"
        );
        assert_eq!(exported(&target), before, "{name} changed the database");
    }
}

#[test]
fn undo_removes_the_last_grade_and_restores_the_state() {
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut store = Store::open_in_memory().expect("store");
    grade(&mut store, &scheduler, "d/a", Rating::Good, t0());
    let after_first = store.card_state("d/a").expect("q");
    grade(
        &mut store,
        &scheduler,
        "d/a",
        Rating::Again,
        t0() + Duration::days(2),
    );
    let undone = store
        .undo_last(&scheduler)
        .expect("undo")
        .expect("something undone");
    assert_eq!(undone.rating, Rating::Again);
    assert_eq!(store.card_state("d/a").expect("q"), after_first);
    store.undo_last(&scheduler).expect("undo");
    assert_eq!(store.card_state("d/a").expect("q"), None, "back to new");
    assert!(store.undo_last(&scheduler).expect("undo").is_none());
    assert!(store.integrity_ok().expect("check"), "totals follow undo");
}

#[test]
fn the_eighth_lapse_makes_a_leech_and_suspends_it() {
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut store = Store::open_in_memory().expect("store");
    let mut at = t0();
    grade(&mut store, &scheduler, "d/hard", Rating::Good, at);
    for lapse in 1..=LEECH_LAPSES {
        at += Duration::days(1);
        let previous = store.card_state("d/hard").expect("q");
        let state = scheduler
            .review(previous.as_ref(), Rating::Again, at)
            .expect("state");
        let review = Review {
            item_id: "d/hard".into(),
            deck_id: "d".into(),
            reviewed_at: at,
            rating: Rating::Again,
            duration_ms: 0,
            answer: String::new(),
        };
        let outcome = store.record_review(&review, &state).expect("durable");
        assert_eq!(outcome.leech, lapse == LEECH_LAPSES, "lapse {lapse}");
        at += Duration::days(1);
        grade(&mut store, &scheduler, "d/hard", Rating::Good, at);
    }
    let flags = store.flags().expect("flags")["d/hard"];
    assert!(flags.leech && flags.suspended);
    store.set_suspended("d/hard", false).expect("unsuspend");
    let flags = store.flags().expect("flags")["d/hard"];
    assert!(!flags.leech && !flags.suspended);
    // Back in the queue, a pass is not a lapse: the card stays in, whatever its lapse count.
    for rating in [Rating::Good, Rating::Hard, Rating::Easy] {
        at += Duration::days(3);
        let previous = store.card_state("d/hard").expect("q");
        let state = scheduler
            .review(previous.as_ref(), rating, at)
            .expect("state");
        assert!(state.lapses >= LEECH_LAPSES);
        let review = Review {
            item_id: "d/hard".into(),
            deck_id: "d".into(),
            reviewed_at: at,
            rating,
            duration_ms: 0,
            answer: String::new(),
        };
        let outcome = store.record_review(&review, &state).expect("durable");
        assert!(!outcome.leech, "{rating:?} made a leech");
        assert!(!store.flags().expect("flags")["d/hard"].suspended);
    }
}

#[test]
fn reset_makes_a_card_new_but_keeps_its_log() {
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut store = Store::open_in_memory().expect("store");
    grade(&mut store, &scheduler, "d/a", Rating::Good, t0());
    store
        .reset("d/a", t0() + Duration::hours(1))
        .expect("reset");
    assert_eq!(store.card_state("d/a").expect("q"), None);
    assert_eq!(store.reviews_of("d/a").expect("log").len(), 1);
    // After a reset, a new grade starts from scratch, as for a new card.
    grade(
        &mut store,
        &scheduler,
        "d/a",
        Rating::Good,
        t0() + Duration::hours(2),
    );
    let fresh = scheduler
        .review(None, Rating::Good, t0() + Duration::hours(2))
        .expect("s");
    assert_eq!(store.card_state("d/a").expect("q"), Some(fresh));
}

#[test]
fn a_changed_card_is_marked_and_keeps_its_history() {
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut store = Store::open_in_memory().expect("store");
    grade(&mut store, &scheduler, "d/a", Rating::Good, t0());
    let first = vec![
        ("d/a".to_owned(), "hash-1".to_owned()),
        ("d/new".to_owned(), "x".to_owned()),
    ];
    assert_eq!(
        store.sync_content_hashes(&first).expect("sync"),
        0,
        "first sight is not a change"
    );
    assert_eq!(store.sync_content_hashes(&first).expect("sync"), 0);
    // A row for a content hash alone raises no flag: scheduling does not read it.
    assert!(store.flags().expect("flags").contains_key("d/a"));
    assert!(store.raised_flags().expect("flags").is_empty());
    let edited = vec![("d/a".to_owned(), "hash-2".to_owned())];
    assert_eq!(store.sync_content_hashes(&edited).expect("sync"), 1);
    assert!(store.flags().expect("flags")["d/a"].changed);
    assert!(store.raised_flags().expect("flags")["d/a"].changed);
    assert_eq!(store.reviews_of("d/a").expect("log").len(), 1);
    assert!(store.card_state("d/a").expect("q").is_some());
    // Reviewing it in its new wording clears the mark.
    grade(
        &mut store,
        &scheduler,
        "d/a",
        Rating::Good,
        t0() + Duration::days(2),
    );
    assert!(!store.flags().expect("flags")["d/a"].changed);
    assert!(store.raised_flags().expect("flags").is_empty());
}

#[test]
fn the_optimizer_fits_a_learners_history_and_scheduling_uses_it() {
    let history =
        streamdrill::srs::synthetic::history(300, 8, t0(), t0() + Duration::days(3650), 7);
    let reviews: Vec<Review> = history.iter().map(|(r, _)| r.clone()).collect();
    let fit = streamdrill::srs::optimize::fit(&TrainingHistories::from_reviews(&reviews))
        .expect("enough history");
    assert_eq!(fit.parameters.len(), 21);
    assert!(
        fit.log_loss_after <= fit.log_loss_before,
        "fitted {} vs default {}",
        fit.log_loss_after,
        fit.log_loss_before
    );

    let mut store = Store::open_in_memory().expect("store");
    store.bulk_load(&history).expect("load");
    assert_eq!(store.review_count().expect("count"), 2400);
    // `optimize` streams the store item by item: the same histories as the log grouped by item.
    let mut streamed = TrainingHistories::default();
    store
        .for_each_item_history(|h| streamed.push_item(h.iter().copied()))
        .expect("stream");
    assert_eq!(streamed, TrainingHistories::from_reviews(&reviews));
    assert_eq!(streamed.reviews(), 2400);
    assert!(
        store.integrity_ok().expect("check"),
        "totals follow bulk loads"
    );
    store
        .save_parameters(&streamdrill::store::FittedParameters {
            created_at: t0(),
            parameters: fit.parameters.clone(),
            reviews: reviews.len() as u64,
            log_loss_before: f64::from(fit.log_loss_before),
            log_loss_after: f64::from(fit.log_loss_after),
        })
        .expect("save");
    let scheduler = streamdrill::shell::workspace::scheduler_for(&store, 0.9).expect("scheduler");
    assert_eq!(scheduler.parameters(), fit.parameters.as_slice());
}

#[test]
fn the_optimizer_explains_when_history_is_too_short() {
    let reviews: Vec<Review> =
        streamdrill::srs::synthetic::history(20, 3, t0(), t0() + Duration::days(3650), 1)
            .into_iter()
            .map(|(r, _)| r)
            .collect();
    let error = streamdrill::srs::optimize::fit(&TrainingHistories::from_reviews(&reviews))
        .expect_err("too little");
    assert!(
        error
            .to_string()
            .contains("not enough history yet: 60 reviews"),
        "{error}"
    );
}
