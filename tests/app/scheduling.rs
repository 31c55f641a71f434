//! Scheduler integration: a graded item's due date moves exactly as FSRS says, through the
//! session and the store.

// The scheduler must reproduce FSRS bit for bit, so exact float equality is the point.
#![allow(clippy::float_cmp)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use fsrs::{FSRS, MemoryState};
use streamdrill::deck::Library;
use streamdrill::srs::queue::{Limits, Progress, build_queue, counts};
use streamdrill::srs::scheduler::{Rating, Scheduler};
use streamdrill::srs::session::Session;
use streamdrill::store::ItemFlags;
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
fn the_queue_orders_due_by_recall_spreads_new_and_respects_limits() {
    let library = starter_library();
    let items = library.items(Some("starter"));
    let scheduler = Scheduler::new(0.9).expect("retention");
    let mut progress = Progress::default();
    // Item 3 was learned well long ago, item 1 weakly: item 1 is less likely recalled now.
    let long_ago = t0() - Duration::days(30);
    let strong = scheduler.review(None, Rating::Easy, long_ago).expect("s");
    let weak = scheduler.review(None, Rating::Hard, long_ago).expect("s");
    progress.states.insert(items[3].id.clone(), strong);
    progress.states.insert(items[1].id.clone(), weak);
    // Item 0 was reviewed just now: not due.
    progress.states.insert(
        items[0].id.clone(),
        scheduler.review(None, Rating::Good, t0()).expect("s"),
    );
    assert!(scheduler.retrievability(&weak, t0()) < scheduler.retrievability(&strong, t0()));

    let c = counts(&items, &progress, t0());
    assert_eq!((c.total, c.due, c.new), (items.len(), 2, items.len() - 3));

    let ids = |queue: &[streamdrill::deck::DrillItem]| -> Vec<String> {
        queue.iter().map(|i| i.id.clone()).collect()
    };
    let queue = build_queue(&items, &progress, &scheduler, t0(), Limits::unlimited(4));
    assert_eq!(
        ids(&queue),
        [
            items[1].id.clone(),
            items[2].id.clone(),
            items[3].id.clone(),
            items[6].id.clone()
        ],
        "weakest due first, new cards spread between due ones, no sibling of a due cell"
    );

    // Daily limits: no new cards left today, one review left.
    let limits = Limits {
        session_cards: 10,
        new_left_today: 0,
        reviews_left_today: 1,
    };
    assert_eq!(
        ids(&build_queue(&items, &progress, &scheduler, t0(), limits)),
        [items[1].id.clone()]
    );

    // Suspended items never show.
    progress.flags.insert(
        items[1].id.clone(),
        ItemFlags {
            suspended: true,
            ..ItemFlags::default()
        },
    );
    let queue = build_queue(&items, &progress, &scheduler, t0(), Limits::unlimited(1));
    assert_eq!(ids(&queue), [items[3].id.clone()]);
}

#[test]
fn siblings_of_a_comparison_row_do_not_share_a_day() {
    let library = starter_library();
    let items = library.items(Some("starter"));
    let scheduler = Scheduler::new(0.9).expect("retention");
    let cells: Vec<String> = items
        .iter()
        .filter(|i| i.kind() == "compare")
        .map(|i| i.id.clone())
        .collect();
    assert_eq!(cells.len(), 3);

    // A fresh session takes only one cell of the row.
    let queue = build_queue(
        &items,
        &Progress::default(),
        &scheduler,
        t0(),
        Limits::unlimited(50),
    );
    assert_eq!(queue.iter().filter(|i| i.kind() == "compare").count(), 1);

    // Once one cell was reviewed today, its siblings wait for another day.
    let mut progress = Progress::default();
    progress.reviewed_today.insert(cells[0].clone());
    progress.states.insert(
        cells[0].clone(),
        scheduler
            .review(None, Rating::Again, t0() - Duration::hours(1))
            .expect("s"),
    );
    let queue = build_queue(&items, &progress, &scheduler, t0(), Limits::unlimited(50));
    let compare: Vec<&str> = queue
        .iter()
        .filter(|i| i.kind() == "compare")
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(
        compare,
        [cells[0].as_str()],
        "only the relearning cell itself may return today"
    );
}

#[test]
fn a_fresh_all_decks_session_takes_decks_and_kinds_in_turn() {
    let library = Library::bundled();
    let scheduler = Scheduler::new(0.9).expect("retention");
    let queue = build_queue(
        library.all_items(),
        &Progress::default(),
        &scheduler,
        t0(),
        Limits::unlimited(20),
    );
    assert_eq!(queue.len(), 20);
    let decks: std::collections::BTreeSet<&str> =
        queue.iter().map(|i| i.deck_id.as_str()).collect();
    let kinds: std::collections::BTreeSet<&str> = queue
        .iter()
        .map(streamdrill::deck::DrillItem::kind)
        .collect();
    assert!(
        decks.len() >= 10,
        "20 new cards from {} decks: {decks:?}",
        decks.len()
    );
    assert!(
        kinds.len() >= 5,
        "20 new cards of {} kinds: {kinds:?}",
        kinds.len()
    );
    for pair in queue.windows(2) {
        assert_ne!(
            (&pair[0].deck_id, pair[0].kind()),
            (&pair[1].deck_id, pair[1].kind()),
            "two cards of one deck and kind in a row: {} then {}",
            pair[0].id,
            pair[1].id
        );
    }
}
