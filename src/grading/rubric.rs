//! Rubric scoring: for each point of a question card's rubric, the evidence the answer gives
//! for it, or the wrong claim it makes instead.
//!
//! A point is named when one of its `terms` is stated (see [`super::evidence`]) and, when the
//! point lists `with` words, one of them is stated in the same clause too: the relation the
//! point is about (`min.insync.replicas` with `2`; `LEO` with what it is). A point is
//! contradicted when the answer states one of its `wrong` claims; a contradiction outweighs
//! any evidence for the point.

use std::ops::Range;

use crate::deck::model::RubricPoint;

use super::aliases::AliasTable;
use super::evidence::{Answer, Pattern};

/// Longest quote of the answer shown back to the learner.
const QUOTE_CHARS_MAX: usize = 80;

/// How an answer fared against one rubric point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointResult {
    pub point: String,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// The answer states the point.
    Named {
        /// The rubric term that was found.
        term: String,
        /// What the answer says there, quoted from the answer.
        quote: String,
        /// The words the scorer used, as byte ranges of the answer.
        spans: Vec<Range<usize>>,
    },
    /// The answer states a wrong claim of the point.
    Contradicted {
        quote: String,
        /// Why the claim is wrong, from the card.
        why: String,
        spans: Vec<Range<usize>>,
    },
    /// Nothing in the answer shows the point.
    Missed,
}

impl PointResult {
    pub fn hit(&self) -> bool {
        matches!(self.evidence, Evidence::Named { .. })
    }

    pub fn contradicted(&self) -> bool {
        matches!(self.evidence, Evidence::Contradicted { .. })
    }

    /// The answer's words this point's verdict rests on.
    pub fn spans(&self) -> &[Range<usize>] {
        match &self.evidence {
            Evidence::Named { spans, .. } | Evidence::Contradicted { spans, .. } => spans,
            Evidence::Missed => &[],
        }
    }
}

/// Scores `answer` against every point of `rubric`, with the bundled alias table.
pub fn assess(answer: &str, rubric: &[RubricPoint]) -> Vec<PointResult> {
    assess_with(answer, rubric, AliasTable::bundled())
}

pub fn assess_with(answer: &str, rubric: &[RubricPoint], aliases: &AliasTable) -> Vec<PointResult> {
    let answer = Answer::read(answer);
    rubric
        .iter()
        .map(|point| PointResult {
            point: point.point.clone(),
            evidence: point_evidence(&answer, point, aliases),
        })
        .collect()
}

fn point_evidence(answer: &Answer<'_>, point: &RubricPoint, aliases: &AliasTable) -> Evidence {
    for claim in &point.wrong {
        for says in &claim.says {
            if let Some(used) = answer.find_stated(&Pattern::claim(says, aliases)) {
                let spans = answer.spans(&used);
                return Evidence::Contradicted {
                    quote: quote(answer.text, &spans),
                    why: claim.why.clone(),
                    spans,
                };
            }
        }
    }
    let relations: Vec<Pattern> = point
        .with
        .iter()
        .map(|w| Pattern::term(w, aliases))
        .collect();
    for term in &point.terms {
        let pattern = Pattern::term(term, aliases);
        let found = if relations.is_empty() {
            answer.find_stated(&pattern)
        } else {
            // Any relation stated in the term's clause, by other words than the term's.
            answer.find_stated_with(&pattern, |used| {
                let clause = used.first().and_then(|&i| answer.clause_of(i));
                relations
                    .iter()
                    .flat_map(|r| answer.occurrences_in_clause(r, clause, used))
                    .collect()
            })
        };
        if let Some(used) = found {
            let spans = answer.spans(&used);
            return Evidence::Named {
                term: term.clone(),
                quote: quote(answer.text, &spans),
                spans,
            };
        }
    }
    Evidence::Missed
}

/// The answer from the first to the last word used, shortened to [`QUOTE_CHARS_MAX`].
fn quote(text: &str, spans: &[Range<usize>]) -> String {
    let (Some(start), Some(end)) = (
        spans.iter().map(|s| s.start).min(),
        spans.iter().map(|s| s.end).max(),
    ) else {
        return String::new();
    };
    let said = text.get(start..end).unwrap_or("");
    let said: String = said.split_whitespace().collect::<Vec<_>>().join(" ");
    if said.chars().count() <= QUOTE_CHARS_MAX {
        return said;
    }
    let mut short: String = said.chars().take(QUOTE_CHARS_MAX - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::model::WrongClaim;
    use proptest::prelude::*;

    fn point(name: &str, terms: &[&str]) -> RubricPoint {
        RubricPoint {
            point: name.into(),
            terms: terms.iter().map(|&t| t.to_owned()).collect(),
            with: Vec::new(),
            wrong: Vec::new(),
        }
    }

    fn hits(answer: &str, rubric: &[RubricPoint]) -> Vec<bool> {
        assess(answer, rubric)
            .iter()
            .map(PointResult::hit)
            .collect()
    }

    fn min_isr() -> RubricPoint {
        RubricPoint {
            with: vec!["2".into(), "majority".into()],
            wrong: vec![WrongClaim {
                says: vec![
                    "lower min insync replicas".into(),
                    "min insync replicas 1".into(),
                ],
                why: "min.insync.replicas=1 lets acks=all succeed with the leader alone".into(),
            }],
            ..point(
                "acks=all with min.insync.replicas=2",
                &["min.insync.replicas", "min isr"],
            )
        }
    }

    #[test]
    fn a_relation_must_be_stated_in_the_same_clause() {
        let rubric = [min_isr()];
        assert_eq!(hits("Set min.insync.replicas to 2.", &rubric), [true]);
        assert_eq!(hits("Set min ISR = two", &rubric), [true]);
        assert_eq!(
            hits("Check min.insync.replicas. Use 2 brokers.", &rubric),
            [false]
        );
    }

    #[test]
    fn a_wrong_claim_contradicts_the_point_and_says_why() {
        let results = assess(
            "Lower min.insync.replicas to 1 so producers keep going.",
            &[min_isr()],
        );
        let Evidence::Contradicted { quote, why, spans } = &results[0].evidence else {
            panic!("{results:?}");
        };
        assert_eq!(quote, "Lower min.insync.replicas");
        assert!(why.contains("leader alone"));
        assert_eq!(spans.len(), 4);
        // Stating the claim negated is not stating it.
        let results = assess(
            "Keep min.insync.replicas at 2 and never lower it.",
            &[min_isr()],
        );
        assert!(results[0].hit(), "{results:?}");
    }

    #[test]
    fn evidence_spans_are_exactly_the_words_used() {
        let answer = "Producers block: the ISR shrinks and writes fail";
        let results = assess(answer, &[point("ISR shrinkage", &["isr shrinks"])]);
        let words: Vec<&str> = results[0]
            .spans()
            .iter()
            .map(|s| &answer[s.clone()])
            .collect();
        assert_eq!(words, ["ISR", "shrinks"]);
        let Evidence::Named { quote, .. } = &results[0].evidence else {
            panic!("{results:?}");
        };
        assert_eq!(quote, "ISR shrinks");
    }

    #[test]
    fn negation_takes_the_point_back() {
        let rubric = [point("blocks", &["acks all block", "producers block"])];
        assert_eq!(hits("with acks=all producers block", &rubric), [true]);
        assert_eq!(hits("acks=all never blocks", &rubric), [false]);
    }

    #[test]
    fn quotes_are_short_and_on_one_line() {
        let long = "word ".repeat(40);
        assert!(
            quote(&long, &[0..4, long.len() - 5..long.len() - 1])
                .chars()
                .count()
                <= 80
        );
        assert_eq!(quote("a\n  b", &[0..1, 4..5]), "a b");
        assert_eq!(quote("abc", &[]), "");
    }

    const NEGATIONS: [&str; 5] = ["not", "never", "no", "without", "instead of"];

    proptest! {
        /// Adding a negation cue anywhere into an answer never raises the number of points it
        /// names (the rubric has no wrong claims: taking back a wrong claim rightly can).
        #[test]
        fn adding_a_negation_never_raises_the_score(
            words in proptest::collection::vec(
                prop_oneof!["acks", "all", "idempotent", "writes", "isr", "shrinks", "2",
                            "min.insync.replicas", "the", "and", ",", ".", "set"],
                1..16,
            ),
            at in 0usize..16,
            cue in 0usize..NEGATIONS.len(),
        ) {
            let rubric = [
                point("durable acks", &["acks=all"]),
                point("idempotent writes", &["idempotent writes"]),
                point("ISR", &["isr shrinks"]),
                RubricPoint { wrong: Vec::new(), ..min_isr() },
            ];
            let answer = words.join(" ");
            let mut negated_words = words.clone();
            negated_words.insert(at.min(words.len()), NEGATIONS[cue].to_owned());
            let negated = negated_words.join(" ");
            let before = assess(&answer, &rubric).iter().filter(|p| p.hit()).count();
            let after = assess(&negated, &rubric).iter().filter(|p| p.hit()).count();
            prop_assert!(after <= before, "{answer:?} {before} -> {negated:?} {after}");
        }
    }
}
