//! Key bindings as data: one table per screen. Dispatch and the on-screen key hints both read
//! these tables, so the hints can never drift from what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::scheduler::Rating;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    StartSelected,
    StartAll,
    Reveal,
    Grade(Rating),
    Back,
    Quit,
    ForceQuit,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    pub action: Action,
    /// Key label in the hint bar; bindings sharing a label are shown once.
    pub label: &'static str,
    pub help: &'static str,
}

const fn key(code: KeyCode, action: Action, label: &'static str, help: &'static str) -> Binding {
    Binding {
        code,
        modifiers: KeyModifiers::NONE,
        action,
        label,
        help,
    }
}

const FORCE_QUIT: Binding = Binding {
    code: KeyCode::Char('c'),
    modifiers: KeyModifiers::CONTROL,
    action: Action::ForceQuit,
    // Works everywhere, so it is not repeated in every hint bar.
    label: "",
    help: "quit",
};

pub const HOME: &[Binding] = &[
    key(KeyCode::Down, Action::Down, "↓/j", "next"),
    key(KeyCode::Char('j'), Action::Down, "↓/j", "next"),
    key(KeyCode::Up, Action::Up, "↑/k", "previous"),
    key(KeyCode::Char('k'), Action::Up, "↑/k", "previous"),
    key(KeyCode::Enter, Action::StartSelected, "enter", "drill deck"),
    key(KeyCode::Char('a'), Action::StartAll, "a", "drill all decks"),
    key(KeyCode::Char('q'), Action::Quit, "q", "quit"),
    key(KeyCode::Esc, Action::Quit, "q", "quit"),
    FORCE_QUIT,
];

/// While answering, printable keys are typed into the answer; only these keys act.
pub const ANSWERING: &[Binding] = &[
    key(KeyCode::Enter, Action::Reveal, "enter", "reveal answer"),
    key(KeyCode::Esc, Action::Back, "esc", "back home"),
    FORCE_QUIT,
];

pub const REVEALED: &[Binding] = &[
    key(
        KeyCode::Char('1'),
        Action::Grade(Rating::Again),
        "1",
        "again",
    ),
    key(KeyCode::Char('2'), Action::Grade(Rating::Hard), "2", "hard"),
    key(KeyCode::Char('3'), Action::Grade(Rating::Good), "3", "good"),
    key(KeyCode::Char('4'), Action::Grade(Rating::Easy), "4", "easy"),
    key(KeyCode::Esc, Action::Back, "esc", "back home"),
    key(KeyCode::Char('q'), Action::Quit, "q", "quit"),
    FORCE_QUIT,
];

pub const FINISHED: &[Binding] = &[
    key(KeyCode::Enter, Action::Back, "enter/esc", "back home"),
    key(KeyCode::Esc, Action::Back, "enter/esc", "back home"),
    key(KeyCode::Char('q'), Action::Quit, "q", "quit"),
    FORCE_QUIT,
];

pub fn lookup(bindings: &[Binding], event: &KeyEvent) -> Option<Action> {
    // Shift is part of the character itself for printable keys.
    let modifiers = event.modifiers - KeyModifiers::SHIFT;
    bindings
        .iter()
        .find(|b| b.code == event.code && b.modifiers == modifiers)
        .map(|b| b.action)
}

/// (label, help) pairs for the hint bar, one per distinct label, in table order.
pub fn hints(bindings: &[Binding]) -> Vec<(&'static str, &'static str)> {
    let mut hints: Vec<(&str, &str)> = Vec::new();
    for binding in bindings {
        if !binding.label.is_empty() && !hints.iter().any(|(label, _)| *label == binding.label) {
            hints.push((binding.label, binding.help));
        }
    }
    hints
}
