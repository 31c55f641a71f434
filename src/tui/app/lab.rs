//! The labs inside the app: the list, a live run driven by the console line and the time
//! controls, and its result handed to the shell once.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::{App, Effect, Screen};
use crate::tui::keys::Action;
use crate::tui::textarea::TextArea;

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

impl App {
    /// A fresh run of `lab`, from its setup, at 10x.
    pub(super) fn open_lab(&mut self, lab: crate::labs::Lab) {
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
            Some(Action::Step) => lab
                .live
                .advance(streamdrill_engine::SimDuration::from_secs(10)),
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
    pub(super) fn lab_finished(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(lab) = self.lab.as_mut() else {
            return Vec::new();
        };
        if !lab.live.finished() || lab.saved {
            return Vec::new();
        }
        lab.saved = true;
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
