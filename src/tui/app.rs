//! The TUI as a state machine: `update(msg, now)` changes the state and returns effects for the
//! shell to carry out. It never touches the terminal, the database or the clock.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::KeyEvent;

use super::keys::{self, Action, Binding};
use super::list_filter::{FilterKey, ListFilter};
use super::textarea::TextArea;
use super::theme::Theme;
use crate::deck::{CardBody, Diagnostic, DrillItem, Library, Scope};
use crate::shell::config::Config;
use crate::srs::queue::{Limits, Progress};
use crate::srs::scheduler::{CardState, Rating, Scheduler};
use crate::srs::session::Phase;
use crate::srs::stats::{DeckStats, TagStats, deck_stats, tag_stats};
use crate::store::{Observations, Review, ReviewOutcome};

mod drill;
mod lab;

pub use drill::{
    CardResult, Drill, DrillMode, Step, Summary, suggested_rating, summarize, uses_text,
};
pub use lab::{Exchange, HISTORY_MAX, LAB_SPEEDS, LabPane, LabScreen, TRANSCRIPT_MAX};

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
    StatsLoaded(
        Result<crate::srs::stats::StoreFigures, String>,
        DateTime<Utc>,
    ),
    /// An effect failed; the message says what did not happen.
    Failed(String),
    /// A left click at (column, row).
    Click(u16, u16),
    /// The mouse wheel: rows down (negative: up).
    Scroll(i16),
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
    /// Suspend (true) or unsuspend (false) a drill item.
    SetSuspended {
        item: String,
        suspended: bool,
    },
    Flag(String),
    /// Make this plan the schedule until the interview.
    SavePlan(crate::store::SavedPlan),
    /// Store a finished lab run.
    SaveLabResult(crate::store::LabResult),
    /// Remember a lab console line for the lab's history.
    SaveLabCommand {
        lab_id: String,
        command: String,
    },
    /// Gather the store's figures for the stats screen, then send back [`Msg::StatsLoaded`].
    LoadStats {
        day_start_hour: u8,
    },
}

/// Paths the settings screen shows, sanitised: they come from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsPaths {
    pub config_file: Option<String>,
    pub data_dir: String,
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

/// The settings screen's interview planner.
#[derive(Debug, Default)]
pub struct PlanForm {
    pub date: TextArea,
    pub minutes: TextArea,
    /// Which field takes typing: 0 date, 1 minutes.
    pub field: usize,
    pub result: Option<Result<(chrono::NaiveDate, crate::srs::planner::Plan), String>>,
}

/// What a mouse click on a region does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Click {
    HomeRow(usize),
    /// One of the home screen's entries (drill, find, stats, labs, settings, ...).
    HomeEntry(Action),
    LabRow(usize),
    Grade(Rating),
}

/// One row of the home list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListRow {
    All,
    /// An index into [`App::decks`].
    Deck(usize),
    /// An index into [`App::tags`].
    Tag(usize),
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
    pub stats: Option<Result<crate::srs::stats::Stats, String>>,
    /// How far the stats screen's deck table is scrolled.
    pub stats_scroll: super::scroll::Scroll,
    /// Clickable regions of the last frame drawn, and what a click there does. The view
    /// records them while drawing; nothing else reads them but a mouse click.
    pub hitboxes: std::cell::RefCell<Vec<(ratatui::layout::Rect, Click)>>,
    pub finder: Option<super::finder::Finder>,
    /// Where the finder returns to.
    finder_return: Screen,
    /// Grades of a finder session count for scheduling (off: practice only).
    pub finder_schedules: bool,
    pub labs: Vec<crate::labs::Lab>,
    /// The selected row of the lab list as filtered (see [`App::lab_rows`]).
    pub lab_selected: usize,
    pub lab_filter: ListFilter,
    /// The home list's filter, kept while switching between decks and tags.
    pub home_filter: ListFilter,
    /// Rows a page key moves in the home and lab lists: the rows the last frame showed.
    pub list_page: std::cell::Cell<usize>,
    pub lab: Option<LabScreen>,
    /// Console lines typed per lab, oldest first, for the up and down keys.
    pub lab_history: std::collections::BTreeMap<String, Vec<String>>,
    /// Labs passed at least once, by lab id (from the store, then from this run).
    pub labs_done: std::collections::BTreeSet<String>,
    /// The plan in force, if any (shown on the settings screen).
    pub active_plan: Option<crate::store::SavedPlan>,
    /// Where the configuration file and the data live, for the settings screen.
    pub paths: Option<SettingsPaths>,
    pub quit: bool,
    /// The current time as of the last message, for drawing clocks.
    pub now: DateTime<Utc>,
    library: Library,
    progress: Progress,
    scheduler: Scheduler,
    limits: Limits,
    config: Config,
    /// Average seconds per review from the history, for the planner (as `plan` uses it).
    seconds_per_review: Option<f32>,
    /// The learner's offset from UTC, so the planner counts days as `plan` does.
    local_offset: chrono::FixedOffset,
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
            stats_scroll: super::scroll::Scroll::default(),
            hitboxes: std::cell::RefCell::new(Vec::new()),
            finder: None,
            finder_return: Screen::Home,
            finder_schedules: false,
            labs: crate::labs::bundled::labs().unwrap_or_default(),
            lab_selected: 0,
            lab_filter: ListFilter::default(),
            home_filter: ListFilter::default(),
            list_page: std::cell::Cell::new(keys::PAGE_ROWS),
            lab: None,
            lab_history: std::collections::BTreeMap::new(),
            labs_done: std::collections::BTreeSet::new(),
            active_plan: None,
            paths: None,
            quit: false,
            now,
            library,
            progress,
            scheduler,
            limits: Limits::unlimited(SESSION_LIMIT_DEFAULT),
            config: Config::default(),
            seconds_per_review: None,
            local_offset: chrono::Offset::fix(&Utc),
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

    /// Rows of the home list: "All decks" first, then each deck; or each tag.
    pub fn home_rows(&self) -> usize {
        self.home_list_rows().len()
    }

    /// The home list's rows as the filter leaves them: "All decks" (unfiltered only), then the
    /// decks or the tags whose names hold every filter word.
    pub fn home_list_rows(&self) -> Vec<ListRow> {
        let filter = &self.home_filter;
        match self.home_list {
            HomeList::Decks => {
                let all = filter.query().trim().is_empty().then_some(ListRow::All);
                all.into_iter()
                    .chain(
                        self.decks
                            .iter()
                            .enumerate()
                            .filter(|(_, d)| filter.keeps(&[d.title.as_str(), d.id.as_str()]))
                            .map(|(i, _)| ListRow::Deck(i)),
                    )
                    .collect()
            }
            HomeList::Tags => self
                .tags
                .iter()
                .enumerate()
                .filter(|(_, t)| filter.keeps(&[t.tag.as_str()]))
                .map(|(i, _)| ListRow::Tag(i))
                .collect(),
        }
    }

    /// Indices into `labs` of the lab list's rows, as its filter leaves them.
    pub fn lab_rows(&self) -> Vec<usize> {
        self.labs
            .iter()
            .enumerate()
            .filter(|(_, lab)| {
                self.lab_filter
                    .keeps(&[lab.id.as_str(), lab.title.as_str()])
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The scope of the selected home row.
    fn selected_scope(&self) -> Option<Scope> {
        Some(match *self.home_list_rows().get(self.selected)? {
            ListRow::All => Scope::All,
            ListRow::Deck(i) => Scope::Deck(self.decks.get(i)?.id.clone()),
            ListRow::Tag(i) => Scope::Tag(self.tags.get(i)?.tag.clone()),
        })
    }

    /// Items reviewed since the study day started.
    pub fn reviewed_today(&self) -> usize {
        self.progress.reviewed_today.len()
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    pub fn new_left_today(&self) -> usize {
        self.limits.new_left_today
    }

    /// Where the config file (`None`: no config directory on this platform) and the data live.
    pub fn with_paths(mut self, config_file: Option<&str>, data_dir: &str) -> Self {
        self.paths = Some(SettingsPaths {
            config_file: config_file.map(crate::text::sanitize),
            data_dir: crate::text::sanitize(data_dir),
        });
        self
    }

    pub fn with_plan(mut self, plan: Option<crate::store::SavedPlan>) -> Self {
        self.active_plan = plan;
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The scheduler grading this session (its retention follows an applied plan).
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Each lab's console history as the store kept it.
    pub fn with_lab_history(
        mut self,
        history: std::collections::BTreeMap<String, Vec<String>>,
    ) -> Self {
        self.lab_history = history;
        self
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

    /// The learner's pace and time zone, so the planner screen and `plan` agree.
    pub fn with_review_pace(
        mut self,
        seconds_per_review: Option<f32>,
        local_offset: chrono::FixedOffset,
    ) -> Self {
        self.seconds_per_review = seconds_per_review;
        self.local_offset = local_offset;
        self
    }

    pub fn with_streak(mut self, days: u32) -> Self {
        self.streak_days = days;
        self
    }

    /// The card's text changed since it was last reviewed.
    /// Flagged for a second look (`!`).
    pub fn is_flagged(&self, item_id: &str) -> bool {
        self.progress.flags.get(item_id).is_some_and(|f| f.flagged)
    }

    pub fn is_changed(&self, item_id: &str) -> bool {
        self.progress.flags.get(item_id).is_some_and(|f| f.changed)
    }

    fn refresh_counts(&mut self, now: DateTime<Utc>) {
        self.decks = deck_stats(&self.library, &self.progress, now);
        self.tags = tag_stats(&self.library, &self.progress, now);
        self.selected = self.selected.min(self.home_rows().saturating_sub(1));
    }

    /// When the shell should wake the app without input: each second while a clock is shown.
    pub fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.screen == Screen::Lab {
            return self.lab_wake(now);
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
            Screen::Home if self.home_filter.is_editing() => keys::FILTERING,
            Screen::Labs if self.lab_filter.is_editing() => keys::FILTERING,
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
            Msg::Scroll(rows) => {
                if self.screen == Screen::Drill
                    && let Some(drill) = self.drill.as_mut()
                    && matches!(drill.session.phase(), Phase::Revealed { .. })
                {
                    drill.reveal_scroll.wheel(rows);
                } else if self.screen == Screen::Stats {
                    self.stats_scroll.wheel(rows);
                } else if self.screen == Screen::Lab {
                    self.on_lab_wheel(rows);
                }
                Vec::new()
            }
            Msg::Resize | Msg::Click(..) => Vec::new(),
            Msg::StatsLoaded(result, day_start) => {
                self.stats = Some(result.map(|figures| {
                    crate::srs::stats::stats(
                        &self.library,
                        &self.progress,
                        &figures,
                        now,
                        day_start,
                    )
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
                if self.screen == Screen::Lab {
                    return self.on_lab_tick(now);
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
        let filter = match self.screen {
            Screen::Home => Some(&mut self.home_filter),
            Screen::Labs => Some(&mut self.lab_filter),
            _ => None,
        };
        if action.is_none()
            && let Some(filter) = filter
            && filter.on_key(key) == FilterKey::Edited
        {
            match self.screen {
                Screen::Home => self.selected = 0,
                _ => self.lab_selected = 0,
            }
            return Vec::new();
        }
        match self.screen {
            Screen::Home => self.on_home_action(action, now),
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
                    Some(movement) => {
                        self.stats_scroll.on_action(movement);
                    }
                    None => {}
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
            .all_items()
            .iter()
            .map(|item| super::finder::FinderEntry {
                kind: item.kind(),
                deck_title: item.deck_title.clone(),
                prompt: item.prompt(),
                answer: item.model_answer(),
                tags: item.card.tags.clone(),
                flagged: self.is_flagged(&item.id),
                item_id: item.id.clone(),
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
                let mut by_id: std::collections::HashMap<&str, &DrillItem> = self
                    .library
                    .all_items()
                    .iter()
                    .map(|i| (i.id.as_str(), i))
                    .collect();
                let items: Vec<DrillItem> = ids
                    .iter()
                    .filter_map(|id| by_id.remove(id.as_str()).cloned())
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

    fn on_home_action(&mut self, action: Option<Action>, now: DateTime<Utc>) -> Vec<Effect> {
        match action {
            Some(Action::Stats) => {
                self.stats = None;
                self.stats_scroll.reset();
                self.screen = Screen::Stats;
                return vec![Effect::LoadStats {
                    day_start_hour: self.config.day_start_hour,
                }];
            }
            Some(Action::Finder) => self.open_finder(),
            Some(
                a @ (Action::Down
                | Action::Up
                | Action::PageDown
                | Action::PageUp
                | Action::Top
                | Action::Bottom),
            ) => {
                self.selected =
                    keys::list_move(self.selected, self.home_rows(), a, self.list_page.get());
            }
            Some(Action::StartSelected) => {
                if let Some(scope) = self.selected_scope() {
                    self.home_filter.close();
                    self.start_drill(&scope, now);
                }
            }
            Some(Action::Filter) => self.home_filter.start(),
            Some(Action::Back)
                if !self.home_filter.query().is_empty() || self.home_filter.is_editing() =>
            {
                self.home_filter.clear();
                self.selected = 0;
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
        Vec::new()
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
        let today = now.with_timezone(&self.local_offset).date_naive();
        let days = usize::try_from((date - today).num_days() + 1).unwrap_or(0);
        let cards = crate::srs::planner::plan_cards(&self.library, &self.progress);
        let input = crate::srs::planner::PlanInput {
            now,
            days,
            minutes_per_day: minutes,
            seconds_per_review: self.seconds_per_review,
            parameters: self.scheduler.parameters().to_vec(),
            cards,
        };
        self.plan_form.result = Some(
            crate::srs::planner::plan(&input)
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
                    return self.on_home_action(Some(Action::StartSelected), now);
                }
                self.selected = index;
                Vec::new()
            }
            Some(Click::HomeEntry(action)) if self.screen == Screen::Home => {
                self.on_home_action(Some(action), now)
            }
            Some(Click::LabRow(index))
                if self.screen == Screen::Labs && index < self.lab_rows().len() =>
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
