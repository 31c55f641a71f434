//! Fuzzing what strangers hand the app: mutated bundled decks and labs, calc formulas, config
//! files, progress files to import and lab scripts. Whatever comes in, nothing panics, every
//! problem is located inside the file it names, no message carries a control character (an
//! escape sequence would reach the terminal), and a refused import changes nothing.
//!
//! `PROPTEST_CASES=20000 cargo test --test app fuzz` runs them long.

use std::io::Cursor;
use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use streamdrill::deck::Diagnostic;
use streamdrill::deck::parse::parse_deck;
use streamdrill::srs::scheduler::{Rating, Scheduler};
use streamdrill::store::{Review, Store};

/// Text that breaks parsers and terminals.
const HOSTILE: &[&str] = &[
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}[2J",
    "\u{0}",
    "\r",
    "\n",
    "\"",
    "'''",
    "\"\"\"",
    "[[cards]]\n",
    "[deck]\n",
    "= ",
    "{",
    "}}",
    "[",
    "]",
    "#",
    "\\u{1b}",
    "\\",
    "kind = \"calc\"\n",
    "id = \"dup\"\n",
    "1e999",
    "-0",
    "\u{202e}",
    "é",
    "🦀",
];

/// One edit of a text: at a position (a fraction of its length), delete some characters,
/// insert hostile text, repeat a stretch, or cut the rest.
#[derive(Debug, Clone)]
enum Edit {
    Delete(f64, usize),
    Insert(f64, usize),
    Repeat(f64, usize),
    Truncate(f64),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (0.0..1.0, 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        (0.0..1.0, 0..HOSTILE.len()).prop_map(|(at, i)| Edit::Insert(at, i)),
        (0.0..1.0, 1usize..200).prop_map(|(at, n)| Edit::Repeat(at, n)),
        (0.0..1.0).prop_map(Edit::Truncate),
    ];
    proptest::collection::vec(edit, 1..6)
}

fn apply(source: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = source.chars().collect();
    for edit in edits {
        let at = |f: f64| ((chars.len() as f64 * f) as usize).min(chars.len());
        match *edit {
            Edit::Delete(f, n) => {
                let start = at(f);
                let end = (start + n).min(chars.len());
                chars.drain(start..end);
            }
            Edit::Insert(f, i) => {
                let start = at(f);
                chars.splice(start..start, HOSTILE[i].chars());
            }
            Edit::Repeat(f, n) => {
                let start = at(f);
                let end = (start + n).min(chars.len());
                let stretch: Vec<char> = chars[start..end].to_vec();
                chars.splice(end..end, stretch);
            }
            Edit::Truncate(f) => chars.truncate(at(f)),
        }
    }
    chars.into_iter().collect()
}

/// Every problem inside the file, and printable as one clean line.
fn well_reported(source: &str, problems: &[Diagnostic]) -> Result<(), TestCaseError> {
    prop_assert!(!problems.is_empty(), "a refusal names its problems");
    let lines = source.lines().count().max(1) + 1;
    for p in problems {
        prop_assert!(
            p.line >= 1 && p.line <= lines,
            "{p} (file of {lines} lines)"
        );
        prop_assert!(p.column >= 1, "{p}");
        printable(&p.to_string())?;
    }
    Ok(())
}

fn printable(text: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        !text.chars().any(char::is_control),
        "a control character reaches the terminal: {text:?}"
    );
    Ok(())
}

fn bundled(dir: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("bundled content")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("readable"))
        .collect()
}

fn decks() -> &'static [String] {
    static DECKS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    DECKS.get_or_init(|| bundled("content/decks"))
}

fn labs() -> &'static [String] {
    static LABS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LABS.get_or_init(|| bundled("content/labs"))
}

/// Pieces of a calc formula, good and bad.
const FORMULA: &[&str] = &[
    "a",
    "b",
    "c",
    "+",
    "-",
    "*",
    "/",
    "^",
    "(",
    ")",
    "max(",
    "min(",
    ",",
    "ceil(",
    "floor(",
    "sqrt(",
    "ln(",
    "log10(",
    "abs(",
    "round(",
    "0",
    "1",
    "1e308",
    "-1",
    "99999999999999999999",
    "0.5",
    " ",
    "%",
    "a b",
    "nan",
    "inf",
];

fn calc_deck(formula: &str) -> String {
    format!(
        "[deck]\nid = \"fuzz\"\ntitle = \"Fuzz\"\n\n[[cards]]\nid = \"calc\"\nkind = \"calc\"\n\
         source = \"s\"\nprompt = \"{{a}} and {{b}}?\"\nanswer = \"{}\"\nunit = \"u\"\n\
         working = \"{{a}} {{b}} {{answer}}\"\n\
         [[cards.vars]]\nname = \"a\"\nmin = 0\nmax = 10\nstep = 1\n\
         [[cards.vars]]\nname = \"b\"\nmin = -5\nmax = 5\nstep = 0.5\n",
        formula.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

const CONFIG: &str = "session_cards = 20\ndesired_retention = 0.9\nreview_overrun_seconds = 60\n\
    [time_limits]\ndefault = 90\nquestion = 180\n";

/// A store with a little history, and its export.
fn small_store(scheduler: &Scheduler) -> (Store, Vec<u8>) {
    let mut store = Store::open_in_memory().expect("store");
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
        .single()
        .expect("date");
    let mut states = std::collections::HashMap::new();
    for (i, (item, rating)) in [
        ("d/a", Rating::Good),
        ("d/b", Rating::Again),
        ("d/a", Rating::Hard),
        ("e/c", Rating::Easy),
    ]
    .iter()
    .enumerate()
    {
        let at = t0 + Duration::days(i as i64 * 3);
        let state = scheduler
            .review(states.get(*item), *rating, at)
            .expect("state");
        states.insert(*item, state);
        let review = Review {
            item_id: (*item).to_owned(),
            deck_id: item.split('/').next().unwrap_or("d").to_owned(),
            reviewed_at: at,
            rating: *rating,
            duration_ms: 4_000,
            answer: "an \u{1b}[31manswer".to_owned(),
        };
        store.record_review(&review, &state).expect("saved");
    }
    store.set_flagged("d/b", true).expect("flag");
    let mut file = Vec::new();
    store.export(&mut file, t0).expect("export");
    (store, file)
}

fn exported(store: &Store) -> Vec<u8> {
    let mut file = Vec::new();
    let at = Utc
        .with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
        .single()
        .expect("date");
    store.export(&mut file, at).expect("export");
    file
}

proptest! {
    #[test]
    fn mutated_bundled_decks_are_refused_cleanly_or_load(
        deck in 0usize..64,
        edits in edits(),
    ) {
        let source = apply(&decks()[deck % decks().len()], &edits);
        match parse_deck("fuzz.toml", &source) {
            Err(problems) => well_reported(&source, &problems)?,
            Ok(deck) => {
                for item in streamdrill::deck::item::items_of(&deck) {
                    let _ = item.prompt();
                    let _ = item.model_answer();
                    let _ = item.assess("acks=all with min.insync.replicas=2 \u{1b}[2J");
                }
            }
        }
    }

    #[test]
    fn calc_formulas_evaluate_or_are_refused_never_panic(
        pieces in proptest::collection::vec(0..FORMULA.len(), 0..16),
        seeds in proptest::collection::vec(any::<u64>(), 1..4),
    ) {
        let formula: String = pieces.iter().map(|i| FORMULA[*i]).collect();
        let source = calc_deck(&formula);
        match parse_deck("calc.toml", &source) {
            Err(problems) => well_reported(&source, &problems)?,
            Ok(deck) => {
                for item in streamdrill::deck::item::items_of(&deck) {
                    for seed in &seeds {
                        if let Ok(drawn) = item.clone().draw(*seed) {
                            let _ = drawn.prompt();
                            let _ = drawn.model_answer();
                            let _ = drawn.assess("12.5 u");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn mutated_config_files_are_refused_cleanly_or_load(edits in edits()) {
        let source = apply(CONFIG, &edits);
        if let Err(problems) = streamdrill::shell::config::Config::parse("config.toml", &source) {
            well_reported(&source, &problems)?;
        }
    }

    #[test]
    fn mutated_labs_are_refused_cleanly_or_load(lab in 0usize..64, edits in edits()) {
        let source = apply(&labs()[lab % labs().len()], &edits);
        if let Err(problems) = streamdrill::labs::parse_lab("fuzz.toml", &source) {
            well_reported(&source, &problems)?;
        }
    }

    #[test]
    fn lab_scripts_parse_or_say_why(edits in edits()) {
        let script = apply("at 30s: gen stop orders\nat 2m: producer configure p --config acks=all\n\
            kafka-topics --describe\n", &edits);
        if let Err(message) = streamdrill::labs::parse_script(&script) {
            // Located by line, or naming the limit it passed.
            prop_assert!(
                message.starts_with("line ") || message.contains("more than"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_mutated_progress_file_is_imported_whole_or_changes_nothing(edits in edits()) {
        let scheduler = Scheduler::new(0.9).expect("retention");
        let (_, file) = small_store(&scheduler);
        let text = String::from_utf8(file).expect("utf-8 export");
        let mutated = apply(&text, &edits);
        let (mut target, _) = small_store(&scheduler);
        let before = exported(&target);
        match target.import(Cursor::new(mutated.as_bytes()), &scheduler) {
            Ok(_) => prop_assert!(target.integrity_ok().expect("check")),
            Err(e) => {
                prop_assert!(!e.to_string().is_empty());
                prop_assert_eq!(exported(&target), before, "a refused import changed the store");
            }
        }
    }
}
