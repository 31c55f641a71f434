//! The deck format, version 1: the types a deck file deserializes into.
//!
//! These types are the single source of truth for the format: the loader deserializes them, and
//! `schema/deck.schema.json` is generated from them (see [`crate::deck::schema`]).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A deck as loaded: its metadata and its cards, text already sanitised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deck {
    pub meta: DeckMeta,
    pub cards: Vec<Card>,
}

/// The `[deck]` table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeckMeta {
    /// Stable identifier, kebab-case, unique across all loaded decks.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The columns of `compare` rows, in display order. Required when the deck has compare cards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<System>,
}

/// One column of a comparison table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// Key used in `compare` cards' `values`; part of each cell's identity.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// Display name, e.g. "AWS Kinesis Data Streams".
    pub name: String,
}

/// One card: the fields every kind shares, and the kind's own fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    pub id: String,
    pub tags: Vec<String>,
    pub source: String,
    pub body: CardBody,
}

/// The fields every card has besides `kind`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CardCommon {
    /// Stable identifier, kebab-case, unique within the deck. A card's identity is
    /// `deck-id/card-id`, so editing its text keeps its history.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Where the fact comes from: a section of the source guide or an official document.
    pub source: String,
}

/// The names of the fields in [`CardCommon`], plus `kind`: everything that is not kind-specific.
pub const COMMON_FIELDS: [&str; 4] = ["id", "kind", "tags", "source"];

/// The kind-specific part of a card, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CardBody {
    Question(Question),
    Myth(Myth),
    Failure(Failure),
    Compare(Compare),
    Choice(Choice),
    Numeric(Numeric),
    Calc(Calc),
}

/// Every kind name, in the order the format documents them.
pub const KINDS: [&str; 7] = [
    "question", "myth", "failure", "compare", "choice", "numeric", "calc",
];

impl CardBody {
    pub fn kind(&self) -> &'static str {
        match self {
            CardBody::Question(_) => "question",
            CardBody::Myth(_) => "myth",
            CardBody::Failure(_) => "failure",
            CardBody::Compare(_) => "compare",
            CardBody::Choice(_) => "choice",
            CardBody::Numeric(_) => "numeric",
            CardBody::Calc(_) => "calc",
        }
    }
}

/// An open interview question, self-graded against a rubric.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub prompt: String,
    /// The model answer.
    pub answer: String,
    /// Points a strong answer names; at least one.
    #[schemars(length(min = 1))]
    pub rubric: Vec<RubricPoint>,
    /// The common wrong answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trap: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The interviewer's next questions, each answerable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follow_ups: Vec<FollowUp>,
}

/// Seniority an answer is pitched at, as interview loops grade it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum Level {
    L4,
    L5,
    L6,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricPoint {
    /// What a strong answer names, in words.
    pub point: String,
    /// Phrases that show the point; any one is enough. Case, punctuation, hyphens and plurals
    /// are ignored ("acks=all" also matches "ACKS = all", "patching" matches "patches"), the
    /// shared alias table (`content/aliases.toml`) supplies other spellings ("postgres" for
    /// "postgresql"), and words of a term may come in any order within a few words unless the
    /// term is spelled as configuration (`acks=all`, `min.insync.replicas`). A term counts only
    /// in a clause that does not negate it ("not", "never", "without", ...).
    #[schemars(length(min = 1))]
    pub terms: Vec<String>,
    /// The relation the point is about: when listed, one of these phrases must be stated in the
    /// same clause as the term (`min.insync.replicas` with `2`; `LEO` with what it is). A bare
    /// list of names does not show a definition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<String>,
    /// Wrong claims about the point (the card's trap, a reversed side): an answer that states
    /// one loses the point, and the reveal says why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wrong: Vec<WrongClaim>,
}

/// A wrong claim about a rubric point.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WrongClaim {
    /// Phrases that state the claim, matched like `terms`; any one is enough.
    #[schemars(length(min = 1))]
    pub says: Vec<String>,
    /// Why the claim is wrong, shown when an answer states it.
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    pub prompt: String,
    pub answer: String,
}

/// A claim to judge true or false, then the reality.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Myth {
    pub claim: String,
    /// Whether the claim holds.
    pub is_true: bool,
    pub reality: String,
}

/// A failure that pages on-call: symptom first, then cause and fix.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    /// The system that fails, e.g. "kafka" or "kinesis".
    pub system: String,
    /// What the page (or the symptom on the dashboard) says.
    pub page: String,
    pub cause: String,
    pub fix: String,
}

/// One row of a comparison table; each cell is drilled on its own.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Compare {
    pub dimension: String,
    /// The question each cell asks, with `{system}` where the system's name goes, e.g. "On
    /// {system}, who runs and patches the brokers, and what is left to you?". It must contain
    /// `{system}` and no other placeholder (`{{` and `}}` are literal braces). Without it a cell
    /// asks "{dimension}: what is it for {system}?".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<String>,
    /// One value per system id declared in the deck's `systems`.
    pub values: BTreeMap<String, String>,
    /// Rubric points per cell, keyed by system id (`[[cards.points.kafka]]`), matched against a
    /// typed answer as a question's rubric is. Each key must be a system the card has a value
    /// for, with at least one point; a cell without points is self-checked against its value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub points: BTreeMap<String, Vec<RubricPoint>>,
}

/// The placeholder a compare card's `ask` must contain.
pub const SYSTEM_PLACEHOLDER: &str = "system";

/// A situation with options; one option is the answer.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub situation: String,
    /// Two to eight distinct options.
    #[schemars(length(min = 2, max = 8))]
    pub options: Vec<String>,
    /// Exactly one of `options`.
    pub answer: String,
    pub reason: String,
}

/// A question with a numeric answer, checked within a tolerance.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Numeric {
    pub prompt: String,
    pub answer: f64,
    pub unit: String,
    /// Absolute tolerance in `unit`; zero or more.
    #[schemars(range(min = 0.0))]
    pub tolerance: f64,
    /// The worked solution.
    pub working: String,
}

/// A parametric calculation: every review draws new values for the variables, so the answer
/// cannot be memorised. `{name}` in `prompt` and `working` shows a variable's drawn value, a
/// step's value, or `{answer}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Calc {
    pub prompt: String,
    /// The formula of the answer over the variables and steps, e.g.
    /// `ceil(max(rate * size_kb / 1024, rate / 1000))`. Arithmetic is floating point; functions
    /// include `min`, `max`, `ceil`, `floor`, `round`, `abs`, `sqrt`, `ln`, `log10`.
    pub answer: String,
    pub unit: String,
    /// Absolute tolerance in `unit`; zero or more.
    #[serde(default)]
    #[schemars(range(min = 0.0))]
    pub tolerance: f64,
    /// Relative tolerance in percent of the answer; an answer within either tolerance passes.
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub tolerance_percent: f64,
    /// The worked solution, with `{name}` placeholders.
    pub working: String,
    #[schemars(length(min = 1))]
    pub vars: Vec<CalcVar>,
    /// Intermediate values for the working, in order; each may use the variables and earlier steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<CalcStep>,
}

/// A variable drawn from `min`, `min + step`, ... up to `max`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalcVar {
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub name: String,
    pub min: f64,
    pub max: f64,
    #[schemars(range(min = 0.0))]
    pub step: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalcStep {
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub name: String,
    pub formula: String,
}

impl Choice {
    /// The 1-based number of the correct option.
    pub fn answer_number(&self) -> Option<usize> {
        self.options
            .iter()
            .position(|o| *o == self.answer)
            .map(|i| i + 1)
    }
}

impl Numeric {
    pub fn accepts(&self, value: f64) -> bool {
        value.is_finite() && (value - self.answer).abs() <= self.tolerance + f64::EPSILON
    }
}

impl Deck {
    pub fn system_name<'a>(&'a self, system_id: &'a str) -> &'a str {
        self.meta
            .systems
            .iter()
            .find(|s| s.id == system_id)
            .map_or(system_id, |s| s.name.as_str())
    }
}
