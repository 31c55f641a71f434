//! The rubric audit: every answer in `tests/fixtures/answers/*.toml` (a strong and a wrong
//! answer per question card, written for this test, not copied from the cards) is scored by
//! the matcher, and the figures must meet the goals of issue 15:
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
    strong: String,
    wrong: String,
}

/// What the audit found.
#[derive(Default)]
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

fn audit() -> (Figures, BTreeSet<String>) {
    let library = Library::bundled();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/answers");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/answers exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut figures = Figures::default();
    let mut covered = BTreeSet::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable fixture");
        let file: AnswerFile =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let deck = library
            .deck(&file.deck)
            .unwrap_or_else(|| panic!("{}: no bundled deck {}", path.display(), file.deck));
        for entry in &file.answers {
            let card = deck
                .cards
                .iter()
                .find(|c| c.id == entry.card)
                .unwrap_or_else(|| panic!("{}: no card {}", file.deck, entry.card));
            let CardBody::Question(q) = &card.body else {
                panic!("{}/{} is not a question", file.deck, entry.card);
            };
            let id = format!("{}/{}", file.deck, entry.card);
            assert!(covered.insert(id.clone()), "{id} is audited twice");
            figures.cards += 1;
            figures.answers += 2;

            let strong = assess(&entry.strong, &q.rubric);
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

            let wrong = assess(&entry.wrong, &q.rubric);
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
    }
    (figures, covered)
}

#[test]
fn the_matcher_tells_strong_answers_from_wrong_ones_on_every_audited_card() {
    let (figures, covered) = audit();
    let strong = percent(figures.strong_named, figures.strong_points);
    let wrong = percent(figures.wrong_named, figures.wrong_points);
    let right = percent(figures.suggestions_right, figures.answers);
    println!("{}", figures.misses.join("\n"));
    println!(
        "RUBRIC AUDIT on {} cards ({} answers): strong answers named {}/{} points ({strong:.1}%), \
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
    assert!(figures.cards >= 30, "only {} cards audited", figures.cards);
    assert!(
        strong >= 90.0,
        "strong answers named {strong:.1}% of points"
    );
    assert!(wrong <= 20.0, "wrong answers named {wrong:.1}% of points");
    assert!(right >= 95.0, "suggestion right on {right:.1}%");
    assert!(!covered.is_empty());
}
