//! Deck loading: good files load, and every kind of error is reported with its line and column.

use std::fs;
use std::path::Path;

use streamdrill::deck::{CardBody, Library, parse_deck};

fn fixture(path: &str) -> (String, String) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    let source = fs::read_to_string(&full).expect("fixture exists");
    (path.to_owned(), source)
}

/// Each invalid fixture with the one problem it must produce: (line, column, message part).
const INVALID: &[(&str, usize, usize, &str)] = &[
    ("syntax-error.toml", 3, 25, "invalid basic string"),
    (
        "duplicate-card-id.toml",
        14,
        6,
        "duplicate card id `same` (first used on line 6)",
    ),
    ("missing-field.toml", 5, 1, "missing field `reality`"),
    ("unknown-field.toml", 12, 1, "unknown field `colour`"),
    ("empty-rubric.toml", 11, 10, "empty rubric"),
    ("bad-tolerance.toml", 12, 13, "bad tolerance -1"),
    ("unknown-kind.toml", 7, 8, "unknown kind `essay`"),
    (
        "choice-answer-not-an-option.toml",
        11,
        10,
        "answer `C` is not one of the options",
    ),
    (
        "compare-missing-system.toml",
        11,
        1,
        "missing value for system `kinesis`",
    ),
    ("bad-id.toml", 2, 6, "deck id `Bad Deck` must be kebab-case"),
    ("wrong-type.toml", 10, 11, "expected a boolean"),
];

#[test]
fn each_error_kind_is_reported_at_its_line_and_column() {
    for (file, line, column, message) in INVALID {
        let (label, source) = fixture(&format!("invalid/{file}"));
        let problems = parse_deck(&label, &source).expect_err(file);
        assert_eq!(problems.len(), 1, "{file}: {problems:?}");
        let problem = &problems[0];
        assert_eq!(
            (problem.line, problem.column),
            (*line, *column),
            "{file}: {problem}"
        );
        assert!(problem.message.contains(message), "{file}: {problem}");
        assert!(
            problem
                .to_string()
                .starts_with(&format!("invalid/{file}:{line}:{column}: ")),
            "{problem}"
        );
    }
}

#[test]
fn every_problem_in_a_file_is_reported_in_one_run() {
    let (label, source) = fixture("invalid/many-errors.toml");
    let problems = parse_deck(&label, &source).expect_err("three broken cards");
    let located: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(
        located,
        vec![
            (5, "missing field `is_true`"),
            (
                18,
                "empty rubric: a question needs at least one rubric point"
            ),
            (23, "`source` must not be empty"),
        ]
    );
}

fn starter_library() -> Library {
    let (label, source) = fixture("valid/starter.toml");
    let mut library = Library::default();
    library.add(
        streamdrill::deck::Origin::File(label.clone()),
        &label,
        &source,
    );
    library
}

#[test]
fn a_deck_with_one_card_of_each_kind_loads() {
    let library = starter_library();
    assert!(library.problems.is_empty(), "{:?}", library.problems);
    let deck = library.deck("starter").expect("starter deck loads");
    let mut kinds: Vec<&str> = deck.cards.iter().map(|c| c.body.kind()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "choice", "compare", "failure", "myth", "numeric", "question"
        ]
    );
}

#[test]
fn compare_rows_expand_into_one_item_per_cell() {
    let library = starter_library();
    let items = library.items(Some("starter"));
    let cells: Vec<&str> = items
        .iter()
        .filter(|i| i.kind() == "compare")
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(
        cells,
        [
            "starter/cmp-retention/kafka",
            "starter/cmp-retention/kinesis",
            "starter/cmp-retention/msk"
        ]
    );
    let kinesis = items
        .iter()
        .find(|i| i.id.ends_with("/kinesis"))
        .expect("cell");
    assert!(kinesis.prompt().contains("AWS Kinesis Data Streams"));
    assert!(kinesis.model_answer().starts_with("1 to 365 days"));
}

#[test]
fn escape_sequences_in_deck_text_are_stripped_on_load() {
    let (label, source) = fixture("valid/escapes.toml");
    let deck = parse_deck(&label, &source).expect("valid deck");
    assert_eq!(deck.meta.title, "Hostile red deck");
    let CardBody::Question(q) = &deck.cards[0].body else {
        panic!("question card expected");
    };
    assert_eq!(q.prompt, "Clear screen? Still here.");
    assert!(!q.answer.contains('\u{1b}'));
}

#[test]
fn a_broken_user_deck_is_skipped_and_reported_not_fatal() {
    let mut library = Library::bundled();
    let before = library.decks.len();
    let (label, source) = fixture("invalid/unknown-kind.toml");
    library.add(
        streamdrill::deck::Origin::File(label.clone()),
        &label,
        &source,
    );
    assert_eq!(library.decks.len(), before);
    assert_eq!(library.problems.len(), 1);

    // A second deck with an id already taken is skipped too.
    let (_, taken) = streamdrill::deck::bundled::BUNDLED_DECKS[0];
    library.add(
        streamdrill::deck::Origin::File("copy.toml".into()),
        "copy.toml",
        taken,
    );
    assert_eq!(library.decks.len(), before);
    assert!(library.problems[1].message.contains("already used"));
}

#[test]
fn every_problem_of_compare_asks_and_points_is_reported_in_one_run_at_its_place() {
    let (label, source) = fixture("invalid/compare-ask-and-points.toml");
    let problems = parse_deck(&label, &source).expect_err("five broken cards");
    let located: Vec<(usize, usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str()))
        .collect();
    assert_eq!(
        located,
        vec![
            (
                11,
                7,
                "`ask` must contain `{system}`, where the cell's system name goes"
            ),
            (
                21,
                7,
                "`{dimension}` in `ask` is not a placeholder: only `{system}` is filled in \
                 (write `{{` and `}}` for literal braces)"
            ),
            (
                38,
                16,
                "points for `msk`, which has no value in this card; values: kafka, kinesis"
            ),
            (
                51,
                1,
                "no points for `kinesis`: list at least one rubric point, or leave `kinesis` out"
            ),
            (
                64,
                1,
                "rubric point `24 hours by default` has no terms: list the words that show it"
            ),
        ],
        "{problems:#?}"
    );
    for problem in &problems {
        assert!(
            problem
                .to_string()
                .starts_with(&format!("{label}:{}:{}: ", problem.line, problem.column)),
            "{problem}"
        );
    }
}

fn compare_fixture_items() -> Vec<streamdrill::deck::DrillItem> {
    let (label, source) = fixture("valid/compare-evidence.toml");
    let deck = parse_deck(&label, &source).expect("valid deck");
    streamdrill::deck::item::items_of(&deck)
}

#[test]
fn a_compare_cell_asks_its_own_question_under_the_dimension() {
    let items = compare_fixture_items();
    let prompts: Vec<String> = items
        .iter()
        .map(streamdrill::deck::DrillItem::prompt)
        .collect();
    assert_eq!(
        prompts,
        [
            "Retention\nHow long can AWS Kinesis Data Streams keep records, and what decides how long they stay?",
            "Retention\nHow long can Self-hosted Kafka keep records, and what decides how long they stay?",
            "Retention\nHow long can AWS MSK keep records, and what decides how long they stay?",
        ]
    );
    // Without `ask`, the cell asks what it always asked.
    let (label, source) = fixture("valid/starter.toml");
    let deck = parse_deck(&label, &source).expect("valid deck");
    let kinesis = streamdrill::deck::item::items_of(&deck)
        .into_iter()
        .find(|i| i.id == "starter/cmp-retention/kinesis")
        .expect("cell");
    assert_eq!(
        kinesis.prompt(),
        "Retention: what is it for AWS Kinesis Data Streams?"
    );
}

#[test]
fn a_compare_reveal_shows_the_asked_cell_then_the_rest_of_the_row() {
    let items = compare_fixture_items();
    let kinesis = &items[0];
    let (answer, rest) = kinesis.model_answer_parts();
    assert_eq!(answer, "24 hours by default, up to 365 days");
    assert_eq!(
        rest.as_deref(),
        Some(
            "Retention on the other systems:\n  \
             Self-hosted Kafka: Configurable; days to forever (you pay for disk)\n  \
             AWS MSK: Configurable; days to forever"
        )
    );
    assert_eq!(
        kinesis.model_answer(),
        format!("{answer}\n\n{}", rest.unwrap_or_default())
    );
}

#[test]
fn a_compare_cell_with_points_is_assessed_by_its_rubric_and_one_without_is_self_checked() {
    use streamdrill::grading::{Assessment, Circumstances};
    let items = compare_fixture_items();
    let (kinesis, kafka) = (&items[0], &items[1]);

    let strong = kinesis.assess(
        "Kinesis keeps records for 24 hours by default, and you can raise that to 365 days.",
    );
    let Assessment::Rubric { points, .. } = &strong else {
        panic!("a cell with points is assessed by them: {strong:?}");
    };
    assert!(
        points
            .iter()
            .all(streamdrill::grading::rubric::PointResult::hit),
        "{points:?}"
    );
    assert_eq!(strong.suggested_rating(Circumstances::default()), Some(3));

    let reversed = kinesis.assess("Kinesis keeps records forever, like Kafka with enough disk.");
    let Assessment::Rubric { points, .. } = &reversed else {
        panic!("{reversed:?}");
    };
    assert!(points[1].contradicted(), "{points:?}");
    assert_eq!(reversed.suggested_rating(Circumstances::default()), Some(1));

    let negated = kinesis.assess("It is not 24 hours by default and it is never 365 days.");
    assert!(
        negated.points().iter().all(|p| !p.hit()),
        "{:?}",
        negated.points()
    );

    assert_eq!(
        kafka.assess("Days to forever, you pay for the disk."),
        Assessment::SelfCheck
    );
}

/// Pieces of compare cards with asks and points, good and bad, for the fuzz test below.
const COMPARE_FRAGMENTS: &[&str] = &[
    "[deck]\nid = \"d\"\ntitle = \"T\"\nsystems = [{ id = \"a\", name = \"A\" }]\n",
    "[[cards]]\nid = \"c\"\nkind = \"compare\"\nsource = \"s\"\ndimension = \"D\"\n",
    "ask = \"On {system}?\"\n",
    "ask = \"{other} {system\"\n",
    "ask = \"}{{\"\n",
    "ask = 3\n",
    "[cards.values]\na = \"v\"\n",
    "[cards.points]\na = []\n",
    "[cards.points]\nb = 1\n",
    "points = \"x\"\n",
    "[[cards.points.a]]\npoint = \"p\"\nterms = [\"t\"]\n",
    "[[cards.points.z]]\npoint = \"\"\nterms = [\"\"]\n",
    "[[cards.points.a.wrong]]\nsays = []\nwhy = \"\"\n",
    "with = [\"w\"]\n",
    "\u{1b}[2J",
];

proptest::proptest! {
    /// Whatever mix of asks and points a deck has, checking it never panics, every problem
    /// points inside the file, and a deck that loads renders every cell's prompt.
    #[test]
    fn hostile_compare_cards_never_panic(
        picks in proptest::collection::vec(0..COMPARE_FRAGMENTS.len(), 0..24),
    ) {
        let source: String = picks.iter().map(|i| COMPARE_FRAGMENTS[*i]).collect();
        match parse_deck("fuzz.toml", &source) {
            Err(problems) => {
                let lines = source.lines().count().max(1) + 1;
                for p in problems {
                    proptest::prop_assert!(p.line >= 1 && p.line <= lines, "{p}");
                    proptest::prop_assert!(p.column >= 1, "{p}");
                }
            }
            Ok(deck) => {
                for item in streamdrill::deck::item::items_of(&deck) {
                    let prompt = item.prompt();
                    proptest::prop_assert!(!prompt.contains("{system}"), "{prompt}");
                    let _ = item.assess("an answer of several words about the cell");
                }
            }
        }
    }
}
