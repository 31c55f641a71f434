//! Bundled content and the deck schema stay in step with the code.

use std::path::Path;

use streamdrill::deck::bundled::BUNDLED_DECKS;
use streamdrill::deck::schema::{SCHEMA_PATH, deck_schema_json};
use streamdrill::deck::{Library, parse_deck};

const SCHEMA_DIRECTIVE: &str = "#:schema ../../schema/deck.schema.json";

#[test]
fn the_committed_schema_is_generated_from_the_current_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == deck_schema_json(),
        "{SCHEMA_PATH} is stale: run `cargo run -- schema > {SCHEMA_PATH}` and commit it"
    );
}

#[test]
fn the_committed_alias_table_schema_is_current() {
    use streamdrill::grading::aliases::{ALIASES_SCHEMA_PATH, aliases_schema_json};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(ALIASES_SCHEMA_PATH);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == aliases_schema_json(),
        "{ALIASES_SCHEMA_PATH} is stale: run `cargo run -- schema --aliases > {ALIASES_SCHEMA_PATH}`"
    );
}

#[test]
fn the_committed_price_sheet_schema_is_current() {
    use streamdrill::deck::schema::{PRICES_SCHEMA_PATH, prices_schema_json};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(PRICES_SCHEMA_PATH);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == prices_schema_json(),
        "{PRICES_SCHEMA_PATH} is stale: run `cargo run -- schema --prices > {PRICES_SCHEMA_PATH}`"
    );
}

#[test]
fn every_bundled_deck_checks_clean() {
    assert!(!BUNDLED_DECKS.is_empty());
    let mut problems = Vec::new();
    for (path, source) in BUNDLED_DECKS {
        if let Err(found) = parse_deck(path, source) {
            problems.extend(found.iter().map(ToString::to_string));
        }
        if source.lines().next() != Some(SCHEMA_DIRECTIVE) {
            problems.push(format!("{path}:1:1: must begin with `{SCHEMA_DIRECTIVE}`"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(Library::bundled().problems.is_empty());
}

#[test]
fn every_bundled_card_names_its_source() {
    for loaded in Library::bundled().decks {
        for card in &loaded.deck.cards {
            assert!(
                !card.source.trim().is_empty(),
                "{}/{} has no source",
                loaded.deck.meta.id,
                card.id
            );
        }
    }
}

#[test]
fn the_curriculum_is_complete_enough() {
    let library = Library::bundled();
    let cards: usize = library.decks.iter().map(|d| d.deck.cards.len()).sum();
    assert!(cards >= 180, "{cards} cards");
    let mut kinds = std::collections::BTreeMap::new();
    for loaded in &library.decks {
        for (kind, n) in Library::kind_counts(&loaded.deck) {
            *kinds.entry(kind).or_insert(0) += n;
        }
    }
    for kind in [
        "question", "myth", "failure", "compare", "choice", "numeric",
    ] {
        assert!(kinds.contains_key(kind), "no {kind} card: {kinds:?}");
    }
}

/// A model answer is a correct answer, so it must name every point of its own rubric.
#[test]
fn every_model_answer_satisfies_its_own_rubric() {
    let mut misses = Vec::new();
    for loaded in Library::bundled().decks {
        for card in &loaded.deck.cards {
            if let streamdrill::deck::CardBody::Question(q) = &card.body {
                for point in streamdrill::grading::rubric::assess(&q.answer, &q.rubric) {
                    if !point.hit() {
                        misses.push(format!(
                            "{}/{}: {}",
                            loaded.deck.meta.id, card.id, point.point
                        ));
                    }
                }
            }
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

/// Calc cards draw new numbers each time; every draw must give a finite answer and a working
/// with every placeholder filled.
#[test]
fn calc_cards_render_for_many_draws() {
    for loaded in Library::bundled().decks {
        for item in streamdrill::deck::item::items_of(&loaded.deck) {
            if item.kind() != "calc" {
                continue;
            }
            for seed in 0..64 {
                let drawn = item.clone().draw(seed).expect("finite answer");
                let text = format!("{}\n{}", drawn.prompt(), drawn.model_answer());
                assert!(
                    !text.contains('{') && !text.contains('}'),
                    "{}: {text}",
                    item.id
                );
            }
        }
    }
}

/// `content/README.md` maps guide sections to cards; every bundled card must appear in it.
#[test]
fn the_content_readme_maps_every_card() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("content/README.md"))
            .expect("content/README.md exists");
    let mut missing = Vec::new();
    for loaded in Library::bundled().decks {
        for card in &loaded.deck.cards {
            if !readme.contains(&format!("`{}`", card.id)) {
                missing.push(format!("{}/{}", loaded.deck.meta.id, card.id));
            }
        }
    }
    assert!(missing.is_empty(), "not in content/README.md: {missing:?}");
}

/// Every bundled comparison cell asks its own question and is assessed by rubric points.
#[test]
fn every_bundled_compare_cell_asks_a_question_and_has_points() {
    let mut missing = Vec::new();
    for loaded in Library::bundled().decks {
        for item in streamdrill::deck::item::items_of(&loaded.deck) {
            let streamdrill::deck::CardBody::Compare(c) = &item.card.body else {
                continue;
            };
            if c.ask.is_none() {
                missing.push(format!("{}: no `ask`", item.id));
            }
            if item.cell_points().is_empty() {
                missing.push(format!("{}: no points", item.id));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
