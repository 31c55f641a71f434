//! Normalisation: the words of a text, folded so that the ways people write one word compare
//! equal, each with its byte range in the original text (so a highlight can show exactly the
//! words the scorer used).
//!
//! - Case and punctuation do not matter: `acks=all`, `ACKS all` and `acks-all` are the same
//!   two words, and a hyphen splits like a space (`two-phase` is `two phase`).
//! - Words are stemmed (Snowball English), so plurals and verb forms meet: `patches` and
//!   `patching` are both `patch`, `watermarks` is `watermark`.
//! - Numbers keep their decimal point (`3.0`), lose their thousands separators (`10,000` is
//!   `10000`), and keep a leading minus (`acks=-1` is not `acks=1`). A unit glued to a number
//!   is its own word (`2MB` is `2 mb`).
//! - An apostrophe joins (`don't` is `dont`) and a possessive `'s` is dropped (`today's` is
//!   `today`).

use std::ops::Range;

use rust_stemmers::{Algorithm, Stemmer};

/// One word of a text, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The folded form that matching compares.
    pub folded: String,
    /// The word lowercased but not stemmed: negation cues and clause words are read from it.
    pub plain: String,
    /// Where the word is in the original text, in bytes.
    pub span: Range<usize>,
}

/// Units that may be glued to a number (`2MB`, `15min`); split off so `2MB` reads `2 mb`.
const GLUED_UNITS: [&str; 14] = [
    "kb", "kib", "mb", "mib", "gb", "gib", "tb", "ms", "s", "sec", "min", "h", "k", "x",
];

/// The words of `text`, in order.
pub fn words(text: &str) -> Vec<Word> {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut out = Vec::new();
    for raw in raw_words(text) {
        for (piece, span) in split_glued_unit(&raw.text, raw.span) {
            let folded = if piece.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
                piece.clone()
            } else {
                stem_fully(&stemmer, &piece)
            };
            out.push(Word {
                folded,
                plain: piece,
                span,
            });
        }
    }
    out
}

/// Stems until the stem is stable: one Snowball pass can leave a word that a second pass
/// shortens again, and folding must give the same words when run on its own output.
fn stem_fully(stemmer: &Stemmer, word: &str) -> String {
    let mut current = word.to_owned();
    for _ in 0..4 {
        let next = stemmer.stem(&current).into_owned();
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// The folded words of `text` joined by single spaces: what matching sees.
pub fn normalise(text: &str) -> String {
    let folded: Vec<String> = words(text).into_iter().map(|w| w.folded).collect();
    folded.join(" ")
}

/// Lowercase and punctuation folding only, no stemming: for reading verdicts and choices,
/// where "true" and "trues" should not meet.
pub fn fold(text: &str) -> String {
    let plain: Vec<String> = raw_words(text).into_iter().map(|w| w.text).collect();
    plain.join(" ")
}

struct RawWord {
    text: String,
    span: Range<usize>,
}

/// Splits into lowercase runs of letters and digits, keeping number punctuation and
/// apostrophes inside words.
fn raw_words(text: &str) -> Vec<RawWord> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let char_at = |i: usize| chars.get(i).map(|(_, c)| *c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let negative_number = c == '-'
            && char_at(i + 1).is_some_and(|n| n.is_ascii_digit())
            && (i == 0 || char_at(i - 1).is_some_and(|p| !p.is_alphanumeric()));
        if !c.is_alphanumeric() && !negative_number {
            i += 1;
            continue;
        }
        let mut word = String::new();
        if negative_number {
            word.push('-');
            i += 1;
        }
        while i < chars.len() {
            let (_, c) = chars[i];
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
                i += 1;
                continue;
            }
            let next = char_at(i + 1);
            let previous_digit = word.ends_with(|p: char| p.is_ascii_digit());
            let digit_follows = next.is_some_and(|n| n.is_ascii_digit());
            if c == '.' && previous_digit && digit_follows {
                word.push('.');
                i += 1;
            } else if c == ',' && previous_digit && thousands_group_follows(&chars, i + 1) {
                i += 1;
            } else if is_apostrophe(c) && next.is_some_and(char::is_alphabetic) {
                i += 1;
                let possessive = char_at(i).is_some_and(|s| s == 's' || s == 'S')
                    && !char_at(i + 1).is_some_and(char::is_alphanumeric);
                if possessive {
                    i += 1;
                }
            } else {
                break;
            }
        }
        let end = chars.get(i).map_or(text.len(), |(b, _)| *b);
        out.push(RawWord {
            text: word,
            span: start..end,
        });
    }
    out
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// True when exactly three digits start at `from` and no further digit follows them.
fn thousands_group_follows(chars: &[(usize, char)], from: usize) -> bool {
    let digit = |i: usize| chars.get(i).is_some_and(|(_, c)| c.is_ascii_digit());
    digit(from) && digit(from + 1) && digit(from + 2) && !digit(from + 3)
}

/// `2mb` is a number and a unit; `m7g` or `3k` stay whole unless the tail is a known unit.
fn split_glued_unit(word: &str, span: Range<usize>) -> Vec<(String, Range<usize>)> {
    let digits_end = word
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && *c == '-')))
        .map_or(word.len(), |(i, _)| i);
    let (number, unit) = word.split_at(digits_end);
    let has_digit = number.chars().any(|c| c.is_ascii_digit());
    // `k` and `x` are kept on the number (36k, 2x are how the cards write them).
    let split = has_digit && unit != "k" && unit != "x" && GLUED_UNITS.contains(&unit);
    // The span of a word is as long as the word in the text only when no apostrophe or
    // separator was removed; a split then gives the number the whole span and the unit an
    // empty one at its end (spans stay in order, and the highlight shows the whole word).
    if !split {
        return vec![(word.to_owned(), span)];
    }
    if span.len() == word.len() {
        let middle = span.start + number.len();
        vec![
            (number.to_owned(), span.start..middle),
            (unit.to_owned(), middle..span.end),
        ]
    } else {
        vec![
            (number.to_owned(), span.clone()),
            (unit.to_owned(), span.end..span.end),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn folded(text: &str) -> Vec<String> {
        words(text).into_iter().map(|w| w.folded).collect()
    }

    #[test]
    fn case_punctuation_and_hyphens_fold() {
        assert_eq!(normalise("Set ACKS = all"), normalise("set acks-all"));
        assert_eq!(normalise("two-phase commit"), normalise("two phase commit"));
        assert_eq!(normalise("min.insync.replicas"), "min insync replica");
    }

    #[test]
    fn plurals_and_verb_forms_meet() {
        assert_eq!(normalise("AWS patches"), normalise("aws patching"));
        assert_eq!(normalise("watermarks"), normalise("watermark"));
        assert_eq!(normalise("Kafka APIs"), normalise("kafka api"));
        assert_eq!(
            normalise("idempotent writes"),
            normalise("idempotent write")
        );
    }

    #[test]
    fn numbers_keep_their_sign_and_decimals_and_lose_separators() {
        assert_eq!(folded("acks=-1"), ["ack", "-1"]);
        assert_eq!(folded("acks=1"), ["ack", "1"]);
        assert_eq!(folded("x-1"), ["x", "1"]);
        assert_eq!(folded("Kafka 3.0."), ["kafka", "3.0"]);
        assert_eq!(folded("10,000 shards"), ["10000", "shard"]);
        assert_eq!(folded("12,15"), ["12", "15"]);
        assert_eq!(folded("2MB/s"), ["2", "mb", "s"]);
        assert_eq!(folded("36k m7g"), ["36k", "m7g"]);
    }

    #[test]
    fn apostrophes_join_and_possessives_drop() {
        assert_eq!(folded("don't"), ["dont"]);
        assert_eq!(folded("today's tier"), ["today", "tier"]);
        assert_eq!(folded("won\u{2019}t"), ["wont"]);
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let text = "Use ACKS=all, then 2MB.";
        for w in words(text) {
            let original = &text[w.span.clone()];
            assert_eq!(original.to_lowercase().replace('\'', ""), w.plain, "{w:?}");
        }
        let spans: Vec<&str> = words(text).iter().map(|w| &text[w.span.clone()]).collect();
        assert_eq!(spans, ["Use", "ACKS", "all", "then", "2", "MB"]);
    }

    /// `0'h` folds to `0h`, which splits as a number and a unit: the spans stay in order
    /// though the apostrophe makes the text longer than the word.
    #[test]
    fn a_glued_unit_after_a_dropped_apostrophe_keeps_spans_in_order() {
        let w = words("0'H[");
        assert_eq!(
            w.iter().map(|w| w.plain.as_str()).collect::<Vec<_>>(),
            ["0", "h"]
        );
        assert_eq!((w[0].span.clone(), w[1].span.clone()), (0..3, 3..3));
    }

    #[test]
    fn fold_does_not_stem() {
        assert_eq!(fold("Myth, because"), "myth because");
        assert_eq!(fold("Kinesis Data Streams"), "kinesis data streams");
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(text in "[a-zA-Z0-9 ,.='\\-]{0,60}") {
            let once = normalise(&text);
            prop_assert_eq!(normalise(&once), once.clone());
        }

        #[test]
        fn spans_are_char_boundaries_in_order(text in "\\PC{0,60}") {
            let mut end = 0;
            for w in words(&text) {
                prop_assert!(w.span.start >= end);
                prop_assert!(text.is_char_boundary(w.span.start));
                prop_assert!(text.is_char_boundary(w.span.end));
                end = w.span.end;
            }
        }
    }
}
