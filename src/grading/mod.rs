//! Grading: how a typed answer compares with its card before the learner grades themselves.
//! Pure: an item and an answer in, an [`Assessment`] out.
//!
//! - [`rubric`]: which points of a question card's rubric a free-text answer names.
//! - [`answer`]: reading myth verdicts, choice picks and numbers out of what was typed.
//! - [`Assessment::suggested_rating`]: the grade the evidence supports, if any.

pub mod answer;
pub mod rubric;

use crate::deck::{CardBody, DrillItem, calc};
use rubric::PointResult;

/// How a typed answer compares with the card, before the user grades themselves.
#[derive(Debug, Clone, PartialEq)]
pub enum Assessment {
    /// Question cards: which rubric points the answer names.
    Rubric(Vec<PointResult>),
    /// Cards with one right answer (myth verdict, choice, number), when the answer could be read.
    Verdict { correct: bool },
    /// Free-text cards without a rubric, or an answer that could not be read: the user judges.
    SelfCheck,
}

impl Assessment {
    /// A grade to suggest (1-4), where the evidence supports one.
    pub fn suggested_rating(&self) -> Option<u8> {
        match self {
            Assessment::Verdict { correct: true } => Some(3),
            Assessment::Verdict { correct: false } => Some(1),
            Assessment::Rubric(points) if !points.is_empty() => {
                let hits = points.iter().filter(|p| p.hit()).count();
                Some(if hits == points.len() {
                    3
                } else if hits * 2 >= points.len() {
                    2
                } else {
                    1
                })
            }
            _ => None,
        }
    }
}

impl DrillItem {
    /// Checks `answer` against the card: rubric points for questions, right or wrong for cards
    /// with one answer, nothing to check for the rest.
    pub fn assess(&self, text: &str) -> Assessment {
        match &self.card.body {
            CardBody::Question(q) => Assessment::Rubric(rubric::assess(text, &q.rubric)),
            CardBody::Myth(m) => match answer::parse_verdict(text) {
                Some(said_true) => Assessment::Verdict {
                    correct: said_true == m.is_true,
                },
                None => Assessment::SelfCheck,
            },
            CardBody::Choice(c) => match answer::parse_choice(text, &c.options) {
                Some(picked) => Assessment::Verdict {
                    correct: Some(picked) == c.answer_number(),
                },
                None => Assessment::SelfCheck,
            },
            CardBody::Numeric(n) => match answer::parse_number(text) {
                Some(value) => Assessment::Verdict {
                    correct: n.accepts(value),
                },
                None => Assessment::SelfCheck,
            },
            CardBody::Calc(c) => match (answer::parse_number(text), &self.calc) {
                (Some(value), Some(instance)) => Assessment::Verdict {
                    correct: calc::accepts(c, instance.answer, value),
                },
                _ => Assessment::SelfCheck,
            },
            CardBody::Failure(_) | CardBody::Compare(_) => Assessment::SelfCheck,
        }
    }
}
