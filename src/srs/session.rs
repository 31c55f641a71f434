//! A drill session as a state machine: answer, reveal, grade, next. Pure: it never touches the
//! database or the clock. A grade becomes a [`Review`] the shell must make durable; only then does
//! [`Session::advance`] show the next item, so no grade is acknowledged before it is committed.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::deck::DrillItem;
use crate::grading::Assessment;
use crate::srs::scheduler::Rating;
use crate::store::Review;

/// Upper bound on a typed answer; more is ignored rather than stored.
pub const ANSWER_CHARS_MAX: usize = 8_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// The prompt is shown; the user types an answer.
    Answering,
    /// The model answer is shown; waiting for a grade.
    Revealed { assessment: Assessment },
    /// A grade was given and is being saved; the next item waits for it.
    Saving { rating: Rating },
    /// Every item was graded.
    Finished,
}

/// The most a review counts for, by card kind, as Anki caps "maximum answer seconds": a card
/// left open while the learner is away neither enters the log as a long review nor uses up the
/// session's time box.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewCaps {
    by_kind: BTreeMap<String, Duration>,
    /// For kinds not listed; `None` means no cap.
    default: Option<Duration>,
}

impl ReviewCaps {
    /// A cap of `limit(kind) + overrun` for every kind in `kinds` and for the rest.
    pub fn new<'a>(
        kinds: impl IntoIterator<Item = &'a str>,
        limit: impl Fn(&str) -> u32,
        overrun_seconds: u32,
    ) -> Self {
        let cap =
            |kind: &str| Duration::seconds(i64::from(limit(kind)) + i64::from(overrun_seconds));
        Self {
            by_kind: kinds
                .into_iter()
                .map(|kind| (kind.to_owned(), cap(kind)))
                .collect(),
            default: Some(cap("default")),
        }
    }

    pub fn cap(&self, kind: &str) -> Option<Duration> {
        self.by_kind.get(kind).copied().or(self.default)
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    items: Vec<DrillItem>,
    index: usize,
    phase: Phase,
    answer: String,
    shown_at: DateTime<Utc>,
    reviewed: usize,
    caps: ReviewCaps,
    /// Time counted for the cards already left behind (graded or skipped), each capped.
    time_counted: Duration,
}

impl Session {
    pub fn new(items: Vec<DrillItem>, now: DateTime<Utc>) -> Self {
        let phase = if items.is_empty() {
            Phase::Finished
        } else {
            Phase::Answering
        };
        Self {
            items,
            index: 0,
            phase,
            answer: String::new(),
            shown_at: now,
            reviewed: 0,
            caps: ReviewCaps::default(),
            time_counted: Duration::zero(),
        }
    }

    /// Caps how long a review can count for (see [`ReviewCaps`]).
    #[must_use]
    pub fn with_review_caps(mut self, caps: ReviewCaps) -> Self {
        self.caps = caps;
        self
    }

    /// How long the current card counts for so far: the time it has been shown, capped.
    pub fn current_counted(&self, now: DateTime<Utc>) -> Duration {
        let shown = (now - self.shown_at).max(Duration::zero());
        match self.current().and_then(|item| self.caps.cap(item.kind())) {
            Some(cap) => shown.min(cap),
            None => shown,
        }
    }

    /// The session's working time: every card left behind plus the current one, each capped.
    pub fn time_used(&self, now: DateTime<Utc>) -> Duration {
        self.time_counted + self.current_counted(now)
    }

    pub fn current(&self) -> Option<&DrillItem> {
        match self.phase {
            Phase::Finished => None,
            _ => self.items.get(self.index),
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn answer(&self) -> &str {
        &self.answer
    }

    /// 1-based position of the current item, and the session's length.
    pub fn position(&self) -> (usize, usize) {
        ((self.index + 1).min(self.items.len()), self.items.len())
    }

    pub fn reviewed(&self) -> usize {
        self.reviewed
    }

    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    pub fn type_char(&mut self, c: char) {
        if self.phase == Phase::Answering
            && !c.is_control()
            && self.answer.chars().count() < ANSWER_CHARS_MAX
        {
            self.answer.push(c);
        }
    }

    pub fn type_newline(&mut self) {
        if self.phase == Phase::Answering && self.answer.chars().count() < ANSWER_CHARS_MAX {
            self.answer.push('\n');
        }
    }

    pub fn backspace(&mut self) {
        if self.phase == Phase::Answering {
            self.answer.pop();
        }
    }

    /// Replaces the typed answer (plain mode reads it whole).
    pub fn set_answer(&mut self, answer: &str) {
        if self.phase == Phase::Answering {
            self.answer = answer
                .chars()
                .filter(|c| *c == '\n' || !c.is_control())
                .take(ANSWER_CHARS_MAX)
                .collect();
        }
    }

    /// Shows the model answer and how the typed answer compares with it.
    pub fn reveal(&mut self) {
        if self.phase != Phase::Answering {
            return;
        }
        if let Some(item) = self.items.get(self.index) {
            self.phase = Phase::Revealed {
                assessment: item.assess(&self.answer),
            };
        }
    }

    /// Grades the revealed item. Returns the review to persist; the session waits in
    /// [`Phase::Saving`] until [`Session::advance`] (saved) or [`Session::retry`] (failed).
    pub fn grade(&mut self, rating: Rating, now: DateTime<Utc>) -> Option<Review> {
        let Phase::Revealed { .. } = self.phase else {
            return None;
        };
        let elapsed_ms = u64::try_from(self.current_counted(now).num_milliseconds()).unwrap_or(0);
        let item = self.items.get(self.index)?;
        let review = Review {
            item_id: item.id.clone(),
            deck_id: item.deck_id.clone(),
            reviewed_at: now,
            rating,
            duration_ms: elapsed_ms,
            answer: self.answer.clone(),
        };
        self.phase = Phase::Saving { rating };
        Some(review)
    }

    /// The grade is durable: move to the next item.
    pub fn advance(&mut self, now: DateTime<Utc>) {
        if !matches!(self.phase, Phase::Saving { .. }) {
            return;
        }
        self.reviewed += 1;
        self.step_to_next(now);
    }

    /// Moves past the current item without a grade (it was suspended): nothing is reviewed.
    pub fn skip(&mut self, now: DateTime<Utc>) {
        if !matches!(self.phase, Phase::Answering | Phase::Revealed { .. }) {
            return;
        }
        self.step_to_next(now);
    }

    /// Shows the next item, or finishes when there is none.
    fn step_to_next(&mut self, now: DateTime<Utc>) {
        self.time_counted += self.current_counted(now);
        self.index += 1;
        self.answer.clear();
        self.shown_at = now;
        self.phase = if self.index < self.items.len() {
            Phase::Answering
        } else {
            Phase::Finished
        };
    }

    /// Saving failed: back to the revealed item so the user can grade again.
    pub fn retry(&mut self) {
        if let Phase::Saving { .. } = self.phase
            && let Some(item) = self.items.get(self.index)
        {
            self.phase = Phase::Revealed {
                assessment: item.assess(&self.answer),
            };
        }
    }

    /// Shows `item` again as the current card after its grade was undone. An item this session
    /// already showed moves back to the current place, so the counter steps back by one and
    /// the session's length stays; any other item is shown next, as one more card.
    pub fn redo(&mut self, item: DrillItem, now: DateTime<Utc>) {
        if matches!(self.phase, Phase::Saving { .. }) {
            return;
        }
        let shown = self.index.min(self.items.len());
        if let Some(earlier) = self.items[..shown].iter().rposition(|i| i.id == item.id) {
            self.items.remove(earlier);
            self.index = shown - 1;
        }
        self.items.insert(self.index.min(self.items.len()), item);
        self.reviewed = self.reviewed.saturating_sub(1);
        self.answer.clear();
        self.shown_at = now;
        self.phase = Phase::Answering;
    }

    /// Ends the session early; nothing ungraded is recorded.
    pub fn finish(&mut self) {
        self.phase = Phase::Finished;
    }
}
