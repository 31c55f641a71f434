//! Clauses and negation: where one statement in an answer ends, and which words a "not",
//! "never" or "without" takes back.
//!
//! A clause ends at sentence punctuation (`.` `!` `?` `;`, a line break) and before a word
//! of contrast ("but", "whereas", ...). Within a clause, commas, colons, dashes, brackets and
//! joining words ("and", "so", ...) mark off segments (a colon keeps "LEO: the next offset" one
//! statement), and a negation cue reaches only to the end of its segment: in "acks=all, not
//! acks=1" the "not" takes back acks=1 and leaves acks=all.
//!
//! Most cues take back their whole segment ("acks=all is never needed", "acks=all never
//! blocks"). "no", "without", "avoid", "instead of" and "rather than" take back only what
//! follows them, because what comes before is usually the point ("acks=all means no loss").

use super::normalise::Word;

/// Where a word sits in the answer's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub clause: usize,
    pub segment: usize,
}

/// Words that start a new clause: what follows stands on its own.
const CONTRAST_WORDS: [&str; 7] = [
    "but", "whereas", "however", "although", "though", "unlike", "yet",
];

/// Words that start a new segment: a negation before them does not reach past them ("keep it
/// at 2 and never lower it").
const JOINING_WORDS: [&str; 6] = ["and", "so", "because", "then", "which", "while"];

/// Cues that take back their whole segment.
const SEGMENT_CUES: [&str; 22] = [
    "not", "never", "cannot", "cant", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt",
    "werent", "wont", "wouldnt", "shouldnt", "neednt", "couldnt", "hasnt", "havent", "nothing",
    "none", "neither", "nor",
];

/// Cues that take back only the words after them.
const FORWARD_CUES: [&str; 3] = ["no", "without", "avoid"];

/// Two-word cues that take back the words after them.
const FORWARD_PAIRS: [(&str, &str); 2] = [("instead", "of"), ("rather", "than")];

/// The place of each word of `text` (`words` are its words, in order).
pub fn places(text: &str, words: &[Word]) -> Vec<Place> {
    let mut out = Vec::with_capacity(words.len());
    let mut place = Place {
        clause: 0,
        segment: 0,
    };
    let mut previous_end = 0;
    for (i, word) in words.iter().enumerate() {
        let gap = text.get(previous_end..word.span.start).unwrap_or("");
        if i > 0 {
            if ends_clause(gap) || CONTRAST_WORDS.contains(&word.plain.as_str()) {
                place.clause += 1;
                place.segment += 1;
            } else if gap.contains([',', ':', '(', ')', '[', ']', '\u{2014}', '\u{2013}'])
                || gap.contains(" - ")
                || JOINING_WORDS.contains(&word.plain.as_str())
            {
                place.segment += 1;
            }
        }
        out.push(place);
        previous_end = word.span.end;
    }
    out
}

/// Sentence punctuation between two words. A dot only ends a sentence before a space or a
/// line, so `min.insync.replicas` and `3.0` stay whole.
fn ends_clause(gap: &str) -> bool {
    let mut chars = gap.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '!' | '?' | ';' | '\n' => return true,
            '.' if chars.peek().is_some_and(|n| n.is_whitespace()) => return true,
            _ => {}
        }
    }
    false
}

/// The negation cues of the answer: for each, the index of its first word, its last word and
/// whether it takes back the whole segment.
#[derive(Debug, Clone)]
pub struct Negations {
    cues: Vec<Cue>,
}

#[derive(Debug, Clone, Copy)]
struct Cue {
    first: usize,
    last: usize,
    whole_segment: bool,
}

impl Negations {
    pub fn find(words: &[Word]) -> Self {
        let mut cues = Vec::new();
        for (i, word) in words.iter().enumerate() {
            let plain = word.plain.as_str();
            let next = words.get(i + 1).map(|w| w.plain.as_str());
            if SEGMENT_CUES.contains(&plain) {
                // "not only X but also Y" and "not just" affirm X.
                if plain == "not" && matches!(next, Some("only" | "just")) {
                    continue;
                }
                cues.push(Cue {
                    first: i,
                    last: i,
                    whole_segment: true,
                });
            } else if FORWARD_CUES.contains(&plain) {
                cues.push(Cue {
                    first: i,
                    last: i,
                    whole_segment: false,
                });
            } else if FORWARD_PAIRS
                .iter()
                .any(|(a, b)| plain == *a && next == Some(*b))
            {
                cues.push(Cue {
                    first: i,
                    last: i + 1,
                    whole_segment: false,
                });
            }
        }
        Negations { cues }
    }

    /// True when a cue that is not itself one of `used` takes back any word of `used` (the
    /// word indices of one piece of evidence). A cue inside the evidence is part of what the
    /// term says ("not across partitions"), not a negation of it.
    pub fn takes_back(&self, places: &[Place], used: &[usize]) -> bool {
        self.cues.iter().any(|cue| {
            let own = (cue.first..=cue.last).any(|i| used.contains(&i));
            !own && used.iter().any(|&w| {
                let same_segment =
                    places.get(w).map(|p| p.segment) == places.get(cue.first).map(|p| p.segment);
                same_segment && (cue.whole_segment || w > cue.last)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::normalise::words;
    use super::*;

    fn clause_of(text: &str) -> Vec<(String, usize, usize)> {
        let ws = words(text);
        places(text, &ws)
            .into_iter()
            .zip(ws)
            .map(|(p, w)| (w.plain, p.clause, p.segment))
            .collect()
    }

    fn negated_words(text: &str) -> Vec<String> {
        let ws = words(text);
        let ps = places(text, &ws);
        let negations = Negations::find(&ws);
        ws.iter()
            .enumerate()
            .filter(|(i, _)| negations.takes_back(&ps, &[*i]))
            .map(|(_, w)| w.plain.clone())
            .collect()
    }

    #[test]
    fn sentences_and_contrast_words_end_clauses_but_dotted_names_do_not() {
        let places = clause_of("Set min.insync.replicas=2. Kafka 3.0 but not Kinesis");
        let clauses: Vec<usize> = places.iter().map(|p| p.1).collect();
        assert_eq!(clauses, [0, 0, 0, 0, 0, 1, 1, 2, 2, 2]);
    }

    #[test]
    fn commas_end_segments_within_a_clause() {
        let places = clause_of("acks=all, not acks=1");
        assert_eq!(places[0].1, places[3].1);
        assert_ne!(places[0].2, places[3].2);
    }

    #[test]
    fn a_cue_takes_back_its_segment_only() {
        assert_eq!(negated_words("acks=all, not acks=1"), ["acks", "1"]);
        assert_eq!(
            negated_words("acks=all never blocks"),
            ["acks", "all", "blocks"]
        );
        assert_eq!(
            negated_words("Kinesis does not have transactions. Kafka does."),
            ["kinesis", "does", "have", "transactions"]
        );
    }

    #[test]
    fn forward_cues_take_back_what_follows() {
        assert_eq!(negated_words("acks=all means no loss"), ["loss"]);
        assert_eq!(
            negated_words("use acks=all instead of acks=1"),
            ["acks", "1"]
        );
        assert_eq!(
            negated_words("exactly once without idempotence"),
            ["idempotence"]
        );
    }

    #[test]
    fn joining_words_end_a_negation() {
        assert_eq!(
            negated_words("keep it at 2 and never lower it"),
            ["and", "lower", "it"]
        );
    }

    #[test]
    fn not_only_affirms() {
        assert!(negated_words("not only retries but acks").is_empty());
    }
}
