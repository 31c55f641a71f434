//! The TUI as a state machine: `update(msg, now)` changes the state and returns effects for the
//! shell to carry out. It never touches the terminal, the database or the clock.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keys::{self, Action};
use crate::deck::item::draw_all;
use crate::deck::{Diagnostic, Library};
use crate::queue::{Limits, Progress, build_queue};
use crate::scheduler::{CardState, Rating, Scheduler};
use crate::session::{Phase, Session};
use crate::stats::{DeckStats, deck_stats};
use crate::store::{Review, ReviewOutcome};

/// Cards per session unless the user asks for another number.
pub const SESSION_LIMIT_DEFAULT: usize = 20;

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// The shell's answer to [`Effect::SaveReview`].
    Saved(Result<ReviewOutcome, String>),
    /// The terminal was resized; the next draw uses the new size.
    Resize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Make this review durable, then send back [`Msg::Saved`].
    SaveReview { review: Review, state: CardState },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Home,
    Drill,
}

#[derive(Debug)]
pub struct Drill {
    pub session: Session,
    /// What is being drilled: a deck title or "All decks".
    pub title: String,
    /// Time until the current item returns, per rating; known once revealed.
    pub delays: Option<[Duration; 4]>,
    pub error: Option<String>,
    pending_state: Option<CardState>,
}

#[derive(Debug)]
pub struct App {
    pub screen: Screen,
    pub selected: usize,
    pub drill: Option<Drill>,
    pub decks: Vec<DeckStats>,
    pub problems: Vec<Diagnostic>,
    pub status: Option<String>,
    pub quit: bool,
    library: Library,
    progress: Progress,
    scheduler: Scheduler,
    limits: Limits,
    /// Seeds the values drawn for calc cards; each session gets its own.
    seed: u64,
    sessions_started: u64,
}

impl App {
    pub fn new(
        library: Library,
        progress: Progress,
        scheduler: Scheduler,
        now: DateTime<Utc>,
    ) -> Self {
        let problems = library.problems.clone();
        let mut app = Self {
            screen: Screen::Home,
            selected: 0,
            drill: None,
            decks: Vec::new(),
            problems,
            status: None,
            quit: false,
            library,
            progress,
            scheduler,
            limits: Limits::unlimited(SESSION_LIMIT_DEFAULT),
            seed: 0,
            sessions_started: 0,
        };
        app.refresh_counts(now);
        app
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = Limits {
            session_cards: limits.session_cards.max(1),
            ..limits
        };
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Opens straight into a drill (for `streamdrill drill`).
    pub fn start_drill(&mut self, deck_id: Option<&str>, now: DateTime<Utc>) {
        let title = if let Some(id) = deck_id {
            let Some(deck) = self.library.deck(id) else {
                self.status = Some(format!("No deck with id `{id}`."));
                return;
            };
            deck.meta.title.clone()
        } else {
            "All decks".to_owned()
        };
        let queue = build_queue(
            self.library.items(deck_id),
            &self.progress,
            &self.scheduler,
            now,
            self.limits,
        );
        self.sessions_started += 1;
        let items = draw_all(queue, self.seed.wrapping_add(self.sessions_started));
        if items.is_empty() {
            self.status = Some(format!(
                "{title}: nothing due and nothing new. Come back later."
            ));
            return;
        }
        self.status = None;
        self.drill = Some(Drill {
            session: Session::new(items, now),
            title,
            delays: None,
            error: None,
            pending_state: None,
        });
        self.screen = Screen::Drill;
    }

    /// The card's text changed since it was last reviewed.
    pub fn is_changed(&self, item_id: &str) -> bool {
        self.progress.flags.get(item_id).is_some_and(|f| f.changed)
    }

    /// Rows of the home list: "All decks" first, then each deck.
    pub fn home_rows(&self) -> usize {
        self.decks.len() + 1
    }

    fn refresh_counts(&mut self, now: DateTime<Utc>) {
        self.decks = deck_stats(&self.library, &self.progress, now);
        self.selected = self.selected.min(self.home_rows().saturating_sub(1));
    }

    pub fn update(&mut self, msg: Msg, now: DateTime<Utc>) -> Vec<Effect> {
        match msg {
            Msg::Resize => Vec::new(),
            Msg::Saved(result) => {
                self.on_saved(result, now);
                Vec::new()
            }
            Msg::Key(key) => self.on_key(&key, now),
        }
    }

    fn on_key(&mut self, key: &KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
        match self.screen {
            Screen::Home => {
                self.on_home_key(key, now);
                Vec::new()
            }
            Screen::Drill => self.on_drill_key(key, now),
        }
    }

    fn on_home_key(&mut self, key: &KeyEvent, now: DateTime<Utc>) {
        match keys::lookup(keys::HOME, key) {
            Some(Action::Down) => self.selected = (self.selected + 1) % self.home_rows(),
            Some(Action::Up) => {
                self.selected = (self.selected + self.home_rows() - 1) % self.home_rows();
            }
            Some(Action::StartSelected) => {
                let deck = self
                    .selected
                    .checked_sub(1)
                    .and_then(|i| self.decks.get(i))
                    .map(|d| d.id.clone());
                self.start_drill(deck.as_deref(), now);
            }
            Some(Action::StartAll) => self.start_drill(None, now),
            Some(Action::Quit | Action::ForceQuit) => self.quit = true,
            _ => {}
        }
    }

    /// The keymap in force on the drill screen, which depends on the session's phase.
    pub fn drill_keymap(&self) -> &'static [keys::Binding] {
        match self.drill.as_ref().map(|d| d.session.phase()) {
            Some(Phase::Answering) => keys::ANSWERING,
            Some(Phase::Revealed { .. } | Phase::Saving { .. }) => keys::REVEALED,
            Some(Phase::Finished) | None => keys::FINISHED,
        }
    }

    fn on_drill_key(&mut self, key: &KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
        let action = keys::lookup(self.drill_keymap(), key);
        let Some(drill) = self.drill.as_mut() else {
            self.screen = Screen::Home;
            return Vec::new();
        };
        match (drill.session.phase().clone(), action) {
            (_, Some(Action::ForceQuit))
            | (Phase::Revealed { .. } | Phase::Finished, Some(Action::Quit)) => self.quit = true,
            (Phase::Answering, Some(Action::Reveal)) => {
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
            (_, Some(Action::Back)) => self.go_home(now),
            (Phase::Answering, None) => type_into(&mut drill.session, key),
            (Phase::Revealed { .. }, Some(Action::Grade(rating))) => {
                return self.grade(rating, now);
            }
            _ => {}
        }
        Vec::new()
    }

    fn grade(&mut self, rating: Rating, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(drill) = self.drill.as_mut() else {
            return Vec::new();
        };
        let Some(item_id) = drill.session.current().map(|i| i.id.clone()) else {
            return Vec::new();
        };
        let state = match self
            .scheduler
            .review(self.progress.states.get(&item_id), rating, now)
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
        drill.pending_state = Some(state);
        vec![Effect::SaveReview { review, state }]
    }

    fn on_saved(&mut self, result: Result<ReviewOutcome, String>, now: DateTime<Utc>) {
        let Some(drill) = self.drill.as_mut() else {
            return;
        };
        match result {
            Ok(outcome) => {
                if let (Some(item), Some(state)) =
                    (drill.session.current(), drill.pending_state.take())
                {
                    let was_new = self
                        .progress
                        .states
                        .insert(item.id.clone(), state)
                        .is_none();
                    self.progress.reviewed_today.insert(item.id.clone());
                    if let Some(flags) = self.progress.flags.get_mut(&item.id) {
                        flags.changed = false;
                    }
                    let left = if was_new {
                        &mut self.limits.new_left_today
                    } else {
                        &mut self.limits.reviews_left_today
                    };
                    *left = left.saturating_sub(1);
                    if outcome.leech {
                        self.status = Some(format!(
                            "Leech: {} was failed {} times and is now suspended. Rewrite it in your own words, then `streamdrill card unsuspend {}`.",
                            item.id,
                            crate::store::LEECH_LAPSES,
                            item.id
                        ));
                    }
                }
                drill.error = None;
                drill.delays = None;
                drill.session.advance(now);
            }
            Err(message) => {
                drill.pending_state = None;
                drill.error = Some(format!("Could not save the grade: {message}. Grade again."));
                drill.session.retry();
            }
        }
    }

    fn go_home(&mut self, now: DateTime<Utc>) {
        // A grade still being saved keeps the drill alive until the shell answers.
        if let Some(drill) = &self.drill
            && matches!(drill.session.phase(), Phase::Saving { .. })
        {
            return;
        }
        if let Some(drill) = &self.drill {
            let reviewed = drill.session.reviewed();
            self.status = Some(format!("Session over: {reviewed} reviewed."));
        }
        self.drill = None;
        self.screen = Screen::Home;
        self.refresh_counts(now);
    }
}

fn type_into(session: &mut Session, key: &KeyEvent) {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            session.type_char(c);
        }
        KeyCode::Backspace => session.backspace(),
        _ => {}
    }
}
