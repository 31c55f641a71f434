//! Grading: how a typed answer compares with its card before the learner grades themselves.
//! Pure: an item and an answer in, an [`Assessment`] out.
//!
//! - [`normalise`]: the words of an answer, folded (case, punctuation, stems, numbers).
//! - [`aliases`]: the shared table of phrases that mean the same (`content/aliases.toml`).
//! - [`clauses`]: where a statement ends and which words a negation takes back.
//! - [`evidence`]: where a term is stated in an answer.
//! - [`rubric`]: per rubric point, the evidence for it or the wrong claim made instead.
//! - [`answer`]: reading myth verdicts and choice picks out of what was typed.
//! - [`quantity`]: numbers as people type them, and whether their unit is the card's.
//! - [`Assessment::suggested_rating`]: the grade the evidence supports, if any.

pub mod aliases;
pub mod answer;
pub mod clauses;
pub mod evidence;
pub mod normalise;
pub mod quantity;
pub mod rubric;

use crate::deck::{CardBody, DrillItem, calc};
use rubric::PointResult;

/// An answer with fewer words than this is too thin to suggest a grade from its rubric: a
/// bare list of names ("LEO HW LSO") or a note.
pub const THIN_ANSWER_WORDS: usize = 6;

/// Share of rubric points an answer must name, with no wrong claim, for "good".
const GOOD_COVERAGE: f64 = 0.75;
/// Share of rubric points for "hard"; below it, "again".
const HARD_COVERAGE: f64 = 0.5;

/// How a typed answer compares with the card, before the user grades themselves.
#[derive(Debug, Clone, PartialEq)]
pub enum Assessment {
    /// Question cards and comparison cells with points: the evidence for each rubric point, and
    /// how many words the answer had.
    Rubric {
        points: Vec<PointResult>,
        answer_words: usize,
    },
    /// Cards with one right answer (myth verdict, choice, number), when the answer could be read.
    Verdict { correct: bool },
    /// A number typed in a unit the card does not use: not checked, and the learner is told.
    WrongUnit {
        /// The unit as typed.
        said: String,
        /// The card's unit.
        expected: String,
    },
    /// Free-text cards without a rubric, or an answer that could not be read: the user judges.
    SelfCheck,
}

/// How the answer was given, as far as it bears on a suggested grade.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Circumstances {
    /// The card's clock ran out: at most "hard".
    pub over_time: bool,
    /// Think mode: the answer was not typed, so there is no evidence to grade.
    pub think: bool,
    /// Interview mode: the answer was spoken; typed notes are not the answer.
    pub interview: bool,
}

impl Assessment {
    /// A grade to suggest (1-4), where the evidence supports one: from rubric coverage and
    /// wrong claims, capped at "hard" when over time. None when the evidence is thin: think
    /// mode, interview mode, or a rubric answer of fewer than [`THIN_ANSWER_WORDS`] words.
    pub fn suggested_rating(&self, circumstances: Circumstances) -> Option<u8> {
        if circumstances.think {
            return None;
        }
        let rating = match self {
            Assessment::Verdict { correct: true } => 3,
            Assessment::Verdict { correct: false } => 1,
            Assessment::Rubric {
                points,
                answer_words,
            } => {
                if circumstances.interview || *answer_words < THIN_ANSWER_WORDS || points.is_empty()
                {
                    return None;
                }
                rubric_rating(points)
            }
            Assessment::SelfCheck | Assessment::WrongUnit { .. } => return None,
        };
        Some(if circumstances.over_time {
            rating.min(2)
        } else {
            rating
        })
    }

    /// The rubric points, for question cards and comparison cells with points.
    pub fn points(&self) -> &[PointResult] {
        match self {
            Assessment::Rubric { points, .. } => points,
            _ => &[],
        }
    }
}

/// A wrong claim is "again" whatever else the answer names; otherwise coverage decides.
fn rubric_rating(points: &[PointResult]) -> u8 {
    if points.iter().any(PointResult::contradicted) {
        return 1;
    }
    let named = points.iter().filter(|p| p.hit()).count() as f64;
    let coverage = named / points.len() as f64;
    if coverage >= GOOD_COVERAGE {
        3
    } else if coverage >= HARD_COVERAGE {
        2
    } else {
        1
    }
}

impl DrillItem {
    /// Checks `answer` against the card: rubric points for questions and for comparison cells
    /// that have them, right or wrong for cards with one answer, nothing to check for the rest.
    pub fn assess(&self, text: &str) -> Assessment {
        match &self.card.body {
            CardBody::Question(q) => Assessment::Rubric {
                points: rubric::assess(text, &q.rubric),
                answer_words: normalise::words(text).len(),
            },
            CardBody::Myth(m) => match answer::parse_verdict(text) {
                Some(said_true) => Assessment::Verdict {
                    correct: said_true == m.is_true,
                },
                None => Assessment::SelfCheck,
            },
            CardBody::Choice(c) => {
                let shown = self.shown_options();
                match answer::parse_choice(text, &shown) {
                    Some(picked) => Assessment::Verdict {
                        correct: shown.get(picked).is_some_and(|o| *o == c.answer),
                    },
                    None => Assessment::SelfCheck,
                }
            }
            CardBody::Numeric(n) => match quantity::read(text) {
                Some(q) if !quantity::fits(&q, &n.unit) => wrong_unit(&q, &n.unit),
                Some(q) => Assessment::Verdict {
                    correct: n.accepts(q.value),
                },
                None => Assessment::SelfCheck,
            },
            CardBody::Calc(c) => match (quantity::read(text), &self.calc) {
                (Some(q), _) if !quantity::fits(&q, &c.unit) => wrong_unit(&q, &c.unit),
                (Some(q), Some(instance)) => Assessment::Verdict {
                    correct: calc::accepts(c, instance.answer, q.value),
                },
                _ => Assessment::SelfCheck,
            },
            CardBody::Compare(_) => match self.cell_points() {
                [] => Assessment::SelfCheck,
                points => Assessment::Rubric {
                    points: rubric::assess(text, points),
                    answer_words: normalise::words(text).len(),
                },
            },
            CardBody::Failure(_) => Assessment::SelfCheck,
        }
    }
}

fn wrong_unit(said: &quantity::Quantity, expected: &str) -> Assessment {
    Assessment::WrongUnit {
        said: said.unit_text.clone(),
        expected: expected.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::rubric::Evidence;
    use super::*;

    fn result(evidence: Evidence) -> PointResult {
        PointResult {
            point: "p".into(),
            evidence,
        }
    }

    fn named() -> PointResult {
        result(Evidence::Named {
            term: "t".into(),
            quote: "t".into(),
            spans: std::iter::once(0..1).collect(),
        })
    }

    fn contradicted() -> PointResult {
        result(Evidence::Contradicted {
            quote: "q".into(),
            why: "w".into(),
            spans: std::iter::once(0..1).collect(),
        })
    }

    fn rubric(points: Vec<PointResult>, answer_words: usize) -> Assessment {
        Assessment::Rubric {
            points,
            answer_words,
        }
    }

    const TYPED: Circumstances = Circumstances {
        over_time: false,
        think: false,
        interview: false,
    };

    #[test]
    fn coverage_decides_and_a_wrong_claim_is_again() {
        let missed = || result(Evidence::Missed);
        let full = rubric(vec![named(), named(), named(), missed()], 30);
        assert_eq!(full.suggested_rating(TYPED), Some(3));
        let half = rubric(vec![named(), named(), missed(), missed()], 30);
        assert_eq!(half.suggested_rating(TYPED), Some(2));
        let little = rubric(vec![named(), missed(), missed()], 30);
        assert_eq!(little.suggested_rating(TYPED), Some(1));
        let wrong = rubric(vec![named(), named(), named(), contradicted()], 30);
        assert_eq!(wrong.suggested_rating(TYPED), Some(1));
    }

    #[test]
    fn thin_evidence_suggests_nothing() {
        let full = || rubric(vec![named(), named(), named()], 30);
        assert_eq!(
            rubric(vec![named(), named(), named()], 3).suggested_rating(TYPED),
            None
        );
        let think = Circumstances {
            think: true,
            ..TYPED
        };
        assert_eq!(full().suggested_rating(think), None);
        assert_eq!(
            Assessment::Verdict { correct: true }.suggested_rating(think),
            None
        );
        let interview = Circumstances {
            interview: true,
            ..TYPED
        };
        assert_eq!(full().suggested_rating(interview), None);
        assert_eq!(Assessment::SelfCheck.suggested_rating(TYPED), None);
    }

    #[test]
    fn over_time_caps_at_hard() {
        let late = Circumstances {
            over_time: true,
            ..TYPED
        };
        assert_eq!(rubric(vec![named()], 30).suggested_rating(late), Some(2));
        assert_eq!(
            Assessment::Verdict { correct: false }.suggested_rating(late),
            Some(1)
        );
    }
}
