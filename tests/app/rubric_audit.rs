//! The rubric audit: every answer in `tests/fixtures/answers/*.toml` (a strong and a wrong
//! answer per question card and per comparison cell with points, written for this test, not
//! copied from the cards) is scored by the matcher, and the figures must meet the goals of
//! issue 15, over all answers and over the comparison cells alone:
//!
//! - strong answers name at least 90% of rubric points;
//! - wrong answers name at most 20%;
//! - the suggested grade is right on at least 95% of answers: good or easy for a strong
//!   answer; for a wrong one, again or no suggestion (never a passing grade).
//!
//! `cargo test --test app rubric_audit -- --nocapture` prints the figures and every miss.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use streamdrill::deck::model::RubricPoint;
use streamdrill::deck::{CardBody, Library};
use streamdrill::grading::rubric::{Evidence, PointResult, assess};
use streamdrill::grading::{Assessment, Circumstances, normalise};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerFile {
    deck: String,
    answers: Vec<CardAnswers>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardAnswers {
    card: String,
    /// For a compare card: the cell's system id.
    #[serde(default)]
    system: Option<String>,
    strong: String,
    wrong: String,
}

/// What the audit found.
#[derive(Default, Clone)]
struct Figures {
    cards: usize,
    strong_points: usize,
    strong_named: usize,
    wrong_points: usize,
    wrong_named: usize,
    suggestions_right: usize,
    wrong_without_suggestion: usize,
    answers: usize,
    misses: Vec<String>,
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn suggestion(points: &[PointResult], answer: &str) -> Option<u8> {
    Assessment::Rubric {
        points: points.to_vec(),
        answer_words: normalise::words(answer).len(),
    }
    .suggested_rating(Circumstances::default())
}

fn describe(points: &[PointResult]) -> String {
    points
        .iter()
        .map(|p| match &p.evidence {
            Evidence::Named { quote, .. } => format!("    [x] {} ({quote:?})", p.point),
            Evidence::Contradicted { quote, .. } => format!("    [!] {} ({quote:?})", p.point),
            Evidence::Missed => format!("    [ ] {}", p.point),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The audit over all answers, and over the comparison cells' answers alone.
struct Audit {
    all: Figures,
    compare: Figures,
    covered: BTreeSet<String>,
}

/// The rubric an answer entry is scored against, and the audited item's id.
fn rubric_of(library: &Library, deck_id: &str, entry: &CardAnswers) -> (String, Vec<RubricPoint>) {
    let deck = library
        .deck(deck_id)
        .unwrap_or_else(|| panic!("no bundled deck {deck_id}"));
    let card = deck
        .cards
        .iter()
        .find(|c| c.id == entry.card)
        .unwrap_or_else(|| panic!("{deck_id}: no card {}", entry.card));
    match (&card.body, &entry.system) {
        (CardBody::Question(q), None) => (format!("{deck_id}/{}", entry.card), q.rubric.clone()),
        (CardBody::Compare(_), Some(system)) => {
            let id = format!("{deck_id}/{}/{system}", entry.card);
            let item = streamdrill::deck::item::items_of(deck)
                .into_iter()
                .find(|i| i.id == id)
                .unwrap_or_else(|| panic!("no cell {id}"));
            assert!(!item.cell_points().is_empty(), "{id} has no points");
            (id, item.cell_points().to_vec())
        }
        (CardBody::Compare(_), None) => {
            panic!("{deck_id}/{}: name the cell's `system`", entry.card)
        }
        _ => panic!(
            "{deck_id}/{} is not a question or a compare cell",
            entry.card
        ),
    }
}

fn score(figures: &mut Figures, id: &str, rubric: &[RubricPoint], entry: &CardAnswers) {
    figures.cards += 1;
    figures.answers += 2;

    let strong = assess(&entry.strong, rubric);
    figures.strong_points += strong.len();
    figures.strong_named += strong.iter().filter(|p| p.hit()).count();
    let strong_suggestion = suggestion(&strong, &entry.strong);
    let strong_right = matches!(strong_suggestion, Some(3 | 4));
    if strong_right {
        figures.suggestions_right += 1;
    }
    if !strong.iter().all(PointResult::hit) || !strong_right {
        figures.misses.push(format!(
            "{id} strong, suggested {strong_suggestion:?}:\n{}",
            describe(&strong)
        ));
    }

    let wrong = assess(&entry.wrong, rubric);
    figures.wrong_points += wrong.len();
    figures.wrong_named += wrong.iter().filter(|p| p.hit()).count();
    let wrong_suggestion = suggestion(&wrong, &entry.wrong);
    let wrong_right = matches!(wrong_suggestion, None | Some(1));
    if wrong_right {
        figures.suggestions_right += 1;
    }
    if wrong_suggestion.is_none() {
        figures.wrong_without_suggestion += 1;
    }
    if wrong.iter().any(PointResult::hit) || !wrong_right {
        figures.misses.push(format!(
            "{id} wrong, suggested {wrong_suggestion:?}:\n{}",
            describe(&wrong)
        ));
    }
}

fn audit() -> Audit {
    let library = Library::bundled();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/answers");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/answers exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut all = Figures::default();
    let mut compare = Figures::default();
    let mut covered = BTreeSet::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable fixture");
        let file: AnswerFile =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for entry in &file.answers {
            let (id, rubric) = rubric_of(&library, &file.deck, entry);
            assert!(covered.insert(id.clone()), "{id} is audited twice");
            score(&mut all, &id, &rubric, entry);
            if entry.system.is_some() {
                score(&mut compare, &id, &rubric, entry);
            }
        }
    }
    Audit {
        all,
        compare,
        covered,
    }
}

fn report(what: &str, figures: &Figures) -> (f64, f64, f64) {
    let strong = percent(figures.strong_named, figures.strong_points);
    let wrong = percent(figures.wrong_named, figures.wrong_points);
    let right = percent(figures.suggestions_right, figures.answers);
    println!(
        "{what} on {} cards ({} answers): strong answers named {}/{} points ({strong:.1}%), \
         wrong answers named {}/{} points ({wrong:.1}%), suggestion right on {}/{} answers \
         ({right:.1}%; {} wrong answers got no suggestion)",
        figures.cards,
        figures.answers,
        figures.strong_named,
        figures.strong_points,
        figures.wrong_named,
        figures.wrong_points,
        figures.suggestions_right,
        figures.answers,
        figures.wrong_without_suggestion,
    );
    (strong, wrong, right)
}

#[test]
fn the_matcher_tells_strong_answers_from_wrong_ones_on_every_audited_card() {
    let Audit {
        all,
        compare,
        covered,
    } = audit();
    println!("{}", all.misses.join("\n"));
    let (strong, wrong, right) = report("RUBRIC AUDIT", &all);
    assert!(all.cards >= 30, "only {} cards audited", all.cards);
    assert!(
        strong >= 90.0,
        "strong answers named {strong:.1}% of points"
    );
    assert!(wrong <= 20.0, "wrong answers named {wrong:.1}% of points");
    assert!(right >= 95.0, "suggestion right on {right:.1}%");
    assert!(!covered.is_empty());

    // The comparison cells on their own, so that many question cards cannot hide weak cells.
    let (strong, wrong, right) = report("COMPARE CELLS", &compare);
    assert!(
        strong >= 90.0,
        "compare cells: strong answers named {strong:.1}% of points"
    );
    assert!(
        wrong <= 20.0,
        "compare cells: wrong answers named {wrong:.1}% of points"
    );
    assert!(
        right >= 95.0,
        "compare cells: suggestion right on {right:.1}%"
    );
}

/// Every bundled comparison cell with points has audit answers.
#[test]
fn every_compare_cell_with_points_is_audited() {
    let covered = audit().covered;
    let mut missing = Vec::new();
    for loaded in Library::bundled().decks {
        for item in streamdrill::deck::item::items_of(&loaded.deck) {
            if !item.cell_points().is_empty() && !covered.contains(&item.id) {
                missing.push(item.id);
            }
        }
    }
    assert!(missing.is_empty(), "no audit answers for {missing:?}");
}
