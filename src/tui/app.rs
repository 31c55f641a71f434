//! The TUI as a state machine: `update(msg, now)` changes the state and returns effects for the
//! shell to carry out. It never touches the terminal, the database or the clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::KeyEvent;

use super::keys::{self, Action, Binding};
use super::textarea::TextArea;
use super::theme::Theme;
use crate::config::Config;
use crate::deck::item::draw_all;
use crate::deck::{CardBody, Diagnostic, DrillItem, Library, Scope};
use crate::queue::{Limits, Progress, build_queue};
use crate::scheduler::{CardState, Rating, Scheduler};
use crate::session::{Phase, Session};
use crate::stats::{DeckStats, TagStats, deck_stats, tag_stats};
use crate::store::{Confidence, Observations, Review, ReviewOutcome};

/// Cards per session unless the config says otherwise.
pub const SESSION_LIMIT_DEFAULT: usize = 20;

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    /// Time passed; timers may have run out.
    Tick,
    /// The shell's answer to [`Effect::SaveReview`].
    Saved(Result<ReviewOutcome, String>),
    /// The shell's answer to [`Effect::UndoLastReview`]: the review undone and the item's state
    /// after it (none when it is new again).
    Undone(Result<Option<(Review, Option<CardState>)>, String>),
    /// The shell's answer to [`Effect::LoadStats`].
    StatsLoaded(Result<crate::stats::StoreFigures, String>, DateTime<Utc>),
    /// An effect failed; the message says what did not happen.
    Failed(String),
    /// A left click at (column, row).
    Click(u16, u16),
    /// The terminal was resized; the next draw uses the new size.
    Resize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Make this review durable, then send back [`Msg::Saved`].
    SaveReview {
        review: Review,
        state: CardState,
        observed: Observations,
    },
    /// Remove the last review from the store, then send back [`Msg::Undone`].
    UndoLastReview,
    Suspend(String),
    Flag(String),
    /// Make this plan the schedule until the interview.
    SavePlan(crate::store::SavedPlan),
    /// Store a finished lab run.
    SaveLabResult(crate::store::LabResult),
    /// Gather the store's figures for the stats screen, then send back [`Msg::StatsLoaded`].
    LoadStats {
        day_start_hour: u8,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Home,
    Drill,
    Summary,
    /// The configuration in force, and the plan toward an interview date.
    Settings,
    Stats,
    Finder,
    /// The list of labs.
    Labs,
    /// A lab running live.
    Lab,
}

/// What the home list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeList {
    Decks,
    Tags,
}

/// The lab screen's state: the live engine run and the console line.
#[derive(Debug)]
pub struct LabScreen {
    pub live: crate::labs::live::LiveLab,
    pub input: TextArea,
    pub paused: bool,
    /// Virtual seconds per real second.
    pub speed: u64,
    pub hint: Option<String>,
    /// The result was handed to the shell to store.
    pub saved: bool,
}

/// Virtual-time speeds the lab screen cycles through.
pub const LAB_SPEEDS: [u64; 3] = [1, 10, 60];

/// The settings screen's interview planner.
#[derive(Debug, Default)]
pub struct PlanForm {
    pub date: TextArea,
    pub minutes: TextArea,
    /// Which field takes typing: 0 date, 1 minutes.
    pub field: usize,
    pub result: Option<Result<(chrono::NaiveDate, crate::planner::Plan), String>>,
}

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
    pub session_started: DateTime<Utc>,
    pub session_limit: Duration,
    pub over_time: bool,
    pub confidence: Option<Confidence>,
    pub results: Vec<CardResult>,
    pending: Option<(CardState, CardResult)>,
}

impl Drill {
    pub fn card_remaining(&self, now: DateTime<Utc>) -> Duration {
        (self.card_started + self.card_limit - now).max(Duration::zero())
    }

    pub fn session_remaining(&self, now: DateTime<Utc>) -> Duration {
        (self.session_started + self.session_limit - now).max(Duration::zero())
    }

    fn answering(&self) -> bool {
        matches!(self.session.phase(), Phase::Answering)
    }
}

/// What a mouse click on a region does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Click {
    HomeRow(usize),
    LabRow(usize),
    Grade(Rating),
}

/// A question before something is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Quit while an answer is typed.
    Quit,
    /// Leave the drill while an answer is typed.
    Leave,
}

#[derive(Debug)]
#[allow(clippy::struct_excessive_bools)] // independent switches of the interface
pub struct App {
    pub screen: Screen,
    pub selected: usize,
    pub drill: Option<Drill>,
    pub decks: Vec<DeckStats>,
    pub tags: Vec<TagStats>,
    pub home_list: HomeList,
    pub problems: Vec<Diagnostic>,
    pub status: Option<String>,
    pub help: bool,
    pub confirm: Option<Confirm>,
    pub interview_mode: bool,
    pub theme: Theme,
    pub streak_days: u32,
    pub plan_form: PlanForm,
    pub stats: Option<Result<crate::stats::Stats, String>>,
    /// Clickable regions of the last frame drawn, and what a click there does. The view
    /// records them while drawing; nothing else reads them but a mouse click.
    pub hitboxes: std::cell::RefCell<Vec<(ratatui::layout::Rect, Click)>>,
    pub finder: Option<super::finder::Finder>,
    /// Where the finder returns to.
    finder_return: Screen,
    /// Grades of a finder session count for scheduling (off: practice only).
    pub finder_schedules: bool,
    pub labs: Vec<crate::labs::Lab>,
    pub lab_selected: usize,
    pub lab: Option<LabScreen>,
    /// Labs passed at least once, by lab id (from the store, then from this run).
    pub labs_done: std::collections::BTreeSet<String>,
    /// The plan in force, if any (shown on the settings screen).
    pub active_plan: Option<crate::store::SavedPlan>,
    pub quit: bool,
    /// The current time as of the last message, for drawing clocks.
    pub now: DateTime<Utc>,
    library: Library,
    progress: Progress,
    scheduler: Scheduler,
    limits: Limits,
    config: Config,
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
            tags: Vec::new(),
            home_list: HomeList::Decks,
            problems,
            status: None,
            help: false,
            confirm: None,
            interview_mode: false,
            theme: Theme::default(),
            streak_days: 0,
            plan_form: PlanForm::default(),
            stats: None,
            hitboxes: std::cell::RefCell::new(Vec::new()),
            finder: None,
            finder_return: Screen::Home,
            finder_schedules: false,
            labs: crate::labs::bundled::labs().unwrap_or_default(),
            lab_selected: 0,
            lab: None,
            labs_done: std::collections::BTreeSet::new(),
            active_plan: None,
            quit: false,
            now,
            library,
            progress,
            scheduler,
            limits: Limits::unlimited(SESSION_LIMIT_DEFAULT),
            config: Config::default(),
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

    /// Time limits, session length and theme come from the config.
    pub fn with_config(mut self, config: Config, no_color: bool) -> Self {
        self.theme = Theme::new(config.theme, no_color);
        self.config = config;
        self
    }

    pub fn with_theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }

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

    fn begin(&mut self, items: Vec<DrillItem>, title: String, mode: DrillMode, now: DateTime<Utc>) {
        self.sessions_started += 1;
        let items = draw_all(items, self.seed.wrapping_add(self.sessions_started));
        let session = Session::new(items, now);
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
            session_started: now,
            session_limit: Duration::minutes(i64::from(self.config.session_minutes)),
            over_time: false,
            confidence: None,
            results: Vec::new(),
            pending: None,
        };
        self.enter_card(&mut drill, now);
        self.drill = Some(drill);
        self.status = None;
        self.screen = Screen::Drill;
    }

    /// Sets up the step and clock for the session's current card.
    fn enter_card(&self, drill: &mut Drill, now: DateTime<Utc>) {
        drill.input.clear();
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

    /// Rows of the home list: "All decks" first, then each deck; or each tag.
    pub fn home_rows(&self) -> usize {
        match self.home_list {
            HomeList::Decks => self.decks.len() + 1,
            HomeList::Tags => self.tags.len(),
        }
    }

    /// The scope of the selected home row.
    fn selected_scope(&self) -> Option<Scope> {
        match self.home_list {
            HomeList::Decks => Some(match self.selected.checked_sub(1) {
                None => Scope::All,
                Some(i) => Scope::Deck(self.decks.get(i)?.id.clone()),
            }),
            HomeList::Tags => Some(Scope::Tag(self.tags.get(self.selected)?.tag.clone())),
        }
    }

    /// Items reviewed since the study day started.
    pub fn reviewed_today(&self) -> usize {
        self.progress.reviewed_today.len()
    }

    pub fn new_left_today(&self) -> usize {
        self.limits.new_left_today
    }

    pub fn with_plan(mut self, plan: Option<crate::store::SavedPlan>) -> Self {
        self.active_plan = plan;
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn with_lab_results(mut self, summaries: &[crate::store::LabSummary]) -> Self {
        self.labs_done = summaries
            .iter()
            .filter(|s| s.passed > 0)
            .map(|s| s.lab_id.clone())
            .collect();
        self
    }

    /// (passed, related) labs for a deck (labs whose cards are in it), or for all decks.
    pub fn labs_passed(&self, deck_id: Option<&str>) -> (usize, usize) {
        let related = self.labs.iter().filter(|lab| {
            deck_id.is_none_or(|deck| {
                lab.cards
                    .iter()
                    .any(|card| card.split('/').next() == Some(deck))
            })
        });
        related.fold((0, 0), |(passed, total), lab| {
            (
                passed + usize::from(self.labs_done.contains(&lab.id)),
                total + 1,
            )
        })
    }

    pub fn with_streak(mut self, days: u32) -> Self {
        self.streak_days = days;
        self
    }

    /// The card's text changed since it was last reviewed.
    pub fn is_changed(&self, item_id: &str) -> bool {
        self.progress.flags.get(item_id).is_some_and(|f| f.changed)
    }

    fn refresh_counts(&mut self, now: DateTime<Utc>) {
        self.decks = deck_stats(&self.library, &self.progress, now);
        self.tags = tag_stats(&self.library, &self.progress, now);
        self.selected = self.selected.min(self.home_rows().saturating_sub(1));
    }

    /// A fresh run of `lab`, from its setup, at 10x.
    fn open_lab(&mut self, lab: crate::labs::Lab) {
        self.lab = Some(LabScreen {
            live: crate::labs::live::LiveLab::new(lab, self.seed),
            input: TextArea::default(),
            paused: false,
            speed: LAB_SPEEDS[1],
            hint: None,
            saved: false,
        });
        self.screen = Screen::Lab;
    }

    fn on_lab_list_action(&mut self, action: Option<Action>) {
        let count = self.labs.len().max(1);
        match action {
            Some(Action::Down) => self.lab_selected = (self.lab_selected + 1) % count,
            Some(Action::Up) => self.lab_selected = (self.lab_selected + count - 1) % count,
            Some(Action::StartSelected) => {
                if let Some(lab) = self.labs.get(self.lab_selected).cloned() {
                    self.open_lab(lab);
                }
            }
            Some(Action::Back) => self.screen = Screen::Home,
            Some(Action::Quit) => self.quit = true,
            _ => {}
        }
    }

    fn on_lab_key(
        &mut self,
        key: &KeyEvent,
        action: Option<Action>,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let Some(lab) = self.lab.as_mut() else {
            self.screen = Screen::Labs;
            return Vec::new();
        };
        match action {
            Some(Action::Back) => {
                self.screen = Screen::Labs;
                return Vec::new();
            }
            Some(Action::Reveal) => {
                let command = lab.input.text();
                lab.input.clear();
                lab.live.command(&command);
            }
            Some(Action::TogglePause) => lab.paused = !lab.paused,
            Some(Action::Faster) => {
                let i = LAB_SPEEDS.iter().position(|s| *s == lab.speed).unwrap_or(0);
                lab.speed = LAB_SPEEDS[(i + 1) % LAB_SPEEDS.len()];
            }
            Some(Action::Step) => lab.live.advance(crate::engine::SimDuration::from_secs(10)),
            Some(Action::Restart) => {
                let fresh = lab.live.lab.clone();
                self.open_lab(fresh);
                return Vec::new();
            }
            Some(Action::NextHint) => {
                lab.hint = Some(
                    lab.live
                        .next_hint()
                        .map_or_else(|| "No more hints.".to_owned(), str::to_owned),
                );
            }
            _ => {
                lab.input.handle_key(key);
            }
        }
        self.lab_finished(now)
    }

    /// Once a run is over, its result goes to the store (once).
    fn lab_finished(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(lab) = self.lab.as_mut() else {
            return Vec::new();
        };
        if !lab.live.finished() || lab.saved {
            return Vec::new();
        }
        lab.saved = true;
        let passed = lab.live.outcomes().iter().all(|o| o.met);
        if passed {
            self.labs_done.insert(lab.live.lab.id.clone());
        }
        vec![Effect::SaveLabResult(crate::store::LabResult {
            lab_id: lab.live.lab.id.clone(),
            finished_at: now,
            passed,
            commands: lab.live.commands_used,
            hints: u32::try_from(lab.live.hints_shown).unwrap_or(u32::MAX),
        })]
    }

    /// When the shell should wake the app without input: each second while a clock is shown.
    pub fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.screen == Screen::Lab
            && let Some(lab) = &self.lab
            && !lab.paused
            && !lab.live.finished()
        {
            return Some(now + Duration::seconds(1));
        }
        let drill = self
            .drill
            .as_ref()
            .filter(|_| self.screen == Screen::Drill)?;
        if !drill.answering() {
            return None;
        }
        let millis = now.timestamp_subsec_millis();
        Some(now + Duration::milliseconds(i64::from(1000 - millis.min(999))))
    }

    /// The keymap in force, which also feeds the hint bar and the help overlay.
    pub fn keymap(&self) -> &'static [Binding] {
        if self.confirm.is_some() {
            return keys::CONFIRM;
        }
        match self.screen {
            Screen::Home => keys::HOME,
            Screen::Summary => keys::SUMMARY,
            Screen::Settings => keys::SETTINGS,
            Screen::Stats => keys::STATS,
            Screen::Finder => keys::FINDER,
            Screen::Labs => keys::LAB_LIST,
            Screen::Lab => keys::LAB,
            Screen::Drill => self.drill_keymap(),
        }
    }

    pub fn drill_keymap(&self) -> &'static [Binding] {
        let Some(drill) = &self.drill else {
            return keys::FINISHED;
        };
        match drill.session.phase() {
            Phase::Answering => match drill.step {
                Step::Typing
                    if drill
                        .session
                        .current()
                        .is_some_and(|i| matches!(i.card.body, CardBody::Choice(_))) =>
                {
                    keys::CHOOSING
                }
                Step::Typing | Step::Fix { .. } => keys::ANSWERING,
                Step::Verdict => keys::VERDICT,
                Step::Confidence { .. } => keys::CONFIDENCE,
                Step::Speaking => keys::SPEAKING,
                Step::FollowUp { .. } => keys::FOLLOW_UP,
            },
            Phase::Revealed { .. } | Phase::Saving { .. } => keys::REVEALED,
            Phase::Finished => keys::FINISHED,
        }
    }

    pub fn update(&mut self, msg: Msg, now: DateTime<Utc>) -> Vec<Effect> {
        self.now = now;
        match msg {
            Msg::Click(column, row) if self.confirm.is_none() && !self.help => {
                self.click(column, row, now)
            }
            Msg::Resize | Msg::Click(..) => Vec::new(),
            Msg::StatsLoaded(result, day_start) => {
                self.stats = Some(result.map(|figures| {
                    crate::stats::stats(&self.library, &self.progress, &figures, now, day_start)
                }));
                Vec::new()
            }
            Msg::Failed(message) => {
                let message = format!("Not saved: {message}");
                match self.drill.as_mut() {
                    Some(drill) => drill.error = Some(message),
                    None => self.status = Some(message),
                }
                Vec::new()
            }
            Msg::Tick => {
                if self.screen == Screen::Lab
                    && let Some(lab) = self.lab.as_mut()
                    && !lab.paused
                {
                    lab.live
                        .advance(crate::engine::SimDuration::from_secs(lab.speed));
                    return self.lab_finished(now);
                }
                self.on_tick(now);
                Vec::new()
            }
            Msg::Saved(result) => {
                self.on_saved(result, now);
                Vec::new()
            }
            Msg::Undone(result) => {
                self.on_undone(result, now);
                Vec::new()
            }
            Msg::Paste(text) => {
                if let Some(drill) = self.drill.as_mut()
                    && self.screen == Screen::Drill
                    && drill.answering()
                    && matches!(drill.step, Step::Typing | Step::Fix { .. })
                    && !drill.think
                {
                    drill.input.paste(&text);
                }
                Vec::new()
            }
            Msg::Key(key) => self.on_key(&key, now),
        }
    }

    fn on_tick(&mut self, now: DateTime<Utc>) {
        let Some(drill) = self.drill.as_mut() else {
            return;
        };
        if drill.answering() && !drill.over_time && drill.card_remaining(now) <= Duration::zero() {
            // Time is up: the card is revealed and counted as over time.
            drill.over_time = true;
            self.reveal(now);
        }
    }

    fn on_key(&mut self, key: &KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
        if let Some(confirm) = self.confirm {
            match keys::lookup(keys::CONFIRM, key) {
                Some(Action::Yes) => {
                    self.confirm = None;
                    match confirm {
                        Confirm::Quit => self.quit = true,
                        Confirm::Leave => self.go_home(now),
                    }
                }
                Some(Action::No | Action::Back) => self.confirm = None,
                _ => {}
            }
            return Vec::new();
        }
        let action = keys::lookup(self.keymap(), key);
        if self.help {
            // Any key closes help; its own key is not acted on again.
            self.help = false;
            return Vec::new();
        }
        match action {
            Some(Action::Help) => {
                self.help = true;
                return Vec::new();
            }
            Some(Action::ForceQuit) => {
                self.request_quit();
                return Vec::new();
            }
            _ => {}
        }
        match self.screen {
            Screen::Home => {
                if action == Some(Action::Stats) {
                    self.stats = None;
                    self.screen = Screen::Stats;
                    return vec![Effect::LoadStats {
                        day_start_hour: self.config.day_start_hour,
                    }];
                }
                self.on_home_action(action, now);
                Vec::new()
            }
            Screen::Summary => {
                self.on_summary_action(action, now);
                Vec::new()
            }
            Screen::Settings => self.on_settings_key(key, action, now),
            Screen::Stats => {
                match action {
                    Some(Action::Back) => self.screen = Screen::Home,
                    Some(Action::Finder) => self.open_finder(),
                    Some(Action::Quit) => self.quit = true,
                    _ => {}
                }
                Vec::new()
            }
            Screen::Finder => self.on_finder_key(key, now),
            Screen::Labs => {
                self.on_lab_list_action(action);
                Vec::new()
            }
            Screen::Lab => self.on_lab_key(key, action, now),
            Screen::Drill => self.on_drill_key(key, action, now),
        }
    }

    fn typed_something(&self) -> bool {
        self.drill.as_ref().is_some_and(|d| {
            d.answering() && (!d.input.is_empty() || matches!(d.step, Step::Fix { .. }))
        })
    }

    fn request_quit(&mut self) {
        if self.screen == Screen::Drill && self.typed_something() {
            self.confirm = Some(Confirm::Quit);
        } else {
            self.quit = true;
        }
    }

    fn open_finder(&mut self) {
        let entries = self
            .library
            .items(None)
            .into_iter()
            .map(|item| super::finder::FinderEntry {
                kind: item.kind(),
                deck_title: item.deck_title.clone(),
                prompt: item.prompt(),
                answer: item.model_answer(),
                tags: item.card.tags.clone(),
                item_id: item.id,
            })
            .collect();
        self.finder_return = if self.screen == Screen::Finder {
            Screen::Home
        } else {
            self.screen
        };
        self.finder = Some(super::finder::Finder::new(entries));
        self.screen = Screen::Finder;
    }

    fn on_finder_key(&mut self, key: &KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
        if keys::lookup(keys::FINDER, key) == Some(Action::ToggleScheduling) {
            self.finder_schedules = !self.finder_schedules;
            return Vec::new();
        }
        let Some(finder) = self.finder.as_mut() else {
            self.screen = Screen::Home;
            return Vec::new();
        };
        match finder.handle_key(key) {
            super::finder::FinderAction::None => {}
            super::finder::FinderAction::Close => self.screen = self.finder_return,
            super::finder::FinderAction::DrillThese(ids) => {
                // In the finder's order (best match first), at most a few sessions' worth.
                let mut by_id: std::collections::HashMap<String, DrillItem> = self
                    .library
                    .items(None)
                    .into_iter()
                    .map(|i| (i.id.clone(), i))
                    .collect();
                let items: Vec<DrillItem> = ids
                    .iter()
                    .filter_map(|id| by_id.remove(id))
                    .take(self.config.session_cards.max(1) as usize * 5)
                    .collect();
                self.finder = None;
                if !self.finder_schedules {
                    self.start_cram(
                        items,
                        "Finder results (practice, not scheduled)".to_owned(),
                        now,
                    );
                } else if items.is_empty() {
                    self.status = Some("Nothing to drill.".to_owned());
                } else {
                    self.begin(
                        items,
                        "Finder results (scheduled)".to_owned(),
                        DrillMode::Scheduled,
                        now,
                    );
                }
            }
        }
        Vec::new()
    }

    fn on_home_action(&mut self, action: Option<Action>, now: DateTime<Utc>) {
        match action {
            Some(Action::Finder) => self.open_finder(),
            Some(Action::Down) => self.selected = (self.selected + 1) % self.home_rows().max(1),
            Some(Action::Up) => {
                let rows = self.home_rows().max(1);
                self.selected = (self.selected + rows - 1) % rows;
            }
            Some(Action::StartSelected) => {
                if let Some(scope) = self.selected_scope() {
                    self.start_drill(&scope, now);
                }
            }
            Some(Action::StartAll) => self.start_drill(&Scope::All, now),
            Some(Action::ToggleTags) => {
                self.home_list = match self.home_list {
                    HomeList::Decks => HomeList::Tags,
                    HomeList::Tags => HomeList::Decks,
                };
                self.selected = 0;
            }
            Some(Action::ToggleInterview) => {
                self.interview_mode = !self.interview_mode;
                self.status = Some(if self.interview_mode {
                    "Interview mode on: answer questions out loud against the clock, then the follow-ups.".to_owned()
                } else {
                    "Interview mode off.".to_owned()
                });
            }
            Some(Action::Settings) => {
                if self.plan_form.minutes.is_empty() {
                    self.plan_form.minutes.paste("20");
                }
                self.screen = Screen::Settings;
            }
            Some(Action::Labs) => self.screen = Screen::Labs,
            Some(Action::Quit) => self.quit = true,
            _ => {}
        }
    }

    fn on_settings_key(
        &mut self,
        key: &KeyEvent,
        action: Option<Action>,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        match action {
            Some(Action::Back) => self.screen = Screen::Home,
            Some(Action::NextField) => self.plan_form.field = (self.plan_form.field + 1) % 2,
            Some(Action::Reveal) => self.run_planner(now),
            Some(Action::ApplyPlan) => {
                if let Some(Ok((date, plan))) = &self.plan_form.result {
                    let saved = crate::store::SavedPlan {
                        interview_date: *date,
                        desired_retention: plan.desired_retention,
                        new_per_day: u32::try_from(plan.new_per_day).unwrap_or(u32::MAX),
                        minutes_per_day: self
                            .plan_form
                            .minutes
                            .text()
                            .trim()
                            .parse()
                            .unwrap_or(20.0),
                        created_at: now,
                    };
                    if let Ok(scheduler) = Scheduler::with_parameters(
                        self.scheduler.parameters(),
                        plan.desired_retention,
                    ) {
                        self.scheduler = scheduler;
                    }
                    self.config.desired_retention = plan.desired_retention;
                    self.config.new_per_day = saved.new_per_day;
                    self.active_plan = Some(saved.clone());
                    self.status = Some(format!(
                        "Plan applied: {} new cards a day at retention {:.2} until {date}.",
                        plan.new_per_day, plan.desired_retention
                    ));
                    return vec![Effect::SavePlan(saved)];
                }
            }
            _ => {
                let field = if self.plan_form.field == 0 {
                    &mut self.plan_form.date
                } else {
                    &mut self.plan_form.minutes
                };
                if let crossterm::event::KeyCode::Char(c) = key.code
                    && !(c.is_ascii_digit() || c == '-' || c == '.')
                {
                    return Vec::new();
                }
                field.handle_key(key);
            }
        }
        Vec::new()
    }

    /// Runs the planner on the library and progress in memory (pure), for the settings screen.
    fn run_planner(&mut self, now: DateTime<Utc>) {
        let date_text = self.plan_form.date.text();
        let Ok(date) = date_text.trim().parse::<chrono::NaiveDate>() else {
            self.plan_form.result = Some(Err(format!(
                "`{}` is not a date: write YYYY-MM-DD",
                date_text.trim()
            )));
            return;
        };
        let minutes: f32 = self.plan_form.minutes.text().trim().parse().unwrap_or(0.0);
        let today = now.date_naive();
        let days = usize::try_from((date - today).num_days() + 1).unwrap_or(0);
        let cards = crate::planner::plan_cards(&self.library, &self.progress);
        let input = crate::planner::PlanInput {
            now,
            days,
            minutes_per_day: minutes,
            seconds_per_review: None,
            parameters: self.scheduler.parameters().to_vec(),
            cards,
        };
        self.plan_form.result = Some(
            crate::planner::plan(&input)
                .map(|plan| (date, plan))
                .map_err(|e| e.to_string()),
        );
    }

    /// A left click at (column, row) on the last frame drawn.
    pub fn click(&mut self, column: u16, row: u16, now: DateTime<Utc>) -> Vec<Effect> {
        let position = ratatui::layout::Position::new(column, row);
        let hit = self
            .hitboxes
            .borrow()
            .iter()
            .find(|(area, _)| area.contains(position))
            .map(|(_, click)| *click);
        match hit {
            Some(Click::HomeRow(index))
                if self.screen == Screen::Home && index < self.home_rows() =>
            {
                if self.selected == index {
                    self.on_home_action(Some(Action::StartSelected), now);
                } else {
                    self.selected = index;
                }
                Vec::new()
            }
            Some(Click::LabRow(index))
                if self.screen == Screen::Labs && index < self.labs.len() =>
            {
                if self.lab_selected == index {
                    self.on_lab_list_action(Some(Action::StartSelected));
                } else {
                    self.lab_selected = index;
                }
                Vec::new()
            }
            Some(Click::Grade(rating))
                if self.screen == Screen::Drill
                    && self
                        .drill
                        .as_ref()
                        .is_some_and(|d| matches!(d.session.phase(), Phase::Revealed { .. })) =>
            {
                self.grade(rating, now)
            }
            _ => Vec::new(),
        }
    }

    fn on_summary_action(&mut self, action: Option<Action>, now: DateTime<Utc>) {
        match action {
            Some(Action::Finder) => self.open_finder(),
            Some(Action::RetryMisses) => {
                let misses: Vec<DrillItem> = self
                    .drill
                    .as_ref()
                    .map(|d| {
                        d.results
                            .iter()
                            .filter(|r| r.rating == Rating::Again)
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

    fn on_drill_key(
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
            (Phase::Answering, Some(Action::Pick(n))) => {
                drill.input.clear();
                drill.input.paste(&n.to_string());
                self.reveal(now);
            }
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
                if let Some(rating) = suggested_rating(&assessment, drill.over_time) {
                    return self.grade(rating, now);
                }
                drill.notice = Some("No suggestion for this card: grade it with 1-4.".to_owned());
            }
            (Phase::Revealed { .. }, Some(Action::Suspend)) => {
                if let Some(item) = drill.session.current() {
                    let id = item.id.clone();
                    drill.notice = Some(format!("Suspended {id}; grade it to move on."));
                    return vec![Effect::Suspend(id)];
                }
            }
            (Phase::Revealed { .. }, Some(Action::Flag)) => {
                if let Some(item) = drill.session.current() {
                    let id = item.id.clone();
                    drill.notice = Some(format!("Flagged {id} for a second look."));
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
                if drill.mode == DrillMode::Scheduled && !drill.results.is_empty() {
                    return vec![Effect::UndoLastReview];
                }
                drill.notice = Some("Nothing to undo in this session.".to_owned());
            }
            (Phase::Revealed { .. } | Phase::Finished, Some(Action::Quit)) => self.quit = true,
            (Phase::Finished, Some(Action::Reveal)) => self.screen = Screen::Summary,
            _ => {}
        }
        Vec::new()
    }

    /// Enter while answering: next step, or reveal.
    fn submit(&mut self, now: DateTime<Utc>) {
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

    fn reveal(&mut self, now: DateTime<Utc>) {
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

    fn grade(&mut self, rating: Rating, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(drill) = self.drill.as_mut() else {
            return Vec::new();
        };
        let Some(item) = drill.session.current().cloned() else {
            return Vec::new();
        };
        let correct = match drill.session.phase() {
            Phase::Revealed {
                assessment: crate::deck::Assessment::Verdict { correct },
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

    fn on_saved(&mut self, result: Result<ReviewOutcome, String>, now: DateTime<Utc>) {
        let Some(drill) = self.drill.as_mut() else {
            return;
        };
        match result {
            Ok(outcome) => {
                if let Some((state, card)) = drill.pending.take() {
                    let id = card.item.id.clone();
                    let was_new = self.progress.states.insert(id.clone(), state).is_none();
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

    fn on_undone(
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

    fn enter_current(&mut self, now: DateTime<Utc>) {
        if let Some(mut drill) = self.drill.take() {
            self.enter_card(&mut drill, now);
            self.drill = Some(drill);
        }
    }

    /// After a grade: the next card, or the summary when the session is over (all cards done,
    /// or the session's time box used up).
    fn after_advance(&mut self, now: DateTime<Utc>) {
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

    fn go_home(&mut self, now: DateTime<Utc>) {
        // A grade still being saved keeps the drill alive until the shell answers.
        if let Some(drill) = &self.drill
            && matches!(drill.session.phase(), Phase::Saving { .. })
        {
            return;
        }
        if let Some(drill) = &self.drill {
            self.status = Some(format!("Session over: {} reviewed.", drill.results.len()));
        }
        self.drill = None;
        self.screen = Screen::Home;
        self.refresh_counts(now);
    }
}

/// Figures for the session summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub cards: usize,
    /// Share graded good or easy (or answered right, where checked).
    pub accuracy: Option<f64>,
    pub average_seconds: Option<f64>,
    pub over_time: usize,
    pub misses: usize,
    /// Tags of the cards graded "again", most frequent first.
    pub weakest_tags: Vec<(String, usize)>,
}

pub fn summarize(results: &[CardResult]) -> Summary {
    let cards = results.len();
    let good = results
        .iter()
        .filter(|r| r.correct.unwrap_or(r.rating >= Rating::Good))
        .count();
    let mut tags: BTreeMap<&str, usize> = BTreeMap::new();
    for r in results.iter().filter(|r| r.rating == Rating::Again) {
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
        accuracy: (cards > 0).then(|| good as f64 / cards as f64),
        average_seconds: (cards > 0).then(|| {
            results.iter().map(|r| r.elapsed_ms).sum::<u64>() as f64 / cards as f64 / 1000.0
        }),
        over_time: results.iter().filter(|r| r.over_time).count(),
        misses: results.iter().filter(|r| r.rating == Rating::Again).count(),
        weakest_tags,
    }
}

/// The grade to suggest: from the answer's check, at most "hard" when the clock ran out.
pub fn suggested_rating(assessment: &crate::deck::Assessment, over_time: bool) -> Option<Rating> {
    let n = assessment.suggested_rating()?;
    Rating::from_number(if over_time { n.min(2) } else { n })
}

/// Kinds whose cards use the text area.
pub fn uses_text(step: &Step) -> bool {
    matches!(step, Step::Typing | Step::Fix { .. })
}
