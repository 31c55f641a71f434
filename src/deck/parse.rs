//! Parsing and checking one deck file. Pure: text in, a deck or every problem found out.
//!
//! Each card is deserialized on its own from the spanned document, so one bad card does not hide
//! the problems of the next, and every problem carries the line and column it comes from.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{Diagnostic, LineIndex};
use super::model::{
    COMMON_FIELDS, Card, CardBody, CardCommon, Choice, Compare, Deck, DeckMeta, KINDS, Numeric,
    Question,
};
use super::model::{RubricPoint, SYSTEM_PLACEHOLDER};
use crate::text::sanitize;

const CHOICE_OPTIONS_MIN: usize = 2;
const CHOICE_OPTIONS_MAX: usize = 8;

/// Most cards in one deck: the largest bundled deck has 33; a deck of thousands is a mistake
/// or an attack, and is refused before any card is checked.
pub const CARDS_PER_DECK_MAX: usize = 2_000;
/// Longest string in a deck, bytes: the longest bundled one is 1,210.
pub const STRING_BYTES_MAX: usize = 16 * 1024;
/// Most values (tables, arrays, strings, numbers) in one file:
/// the largest bundled deck has 890.
pub const VALUES_PER_DECK_MAX: usize = 100_000;
/// Deepest nesting of tables and arrays: the format itself needs 6.
pub const NESTING_MAX: usize = 16;
/// Problems reported per file; past it one line says how many more there were and where the
/// first of them is, so a broken generated file cannot flood the terminal.
pub const PROBLEMS_PER_FILE_MAX: usize = 200;
/// A card with more unknown fields than this is not retried field by field.
const UNKNOWN_FIELD_RETRIES_MAX: usize = 8;

/// Parses and checks a deck. `path` only labels diagnostics.
pub fn parse_deck(path: &str, source: &str) -> Result<Deck, Vec<Diagnostic>> {
    let mut checker = Checker {
        path,
        lines: LineIndex::new(source),
        source,
        problems: Vec::new(),
        unshown: 0,
        first_unshown: None,
    };
    let deck = checker.deck();
    match deck {
        Some(deck) if checker.problems.is_empty() && checker.unshown == 0 => Ok(deck),
        _ => {
            checker.problems.sort();
            checker.problems.dedup();
            if let Some(first) = checker.first_unshown.take() {
                let more = checker.unshown;
                let mut summary = Diagnostic::located(
                    path,
                    &checker.lines,
                    first,
                    format!(
                        "{more} more problem(s) from here on not shown (at most {PROBLEMS_PER_FILE_MAX} per file)"
                    ),
                );
                // The summary line is not a problem of its own: it stands for the `more`.
                summary.unshown = more.saturating_sub(1);
                checker.problems.push(summary);
            }
            Err(checker.problems)
        }
    }
}

struct Checker<'a> {
    path: &'a str,
    source: &'a str,
    lines: LineIndex<'a>,
    problems: Vec<Diagnostic>,
    /// Problems past [`PROBLEMS_PER_FILE_MAX`]: counted, not located.
    unshown: usize,
    first_unshown: Option<Range<usize>>,
}

impl<'a> Checker<'a> {
    fn report(&mut self, span: Range<usize>, message: impl Into<String>) {
        if self.problems.len() >= PROBLEMS_PER_FILE_MAX {
            self.unshown += 1;
            self.first_unshown.get_or_insert(span);
            return;
        }
        self.problems
            .push(Diagnostic::located(self.path, &self.lines, span, message));
    }

    /// Walks the whole document once before anything else looks at it: too many values, too
    /// deep a nesting or too long a string is reported where it is, and the file is not
    /// checked further, so no later step can be made slow by the size of the input.
    fn within_budget(&mut self, root: &DeTable<'a>) -> bool {
        let mut values = 0usize;
        let mut fine = true;
        let mut stack: Vec<(&Spanned<DeValue<'a>>, usize)> = Vec::new();
        if let Some(cards) = root.get("cards")
            && let DeValue::Array(array) = cards.get_ref()
            && array.len() > CARDS_PER_DECK_MAX
        {
            let first_over = array[CARDS_PER_DECK_MAX].span();
            self.report(
                first_over,
                format!(
                    "the deck has {} cards; a deck holds at most {CARDS_PER_DECK_MAX} (this is card {}): split it into several decks",
                    array.len(),
                    CARDS_PER_DECK_MAX + 1
                ),
            );
            return false;
        }
        stack.extend(root.values().map(|v| (v, 1)));
        while let Some((value, depth)) = stack.pop() {
            values += 1;
            if values > VALUES_PER_DECK_MAX {
                self.report(
                    value.span(),
                    format!("too many values: a deck holds at most {VALUES_PER_DECK_MAX}"),
                );
                return false;
            }
            match value.get_ref() {
                DeValue::String(text) if text.len() > STRING_BYTES_MAX => {
                    self.report(
                        value.span(),
                        format!(
                            "a string of {} bytes: deck text is limited to {STRING_BYTES_MAX} bytes per string",
                            text.len()
                        ),
                    );
                    fine = false;
                }
                DeValue::Table(table) => {
                    if depth >= NESTING_MAX {
                        self.report(
                            value.span(),
                            format!("nested deeper than {NESTING_MAX} tables and arrays"),
                        );
                        return false;
                    }
                    stack.extend(table.values().map(|v| (v, depth + 1)));
                }
                DeValue::Array(items) => {
                    if depth >= NESTING_MAX {
                        self.report(
                            value.span(),
                            format!("nested deeper than {NESTING_MAX} tables and arrays"),
                        );
                        return false;
                    }
                    stack.extend(items.iter().map(|v| (v, depth + 1)));
                }
                _ => {}
            }
        }
        fine
    }

    fn report_toml(&mut self, error: &toml::de::Error, fallback: Range<usize>) {
        let span = error.span().unwrap_or(fallback);
        let message = error.message().trim().to_owned();
        self.report(span, message);
    }

    fn deck(&mut self) -> Option<Deck> {
        let (root, syntax_errors) = DeTable::parse_recoverable(self.source);
        if !syntax_errors.is_empty() {
            for error in &syntax_errors {
                self.report_toml(error, 0..0);
            }
            return None;
        }
        let root_span = root.span();
        let mut root = root.into_inner();
        if !self.within_budget(&root) {
            return None;
        }

        let mut deck_value = None;
        let mut cards_value = None;
        let keys: Vec<_> = root.keys().cloned().collect();
        for key in keys {
            let value = root.remove(key.get_ref().as_ref());
            match key.get_ref().as_ref() {
                "deck" => deck_value = value,
                "cards" => cards_value = value,
                other => self.report(
                    key.span(),
                    format!("unknown top-level key `{other}`, expected `deck` or `cards`"),
                ),
            }
        }

        let meta = match deck_value {
            None => {
                self.report(root_span.start..root_span.start, "missing `[deck]` table");
                None
            }
            Some(value) => self.meta(value),
        };

        let cards = match cards_value {
            None => {
                self.report(
                    root_span.start..root_span.start,
                    "the deck has no cards: add at least one `[[cards]]` table",
                );
                Vec::new()
            }
            Some(value) => self.cards(value, meta.as_ref()),
        };

        meta.map(|meta| Deck { meta, cards })
    }

    fn meta(&mut self, value: Spanned<DeValue<'a>>) -> Option<DeckMeta> {
        let spans = match value.get_ref() {
            DeValue::Table(table) => FieldSpans::of(table, value.span()),
            _ => FieldSpans::of(&DeTable::new(), value.span()),
        };
        let meta: DeckMeta = self.deserialize_lenient(value)?;
        self.check_id(&meta.id, spans.get("id"), "deck id");
        self.check_non_empty(&meta.title, spans.get("title"), "deck title");
        let mut seen = BTreeSet::new();
        for system in &meta.systems {
            self.check_id(&system.id, spans.get("systems"), "system id");
            if !seen.insert(system.id.as_str()) {
                self.report(
                    spans.get("systems"),
                    format!("duplicate system id `{}`", system.id),
                );
            }
        }
        Some(DeckMeta {
            id: meta.id,
            title: sanitize(&meta.title),
            description: sanitize(&meta.description),
            tags: meta.tags.iter().map(|t| sanitize(t)).collect(),
            systems: meta
                .systems
                .into_iter()
                .map(|s| super::model::System {
                    id: s.id,
                    name: sanitize(&s.name),
                })
                .collect(),
        })
    }

    fn cards(&mut self, value: Spanned<DeValue<'a>>, meta: Option<&DeckMeta>) -> Vec<Card> {
        let span = value.span();
        let DeValue::Array(array) = value.into_inner() else {
            self.report(
                span,
                "`cards` must be an array of tables: write `[[cards]]`",
            );
            return Vec::new();
        };
        if array.is_empty() {
            self.report(span, "the deck has no cards");
        }
        let mut cards = Vec::new();
        // Byte offset of each id's first use; turned into a line only for a duplicate. Ids are
        // read from the raw table, so a card that fails to parse still claims its id and a
        // duplicate of it is reported in the same run.
        let mut first_seen: HashMap<String, usize> = HashMap::new();
        for item in array {
            let item_span = item.span();
            let DeValue::Table(table) = item.into_inner() else {
                self.report(item_span, "each card must be a table");
                continue;
            };
            let raw_id = table
                .get("id")
                .and_then(|v| v.get_ref().as_str().map(|id| (id.to_owned(), v.span())));
            let card = self.card(Spanned::new(item_span, table), meta);
            let mut duplicate = false;
            if let Some((id, id_span)) = raw_id {
                if let Some(&first_offset) = first_seen.get(&id) {
                    let (first, _) = self.lines.line_column(first_offset);
                    self.report(
                        id_span,
                        format!("duplicate card id `{id}` (first used on line {first})"),
                    );
                    duplicate = true;
                } else {
                    first_seen.insert(id, id_span.start);
                }
            }
            if let Some(card) = card
                && !duplicate
            {
                cards.push(card);
            }
        }
        cards
    }

    fn card(&mut self, table: Spanned<DeTable<'a>>, meta: Option<&DeckMeta>) -> Option<Card> {
        let card_span = table.span();
        let table = table.into_inner();
        let spans = FieldSpans::of(&table, card_span.clone());

        let (common_table, body_table): (DeTable<'a>, DeTable<'a>) =
            table.into_iter().partition(|(key, _)| {
                COMMON_FIELDS.contains(&key.get_ref().as_ref()) && key.get_ref() != "kind"
            });
        let kind = body_table.get("kind").and_then(|v| v.get_ref().as_str());
        let Some(kind) = kind.map(str::to_owned) else {
            let message = if body_table.contains_key("kind") {
                "`kind` must be a string"
            } else {
                "missing field `kind`"
            };
            self.report(spans.get("kind"), message);
            return None;
        };
        if !KINDS.contains(&kind.as_str()) {
            self.report(
                spans.get("kind"),
                format!(
                    "unknown kind `{kind}`, expected one of: {}",
                    KINDS.join(", ")
                ),
            );
            return None;
        }

        let common: Option<CardCommon> =
            self.deserialize_lenient(table_value(common_table, &card_span));
        // The tag stays in the table: serde's internally tagged enum reads it to pick the kind.
        let body: Option<CardBody> = self.deserialize_body(&kind, body_table, &card_span);
        let (common, body) = (common?, body?);

        self.check_id(&common.id, spans.get("id"), "card id");
        self.check_non_empty(&common.source, spans.get("source"), "source");
        self.check_body(&body, &spans, meta);

        Some(Card {
            id: common.id,
            tags: common.tags.iter().map(|t| sanitize(t)).collect(),
            source: sanitize(&common.source),
            body: sanitize_body(body),
        })
    }

    /// Deserializes the kind's own struct straight from the spanned table, so errors such as an
    /// unknown field point at the field itself.
    fn deserialize_body(
        &mut self,
        kind: &str,
        mut table: DeTable<'a>,
        card_span: &Range<usize>,
    ) -> Option<CardBody> {
        table.remove("kind");
        let value = table_value(table, card_span);
        match kind {
            "question" => self.deserialize_lenient(value).map(CardBody::Question),
            "myth" => self.deserialize_lenient(value).map(CardBody::Myth),
            "failure" => self.deserialize_lenient(value).map(CardBody::Failure),
            "compare" => self.deserialize_lenient(value).map(CardBody::Compare),
            "choice" => self.deserialize_lenient(value).map(CardBody::Choice),
            "numeric" => self.deserialize_lenient(value).map(CardBody::Numeric),
            "calc" => self.deserialize_lenient(value).map(CardBody::Calc),
            _ => None,
        }
    }

    /// Deserializes a table; an unknown field is reported and then left out, and the
    /// rest deserialized again, so the table's other problems (and the semantic checks of what
    /// did parse) are reported in the same run. The result stands only for those checks: the
    /// reported unknown field already fails the file.
    fn deserialize_lenient<T: DeserializeOwned>(
        &mut self,
        value: Spanned<DeValue<'a>>,
    ) -> Option<T> {
        let span = value.span();
        let mut table = match value.into_inner() {
            DeValue::Table(table) => table,
            other => {
                let other = Spanned::new(span.clone(), other);
                return match T::deserialize(toml::de::ValueDeserializer::from(other)) {
                    Ok(parsed) => Some(parsed),
                    Err(error) => {
                        self.report_toml(&error, span);
                        None
                    }
                };
            }
        };
        for _ in 0..=UNKNOWN_FIELD_RETRIES_MAX {
            let attempt = table_value(table.clone(), &span);
            match T::deserialize(toml::de::ValueDeserializer::from(attempt)) {
                Ok(parsed) => return Some(parsed),
                Err(error) => {
                    self.report_toml(&error, span.clone());
                    let unknown = error
                        .message()
                        .starts_with("unknown field")
                        .then(|| error.span())
                        .flatten()
                        .and_then(|at| {
                            table
                                .keys()
                                .find(|key| key.span() == at)
                                .map(|key| key.get_ref().to_string())
                        });
                    table.remove(unknown?.as_str());
                }
            }
        }
        None
    }

    fn check_body(&mut self, body: &CardBody, spans: &FieldSpans, meta: Option<&DeckMeta>) {
        match body {
            CardBody::Question(q) => self.check_question(q, spans),
            CardBody::Myth(m) => {
                self.check_non_empty(&m.claim, spans.get("claim"), "claim");
                self.check_non_empty(&m.reality, spans.get("reality"), "reality");
            }
            CardBody::Failure(f) => {
                self.check_non_empty(&f.system, spans.get("system"), "system");
                self.check_non_empty(&f.page, spans.get("page"), "page");
                self.check_non_empty(&f.cause, spans.get("cause"), "cause");
                self.check_non_empty(&f.fix, spans.get("fix"), "fix");
            }
            CardBody::Compare(c) => self.check_compare(c, spans, meta),
            CardBody::Choice(c) => self.check_choice(c, spans),
            CardBody::Numeric(n) => self.check_numeric(n, spans),
            CardBody::Calc(c) => {
                self.check_non_empty(&c.prompt, spans.get("prompt"), "prompt");
                self.check_non_empty(&c.working, spans.get("working"), "working");
                for (field, message) in super::calc::check(c) {
                    self.report(spans.get(field), message);
                }
            }
        }
    }

    fn check_question(&mut self, q: &Question, spans: &FieldSpans) {
        self.check_non_empty(&q.prompt, spans.get("prompt"), "prompt");
        self.check_non_empty(&q.answer, spans.get("answer"), "answer");
        if q.rubric.is_empty() {
            self.report(
                spans.get("rubric"),
                "empty rubric: a question needs at least one rubric point",
            );
        }
        for point in &q.rubric {
            self.check_rubric_point(point, spans.get("rubric"));
        }
        for follow_up in &q.follow_ups {
            if follow_up.prompt.trim().is_empty() || follow_up.answer.trim().is_empty() {
                self.report(
                    spans.get("follow_ups"),
                    "a follow-up needs a non-empty `prompt` and `answer`",
                );
            }
        }
    }

    fn check_compare(&mut self, c: &Compare, spans: &FieldSpans, meta: Option<&DeckMeta>) {
        self.check_non_empty(&c.dimension, spans.get("dimension"), "dimension");
        if let Some(ask) = &c.ask {
            self.check_ask(ask, spans);
        }
        self.check_compare_points(c, spans);
        let Some(meta) = meta else { return };
        if meta.systems.is_empty() {
            self.report(
                spans.get("values"),
                "compare cards need the deck to declare its `systems`",
            );
            return;
        }
        let declared: BTreeSet<&str> = meta.systems.iter().map(|s| s.id.as_str()).collect();
        let given: BTreeSet<&str> = c.values.keys().map(String::as_str).collect();
        for unknown in given.difference(&declared) {
            self.report(
                spans.get("values"),
                format!(
                    "unknown system `{unknown}` in values, declared: {}",
                    join(&declared)
                ),
            );
        }
        for missing in declared.difference(&given) {
            self.report(
                spans.get("values"),
                format!("missing value for system `{missing}`"),
            );
        }
        for (system, value) in &c.values {
            if value.trim().is_empty() {
                self.report(
                    spans.get("values"),
                    format!("empty value for system `{system}`"),
                );
            }
        }
    }

    /// A compare card's `ask`: a question with `{system}` and no other placeholder.
    fn check_ask(&mut self, ask: &str, spans: &FieldSpans) {
        let span = spans.get("ask");
        if ask.trim().is_empty() {
            self.report(
                span,
                "`ask` must not be empty: leave it out for the default question",
            );
            return;
        }
        let names = super::calc::placeholders(ask);
        if !names.iter().any(|n| n == SYSTEM_PLACEHOLDER) {
            self.report(
                span.clone(),
                "`ask` must contain `{system}`, where the cell's system name goes",
            );
        }
        let unknown: BTreeSet<&String> =
            names.iter().filter(|n| *n != SYSTEM_PLACEHOLDER).collect();
        for name in unknown {
            self.report(
                span.clone(),
                format!(
                    "`{{{name}}}` in `ask` is not a placeholder: only `{{system}}` is filled in \
                     (write `{{{{` and `}}}}` for literal braces)"
                ),
            );
        }
    }

    /// A compare card's `points`: keyed by systems the card has values for, each non-empty.
    fn check_compare_points(&mut self, c: &Compare, spans: &FieldSpans) {
        for (system, points) in &c.points {
            let key = format!("points.{system}");
            if !c.values.contains_key(system) {
                let given: BTreeSet<&str> = c.values.keys().map(String::as_str).collect();
                self.report(
                    spans.get(&key),
                    format!(
                        "points for `{system}`, which has no value in this card; values: {}",
                        join(&given)
                    ),
                );
            }
            if points.is_empty() {
                self.report(
                    spans.get(&key),
                    format!(
                        "no points for `{system}`: list at least one rubric point, or leave `{system}` out"
                    ),
                );
            }
            for (i, point) in points.iter().enumerate() {
                let span = spans.get(&format!("{key}[{i}]"));
                self.check_rubric_point(point, span);
            }
        }
    }

    /// One rubric point of a compare cell: words to show it, and whole wrong claims.
    fn check_rubric_point(&mut self, point: &RubricPoint, span: Range<usize>) {
        if point.point.trim().is_empty() {
            self.report(span.clone(), "a rubric point has an empty `point`");
        }
        let no_words = |terms: &[String]| {
            terms
                .iter()
                .all(|t| crate::grading::normalise::normalise(t).is_empty())
        };
        if no_words(&point.terms) {
            self.report(
                span.clone(),
                format!(
                    "rubric point `{}` has no terms: list the words that show it",
                    point.point
                ),
            );
        }
        for claim in &point.wrong {
            if no_words(&claim.says) || claim.why.trim().is_empty() {
                self.report(
                    span.clone(),
                    format!(
                        "a wrong claim of rubric point `{}` needs `says` phrases and a `why`",
                        point.point
                    ),
                );
            }
        }
    }

    fn check_choice(&mut self, c: &Choice, spans: &FieldSpans) {
        self.check_non_empty(&c.situation, spans.get("situation"), "situation");
        self.check_non_empty(&c.reason, spans.get("reason"), "reason");
        if !(CHOICE_OPTIONS_MIN..=CHOICE_OPTIONS_MAX).contains(&c.options.len()) {
            self.report(
                spans.get("options"),
                format!(
                    "a choice needs {CHOICE_OPTIONS_MIN} to {CHOICE_OPTIONS_MAX} options, found {}",
                    c.options.len()
                ),
            );
        }
        let distinct: BTreeSet<&String> = c.options.iter().collect();
        if distinct.len() != c.options.len() {
            self.report(spans.get("options"), "options must be distinct");
        }
        if c.answer_number().is_none() {
            self.report(
                spans.get("answer"),
                format!("answer `{}` is not one of the options", c.answer),
            );
        }
    }

    fn check_numeric(&mut self, n: &Numeric, spans: &FieldSpans) {
        self.check_non_empty(&n.prompt, spans.get("prompt"), "prompt");
        self.check_non_empty(&n.working, spans.get("working"), "working");
        if !n.answer.is_finite() {
            self.report(spans.get("answer"), "answer must be a finite number");
        }
        if !n.tolerance.is_finite() || n.tolerance < 0.0 {
            self.report(
                spans.get("tolerance"),
                format!(
                    "bad tolerance {}: it must be a finite number, zero or more",
                    n.tolerance
                ),
            );
        }
    }

    fn check_id(&mut self, id: &str, span: Range<usize>, what: &str) {
        if !is_kebab_id(id) {
            self.report(
                span,
                format!(
                    "{what} `{id}` must be kebab-case: lowercase letters, digits and '-', starting with a letter or digit"
                ),
            );
        }
    }

    fn check_non_empty(&mut self, text: &str, span: Range<usize>, what: &str) {
        if text.trim().is_empty() {
            self.report(span, format!("`{what}` must not be empty"));
        }
    }
}

/// Where each field of a card sits, for semantic errors found after deserializing.
struct FieldSpans {
    card: Range<usize>,
    fields: HashMap<String, Range<usize>>,
}

impl FieldSpans {
    fn of(table: &DeTable<'_>, card: Range<usize>) -> Self {
        let mut fields: HashMap<String, Range<usize>> = table
            .iter()
            .map(|(key, value)| {
                let span = if value.span().is_empty() {
                    key.span()
                } else {
                    value.span()
                };
                (key.get_ref().to_string(), span)
            })
            .collect();
        // The keys of a sub-table as `field.key`, and its arrays' tables as `field.key[i]`: a
        // compare card's `points.kafka` and its points.
        for (key, value) in table {
            let DeValue::Table(sub) = value.get_ref() else {
                continue;
            };
            for (sub_key, sub_value) in sub {
                let path = format!("{}.{}", key.get_ref(), sub_key.get_ref());
                if let DeValue::Array(items) = sub_value.get_ref() {
                    for (i, item) in items.iter().enumerate() {
                        fields.insert(format!("{path}[{i}]"), item.span());
                    }
                }
                fields.insert(path, sub_key.span());
            }
        }
        Self { card, fields }
    }

    fn get(&self, field: &str) -> Range<usize> {
        self.fields
            .get(field)
            .cloned()
            .unwrap_or_else(|| self.card.clone())
    }
}

fn table_value<'a>(table: DeTable<'a>, span: &Range<usize>) -> Spanned<DeValue<'a>> {
    Spanned::new(span.clone(), DeValue::Table(table))
}

fn join(items: &BTreeSet<&str>) -> String {
    items.iter().copied().collect::<Vec<_>>().join(", ")
}

pub fn is_kebab_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn sanitize_body(body: CardBody) -> CardBody {
    let s = |text: &String| sanitize(text);
    match body {
        CardBody::Question(q) => CardBody::Question(Question {
            prompt: s(&q.prompt),
            answer: s(&q.answer),
            rubric: q
                .rubric
                .iter()
                .map(|p| super::model::RubricPoint {
                    point: s(&p.point),
                    terms: p.terms.iter().map(s).collect(),
                    with: p.with.iter().map(s).collect(),
                    wrong: p
                        .wrong
                        .iter()
                        .map(|w| super::model::WrongClaim {
                            says: w.says.iter().map(s).collect(),
                            why: s(&w.why),
                        })
                        .collect(),
                })
                .collect(),
            trap: q.trap.as_ref().map(s),
            level: q.level,
            follow_ups: q
                .follow_ups
                .iter()
                .map(|f| super::model::FollowUp {
                    prompt: s(&f.prompt),
                    answer: s(&f.answer),
                })
                .collect(),
        }),
        CardBody::Myth(m) => CardBody::Myth(super::model::Myth {
            claim: s(&m.claim),
            is_true: m.is_true,
            reality: s(&m.reality),
        }),
        CardBody::Failure(f) => CardBody::Failure(super::model::Failure {
            system: s(&f.system),
            page: s(&f.page),
            cause: s(&f.cause),
            fix: s(&f.fix),
        }),
        CardBody::Compare(c) => CardBody::Compare(Compare {
            dimension: s(&c.dimension),
            ask: c.ask.as_ref().map(s),
            values: c.values.iter().map(|(k, v)| (k.clone(), s(v))).collect(),
            points: c
                .points
                .iter()
                .map(|(k, points)| (k.clone(), points.iter().map(sanitize_point).collect()))
                .collect(),
        }),
        CardBody::Choice(c) => CardBody::Choice(Choice {
            situation: s(&c.situation),
            options: c.options.iter().map(s).collect(),
            answer: s(&c.answer),
            reason: s(&c.reason),
        }),
        CardBody::Calc(c) => CardBody::Calc(super::model::Calc {
            prompt: s(&c.prompt),
            working: s(&c.working),
            unit: s(&c.unit),
            ..c
        }),
        CardBody::Numeric(n) => CardBody::Numeric(Numeric {
            prompt: s(&n.prompt),
            working: s(&n.working),
            unit: s(&n.unit),
            ..n
        }),
    }
}

fn sanitize_point(p: &RubricPoint) -> RubricPoint {
    RubricPoint {
        point: sanitize(&p.point),
        terms: p.terms.iter().map(|t| sanitize(t)).collect(),
        with: p.with.iter().map(|t| sanitize(t)).collect(),
        wrong: p
            .wrong
            .iter()
            .map(|w| super::model::WrongClaim {
                says: w.says.iter().map(|t| sanitize(t)).collect(),
                why: sanitize(&w.why),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAGMENTS: &[&str] = &[
        "[deck]\n",
        "id = \"d\"\n",
        "title = \"T\"\n",
        "[[cards]]\n",
        "kind = \"calc\"\n",
        "kind = \"question\"\n",
        "source = \"s\"\n",
        "prompt = \"p\"\n",
        "answer = \"(x\"\n",
        "answer = 1e400\n",
        "[[cards.vars]]\n",
        "name = \"x\"\n",
        "min = 5\n",
        "max = 1\n",
        "step = 0\n",
        "[[cards.rubric]]\n",
        "terms = []\n",
        "[cards.values]\n",
        "a = \"b\"\n",
        "systems = [{ id = \"a\", name = \"A\" }]\n",
        "options = [\"x\"]\n",
        "=\n",
        "\u{1b}[2J",
        "é",
        "\"\"\"",
        "[[",
        "tolerance = -inf\n",
        "is_true = \"no\"\n",
        "working = \"{x}\"\n",
    ];

    proptest::proptest! {
        /// Whatever a stranger's deck says, checking it reports problems and never panics, and
        /// every problem points inside the file.
        #[test]
        fn hostile_decks_never_panic(picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..40),
                                     noise in ".{0,40}") {
            let mut source: String = picks.iter().map(|i| FRAGMENTS[*i]).collect();
            source.push_str(&noise);
            if let Err(problems) = parse_deck("fuzz.toml", &source) {
                let lines = source.lines().count().max(1) + 1;
                for p in problems {
                    proptest::prop_assert!(p.line >= 1 && p.line <= lines, "{p}");
                    proptest::prop_assert!(p.column >= 1);
                }
            }
        }
    }
}
