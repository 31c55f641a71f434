//! The fuzzy finder: key events in, state and actions out; ranking; snapshots; no panics at any
//! size.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier};
use streamdrill::tui::finder::{Finder, FinderAction, FinderEntry};

fn entry(
    item_id: &str,
    kind: &'static str,
    deck_title: &str,
    prompt: &str,
    answer: &str,
    tags: &[&str],
) -> FinderEntry {
    FinderEntry {
        item_id: item_id.to_owned(),
        kind,
        deck_title: deck_title.to_owned(),
        prompt: prompt.to_owned(),
        answer: answer.to_owned(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        flagged: false,
    }
}

fn entries() -> Vec<FinderEntry> {
    vec![
        entry(
            "kafka-core/acks-all-durability",
            "question",
            "Kafka internals",
            "What does acks=all guarantee, and what does it cost?",
            "The leader acknowledges only once every in-sync replica has the record, so an \
             acknowledged write survives the loss of any broker but one; with \
             min.insync.replicas=2 a write fails fast instead of sitting on one copy. The cost \
             is latency: the slowest follower in the ISR sets the pace.",
            &["durability", "producer", "acks"],
        ),
        entry(
            "kinesis-ops/hot-shard",
            "failure",
            "Kinesis operations",
            "ProvisionedThroughputExceeded on one shard while the stream is mostly idle",
            "A hot partition key: one key carries most of the traffic.\nFix: spread the key \
             (add a suffix), or split the shard.",
            &["throughput", "shards"],
        ),
        entry(
            "kafka-core/isr-shrink",
            "failure",
            "Kafka internals",
            "Under-replicated partitions climb after a broker restart",
            "The restarted broker is catching up; producers using acks=all may block while the \
             ISR is below min.insync.replicas.",
            &["replication", "operations"],
        ),
        entry(
            "kinesis-ops/myth-24h-retention",
            "myth",
            "Kinesis operations",
            "Kinesis keeps data for 24 hours at most.",
            "False: 24 hours is the default; retention extends to 7 days, and long-term \
             retention to 365 days.",
            &["retention"],
        ),
        entry(
            "compare/ordering/kinesis",
            "compare",
            "Kafka vs Kinesis",
            "Ordering guarantee — Kinesis",
            "Per shard, by sequence number.",
            &["ordering"],
        ),
        entry(
            "kafka-core/choice-idempotence",
            "choice",
            "Kafka internals",
            "Which setting makes the producer idempotent?",
            "enable.idempotence=true (with acks=all and max.in.flight.requests.per.connection \
             <= 5).",
            &["producer", "exactly-once"],
        ),
        entry(
            "kinesis-ops/shard-write-limit",
            "numeric",
            "Kinesis operations",
            "Write limit of one Kinesis shard, in MB/s?",
            "1 MB/s or 1,000 records/s per shard.",
            &["throughput", "limits"],
        ),
        entry(
            "kafka-core/partitions-for-throughput",
            "calc",
            "Kafka internals",
            "Partitions needed for 300 MB/s when one partition sustains 10 MB/s?",
            "30 partitions, plus headroom for growth and rebalancing.",
            &["throughput", "sizing"],
        ),
    ]
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn type_text(finder: &mut Finder, text: &str) {
    for c in text.chars() {
        assert_eq!(
            finder.handle_key(&key(KeyCode::Char(c))),
            FinderAction::None
        );
    }
}

fn ids<'a>(results: impl Iterator<Item = &'a FinderEntry>) -> Vec<&'a str> {
    results.map(|e| e.item_id.as_str()).collect()
}

fn selected_id(finder: &Finder) -> &str {
    finder.selected().map_or("", |e| e.item_id.as_str())
}

#[test]
fn an_empty_query_lists_everything_in_entry_order() {
    let finder = Finder::new(entries());
    let all: Vec<String> = entries().into_iter().map(|e| e.item_id).collect();
    assert_eq!(ids(finder.results()), all);
    assert_eq!((finder.match_count(), finder.entry_count()), (8, 8));
    assert_eq!(finder.selected_ids(), all);
}

#[test]
fn typing_filters_and_ranks() {
    let mut finder = Finder::new(entries());
    type_text(&mut finder, "acks");
    assert_eq!(finder.query(), "acks");
    let results = ids(finder.results());
    assert_eq!(results[0], "kafka-core/acks-all-durability");
    // Answers are searched too.
    assert!(results.contains(&"kafka-core/isr-shrink"), "{results:?}");
    assert!(
        results.contains(&"kafka-core/choice-idempotence"),
        "{results:?}"
    );
    // The three cards that say "acks=all" come first, the exact one (prompt) at the top.
    let mut top: Vec<&str> = results[..3].to_vec();
    top.sort_unstable();
    assert_eq!(
        top,
        vec![
            "kafka-core/acks-all-durability",
            "kafka-core/choice-idempotence",
            "kafka-core/isr-shrink"
        ]
    );
    assert_eq!(finder.match_count(), results.len());
    assert_eq!(selected_id(&finder), "kafka-core/acks-all-durability");
}

#[test]
fn every_word_of_the_query_must_match() {
    let mut finder = Finder::new(entries());
    type_text(&mut finder, "shard write");
    let results = ids(finder.results());
    assert_eq!(results[0], "kinesis-ops/shard-write-limit");
    // "shard" alone matches the ordering card; "write" does not.
    assert!(
        !results.contains(&"compare/ordering/kinesis"),
        "{results:?}"
    );
    finder.handle_key(&ctrl('w'));
    assert!(ids(finder.results()).contains(&"compare/ordering/kinesis"));
}

#[test]
fn moving_marking_and_drilling() {
    let mut finder = Finder::new(entries());
    type_text(&mut finder, "acks");
    let ranked: Vec<String> = finder.results().map(|e| e.item_id.clone()).collect();
    assert!(ranked.len() >= 3, "{ranked:?}");

    finder.handle_key(&key(KeyCode::Down));
    assert_eq!(finder.selected_index(), 1);
    finder.handle_key(&ctrl('n'));
    assert_eq!(finder.selected_index(), 2);
    finder.handle_key(&key(KeyCode::Up));
    finder.handle_key(&ctrl('p'));
    assert_eq!(finder.selected_index(), 0);
    finder.handle_key(&key(KeyCode::Up));
    assert_eq!(finder.selected_index(), 0, "stops at the top");
    for _ in 0..20 {
        finder.handle_key(&key(KeyCode::Down));
    }
    assert_eq!(
        finder.selected_index(),
        ranked.len() - 1,
        "stops at the bottom"
    );
    finder.handle_key(&key(KeyCode::PageUp));
    assert_eq!(finder.selected_index(), 0);

    // Without marks, Enter drills every match, in ranked order.
    assert_eq!(
        finder.handle_key(&key(KeyCode::Enter)),
        FinderAction::DrillThese(ranked.clone())
    );

    // Tab marks the selected result and moves down; Tab on a marked one unmarks it.
    finder.handle_key(&key(KeyCode::Tab));
    assert_eq!(finder.selected_index(), 1);
    finder.handle_key(&key(KeyCode::Tab));
    assert_eq!(finder.marked_ids().len(), 2);
    finder.handle_key(&key(KeyCode::Up));
    finder.handle_key(&key(KeyCode::Tab));
    assert_eq!(finder.marked_ids(), vec![ranked[0].clone()]);
    finder.handle_key(&key(KeyCode::Tab));
    let mut marked = vec![ranked[0].clone(), ranked[2].clone()];
    let order: Vec<String> = entries().into_iter().map(|e| e.item_id).collect();
    marked.sort_by_key(|id| order.iter().position(|o| o == id));
    assert_eq!(finder.marked_ids(), marked);

    // Marks survive a query that hides them; Enter drills the marked cards only.
    finder.handle_key(&ctrl('u'));
    type_text(&mut finder, "compare/ordering");
    let shown = ids(finder.results());
    assert!(shown.contains(&"compare/ordering/kinesis"), "{shown:?}");
    assert!(
        marked.iter().all(|id| !shown.contains(&id.as_str())),
        "{shown:?}"
    );
    assert_eq!(
        finder.handle_key(&key(KeyCode::Enter)),
        FinderAction::DrillThese(marked)
    );
    assert_eq!(finder.handle_key(&key(KeyCode::Esc)), FinderAction::Close);
}

#[test]
fn editing_the_query() {
    let mut finder = Finder::new(entries());
    type_text(&mut finder, "acks");
    let acks = ids(finder.results())
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    finder.handle_key(&key(KeyCode::Backspace));
    assert_eq!(finder.query(), "ack");
    assert!(finder.match_count() >= acks.len());

    type_text(&mut finder, "s kafka  ");
    assert_eq!(finder.query(), "acks kafka  ");
    finder.handle_key(&ctrl('w'));
    assert_eq!(
        finder.query(),
        "acks ",
        "Ctrl-W deletes the last word and its spaces"
    );
    assert_eq!(ids(finder.results()), acks);
    finder.handle_key(&ctrl('w'));
    assert_eq!(finder.query(), "");
    assert_eq!(finder.match_count(), 8);
    finder.handle_key(&ctrl('w'));
    finder.handle_key(&key(KeyCode::Backspace));
    assert_eq!(finder.query(), "", "nothing to delete is fine");

    type_text(&mut finder, "retention");
    finder.handle_key(&ctrl('u'));
    assert_eq!(finder.query(), "");
    assert_eq!(finder.match_count(), 8);

    // Shifted letters type; other control chords and key releases do not.
    finder.handle_key(&KeyEvent::new(KeyCode::Char('K'), KeyModifiers::SHIFT));
    finder.handle_key(&ctrl('x'));
    finder.handle_key(&KeyEvent::new(KeyCode::Char('z'), KeyModifiers::ALT));
    let mut release = key(KeyCode::Char('q'));
    release.kind = KeyEventKind::Release;
    finder.handle_key(&release);
    assert_eq!(finder.query(), "K");
}

#[test]
fn moving_resets_when_the_query_changes_but_not_for_spaces() {
    let mut finder = Finder::new(entries());
    type_text(&mut finder, "kafka");
    finder.handle_key(&key(KeyCode::Down));
    finder.handle_key(&key(KeyCode::Down));
    type_text(&mut finder, " ");
    assert_eq!(finder.selected_index(), 2, "same words, same results");
    type_text(&mut finder, "p");
    assert_eq!(finder.selected_index(), 0);
}

#[test]
fn narrowing_matches_a_fresh_search() {
    let mut typed = Finder::new(entries());
    let mut fresh = Finder::new(entries());
    for query in ["a", "ac", "ack", "acks", "acks ", "acks a", "acks al"] {
        typed.set_query(query);
        let mut once = Finder::new(entries());
        once.set_query(query);
        assert_eq!(ids(typed.results()), ids(once.results()), "{query:?}");
        fresh = once;
    }
    assert_eq!(fresh.query(), "acks al");
}

#[test]
fn enter_with_nothing_to_drill_does_nothing() {
    let mut finder = Finder::new(entries());
    type_text(&mut finder, "zzzz");
    assert_eq!(finder.match_count(), 0);
    assert!(finder.selected().is_none());
    assert_eq!(finder.handle_key(&key(KeyCode::Enter)), FinderAction::None);
    finder.handle_key(&key(KeyCode::Tab));
    finder.handle_key(&key(KeyCode::Down));
    assert!(finder.marked_ids().is_empty());
}

#[test]
fn an_exact_word_outranks_a_scattered_match() {
    let finder_entries = vec![
        entry(
            "b/scattered",
            "question",
            "Deck",
            "A Client talks to Streams",
            "",
            &[],
        ),
        entry(
            "c/exact",
            "question",
            "Deck",
            "Retries with acks all",
            "",
            &[],
        ),
        entry(
            "a/in-the-middle",
            "question",
            "Deck",
            "Why the backstop cache keeps streams",
            "",
            &[],
        ),
    ];
    let mut finder = Finder::new(finder_entries);
    finder.set_query("acks");
    assert_eq!(ids(finder.results())[0], "c/exact");
    // Letters strewn across a sentence ("A Client talKs to Streams") are not a match at all;
    // "bACKStop" is: the letters sit together.
    assert_eq!(finder.match_count(), 2);
    assert!(!ids(finder.results()).contains(&"b/scattered"));
}

#[test]
fn whole_words_outrank_word_starts_which_outrank_close_letters() {
    let finder_entries = vec![
        entry(
            "a/close",
            "question",
            "Deck",
            "Why a rep lica lags",
            "",
            &[],
        ),
        entry(
            "b/prefix",
            "question",
            "Deck",
            "Replication across AZs",
            "",
            &[],
        ),
        entry(
            "c/whole",
            "question",
            "Deck",
            "What a replica fetches",
            "",
            &[],
        ),
    ];
    let mut finder = Finder::new(finder_entries);
    finder.set_query("replica");
    assert_eq!(
        ids(finder.results()),
        vec!["c/whole", "b/prefix", "a/close"]
    );
    // Each query word is ranked on its own: one whole word and one start beat one whole word.
    finder.set_query("what replica");
    assert_eq!(ids(finder.results())[0], "c/whole");
}

#[test]
fn a_word_match_highlights_the_word_itself() {
    // Skim alone would light "r" of "reads" and "eplica" further on; the word is what counts.
    let finder_entries = vec![entry(
        "a/one",
        "question",
        "Deck",
        "reads from a replica",
        "",
        &[],
    )];
    let mut finder = Finder::new(finder_entries);
    finder.set_query("replica");
    let terminal = draw(&finder, true, 80, 24);
    // The list row (the query line above it says "/ replica" too).
    let (rx, ry) = find(&terminal, "reads from a replica").expect("shown");
    let (x, y) = (rx + "reads from a ".len() as u16, ry);
    let buffer = terminal.backend().buffer();
    for dx in 0..7 {
        assert_ne!(buffer[(x + dx, y)].fg, Color::Reset, "letter {dx} lit");
    }
    assert_eq!(
        buffer[(rx, ry)].fg,
        Color::Reset,
        "the r of reads is not lit"
    );
}

#[test]
fn the_bang_word_keeps_flagged_cards_only() {
    let mut finder_entries = entries();
    finder_entries[1].flagged = true;
    finder_entries[2].flagged = true;
    let flagged = vec![
        finder_entries[1].item_id.clone(),
        finder_entries[2].item_id.clone(),
    ];
    let mut finder = Finder::new(finder_entries);
    type_text(&mut finder, "!");
    assert_eq!(ids(finder.results()), flagged);
    // With a word as well: flagged cards that match it.
    type_text(&mut finder, " replica");
    assert_eq!(ids(finder.results()), vec![flagged[1].as_str()]);
    // Taking the filter away lists unflagged matches again.
    finder.set_query("replica");
    assert!(finder.match_count() > 1);
    // Flagged rows carry a mark in the list.
    finder.set_query("!");
    let screen = draw(&finder, true, 80, 24).backend().to_string();
    assert!(screen.contains(" !failure"), "{screen}");
}

#[test]
fn the_bang_word_with_nothing_flagged_says_how_to_flag() {
    let mut finder = Finder::new(entries());
    finder.set_query("!");
    assert_eq!(finder.match_count(), 0);
    let screen = draw(&finder, true, 80, 24).backend().to_string();
    assert!(screen.contains("No flagged cards yet"), "{screen}");
}

#[test]
fn equal_scores_rank_by_item_id() {
    let same = |id: &str| entry(id, "myth", "Deck", "acks=all is slow", "", &[]);
    let mut finder = Finder::new(vec![same("z/last"), same("a/first"), same("m/middle")]);
    finder.set_query("acks");
    assert_eq!(ids(finder.results()), vec!["a/first", "m/middle", "z/last"]);
}

#[test]
fn multibyte_text_is_safe() {
    let mut finder = Finder::new(vec![
        entry(
            "x/unicode",
            "question",
            "Déjà vu — ünïcödé",
            "Ordering — per clé de partition, 順序 guaranteed? 🚀",
            "Oui: par partition. 順序は保証される。",
            &["ordre"],
        ),
        entry("x/plain", "myth", "Deck", "Plain", "Plain", &[]),
    ]);
    type_text(&mut finder, "clé 順");
    assert_eq!(ids(finder.results()), vec!["x/unicode"]);
    finder.handle_key(&key(KeyCode::Backspace));
    finder.handle_key(&key(KeyCode::Backspace));
    assert_eq!(finder.query(), "clé");
    finder.handle_key(&key(KeyCode::Backspace));
    assert_eq!(finder.query(), "cl");
    for width in [40, 52, 80, 120] {
        draw(&finder, true, width, 14);
    }
}

fn draw(finder: &Finder, colors: bool, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| finder.render(colors, frame, frame.area()))
        .expect("draw");
    terminal
}

fn typed(query: &str) -> Finder {
    let mut finder = Finder::new(entries());
    type_text(&mut finder, query);
    finder
}

#[test]
fn snapshot_80x24() {
    let mut finder = typed("acks");
    finder.handle_key(&key(KeyCode::Tab));
    insta::assert_snapshot!(draw(&finder, true, 80, 24).backend());
}

#[test]
fn snapshot_120x40() {
    let mut finder = typed("acks");
    finder.handle_key(&key(KeyCode::Down));
    finder.handle_key(&key(KeyCode::Tab));
    insta::assert_snapshot!(draw(&finder, true, 120, 40).backend());
}

#[test]
fn snapshot_empty_query_120x40() {
    insta::assert_snapshot!(draw(&Finder::new(entries()), true, 120, 40).backend());
}

#[test]
fn snapshot_no_match_80x24() {
    insta::assert_snapshot!(draw(&typed("zookeeper"), true, 80, 24).backend());
}

#[test]
fn snapshot_too_small_30x8() {
    insta::assert_snapshot!(draw(&typed("acks"), true, 30, 8).backend());
}

/// The row of the buffer whose text contains `needle`, and the column where it starts.
fn find(terminal: &Terminal<TestBackend>, needle: &str) -> Option<(u16, u16)> {
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width;
    for y in 0..buffer.area.height {
        let symbols: Vec<&str> = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
        for x in 0..width as usize {
            let rest: String = symbols[x..].concat();
            if rest.starts_with(needle) {
                return Some((x as u16, y));
            }
        }
    }
    None
}

#[test]
fn matches_are_highlighted_and_the_selection_reversed() {
    let finder = typed("acks");
    for colors in [true, false] {
        let terminal = draw(&finder, colors, 120, 40);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(&terminal, "acks=all guarantee").expect("the first result");
        for dx in 0..4 {
            let cell = &buffer[(x + dx, y)];
            assert!(
                cell.modifier
                    .contains(Modifier::BOLD | Modifier::UNDERLINED),
                "{cell:?}"
            );
            assert_eq!(cell.fg == Color::Yellow, colors);
        }
        assert!(!buffer[(x + 4, y)].modifier.contains(Modifier::UNDERLINED));
        // The selected (first) row is reversed from side to side of the list.
        let (list_left, row) = find(&terminal, "  question").expect("first row");
        assert_eq!(row, y);
        assert!(buffer[(list_left, y)].modifier.contains(Modifier::REVERSED));
        assert!(
            buffer[(list_left + 60, y)]
                .modifier
                .contains(Modifier::REVERSED)
        );
        let second = &buffer[(list_left, y + 1)];
        assert!(!second.modifier.contains(Modifier::REVERSED));
    }
}

#[test]
fn the_cursor_follows_the_query() {
    let finder = typed("acks");
    let mut terminal = draw(&finder, true, 80, 24);
    assert_eq!(
        terminal.get_cursor_position().expect("cursor"),
        Position::new(2 + 4, 0)
    );
    let text = terminal.backend().to_string();
    assert!(text.contains("/ acks"), "{text}");
    assert!(
        text.contains("enter drill these  tab mark  ! flagged only  esc back"),
        "{text}"
    );
}

#[test]
fn no_color_sets_no_colours() {
    let mut finder = typed("acks");
    finder.handle_key(&key(KeyCode::Tab));
    for (width, height) in [(80, 24), (120, 40), (30, 8)] {
        let terminal = draw(&finder, false, width, height);
        for cell in &terminal.backend().buffer().content {
            assert_eq!(
                (cell.fg, cell.bg),
                (Color::Reset, Color::Reset),
                "{width}x{height}: {cell:?}"
            );
        }
        assert_eq!(
            terminal.backend().to_string(),
            draw(&finder, true, width, height).backend().to_string()
        );
    }
}

#[test]
fn the_list_scrolls_to_keep_the_selection_visible() {
    let many: Vec<FinderEntry> = (0..1_000)
        .map(|i| {
            entry(
                &format!("deck/card-{i:04}"),
                "question",
                "Deck",
                &format!("Card number {i}"),
                "answer",
                &[],
            )
        })
        .collect();
    let mut finder = Finder::new(many);
    assert_eq!(finder.results().count(), 500, "the list is capped");
    assert_eq!(finder.match_count(), 1_000, "but every match counts");
    assert_eq!(finder.selected_ids().len(), 1_000);
    let terminal = draw(&finder, true, 80, 24);
    assert!(terminal.backend().to_string().contains("1000/1000"));
    for _ in 0..30 {
        finder.handle_key(&key(KeyCode::Down));
    }
    let terminal = draw(&finder, true, 80, 24);
    let text = terminal.backend().to_string();
    assert!(text.contains("Card number 30"), "{text}");
    assert!(!text.contains("Card number 0 "), "{text}");
    for _ in 0..1_000 {
        finder.handle_key(&key(KeyCode::PageDown));
    }
    assert_eq!(finder.selected_index(), 499);
    let terminal = draw(&finder, true, 80, 24);
    assert!(terminal.backend().to_string().contains("Card number 499"));
    finder.handle_key(&key(KeyCode::Home));
    assert_eq!(finder.selected_index(), 0);
    finder.handle_key(&key(KeyCode::End));
    assert_eq!(
        finder.selected_index(),
        499,
        "end is the last listed result"
    );
}

#[test]
fn never_panics_at_any_size() {
    let mut finders = vec![
        Finder::new(Vec::new()),
        Finder::new(entries()),
        typed("acks"),
    ];
    let mut marked = typed("kinesis");
    marked.handle_key(&key(KeyCode::Tab));
    finders.push(marked);
    let mut long = Finder::new(entries());
    long.set_query(&"kafka ".repeat(20));
    finders.push(long);
    for finder in &finders {
        for width in 0..=45 {
            for height in 0..=15 {
                for colors in [true, false] {
                    draw(finder, colors, width, height);
                }
            }
        }
    }
    let finder = typed("acks");
    let mut terminal = Terminal::new(TestBackend::new(50, 20)).expect("test backend");
    terminal
        .draw(|frame| {
            finder.render(true, frame, Rect::new(10, 5, 200, 60));
            finder.render(true, frame, Rect::new(300, 300, 80, 24));
        })
        .expect("draw");
}
