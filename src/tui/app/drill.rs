//! The drill session inside the app: starting one, the steps of answering each kind of card,
//! reveal, grading (saved through the shell before the next card), undo and the summary.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::KeyEvent;

use super::{App, Confirm, Effect, Screen};
use crate::deck::item::draw_all;
use crate::deck::{CardBody, DrillItem, Scope};
use crate::srs::queue::build_queue;
use crate::srs::scheduler::{CardState, Rating};
use crate::srs::session::{Phase, Session};
use crate::store::{Confidence, Observations, Review, ReviewOutcome};
use crate::tui::keys::Action;
use crate::tui::scroll::Scroll;
use crate::tui::textarea::TextArea;

/// Whether grades count for scheduling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillMode {
    Scheduled,
    /// Practice only (relearning the misses, cramming finder results): nothing is saved.
    Cram,
}

/// Steps within answering a card, for kinds that ask more than one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Free text (or thinking, in think mode).
    Typing,
    /// A myth: true or false?
    Verdict,
    /// A myth, after the call: how sure?
    Confidence { said_true: bool },
    /// A failure mode: the cause was typed, now the fix.
    Fix { cause: String },
    /// Interview mode: answering out loud, the clock running.
    Speaking,
    /// Interview mode: follow-up `index`, its answer shown or not.
    FollowUp { index: usize, shown: bool },
}

/// How one card of the session went, for the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct CardResult {
    pub item: DrillItem,
    pub rating: Rating,
    pub correct: Option<bool>,
    pub elapsed_ms: u64,
    pub over_time: bool,
}

impl CardResult {
    /// A miss: graded "again", or answered wrong where the answer was checked. The summary's
    /// accuracy, its misses and weakest tags, and "drill the misses again" all count this one.
    pub fn missed(&self) -> bool {
        self.rating == Rating::Again || self.correct == Some(false)
    }
}

#[derive(Debug)]
pub struct Drill {
    pub session: Session,
    /// What is being drilled: a deck title or "All decks".
    pub title: String,
    pub mode: DrillMode,
    pub interview: bool,
    pub think: bool,
    pub input: TextArea,
    pub step: Step,
    /// Time until the current item returns, per rating; known once revealed.
    pub delays: Option<[Duration; 4]>,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub card_started: DateTime<Utc>,
    pub card_limit: Duration,
    pub session_limit: Duration,
    pub over_time: bool,
    pub confidence: Option<Confidence>,
    pub results: Vec<CardResult>,
    pending: Option<(CardState, CardResult)>,
    /// The card suspended last, until the next grade: undo brings it back.
    suspended_last: Option<DrillItem>,
    /// How far the revealed card is scrolled down.
    pub reveal_scroll: Scroll,
}

impl Drill {
    pub fn card_remaining(&self, now: DateTime<Utc>) -> Duration {
        (self.card_started + self.card_limit - now).max(Duration::zero())
    }

    /// The time box left: the limit less the working time, which counts each card for at
    /// most its cap, so a card left open while the learner was away does not end the session.
    pub fn session_remaining(&self, now: DateTime<Utc>) -> Duration {
        (self.session_limit - self.session.time_used(now)).max(Duration::zero())
    }

    pub(super) fn answering(&self) -> bool {
        matches!(self.session.phase(), Phase::Answering)
    }
}

impl App {
    /// Starts a scheduled session on a deck, a tag or everything.
    pub fn start_drill(&mut self, scope: &Scope, now: DateTime<Utc>) {
        let Some(title) = self.library.scope_title(scope) else {
            self.status = Some(match scope {
                Scope::Tag(tag) => format!("No card is tagged `{tag}`."),
                Scope::Deck(id) => format!("No deck with id `{id}`."),
                Scope::All => "No decks loaded.".to_owned(),
            });
            return;
        };
        let queue = build_queue(
            self.library.scoped_items(scope),
            &self.progress,
            &self.scheduler,
            now,
            self.limits,
        );
        if queue.is_empty() {
            self.status = Some(format!(
                "{title}: nothing due and nothing new today. Come back later."
            ));
            return;
        }
        self.begin(queue, title, DrillMode::Scheduled, now);
    }

    /// Starts a practice round on given items; grades are not saved.
    pub fn start_cram(&mut self, items: Vec<DrillItem>, title: String, now: DateTime<Utc>) {
        if items.is_empty() {
            self.status = Some("Nothing to practise.".to_owned());
            return;
        }
        self.begin(items, title, DrillMode::Cram, now);
    }

    pub(super) fn begin(
        &mut self,
        items: Vec<DrillItem>,
        title: String,
        mode: DrillMode,
        now: DateTime<Utc>,
    ) {
        self.sessions_started += 1;
        let items = draw_all(items, self.seed.wrapping_add(self.sessions_started));
        let session = Session::new(items, now).with_review_caps(self.config.review_caps());
        let mut drill = Drill {
            session,
            title,
            mode,
            interview: self.interview_mode,
            think: false,
            input: TextArea::default(),
            step: Step::Typing,
            delays: None,
            error: None,
            notice: None,
            card_started: now,
            card_limit: Duration::seconds(90),
            session_limit: Duration::minutes(i64::from(self.config.session_minutes)),
            over_time: false,
            confidence: None,
            results: Vec::new(),
            pending: None,
            suspended_last: None,
            reveal_scroll: Scroll::default(),
        };
        self.enter_card(&mut drill, now);
        self.drill = Some(drill);
        self.status = None;
        self.screen = Screen::Drill;
    }

    /// Sets up the step and clock for the session's current card.
    pub(super) fn enter_card(&self, drill: &mut Drill, now: DateTime<Utc>) {
        drill.input.clear();
        drill.reveal_scroll.reset();
        drill.over_time = false;
        drill.confidence = None;
        drill.delays = None;
        drill.card_started = now;
        let Some(item) = drill.session.current() else {
            return;
        };
        drill.card_limit =
            Duration::seconds(i64::from(self.config.time_limit_seconds(item.kind())));
        drill.step = match &item.card.body {
            CardBody::Myth(_) => Step::Verdict,
            CardBody::Question(_) if drill.interview => Step::Speaking,
            _ => Step::Typing,
        };
    }

    pub(super) fn on_summary_action(&mut self, action: Option<Action>, now: DateTime<Utc>) {
        match action {
            Some(Action::Finder) => self.open_finder(),
            Some(Action::RetryMisses) => {
                let misses: Vec<DrillItem> = self
                    .drill
                    .as_ref()
                    .map(|d| {
                        d.results
                            .iter()
                            .filter(|r| r.missed())
                            .map(|r| r.item.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                self.start_cram(
                    misses,
                    "Misses again (practice, not scheduled)".to_owned(),
                    now,
                );
            }
            Some(Action::Back) => self.go_home(now),
            Some(Action::Quit) => self.quit = true,
            _ => {}
        }
    }

    pub(super) fn on_drill_key(
        &mut self,
        key: &KeyEvent,
        action: Option<Action>,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let Some(drill) = self.drill.as_mut() else {
            self.screen = Screen::Home;
            return Vec::new();
        };
        let phase = drill.session.phase().clone();
        match (phase, action) {
            (_, Some(Action::Back)) => {
                if self.typed_something() {
                    self.confirm = Some(Confirm::Leave);
                } else {
                    self.go_home(now);
                }
            }
            (Phase::Answering, Some(Action::Reveal)) => self.submit(now),
            (Phase::Answering, Some(Action::Newline)) => drill.input.insert('\n'),
            (Phase::Answering, Some(Action::ToggleThink)) => drill.think = !drill.think,
            (Phase::Answering, Some(Action::SayTrue | Action::SayFalse)) => {
                drill.step = Step::Confidence {
                    said_true: action == Some(Action::SayTrue),
                };
            }
            (Phase::Answering, Some(Action::Sure | Action::Unsure)) => {
                if let Step::Confidence { said_true } = drill.step {
                    drill.confidence = Some(if action == Some(Action::Sure) {
                        Confidence::Sure
                    } else {
                        Confidence::Unsure
                    });
                    drill.input.paste(if said_true { "true" } else { "myth" });
                    self.reveal(now);
                }
            }
            (Phase::Answering, Some(Action::Pick(n))) => self.pick(n, now),
            (Phase::Answering, None) => {
                let choice = drill
                    .session
                    .current()
                    .is_some_and(|i| matches!(i.card.body, CardBody::Choice(_)));
                if uses_text(&drill.step) && !drill.think && !choice {
                    drill.input.handle_key(key);
                }
            }
            (Phase::Revealed { .. }, Some(Action::Grade(rating))) => {
                return self.grade(rating, now);
            }
            (Phase::Revealed { assessment }, Some(Action::AcceptSuggestion)) => {
                return self.accept_suggestion(&assessment, now);
            }
            (Phase::Revealed { .. }, Some(Action::Suspend)) => return self.suspend_current(now),
            (
                Phase::Revealed { .. },
                Some(
                    a @ (Action::Down
                    | Action::Up
                    | Action::PageDown
                    | Action::PageUp
                    | Action::Top
                    | Action::Bottom),
                ),
            ) => {
                drill.reveal_scroll.on_action(a);
            }
            (Phase::Revealed { .. }, Some(Action::Flag)) => {
                if let Some(item) = drill.session.current() {
                    let id = item.id.clone();
                    drill.notice = Some(format!("Flagged {id} for a second look."));
                    self.progress.flags.entry(id.clone()).or_default().flagged = true;
                    return vec![Effect::Flag(id)];
                }
            }
            (Phase::Revealed { .. }, Some(Action::Finder)) => self.open_finder(),
            (Phase::Revealed { .. }, Some(Action::EditHint)) => {
                if let Some(item) = drill.session.current() {
                    let origin = self
                        .library
                        .decks
                        .iter()
                        .find(|d| d.deck.meta.id == item.deck_id)
                        .map_or_else(String::new, |d| d.origin.to_string());
                    drill.notice = Some(format!(
                        "Edit: {origin}, card id `{}` (then `streamdrill deck check`).",
                        item.card.id
                    ));
                }
            }
            (Phase::Answering | Phase::Revealed { .. }, Some(Action::Undo)) => {
                return self.undo(now);
            }
            (Phase::Revealed { .. } | Phase::Finished, Some(Action::Quit)) => self.quit = true,
            (Phase::Finished, Some(Action::Reveal)) => self.screen = Screen::Summary,
            _ => {}
        }
        Vec::new()
    }

    /// `x` on a revealed card: suspend it and move on without a grade.
    fn suspend_current(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(drill) = self.drill.as_mut() else {
            return Vec::new();
        };
        let Some(item) = drill.session.current().cloned() else {
            return Vec::new();
        };
        let id = item.id.clone();
        drill.session.skip(now);
        drill.suspended_last = Some(item);
        self.after_advance(now);
        if let Some(drill) = self.drill.as_mut() {
            drill.notice = Some(format!("Suspended {id}; u brings it back."));
        }
        vec![Effect::SetSuspended {
            item: id,
            suspended: true,
        }]
    }

    /// Undo: the suspension just made, else the last grade of this session.
    fn undo(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(drill) = self.drill.as_mut() else {
            return Vec::new();
        };
        if let Some(item) = drill.suspended_last.take() {
            let id = item.id.clone();
            drill.session.redo(item, now);
            self.enter_current(now);
            if let Some(drill) = self.drill.as_mut() {
                drill.notice = Some(format!("Unsuspended {id}."));
            }
            return vec![Effect::SetSuspended {
                item: id,
                suspended: false,
            }];
        }
        if drill.mode == DrillMode::Scheduled && !drill.results.is_empty() {
            return vec![Effect::UndoLastReview];
        }
        drill.notice = Some("Nothing to undo in this session.".to_owned());
        Vec::new()
    }

    /// Enter while answering: next step, or reveal.
    pub(super) fn submit(&mut self, now: DateTime<Utc>) {
        let Some(drill) = self.drill.as_mut() else {
            return;
        };
        let is_failure = drill
            .session
            .current()
            .is_some_and(|i| matches!(i.card.body, CardBody::Failure(_)));
        let follow_ups = drill.session.current().map_or(0, |i| match &i.card.body {
            CardBody::Question(q) => q.follow_ups.len(),
            _ => 0,
        });
        match drill.step.clone() {
            Step::Typing if is_failure && !drill.think => {
                drill.step = Step::Fix {
                    cause: drill.input.text(),
                };
                drill.input.clear();
            }
            Step::Speaking if follow_ups > 0 => {
                drill.step = Step::FollowUp {
                    index: 0,
                    shown: false,
                };
            }
            Step::FollowUp {
                index,
                shown: false,
            } => {
                drill.step = Step::FollowUp { index, shown: true };
            }
            Step::FollowUp { index, shown: true } if index + 1 < follow_ups => {
                drill.step = Step::FollowUp {
                    index: index + 1,
                    shown: false,
                };
            }
            Step::Verdict | Step::Confidence { .. } => {}
            _ => self.reveal(now),
        }
    }

    pub(super) fn reveal(&mut self, now: DateTime<Utc>) {
        let Some(drill) = self.drill.as_mut() else {
            return;
        };
        let answer = match &drill.step {
            Step::Fix { cause } => format!("Cause: {cause}\nFix: {}", drill.input.text()),
            _ => drill.input.text(),
        };
        drill.session.set_answer(&answer);
        drill.session.reveal();
        let previous = drill
            .session
            .current()
            .and_then(|item| self.progress.states.get(&item.id));
        match self.scheduler.preview(previous, now) {
            Ok(delays) => drill.delays = Some(delays),
            Err(e) => drill.error = Some(e.to_string()),
        }
    }

    /// A choice pick: the `n`th option shown (1-based). A letter past the last option picks
    /// nothing.
    fn pick(&mut self, n: usize, now: DateTime<Utc>) {
        let Some(drill) = self.drill.as_mut() else {
            return;
        };
        let shown = drill
            .session
            .current()
            .map_or(0, |i| i.shown_options().len());
        let letter = n
            .checked_sub(1)
            .filter(|&i| i < shown)
            .and_then(|i| crate::deck::item::CHOICE_LETTERS.get(i));
        if let Some(letter) = letter {
            drill.input.clear();
            drill.input.paste(&letter.to_string());
            self.reveal(now);
        }
    }

    /// Enter on a revealed card: the suggested grade, except that it never fails a card by
    /// itself ("again" is applied only when the learner presses it).
    fn accept_suggestion(
        &mut self,
        assessment: &crate::grading::Assessment,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let Some(drill) = self.drill.as_mut() else {
            return Vec::new();
        };
        match suggested_rating(assessment, drill) {
            Some(Rating::Again) => {
                drill.notice = Some(
                    "Suggested: again. Press 1 to grade it again, or another grade.".to_owned(),
                );
            }
            Some(rating) => return self.grade(rating, now),
            None => {
                drill.notice = Some("No suggestion for this card: grade it with 1-4.".to_owned());
            }
        }
        Vec::new()
    }

    pub(super) fn grade(&mut self, rating: Rating, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(drill) = self.drill.as_mut() else {
            return Vec::new();
        };
        let Some(item) = drill.session.current().cloned() else {
            return Vec::new();
        };
        let correct = match drill.session.phase() {
            Phase::Revealed {
                assessment: crate::grading::Assessment::Verdict { correct },
            } => Some(*correct),
            _ => None,
        };
        let state = match self
            .scheduler
            .review(self.progress.states.get(&item.id), rating, now)
        {
            Ok(state) => state,
            Err(e) => {
                drill.error = Some(e.to_string());
                return Vec::new();
            }
        };
        let Some(review) = drill.session.grade(rating, now) else {
            return Vec::new();
        };
        let result = CardResult {
            item,
            rating,
            correct,
            elapsed_ms: review.duration_ms,
            over_time: drill.over_time,
        };
        if drill.mode == DrillMode::Cram {
            drill.results.push(result);
            drill.session.advance(now);
            self.after_advance(now);
            return Vec::new();
        }
        drill.pending = Some((state, result));
        vec![Effect::SaveReview {
            review,
            state,
            observed: Observations {
                confidence: drill.confidence,
                correct,
            },
        }]
    }

    pub(super) fn on_saved(&mut self, result: Result<ReviewOutcome, String>, now: DateTime<Utc>) {
        let Some(drill) = self.drill.as_mut() else {
            return;
        };
        match result {
            Ok(outcome) => {
                if let Some((state, card)) = drill.pending.take() {
                    let id = card.item.id.clone();
                    let was_new = self.progress.states.insert(id.clone(), state).is_none();
                    // Without a review today the streak counts up to yesterday; today's
                    // first review extends it, as `stats` counts it.
                    if self.progress.reviewed_today.is_empty() {
                        self.streak_days += 1;
                    }
                    self.progress.reviewed_today.insert(id.clone());
                    if let Some(flags) = self.progress.flags.get_mut(&id) {
                        flags.changed = false;
                    }
                    let left = if was_new {
                        &mut self.limits.new_left_today
                    } else {
                        &mut self.limits.reviews_left_today
                    };
                    *left = left.saturating_sub(1);
                    drill.notice = outcome.leech.then(|| {
                        format!(
                            "Leech: {id} was failed {} times and is now suspended. Rewrite it in your own words, then `streamdrill card unsuspend {id}`.",
                            crate::store::LEECH_LAPSES
                        )
                    });
                    drill.results.push(card);
                }
                drill.error = None;
                drill.suspended_last = None;
                drill.session.advance(now);
                self.after_advance(now);
            }
            Err(message) => {
                drill.pending = None;
                drill.error = Some(format!("Could not save the grade: {message}. Grade again."));
                drill.session.retry();
            }
        }
    }

    pub(super) fn on_undone(
        &mut self,
        result: Result<Option<(Review, Option<CardState>)>, String>,
        now: DateTime<Utc>,
    ) {
        let Some(drill) = self.drill.as_mut() else {
            return;
        };
        match result {
            Ok(Some((review, state))) => {
                match state {
                    Some(state) => {
                        self.progress.states.insert(review.item_id.clone(), state);
                    }
                    None => {
                        self.progress.states.remove(&review.item_id);
                    }
                }
                if let Some(position) = drill
                    .results
                    .iter()
                    .rposition(|r| r.item.id == review.item_id)
                {
                    let undone = drill.results.remove(position);
                    drill.session.redo(undone.item, now);
                }
                drill.notice = Some(format!(
                    "Undid the {} grade of {}.",
                    review.rating.name(),
                    review.item_id
                ));
                self.enter_current(now);
            }
            Ok(None) => drill.notice = Some("Nothing to undo.".to_owned()),
            Err(message) => drill.error = Some(format!("Could not undo: {message}")),
        }
    }

    pub(super) fn enter_current(&mut self, now: DateTime<Utc>) {
        if let Some(mut drill) = self.drill.take() {
            self.enter_card(&mut drill, now);
            self.drill = Some(drill);
        }
    }

    /// After a grade: the next card, or the summary when the session is over (all cards done,
    /// or the session's time box used up).
    pub(super) fn after_advance(&mut self, now: DateTime<Utc>) {
        let Some(drill) = self.drill.as_mut() else {
            return;
        };
        if !drill.session.is_finished() && drill.session_remaining(now) <= Duration::zero() {
            drill.session.finish();
            drill.notice = Some("Time box used up: the session ends here.".to_owned());
        }
        if drill.session.is_finished() {
            self.screen = Screen::Summary;
            self.refresh_counts(now);
        } else {
            self.enter_current(now);
        }
    }
}

/// Figures for the session summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub cards: usize,
    /// Share of the cards that were not missed (see [`CardResult::missed`]).
    pub accuracy: Option<f64>,
    pub average_seconds: Option<f64>,
    pub over_time: usize,
    pub misses: usize,
    /// Tags of the missed cards, most frequent first.
    pub weakest_tags: Vec<(String, usize)>,
}

pub fn summarize(results: &[CardResult]) -> Summary {
    let cards = results.len();
    let misses = results.iter().filter(|r| r.missed()).count();
    let mut tags: BTreeMap<&str, usize> = BTreeMap::new();
    for r in results.iter().filter(|r| r.missed()) {
        for tag in &r.item.card.tags {
            *tags.entry(tag).or_default() += 1;
        }
    }
    let mut weakest_tags: Vec<(String, usize)> =
        tags.into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
    weakest_tags.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    weakest_tags.truncate(5);
    Summary {
        cards,
        accuracy: (cards > 0).then(|| (cards - misses) as f64 / cards as f64),
        average_seconds: (cards > 0).then(|| {
            results.iter().map(|r| r.elapsed_ms).sum::<u64>() as f64 / cards as f64 / 1000.0
        }),
        over_time: results.iter().filter(|r| r.over_time).count(),
        misses,
        weakest_tags,
    }
}

/// The grade to suggest for the drill's current card: from the answer's check and how it was
/// given (none in think or interview mode, at most "hard" when the clock ran out).
pub fn suggested_rating(assessment: &crate::grading::Assessment, drill: &Drill) -> Option<Rating> {
    let circumstances = crate::grading::Circumstances {
        over_time: drill.over_time,
        think: drill.think,
        interview: drill.interview,
    };
    Rating::from_number(assessment.suggested_rating(circumstances)?)
}

/// Kinds whose cards use the text area.
pub fn uses_text(step: &Step) -> bool {
    matches!(step, Step::Typing | Step::Fix { .. })
}
