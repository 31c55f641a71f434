//! Scheduler integration: a graded item's due date moves exactly as FSRS says, through the
//! session and the store.

// The scheduler must reproduce FSRS bit for bit, so exact float equality is the point.
#![allow(clippy::float_cmp)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use fsrs::{FSRS, MemoryState};
use streamdrill::deck::Library;
use streamdrill::queue::{build_queue, counts};
use streamdrill::scheduler::{Rating, Scheduler};
use streamdrill::session::Session;
use streamdrill::store::Store;

fn starter_library() -> Library {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/starter.toml");
    let source = std::fs::read_to_string(&path).expect("fixture");
    let mut library = Library::default();
    library.add(
        streamdrill::deck::Origin::File("starter.toml".into()),
        "starter.toml",
        &source,
    );
    library
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0)
        .single()
        .expect("valid date")
}

#[test]
fn due_dates_follow_fsrs_intervals() {
    let library = starter_library();
    let item = library.items(Some("starter")).remove(0);
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut store = Store::open_in_memory().expect("store");
    let fsrs = FSRS::default();

    // First review, rated good: FSRS's interval for a new card, in whole days.
    let mut session = Session::new(vec![item.clone()], t0());
    session.reveal();
    let review = session
        .grade(Rating::Good, t0() + Duration::seconds(40))
        .expect("review");
    assert_eq!(review.duration_ms, 40_000);
    let state = scheduler
        .review(None, Rating::Good, review.reviewed_at)
        .expect("state");
    store.record_review(&review, &state).expect("durable");
    session.advance(review.reviewed_at);
    assert!(session.is_finished());

    let expected = fsrs.next_states(None, 0.9, 0).expect("fsrs").good;
    let stored = store
        .card_state(&item.id)
        .expect("query")
        .expect("state stored");
    assert_eq!(stored.stability, expected.memory.stability);
    assert_eq!(
        stored.due,
        review.reviewed_at + Duration::days(expected.interval.round().max(1.0) as i64)
    );

    // Second review on the due date, rated easy: the interval grows as FSRS computes it.
    let second_at = stored.due;
    let days_elapsed = (second_at - stored.last_review).num_days() as u32;
    let next = scheduler
        .review(Some(&stored), Rating::Easy, second_at)
        .expect("state");
    let expected = fsrs
        .next_states(
            Some(MemoryState {
                stability: stored.stability,
                difficulty: stored.difficulty,
            }),
            0.9,
            days_elapsed,
        )
        .expect("fsrs")
        .easy;
    assert_eq!(next.stability, expected.memory.stability);
    assert_eq!(
        next.due,
        second_at + Duration::days(expected.interval.round().max(1.0) as i64)
    );
    assert!(next.due - second_at > stored.due - stored.last_review);
    assert_eq!(next.reps, 2);

    // A lapse brings the item back within minutes and counts as a lapse.
    let lapsed = scheduler
        .review(Some(&next), Rating::Again, next.due)
        .expect("state");
    assert_eq!(lapsed.due - next.due, Duration::minutes(10));
    assert_eq!(lapsed.lapses, 1);
}

#[test]
fn the_queue_shows_due_items_first_then_new_ones() {
    let library = starter_library();
    let items = library.items(Some("starter"));
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut states = std::collections::HashMap::new();
    // Two items reviewed long ago (due), one reviewed just now (not due).
    let long_ago = t0() - Duration::days(30);
    states.insert(
        items[3].id.clone(),
        scheduler.review(None, Rating::Good, long_ago).expect("s"),
    );
    states.insert(
        items[1].id.clone(),
        scheduler
            .review(None, Rating::Hard, long_ago - Duration::days(1))
            .expect("s"),
    );
    states.insert(
        items[0].id.clone(),
        scheduler.review(None, Rating::Good, t0()).expect("s"),
    );

    let c = counts(&items, &states, t0());
    assert_eq!((c.total, c.due, c.new), (items.len(), 2, items.len() - 3));

    let queue = build_queue(items.clone(), &states, t0(), 4);
    let ids: Vec<&str> = queue.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            items[1].id.as_str(),
            items[3].id.as_str(),
            items[2].id.as_str(),
            items[4].id.as_str()
        ]
    );
}
