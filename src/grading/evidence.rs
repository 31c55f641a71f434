//! Evidence: where in an answer a rubric term is said, as a statement the answer makes.
//!
//! A term is compiled into a [`Pattern`]: its normalised words in every spelling the alias
//! table allows. An occurrence is a set of answer words, all in one clause, that spell one
//! variant:
//!
//! - a term with `=`, `_` or a dotted name (`acks=all`, `min.insync.replicas`) is a literal:
//!   its words side by side, in order;
//! - a term with a number (`2 mb sec`, `10 shards`) keeps its order, with up to [`SLACK`] other
//!   words in between ("2 MB per second");
//! - any other term may come in any order within its length plus [`SLACK`] words
//!   ("writes must be idempotent" shows "idempotent writes").
//!
//! An occurrence that a negation cue takes back (see [`super::clauses`]) is not evidence.

use std::ops::Range;

use super::aliases::AliasTable;
use super::clauses::{Negations, Place, places};
use super::normalise::{Word, words};

/// How many other words may sit among a term's words.
pub const SLACK: usize = 3;

/// How the words of a pattern may be laid out in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Side by side, in order.
    Literal,
    /// In order, with up to [`SLACK`] words between.
    Kept,
    /// In any order, within the pattern's length plus [`SLACK`].
    Free,
}

/// A term ready to be found.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The term as the card writes it.
    pub term: String,
    variants: Vec<Vec<String>>,
    order: Order,
}

impl Pattern {
    /// A rubric term: evidence for a point.
    pub fn term(term: &str, aliases: &AliasTable) -> Self {
        Self::new(term, aliases, false)
    }

    /// A wrong claim. A claim is a statement about a subject ("LEO is the committed offset"),
    /// so its words keep their order: in any order they would also be found in the correct
    /// statement that mentions the same words.
    pub fn claim(claim: &str, aliases: &AliasTable) -> Self {
        Self::new(claim, aliases, true)
    }

    fn new(term: &str, aliases: &AliasTable, keep_order: bool) -> Self {
        let folded: Vec<String> = words(term).into_iter().map(|w| w.folded).collect();
        let has_number = folded.iter().any(|w| w.chars().any(|c| c.is_ascii_digit()));
        let order = if is_literal(term) {
            Order::Literal
        } else if keep_order || has_number {
            Order::Kept
        } else {
            Order::Free
        };
        let variants = if folded.is_empty() {
            Vec::new()
        } else {
            aliases.variants(&folded)
        };
        Pattern {
            term: term.to_owned(),
            variants,
            order,
        }
    }

    /// Every occurrence of the pattern, as sorted word indices, earliest first.
    fn occurrences(&self, answer: &Answer) -> Vec<Vec<usize>> {
        let mut found = Vec::new();
        for variant in &self.variants {
            for start in 0..answer.words.len() {
                if let Some(used) = self.occurrence_at(answer, variant, start)
                    && answer.covers_whole_names(&used)
                    && !found.contains(&used)
                {
                    found.push(used);
                }
            }
        }
        found.sort();
        found
    }

    fn occurrence_at(
        &self,
        answer: &Answer,
        variant: &[String],
        start: usize,
    ) -> Option<Vec<usize>> {
        let clause = answer.places.get(start)?.clause;
        let in_clause = |i: usize| answer.places.get(i).is_some_and(|p| p.clause == clause);
        let folded = |i: usize| answer.words.get(i).map(|w| w.folded.as_str());
        match self.order {
            Order::Literal => {
                let used: Vec<usize> = (start..start + variant.len()).collect();
                let spelled = used
                    .iter()
                    .zip(variant)
                    .all(|(&i, v)| in_clause(i) && folded(i) == Some(v.as_str()));
                spelled.then_some(used)
            }
            Order::Kept => {
                if folded(start) != Some(variant.first()?.as_str()) {
                    return None;
                }
                let mut used = vec![start];
                let limit = start + variant.len() + SLACK;
                let mut i = start + 1;
                for v in &variant[1..] {
                    while i < limit && in_clause(i) && folded(i) != Some(v.as_str()) {
                        i += 1;
                    }
                    if i >= limit || !in_clause(i) {
                        return None;
                    }
                    used.push(i);
                    i += 1;
                }
                Some(used)
            }
            Order::Free => {
                let first = folded(start)?;
                let anchor = variant.iter().position(|v| v == first)?;
                let mut used = vec![start];
                let limit = start + variant.len() + SLACK;
                for (k, v) in variant.iter().enumerate() {
                    if k == anchor {
                        continue;
                    }
                    let at = (start + 1..limit)
                        .take_while(|&i| in_clause(i))
                        .find(|&i| !used.contains(&i) && folded(i) == Some(v.as_str()))?;
                    used.push(at);
                }
                used.sort_unstable();
                Some(used)
            }
        }
    }
}

/// `acks=all`, `min.insync.replicas`, `exactly_once_v2`: configuration spelled as one token.
fn is_literal(term: &str) -> bool {
    let chars: Vec<char> = term.chars().collect();
    chars.windows(3).any(|w| {
        let joined = matches!(w[1], '=' | '_' | '.');
        let letter_dot_letter = w[1] != '.' || (w[0].is_alphabetic() && w[2].is_alphabetic());
        joined
            && letter_dot_letter
            && w[0].is_alphanumeric()
            && (w[2].is_alphanumeric() || w[2] == '-')
    })
}

/// An answer read for matching: its words, their places and its negation cues.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    pub text: &'a str,
    pub words: Vec<Word>,
    pub places: Vec<Place>,
    negations: Negations,
    /// For each word, the first word of the dotted configuration name it belongs to
    /// (`min.insync.replicas`): its own index for a word on its own.
    name_start: Vec<usize>,
}

impl<'a> Answer<'a> {
    pub fn read(text: &'a str) -> Self {
        let words = words(text);
        let places = places(text, &words);
        let negations = Negations::find(&words);
        let mut name_start: Vec<usize> = Vec::with_capacity(words.len());
        for (i, word) in words.iter().enumerate() {
            let joined = i > 0 && text.get(words[i - 1].span.end..word.span.start) == Some(".");
            let start = if joined { name_start[i - 1] } else { i };
            name_start.push(start);
        }
        // Only names of three parts or more are configuration names (min.insync.replicas);
        // two parts are usually a qualified column (d.valid_from) and stay separate words.
        for i in 0..name_start.len() {
            let start = name_start[i];
            if name_start.iter().filter(|&&s| s == start).count() < 3 {
                name_start[i] = i;
            }
        }
        Answer {
            text,
            words,
            places,
            negations,
            name_start,
        }
    }

    /// True when `used` takes every word of each dotted name it touches, or none: a term
    /// must not be read out of part of a configuration name ("isr drops" is not in "drop
    /// min.insync.replicas", though "insync replicas" is spelled there).
    fn covers_whole_names(&self, used: &[usize]) -> bool {
        used.iter().all(|&w| {
            let Some(&start) = self.name_start.get(w) else {
                return true;
            };
            self.name_start
                .iter()
                .enumerate()
                .filter(|&(_, &s)| s == start)
                .all(|(i, _)| used.contains(&i))
        })
    }

    /// How many words the answer has.
    pub fn word_count(&self) -> usize {
        self.words.len()
    }

    /// The earliest occurrence of `pattern` that no cue takes back.
    pub fn find_stated(&self, pattern: &Pattern) -> Option<Vec<usize>> {
        self.find_stated_with(pattern, |_| vec![Vec::new()])
    }

    /// The earliest occurrence of `pattern` together with one of the related word sets that
    /// `relate` offers for it, such that no cue takes back either; both, sorted. A cue inside
    /// the related words is theirs ("acks=0: the producer does not wait" states the relation
    /// "does not wait", it does not negate acks=0).
    pub fn find_stated_with(
        &self,
        pattern: &Pattern,
        mut relate: impl FnMut(&[usize]) -> Vec<Vec<usize>>,
    ) -> Option<Vec<usize>> {
        pattern.occurrences(self).into_iter().find_map(|used| {
            relate(&used).into_iter().find_map(|related| {
                let mut all = used.clone();
                all.extend(related);
                all.sort_unstable();
                all.dedup();
                (!self.negations.takes_back(&self.places, &all)).then_some(all)
            })
        })
    }

    /// Every occurrence of `pattern` in clause `clause` that shares no word with `avoid`,
    /// earliest first (negation is the caller's to check, on the whole evidence).
    pub fn occurrences_in_clause(
        &self,
        pattern: &Pattern,
        clause: Option<usize>,
        avoid: &[usize],
    ) -> Vec<Vec<usize>> {
        pattern
            .occurrences(self)
            .into_iter()
            .filter(|used| {
                used.iter().all(|w| !avoid.contains(w))
                    && used.first().and_then(|&i| self.clause_of(i)) == clause
            })
            .collect()
    }

    /// The clause of a word.
    pub fn clause_of(&self, word: usize) -> Option<usize> {
        self.places.get(word).map(|p| p.clause)
    }

    /// The byte ranges of words, in the original text.
    pub fn spans(&self, used: &[usize]) -> Vec<Range<usize>> {
        used.iter()
            .filter_map(|&i| self.words.get(i).map(|w| w.span.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> &'static AliasTable {
        AliasTable::bundled()
    }

    fn stated(answer: &str, term: &str) -> Option<String> {
        let answer = Answer::read(answer);
        let pattern = Pattern::term(term, table());
        let used = answer.find_stated(&pattern)?;
        let spans = answer.spans(&used);
        Some(
            spans
                .iter()
                .map(|s| &answer.text[s.clone()])
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    #[test]
    fn the_issue_examples_match() {
        assert_eq!(
            stated("AWS patches the brokers", "patching").as_deref(),
            Some("patches")
        );
        assert_eq!(
            stated("you get the Kafka APIs and ecosystem", "kafka api").as_deref(),
            Some("Kafka APIs")
        );
        assert_eq!(
            stated("writes must be idempotent", "idempotent writes").as_deref(),
            Some("writes idempotent")
        );
        assert_eq!(
            stated("not in Postgres", "not in postgresql").as_deref(),
            Some("not in Postgres")
        );
        assert_eq!(
            stated("watermarks decide", "watermark").as_deref(),
            Some("watermarks")
        );
        assert_eq!(
            stated("a 1 megabyte record", "1 mb").as_deref(),
            Some("1 megabyte")
        );
        assert_eq!(
            stated("Use 2PC.", "two-phase commit").as_deref(),
            Some("2PC")
        );
        assert_eq!(
            stated("two-phase commit", "2pc").as_deref(),
            Some("two phase commit")
        );
        assert_eq!(
            stated("KDS", "kinesis data streams").as_deref(),
            Some("KDS")
        );
    }

    #[test]
    fn literal_terms_keep_their_words_together() {
        assert!(stated("acks=1 for all topics", "acks=all").is_none());
        assert!(stated("ACKS = all", "acks=all").is_some());
        assert!(stated("acks=-1", "acks=all").is_some());
        assert!(stated("acks=-1", "acks=1").is_none());
        assert!(stated("callbacks all", "acks=all").is_none());
    }

    #[test]
    fn a_term_is_not_read_out_of_part_of_a_dotted_name() {
        assert!(stated("drop min.insync.replicas", "isr drops").is_none());
        assert!(stated("drop min.insync.replicas", "min insync replicas").is_some());
        assert!(stated("replica.lag.time.max.ms", "replica lag time").is_none());
        assert!(stated("replica.lag.time.max.ms", "replica lag time max ms").is_some());
        assert!(stated("the replica lag time", "replica lag time").is_some());
        assert!(stated("o.order_ts >= d.valid_from", "valid from").is_some());
    }

    #[test]
    fn numbered_terms_keep_their_order() {
        assert!(stated("2 MB per second", "2 mb sec").is_some());
        assert!(stated("sec mb 2", "2 mb sec").is_none());
    }

    #[test]
    fn a_term_does_not_span_clauses() {
        assert!(stated("writes. They are idempotent", "idempotent writes").is_none());
    }

    #[test]
    fn negated_occurrences_are_not_evidence() {
        assert!(stated("writes need not be idempotent", "idempotent writes").is_none());
        assert!(stated("never use idempotent writes", "idempotent writes").is_none());
        // A cue in the term is part of what the term says.
        assert!(stated("ordering is not across partitions", "not across").is_some());
        // A later, affirmed occurrence still counts.
        assert!(stated("not acks=all. acks=all.", "acks=all").is_some());
    }

    #[test]
    fn literal_detection() {
        assert!(is_literal("acks=all"));
        assert!(is_literal("acks=-1"));
        assert!(is_literal("min.insync.replicas"));
        assert!(is_literal("exactly_once_v2"));
        assert!(!is_literal("kafka 3.0"));
        assert!(!is_literal("two phase commit"));
    }
}
