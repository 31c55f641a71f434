//! The labs inside the app: the list, and a live run the learner works in. A run opens paused
//! on its briefing and starts when the learner says so; its clock then follows the wall clock
//! at the chosen speed. The console keeps a scrollable transcript, a per-lab history and tab
//! completion; the result is handed to the shell once.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use streamdrill_engine::SimDuration;

use super::{App, Effect, Screen};
use crate::labs::live::{LiveLab, Reply};
use crate::tui::keys::Action;
use crate::tui::scroll::Scroll;
use crate::tui::textarea::TextArea;

/// Virtual-time speeds the lab screen cycles through; a run starts at the first.
pub const LAB_SPEEDS: [u64; 3] = [1, 10, 60];

/// Console exchanges a run keeps (the oldest go first).
pub const TRANSCRIPT_MAX: usize = 200;

/// Commands remembered per lab for the up and down keys.
pub const HISTORY_MAX: usize = 100;

/// Wall time one tick may count at most: after a suspended laptop wakes, the lab moves on by
/// this much, not by the hours it slept.
const TICK_WALL_MAX_MILLIS: i64 = 2_000;

/// How often a running lab wakes the app.
const TICK_MILLIS: i64 = 500;

/// The pane that the scroll keys and the mouse wheel move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabPane {
    #[default]
    Console,
    Briefing,
    Goal,
    /// The shards or the Kafka cluster.
    Picture,
    Events,
}

impl LabPane {
    fn next(self) -> Self {
        match self {
            LabPane::Console => LabPane::Briefing,
            LabPane::Briefing => LabPane::Goal,
            LabPane::Goal => LabPane::Picture,
            LabPane::Picture => LabPane::Events,
            LabPane::Events => LabPane::Console,
        }
    }
}

/// One learner line and what the console answered, at the virtual time it ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    pub at: SimDuration,
    pub command: String,
    pub reply: Reply,
}

/// The lab screen's state: the live engine run, its clock and the console.
#[derive(Debug)]
pub struct LabScreen {
    pub live: LiveLab,
    pub input: TextArea,
    /// The learner started the clock; until then only `help` runs.
    pub started: bool,
    pub paused: bool,
    /// Virtual seconds per real second.
    pub speed: u64,
    /// The wall time the clock last counted to; none while it is not counting (before the
    /// start, paused, or with the screen left), so waiting never moves the lab.
    clock_at: Option<DateTime<Utc>>,
    /// Virtual time earned by the wall clock but not yet played (under a second).
    owed_micros: u64,
    /// Hints shown so far, in order.
    pub hints: Vec<String>,
    /// The result was handed to the shell to store.
    pub saved: bool,
    pub transcript: VecDeque<Exchange>,
    /// What the last tab could complete to, when more than one fits.
    pub choices: Vec<String>,
    pub focus: LabPane,
    pub console_scroll: Scroll,
    pub briefing_scroll: Scroll,
    pub goal_scroll: Scroll,
    pub picture_scroll: Scroll,
    pub events_scroll: Scroll,
    /// Where the up key has got to in the history, and the line typed before it started.
    history_at: Option<usize>,
    draft: String,
}

impl LabScreen {
    fn new(lab: crate::labs::Lab, seed: u64) -> Self {
        let mut events_scroll = Scroll::default();
        events_scroll.follow();
        Self {
            live: LiveLab::new(lab, seed),
            input: TextArea::default(),
            started: false,
            paused: false,
            speed: LAB_SPEEDS[0],
            clock_at: None,
            owed_micros: 0,
            hints: Vec::new(),
            saved: false,
            transcript: VecDeque::new(),
            choices: Vec::new(),
            focus: LabPane::Console,
            console_scroll: Scroll::default(),
            briefing_scroll: Scroll::default(),
            goal_scroll: Scroll::default(),
            picture_scroll: Scroll::default(),
            events_scroll,
            history_at: None,
            draft: String::new(),
        }
    }

    /// The clock is counting: started, not paused, not over.
    pub fn running(&self) -> bool {
        self.started && !self.paused && !self.live.finished()
    }

    /// "briefing", "running 10x", "paused", "finished": the state the console's title shows.
    pub fn state_label(&self) -> String {
        if self.live.finished() {
            "finished".to_owned()
        } else if !self.started {
            "not started".to_owned()
        } else if self.paused {
            "paused".to_owned()
        } else {
            format!("running {}x", self.speed)
        }
    }

    fn start(&mut self, now: DateTime<Utc>) {
        self.started = true;
        self.paused = false;
        self.live.start();
        self.clock_at = Some(now);
        self.events_scroll.follow();
    }

    fn pane_scroll(&mut self) -> &mut Scroll {
        match self.focus {
            LabPane::Console => &mut self.console_scroll,
            LabPane::Briefing => &mut self.briefing_scroll,
            LabPane::Goal => &mut self.goal_scroll,
            LabPane::Picture => &mut self.picture_scroll,
            LabPane::Events => &mut self.events_scroll,
        }
    }

    fn push_exchange(&mut self, command: String, reply: Reply) {
        if self.transcript.len() >= TRANSCRIPT_MAX {
            self.transcript.pop_front();
        }
        self.transcript.push_back(Exchange {
            at: self.live.now(),
            command,
            reply,
        });
        // The learner's own command: its answer is what they want to see.
        self.focus = LabPane::Console;
        self.console_scroll.follow();
    }

    /// Moves the clock to `now`: the wall time since it last counted, times the speed.
    fn tick(&mut self, now: DateTime<Utc>) {
        if !self.running() {
            self.clock_at = None;
            return;
        }
        let Some(then) = self.clock_at.replace(now) else {
            return;
        };
        let wall = (now - then)
            .num_milliseconds()
            .clamp(0, TICK_WALL_MAX_MILLIS);
        // Whole virtual seconds only, the rest carried to the next tick: times read as
        // "t=378s", and every shown second is a complete one.
        let owed = self.owed_micros + u64::try_from(wall).unwrap_or(0) * 1_000 * self.speed;
        let whole = owed - owed % 1_000_000;
        self.owed_micros = owed - whole;
        if whole > 0 {
            self.live.advance(SimDuration(whole));
        }
    }

    /// Ends with the verdict in view: the briefing pane turns to the debrief, from its top.
    fn on_finished(&mut self) {
        self.focus = LabPane::Briefing;
        self.briefing_scroll.reset();
        self.clock_at = None;
    }
}

impl App {
    /// Opens `lab`: the run left on this screen when it is the same lab (it waited), else a
    /// fresh one on its briefing.
    pub(super) fn open_lab(&mut self, lab: crate::labs::Lab) {
        let same = self.lab.as_ref().is_some_and(|l| l.live.lab.id == lab.id);
        if !same {
            self.lab = Some(LabScreen::new(lab, self.seed));
        }
        self.screen = Screen::Lab;
    }

    pub(super) fn on_lab_list_action(&mut self, action: Option<Action>) {
        match action {
            Some(
                a @ (Action::Down
                | Action::Up
                | Action::PageDown
                | Action::PageUp
                | Action::Top
                | Action::Bottom),
            ) => {
                self.lab_selected = crate::tui::keys::list_move(
                    self.lab_selected,
                    self.lab_rows().len(),
                    a,
                    self.list_page.get(),
                );
            }
            Some(Action::StartSelected) => {
                let chosen = self.lab_rows().get(self.lab_selected).copied();
                if let Some(lab) = chosen.and_then(|i| self.labs.get(i)).cloned() {
                    self.lab_filter.close();
                    self.open_lab(lab);
                }
            }
            Some(Action::Filter) => self.lab_filter.start(),
            Some(Action::Back)
                if self.lab_filter.is_editing() || !self.lab_filter.query().is_empty() =>
            {
                self.lab_filter.clear();
                self.lab_selected = 0;
            }
            Some(Action::Back) => self.screen = Screen::Home,
            Some(Action::Quit) => self.quit = true,
            _ => {}
        }
    }

    /// When a running lab wants the next tick.
    pub(super) fn lab_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let lab = self.lab.as_ref().filter(|_| self.screen == Screen::Lab)?;
        lab.running()
            .then(|| now + chrono::Duration::milliseconds(TICK_MILLIS))
    }

    pub(super) fn on_lab_tick(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        if self.screen != Screen::Lab {
            return Vec::new();
        }
        if let Some(lab) = self.lab.as_mut() {
            lab.tick(now);
        }
        self.lab_finished(now)
    }

    /// The mouse wheel over the lab screen moves the pane in focus.
    pub(super) fn on_lab_wheel(&mut self, rows: i16) {
        if let Some(lab) = self.lab.as_mut() {
            lab.pane_scroll().wheel(rows);
        }
    }

    #[allow(clippy::too_many_lines)] // one screen's keys, one arm each
    pub(super) fn on_lab_key(
        &mut self,
        key: &KeyEvent,
        action: Option<Action>,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let Some(lab) = self.lab.as_mut() else {
            self.screen = Screen::Labs;
            return Vec::new();
        };
        if !matches!(action, Some(Action::Complete)) {
            lab.choices.clear();
        }
        let mut effects = Vec::new();
        match action {
            Some(Action::Back) => {
                lab.clock_at = None;
                self.screen = Screen::Labs;
                return Vec::new();
            }
            Some(Action::Reveal) => {
                let command = lab.input.text();
                lab.input.clear();
                lab.history_at = None;
                let line = command.trim();
                if line.is_empty() {
                    if !lab.started {
                        lab.start(now);
                    }
                } else {
                    let history = self.lab_history.entry(lab.live.lab.id.clone()).or_default();
                    if history.last().map(String::as_str) != Some(line) {
                        history.push(line.to_owned());
                        if history.len() > HISTORY_MAX {
                            history.remove(0);
                        }
                        effects.push(Effect::SaveLabCommand {
                            lab_id: lab.live.lab.id.clone(),
                            command: line.to_owned(),
                        });
                    }
                    let is_help = line == "help" || line.starts_with("help ");
                    let reply = if lab.started || is_help {
                        lab.live.command(line)
                    } else {
                        Reply::Text(vec![
                            "The lab has not started: enter on an empty line (or ctrl-p) starts \
                             its clock at 1x. `help` works already."
                                .to_owned(),
                        ])
                    };
                    lab.push_exchange(line.to_owned(), reply);
                }
            }
            Some(Action::Complete) => {
                let completion = lab.live.complete(&lab.input.text());
                lab.input.clear();
                lab.input.paste(&completion.line);
                lab.choices = completion.choices;
            }
            Some(a @ (Action::Up | Action::Down)) if lab.focus == LabPane::Console => {
                let history = self
                    .lab_history
                    .get(&lab.live.lab.id)
                    .map_or(&[][..], Vec::as_slice);
                let at = match (a, lab.history_at) {
                    (_, None) if history.is_empty() => None,
                    (Action::Up, None) => {
                        lab.draft = lab.input.text();
                        Some(history.len() - 1)
                    }
                    (Action::Up, Some(i)) => Some(i.saturating_sub(1)),
                    (_, Some(i)) if i + 1 < history.len() => Some(i + 1),
                    _ => None,
                };
                if at.is_some() || lab.history_at.is_some() {
                    let line = at
                        .and_then(|i| history.get(i))
                        .cloned()
                        .unwrap_or_else(|| lab.draft.clone());
                    lab.input.clear();
                    lab.input.paste(&line);
                }
                lab.history_at = at;
            }
            Some(
                a @ (Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom),
            ) => {
                lab.pane_scroll().on_action(a);
            }
            Some(Action::FocusNext) => lab.focus = lab.focus.next(),
            Some(Action::TogglePause) if !lab.started => lab.start(now),
            Some(Action::TogglePause) => {
                lab.paused = !lab.paused;
                lab.clock_at = (!lab.paused).then_some(now);
            }
            Some(Action::Faster) => {
                let i = LAB_SPEEDS.iter().position(|s| *s == lab.speed).unwrap_or(0);
                lab.speed = LAB_SPEEDS[(i + 1) % LAB_SPEEDS.len()];
            }
            Some(Action::Step) if lab.started => {
                lab.live.advance(SimDuration::from_secs(10));
            }
            Some(Action::GiveUp) if lab.started => lab.live.give_up(),
            Some(Action::Restart) => {
                let fresh = lab.live.lab.clone();
                self.lab = Some(LabScreen::new(fresh, self.seed));
                return Vec::new();
            }
            Some(Action::NextHint) => {
                let hint = lab
                    .live
                    .next_hint()
                    .map_or_else(|| "No more hints.".to_owned(), str::to_owned);
                if lab.hints.last() != Some(&hint) {
                    lab.hints.push(hint);
                }
                lab.focus = LabPane::Briefing;
                lab.briefing_scroll.follow();
            }
            Some(_) => {}
            None => {
                lab.input.handle_key(key);
            }
        }
        effects.extend(self.lab_finished(now));
        effects
    }

    /// Once a run is over, its result goes to the store (once).
    pub(super) fn lab_finished(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(lab) = self.lab.as_mut() else {
            return Vec::new();
        };
        if !lab.live.finished() || lab.saved {
            return Vec::new();
        }
        lab.saved = true;
        lab.on_finished();
        let passed = lab.live.passed();
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
}
