//! Bundled content and the deck schema stay in step with the code.

use std::path::Path;

use streamdrill::bundled::BUNDLED_DECKS;
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
